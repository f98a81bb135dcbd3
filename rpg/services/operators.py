"""
Operators' orders to running servers (kick, ban, revoke, role change), read
from the database.

C{rpg-admin} queues each order in the same transaction as the change it
follows (L{rpg.interfaces.IAccountAdmin.change_account}); every server
process polls the queue and carries out the orders for the players it holds.
The database is the one thing every process, and the admin tool, always
shares: this works on one process without Valkey as across many with it, at
the cost of one small query per poll (docs/admin.md, "How a running server
is reached").
"""

from twisted.application.service import Service
from twisted.internet import defer, task
from twisted.logger import Logger

# PostgreSQL hands out serial ids at insert, but a lower id may commit after
# a higher one: each poll looks this far back and skips what it has seen.
LOOKBACK_IDS = 32


class OperatorActions(Service):
    """
    Poll the queue of L{rpg.models.AdminAction}s every C{interval_s} and hand
    each new one to C{perform(action)} (which may return a Deferred).
    Actions queued before the service started are not carried out.
    """

    log = Logger()

    def __init__(self, store, perform, interval_s, clock):
        self.store = store
        self.perform = perform
        self.interval_s = interval_s
        self.clock = clock
        self._seen = set()
        self._after = None
        self._started_after = None
        self._loop = None
        self._polling = None
        self._failing = False

    def startService(self):
        super().startService()
        self.ready = defer.ensureDeferred(self._start())

    async def _start(self):
        self._after = self._started_after = await self.store.last_admin_action()
        self._loop = task.LoopingCall(self._poll_once)
        self._loop.clock = self.clock
        self._loop.start(self.interval_s, now=False)

    def stopService(self):
        super().stopService()
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        return self._polling

    def _poll_once(self):
        # Never returns a Deferred: a slow poll is skipped, not queued, and
        # a failure does not stop the loop.
        if self._polling is not None:
            return
        self._polling = defer.ensureDeferred(self.poll())
        self._polling.addErrback(self._failed).addBoth(self._done)

    def _done(self, _):
        self._polling = None

    def _failed(self, failure):
        if not self._failing:
            self.log.failure("Reading operator actions failed; retrying", failure)
        self._failing = True

    async def poll(self):
        """Carry out every action queued since the last poll."""
        actions = await self.store.admin_actions(max(0, self._after - LOOKBACK_IDS))
        self._failing = False
        for action in actions:
            if action.action_id in self._seen or action.action_id <= self._started_after:
                continue
            self._seen.add(action.action_id)
            self._after = max(self._after, action.action_id)
            try:
                await defer.maybeDeferred(self.perform, action)
            except Exception:
                self.log.failure("Operator action {action} failed", action=action)
        self._seen = {i for i in self._seen if i > self._after - LOOKBACK_IDS}
