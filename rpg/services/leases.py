"""
This process's map leases: claimed at start-up, renewed while it lives,
given up the moment they can no longer be trusted.

A lease is only as good as its last renewal: the keeper counts a map as held
until C{ttl_s} after the last successful renewal was I{sent} (by its own
clock), so it stops acting on a map no later than the store expires the
lease, whatever the network did in between.  A stalled process may still
resume and try a write after that; the fencing epoch checked by the database
is what refuses it.
"""

from twisted.application.service import Service
from twisted.internet import defer, task
from twisted.logger import Logger


class LeaseKeeper(Service):
    """
    Claims, renews and gives up this process's map leases.

    @ivar leases: map id to the L{rpg.models.MapLease} held.
    @ivar valid_until: map id to the time (C{clock.seconds()}) after which
        the lease can no longer be trusted.

    @param store: an L{rpg.interfaces.IMapLeases}.
    @param maps: every map id of the world (for adoption).
    @param own_maps: map ids to claim at start-up.
    @param acquired: called with each L{rpg.models.MapLease} won.
    @param lost: called with each L{rpg.models.MapLease} given up (lost
        renewal, expiry, or released at stop).
    @param adopt_after_s: a map seen without an owner for this long is
        claimed (C{None}: never adopt); the grace lets a process started
        with C{--own-maps} take its own maps first.
    @param metrics: a L{rpg.services.metrics.Metrics} that counts each
        renewal's outcome and shows how many maps are held, or C{None}.
    """
    log = Logger()

    def __init__(self, store, server_id, address, maps, own_maps, clock, *, ttl_s=15.0,
                 acquired=lambda lease: None, lost=lambda lease: None, adopt_after_s=10.0,
                 metrics=None):
        self.store = store
        self.server_id = server_id
        self.address = address
        self.maps = list(maps)
        self.own_maps = list(own_maps)
        self.clock = clock
        self.ttl_s = ttl_s
        self.acquired = acquired
        self.lost = lost
        self.adopt_after_s = adopt_after_s
        self.metrics = metrics
        self.leases = {}
        self.valid_until = {}
        self._unowned_since = {}
        self._loop = task.LoopingCall(self._round)
        self._loop.clock = clock

    def holds(self, map_id):
        """Whether this process may act on C{map_id} now."""
        if map_id not in self.leases:
            return False
        if self.clock.seconds() >= self.valid_until[map_id]:
            self._give_up(map_id, "its lease ran out before a renewal succeeded")
            return False
        return True

    def startService(self):
        super().startService()
        self.ready = defer.ensureDeferred(self._claim(self.own_maps))
        self._loop.start(self.ttl_s / 3, now=False)

    def stopService(self):
        super().stopService()
        if self._loop.running:
            self._loop.stop()
        return defer.ensureDeferred(self.release_all())

    def claim(self, map_ids):
        """Try to claim C{map_ids} now (maps another process just released)."""
        return defer.ensureDeferred(self._claim([m for m in map_ids if m in self.maps]))

    async def release_all(self):
        """Release every lease held (at shutdown, so others take over at once)."""
        for map_id, lease in list(self.leases.items()):
            self._give_up(map_id, "this process is stopping")
            try:
                await self.store.release(lease)
            except Exception as exc:
                self.log.warn("Could not release map {map_id}: {error}", map_id=map_id,
                              error=exc)

    async def _claim(self, map_ids):
        for map_id in map_ids:
            if map_id in self.leases:
                continue
            sent = self.clock.seconds()
            try:
                lease = await self.store.acquire(map_id, self.server_id, self.address, self.ttl_s)
            except Exception as exc:
                self.log.warn("Could not claim map {map_id}: {error}", map_id=map_id, error=exc)
                continue
            if lease is None:
                continue
            self.leases[map_id] = lease
            self.valid_until[map_id] = sent + self.ttl_s
            self._held_changed()
            self._unowned_since.pop(map_id, None)
            self.log.info("Serving map {map_id} (epoch {epoch})", map_id=map_id,
                          epoch=lease.epoch)
            self.acquired(lease)

    def _give_up(self, map_id, why):
        lease = self.leases.pop(map_id, None)
        self.valid_until.pop(map_id, None)
        if lease is not None:
            self._held_changed()
            self.log.warn("No longer serving map {map_id}: {why}", map_id=map_id, why=why)
            self.lost(lease)

    def _held_changed(self):
        if self.metrics is not None:
            self.metrics.set_maps_owned(len(self.leases))

    def _count_renewal(self, outcome):
        if self.metrics is not None:
            self.metrics.lease_renewal(outcome)

    def _round(self):
        # Nothing may escape to the LoopingCall (it would stop renewing for
        # good and every map would be lost): a failed round is logged and the
        # next one runs.
        d = defer.ensureDeferred(self._renew_and_adopt())
        return d.addErrback(lambda f: self.log.failure("A lease round failed", f))

    async def _renew_and_adopt(self):
        for map_id, lease in list(self.leases.items()):
            if not self.holds(map_id):
                continue
            sent = self.clock.seconds()
            try:
                kept = await self.store.renew(lease, self.ttl_s)
            except Exception as exc:
                self.log.warn("Could not renew map {map_id}: {error}", map_id=map_id, error=exc)
                self._count_renewal("failed")
                continue  # holds() gives it up once valid_until passes
            self._count_renewal("renewed" if kept else "lost")
            if self.leases.get(map_id) != lease:
                continue
            if kept:
                self.valid_until[map_id] = sent + self.ttl_s
            else:
                self._give_up(map_id, "another process owns it now")
        if self.adopt_after_s is not None:
            await self._adopt()

    async def _adopt(self):
        try:
            owners = await self.store.owners()
        except Exception as exc:
            self.log.warn("Could not list map owners: {error}", error=exc)
            return
        now = self.clock.seconds()
        orphans = []
        for map_id in self.maps:
            if map_id in owners or map_id in self.leases:
                self._unowned_since.pop(map_id, None)
                continue
            since = self._unowned_since.setdefault(map_id, now)
            if now - since >= self.adopt_after_s:
                orphans.append(map_id)
        await self._claim(orphans)
