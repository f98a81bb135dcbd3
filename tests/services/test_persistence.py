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


def test_a_save_whose_fence_raises_fails_its_deferred_instead_of_raising():
    """The snapshot loop must never see save() raise: a broken fence is a failed Deferred."""
    class BrokenFence:
        def epochs(self):
            raise RuntimeError("lease table in flux")

    persistence = Persistence(MemoryPlayerStore(clock=Clock()), "s1", 30, fence=BrokenFence())
    failures = []
    persistence.save([]).addErrback(failures.append)
    assert [f.type for f in failures] == [RuntimeError]
