"""
Combat in the running world: who fights whom, the swings on the tick, XP,
death and respawn, and HP regeneration.

The formulas are in L{rpg.world.combat}, NPC behaviour in L{rpg.world.npcs},
the NPC schedule in L{rpg.world.npc_life}.  This part holds the state that
ties them to the live world (targets, swing timers, the XP carry, who is
dead) and does, per tick, work proportional to what is active: the fighters
that have a target, the NPCs that are due, the players due a respawn or an
HP point.  The behaviour is described in ``docs/combat.md``.
"""

import heapq
from dataclasses import dataclass
from typing import Optional

from rpg.models import ItemStack
from rpg.world import inventory as inv
from rpg.world import npcs as npc_rules
from rpg.world.combat import (Combatant, Fighter, TargetView, best_style, can_swing,
                              combat_xp, resolve_swings, swing_interval_s, validate_attack)
from rpg.world.errors import InvalidMessageFormat, InvalidTarget, MoveBlocked
from rpg.world.npc_life import NpcPopulation
from rpg.world.skills import level_of, skills_payload


@dataclass
class PlayerCombat:
    """What the fights keep of one player, in memory only."""

    auto_retaliate: bool = True
    last_swing_at: Optional[float] = None
    hp_carry: int = 0  # hitpoints XP in thirds, see combat_xp
    dead: bool = False
    respawn_at: Optional[float] = None
    regen_at: Optional[float] = None


class Fights:
    """
    The combat part of a L{rpg.world.game.GameWorld}.

    @param game: the game world (its C{world}, C{catalog}, C{content},
        C{tunables}, C{rng}, and, when present, C{ground}).
    """

    def __init__(self, game, now=0.0):
        self.game = game
        self.world = game.world
        self.catalog = game.catalog
        self.rng = game.rng
        self.respawn_delay_s = game.tunables.respawn_delay_s
        self.regen_interval_s = game.tunables.hp_regen_interval_s
        self.npcs = NpcPopulation(self.world, game.content.npcs, now)
        self.records = {}  # player id -> PlayerCombat
        self.active = {}  # entity id -> None: fighters with a target, in order
        self._respawns = []  # (time, player id)
        self._regen = []  # (time, player id)
        self._events = []
        self.world.add_move_listener(self._player_moved)

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

    # -- swings
    def _combat_step(self, now):
        # A fighter between two swings, with a living target beside it on
        # its map, can do nothing this step but be hit: it is left out
        # (and built only if someone hits it).  Swings come every 2.4 s or
        # so, so this skips most fighters on most ticks.
        combatants = {}
        for fighter_id in list(self.active):
            if self._waiting_to_swing(fighter_id, now):
                continue
            fighter = self._combatant(fighter_id)
            if fighter is None or fighter.target_id is None:
                self._stopped(fighter_id)
                continue
            combatants[fighter_id] = fighter
        # Targets join in order, and their targets in turn: a combatant
        # whose target is missing from the mapping would have it cleared.
        pending = list(combatants.values())
        for fighter in pending:
            target_id = fighter.target_id
            if target_id is None:
                continue
            if target_id not in combatants:
                target = self._combatant(target_id)
                if target is not None:
                    combatants[target_id] = target
                    pending.append(target)
            if self._map_of(target_id) != self._map_of(fighter.entity_id):
                fighter.target_id = None
        swings = resolve_swings(combatants, now, self.rng)
        for fighter in combatants.values():
            self._copy_back(fighter, now)
        for swing in swings:
            self._after_swing(swing, now)

    def _waiting_to_swing(self, fighter_id, now):
        """
        Whether this active fighter is sure to do nothing in this step's
        L{resolve_swings} unless it is hit: alive, its target a living
        combatant on its map, its weapon not ready.  (A player still idle
        while it has a target is looked at, so its animation follows.)
        """
        npc = self.npcs.states.get(fighter_id)
        if npc is not None:
            if npc.state != "in_combat" or npc.hp <= 0 or npc.target is None:
                return False
            target_id, map_id = npc.target, self.npcs.map_of[fighter_id]
            last_swing_at, speed = npc.last_swing_at, npc.definition.attack_speed
        else:
            player = self.world.entities.get(fighter_id)
            if player is None or player.type != "player" or player.current_hp <= 0:
                return False
            rec = self.records.get(player.player_id)
            target_id = player.combat_target
            if (rec is None or rec.dead or target_id is None
                    or player.animation_state == "idle"):
                return False
            map_id, last_swing_at = player.map_id, rec.last_swing_at
            speed = inv.weapon_attack_speed(player.equipment, self.catalog)
        if can_swing(last_swing_at, swing_interval_s(speed), now):
            return False
        return self._living_combatant_on(target_id, map_id)

    def _living_combatant_on(self, entity_id, map_id):
        """Whether L{_combatant} would give a fighter with HP left on C{map_id}."""
        entity = self.world.entities.get(entity_id)
        if entity is None or entity.map_id != map_id:
            return False
        npc = self.npcs.states.get(entity_id)
        if npc is not None:
            return npc.state != "dead" and npc.hp > 0
        if entity.type != "player" or entity.current_hp <= 0:
            return False
        rec = self.records.get(entity.player_id)
        return rec is None or not rec.dead

    def _map_of(self, entity_id):
        entity = self.world.entities.get(entity_id)
        return None if entity is None else entity.map_id

    def _combatant(self, entity_id):
        """The L{Combatant} for a living fighter in the world, or C{None}."""
        npc = self.npcs.states.get(entity_id)
        if npc is not None:
            if npc.state == "dead":
                return None
            return npc_rules.npc_combatant(npc)
        player = self.world.entities.get(entity_id)
        if player is None or player.type != "player":
            return None
        rec = self.record(player.player_id)
        if rec.dead:
            return None
        return Combatant(player.id, self.player_fighter(player), player.current_hp,
                         player.x, player.y, target_id=player.combat_target,
                         last_swing_at=rec.last_swing_at,
                         retaliates=rec.auto_retaliate and player.animation_state != "walking")

    def player_fighter(self, player):
        """The L{Fighter} for a player: levels from XP, bonuses from equipment."""
        skills = player.skills
        stats = inv.equipment_bonuses(player.equipment, self.catalog)
        return Fighter(attack=level_of(skills, "attack"),
                       strength=level_of(skills, "strength"),
                       defense=level_of(skills, "defense"),
                       stats=stats,
                       attack_speed_ticks=inv.weapon_attack_speed(player.equipment, self.catalog),
                       style=best_style(stats))

    def _copy_back(self, fighter, now):
        entity_id = fighter.entity_id
        npc = self.npcs.states.get(entity_id)
        if npc is not None:
            npc.hp = fighter.hp
            npc.last_swing_at = fighter.last_swing_at
            if fighter.target_id is not None and npc.target is None:
                npc_rules.engage(npc, fighter.target_id, now)  # it retaliates
                self.npcs.wake(entity_id, now)
            elif fighter.target_id is None and npc.target is not None and fighter.hp > 0:
                npc_rules.start_return(npc)  # its target is gone or dead
                self.npcs.wake(entity_id, now)
            if npc.state == "in_combat" and npc.target is not None:
                self.active[entity_id] = None
            else:
                self.active.pop(entity_id, None)
            if fighter.hp > 0:
                self.npcs.sync(npc)
            return
        player = self.world.entities[entity_id]
        self.record(player.player_id).last_swing_at = fighter.last_swing_at
        self.world.set_field(player, "current_hp", fighter.hp)
        player.combat_target = fighter.target_id
        if fighter.target_id is not None:
            self.active[entity_id] = None
            if player.animation_state == "idle":
                self.world.set_field(player, "animation_state", "attacking")
        else:
            self._stopped(entity_id)

    def _stopped(self, entity_id):
        """A fighter without a target leaves the active set."""
        self.active.pop(entity_id, None)
        player = self.world.entities.get(entity_id)
        if player is not None and player.type == "player":
            player.combat_target = None
            if player.animation_state == "attacking":
                self.world.set_field(player, "animation_state", "idle")

    def _after_swing(self, swing, now):
        for entity_id in (swing.attacker_id, swing.defender_id):
            entity = self.world.entities.get(entity_id)
            if entity is not None and entity.type == "player":
                self._restart_regen(entity.player_id, now)
        attacker = self.world.entities.get(swing.attacker_id)
        if attacker is not None and attacker.type == "player" and swing.damage > 0:
            self._award_xp(attacker, swing.damage)
        if not swing.killed:
            return
        if swing.defender_id in self.npcs.states:
            self._npc_died(swing.defender_id, attacker, now)
        else:
            self._player_died(self.world.entities[swing.defender_id], attacker, now)

    # -- XP
    def _award_xp(self, player, damage):
        rec = self.record(player.player_id)
        gain = combat_xp(damage, "attack", rec.hp_carry)
        rec.hp_carry = gain.carry
        skills = player.skills
        hp_level = level_of(skills, "hitpoints")
        for skill, xp in gain.xp.items():
            skills[skill] = int(skills.get(skill, 0)) + xp
        new_hp_level = level_of(skills, "hitpoints")
        if new_hp_level > hp_level:
            # as in OSRS, a hitpoints level also heals the point it adds
            self.world.set_field(player, "max_hp", new_hp_level)
            self.world.set_field(player, "current_hp",
                                 player.current_hp + new_hp_level - hp_level)
        self.world.mark_unsaved([player.player_id])
        self._emit([player.player_id], "event_skills", skills_payload(skills))

    # -- deaths
    def _drop(self, map_id, x, y, stacks, owner_id, now):
        """Put stacks on the ground; C{False} when ground items are not available."""
        ground = getattr(self.game, "ground", None)
        if ground is None or not stacks:
            return ground is not None
        ground.drop_stacks(map_id, x, y, stacks, owner_id, now)
        return True

    def _npc_died(self, npc_id, killer, now):
        npc = self.npcs.states[npc_id]
        map_id, x, y = self.npcs.map_of[npc_id], npc.x, npc.y
        self.active.pop(npc_id, None)
        self.npcs.died(npc_id, now)
        drops = []
        for key, quantity in npc_rules.roll_loot(npc.definition, self.rng):
            defn = self.catalog.by_key(key)
            if defn is not None:
                drops.append(ItemStack(defn.item_id, quantity))
        owner = killer.player_id if killer is not None and killer.type == "player" else None
        self._drop(map_id, x, y, drops, owner, now)

    def _player_died(self, player, killer, now):
        rec = self.record(player.player_id)
        rec.dead = True
        rec.respawn_at = now + self.respawn_delay_s
        rec.regen_at = None
        heapq.heappush(self._respawns, (rec.respawn_at, player.player_id))
        self.active.pop(player.id, None)
        player.combat_target = None
        self._stop_attackers_of(player.id)
        self.world.set_field(player, "current_hp", 0)
        self.world.set_field(player, "animation_state", "dead")
        map_id, x, y = player.map_id, player.x, player.y
        if killer is None:
            killer_view = None
        elif killer.type == "player":
            killer_view = {"id": killer.id, "name": killer.username, "type": "player"}
        else:
            killer_view = {"id": killer.id, "name": killer.name, "type": "npc"}
        watchers = set(self.world.observers_of_tile(map_id, x, y)) | {player.player_id}
        self._emit(sorted(watchers), "event_player_died", {
            "player_id": player.player_id, "username": player.username,
            "death_position": {"x": x, "y": y, "map_id": map_id}, "killer": killer_view})
        stacks = [player.inventory[slot] for slot in sorted(player.inventory)]
        if stacks and self._drop(map_id, x, y, stacks, player.player_id, now):
            emptied = {str(slot): None for slot in sorted(player.inventory)}
            player.inventory.clear()
            self._emit([player.player_id], "event_inventory_update", {"inventory": emptied})
        self.world.mark_unsaved([player.player_id])

    def _respawn_due(self, now):
        heap = self._respawns
        while heap and heap[0][0] <= now:
            at, player_id = heapq.heappop(heap)
            rec = self.records.get(player_id)
            player = self.world.players.get(player_id)
            if rec is None or player is None or not rec.dead or rec.respawn_at != at:
                continue
            self._respawn(player, rec, now)

    def _respawn(self, player, rec, now, announce=True):
        rec.dead = False
        rec.respawn_at = None
        rec.last_swing_at = None
        map_id = player.map_id
        x, y = self.world.maps[map_id].player_spawn
        self.world.teleport(player.player_id, map_id, x, y)
        self.world.set_field(player, "current_hp", player.max_hp)
        self.world.set_field(player, "animation_state", "idle")
        self.world.mark_unsaved([player.player_id])
        if not announce:
            return
        watchers = set(self.world.observers_of_tile(map_id, x, y)) | {player.player_id}
        self._emit(sorted(watchers), "event_player_respawned", {
            "player_id": player.player_id, "username": player.username,
            "spawn_position": {"x": x, "y": y, "map_id": map_id},
            "current_hp": player.current_hp, "max_hp": player.max_hp})
        self.npcs.wake_near(map_id, x, y, now)

    # -- regeneration
    def _restart_regen(self, player_id, now):
        rec = self.record(player_id)
        if rec.dead:
            return
        rec.regen_at = now + self.regen_interval_s
        heapq.heappush(self._regen, (rec.regen_at, player_id))

    def _regenerate(self, now):
        """Out of combat, one HP per interval; a blow restarts the timer."""
        heap = self._regen
        while heap and heap[0][0] <= now:
            at, player_id = heapq.heappop(heap)
            rec = self.records.get(player_id)
            player = self.world.players.get(player_id)
            if rec is None or player is None or rec.regen_at != at:
                continue
            rec.regen_at = None
            if rec.dead or player.current_hp >= player.max_hp:
                continue
            if player.combat_target is None:
                self.world.set_field(player, "current_hp", player.current_hp + 1)
            if player.current_hp < player.max_hp:
                self._restart_regen(player_id, now)
