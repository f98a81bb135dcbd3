"""
Map leases inside one process: the shipped default, and the reference the
Valkey implementation (L{rpg.store.valkey_leases}) is tested against.
"""

from twisted.internet.defer import succeed
from zope.interface import implementer

from rpg.interfaces import IMapLeases
from rpg.models import MapLease


@implementer(IMapLeases)
class MemoryMapLeases:
    """
    Leases held in a dict, expiring by C{clock} (the reactor by default).

    Epochs are kept per map for the life of the object, so they only grow.
    """

    def __init__(self, clock=None):
        if clock is None:
            from twisted.internet import reactor as clock
        self._clock = clock
        self._leases = {}  # map id -> (MapLease, expires at)
        self._epochs = {}  # map id -> last epoch handed out

    def _live(self, map_id):
        held = self._leases.get(map_id)
        if held is not None and held[1] <= self._clock.seconds():
            del self._leases[map_id]
            return None
        return held

    def acquire(self, map_id, server_id, address, ttl_s):
        if self._live(map_id) is not None:
            return succeed(None)
        epoch = self._epochs.get(map_id, 0) + 1
        self._epochs[map_id] = epoch
        lease = MapLease(map_id, server_id, epoch, address)
        self._leases[map_id] = (lease, self._clock.seconds() + ttl_s)
        return succeed(lease)

    def renew(self, lease, ttl_s):
        held = self._live(lease.map_id)
        if held is None or held[0] != lease:
            return succeed(False)
        self._leases[lease.map_id] = (lease, self._clock.seconds() + ttl_s)
        return succeed(True)

    def release(self, lease):
        held = self._live(lease.map_id)
        if held is None or held[0] != lease:
            return succeed(False)
        del self._leases[lease.map_id]
        return succeed(True)

    def owner(self, map_id):
        held = self._live(map_id)
        return succeed(held[0] if held is not None else None)

    def owners(self):
        return succeed({map_id: held[0] for map_id in list(self._leases)
                        if (held := self._live(map_id)) is not None})
