"""
New ground item numbers for the world, from blocks the database reserves
(L{rpg.interfaces.IMapStore.reserve_ground_item_ids}), so that no two
processes on one database ever hand out the same number.

The world takes numbers inside the tick and cannot wait: it is handed a
L{ReservedNumbers}, which holds the numbers already reserved and asks the
store for the next block off the tick, as soon as half of one block is used.
If the numbers at hand run out before a block arrives (hundreds of drops in
one round trip to the database, or the database unreachable), the world
refuses the drop and changes nothing (it asks L{ReservedNumbers.available}
first); a number is never handed out twice, nor one the database did not
reserve.
"""

from collections import deque

from twisted.application.service import Service
from twisted.internet import defer
from twisted.logger import Logger


class ReservedNumbers(Service):
    """
    The ground item numbers this process has reserved and not used yet, in
    the shape the world takes (L{rpg.world.ground.CountingNumbers}):
    C{available()}, C{take()}, C{seen(number)}.

    Call L{prime} (and wait for it) before the world takes its first
    number.  Stopping the service cancels a retry that is waiting.

    @param store: an L{rpg.interfaces.IMapStore}.
    @param clock: when a refill runs (just after the tick that asked for
        it) and when a failed one is tried again.
    @param block_size: how many numbers each reservation asks for; the
        next is asked for once fewer than half of that are left.
    @param retry_s: the wait before a failed reservation is tried again.
    """
    log = Logger()

    def __init__(self, store, clock, block_size=1000, retry_s=1.0):
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, not {block_size}")
        self.store = store
        self.clock = clock
        self.block_size = block_size
        self.retry_s = retry_s
        self._blocks = deque()  # ranges reserved, not yet (fully) used, in order
        self._available = 0
        self._call = None  # the refill waiting to run, or None
        self._in_flight = False
        self._stopped = False

    # -- what the world calls, inside the tick
    def available(self):
        """How many numbers L{take} can hand out now."""
        return self._available

    def take(self):
        """
        The next reserved number.  Call only while L{available} is at least 1.

        @raise LookupError: none is left.
        """
        if not self._available:
            self._want_more()
            raise LookupError("no ground item number at hand")
        block = self._blocks[0]
        number = block[0]
        if len(block) > 1:
            self._blocks[0] = block[1:]
        else:
            self._blocks.popleft()
        self._available -= 1
        if not self._available:
            self.log.warn("Ground item numbers ran out: drops are refused until the next"
                          " block of {size} is reserved", size=self.block_size)
        if self._low():
            self._want_more()
        return number

    def seen(self, number):
        """
        A restored item holds C{number}: drop it and every smaller number
        from the numbers at hand.  (Reserved blocks lie above every stored
        number, so this finds none unless the database's counter was set
        back by hand.)
        """
        while self._blocks and self._blocks[0][0] <= number:
            block = self._blocks.popleft()
            kept = block[block.index(number) + 1:] if number in block else range(0)
            self._available -= len(block) - len(kept)
            self.log.warn("Ground item number {number} is stored but was reserved to this"
                          " process: {dropped} reserved numbers are skipped", number=number,
                          dropped=len(block) - len(kept))
            if kept:
                self._blocks.appendleft(kept)
        if self._low():
            self._want_more()

    # -- filling
    def prime(self):
        """
        Reserve the first block.

        @return: a Deferred firing with C{None} once numbers are at hand;
            it fails as the store's reservation does.
        """
        d = defer.maybeDeferred(self.store.reserve_ground_item_ids, self.block_size)
        d.addCallback(self._arrived)
        return d

    def stopService(self):
        super().stopService()
        self._stopped = True
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None

    def _low(self):
        return self._available < (self.block_size + 1) // 2

    def _want_more(self):
        if self._in_flight or self._call is not None or self._stopped:
            return
        self._call = self.clock.callLater(0, self._refill)

    def _refill(self):
        self._call = None
        self._in_flight = True
        d = defer.maybeDeferred(self.store.reserve_ground_item_ids, self.block_size)
        d.addCallbacks(self._refilled, self._failed)

    def _refilled(self, numbers):
        self._in_flight = False
        self._arrived(numbers)
        if self._low():
            self._want_more()

    def _arrived(self, numbers):
        if len(numbers):
            self._blocks.append(numbers)
            self._available += len(numbers)

    def _failed(self, failure):
        self._in_flight = False
        if self._stopped:
            return  # shutting down: the store is closing, nothing is owed
        self.log.failure("Could not reserve ground item numbers; trying again in {retry_s} s",
                         failure, retry_s=self.retry_s)
        self._call = self.clock.callLater(self.retry_s, self._refill)
