"""
The swings of one tick: which fighters may act, their L{Combatant}s for
L{resolve_swings}, the outcome copied back into the world, and the XP a
hit earns.  What a swing leads to (recovery restarted, a death) is decided
by L{rpg.world.fights.Fights}, which runs this part.
"""

from rpg.world import inventory as inv
from rpg.world import npcs as npc_rules
from rpg.world.combat import (Combatant, Fighter, best_style, can_swing, combat_xp,
                              resolve_swings, swing_interval_s)
from rpg.world.skills import level_of, skills_payload


class Swings:
    """
    @param engine: the L{rpg.world.engine.Engine}.
    @param npcs: the L{rpg.world.npc_life.NpcPopulation}.
    @param fighters: the L{rpg.world.fighters.Fighters} (records, who is active).
    @param catalog: the L{rpg.world.items.ItemCatalog} (weapons, bonuses).
    @param rng: the world's C{random.Random}.
    @param emit: C{emit(player_ids, message_type, payload)} queues an event.
    """

    def __init__(self, engine, npcs, fighters, catalog, rng, emit):
        self.engine = engine
        self.npcs = npcs
        self.fighters = fighters
        self.records = fighters.records
        self.active = fighters.active
        self.catalog = catalog
        self.rng = rng
        self.emit = emit

    def step(self, now):
        """
        Resolve the swings due at C{now} and copy their outcome into the
        world.

        @return: the L{rpg.world.combat} swings, in the order they happened.
        """
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
                self.fighters.stopped(fighter_id)
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
        return swings

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
            player = self.engine.entities.get(fighter_id)
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
        entity = self.engine.entities.get(entity_id)
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
        entity = self.engine.entities.get(entity_id)
        return None if entity is None else entity.map_id

    def _combatant(self, entity_id):
        """The L{Combatant} for a living fighter in the world, or C{None}."""
        npc = self.npcs.states.get(entity_id)
        if npc is not None:
            if npc.state == "dead":
                return None
            return npc_rules.npc_combatant(npc)
        player = self.engine.entities.get(entity_id)
        if player is None or player.type != "player":
            return None
        rec = self.fighters.record(player.player_id)
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
        player = self.engine.entities[entity_id]
        self.fighters.record(player.player_id).last_swing_at = fighter.last_swing_at
        self.engine.set_field(player, "current_hp", fighter.hp)
        player.combat_target = fighter.target_id
        if fighter.target_id is not None:
            self.active[entity_id] = None
            if player.animation_state == "idle":
                self.engine.set_field(player, "animation_state", "attacking")
        else:
            self.fighters.stopped(entity_id)

    # -- XP
    def award_xp(self, player, damage):
        """The XP a hit of C{damage} earns its player (a hitpoints level heals its point)."""
        rec = self.fighters.record(player.player_id)
        gain = combat_xp(damage, "attack", rec.hp_carry)
        rec.hp_carry = gain.carry
        skills = player.skills
        hp_level = level_of(skills, "hitpoints")
        for skill, xp in gain.xp.items():
            skills[skill] = int(skills.get(skill, 0)) + xp
        new_hp_level = level_of(skills, "hitpoints")
        if new_hp_level > hp_level:
            # as in OSRS, a hitpoints level also heals the point it adds
            self.engine.set_field(player, "max_hp", new_hp_level)
            self.engine.set_field(player, "current_hp",
                                 player.current_hp + new_hp_level - hp_level)
        self.engine.mark_unsaved([player.player_id])
        self.emit([player.player_id], "event_skills", skills_payload(skills))
