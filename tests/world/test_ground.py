"""
Tests for L{rpg.world.ground}: dropping, picking up, private and public time,
despawning, who is told, and the durable snapshot.
"""

import random

import pytest

from rpg.config import Tunables
from rpg.content import Content
from rpg.models import GroundItemState, ItemStack
from rpg.world.errors import (
    GroundItemsUnavailable, InvalidQuantity, InvalidSlot, InventoryFull, ItemNotFound,
    PickupOutOfRange, SlotEmpty)
from rpg.world.game import GameWorld
from rpg.world.ground import CountingNumbers
from rpg.world.items import ItemCatalog, ItemDef

from .worldmaps import ListedNumbers, character, open_map

COINS = ItemDef(2, "coins", "Coins", stackable=True)
SWORD = ItemDef(5, "bronze_sword", "Bronze sword", equipment_slot="weapon")
RUNE = ItemDef(11, "rune_sword", "Rune sword", equipment_slot="weapon", rarity="rare")
GEM = ItemDef(20, "sapphire", "Sapphire", rarity="uncommon")
BONES = ItemDef(39, "bones", "Bones")
CATALOG = ItemCatalog([COINS, SWORD, RUNE, GEM, BONES])
TUNABLES = Tunables()


def make_game(numbers=None):
    maps = {"open": open_map(256, 256), "cave": open_map(64, 64, map_id="cave")}
    return GameWorld(Content(maps, CATALOG, {}), "open", TUNABLES, rng=random.Random(1),
                     ground_item_numbers=numbers)


def enter(game, player_id, x, y, inventory=None, map_id="open", now=0.0):
    """Add a player carrying C{inventory} ({slot: ItemStack}) and welcome it."""
    game.add_player(character(player_id, x, y, map_id=map_id, inventory=inventory or {}), now)
    return game.welcome_messages(player_id)


def tick(game, now):
    """Run one tick's world part; return ground item events as {player id: payload}."""
    game.step(now)
    game.compute_updates()
    found = {}
    for player_ids, message_type, payload in game.drain_events():
        if message_type != "event_ground_items_update":
            continue
        for player_id in player_ids:
            assert player_id not in found, f"player {player_id} got two ground updates"
            found[player_id] = payload
    return found


def added_ids(payload):
    return [entry["ground_item_id"] for entry in payload["added"]]


@pytest.fixture
def game():
    game = make_game()
    enter(game, 1, 5, 5, {0: ItemStack(2, 100), 1: ItemStack(5), 2: ItemStack(11)})
    enter(game, 2, 6, 5)
    enter(game, 3, 200, 200)
    tick(game, 0.0)
    return game


# -- dropping
def test_drop_whole_stack_replies_and_updates_inventory(game):
    """Dropping a slot without quantity drops the whole stack and empties the slot."""
    reply = game.drop_item(1, 1, None, 1.0)
    assert reply == {"ground_item_id": "ground_item_1", "item_id": 5, "quantity": 1}
    assert 1 not in game.player(1).inventory
    events = game.drain_events()
    assert events == [((1,), "event_inventory_update", {"inventory": {"1": None}})]
    assert 1 in game.dirty_player_ids()


def test_drop_part_of_a_stack_leaves_the_rest(game):
    """Dropping a quantity of a stackable leaves the rest in the slot."""
    reply = game.drop_item(1, 0, 30, 1.0)
    assert reply["quantity"] == 30 and reply["item_id"] == 2
    assert game.player(1).inventory[0] == ItemStack(2, 70)
    (_, _, payload), = game.drain_events()
    assert payload["inventory"]["0"]["quantity"] == 70


@pytest.mark.parametrize("slot, quantity, error", [
    (28, None, InvalidSlot), ("0", None, InvalidSlot), (5, None, SlotEmpty),
    (0, 0, InvalidQuantity), (0, 101, InvalidQuantity), (0, True, InvalidQuantity)])
def test_bad_drop_changes_nothing(game, slot, quantity, error):
    """A refused drop leaves the inventory, the ground and the save marks alone."""
    game.mark_saved([1])
    with pytest.raises(error):
        game.drop_item(1, slot, quantity, 1.0)
    assert game.player(1).inventory[0] == ItemStack(2, 100)
    assert game.ground.items == {} and game.dirty_player_ids() == set()
    assert game.ground_items_snapshot(1.0) is None


def test_ground_item_ids_increase(game):
    """Each drop gets the next ground_item_<n>."""
    ids = [game.drop_item(1, 0, 1, 1.0)["ground_item_id"] for _ in range(3)]
    assert ids == ["ground_item_1", "ground_item_2", "ground_item_3"]


# -- who is told
def test_private_drop_is_shown_to_its_owner_only(game):
    """A fresh drop is sent to its owner alone, with its spec fields and name."""
    game.drop_item(1, 1, None, 1.0)
    got = tick(game, 1.05)
    assert set(got) == {1}
    assert got[1] == {"added": [{
        "ground_item_id": "ground_item_1", "item_id": 5, "quantity": 1, "x": 5, "y": 5,
        "map_id": "open", "owner_id": 1, "despawn_time": 121.0, "name": "Bronze sword"}],
        "removed": []}


def test_item_turning_public_reaches_other_observers(game):
    """When the private time ends, observers other than the owner get the item, owner_id null."""
    game.drop_item(1, 1, None, 1.0)
    tick(game, 1.05)
    assert tick(game, 60.9) == {}
    got = tick(game, 61.0)
    assert set(got) == {2}
    assert got[2]["added"][0]["owner_id"] is None
    assert got[2]["added"][0]["ground_item_id"] == "ground_item_1"


def test_welcome_lists_visible_items_only(game):
    """A welcome shows public items in view and the player's own private ones."""
    game.drop_item(1, 1, None, 1.0)  # private to 1
    game.drop_item(1, 0, 5, 1.0)
    tick(game, 61.0)  # both public now
    game.drop_item(1, 2, None, 62.0)  # private to 1 again
    tick(game, 62.0)
    messages = dict(enter(game, 4, 7, 7, now=62.0))
    ground = messages["event_ground_items_update"]
    assert added_ids(ground) == ["ground_item_1", "ground_item_2"]
    assert ground["removed"] == []
    game.remove_player(1)
    messages = dict(enter(game, 1, 5, 5, now=63.0))
    assert added_ids(messages["event_ground_items_update"]) == [
        "ground_item_1", "ground_item_2", "ground_item_3"]


def test_moving_into_view_adds_and_out_of_view_removes(game):
    """A player whose chunk changes gets items newly in view added and those left behind removed."""
    game.drop_item(1, 0, 5, 1.0)
    tick(game, 61.0)
    enter(game, 5, 40, 5, now=61.0)  # chunk 2: item at chunk 0 out of view
    tick(game, 61.05)
    game.move(5, "LEFT", 61.1)  # 39 -> chunk 2 still
    assert 5 not in tick(game, 61.1)
    game.engine.place(game.player(5), "open", 31, 5)  # chunk 1: sees chunk 0
    got = tick(game, 61.2)
    assert added_ids(got[5]) == ["ground_item_1"] and got[5]["removed"] == []
    game.engine.place(game.player(5), "open", 48, 5)
    got = tick(game, 61.3)
    assert got[5] == {"added": [], "removed": ["ground_item_1"]}


def test_map_change_shows_the_new_maps_items_only(game):
    """After a teleport to another map the player gets that map's items, and nothing of
    the old map's (its client drops them); back on the old map it sees them again."""
    game.drop_item(1, 0, 5, 1.0)
    tick(game, 1.0)
    game.engine.teleport(1, "cave", 5, 5)
    got = tick(game, 1.05)
    assert got[1] == {"added": [], "removed": []}
    game.engine.teleport(1, "open", 6, 5)
    got = tick(game, 1.1)
    assert added_ids(got[1]) == ["ground_item_1"] and got[1]["removed"] == []


def test_one_update_per_player_per_tick(game):
    """A drop, a pickup and a move in one tick reach a player as one event."""
    game.drop_item(1, 0, 5, 1.0)
    tick(game, 61.0)
    game.drop_item(1, 0, 5, 62.0)
    game.pickup_item(2, "ground_item_1", 62.0)
    game.engine.place(game.player(1), "open", 20, 5)
    got = tick(game, 62.0)  # tick() fails on a second event to one player
    assert added_ids(got[1]) == ["ground_item_2"] and got[1]["removed"] == ["ground_item_1"]
    assert got[2] == {"added": [], "removed": ["ground_item_1"]}


def test_nothing_changed_nothing_sent(game):
    """With no ground change and no view change, no ground update is sent."""
    game.drop_item(1, 0, 5, 1.0)
    tick(game, 1.0)
    game.move(2, "RIGHT", 2.0)  # same chunk
    assert tick(game, 2.0) == {}


# -- picking up
def test_pickup_moves_item_into_inventory_and_tells_observers(game):
    """A pickup replies with the item and slot, updates the inventory, removes the item for observers."""
    game.drop_item(1, 0, 5, 1.0)
    tick(game, 61.0)
    game.drain_events()
    reply = game.pickup_item(2, "ground_item_1", 62.0)
    assert reply == {"item": {"item_id": 2, "quantity": 5, "name": "Coins"}, "inventory_slot": 0}
    assert game.player(2).inventory == {0: ItemStack(2, 5)}
    assert 2 in game.dirty_player_ids()
    got = tick(game, 62.0)
    assert got[1] == got[2] == {"added": [], "removed": ["ground_item_1"]}
    assert 3 not in got


def test_pickup_merges_a_stack_into_its_slot(game):
    """Picked-up coins join the coins already carried, and the reply names that slot."""
    game.drop_item(1, 0, 5, 1.0)
    reply = game.pickup_item(1, "ground_item_1", 2.0)
    assert reply["inventory_slot"] == 0
    assert game.player(1).inventory[0] == ItemStack(2, 100)


def test_private_item_is_not_found_by_others(game):
    """Someone else's private item is INVENTORY_ITEM_NOT_FOUND until it turns public."""
    game.drop_item(1, 1, None, 1.0)
    with pytest.raises(ItemNotFound):
        game.pickup_item(2, "ground_item_1", 60.9)
    assert game.pickup_item(2, "ground_item_1", 61.0)["item"]["item_id"] == 5


@pytest.mark.parametrize("bad", [None, 1, "ground_item_9", "ground_item_x", "ground_item_01",
                                 "GROUND_ITEM_1", "ground_item_1 "])
def test_unknown_or_malformed_id_is_not_found(game, bad):
    """A missing item, or an id that is not a ground item id, is INVENTORY_ITEM_NOT_FOUND."""
    game.drop_item(1, 0, 5, 1.0)
    with pytest.raises(ItemNotFound):
        game.pickup_item(1, bad, 2.0)


@pytest.mark.parametrize("x, y, ok", [(5, 5, True), (6, 6, True), (4, 4, True),
                                      (7, 5, False), (5, 3, False)])
def test_pickup_range_is_chebyshev_one(game, x, y, ok):
    """The player must stand on the item's tile or next to it, diagonals included."""
    game.drop_item(1, 0, 5, 1.0)
    game.engine.place(game.player(1), "open", x, y)
    if ok:
        assert game.pickup_item(1, "ground_item_1", 2.0)["item"]["quantity"] == 5
    else:
        with pytest.raises(PickupOutOfRange) as info:
            game.pickup_item(1, "ground_item_1", 2.0)
        assert info.value.details == {"distance": max(abs(x - 5), abs(y - 5))}
        assert 1 in game.ground.items


def test_pickup_from_another_map_is_not_found(game):
    """An item on another map, even at the same coordinates, is not visible: not found."""
    game.drop_item(1, 0, 5, 1.0)
    game.engine.teleport(1, "cave", 5, 5)
    with pytest.raises(ItemNotFound):
        game.pickup_item(1, "ground_item_1", 2.0)


def test_pickup_with_full_inventory_leaves_the_item(game):
    """With no room the pickup is INVENTORY_FULL and the item stays on the ground."""
    game.drop_item(1, 1, None, 1.0)
    game.player(1).inventory.update({slot: ItemStack(39) for slot in range(28)})
    with pytest.raises(InventoryFull):
        game.pickup_item(1, "ground_item_1", 2.0)
    assert 1 in game.ground.items


def test_racing_pickups_one_wins(game):
    """Of two pickups of one item in a tick, the first gets it and the second is not found."""
    game.drop_item(1, 0, 5, 1.0)
    tick(game, 61.0)
    game.pickup_item(2, "ground_item_1", 62.0)
    with pytest.raises(ItemNotFound):
        game.pickup_item(1, "ground_item_1", 62.0)
    assert game.player(1).inventory[0] == ItemStack(2, 95)
    assert game.player(2).inventory == {0: ItemStack(2, 5)}


# -- despawning
@pytest.mark.parametrize("slot, lifetime", [(0, 120.0), (2, 300.0)])
def test_items_despawn_by_rarity(game, slot, lifetime):
    """Items vanish their rarity's despawn time after the drop, and observers are told."""
    game.drop_item(1, slot, 1, 10.0)
    tick(game, 10.0)
    tick(game, 70.0)  # public
    assert tick(game, 10.0 + lifetime - 0.05) == {}
    got = tick(game, 10.0 + lifetime)
    assert got[1] == {"added": [], "removed": ["ground_item_1"]}
    assert game.ground.items == {}


def test_despawned_item_is_not_found_before_the_tick_removes_it(game):
    """A pickup at or after the despawn time fails even if the tick has not removed it yet."""
    game.drop_item(1, 0, 5, 0.0)
    with pytest.raises(ItemNotFound):
        game.pickup_item(1, "ground_item_1", 120.0)


def test_uncommon_despawn_time(game):
    """An uncommon item's despawn_time is drop time + despawn_uncommon_s."""
    items = game.ground.drop_stacks("open", 5, 5, [ItemStack(20)], None, 3.0)
    assert items[0].despawn_at == 183.0


# -- drop_stacks
def test_drop_stacks_splits_non_stackables_and_keeps_owner(game):
    """Loot: each non-stackable piece is its own ground item, private to the owner."""
    items = game.ground.drop_stacks("open", 6, 6, [ItemStack(39, 2), ItemStack(2, 7)], 2, 1.0)
    assert [(i.item_id, i.quantity, i.owner_id) for i in items] == [
        (39, 1, 2), (39, 1, 2), (2, 7, 2)]
    got = tick(game, 1.0)
    assert set(got) == {2} and len(got[2]["added"]) == 3


def test_drop_stacks_without_owner_is_public(game):
    """Stacks dropped for nobody are public at once."""
    game.ground.drop_stacks("open", 6, 6, [ItemStack(2, 7)], None, 1.0)
    got = tick(game, 1.0)
    assert set(got) == {1, 2} and got[1]["added"][0]["owner_id"] is None


# -- durability
def test_snapshot_only_when_changed_with_wall_clock_times(game):
    """The snapshot is None until a change, then the whole set in wall-clock time, once."""
    assert game.ground_items_snapshot(1000.0) is None
    game.drop_item(1, 0, 5, 1.0)
    tick(game, 1.0)
    snapshot = game.ground_items_snapshot(1000.0)
    assert snapshot == [GroundItemState(1, 2, 5, "open", 5, 5, 1, 1060.0, 1120.0)]
    assert game.ground_items_snapshot(1000.0) is None
    game.mark_ground_items_unsaved()
    assert len(game.ground_items_snapshot(1000.0)) == 1


def test_pickup_marks_the_ground_set_changed(game):
    """A pickup makes the next snapshot carry the (now smaller) set."""
    game.drop_item(1, 0, 5, 1.0)
    game.ground_items_snapshot(1.0)
    game.pickup_item(1, "ground_item_1", 2.0)
    assert game.ground_items_snapshot(2.0) == []


def test_restore_drops_expired_and_continues_ids():
    """Restoring keeps live items (public when due), drops expired ones, and ids go on after the max."""
    game = make_game()
    game.restore_ground_items([
        GroundItemState(3, 2, 5, "open", 5, 5, 1, 1000.0, 1100.0),
        GroundItemState(4, 2, 6, "open", 5, 5, 1, 1060.0, 1120.0),
        GroundItemState(9, 5, 1, "open", 5, 5, None, 900.0, 1010.0),
    ], 1050.0)
    assert sorted(game.ground.items) == [3, 4]
    assert game.ground.items[3].public and not game.ground.items[4].public
    enter(game, 2, 6, 5, {0: ItemStack(5)}, now=1050.0)
    assert game.drop_item(2, 0, None, 1051.0)["ground_item_id"] == "ground_item_10"
    assert game.pickup_item(2, "ground_item_3", 1051.0)["item"]["quantity"] == 5
    with pytest.raises(ItemNotFound):
        game.pickup_item(2, "ground_item_4", 1051.0)
    tick(game, 1051.0)
    assert sorted(s.ground_item_id for s in game.ground_items_snapshot(1051.0)) == [4, 10]


def test_picked_up_items_leave_no_timers_behind(game):
    """Drop and pick up 500 times: the timer heap does not grow with the picked-up items,
    and the item still on the ground keeps its timers (it turns public and despawns on time)."""
    game.drop_item(1, 2, None, 1.0)                     # the rune sword stays on the ground
    for n in range(500):
        reply = game.drop_item(1, 1, None, 1.0 + n / 1000)
        game.pickup_item(1, reply["ground_item_id"], 1.0 + n / 1000)
    timers = game.ground._timers
    assert len(timers._heap) <= 8 and {number for number, _ in timers._at} <= set(game.ground.items)
    assert len(game.ground.items) == 1
    assert added_ids(tick(game, 62.0)[2]) == ["ground_item_1"]   # public after 60 s
    tick(game, 302.0)
    assert game.ground.items == {} and game.ground._timers._heap == []


# -- where ground item numbers come from
def test_counting_numbers_count_up_and_skip_seen_ones():
    """The default source counts from 1 and never hands out a number restored (or below it)."""
    numbers = CountingNumbers()
    assert [numbers.take(), numbers.take()] == [1, 2]
    numbers.seen(7)
    numbers.seen(3)
    assert numbers.take() == 8


def test_new_items_take_the_numbers_they_are_given():
    """Drops and drop_stacks number items from the world's source of numbers, in order."""
    game = make_game(ListedNumbers([1001, 1002, 1003, 5000]))
    enter(game, 1, 5, 5, {0: ItemStack(2, 100), 1: ItemStack(5)})
    assert game.drop_item(1, 1, None, 1.0)["ground_item_id"] == "ground_item_1001"
    game.ground.drop_stacks("open", 5, 5, [ItemStack(5, 3)], None, 1.0)
    assert sorted(game.ground.items) == [1001, 1002, 1003, 5000]
    assert game.pickup_item(1, "ground_item_5000", 2.0)["item"]["item_id"] == 5


def test_restore_tells_the_source_of_numbers_what_is_stored():
    """Every restored number, despawned ones included, is reported to the source as in use."""
    numbers = ListedNumbers([])
    game = make_game(numbers)
    game.restore_ground_items([GroundItemState(3, 2, 5, "open", 5, 5, 1, 1000.0, 1100.0),
                               GroundItemState(9, 5, 1, "open", 5, 5, None, 900.0, 1010.0)],
                              1050.0)
    assert numbers.seen_numbers == [3, 9]


def test_drop_without_a_number_is_refused_and_changes_nothing():
    """No number at hand: cmd_inventory_drop fails, the stack stays, nothing lies on the ground."""
    game = make_game(ListedNumbers([]))
    enter(game, 1, 5, 5, {0: ItemStack(2, 100)})
    tick(game, 0.0)
    with pytest.raises(GroundItemsUnavailable):
        game.drop_item(1, 0, 10, 1.0)
    assert game.player(1).inventory == {0: ItemStack(2, 100)}
    assert game.ground.items == {} and game.ground_items_snapshot(1.0) is None
    assert tick(game, 1.0) == {}


def test_drop_stacks_short_of_numbers_drops_nothing():
    """Three pieces with two numbers at hand: none is dropped, and both numbers stay unused."""
    numbers = ListedNumbers([7, 8])
    game = make_game(numbers)
    with pytest.raises(GroundItemsUnavailable):
        game.ground.drop_stacks("open", 5, 5, [ItemStack(5, 3)], None, 1.0)
    assert game.ground.items == {} and numbers.numbers == [7, 8]
