"""
What fights leave behind: NPC and player deaths with their drops, player
respawns, and HP regeneration out of combat.

Part of L{rpg.world.fights.Fights}, kept here so each module stays small.
"""

import heapq

from rpg.models import ItemStack
from rpg.world.npc_definitions import roll_loot


class DeathsMixin:
    """
    Deaths, respawns and regeneration of L{rpg.world.fights.Fights}, mixed
    into it: it reads and updates the fights' C{world}, C{npcs}, C{records},
    C{active} and the respawn and regeneration heaps.
    """

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
        for key, quantity in roll_loot(npc.definition, self.rng):
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
        map_id, x, y = self.world.respawn_point(player.map_id)
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
