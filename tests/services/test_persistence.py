"""
Persistence: what its saves ask of the store.
"""

import pytest_twisted
from twisted.internet.task import Clock

from rpg.services.persistence import Persistence
from rpg.store.memory import MemoryPlayerStore
from tests.store.test_contract import ground_item


@pytest_twisted.ensureDeferred
async def test_saves_replace_only_the_ground_items_of_its_maps():
    """A process's save replaces its own maps' ground items and leaves another map's."""
    store = MemoryPlayerStore(clock=Clock())
    elsewhere = ground_item(1, map_id="cave")
    await Persistence(store, "s2", 30).save([], [elsewhere])
    persistence = Persistence(store, "s1", 30, ground_item_maps=["town"])
    await persistence.save([], [ground_item(2, map_id="town")])
    await persistence.save([], [ground_item(3, map_id="town")])
    assert await store.load_ground_items() == [elsewhere, ground_item(3, map_id="town")]
