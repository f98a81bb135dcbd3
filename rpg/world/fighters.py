"""
Who is fighting: what the fights keep of each player, and the fighters that
have a target.  Shared by the parts of combat (L{rpg.world.fights}): the
swings, the deaths and respawns, the recovery of hit points.
"""

from dataclasses import dataclass
from typing import Optional

from rpg.world import npcs as npc_rules


@dataclass
class PlayerCombat:
    """What the fights keep of one player, in memory only."""

    auto_retaliate: bool = True
    last_swing_at: Optional[float] = None
    hp_carry: int = 0  # hitpoints XP in thirds, see combat_xp
    dead: bool = False


class Fighters:
    """
    @param engine: the L{rpg.world.engine.Engine}.
    @param npcs: the L{rpg.world.npc_life.NpcPopulation}.
    @ivar records: player id -> L{PlayerCombat}.
    @ivar active: entity id -> C{None}: the fighters with a target, in the
        order they took one.
    """

    def __init__(self, engine, npcs):
        self.engine = engine
        self.npcs = npcs
        self.records = {}
        self.active = {}

    def record(self, player_id):
        rec = self.records.get(player_id)
        if rec is None:
            rec = self.records[player_id] = PlayerCombat()
        return rec

    def is_dead(self, player_id):
        rec = self.records.get(player_id)
        return rec is not None and rec.dead

    def stopped(self, entity_id):
        """A fighter without a target leaves the active set."""
        self.active.pop(entity_id, None)
        player = self.engine.entities.get(entity_id)
        if player is not None and player.type == "player":
            player.combat_target = None
            if player.animation_state == "attacking":
                self.engine.set_field(player, "animation_state", "idle")

    def stop_attackers_of(self, entity_id, now):
        """Whoever fights C{entity_id} stops: players drop the target, NPCs walk home."""
        for fighter_id in list(self.active):
            npc = self.npcs.states.get(fighter_id)
            if npc is not None:
                if npc.target == entity_id:
                    npc_rules.start_return(npc)
                    self.npcs.sync(npc)
                    self.npcs.wake(fighter_id, now)
                    del self.active[fighter_id]
                continue
            fighter = self.engine.entities.get(fighter_id)
            if fighter is not None and fighter.combat_target == entity_id:
                fighter.combat_target = None
