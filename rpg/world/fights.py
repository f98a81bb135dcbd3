"""
Combat in the running world: who fights whom, the swings on the tick, XP,
death and respawn, and HP regeneration.

The formulas are in L{rpg.world.combat}, NPC behaviour in L{rpg.world.npcs},
the NPC schedule in L{rpg.world.npc_life}.  This part holds the state that
ties them to the live world (targets, swing timers, the XP carry, who is
dead) and does, per tick, work proportional to what is active: the fighters
that have a target, the NPCs that are due, the players due a respawn or an
HP point.  The behaviour is described in ``docs/combat.md``.

L{Fights} holds that state, takes the commands and runs the tick; the swings
of a tick are in L{rpg.world.fight_swings}, deaths, respawns and regeneration
in L{rpg.world.fight_deaths}.
"""

from dataclasses import dataclass
from typing import Optional

from rpg.world import npcs as npc_rules
from rpg.world.combat import TargetView, validate_attack
from rpg.world.errors import InvalidMessageFormat, InvalidTarget, MoveBlocked
from rpg.world.fight_deaths import DeathsMixin
from rpg.world.fight_swings import SwingsMixin
from rpg.world.npc_life import NpcPopulation


@dataclass
class PlayerCombat:
    """What the fights keep of one player, in memory only."""

    auto_retaliate: bool = True
    last_swing_at: Optional[float] = None
    hp_carry: int = 0  # hitpoints XP in thirds, see combat_xp
    dead: bool = False
    respawn_at: Optional[float] = None
    regen_at: Optional[float] = None


class Fights(SwingsMixin, DeathsMixin):
    """
    The combat part of a L{rpg.world.game.GameWorld}.

    @param game: the game world (its C{world}, C{catalog}, C{content},
        C{tunables}, C{rng}, C{behaviours}, and, when present, C{ground}).
    """

    def __init__(self, game, now=0.0):
        self.game = game
        self.world = game.world
        self.catalog = game.catalog
        self.rng = game.rng
        self.respawn_delay_s = game.tunables.respawn_delay_s
        self.regen_interval_s = game.tunables.hp_regen_interval_s
        self.npcs = NpcPopulation(self.world, game.content.npcs, now, game.behaviours)
        self.records = {}  # player id -> PlayerCombat
        self.active = {}  # entity id -> None: fighters with a target, in order
        self._respawns = []  # (time, player id)
        self._regen = []  # (time, player id)
        self._events = []
        self.world.add_move_listener(self._player_moved)
        self.world.add_map_listener(self._player_changed_map)

    def record(self, player_id):
        rec = self.records.get(player_id)
        if rec is None:
            rec = self.records[player_id] = PlayerCombat()
        return rec

    # -- commands
    def attack(self, player_id, target_id, target_type, now):
        """
        C{cmd_attack}: start attacking a target (validated as in
        L{validate_attack}).  A dead player may not attack.

        @return: C{{combat_started: True, target: {id, name, current_hp, max_hp}}}.
        @raise InvalidTarget, TargetNotFound, TargetOutOfRange, AlreadyInCombat.
        """
        player = self.world.players[player_id]
        if self.is_dead(player_id):
            raise InvalidTarget("You are dead", reason="dead")
        game_map = self.world.maps[player.map_id]
        entity_id = validate_attack(player.id, (player.x, player.y), player.combat_target,
                                    target_type, target_id,
                                    lambda eid: self._target_view(eid, player.map_id),
                                    game_map.pvp)
        target = self.world.entities[entity_id]
        player.combat_target = entity_id
        self.active[player.id] = None
        if player.animation_state != "dead":
            self.world.set_field(player, "animation_state", "attacking")
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
        self.world.players[player_id]  # KeyError for a player not in the world
        self.record(player_id).auto_retaliate = enabled
        return {"auto_retaliate": enabled}

    def check_can_move(self, player_id):
        """@raise MoveBlocked: with reason C{dead} while the player is dead."""
        if self.is_dead(player_id):
            player = self.world.players[player_id]
            raise MoveBlocked("You are dead", reason="dead", collision=False,
                              current_position={"x": player.x, "y": player.y,
                                                "map_id": player.map_id})

    def is_dead(self, player_id):
        rec = self.records.get(player_id)
        return rec is not None and rec.dead

    def _target_view(self, entity_id, map_id):
        entity = self.world.entities.get(entity_id)
        if entity is None or entity.map_id != map_id:
            return None
        if entity.type == "npc":
            definition = self.npcs.states[entity_id].definition
            return TargetView(entity_id, entity.x, entity.y, alive=entity.current_hp > 0,
                              attackable=definition.attackable)
        alive = entity.current_hp > 0 and not self.is_dead(entity.player_id)
        return TargetView(entity_id, entity.x, entity.y, alive=alive)

    # -- players coming and going
    def _player_moved(self, world, player):
        # The engine cleared the mover's own target; the next combat step
        # takes it out of the fighters.
        self.npcs.wake_near(player.map_id, player.x, player.y, self._last_now)

    _last_now = 0.0

    def _player_changed_map(self, world, player, old_map_id):
        # A fight ends when either side leaves the map: the traveller's own
        # target, and every player or NPC attacking it (NPCs walk home).
        self._stop_attackers_of(player.id)
        self.active.pop(player.id, None)
        player.combat_target = None
        if player.animation_state == "attacking":
            world.set_field(player, "animation_state", "idle")

    def player_added(self, player_id, now):
        """A player entered the world: one saved at 0 HP comes back at the
        spawn; one below full HP starts regenerating; aggressive NPCs near it
        wake."""
        player = self.world.players[player_id]
        rec = self.record(player_id)
        if player.current_hp <= 0:
            self._respawn(player, rec, now, announce=False)
        elif player.current_hp < player.max_hp:
            self._restart_regen(player_id, now)
        self.npcs.wake_near(player.map_id, player.x, player.y, now)

    def player_leaving(self, player_id):
        """Before a player leaves: a dead one is respawned first (so it is
        saved alive at the spawn); whoever fought it stops."""
        player = self.world.players.get(player_id)
        if player is None:
            return
        rec = self.records.get(player_id)
        if rec is not None and rec.dead:
            self._respawn(player, rec, self._last_now, announce=False)
        self._stop_attackers_of(player.id)
        self.active.pop(player.id, None)
        player.combat_target = None
        self.records.pop(player_id, None)

    def _stop_attackers_of(self, entity_id):
        for fighter_id in list(self.active):
            npc = self.npcs.states.get(fighter_id)
            if npc is not None:
                if npc.target == entity_id:
                    npc_rules.start_return(npc)
                    self.npcs.sync(npc)
                    self.npcs.wake(fighter_id, self._last_now)
                    del self.active[fighter_id]
                continue
            fighter = self.world.entities.get(fighter_id)
            if fighter is not None and fighter.combat_target == entity_id:
                fighter.combat_target = None

    # -- the tick
    def step(self, now):
        """
        Everything time changes: NPC steps, swings, deaths, respawns, HP
        regeneration.

        @return: a list of C{(player_ids, message_type, payload)} events.
        """
        self._last_now = now
        for npc_id in self.npcs.pop_due(now):
            self._step_npc(npc_id, now)
        if self.active:
            self._combat_step(now)
        self._respawn_due(now)
        self._regenerate(now)
        events, self._events = self._events, []
        return events

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
        player = self.world.entities.get(entity_id)
        if (player is None or player.type != "player" or player.current_hp <= 0
                or player.map_id != self.npcs.map_of[npc_id]):
            return None
        return (player.x, player.y)
