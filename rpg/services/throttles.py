"""
The throttles and the queue that keep the password endpoints from being
turned against players or the server: sliding windows, progressive delays
after failures, and the hashing queue where logins go first.  Plain objects
on an injected clock.
"""

import hashlib
from collections import deque

from twisted.internet import defer
from twisted.python.failure import Failure


class HashingBusy(Exception):
    """The password hashing queue is full: try again later."""

    def __init__(self, retry_after_s):
        super().__init__("Too many logins and registrations waiting")
        self.retry_after_s = retry_after_s


class SlidingWindow:
    """
    At most C{limit} events per C{window_s} seconds for each key (a limit of
    0: no limit).  At most C{max_keys} keys are kept, the oldest dropped
    first, and L{sweep} drops those whose events have all expired.
    """

    def __init__(self, clock, limit, window_s=60.0, max_keys=100_000):
        self._clock = clock
        self._limit = limit
        self._window = window_s
        self._max_keys = max_keys
        self._events = {}

    def __len__(self):
        return len(self._events)

    def _recent(self, key):
        now = self._clock.seconds()
        events = self._events.get(key)
        if events is None:
            return now, None
        while events and events[0] <= now - self._window:
            events.popleft()
        if not events:
            del self._events[key]
            return now, None
        return now, events

    def retry_after(self, key):
        """Seconds until another event is allowed for C{key} (0 if allowed now)."""
        if not self._limit:
            return 0.0
        now, events = self._recent(key)
        if events is None or len(events) < self._limit:
            return 0.0
        return max(0.001, events[-self._limit] + self._window - now)

    def record(self, key):
        if not self._limit:
            return
        now, events = self._recent(key)
        if events is None:
            events = self._events[key] = deque(maxlen=self._limit)
            while len(self._events) > self._max_keys:
                del self._events[next(iter(self._events))]
        events.append(now)

    def sweep(self):
        for key in list(self._events):
            self._recent(key)


class FailureThrottle:
    """
    Progressive delays after failures for one key: C{free} failures cost
    nothing, then each further attempt waits C{first_delay_s}, doubling with
    each failure up to C{max_delay_s}.  A key with no failure for
    C{memory_s} is forgotten; at most C{max_keys} are kept (the one whose
    last failure is oldest goes first).
    """

    def __init__(self, clock, free, first_delay_s=60.0, max_delay_s=900.0, memory_s=3600.0,
                 max_keys=100_000):
        self._clock = clock
        self.free = free
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.memory_s = max(memory_s, max_delay_s)
        self.max_keys = max_keys
        self._keys = {}  # key -> (failures, time of the last); ordered by that time

    def __len__(self):
        return len(self._keys)

    def retry_after(self, key):
        entry = self._keys.get(key)
        if entry is None:
            return 0.0
        failures, last = entry
        now = self._clock.seconds()
        if now - last >= self.memory_s:
            del self._keys[key]
            return 0.0
        if failures < self.free:
            return 0.0
        delay = min(self.max_delay_s, self.first_delay_s * 2 ** min(failures - self.free, 32))
        return max(0.0, last + delay - now)

    def record(self, key):
        failures, _ = self._keys.pop(key, (0, None))
        self._keys[key] = (failures + 1, self._clock.seconds())
        while len(self._keys) > self.max_keys:
            del self._keys[next(iter(self._keys))]

    def forget(self, key):
        self._keys.pop(key, None)

    def sweep(self):
        now = self._clock.seconds()
        for key, (_, last) in list(self._keys.items()):
            if now - last < self.memory_s:
                break
            del self._keys[key]


LOGIN, REGISTRATION = 0, 1


class HashingQueue:
    """
    Runs password hashing jobs, C{workers} at a time: logins before
    registrations, at most C{limit} waiting (0: no limit).  When it is full a
    login takes the place of the latest registration, which fails with
    L{HashingBusy}; anything else is refused with L{HashingBusy}.
    """

    def __init__(self, run, workers, limit, clock, mean_s=0.1):
        self._run = run
        self.workers = workers
        self.limit = limit
        self._clock = clock
        self._waiting = (deque(), deque())
        self._running = 0
        self._mean_s = mean_s  # a running mean of a job's time

    def waiting(self):
        return len(self._waiting[LOGIN]) + len(self._waiting[REGISTRATION])

    def retry_after(self):
        """Seconds for the jobs queued and running now to finish, at least 1."""
        jobs = self.waiting() + self._running
        return max(1.0, jobs * self._mean_s / self.workers)

    def submit(self, kind, f, *args):
        """@return: a Deferred firing with C{f(*args)}, run in a thread."""
        if self.limit and self.waiting() >= self.limit:
            registrations = self._waiting[REGISTRATION]
            if kind != LOGIN or not registrations:
                return defer.fail(HashingBusy(self.retry_after()))
            bumped, _, _ = registrations.pop()
            bumped.errback(HashingBusy(self.retry_after()))
        d = defer.Deferred()
        self._waiting[kind].append((d, f, args))
        self._start_next()
        return d

    def _start_next(self):
        while self._running < self.workers:
            queue = self._waiting[LOGIN] or self._waiting[REGISTRATION]
            if not queue:
                return
            d, f, args = queue.popleft()
            self._running += 1
            started = self._clock.seconds()
            job = defer.maybeDeferred(self._run, f, *args)
            job.addBoth(self._finished, d, started)

    def _finished(self, result, d, started):
        self._running -= 1
        self._mean_s += (max(0.0, self._clock.seconds() - started) - self._mean_s) / 8
        self._start_next()
        if isinstance(result, Failure):
            d.errback(result)
        else:
            d.callback(result)


def username_key(username):
    """A fixed-size key for a username as typed (any type, any length), case-insensitively."""
    text = username.lower() if isinstance(username, str) else ""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
