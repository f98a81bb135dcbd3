"""
Items lying on the ground: dropping, picking up, private and public time,
despawning, who is told about which item, and their durable snapshot.

Plain data and functions: no Twisted, no I/O.  Time enters as C{now} (the
tick's clock, epoch seconds on a real server).  The rules are described in
``docs/ground-items.md``.

Who knows what: for every welcomed player the set of ground item numbers its
client has been told about, and the chunk it was computed from.  Changes to
items during a tick are collected; L{GroundItems.send_updates}, called once
per tick before the engine clears its dirty chunks, tells the observers of
each changed item and recomputes the whole view only of players whose chunk
changed.  Each player gets at most one C{event_ground_items_update} a tick.
"""

import re

from rpg.models import GroundItemState
from rpg.world import inventory as inv
from rpg.world.errors import GroundItemsUnavailable, ItemNotFound, PickupOutOfRange
from rpg.world.items import item_payload
from rpg.world.schedule import Schedule
from rpg.world.spatial import chunk_key

_WIRE_ID = re.compile(r"ground_item_([1-9][0-9]{0,17})\Z")
_PUBLIC, _DESPAWN = 0, 1


def wire_id(number):
    """The wire id of ground item C{number}: C{"ground_item_<n>"}."""
    return f"ground_item_{number}"


def parse_wire_id(value):
    """
    The number in a wire id.

    @raise ItemNotFound: for anything but a string C{"ground_item_<n>"}.
    """
    match = _WIRE_ID.match(value) if isinstance(value, str) else None
    if match is None:
        raise ItemNotFound()
    return int(match.group(1))


class CountingNumbers:
    """
    Ground item numbers counted up from 1 in this world alone, after the
    largest one restored: the world's default, deterministic, for a world
    that is the only one numbering ground items on its database (tests, the
    harness).  A server hands the world numbers reserved from the database
    instead (L{rpg.services.ground_numbers.ReservedNumbers}), unique across
    processes.

    Every source of numbers has these three methods; the world asks
    L{available} before it takes, and refuses a drop it has no number for.
    """

    def __init__(self, first=1):
        self._next = first

    def available(self):
        """How many numbers L{take} can hand out now, without waiting."""
        return float("inf")

    def take(self):
        """The next number, never handed out before (while L{available} is at
        least 1)."""
        number = self._next
        self._next += 1
        return number

    def seen(self, number):
        """C{number} is in use (a restored item): never hand it out."""
        self._next = max(self._next, number + 1)


class GroundItem:
    """
    One stack on one tile.  C{owner_id} is who it was dropped for (C{None}:
    nobody); until it is C{public} only that player sees it and may take it.
    """

    __slots__ = ("number", "item_id", "quantity", "map_id", "x", "y", "owner_id",
                 "public_at", "despawn_at", "public")

    def __init__(self, number, item_id, quantity, map_id, x, y, owner_id,
                 public_at, despawn_at, public=False):
        self.number = number
        self.item_id = item_id
        self.quantity = quantity
        self.map_id = map_id
        self.x = x
        self.y = y
        self.owner_id = owner_id
        self.public_at = public_at
        self.despawn_at = despawn_at
        self.public = public or owner_id is None

    def visible_to(self, player_id, now):
        """May C{player_id} see and take it at C{now} (despawn aside)?"""
        return (self.public or self.owner_id == player_id
                or (now is not None and now >= self.public_at))


class GroundItems:
    """
    Every ground item of one world.

    @param engine: the L{rpg.world.engine.Engine} (players, chunks, observers).
    @param catalog: the L{rpg.world.items.ItemCatalog}.
    @param tunables: L{rpg.config.Tunables} (C{ground_item_private_s},
        C{despawn_common_s}, C{despawn_uncommon_s}, C{despawn_rare_s}).
    @param emit: C{emit(player_ids, message_type, payload)} queues an event.
    @param numbers: where new ground item numbers come from (L{CountingNumbers}
        by default): C{available()}, C{take()} and C{seen(number)}.
    """

    def __init__(self, engine, catalog, tunables, emit, numbers=None):
        self.engine = engine
        self.catalog = catalog
        self.tunables = tunables
        self.emit = emit
        self.numbers = CountingNumbers() if numbers is None else numbers
        self.items = {}  # number -> GroundItem
        self._by_chunk = {}  # chunk key -> set of numbers
        self._timers = Schedule(ties="key")  # (number, _PUBLIC | _DESPAWN)
        self._known = {}  # player id -> set of numbers its client holds
        self._view_key = {}  # player id -> chunk key that set was computed from
        self._touched = {}  # number -> GroundItem added, removed or made public this tick
        self._changed = False  # since the last snapshot
        self._now = None  # the latest tick time seen

    # -- placing and taking
    def drop_stacks(self, map_id, x, y, stacks, owner_id, now):
        """
        Put stacks on a tile, private to C{owner_id} (C{None}: public at
        once): NPC loot for its killer, a dead player's inventory.  A
        non-stackable stack of several becomes one ground item per piece.
        The caller marks changed players unsaved (L{rpg.world.engine.Engine.mark_unsaved}).

        @param stacks: L{rpg.models.ItemStack}s (or anything with C{item_id}
            and C{quantity}).
        @return: the new L{GroundItem}s.
        @raise GroundItemsUnavailable: not enough ground item numbers for
            every piece now; nothing was dropped.
        """
        self._now = now
        pieces = []
        for stack in stacks:
            defn = self.catalog.get(stack.item_id)
            if defn is not None and not defn.stackable and stack.quantity > 1:
                pieces.extend([(stack.item_id, 1)] * stack.quantity)
            else:
                pieces.append((stack.item_id, stack.quantity))
        if self.numbers.available() < len(pieces):
            raise GroundItemsUnavailable()
        return [self._add(item_id, quantity, map_id, x, y, owner_id, now)
                for item_id, quantity in pieces]

    def drop_from_inventory(self, player_id, slot, quantity, now):
        """
        C{cmd_inventory_drop}: the stack in C{slot}, or C{quantity} of it, on
        the player's tile, private to the player.

        @return: the reply C{{ground_item_id, item_id, quantity}}.
        @raise InvalidSlot, SlotEmpty, InvalidQuantity, GroundItemsUnavailable:
            nothing changed.
        """
        if self.numbers.available() < 1:
            raise GroundItemsUnavailable()
        player = self.engine.players[player_id]
        taken = inv.remove_from_slot(player.inventory, slot, quantity)
        left = player.inventory.get(slot)
        self._inventory_changed(player_id, {slot: left})
        item = self._add(taken.item_id, taken.quantity, player.map_id, player.x, player.y,
                         player_id, now)
        return {"ground_item_id": wire_id(item.number), "item_id": item.item_id,
                "quantity": item.quantity}

    def pickup(self, player_id, ground_item_id, now):
        """
        C{cmd_pickup_item}: take a ground item on or next to the player's tile.

        @return: the reply C{{item: {item_id, quantity, name}, inventory_slot}}.
        @raise ItemNotFound: not a ground item id, gone, despawned, private
            to someone else, or on another map (none of these can the player see).
        @raise PickupOutOfRange: on the player's map, further than one tile.
        @raise InventoryFull: no room; the item stays.
        """
        number = parse_wire_id(ground_item_id)
        item = self.items.get(number)
        player = self.engine.players[player_id]
        if (item is None or now >= item.despawn_at or not item.visible_to(player_id, now)
                or player.map_id != item.map_id):
            raise ItemNotFound()
        distance = max(abs(player.x - item.x), abs(player.y - item.y))
        if distance > 1:
            raise PickupOutOfRange(distance=distance)
        defn = inv.definition(self.catalog, item.item_id)
        changes = inv.add_item(player.inventory, defn, item.quantity)
        self._remove(item)
        self._inventory_changed(player_id, changes)
        return {"item": {"item_id": defn.item_id, "quantity": item.quantity, "name": defn.name},
                "inventory_slot": min(changes)}

    def _inventory_changed(self, player_id, changes):
        self.engine.mark_unsaved([player_id])
        wire = {str(slot): None if stack is None
                else item_payload(inv.definition(self.catalog, stack.item_id), stack.quantity)
                for slot, stack in sorted(changes.items())}
        self.emit([player_id], "event_inventory_update", {"inventory": wire})

    def _add(self, item_id, quantity, map_id, x, y, owner_id, now):
        defn = self.catalog.get(item_id)
        rarity = defn.rarity if defn is not None else "common"
        item = GroundItem(self.numbers.take(), item_id, quantity, map_id, x, y, owner_id,
                          public_at=now + self.tunables.ground_item_private_s,
                          despawn_at=now + getattr(self.tunables, f"despawn_{rarity}_s"))
        self._insert(item)
        self._touched[item.number] = item
        self._changed = True
        return item

    def _insert(self, item):
        self.items[item.number] = item
        self._by_chunk.setdefault(self._chunk(item), set()).add(item.number)
        if not item.public:
            self._timers.set((item.number, _PUBLIC), item.public_at)
        self._timers.set((item.number, _DESPAWN), item.despawn_at)

    def _remove(self, item):
        """Take an item off the ground; its timers go with it."""
        del self.items[item.number]
        self._timers.cancel((item.number, _PUBLIC))
        self._timers.cancel((item.number, _DESPAWN))
        key = self._chunk(item)
        numbers = self._by_chunk[key]
        numbers.discard(item.number)
        if not numbers:
            del self._by_chunk[key]
        self._touched[item.number] = item
        self._changed = True

    def _chunk(self, item):
        return chunk_key(item.map_id, item.x, item.y)

    # -- time
    def step(self, now):
        """Make items public and despawn them as their times come."""
        self._now = now
        for number, kind in self._timers.pop_due(now):
            item = self.items.get(number)
            if item is None:
                continue  # despawned earlier in this step, before its public time
            if kind == _DESPAWN:
                self._remove(item)
            elif not item.public:
                item.public = True
                self._touched[number] = item

    # -- who is told what
    def welcome_ground_items(self, player_id):
        """
        Every ground item the player sees now, as C{added} entries; recorded
        as what its client knows.
        """
        player = self.engine.players[player_id]
        visible = self._visible_from(player)
        self._known[player_id] = visible
        self._view_key[player_id] = player.chunk_key
        return [self.entry(self.items[n]) for n in sorted(visible)]

    def arrived(self, player_id):
        """A player that changed map on another process: its next update shows every item it sees here."""
        self._known[player_id] = frozenset()
        self._view_key[player_id] = self.engine.players[player_id].chunk_key

    def player_leaving(self, player_id):
        self._known.pop(player_id, None)
        self._view_key.pop(player_id, None)

    def entry(self, item):
        """An C{added} entry of C{event_ground_items_update}."""
        defn = self.catalog.get(item.item_id)
        return {"ground_item_id": wire_id(item.number), "item_id": item.item_id,
                "quantity": item.quantity, "x": item.x, "y": item.y, "map_id": item.map_id,
                "owner_id": None if item.public else item.owner_id,
                "despawn_time": item.despawn_at,
                "name": defn.name if defn is not None else None}

    def _visible_from(self, player):
        numbers = set()
        by_chunk = self._by_chunk
        items = self.items
        player_id = player.player_id
        for key in self.engine.spatial.neighbourhood(player.chunk_key):
            for number in by_chunk.get(key, ()):
                if items[number].visible_to(player_id, None):
                    numbers.add(number)
        return numbers

    def _moved_viewers(self):
        """The tracked players whose chunk is not the one their view was
        computed from.  Only players in chunks some entity entered this tick
        can have moved, so only those are looked at."""
        spatial = self.engine.spatial
        entities = self.engine.entities
        view_key = self._view_key
        moved = set()
        for key in spatial.entered:
            for entity_id in spatial.viewers.get(key, ()):
                player = entities[entity_id]
                recorded = view_key.get(player.player_id)
                if recorded is not None and recorded != player.chunk_key:
                    moved.add(player.player_id)
        return moved

    def _map_changed(self):
        """The welcomed players that changed map since the engine's last diff."""
        known = self._known
        players = self.engine.players
        return {p for p in self.engine.map_changed if p in known and p in players}

    def _show_new_map(self, player):
        """
        A player changed map: it gets every item it sees there in C{added}
        (an empty list when none) and nothing in C{removed}, as in its
        welcome: its client drops the old map's items when the map changes.
        """
        visible = self._visible_from(player)
        self._known[player.player_id] = visible
        self._view_key[player.player_id] = player.chunk_key
        self.emit([player.player_id], "event_ground_items_update",
                  {"added": [self.entry(self.items[n]) for n in sorted(visible)],
                   "removed": []})

    def send_updates(self):
        """
        Queue this tick's C{event_ground_items_update}s: one per player at
        most, players with the same news sharing one event.  Call once per
        tick after every command and step, before the engine's
        C{compute_updates} clears its dirty chunks.
        """
        touched, self._touched = self._touched, {}
        moved = self._moved_viewers()
        travellers = self._map_changed()
        if not touched and not moved and not travellers:
            return
        players = self.engine.players
        for player_id in sorted(travellers):
            self._show_new_map(players[player_id])
        moved -= travellers
        added, removed = {}, {}
        for player_id in moved:
            player = players[player_id]
            known = self._known[player_id]
            visible = self._visible_from(player)
            if visible - known:
                added[player_id] = sorted(visible - known)
            if known - visible:
                removed[player_id] = sorted(known - visible)
            self._known[player_id] = visible
            self._view_key[player_id] = player.chunk_key
        for number, item in sorted(touched.items()):
            present = self.items.get(number) is item
            for player_id in self.engine.observers_of_tile(item.map_id, item.x, item.y):
                known = self._known.get(player_id)
                if known is None or player_id in moved or player_id in travellers:
                    continue
                sees = present and item.visible_to(player_id, None)
                if sees and number not in known:
                    known.add(number)
                    added.setdefault(player_id, []).append(number)
                elif not sees and number in known:
                    known.discard(number)
                    removed.setdefault(player_id, []).append(number)
        self._emit_grouped(added, removed)

    def _emit_grouped(self, added, removed):
        groups = {}
        for player_id in set(added) | set(removed):
            news = (tuple(added.get(player_id, ())), tuple(removed.get(player_id, ())))
            groups.setdefault(news, []).append(player_id)
        entries = {}
        for (new, gone), player_ids in groups.items():
            shown = []
            for number in new:
                entry = entries.get(number)
                if entry is None:
                    entry = entries[number] = self.entry(self.items[number])
                shown.append(entry)
            self.emit(sorted(player_ids), "event_ground_items_update",
                      {"added": shown, "removed": [wire_id(n) for n in gone]})

    # -- durability
    def snapshot(self, wall_now):
        """
        The whole set as L{GroundItemState}s with wall-clock times, or
        C{None} when nothing changed since the last snapshot.  Taking it
        counts as saved: call L{mark_unsaved} if writing it fails.
        """
        if not self._changed:
            return None
        self._changed = False
        offset = 0.0 if self._now is None else wall_now - self._now
        return [GroundItemState(
            ground_item_id=item.number, item_id=item.item_id, quantity=item.quantity,
            map_id=item.map_id, x=item.x, y=item.y, owner_id=item.owner_id,
            public_at=item.public_at + offset, despawn_at=item.despawn_at + offset)
            for _, item in sorted(self.items.items())]

    def mark_unsaved(self):
        """The last snapshot was not written: the next one carries the set."""
        self._changed = True

    def forget_map(self, map_id):
        """
        Let go of every item on C{map_id} (this process no longer serves it:
        another process restored them and owns them now); nothing is emitted
        or saved for them.
        """
        for number in [n for n, item in self.items.items() if item.map_id == map_id]:
            item = self.items.pop(number)
            self._timers.cancel((number, _PUBLIC))
            self._timers.cancel((number, _DESPAWN))
            self._touched.pop(number, None)
            key = self._chunk(item)
            numbers = self._by_chunk.get(key)
            if numbers is not None:
                numbers.discard(number)
                if not numbers:
                    del self._by_chunk[key]

    def restore(self, items, wall_now):
        """
        Put back the saved set at start-up (before any player enters); items
        already despawned are left out.  New ids continue after the largest
        loaded one (the numbers' source is told of each, L{CountingNumbers.seen}).

        @param items: L{GroundItemState}s.
        @param wall_now: the current time, on the clock the ticks will use.
        """
        self._now = wall_now
        for state in items:
            self.numbers.seen(state.ground_item_id)
            if state.despawn_at <= wall_now:
                self._changed = True
                continue
            self._insert(GroundItem(
                state.ground_item_id, state.item_id, state.quantity, state.map_id,
                state.x, state.y, state.owner_id, state.public_at, state.despawn_at,
                public=state.public_at <= wall_now))
