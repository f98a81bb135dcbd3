"""
The game's whole surface, in one class: L{GameWorld}.  The world service
holds one, hands it the commands clients send and calls L{GameWorld.tick}
once per tick; everything else in L{rpg.world} is a part it is built from:
the engine (players, NPCs, what each sees: L{rpg.world.engine}), the fights
(L{rpg.world.fights}), the ground items (L{rpg.world.ground}), the content
(items, NPCs) and the rules that use them.

Plain data and functions: no Twisted, no I/O.  Time enters as C{now}, chance
as C{rng}.  Events for players queue in C{self.events} and leave once per
tick, in the order of L{GameWorld.PHASES}.
"""

import random

from rpg.models import CharacterState
from rpg.world import inventory as inv
from rpg.world.engine import Engine
from rpg.world.entities import EQUIPMENT_SLOTS
from rpg.world.fights import Fights
from rpg.world.ground import GroundItems
from rpg.world.items import visual_payload
from rpg.world.plugins import ITEM_EFFECTS, NPC_BEHAVIOURS
from rpg.world.skills import levels, new_skills, skills_payload


class GameWorld:
    """
    The game: its commands (C{cmd_*}, C{query_*}, as the registry
    L{rpg.services.commands.COMMANDS} calls them), its players coming and
    going, its tick, and what is saved.

    @param content: the L{rpg.content.Content} (maps, items, NPCs).
    @param start_map: the map new players (and misplaced ones) start on.
    @param tunables: L{rpg.config.Tunables}.
    @param rng: the world's one C{random.Random}.
    @param effects: what consumable items do, by name (L{ITEM_EFFECTS} by default).
    @param behaviours: how idle NPCs move, by name (L{NPC_BEHAVIOURS} by default).
    @param ground_item_numbers: where new ground item numbers come from
        (L{rpg.world.ground.CountingNumbers} by default: counted in this
        world alone).
    @raise ValueError: an item or NPC names an effect or behaviour not registered.
    """

    def __init__(self, content, start_map, tunables, rng=None, effects=None, behaviours=None,
                 ground_item_numbers=None):
        self.content = content
        self.catalog = content.items
        self.tunables = tunables
        self.start_map = start_map
        self.rng = rng or random.Random()
        self.effects = ITEM_EFFECTS if effects is None else effects
        self.behaviours = NPC_BEHAVIOURS if behaviours is None else behaviours
        for item in self.catalog:
            if item.effect is not None:
                self.effects.check(item.effect, f"item {item.key!r}")
        self.engine = Engine(content.maps, start_map=start_map,
                           view_radius=tunables.view_radius_chunks,
                           move_cooldown_ms=tunables.move_cooldown_ms,
                           move_cooldown_tolerance_ms=tunables.move_cooldown_tolerance_ms,
                           rng=self.rng, visual_for=self.visual_for)
        self.events = []  # (player_ids, message_type, payload)
        self.ground = GroundItems(self.engine, self.catalog, tunables, self.emit,
                                  numbers=ground_item_numbers)
        self.fights = Fights(self.engine, content.npcs, self.catalog, tunables, self.rng,
                             self.behaviours, drop_stacks=self.ground.drop_stacks)

    # -- players
    def new_character(self):
        """A new player's first character: at the spawn, starting items, level 1."""
        x, y = self.content.maps[self.start_map].player_spawn
        skills = new_skills()
        return CharacterState(
            player_id=0, username="", map_id=self.start_map, x=x, y=y, facing="south",
            hp=10, skills=skills, inventory=inv.starting_inventory(self.catalog), equipment={})

    def visual_for(self, equipment):
        visual = dict.fromkeys(EQUIPMENT_SLOTS)
        for slot, stack in equipment.items():
            defn = self.catalog.get(stack.item_id)
            if defn is not None and slot in visual:
                visual[slot] = visual_payload(defn)
        return {"equipment": visual}

    def add_player(self, character, now):
        player = self.engine.add_player(character, now)
        self.fights.player_added(player.player_id, now)
        return player

    def arrive(self, character, now, walk=None):
        """
        Put in a player that crossed from a map served by another process:
        its next update shows it this map from scratch, exactly as after a
        portal crossed here (no welcome: its client knows it already).

        @param walk: its walk as the other process saw it
            (L{rpg.world.engine.Engine.walk_state}), or C{None}.
        """
        player = self.add_player(character, now)
        self.engine.arrived(player.player_id, now, walk)
        self.ground.arrived(player.player_id)
        return player

    def remove_player(self, player_id, now=None):
        """
        Take a player out (a dead one respawned first, so it is saved alive).

        @param now: when it leaves (C{None}: the latest tick's time).
        @return: its L{CharacterState}.
        """
        self.fights.player_leaving(player_id, now)
        self.ground.player_leaving(player_id)
        return self.engine.remove_player(player_id)

    def player(self, player_id):
        return self.engine.players[player_id]

    def welcome_payload(self, player_id):
        p = self.player(player_id)
        return {"player_id": p.player_id, "username": p.username, "x": p.x, "y": p.y,
                "map_id": p.map_id, "current_hp": p.current_hp, "max_hp": p.max_hp,
                "facing_direction": p.facing_direction, "animation_state": p.animation_state,
                "move_cooldown_ms": self.engine.move_cooldown_ms}

    def welcome_messages(self, player_id):
        """Everything after the welcome and the system line, in order."""
        p = self.player(player_id)
        ground = {"added": self.ground.welcome_ground_items(player_id), "removed": []}
        return [
            ("event_skills", skills_payload(p.skills)),
            ("event_inventory_update", {"inventory": inv.inventory_view(p.inventory, self.catalog)}),
            ("event_equipment_update", {"equipment": inv.equipment_view(p.equipment, self.catalog)}),
            ("event_game_update", self.engine.initial_view(player_id)),
            ("event_ground_items_update", ground),
        ]

    def character_state(self, player_id):
        return self.engine.character_state(player_id)

    def dirty_player_ids(self):
        return self.engine.dirty_player_ids()

    def mark_saved(self, player_ids):
        self.engine.mark_saved(player_ids)

    def mark_unsaved(self, player_ids):
        self.engine.mark_unsaved(player_ids)

    def players_near(self, player_id, radius_chunks):
        return self.engine.players_near(player_id, radius_chunks)

    def emit(self, player_ids, message_type, payload):
        if player_ids:
            self.events.append((tuple(player_ids), message_type, payload))

    # -- the tick
    # What a tick does after its commands, in order: time moves (NPCs,
    # fights, ground item timers), then what each player sees changes
    # (ground items first: they read the chunks the engine is about to
    # clear), then the events queued on the way leave.
    PHASES = ("world", "visibility", "out")

    def tick(self, now):
        """
        Run one tick's phases (L{PHASES}) at C{now}, after its commands.

        @return: what leaves, as data: a list of C{(player_ids,
            message_type, payload)}, in the order players get them.
        """
        out = []
        for _, events in self.tick_phases(now):
            out.extend(events)
        return out

    def tick_phases(self, now):
        """
        L{tick}, one phase at a time, for a caller that measures them: each
        phase runs when the iteration reaches it.

        @return: an iterator of C{(phase name, events)}, events as in L{tick}.
        """
        yield "world", self.step(now)
        yield "visibility", [(player_ids, "event_game_update", payload)
                             for player_ids, payload in self.compute_updates()]
        yield "out", self.drain_events()

    def step(self, now):
        # The tick's commands changed the world before time does: their
        # events (inventory and equipment updates) go out first, so that a
        # client applies every change in the order it was made.
        events, self.events = self.events, []
        events.extend(self.engine.step(now))
        events.extend(self.fights.step(now))
        self.ground.step(now)
        return events

    def compute_updates(self):
        """The C{event_game_update} payloads of the tick, as C{(player_ids, payload)}."""
        # Ground items first: they read the chunks the engine is about to clear.
        self.ground.send_updates()
        return self.engine.compute_updates()

    def drain_events(self):
        events, self.events = self.events, []
        return events

    # -- ground items (rpg.world.ground)
    def ground_items_snapshot(self, wall_now):
        """Every ground item as L{GroundItemState}s, or C{None} if unchanged since the last."""
        return self.ground.snapshot(wall_now)

    def mark_ground_items_unsaved(self):
        """The last ground items snapshot was not written; send the set again."""
        self.ground.mark_unsaved()

    def restore_ground_items(self, items, wall_now):
        self.ground.restore(items, wall_now)

    def forget_ground_items(self, map_id):
        """Let go of the ground items of a map this process no longer serves."""
        self.ground.forget_map(map_id)

    def drop_item(self, player_id, slot, quantity, now):
        return self.ground.drop_from_inventory(player_id, slot, quantity, now)

    def pickup_item(self, player_id, ground_item_id, now):
        return self.ground.pickup(player_id, ground_item_id, now)

    # -- commands
    def move(self, player_id, direction, now, received_at=None):
        self.fights.check_can_move(player_id)
        return self.engine.move(player_id, direction, now, received_at)

    def inventory_payload(self, player_id):
        return {"inventory": inv.inventory_view(self.player(player_id).inventory, self.catalog)}

    def equipment_payload(self, player_id):
        return {"equipment": inv.equipment_view(self.player(player_id).equipment, self.catalog)}

    def _apply_item_change(self, player, change):
        """Tell the player what an equip/unequip/use changed; mark it unsaved."""
        self.engine.mark_unsaved([player.player_id])
        if change.inventory_changes:
            self.emit([player.player_id], "event_inventory_update",
                      {"inventory": change.inventory_changes})
        if change.equipment_changes:
            self.emit([player.player_id], "event_equipment_update",
                      {"equipment": change.equipment_changes})
            self.engine.refresh_visual(player.player_id)

    def equip(self, player_id, inventory_slot, equipment_slot):
        player = self.player(player_id)
        change = inv.equip(player, self.catalog, inventory_slot, equipment_slot,
                           levels(player.skills))
        self._apply_item_change(player, change)
        return {"equipped_item": change.equipped_item,
                "unequipped_item": change.unequipped_item,
                "inventory_changes": change.inventory_changes}

    def unequip(self, player_id, equipment_slot):
        player = self.player(player_id)
        change = inv.unequip(player, self.catalog, equipment_slot)
        self._apply_item_change(player, change)
        return {"unequipped_item": change.unequipped_item,
                "inventory_slot": change.inventory_slot}

    def heal(self, player_id, amount):
        """
        Restore up to C{amount} hit points, never above the maximum, and
        none to a dead player waiting to respawn (for item effects,
        L{rpg.world.plugins.ITEM_EFFECTS}).

        @return: how many were restored.
        """
        player = self.player(player_id)
        if self.fights.is_dead(player_id):
            return 0
        restored = max(0, min(amount, player.max_hp - player.current_hp))
        if restored:
            self.engine.set_field(player, "current_hp", player.current_hp + restored)
            self.engine.mark_unsaved([player_id])
        return restored

    def use_item(self, player_id, slot, now=None):
        player = self.player(player_id)
        item = inv.item_in_slot(player, self.catalog, slot)
        if item.effect is not None:
            # The effect first: a refusal (a GameError) consumes nothing.
            effect = self.effects[item.effect](self, player, item, now)
            self._apply_item_change(player, inv.consume(player, self.catalog, slot))
            return {"result": "consumed", "effect": effect}
        change = inv.use_item(player, self.catalog, slot, player.current_hp, player.max_hp,
                              levels(player.skills))
        self._apply_item_change(player, change)
        if change.hp is not None:
            self.engine.set_field(player, "current_hp", change.hp)
        payload = {"result": change.result}
        if change.effect is not None:
            payload["effect"] = change.effect
        if change.result == "equipped":
            payload["equipped_item"] = change.equipped_item
        return payload

    # -- the commands clients send, as the registry calls them:
    #    (client, payload, now), client.player_id the sender; see
    #    rpg.protocol.messages for the rules and rpg.services.commands for
    #    the registrations.
    def cmd_move(self, client, payload, now, received_at=None):
        # The cooldown runs on arrival times (clarifications, "Movement").
        return self.move(client.player_id, payload.get("direction"), now, received_at)

    def query_inventory(self, client, payload, now):
        return self.inventory_payload(client.player_id)

    def query_equipment(self, client, payload, now):
        return self.equipment_payload(client.player_id)

    def cmd_inventory_use(self, client, payload, now):
        return self.use_item(client.player_id, payload.get("slot"), now)

    def cmd_equipment_equip(self, client, payload, now):
        return self.equip(client.player_id, payload.get("inventory_slot"),
                          payload.get("equipment_slot"))

    def cmd_equipment_unequip(self, client, payload, now):
        return self.unequip(client.player_id, payload.get("equipment_slot"))

    def cmd_inventory_drop(self, client, payload, now):
        return self.drop_item(client.player_id, payload.get("slot"), payload.get("quantity"),
                              now)

    def cmd_pickup_item(self, client, payload, now):
        return self.pickup_item(client.player_id, payload.get("ground_item_id"), now)

    def cmd_attack(self, client, payload, now):
        return self.fights.attack(client.player_id, payload.get("target_id"),
                                  payload.get("target_type"), now)

    def cmd_set_auto_retaliate(self, client, payload, now):
        return self.fights.set_auto_retaliate(client.player_id, payload.get("enabled"))
