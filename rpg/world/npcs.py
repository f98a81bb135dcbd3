"""
NPC behaviour as step functions over an L{NpcState}.

The step functions are game rules: time enters as an argument (seconds),
chance as an injected C{random.Random}, the map as an C{is_walkable(x, y)}
predicate.  They update the L{NpcState} they are given in place.  What an
NPC is (its L{NpcDef}) is in L{rpg.world.npc_definitions}.  The behaviour is
described in ``docs/combat.md``.
"""

from dataclasses import dataclass
from typing import Optional

from rpg.world.combat import TIME_EPSILON, Combatant, chebyshev, in_melee_range
from rpg.world.npc_definitions import NpcDef

NPC_STATES = ("idle", "in_combat", "returning", "dead")

# (dx, dy, facing); y grows downward
_STEPS = ((0, -1, "north"), (0, 1, "south"), (-1, 0, "west"), (1, 0, "east"))


@dataclass
class NpcState:
    """
    One NPC in the world.  C{state} is one of L{NPC_STATES}; C{target} the
    entity id it fights; C{next_move_at} when it may take its next step;
    C{respawn_at} when a dead NPC comes back.
    """

    npc_id: str
    definition: NpcDef
    spawn: tuple
    x: int
    y: int
    hp: int
    wander_radius: int
    target: Optional[str] = None
    state: str = "idle"
    next_move_at: float = 0.0
    respawn_at: Optional[float] = None
    facing: str = "south"
    last_swing_at: Optional[float] = None

    @property
    def max_hp(self):
        return self.definition.hitpoints


def spawn_npc(npc_id, definition, x, y, now=0.0, wander_radius=None):
    """
    A new NPC at its spawn tile, idle and at full HP.  C{wander_radius}
    overrides the definition's (a map's C{npc_spawn} may set it).
    """
    radius = definition.wander_radius if wander_radius is None else wander_radius
    return NpcState(npc_id=npc_id, definition=definition, spawn=(x, y), x=x, y=y,
                    hp=definition.hitpoints, wander_radius=radius,
                    next_move_at=now + definition.move_interval_s)


def combat_state(npc):
    """The C{combat_state} entity field: idle, in_combat or dead (returning shows as idle)."""
    return npc.state if npc.state in ("in_combat", "dead") else "idle"


def _due(at, now):
    return now >= at - TIME_EPSILON


def _id_key(entity_id):
    prefix, _, number = str(entity_id).rpartition("_")
    if number.isdecimal():
        return (prefix, int(number), str(entity_id))
    return (str(entity_id), -1, str(entity_id))


def _facing(dx, dy):
    for step_x, step_y, facing in _STEPS:
        if (step_x, step_y) == (dx, dy):
            return facing
    raise ValueError((dx, dy))


def _move(npc, dx, dy):
    npc.x += dx
    npc.y += dy
    npc.facing = _facing(dx, dy)


def step_npc_by(npc, dx, dy):
    """
    Move the NPC one tile (C{dx}, C{dy} each -1, 0 or 1, not both 0), facing
    the way it went; for behaviours (L{rpg.world.plugins.NPC_BEHAVIOURS}),
    which check the tile with their C{is_walkable} first.
    """
    _move(npc, dx, dy)


def wander_step(npc, now, rng, is_walkable):
    """
    An idle NPC, once every C{move_interval_s}, tries one step in a random
    direction (C{rng.choice} of north, south, west, east).  It stays put when
    that tile is blocked or outside its wander square (Chebyshev
    C{wander_radius} around the spawn).

    @return: True when it moved.
    """
    if npc.state != "idle" or not _due(npc.next_move_at, now):
        return False
    npc.next_move_at = now + npc.definition.move_interval_s
    if npc.wander_radius <= 0:
        return False
    dx, dy, _ = rng.choice(_STEPS)
    x, y = npc.x + dx, npc.y + dy
    if chebyshev(x, y, *npc.spawn) > npc.wander_radius or not is_walkable(x, y):
        return False
    _move(npc, dx, dy)
    return True


def find_aggro_target(npc, candidates):
    """
    The player an idle aggressive NPC attacks: the nearest (Chebyshev) of
    C{candidates} (C{(entity_id, x, y)}) within C{aggression_radius} of the
    NPC and within C{leash_distance} of its spawn; ties go to the lowest id
    (C{player_9} before C{player_10}).

    @return: the entity id, or C{None}.
    """
    definition = npc.definition
    if not definition.aggressive or npc.state != "idle":
        return None
    best = None
    for entity_id, x, y in candidates:
        distance = chebyshev(npc.x, npc.y, x, y)
        if distance > definition.aggression_radius:
            continue
        if chebyshev(x, y, *npc.spawn) > definition.leash_distance:
            continue
        key = (distance, _id_key(entity_id))
        if best is None or key < best[0]:
            best = (key, entity_id)
    return None if best is None else best[1]


def _step_toward(npc, tx, ty, is_walkable, avoid_target_tile):
    dx, dy = tx - npc.x, ty - npc.y
    step_x = (((dx > 0) - (dx < 0)), 0)
    step_y = (0, ((dy > 0) - (dy < 0)))
    order = (step_x, step_y) if abs(dx) >= abs(dy) else (step_y, step_x)
    for sx, sy in order:
        if (sx, sy) == (0, 0):
            continue
        x, y = npc.x + sx, npc.y + sy
        if avoid_target_tile and (x, y) == (tx, ty):
            continue
        if is_walkable(x, y):
            _move(npc, sx, sy)
            return True
    return False


def chase_step(npc, target_xy, is_walkable):
    """
    One step toward the target: along the axis with the larger distance
    first (x on a tie), the other axis when that tile is blocked; never onto
    the target's tile.  No step once in melee range (Chebyshev 1).

    @return: True when it moved.
    """
    tx, ty = target_xy
    if in_melee_range(npc.x, npc.y, tx, ty):
        return False
    return _step_toward(npc, tx, ty, is_walkable, avoid_target_tile=True)


def engage(npc, target_id, now=None):
    """
    Make a living NPC fight C{target_id} (it was attacked, or it aggroes).
    Given C{now}, it may chase at once rather than wait for its wander timer.

    @return: False for a dead NPC, which stays dead.
    """
    if npc.state == "dead":
        return False
    npc.target = target_id
    npc.state = "in_combat"
    if now is not None:
        npc.next_move_at = min(npc.next_move_at, now)
    return True


def start_return(npc):
    """Give up the fight and walk back to the spawn."""
    npc.target = None
    npc.state = "returning"


def return_step(npc, is_walkable):
    """
    One step back toward the spawn (greedy, like L{chase_step}); an NPC that
    cannot step closer is put back on its spawn tile.  On arrival it heals to
    full and goes idle.

    @return: True when it arrived.
    """
    if (npc.x, npc.y) != npc.spawn:
        if not _step_toward(npc, *npc.spawn, is_walkable, avoid_target_tile=False):
            npc.x, npc.y = npc.spawn
    if (npc.x, npc.y) != npc.spawn:
        return False
    npc.hp = npc.max_hp
    npc.state = "idle"
    npc.target = None
    return True


def kill(npc, now):
    """The NPC reached 0 HP at C{now}: dead until C{now + respawn_s}."""
    npc.hp = 0
    npc.state = "dead"
    npc.target = None
    npc.last_swing_at = None
    npc.respawn_at = now + npc.definition.respawn_s


def respawn(npc, now):
    """Bring a dead NPC back at its spawn, idle and at full HP."""
    npc.x, npc.y = npc.spawn
    npc.hp = npc.max_hp
    npc.state = "idle"
    npc.target = None
    npc.respawn_at = None
    npc.last_swing_at = None
    npc.facing = "south"
    npc.next_move_at = now + npc.definition.move_interval_s


def step_npc(npc, now, rng, is_walkable, players, idle_step=wander_step):
    """
    One behaviour step for one NPC at C{now}.

    @param players: entity id -> C{(x, y)} of the living players on the NPC's map.
    @param idle_step: how it moves while idle, once C{next_move_at} is due
        (its definition's C{behaviour}, L{rpg.world.plugins.NPC_BEHAVIOURS}).
    @return: what happened: C{"respawned"}, C{"aggro"}, C{"leashed"},
        C{"returned"}, C{"moved"} or C{None}.
    """
    definition = npc.definition
    if npc.state == "dead":
        if npc.respawn_at is not None and _due(npc.respawn_at, now):
            respawn(npc, now)
            return "respawned"
        return None
    if npc.state == "idle":
        target = find_aggro_target(npc, ((pid, x, y) for pid, (x, y) in players.items()))
        if target is not None:
            engage(npc, target, now)
            return "aggro"
        if not _due(npc.next_move_at, now):
            return None
        return "moved" if idle_step(npc, now, rng, is_walkable) else None
    if npc.state == "in_combat":
        target_xy = players.get(npc.target)
        if target_xy is None or chebyshev(*target_xy, *npc.spawn) > definition.leash_distance:
            start_return(npc)
            return "leashed"
        if _due(npc.next_move_at, now) and chase_step(npc, target_xy, is_walkable):
            npc.next_move_at = now + definition.chase_interval_s
            return "moved"
        return None
    # returning
    if not _due(npc.next_move_at, now):
        return None
    if return_step(npc, is_walkable):
        npc.next_move_at = now + definition.move_interval_s
        return "returned"
    npc.next_move_at = now + definition.chase_interval_s
    return "moved"


def npc_combatant(npc):
    """The L{Combatant} for this NPC in L{rpg.world.combat.resolve_swings}."""
    return Combatant(npc.npc_id, npc.definition.fighter(), npc.hp, npc.x, npc.y,
                     target_id=npc.target, last_swing_at=npc.last_swing_at)
