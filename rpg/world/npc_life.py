"""
The NPCs of a running world: spawned from each map's C{npc_spawns}, stepped
on a schedule, mirrored into their L{NpcEntity} for observers.

The rules of one step are in L{rpg.world.npcs}; this module decides which
NPCs step when.  Work per tick is proportional to the NPCs that are due: a
L{Schedule} orders them by their next action time (a wander step, a chase
step, a respawn, an aggression check), and an NPC with nothing to do is not
in it.
An idle aggressive NPC is checked for targets only while a living player
stands within one chunk of it; otherwise it sleeps until a player moves
near (L{NpcPopulation.wake_near}).
"""

import itertools

from rpg.world import npcs as rules
from rpg.world.combat import TIME_EPSILON
from rpg.world.entities import NpcEntity
from rpg.world.maps import CHUNK_SIZE
from rpg.world.plugins import NPC_BEHAVIOURS
from rpg.world.schedule import Schedule

# How often an idle aggressive NPC with players near looks for a target.
AGGRO_CHECK_S = 0.6


class NpcPopulation:
    """
    Every NPC of the world, dead or alive.

    @ivar states: npc id -> L{rules.NpcState}.
    @ivar entities: npc id -> L{NpcEntity} (in the world while alive).
    @ivar map_of: npc id -> map id.
    """

    def __init__(self, engine, definitions, now=0.0, behaviours=NPC_BEHAVIOURS):
        self.engine = engine
        # How idle NPCs move: their definition's behaviour, by name.
        self.behaviours = behaviours
        for key in sorted(definitions):
            behaviours.check(definitions[key].behaviour, f"NPC {key!r}")
        self.states = {}
        # The ids of the NPCs that attack unprovoked: the only ones a player's
        # arrival wakes, so a move near none of them costs almost nothing.
        self._aggressive = set()
        self.entities = {}
        self.map_of = {}
        self._due = Schedule()  # npc id, ties in the order scheduled
        number = itertools.count(1)
        for map_id in sorted(engine.maps):
            for spawn in engine.maps[map_id].npc_spawns:
                definition = definitions[spawn.npc]
                npc_id = f"npc_{next(number)}"
                npc = rules.spawn_npc(npc_id, definition, spawn.x, spawn.y, now,
                                      spawn.wander_radius)
                entity = NpcEntity(npc_id[4:], definition.key, definition.name, map_id,
                                   spawn.x, spawn.y, max_hp=definition.hitpoints)
                self.states[npc_id] = npc
                if definition.aggressive:
                    self._aggressive.add(npc_id)
                self.entities[npc_id] = entity
                self.map_of[npc_id] = map_id
                engine.add_entity(entity)
                self._schedule_after_step(npc, now)

    # -- the schedule
    def schedule(self, npc_id, at):
        """Step this NPC at C{at} (C{None}: only when woken)."""
        self._due.set(npc_id, at)

    def wake(self, npc_id, now):
        """Step this NPC at C{now} unless it is due sooner already."""
        self._due.wake(npc_id, now)

    def scheduled_at(self, npc_id):
        return self._due.when(npc_id)

    def pop_due(self, now):
        """The ids of the NPCs due at C{now}, each once, in time order."""
        return self._due.pop_due(now + TIME_EPSILON)

    def _schedule_after_step(self, npc, now):
        """Put the NPC back on the schedule for its next action."""
        definition = npc.definition
        if npc.state == "dead":
            at = npc.respawn_at
        elif npc.state == "in_combat":
            at = max(npc.next_move_at, now + definition.chase_interval_s)
        elif npc.state == "returning":
            at = max(npc.next_move_at, now + TIME_EPSILON)
        else:
            moves = npc.wander_radius > 0 or definition.behaviour != "wander"
            at = npc.next_move_at if moves else None
            if definition.aggressive and self.players_near(npc):
                check = now + AGGRO_CHECK_S
                at = check if at is None else min(at, check)
        self.schedule(npc.npc_id, at)

    # -- who is near
    def _chunks_around(self, map_id, x, y):
        cx, cy = x // CHUNK_SIZE, y // CHUNK_SIZE
        return [(map_id, cx + dx, cy + dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]

    def players_near(self, npc):
        """
        Entity id -> C{(x, y)} of the living players within one chunk of the
        NPC's (which covers any aggression radius up to 16 tiles).
        """
        viewers = self.engine.spatial.viewers
        entities = self.engine.entities
        found = {}
        for key in self._chunks_around(self.map_of[npc.npc_id], npc.x, npc.y):
            for entity_id in viewers.get(key, ()):
                player = entities[entity_id]
                if player.current_hp > 0:
                    found[entity_id] = (player.x, player.y)
        return found

    def wake_near(self, map_id, x, y, now):
        """A player arrived at C{(x, y)}: wake the idle aggressive NPCs near it."""
        aggressive = self._aggressive
        if not aggressive:
            return
        members = self.engine.spatial.members
        for key in self._chunks_around(map_id, x, y):
            ids = members.get(key)
            if ids and not aggressive.isdisjoint(ids):
                for entity_id in ids:
                    npc = self.states.get(entity_id)
                    if npc is not None and npc.state == "idle" and npc.definition.aggressive:
                        self.wake(entity_id, now)

    # -- stepping
    def step(self, npc_id, now, rng, target_position):
        """
        Run one behaviour step of a due NPC and put it back on the schedule.

        @param target_position: C{target_id -> (x, y)} or C{None} for a
            living player on the NPC's map.
        @return: what L{rules.step_npc} returned.
        """
        npc = self.states[npc_id]
        game_map = self.engine.maps[self.map_of[npc_id]]
        if npc.state == "idle" and npc.definition.aggressive:
            players = self.players_near(npc)
        elif npc.state == "in_combat" and npc.target is not None:
            position = target_position(npc.target)
            players = {} if position is None else {npc.target: position}
        else:
            players = {}
        walkable = _walkable(game_map)
        outcome = rules.step_npc(npc, now, rng, walkable, players,
                                 self.behaviours[npc.definition.behaviour])
        if outcome == "respawned":
            self._reenter(npc)
        else:
            self.sync(npc)
        self._schedule_after_step(npc, now)
        return outcome

    def sync(self, npc):
        """Copy the NPC's state onto its entity, for observers."""
        entity = self.entities[npc.npc_id]
        if entity.chunk_key is None:
            return
        engine = self.engine
        if (entity.x, entity.y) != (npc.x, npc.y):
            engine.place(entity, entity.map_id, npc.x, npc.y)
        engine.set_field(entity, "facing_direction", npc.facing)
        engine.set_field(entity, "current_hp", npc.hp)
        engine.set_field(entity, "combat_state", rules.combat_state(npc))

    def _reenter(self, npc):
        entity = self.entities[npc.npc_id]
        entity.x, entity.y = npc.x, npc.y
        entity.facing_direction = npc.facing
        entity.current_hp = npc.hp
        entity.combat_state = rules.combat_state(npc)
        self.engine.add_entity(entity)

    def died(self, npc_id, now):
        """
        The NPC reached 0 HP: it leaves the world (observers see it in
        C{removed_entities}) and comes back after its respawn time.
        """
        npc = self.states[npc_id]
        rules.kill(npc, now)
        entity = self.entities[npc_id]
        entity.combat_state = "dead"
        entity.current_hp = 0
        if entity.chunk_key is not None:
            self.engine.remove_entity(npc_id)
        self.schedule(npc_id, npc.respawn_at)


def _walkable(game_map):
    def is_walkable(x, y):
        return not game_map.is_blocked(x, y)
    return is_walkable
