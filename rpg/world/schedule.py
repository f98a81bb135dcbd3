"""
One timer heap for every timed rule: NPC steps, respawns, HP regeneration,
ground items turning public and despawning.

Plain data: no clock.  A rule asks for C{key} at time C{at}, and on each tick
takes the keys that came due with L{Schedule.pop_due}.  Each key is due at
most once: asking again moves it, L{Schedule.cancel} drops it.

The one staleness rule: a heap entry is live while its key is still due at
the entry's time.  Entries left behind by a move or a cancel are skipped when
they surface, and the heap is rebuilt without them once they are half of it,
so a key rescheduled in a loop leaves nothing behind.
"""

import heapq
import itertools


class Schedule:
    """
    Keys due at times.

    @param ties: how keys due at the same time are ordered: C{"arrival"}
        (the order they were scheduled in) or C{"key"} (by the keys, which
        must then be comparable).
    """

    def __init__(self, ties="arrival"):
        if ties not in ("arrival", "key"):
            raise ValueError(f"ties must be 'arrival' or 'key', not {ties!r}")
        self._by_key = ties == "key"
        self._seq = itertools.count()
        self._at = {}  # key -> time it is due
        self._heap = []  # (time, tie, key)
        self._stale = 0  # entries in the heap that will never fire

    def set(self, key, at):
        """Make C{key} due at C{at} (C{None}: not due at all), replacing any earlier time."""
        if key in self._at:
            self._stale += 1
            if at is None:
                del self._at[key]
        if at is None:
            self._compact()
            return
        self._at[key] = at
        tie = key if self._by_key else next(self._seq)
        heapq.heappush(self._heap, (at, tie, key))
        self._compact()

    def wake(self, key, at):
        """Make C{key} due at C{at} unless it is due sooner already."""
        due = self._at.get(key)
        if due is None or due > at:
            self.set(key, at)

    def cancel(self, key):
        """C{key} is no longer due (nothing happens if it was not)."""
        self.set(key, None)

    def when(self, key):
        """The time C{key} is due, or C{None}."""
        return self._at.get(key)

    def __contains__(self, key):
        return key in self._at

    def __len__(self):
        """How many keys are due, at any time."""
        return len(self._at)

    def pop_due(self, now):
        """
        The keys due at or before C{now}, each once, in time order (ties as
        the schedule orders them); they are no longer scheduled.
        """
        heap, at_of = self._heap, self._at
        found = []
        while heap and heap[0][0] <= now:
            at, _, key = heapq.heappop(heap)
            if key in at_of and at_of[key] == at:
                del at_of[key]
                found.append(key)
            else:
                self._stale -= 1
        return found

    def _compact(self):
        heap = self._heap
        if self._stale * 2 <= len(heap):
            return
        at_of = self._at
        kept = {}
        for entry in heap:
            at, _, key = entry
            if at_of.get(key) == at and (key not in kept or entry < kept[key]):
                kept[key] = entry
        self._heap = list(kept.values())
        heapq.heapify(self._heap)
        self._stale = 0
