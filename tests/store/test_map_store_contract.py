"""
The contract of map ownership in the store (IMapStore, and the per-map and
fenced parts of IPlayerStore.save_snapshot), run against every store.
"""

import pytest
import pytest_twisted
from zope.interface.verify import verifyObject

from rpg.interfaces import Fenced, IMapStore, StaleEpoch
from rpg.models import WorldSnapshot
from tests.store.test_contract import ground_item, new_character, register


def test_provides_map_store(any_store):
    """The store fully implements IMapStore."""
    assert verifyObject(IMapStore, any_store)


# -- ground items per map


@pytest_twisted.ensureDeferred
async def test_load_ground_items_of_named_maps_only(any_store):
    """load_ground_items(map_ids) returns the items of those maps, by number; None: all."""
    items = [ground_item(3, map_id="cave"), ground_item(1, map_id="town"),
             ground_item(2, map_id="forest"), ground_item(4, map_id="town")]
    await any_store.save_snapshot(WorldSnapshot(ground_items=items))
    assert await any_store.load_ground_items(["town"]) == [items[1], items[3]]
    assert await any_store.load_ground_items(("town", "cave", "nowhere")) == [
        items[1], items[0], items[3]]
    assert await any_store.load_ground_items([]) == []
    assert await any_store.load_ground_items() == [items[1], items[2], items[0], items[3]]


@pytest_twisted.ensureDeferred
async def test_snapshot_replaces_only_the_named_maps_items(any_store):
    """A snapshot naming maps replaces their items and leaves every other map's alone."""
    await any_store.save_snapshot(WorldSnapshot(ground_items=[
        ground_item(1, map_id="town"), ground_item(2, map_id="cave"),
        ground_item(3, map_id="forest")]))
    await any_store.save_snapshot(WorldSnapshot(
        ground_items=[ground_item(4, map_id="town")], ground_item_maps=("town", "cave")))
    assert await any_store.load_ground_items() == [
        ground_item(3, map_id="forest"), ground_item(4, map_id="town")]


@pytest_twisted.ensureDeferred
async def test_snapshot_refuses_item_outside_its_maps(any_store):
    """An item on a map the snapshot does not name fails with ValueError; nothing is written."""
    account = await register(any_store, "Alice")
    await any_store.save_snapshot(WorldSnapshot(ground_items=[ground_item(1, map_id="town")]))
    moved = new_character(player_id=account.player_id, username="Alice", x=42)
    with pytest.raises(ValueError):
        await any_store.save_snapshot(WorldSnapshot(
            characters=[moved], ground_items=[ground_item(2, map_id="cave")],
            ground_item_maps=("town",)))
    assert await any_store.load_ground_items() == [ground_item(1, map_id="town")]
    assert (await any_store.load_character(account.player_id)).x == 5


@pytest_twisted.ensureDeferred
async def test_snapshot_refuses_number_held_by_another_maps_item(any_store):
    """A number another map's item holds fails with ValueError; nothing is written."""
    await any_store.save_snapshot(WorldSnapshot(ground_items=[
        ground_item(1, map_id="cave"), ground_item(2, map_id="town")]))
    with pytest.raises(ValueError):
        await any_store.save_snapshot(WorldSnapshot(
            ground_items=[ground_item(1, map_id="town")], ground_item_maps=("town",)))
    assert await any_store.load_ground_items() == [
        ground_item(1, map_id="cave"), ground_item(2, map_id="town")]


# -- ground item numbers


@pytest_twisted.ensureDeferred
async def test_reserved_numbers_are_new_and_never_handed_twice(any_store):
    """Blocks are consecutive, disjoint, and above every stored ground item number."""
    await any_store.save_snapshot(WorldSnapshot(ground_items=[ground_item(41)]))
    first = await any_store.reserve_ground_item_ids(10)
    second = await any_store.reserve_ground_item_ids(1)
    assert len(first) == 10 and list(first) == list(range(first[0], first[0] + 10))
    assert first[0] > 41
    assert second[0] > first[-1]


@pytest_twisted.ensureDeferred
async def test_reserved_numbers_stay_above_numbers_saved_unreserved(any_store):
    """Numbers saved without a reservation (one process, as before) are never handed out."""
    await any_store.reserve_ground_item_ids(5)
    await any_store.save_snapshot(WorldSnapshot(ground_items=[ground_item(1000)]))
    assert (await any_store.reserve_ground_item_ids(2))[0] > 1000


@pytest_twisted.ensureDeferred
async def test_reserve_refuses_an_empty_block(any_store):
    """Reserving fewer than one number fails with ValueError."""
    with pytest.raises(ValueError):
        await any_store.reserve_ground_item_ids(0)


# -- epochs


@pytest_twisted.ensureDeferred
async def test_install_epoch_grows_only(any_store):
    """A larger epoch replaces the installed one; an equal or smaller one is refused."""
    assert await any_store.map_epochs(["town"]) == {}
    await any_store.install_epoch("town", 3)
    await any_store.install_epoch("cave", 1)
    await any_store.install_epoch("town", 7)
    for stale in (7, 2):
        with pytest.raises(StaleEpoch) as refused:
            await any_store.install_epoch("town", stale)
        assert (refused.value.map_id, refused.value.epoch, refused.value.current) == (
            "town", stale, 7)
    assert await any_store.map_epochs(["town", "cave", "forest"]) == {"town": 7, "cave": 1}


def test_stale_epoch_is_fenced():
    """A refused installation is a Fenced error, so one handler serves both."""
    assert issubclass(StaleEpoch, Fenced)


@pytest_twisted.ensureDeferred
async def test_fenced_snapshot_commits_with_current_epochs(any_store):
    """A snapshot holding the installed epochs writes characters and its maps' items."""
    alice = await register(any_store, "Alice", map_id="town")
    await any_store.install_epoch("town", 4)
    moved = new_character(player_id=alice.player_id, username="Alice", map_id="town", x=9)
    await any_store.save_snapshot(WorldSnapshot(
        characters=[moved], ground_items=[ground_item(1, map_id="town")],
        ground_item_maps=("town",), epochs={"town": 4}))
    assert (await any_store.load_character(alice.player_id)).x == 9
    assert await any_store.load_ground_items(["town"]) == [ground_item(1, map_id="town")]


@pytest_twisted.ensureDeferred
async def test_old_epoch_is_fenced_and_writes_nothing(any_store):
    """After a newer owner's epoch, the old owner's snapshot fails with Fenced and commits nothing."""
    alice = await register(any_store, "Alice", map_id="town")
    await any_store.mark_online([alice.player_id], "server-a", 30)
    await any_store.install_epoch("town", 4)
    await any_store.save_snapshot(WorldSnapshot(
        ground_items=[ground_item(1, map_id="town")], ground_item_maps=("town",),
        epochs={"town": 4}))
    await any_store.install_epoch("town", 5)
    stale = new_character(player_id=alice.player_id, username="Alice", map_id="town", x=9)
    with pytest.raises(Fenced) as fenced:
        await any_store.save_snapshot(WorldSnapshot(
            characters=[stale], ground_items=[], ground_item_maps=("town",),
            released=[(alice.player_id, "server-a")], epochs={"town": 4}))
    assert (fenced.value.map_id, fenced.value.epoch, fenced.value.current) == ("town", 4, 5)
    assert (await any_store.load_character(alice.player_id)).x == 5
    assert await any_store.load_ground_items() == [ground_item(1, map_id="town")]
    assert await any_store.online_server(alice.player_id) == "server-a"


@pytest_twisted.ensureDeferred
async def test_epoch_never_installed_is_fenced(any_store):
    """A snapshot naming an epoch the database has never installed is fenced."""
    with pytest.raises(Fenced) as fenced:
        await any_store.save_snapshot(WorldSnapshot(
            ground_items=[ground_item(1, map_id="town")], ground_item_maps=("town",),
            epochs={"town": 1}))
    assert fenced.value.current is None
    assert await any_store.load_ground_items() == []


@pytest_twisted.ensureDeferred
async def test_one_lost_map_fences_the_whole_snapshot(any_store):
    """A snapshot holding one current and one stale epoch commits nothing, even for the held map."""
    await any_store.install_epoch("town", 1)
    await any_store.install_epoch("cave", 1)
    await any_store.install_epoch("cave", 2)
    with pytest.raises(Fenced) as fenced:
        await any_store.save_snapshot(WorldSnapshot(
            ground_items=[ground_item(1, map_id="town")], ground_item_maps=("town",),
            epochs={"town": 1, "cave": 1}))
    assert fenced.value.map_id == "cave"
    assert await any_store.load_ground_items() == []


@pytest_twisted.ensureDeferred
async def test_fenced_snapshot_needs_an_epoch_for_each_map_it_writes(any_store):
    """Items of a map, or a character stored on a map, the snapshot holds no epoch of: Fenced."""
    alice = await register(any_store, "Alice", map_id="cave")
    await any_store.install_epoch("town", 1)
    await any_store.install_epoch("cave", 3)
    with pytest.raises(Fenced) as fenced:
        await any_store.save_snapshot(WorldSnapshot(
            ground_items=[ground_item(1, map_id="cave")], ground_item_maps=("cave",),
            epochs={"town": 1}))
    assert (fenced.value.map_id, fenced.value.epoch, fenced.value.current) == ("cave", None, 3)
    on_town = new_character(player_id=alice.player_id, username="Alice", map_id="town")
    with pytest.raises(Fenced) as fenced:
        await any_store.save_snapshot(WorldSnapshot(characters=[on_town], epochs={"town": 1}))
    assert fenced.value.map_id == "cave"
    assert (await any_store.load_character(alice.player_id)).map_id == "cave"
    assert await any_store.load_ground_items() == []


@pytest_twisted.ensureDeferred
async def test_fenced_snapshot_must_name_its_ground_item_maps(any_store):
    """A fenced snapshot may not replace every map's items: ValueError."""
    await any_store.install_epoch("town", 1)
    with pytest.raises(ValueError):
        await any_store.save_snapshot(WorldSnapshot(
            ground_items=[ground_item(1, map_id="town")], epochs={"town": 1}))
    assert await any_store.load_ground_items() == []


@pytest_twisted.ensureDeferred
async def test_moving_a_character_hands_it_to_the_new_maps_owner(any_store):
    """Once saved on another map, only that map's epoch may write the character."""
    alice = await register(any_store, "Alice", map_id="town")
    await any_store.install_epoch("town", 1)
    await any_store.install_epoch("cave", 1)
    through_portal = new_character(player_id=alice.player_id, username="Alice",
                                   map_id="cave", x=2)
    await any_store.save_snapshot(WorldSnapshot(characters=[through_portal],
                                                epochs={"town": 1}))
    left_behind = new_character(player_id=alice.player_id, username="Alice",
                                map_id="town", x=3)
    with pytest.raises(Fenced) as fenced:
        await any_store.save_snapshot(WorldSnapshot(characters=[left_behind],
                                                    epochs={"town": 1}))
    assert fenced.value.map_id == "cave"
    walked = new_character(player_id=alice.player_id, username="Alice", map_id="cave", x=4)
    await any_store.save_snapshot(WorldSnapshot(characters=[walked], epochs={"cave": 1}))
    assert await any_store.load_character(alice.player_id) == walked


@pytest_twisted.ensureDeferred
async def test_unfenced_snapshot_writes_as_before(any_store):
    """A snapshot without epochs is not checked, epochs installed or not."""
    alice = await register(any_store, "Alice", map_id="town")
    await any_store.install_epoch("town", 9)
    moved = new_character(player_id=alice.player_id, username="Alice", x=8)
    await any_store.save_snapshot(WorldSnapshot(
        characters=[moved], ground_items=[ground_item(1)], ground_item_maps=("town",)))
    assert (await any_store.load_character(alice.player_id)).x == 8
    assert await any_store.load_ground_items() == [ground_item(1)]
