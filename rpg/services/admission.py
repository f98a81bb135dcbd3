"""
Admission: whether this process may take one more player.

A process admits at most C{max_players} players (those in the world and
those whose login is under way), and none while its tick is falling behind
or while C{max_logins_in_flight} logins are already under way: each waits on
the store, and a login that waited behind thousands of others would be
closed by the authentication timeout instead of being answered.
The tick reports each run to L{Admission.tick_observed}: how many ticks it
missed before this one and how long the tick and its send took.

"Falling behind" is judged over the last C{tick_behind_window_s} seconds:

  - it starts when that window holds C{tick_behind_late_ticks} late ticks
    or more (ticks that came after one or more missed intervals) while the
    tick's own work took at least C{tick_behind_min_load} of the window's
    time, or when the tick (phases and send) kept the process busy for
    C{tick_behind_load} of the window's time or more;
  - it ends only once the window holds no late tick at all and the busy
    share is down to C{tick_recovered_load}.

Late ticks are counted, not the intervals they missed: one stall (a slow
start, a collection, the machine pausing us for a second) is one late tick
and refuses nobody, while a tick that keeps overrunning is late again and
again.  Ticks late while this server's own work is light (the machine is
busy with something else) refuse nobody either: refusing players would not
give the tick its time back.  The window and the two loads are the hysteresis that keeps
admission from flapping at the edge.
"""

from collections import deque

from rpg.errors import ServerFull


class Admission:
    def __init__(self, tunables, clock):
        self.clock = clock
        self.max_players = tunables.max_players
        self.max_logins = tunables.max_logins_in_flight
        self.retry_after_ms = tunables.server_full_retry_after_ms
        self.window_s = tunables.tick_behind_window_s
        self.late_limit = tunables.tick_behind_late_ticks
        self.behind_load = tunables.tick_behind_load
        self.late_min_load = tunables.tick_behind_min_load
        self.recovered_load = tunables.tick_recovered_load
        self.interval = 1.0 / tunables.tick_rate
        self.behind = False
        self.refused = 0
        self._ticks = deque()  # (clock time, missed before it, busy seconds)
        self._missed = 0  # intervals missed within the window
        self._late = 0  # ticks within the window that missed one or more
        self._busy = 0.0

    # -- what the tick tells
    def tick_observed(self, missed, busy_seconds):
        """One tick ran: C{missed} ticks were skipped before it, and it (with
        its send) took C{busy_seconds}."""
        now = self.clock.seconds()
        ticks = self._ticks
        ticks.append((now, missed, busy_seconds))
        self._missed += missed
        self._late += missed > 0
        self._busy += busy_seconds
        horizon = now - self.window_s
        while ticks and ticks[0][0] <= horizon:
            _, old_missed, old_busy = ticks.popleft()
            self._missed -= old_missed
            self._late -= old_missed > 0
            self._busy -= old_busy
        load = self.load()
        if self.behind:
            if self._late == 0 and load is not None and load <= self.recovered_load:
                self.behind = False
        elif load is not None and (load >= self.behind_load or (
                self._late >= self.late_limit and load >= self.late_min_load)):
            self.behind = True

    def load(self):
        """
        The share of the window's time the tick kept the process busy, or
        None until the window holds a second's worth of ticks.
        """
        ticks = len(self._ticks) + self._missed
        if ticks * self.interval < min(1.0, self.window_s):
            return None
        return self._busy / (ticks * self.interval)

    # -- what logins ask
    def check(self, players, logins=0):
        """
        @param players: players in the world plus logins under way.
        @param logins: the logins under way (a part of C{players}).
        @raise ServerFull: with C{retry_after_ms} when one more cannot come in.
        """
        if players >= self.max_players or logins >= self.max_logins or self.behind:
            self.refused += 1
            raise ServerFull(retry_after_ms=self.retry_after_ms)
