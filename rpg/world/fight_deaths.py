"""
What fights leave behind: NPC and player deaths with their drops, and
player respawns after C{respawn_delay_s}.
"""

from rpg.models import ItemStack
from rpg.world.errors import GroundItemsUnavailable
from rpg.world.npc_definitions import roll_loot
from rpg.world.schedule import Schedule


class Deaths:
    """
    @param engine: the L{rpg.world.engine.Engine}.
    @param npcs: the L{rpg.world.npc_life.NpcPopulation}.
    @param fighters: the L{rpg.world.fighters.Fighters} (records, who is active).
    @param catalog: the L{rpg.world.items.ItemCatalog} (loot keys to items).
    @param rng: the world's C{random.Random} (loot rolls).
    @param emit: C{emit(player_ids, message_type, payload)} queues an event.
    @param respawn_delay_s: how long a dead player waits.
    @param drop_stacks: C{drop_stacks(map_id, x, y, stacks, owner_id, now)}
        puts items on the ground (L{rpg.world.ground.GroundItems.drop_stacks});
        C{None}: nothing is dropped and a dead player keeps its inventory.
    """

    def __init__(self, engine, npcs, fighters, catalog, rng, emit, respawn_delay_s,
                 drop_stacks=None):
        self.engine = engine
        self.npcs = npcs
        self.fighters = fighters
        self.catalog = catalog
        self.rng = rng
        self.emit = emit
        self.respawn_delay_s = respawn_delay_s
        self.drop_stacks = drop_stacks
        self._respawns = Schedule(ties="key")  # player id

    def _drop(self, map_id, x, y, stacks, owner_id, now):
        """
        Put stacks on the ground; C{False} when ground items are not
        available, or no ground item numbers are for now (then nothing is
        dropped: a dead player keeps its inventory, an NPC's loot is not
        made, and no item is ever duplicated).
        """
        if self.drop_stacks is None or not stacks:
            return self.drop_stacks is not None
        try:
            self.drop_stacks(map_id, x, y, stacks, owner_id, now)
        except GroundItemsUnavailable:
            return False
        return True

    def npc_died(self, npc_id, killer, now):
        """An NPC reached 0 HP: it leaves until its respawn; its loot drops for C{killer}."""
        npc = self.npcs.states[npc_id]
        map_id, x, y = self.npcs.map_of[npc_id], npc.x, npc.y
        self.fighters.active.pop(npc_id, None)
        self.npcs.died(npc_id, now)
        drops = []
        for key, quantity in roll_loot(npc.definition, self.rng):
            defn = self.catalog.by_key(key)
            if defn is not None:
                drops.append(ItemStack(defn.item_id, quantity))
        owner = killer.player_id if killer is not None and killer.type == "player" else None
        self._drop(map_id, x, y, drops, owner, now)

    def player_died(self, player, killer, now):
        """
        A player reached 0 HP: it is dead until C{respawn_delay_s} from
        C{now}, whoever fought it stops, watchers are told, and its inventory
        drops, private to it.
        """
        rec = self.fighters.record(player.player_id)
        rec.dead = True
        self._respawns.set(player.player_id, now + self.respawn_delay_s)
        self.fighters.active.pop(player.id, None)
        player.combat_target = None
        self.fighters.stop_attackers_of(player.id, now)
        self.engine.set_field(player, "current_hp", 0)
        self.engine.set_field(player, "animation_state", "dead")
        map_id, x, y = player.map_id, player.x, player.y
        if killer is None:
            killer_view = None
        elif killer.type == "player":
            killer_view = {"id": killer.id, "name": killer.username, "type": "player"}
        else:
            killer_view = {"id": killer.id, "name": killer.name, "type": "npc"}
        watchers = set(self.engine.observers_of_tile(map_id, x, y)) | {player.player_id}
        self.emit(sorted(watchers), "event_player_died", {
            "player_id": player.player_id, "username": player.username,
            "death_position": {"x": x, "y": y, "map_id": map_id}, "killer": killer_view})
        stacks = [player.inventory[slot] for slot in sorted(player.inventory)]
        if stacks and self._drop(map_id, x, y, stacks, player.player_id, now):
            emptied = {str(slot): None for slot in sorted(player.inventory)}
            player.inventory.clear()
            self.emit([player.player_id], "event_inventory_update", {"inventory": emptied})
        self.engine.mark_unsaved([player.player_id])

    def respawn_at(self, player_id):
        """When a dead player comes back, or C{None}."""
        return self._respawns.when(player_id)

    def step(self, now):
        """Respawn the dead players whose time came."""
        for player_id in self._respawns.pop_due(now):
            player = self.engine.players.get(player_id)
            if player is not None and self.fighters.is_dead(player_id):
                self.respawn(player, now)

    def respawn(self, player, now, announce=True):
        """
        Bring a player back at its map's respawn point at full HP; with
        C{announce}, its watchers are told and aggressive NPCs near wake.
        """
        rec = self.fighters.record(player.player_id)
        rec.dead = False
        rec.last_swing_at = None
        self._respawns.cancel(player.player_id)
        map_id, x, y = self.engine.respawn_point(player.map_id)
        self.engine.teleport(player.player_id, map_id, x, y, now)
        self.engine.set_field(player, "current_hp", player.max_hp)
        self.engine.set_field(player, "animation_state", "idle")
        self.engine.mark_unsaved([player.player_id])
        if not announce:
            return
        watchers = set(self.engine.observers_of_tile(map_id, x, y)) | {player.player_id}
        self.emit(sorted(watchers), "event_player_respawned", {
            "player_id": player.player_id, "username": player.username,
            "spawn_position": {"x": x, "y": y, "map_id": map_id},
            "current_hp": player.current_hp, "max_hp": player.max_hp})
        self.npcs.wake_near(map_id, x, y, now)

    def forget(self, player_id):
        """The player left: no respawn is pending for it."""
        self._respawns.cancel(player_id)
