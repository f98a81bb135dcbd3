"""
Presence in Valkey: one key per player and a sorted set of who is online,
each write one Lua script.  The key layout is described in C{docs/valkey.md}.
"""

import msgpack
from twisted.internet.defer import Deferred, gatherResults, succeed
from zope.interface import implementer

from rpg.interfaces import IPresence
from rpg.models import PresenceEntry
from rpg.store.presence import presence_key

REFRESH_BATCH = 500

# Lua scripts: each runs atomically on the server.  Expiry times in the
# online set are the server's clock (TIME) in milliseconds, so processes with
# skewed clocks agree.
_NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

# KEYS: entry, online set; ARGV: blob, ttl ms, member
_CLAIM = _NOW_MS + """
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
return old
"""

# KEYS: entry, online set; ARGV: blob, member
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
return 0
"""

# KEYS: online set, entries...; ARGV: ttl ms, then blob, member per entry
_REFRESH = _NOW_MS + """
local ttl = tonumber(ARGV[1])
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[2 * i - 2] then
    redis.call('PEXPIRE', KEYS[i], ttl)
    redis.call('ZADD', KEYS[1], now + ttl, ARGV[2 * i - 1])
  end
end
return 0
"""

# KEYS: online set
_COUNT = _NOW_MS + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""


# KEYS: online set
_MEMBERS = _NOW_MS + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""


def encode_entry(entry):
    # Fixed field order: release and refresh compare the stored bytes.
    return msgpack.packb({"player_id": entry.player_id, "username": entry.username,
                          "server_id": entry.server_id,
                          "connection_id": entry.connection_id})


def decode_entry(blob):
    if blob is None:
        return None
    return PresenceEntry(**msgpack.unpackb(blob, raw=False))


@implementer(IPresence)
class ValkeyPresence:
    """
    Presence in Valkey: one key per player, expiring C{ttl_s} after the last
    claim or refresh, and a sorted set of online players for C{count}.
    Calls fail with L{rpg.store.valkey_link.ValkeyUnavailable} while Valkey
    is unreachable.

    @param link: the command connection, a L{rpg.store.valkey_link.ValkeyLink}.
    """

    def __init__(self, link, namespace, ttl_s=30.0):
        self._link = link
        self._prefix = f"{namespace}:presence:"
        self._online = f"{namespace}:online"
        self._ttl_ms = max(1, int(ttl_s * 1000))

    def _key(self, username):
        return self._prefix + presence_key(username)

    def _eval(self, script, keys, args):
        return self._link.execute("EVAL", script, len(keys), *keys, *args)

    def claim(self, entry):
        member = presence_key(entry.username)
        d = self._eval(_CLAIM, [self._key(member), self._online],
                       [encode_entry(entry), self._ttl_ms, member])
        return d.addCallback(decode_entry)

    def release(self, entry):
        member = presence_key(entry.username)
        d = self._eval(_RELEASE, [self._key(member), self._online],
                       [encode_entry(entry), member])
        return d.addCallback(lambda removed: int(removed) == 1)

    def lookup(self, username):
        return self._link.execute("GET", self._key(username)).addCallback(decode_entry)

    def count(self):
        return self._eval(_COUNT, [self._online], []).addCallback(int)

    async def _usernames(self):
        members = await self._eval(_MEMBERS, [self._online], [])
        names = []
        for start in range(0, len(members), REFRESH_BATCH):
            keys = [self._prefix.encode() + m for m in members[start:start + REFRESH_BATCH]]
            blobs = await self._link.execute("MGET", *keys)
            # an entry may expire between the two calls: skip it
            names += [decode_entry(b).username for b in blobs if b is not None]
        return sorted(names, key=str.lower)

    def usernames(self):
        """Sorted case-insensitively."""
        return Deferred.fromCoroutine(self._usernames())

    def refresh(self, entries):
        entries = list(entries)
        batches = []
        for start in range(0, len(entries), REFRESH_BATCH):
            keys, args = [self._online], [self._ttl_ms]
            for entry in entries[start:start + REFRESH_BATCH]:
                keys.append(self._key(entry.username))
                args += [encode_entry(entry), presence_key(entry.username)]
            batches.append(self._eval(_REFRESH, keys, args))
        if not batches:
            return succeed(None)
        d = gatherResults(batches, consumeErrors=True)
        d.addErrback(lambda f: f.value.subFailure)  # the first failure, unwrapped
        return d.addCallback(lambda _: None)
