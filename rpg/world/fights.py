"""
Combat in the running world: who fights whom, the swings on the tick, XP,
death and respawn, and HP regeneration.

The formulas are in L{rpg.world.combat}, NPC behaviour in L{rpg.world.npcs},
the NPC schedule in L{rpg.world.npc_life}.  This part holds the state that
ties them to the live world (targets, swing timers, the XP carry, who is
dead) and does, per tick, work proportional to what is active: the fighters
that have a target, the NPCs that are due, the players due a respawn or an
HP point.  The behaviour is described in ``docs/combat.md``.

L{Fights} takes the commands and runs the tick's phases in order through its
collaborators, each with what it needs and testable alone: the shared state
(L{rpg.world.fighters.Fighters}), the swings (L{rpg.world.fight_swings}),
deaths and respawns (L{rpg.world.fight_deaths}), the recovery of hit points
(L{rpg.world.recovery}).  Every timed rule runs on a
L{rpg.world.schedule.Schedule}.
"""

from rpg.world.combat import TargetView, validate_attack
from rpg.world.errors import InvalidMessageFormat, InvalidTarget, MoveBlocked
from rpg.world.fight_deaths import Deaths
from rpg.world.fight_swings import Swings
from rpg.world.fighters import Fighters, PlayerCombat
from rpg.world.npc_life import NpcPopulation
from rpg.world.plugins import NPC_BEHAVIOURS
from rpg.world.recovery import Recovery

__all__ = ["Fights", "PlayerCombat"]


class Fights:
    """
    The combat part of a L{rpg.world.game.GameWorld}.

    @param engine: the L{rpg.world.engine.Engine}.
    @param npc_definitions: NPC key -> L{rpg.world.npc_definitions.NpcDef}.
    @param catalog: the L{rpg.world.items.ItemCatalog}.
    @param tunables: L{rpg.config.Tunables} (C{respawn_delay_s},
        C{hp_regen_interval_s}).
    @param rng: the world's C{random.Random}.
    @param behaviours: how idle NPCs move (L{rpg.world.plugins.NPC_BEHAVIOURS}).
    @param drop_stacks: puts items on the ground
        (L{rpg.world.ground.GroundItems.drop_stacks}), or C{None}.
    """

    def __init__(self, engine, npc_definitions, catalog, tunables, rng,
                 behaviours=NPC_BEHAVIOURS, drop_stacks=None, now=0.0):
        self.engine = engine
        self.catalog = catalog
        self.rng = rng
        self.npcs = NpcPopulation(engine, npc_definitions, now, behaviours)
        self.fighters = Fighters(engine, self.npcs)
        self.records = self.fighters.records  # player id -> PlayerCombat
        self.active = self.fighters.active  # entity id -> None: fighters with a target
        self._events = []
        self.swings = Swings(engine, self.npcs, self.fighters, catalog, rng, self._emit)
        self.deaths = Deaths(engine, self.npcs, self.fighters, catalog, rng, self._emit,
                             tunables.respawn_delay_s, drop_stacks)
        self.recovery = Recovery(engine, self.fighters, tunables.hp_regen_interval_s)
        # The time of the latest tick: what a change that comes without a
        # time (a player leaving between ticks) is counted at.
        self.latest = now
        engine.add_move_listener(self._player_moved)
        engine.add_map_listener(self._player_changed_map)

    def record(self, player_id):
        return self.fighters.record(player_id)

    # -- commands
    def attack(self, player_id, target_id, target_type, now):
        """
        C{cmd_attack}: start attacking a target (validated as in
        L{validate_attack}).  A dead player may not attack.

        @return: C{{combat_started: True, target: {id, name, current_hp, max_hp}}}.
        @raise InvalidTarget, TargetNotFound, TargetOutOfRange, AlreadyInCombat.
        """
        player = self.engine.players[player_id]
        if self.is_dead(player_id):
            raise InvalidTarget("You are dead", reason="dead")
        game_map = self.engine.maps[player.map_id]
        entity_id = validate_attack(player.id, (player.x, player.y), player.combat_target,
                                    target_type, target_id,
                                    lambda eid: self._target_view(eid, player.map_id),
                                    game_map.pvp)
        target = self.engine.entities[entity_id]
        player.combat_target = entity_id
        self.active[player.id] = None
        if player.animation_state != "dead":
            self.engine.set_field(player, "animation_state", "attacking")
        name = target.username if target.type == "player" else target.name
        return {"combat_started": True,
                "target": {"id": entity_id, "name": name, "current_hp": target.current_hp,
                           "max_hp": target.max_hp}}

    def set_auto_retaliate(self, player_id, enabled):
        """
        C{cmd_set_auto_retaliate}: whether the player hits back when attacked.

        @return: C{{auto_retaliate: enabled}}.
        @raise InvalidMessageFormat: unless C{enabled} is a bool.
        """
        if not isinstance(enabled, bool):
            raise InvalidMessageFormat("enabled must be true or false", field="enabled")
        self.engine.players[player_id]  # KeyError for a player not in the world
        self.record(player_id).auto_retaliate = enabled
        return {"auto_retaliate": enabled}

    def check_can_move(self, player_id):
        """@raise MoveBlocked: with reason C{dead} while the player is dead."""
        if self.is_dead(player_id):
            player = self.engine.players[player_id]
            raise MoveBlocked("You are dead", reason="dead", collision=False,
                              current_position={"x": player.x, "y": player.y,
                                                "map_id": player.map_id})

    def is_dead(self, player_id):
        return self.fighters.is_dead(player_id)

    def _target_view(self, entity_id, map_id):
        entity = self.engine.entities.get(entity_id)
        if entity is None or entity.map_id != map_id:
            return None
        if entity.type == "npc":
            definition = self.npcs.states[entity_id].definition
            return TargetView(entity_id, entity.x, entity.y, alive=entity.current_hp > 0,
                              attackable=definition.attackable)
        alive = entity.current_hp > 0 and not self.is_dead(entity.player_id)
        return TargetView(entity_id, entity.x, entity.y, alive=alive)

    # -- players coming and going
    def _player_moved(self, engine, player, now):
        # The engine cleared the mover's own target; the next combat step
        # takes it out of the fighters.
        self.npcs.wake_near(player.map_id, player.x, player.y, now)

    def _player_changed_map(self, engine, player, old_map_id, now):
        # A fight ends when either side leaves the map: the traveller's own
        # target, and every player or NPC attacking it (NPCs walk home).
        self.fighters.stop_attackers_of(player.id, self.latest if now is None else now)
        self.active.pop(player.id, None)
        player.combat_target = None
        if player.animation_state == "attacking":
            engine.set_field(player, "animation_state", "idle")

    def player_added(self, player_id, now):
        """A player entered the world: one saved at 0 HP comes back at the
        spawn; one below full HP starts regenerating; aggressive NPCs near it
        wake."""
        player = self.engine.players[player_id]
        self.record(player_id)
        if player.current_hp <= 0:
            self.deaths.respawn(player, now, announce=False)
        elif player.current_hp < player.max_hp:
            self.recovery.restart(player_id, now)
        self.npcs.wake_near(player.map_id, player.x, player.y, now)

    def player_leaving(self, player_id, now=None):
        """Before a player leaves: a dead one is respawned first (so it is
        saved alive at the spawn); whoever fought it stops.  C{now}: the time
        it leaves (C{None}: the latest tick's)."""
        player = self.engine.players.get(player_id)
        if player is None:
            return
        now = self.latest if now is None else now
        if self.fighters.is_dead(player_id):
            self.deaths.respawn(player, now, announce=False)
        self.fighters.stop_attackers_of(player.id, now)
        self.active.pop(player.id, None)
        player.combat_target = None
        self.records.pop(player_id, None)
        self.deaths.forget(player_id)
        self.recovery.cancel(player_id)

    # -- the tick
    def step(self, now):
        """
        Everything time changes: NPC steps, swings, deaths, respawns, HP
        regeneration.

        @return: a list of C{(player_ids, message_type, payload)} events.
        """
        self.latest = now
        for npc_id in self.npcs.pop_due(now):
            self._step_npc(npc_id, now)
        if self.active:
            for swing in self.swings.step(now):
                self._after_swing(swing, now)
        self.deaths.step(now)
        self.recovery.step(now)
        events, self._events = self._events, []
        return events

    def _after_swing(self, swing, now):
        """A blow restarts both players' recovery, earns XP, and may kill."""
        entities = self.engine.entities
        for entity_id in (swing.attacker_id, swing.defender_id):
            entity = entities.get(entity_id)
            if entity is not None and entity.type == "player":
                self.recovery.restart(entity.player_id, now)
        attacker = entities.get(swing.attacker_id)
        if attacker is not None and attacker.type == "player" and swing.damage > 0:
            self.swings.award_xp(attacker, swing.damage)
        if not swing.killed:
            return
        if swing.defender_id in self.npcs.states:
            self.deaths.npc_died(swing.defender_id, attacker, now)
        else:
            defender = entities[swing.defender_id]
            self.deaths.player_died(defender, attacker, now)
            self.recovery.cancel(defender.player_id)

    def _emit(self, player_ids, message_type, payload):
        if player_ids:
            self._events.append((tuple(player_ids), message_type, payload))

    def _step_npc(self, npc_id, now):
        npc = self.npcs.states[npc_id]
        self.npcs.step(npc_id, now, self.rng, lambda eid: self._living_player_xy(eid, npc_id))
        if npc.state == "in_combat" and npc.target is not None:
            self.active[npc_id] = None
        else:
            self.active.pop(npc_id, None)

    def _living_player_xy(self, entity_id, npc_id):
        player = self.engine.entities.get(entity_id)
        if (player is None or player.type != "player" or player.current_hp <= 0
                or player.map_id != self.npcs.map_of[npc_id]):
            return None
        return (player.x, player.y)
