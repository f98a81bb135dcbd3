"""
Which maps this process serves, and the fencing epochs its writes carry.

A map is I{served} here from the moment its lease is held, its epoch is
installed in the database (fencing out every earlier owner's writes) and its
ground items are loaded, until the lease is lost or released.  Only then do
logins enter players on it and snapshots write it (docs/scaling.md).
"""

from twisted.application.service import Service
from twisted.internet import defer
from twisted.logger import Logger

from rpg.protocol.bus import MAPS_CHANNEL, maps_released_message, read_message
from rpg.services.leases import LeaseKeeper
from rpg.interfaces import StaleEpoch


class Ownership(Service):
    """
    The maps this process serves.

    @ivar keeper: the L{LeaseKeeper} that claims and renews the leases.
    @ivar serving: map id to the epoch installed for it, for the maps
        served here.
    @ivar served: called with a map id once it is served, before it counts
        as served: returns a Deferred (the world loads its ground items), or
        C{None}.  Set by whoever builds the world; during start-up, before
        it is set, maps are only installed.
    @ivar lost: called with a map id once it is no longer served (the
        world lets go of its players and ground items).
    """

    log = Logger()

    def __init__(self, leases, store, server_id, address, maps, own_maps, clock, tunables,
                 metrics=None, bus=None):
        self.store = store
        self.server_id = server_id
        # The bus on which a stopping process names the maps it released,
        # so that the others claim them at once (or None).
        self.bus = bus
        self.keeper = LeaseKeeper(
            leases, server_id, address, maps, own_maps, clock,
            ttl_s=tunables.map_lease_ttl_s, adopt_after_s=tunables.map_adopt_after_s,
            acquired=self._acquired, lost=self._lost, metrics=metrics)
        self.serving = {}
        self.served = None
        self.lost = lambda map_id: None
        self._installing = []

    def held(self, map_id):
        """Whether players may enter C{map_id} here, and its state be written."""
        return map_id in self.serving and self.keeper.holds(map_id)

    def owner_of(self, map_id):
        """A Deferred firing with the live lease of C{map_id} (any process's), or None."""
        return self.keeper.store.owner(map_id)

    async def serves_any(self, server_id):
        """Whether C{server_id} holds a live lease on any map."""
        owners = await self.keeper.store.owners()
        return any(lease.server_id == server_id for lease in owners.values())

    def epochs(self):
        """Map id to epoch, for every map served here now: what a write carries."""
        # holds() lets go of a lapsed lease as it looks, which takes the map
        # out of serving: look over a copy.
        return {map_id: epoch for map_id, epoch in list(self.serving.items())
                if self.keeper.holds(map_id)}

    def startService(self):
        super().startService()
        self.keeper.startService()
        if self.bus is not None:
            d = defer.maybeDeferred(self.bus.subscribe, MAPS_CHANNEL, self._bus_message)
            d.addErrback(lambda f: self.log.warn("Could not subscribe to released maps: {error}",
                                                 error=f.getErrorMessage()))

    async def start(self):
        """Claim this process's maps and wait until each won is served."""
        await self.keeper.ready
        while self._installing:
            installing, self._installing = self._installing, []
            await defer.DeferredList(installing)

    def stopService(self):
        super().stopService()
        released = sorted(self.keeper.leases)
        d = defer.maybeDeferred(self.keeper.stopService)
        if self.bus is not None and released:
            def tell(_):
                told = defer.maybeDeferred(
                    self.bus.publish, MAPS_CHANNEL,
                    maps_released_message(self.server_id, released))
                return told.addErrback(lambda f: self.log.warn(
                    "Could not announce the released maps: {error}",
                    error=f.getErrorMessage()))
            d.addCallback(tell)
        return d

    def _bus_message(self, data):
        message = read_message(data)
        if (not self.running or message is None or message.get("kind") != "released"
                or message.get("origin") == self.server_id
                or not isinstance(message.get("maps"), list)):
            return
        maps = [m for m in message["maps"] if isinstance(m, str)]
        self.keeper.claim(maps).addErrback(
            lambda f: self.log.failure("Claiming released maps failed", f))

    def _acquired(self, lease):
        d = defer.ensureDeferred(self._serve(lease))
        d.addErrback(lambda f: self.log.failure("Could not serve map {map_id}", f,
                                                map_id=lease.map_id))
        self._installing.append(d)

    async def _serve(self, lease):
        map_id = lease.map_id
        try:
            await self.store.install_epoch(map_id, lease.epoch)
        except StaleEpoch:
            self.log.warn("Map {map_id}: a newer owner installed its epoch first", map_id=map_id)
            self.keeper._give_up(map_id, "a newer owner fenced it")
            return
        if self.served is not None:
            await defer.maybeDeferred(self.served, map_id)
        if self.keeper.leases.get(map_id) == lease:
            self.serving[map_id] = lease.epoch
            self.log.info("Map {map_id} served here (epoch {epoch})", map_id=map_id,
                          epoch=lease.epoch)

    def _lost(self, lease):
        if self.serving.pop(lease.map_id, None) is not None:
            self.lost(lease.map_id)
