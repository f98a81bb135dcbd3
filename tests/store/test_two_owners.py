"""
Two processes sharing one database, as two store objects on it: each owns
its maps, saves and restores only their ground items, and a process that
lost a map cannot save over its new owner (the "sword dropped once, picked up
twice" case, at the store level).
"""

import pytest
import pytest_twisted
from twisted.internet import task
from twisted.internet.defer import gatherResults
from twisted.internet.task import Clock

from rpg.interfaces import Fenced, StaleEpoch
from rpg.models import ItemStack, WorldSnapshot
from rpg.store.migrations import MIGRATIONS, apply_step
from rpg.store.sql import SQLPlayerStore
from rpg.store.urls import open_store
from tests.store.conftest import postgres_url, reset_postgres
from tests.store.test_contract import ground_item, new_character, register

SWORD = 1277


@pytest.fixture(params=("sqlite", "postgresql"))
def shared_url(request, tmp_path):
    """One empty database of each shared kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rpg.sqlite3'}"
    url = postgres_url()
    reset_postgres(url)
    return url


@pytest_twisted.async_yield_fixture
async def two_stores(shared_url):
    """Two migrated stores on one database, as two processes would hold."""
    stores = [open_store(shared_url, clock=Clock()) for _ in range(2)]
    for store in stores:
        await store.migrate()
    yield stores
    for store in stores:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_each_process_keeps_its_own_maps_items(two_stores):
    """Saves of one process's maps neither delete nor show up in the other's."""
    a, b = two_stores
    await a.install_epoch("town", 1)
    await b.install_epoch("cave", 1)
    town_ids, cave_ids = await gatherResults(
        [a.reserve_ground_item_ids(3), b.reserve_ground_item_ids(3)])
    assert not set(town_ids) & set(cave_ids)
    town = [ground_item(n, map_id="town") for n in town_ids]
    cave = [ground_item(n, map_id="cave") for n in cave_ids]
    await a.save_snapshot(WorldSnapshot(ground_items=town, ground_item_maps=("town",),
                                        epochs={"town": 1}))
    await b.save_snapshot(WorldSnapshot(ground_items=cave, ground_item_maps=("cave",),
                                        epochs={"cave": 1}))
    await a.save_snapshot(WorldSnapshot(ground_items=town[1:], ground_item_maps=("town",),
                                        epochs={"town": 1}))
    assert await a.load_ground_items(["town"]) == town[1:]
    assert await b.load_ground_items(["cave"]) == cave


@pytest_twisted.ensureDeferred
async def test_sword_dropped_once_is_picked_up_once(two_stores):
    """A stalled old owner of a map cannot save its sword back after the new owner's pickup."""
    a, b = two_stores
    alice = await register(a, "Alice", map_id="town", inventory={})
    await a.install_epoch("town", 1)
    (sword_id,) = await a.reserve_ground_item_ids(1)
    sword = ground_item(sword_id, item_id=SWORD, map_id="town")
    await a.save_snapshot(WorldSnapshot(
        characters=[new_character(player_id=alice.player_id, username="Alice",
                                  map_id="town", inventory={})],
        ground_items=[sword], ground_item_maps=("town",), epochs={"town": 1}))

    # A stalls; its lease expires and B takes the map with the next epoch.
    await b.install_epoch("town", 2)
    assert await b.load_ground_items(["town"]) == [sword]
    picked_up = new_character(player_id=alice.player_id, username="Alice", map_id="town",
                              inventory={0: ItemStack(SWORD)})
    await b.save_snapshot(WorldSnapshot(characters=[picked_up], ground_items=[],
                                        ground_item_maps=("town",), epochs={"town": 2}))

    # A resumes and saves what it still believes: the sword on the ground,
    # and Alice, who picked it up on A too.
    also_picked_up = new_character(player_id=alice.player_id, username="Alice",
                                   map_id="town", inventory={0: ItemStack(SWORD)}, x=6)
    for late in (WorldSnapshot(ground_items=[sword], ground_item_maps=("town",),
                               epochs={"town": 1}),
                 WorldSnapshot(characters=[also_picked_up], epochs={"town": 1})):
        with pytest.raises(Fenced):
            await a.save_snapshot(late)
    with pytest.raises(StaleEpoch):
        await a.install_epoch("town", 1)

    assert await a.load_ground_items() == []
    assert await a.load_character(alice.player_id) == picked_up


@pytest_twisted.ensureDeferred
async def test_concurrent_reservations_never_overlap(two_stores):
    """Many blocks reserved at once by two processes are disjoint."""
    blocks = await gatherResults(
        [store.reserve_ground_item_ids(7) for store in two_stores for _ in range(10)])
    numbers = [n for block in blocks for n in block]
    assert len(set(numbers)) == len(numbers) == 140


@pytest_twisted.ensureDeferred
async def test_postgresql_save_waits_for_a_new_owner_and_is_fenced():
    """A save racing an uncommitted install_epoch waits for it and then fails with Fenced."""
    import psycopg2

    url = postgres_url()
    reset_postgres(url)
    store = SQLPlayerStore.for_postgresql(url, clock=Clock())
    await store.migrate()
    await store.install_epoch("town", 1)
    new_owner = psycopg2.connect(url)
    try:
        with new_owner.cursor() as cursor:
            cursor.execute("UPDATE map_epochs SET epoch = 2 WHERE map_id = 'town'")
        saving = store.save_snapshot(WorldSnapshot(
            ground_items=[ground_item(1, map_id="town")], ground_item_maps=("town",),
            epochs={"town": 1}))
        from twisted.internet import reactor
        await task.deferLater(reactor, 0.3, lambda: None)
        assert not saving.called  # held by the new owner's row lock
        new_owner.commit()
        with pytest.raises(Fenced):
            await saving
    finally:
        new_owner.close()
        assert await store.load_ground_items() == []
        await store.close()


@pytest_twisted.ensureDeferred
async def test_postgresql_new_owner_waits_for_a_save_in_flight():
    """install_epoch waits for a fenced save that holds the map's epoch, then wins."""
    import psycopg2

    url = postgres_url()
    reset_postgres(url)
    store = SQLPlayerStore.for_postgresql(url, clock=Clock())
    await store.migrate()
    await store.install_epoch("town", 1)
    old_owner = psycopg2.connect(url)
    try:
        with old_owner.cursor() as cursor:
            # What a fenced save holds until it commits.
            cursor.execute(
                "SELECT epoch FROM map_epochs WHERE map_id = 'town' FOR SHARE")
        installing = store.install_epoch("town", 2)
        from twisted.internet import reactor
        await task.deferLater(reactor, 0.3, lambda: None)
        assert not installing.called  # the old owner's save is still in flight
        old_owner.commit()
        await installing
        assert await store.map_epochs(["town"]) == {"town": 2}
    finally:
        old_owner.close()
        await store.close()


@pytest_twisted.ensureDeferred
async def test_upgrade_reserves_above_existing_ground_items(tmp_path):
    """A database upgraded from step 2 hands out numbers above the items it already holds."""
    path = str(tmp_path / "rpg.sqlite3")
    old = SQLPlayerStore.for_sqlite(path, clock=Clock())
    for migration in MIGRATIONS[:2]:
        await old._pool.runInteraction(apply_step, old.dialect, migration, 0.0)
    await old._pool.runInteraction(
        lambda txn: txn.execute(
            "INSERT INTO ground_items VALUES (77, 526, 1, 'town', 1, 1, NULL, 0, 9e9)"))
    await old.close()
    store = SQLPlayerStore.for_sqlite(path, clock=Clock())
    try:
        assert await store.migrate() == MIGRATIONS[-1].version
        assert (await store.reserve_ground_item_ids(1))[0] == 78
        assert [g.ground_item_id for g in await store.load_ground_items(["town"])] == [77]
    finally:
        await store.close()
