"""
Map leases in Valkey: one hash per owned map, expiring unless renewed, and
one counter per map that hands out its epochs.  Each write is one Lua script.

Keys (under the namespace): C{lease:<map id>} is a hash of C{server_id},
C{epoch} and C{address} with a TTL; C{lease-epoch:<map id>} counts the map's
epochs and never expires.  Expiry is Valkey's clock, so processes with skewed
clocks agree on it.
"""

from twisted.internet.defer import Deferred
from zope.interface import implementer

from rpg.interfaces import IMapLeases
from rpg.models import MapLease

SCAN_COUNT = 500

# KEYS: lease, epoch counter; ARGV: server id, address, ttl ms
_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'server_id', ARGV[1], 'epoch', epoch, 'address', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return epoch
"""

# KEYS: lease; ARGV: server id, epoch, ttl ms (absent: release)
_RENEW_OR_RELEASE = """
local held = redis.call('HMGET', KEYS[1], 'server_id', 'epoch')
if held[1] ~= ARGV[1] or held[2] ~= ARGV[2] then return 0 end
if ARGV[3] then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('DEL', KEYS[1]) end
return 1
"""


def _ms(ttl_s):
    return max(1, int(ttl_s * 1000))


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


@implementer(IMapLeases)
class ValkeyMapLeases:
    """
    Map leases in Valkey.  Calls fail with
    L{rpg.store.valkey_link.ValkeyUnavailable} while Valkey is unreachable.

    @param link: the command connection, a L{rpg.store.valkey_link.ValkeyLink}.
    """

    def __init__(self, link, namespace):
        self._link = link
        self._prefix = f"{namespace}:lease:"
        self._epochs = f"{namespace}:lease-epoch:"

    def _eval(self, script, keys, args):
        return self._link.execute("EVAL", script, len(keys), *keys, *args)

    def acquire(self, map_id, server_id, address, ttl_s):
        d = self._eval(_ACQUIRE, [self._prefix + map_id, self._epochs + map_id],
                       [server_id, address, _ms(ttl_s)])
        return d.addCallback(
            lambda epoch: MapLease(map_id, server_id, int(epoch), address) if int(epoch) else None)

    def renew(self, lease, ttl_s):
        d = self._eval(_RENEW_OR_RELEASE, [self._prefix + lease.map_id],
                       [lease.server_id, str(lease.epoch), _ms(ttl_s)])
        return d.addCallback(lambda kept: int(kept) == 1)

    def release(self, lease):
        d = self._eval(_RENEW_OR_RELEASE, [self._prefix + lease.map_id],
                       [lease.server_id, str(lease.epoch)])
        return d.addCallback(lambda removed: int(removed) == 1)

    def _lease(self, map_id, fields):
        if not fields:
            return None
        values = dict(zip(fields[::2], fields[1::2]))
        values = {_text(k): _text(v) for k, v in values.items()}
        if "epoch" not in values:
            return None
        return MapLease(map_id, values.get("server_id", ""), int(values["epoch"]),
                        values.get("address", ""))

    def owner(self, map_id):
        d = self._link.execute("HGETALL", self._prefix + map_id)
        return d.addCallback(lambda fields: self._lease(map_id, fields))

    async def _owners(self):
        found, cursor = {}, b"0"
        while True:
            cursor, keys = await self._link.execute(
                "SCAN", cursor, "MATCH", self._prefix + "*", "COUNT", SCAN_COUNT)
            for key in keys:
                map_id = _text(key)[len(self._prefix):]
                lease = await self.owner(map_id)  # may have expired since the scan
                if lease is not None:
                    found[map_id] = lease
            if _text(cursor) == "0":
                return found

    def owners(self):
        return Deferred.fromCoroutine(self._owners())
