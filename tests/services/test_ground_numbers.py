"""
Tests for L{rpg.services.ground_numbers.ReservedNumbers}: ground item numbers
from blocks reserved in the database, refilled off the tick, refused (never
reused) when they run out; and two servers' worlds on one PostgreSQL database.
"""

import random

import pytest
import pytest_twisted
from twisted.internet import defer, task
from twisted.internet.task import Clock

from rpg.config import Tunables
from rpg.content import load_content
from rpg.models import ItemStack
from rpg.server import build_game
from rpg.services.ground_numbers import ReservedNumbers
from rpg.store.memory import MemoryPlayerStore
from rpg.store.presence import MemoryBus, MemoryPresence
from rpg.store.urls import open_store
from rpg.tap import default_maps_dir
from tests.store.conftest import postgres_url, reset_postgres


class HeldStore:
    """Reservations answered by hand: C{pending} holds (count, Deferred) in order."""

    def __init__(self):
        self.pending = []

    def reserve_ground_item_ids(self, count):
        d = defer.Deferred()
        self.pending.append((count, d))
        return d


def primed(store, clock, block_size):
    numbers = ReservedNumbers(store, clock, block_size=block_size)
    d = numbers.prime()
    if isinstance(store, HeldStore):
        count, reservation = store.pending.pop(0)
        reservation.callback(range(1, count + 1))
    assert d.called and d.result is None
    numbers.startService()
    return numbers


def take(numbers, n):
    return [numbers.take() for _ in range(n)]


def test_prime_reserves_one_block_and_takes_count_through_it():
    """The first block is reserved by prime; numbers come out of it in order."""
    clock = Clock()
    store = MemoryPlayerStore(clock=clock)
    numbers = primed(store, clock, 10)
    assert numbers.available() == 10
    assert take(numbers, 3) == [1, 2, 3]
    assert numbers.available() == 7


def test_refill_is_asked_for_off_the_tick_when_half_is_used():
    """Nothing is reserved until half a block is used, then one block, after the tick."""
    clock = Clock()
    store = HeldStore()
    numbers = primed(store, clock, 10)
    take(numbers, 5)
    clock.advance(0)
    assert store.pending == []
    take(numbers, 1)
    assert store.pending == []  # not during the tick that took it
    clock.advance(0)
    assert [count for count, _ in store.pending] == [10]
    take(numbers, 1)
    clock.advance(0)
    assert len(store.pending) == 1  # one reservation in flight at a time
    store.pending.pop()[1].callback(range(500, 510))
    assert numbers.available() == 13
    assert take(numbers, 4) == [8, 9, 10, 500]


def test_with_memory_store_numbers_never_repeat_across_refills():
    """Taking 1,000 numbers, a tick apart, from blocks of 10 gives 1,000 different numbers."""
    clock = Clock()
    store = MemoryPlayerStore(clock=clock)
    numbers = primed(store, clock, 10)
    seen = []
    for _ in range(250):
        seen.extend(take(numbers, 4))
        clock.pump([0.05])
    assert len(set(seen)) == 1000


def test_exhausted_block_refuses_until_the_refill_lands():
    """Past the last reserved number take() refuses; once the block lands it goes on, no reuse."""
    clock = Clock()
    store = HeldStore()
    numbers = primed(store, clock, 4)
    assert take(numbers, 4) == [1, 2, 3, 4]
    assert numbers.available() == 0
    with pytest.raises(LookupError):
        numbers.take()
    clock.advance(0)
    count, reservation = store.pending.pop()
    assert count == 4 and store.pending == []
    reservation.callback(range(9, 13))
    assert take(numbers, 2) == [9, 10]


def test_a_failed_reservation_is_tried_again_after_retry_s():
    """A reservation that fails is logged and asked for again retry_s later."""
    clock = Clock()
    store = HeldStore()
    numbers = primed(store, clock, 4)
    numbers.retry_s = 2.0
    take(numbers, 3)
    clock.advance(0)
    store.pending.pop()[1].errback(RuntimeError("database gone"))
    clock.pump([0.5] * 3)
    assert store.pending == []
    clock.pump([0.5])
    assert len(store.pending) == 1
    store.pending.pop()[1].callback(range(20, 24))
    assert take(numbers, 2) == [4, 20]


def test_stopping_cancels_a_waiting_retry():
    """After stopService nothing is scheduled and no reservation is asked for."""
    clock = Clock()
    store = HeldStore()
    numbers = primed(store, clock, 4)
    take(numbers, 3)
    clock.advance(0)
    store.pending.pop()[1].errback(RuntimeError("database gone"))
    numbers.stopService()
    assert clock.getDelayedCalls() == []
    take(numbers, 1)
    clock.advance(10)
    assert store.pending == []


def test_seen_numbers_are_never_handed_out():
    """A restored item's number (and those below it) left in a block is dropped from it."""
    clock = Clock()
    numbers = primed(MemoryPlayerStore(clock=clock), clock, 10)
    numbers.seen(3)
    assert numbers.available() == 7 and numbers.take() == 4
    numbers.seen(100)
    assert numbers.available() == 0


def test_block_size_must_be_positive():
    """A block of no numbers is refused when built."""
    with pytest.raises(ValueError):
        ReservedNumbers(MemoryPlayerStore(clock=Clock()), Clock(), block_size=0)


# -- two servers, one PostgreSQL database
@pytest_twisted.async_yield_fixture
async def two_games():
    """Two games built as two processes would, each on its own store, one database."""
    from twisted.internet import reactor

    url = postgres_url()
    reset_postgres(url)
    content = load_content(default_maps_dir(), default_maps_dir())
    tunables = Tunables()
    stores, games, sources = [], [], []
    for n in range(2):
        store = open_store(url, clock=reactor)
        await store.migrate()
        numbers = ReservedNumbers(store, reactor, block_size=10)
        await numbers.prime()
        numbers.startService()
        games.append(build_game(
            store=store, presence=MemoryPresence(), bus=MemoryBus(), content=content,
            start_map="samplemap", secret="s", tunables=tunables, server_id=f"server-{n}",
            clock=reactor, ground_items=await store.load_ground_items(),
            ground_item_numbers=numbers, rng=random.Random(n), admission=False))
        stores.append(store)
        sources.append(numbers)
    yield games
    for numbers in sources:
        numbers.stopService()
    for store in stores:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_two_servers_worlds_never_hand_out_the_same_number(two_games):
    """Items dropped in two worlds on one PostgreSQL database, across many refills, all differ."""
    from twisted.internet import reactor

    dropped = []
    for _ in range(60):
        for game in two_games:
            while game.world.ground.numbers.available() < 1:
                await task.deferLater(reactor, 0.005, lambda: None)
            (item,) = game.world.ground.drop_stacks("samplemap", 5, 5, [ItemStack(1, 1)],
                                                    None, 0.0)
            dropped.append(item.number)
        await task.deferLater(reactor, 0, lambda: None)
    assert len(set(dropped)) == len(dropped) == 120
