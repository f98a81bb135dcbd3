"""
NPCs: their definitions, loaded from a TOML content file, and their
behaviour as step functions over an L{NpcState}.

The step functions are game rules: time enters as an argument (seconds),
chance as an injected C{random.Random}, the map as an C{is_walkable(x, y)}
predicate.  They update the L{NpcState} they are given in place.  The file
format and the behaviour are described in ``docs/combat.md``.
"""

import re
import tomllib
from dataclasses import dataclass, field
from typing import Optional

from rpg.world.combat import (BONUS_KEYS, MELEE_STYLES, TIME_EPSILON, Combatant,
                              Fighter, chebyshev, in_melee_range)

NPC_STATES = ("idle", "in_combat", "returning", "dead")

_KEY_PATTERN = re.compile(r"[a-z0-9_]+\Z")
_DEFAULTS = {
    "aggressive": False,
    "aggression_radius": 0,
    "leash_distance": 8,
    "wander_radius": 0,
    "respawn_s": 30.0,
    "attack": 1,
    "strength": 1,
    "defense": 1,
    "stats": {},
    "attack_speed": 4,
    "attack_style": "crush",
    "move_interval_s": 3.0,
    "chase_interval_s": 0.6,
    "loot": [],
}
_REQUIRED = ("name", "attackable", "hitpoints")
_FIELDS = frozenset(_DEFAULTS) | frozenset(_REQUIRED)
_LOOT_FIELDS = frozenset(("item", "quantity", "chance"))
# (dx, dy, facing); y grows downward
_STEPS = ((0, -1, "north"), (0, 1, "south"), (-1, 0, "west"), (1, 0, "east"))


class NpcContentError(Exception):
    """An NPC file that cannot be used; one line per fault, each naming the file."""

    def __init__(self, faults):
        super().__init__("\n".join(faults))
        self.faults = list(faults)


@dataclass(frozen=True)
class LootEntry:
    """C{chance} (0-1) of dropping between C{min_quantity} and C{max_quantity} of C{item}."""

    item: str
    min_quantity: int = 1
    max_quantity: int = 1
    chance: float = 1.0


@dataclass(frozen=True)
class NpcDef:
    """One kind of NPC, as the content file defines it."""

    key: str
    name: str
    attackable: bool
    hitpoints: int
    aggressive: bool = False
    aggression_radius: int = 0
    leash_distance: int = 8
    wander_radius: int = 0
    respawn_s: float = 30.0
    attack: int = 1
    strength: int = 1
    defense: int = 1
    stats: dict = field(default_factory=dict)
    attack_speed: int = 4
    attack_style: str = "crush"
    move_interval_s: float = 3.0
    chase_interval_s: float = 0.6
    loot: tuple = ()

    def __hash__(self):
        return hash(self.key)

    def fighter(self):
        """The L{Fighter} this NPC fights as."""
        return Fighter(attack=self.attack, strength=self.strength, defense=self.defense,
                       stats=self.stats, attack_speed_ticks=self.attack_speed,
                       style=self.attack_style)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_loot(where, entries, known_item_keys, faults):
    loot = []
    if not isinstance(entries, list):
        faults.append(f"{where}: loot must be a list of tables")
        return loot
    for index, entry in enumerate(entries):
        at = f"{where}: loot[{index}]"
        if not isinstance(entry, dict):
            faults.append(f"{at} must be a table")
            continue
        for name in sorted(set(entry) - _LOOT_FIELDS):
            faults.append(f"{at}: unknown field {name!r}")
        item = entry.get("item")
        if not isinstance(item, str) or not item:
            faults.append(f"{at}: item must be an item key")
        elif known_item_keys is not None and item not in known_item_keys:
            faults.append(f"{at}: unknown item {item!r}")
        quantity = entry.get("quantity", 1)
        if _is_int(quantity):
            low = high = quantity
        elif (isinstance(quantity, list) and len(quantity) == 2
              and all(_is_int(q) for q in quantity)):
            low, high = quantity
        else:
            faults.append(f"{at}: quantity must be an integer or [min, max]")
            continue
        if not 1 <= low <= high:
            faults.append(f"{at}: quantity must be at least 1, and min <= max")
        chance = entry.get("chance", 1.0)
        if not _is_number(chance) or not 0 <= chance <= 1:
            faults.append(f"{at}: chance must be a number from 0 to 1")
            continue
        loot.append(LootEntry(item, low, high, float(chance)))
    return tuple(loot)


def _check_npc(where, key, table, known_item_keys, faults):
    before = len(faults)
    if not _KEY_PATTERN.match(key):
        faults.append(f"{where}: key must be lowercase letters, digits and _")
    if not isinstance(table, dict):
        faults.append(f"{where}: must be a table")
        return None
    for name in sorted(set(table) - _FIELDS):
        faults.append(f"{where}: unknown field {name!r}")
    for name in _REQUIRED:
        if name not in table:
            faults.append(f"{where}: missing {name}")
    values = {**_DEFAULTS, **table}
    if "name" in table and (not isinstance(values["name"], str) or not values["name"]):
        faults.append(f"{where}: name must be a non-empty string")
    for name in ("attackable", "aggressive"):
        if name in values and not isinstance(values[name], bool):
            faults.append(f"{where}: {name} must be true or false")
    if "hitpoints" in table and (not _is_int(values["hitpoints"]) or values["hitpoints"] < 1):
        faults.append(f"{where}: hitpoints must be an integer of at least 1")
    for name in ("aggression_radius", "leash_distance", "wander_radius"):
        if not _is_int(values[name]) or values[name] < 0:
            faults.append(f"{where}: {name} must be an integer >= 0")
    for name in ("attack", "strength", "defense"):
        if not _is_int(values[name]) or not 1 <= values[name] <= 99:
            faults.append(f"{where}: {name} must be a level from 1 to 99")
    if not _is_int(values["attack_speed"]) or values["attack_speed"] < 1:
        faults.append(f"{where}: attack_speed must be an integer of at least 1 (game ticks)")
    if values["attack_style"] not in MELEE_STYLES:
        faults.append(f"{where}: attack_style must be one of {', '.join(MELEE_STYLES)}")
    if not _is_number(values["respawn_s"]) or values["respawn_s"] < 0:
        faults.append(f"{where}: respawn_s must be a number >= 0")
    for name in ("move_interval_s", "chase_interval_s"):
        if not _is_number(values[name]) or values[name] <= 0:
            faults.append(f"{where}: {name} must be a number > 0")
    stats = values["stats"]
    if not isinstance(stats, dict):
        faults.append(f"{where}: stats must be a table")
        stats = {}
    for name, bonus in stats.items():
        if name not in BONUS_KEYS:
            faults.append(f"{where}: unknown stat {name!r}")
        elif not _is_int(bonus):
            faults.append(f"{where}: stat {name} must be an integer")
    if (values["aggressive"] is True and _is_int(values["aggression_radius"])
            and values["aggression_radius"] < 1):
        faults.append(f"{where}: an aggressive NPC needs aggression_radius >= 1")
    loot = _check_loot(where, values["loot"], known_item_keys, faults)
    if len(faults) > before:
        return None
    return NpcDef(
        key=key, name=values["name"], attackable=values["attackable"],
        hitpoints=values["hitpoints"], aggressive=values["aggressive"],
        aggression_radius=values["aggression_radius"],
        leash_distance=values["leash_distance"], wander_radius=values["wander_radius"],
        respawn_s=float(values["respawn_s"]), attack=values["attack"],
        strength=values["strength"], defense=values["defense"],
        stats={name: stats.get(name, 0) for name in BONUS_KEYS},
        attack_speed=values["attack_speed"], attack_style=values["attack_style"],
        move_interval_s=float(values["move_interval_s"]),
        chase_interval_s=float(values["chase_interval_s"]), loot=loot)


def parse_npcs(data, source="npcs", known_item_keys=None):
    """
    NPC definitions from an already parsed TOML document (one table per NPC).

    @raise NpcContentError: listing every fault, one line each.
    """
    faults = []
    npcs = {}
    if not data:
        faults.append(f"{source}: defines no NPC")
    for key, table in data.items():
        npc = _check_npc(f"{source}: [{key}]", key, table, known_item_keys, faults)
        if npc is not None:
            npcs[key] = npc
    if faults:
        raise NpcContentError(faults)
    return npcs


def load_npcs(path, known_item_keys=None):
    """
    Load the NPC definitions in the TOML file at C{path}.

    @param known_item_keys: when given, every loot item must be one of these.
    @return: a dict of NPC key -> L{NpcDef}.
    @raise NpcContentError: when the file is unreadable, not TOML, or holds
        faults (all of them are listed, one line each).
    """
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise NpcContentError([f"{path}: cannot read: {exc.strerror}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise NpcContentError([f"{path}: not valid TOML: {exc}"]) from None
    return parse_npcs(data, str(path), known_item_keys)


def roll_loot(npc_def, rng):
    """
    What one kill drops: each loot entry, in order, drops when
    C{rng.random() < chance}, its quantity drawn with C{rng.randint(min, max)}.

    @return: a list of C{(item_key, quantity)}.
    """
    drops = []
    for entry in npc_def.loot:
        if rng.random() >= entry.chance:
            continue
        quantity = entry.min_quantity
        if entry.max_quantity > entry.min_quantity:
            quantity = rng.randint(entry.min_quantity, entry.max_quantity)
        drops.append((entry.item, quantity))
    return drops



# -- behaviour

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


def step_npc(npc, now, rng, is_walkable, players):
    """
    One behaviour step for one NPC at C{now}.

    @param players: entity id -> C{(x, y)} of the living players on the NPC's map.
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
        return "moved" if wander_step(npc, now, rng, is_walkable) else None
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
