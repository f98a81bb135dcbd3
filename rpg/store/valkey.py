"""
Presence and the message bus shared by server processes through Valkey (or
Redis), over txredisapi.

Two connections per process: one for commands (presence, PUBLISH) and one in
subscriber mode.  Each is kept up by a L{ClientService} that reconnects with
a short backoff; while a connection is down, commands fail at once with
L{ValkeyUnavailable} instead of queueing.  Key layout and failure behaviour
are described in C{docs/valkey.md}.
"""

from dataclasses import dataclass
from typing import Optional
from urllib.parse import unquote, urlsplit

import msgpack
import txredisapi
from twisted.application.internet import ClientService, backoffPolicy
from twisted.internet import protocol
from twisted.internet.defer import Deferred, fail, gatherResults, succeed
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from rpg.interfaces import IMessageBus, IPresence
from rpg.models import PresenceEntry
from rpg.store.presence import check_message, deliver, presence_key

SCHEMES = ("redis", "valkey")
DEFAULT_PORT = 6379
RECONNECT_INITIAL_S = 0.2
RECONNECT_MAX_S = 3.0
REPLY_TIMEOUT_S = 5.0
REFRESH_BATCH = 500


class ValkeyUnavailable(Exception):
    """Valkey cannot be reached now; the call was not carried out."""


@dataclass(frozen=True)
class ValkeyAddress:
    host: str
    port: int = DEFAULT_PORT
    db: int = 0
    username: Optional[str] = None
    password: Optional[str] = None

    def __str__(self):
        return f"{self.host}:{self.port}/{self.db}"


def parse_valkey_url(url):
    """
    Read C{redis://[user:password@]host[:port][/db]} (or C{valkey://...}).

    @raise ValueError: with a one-line message, for anything else.
    """
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORT
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"bad Valkey URL {url!r}: expected redis://host:port/db") from None
    if parts.scheme not in SCHEMES:
        raise ValueError(f"bad Valkey URL {url!r}: scheme must be redis:// or valkey://")
    if not parts.hostname:
        raise ValueError(f"bad Valkey URL {url!r}: no host")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"bad Valkey URL {url!r}: database must be a number, not {path!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"bad Valkey URL {url!r}: query strings are not supported")
    return ValkeyAddress(
        host=parts.hostname, port=port, db=int(path or 0),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None)


class _CommandProtocol(txredisapi.RedisProtocol):
    pass


class _SubscriberProtocol(txredisapi.SubscriberProtocol):
    def messageReceived(self, pattern, channel, message):
        self.factory.link.on_message(channel, message)


class _LinkFactory(protocol.Factory):
    """
    Builds txredisapi protocols for binary data (no decoding, no number
    conversion) and answers the few calls they make on their factory.
    """

    noisy = False
    isLazy = False

    def __init__(self, link, protocol_class, address, select_db, clock):
        self.link = link
        self.protocol_class = protocol_class
        self.address = address
        self.select_db = select_db
        self.clock = clock

    def buildProtocol(self, addr):
        p = self.protocol_class(
            charset=None, convertNumbers=False, replyTimeout=REPLY_TIMEOUT_S,
            password=self.address.password, username=self.address.username,
            dbid=self.address.db if self.select_db and self.address.db else None)
        p.factory = self
        p.callLater = self.clock.callLater
        return p

    def stopTrying(self):
        self.link.stop()

    def connectionError(self, why):
        self.link.refused(why)


class _Link:
    """
    One connection kept up by a L{ClientService}: reconnects with a capped
    backoff, logs the loss and the return once each.
    """

    log = Logger()

    def __init__(self, address, endpoint, role, protocol_class, clock, name,
                 select_db=True, on_ready=None, on_message=None):
        self.address = address
        self.role = role
        self.name = name
        self.protocol = None
        self.on_ready = on_ready
        self.on_message = on_message
        self.on_restored = []
        self._was_lost = False
        self._refusal = None
        self._clock = clock
        self._service = ClientService(
            endpoint, _LinkFactory(self, protocol_class, address, select_db, clock),
            retryPolicy=backoffPolicy(RECONNECT_INITIAL_S, RECONNECT_MAX_S, 2.0),
            clock=clock, prepareConnection=self._prepare)

    def start(self):
        """
        @return: Deferred firing once the first connection is usable; fails
            with L{ValkeyUnavailable} if the first attempt fails.
        """
        d = self._service.whenConnected(failAfterFailures=1)
        self._service.startService()
        # whenConnected fires inside a ClientService state change, which a
        # caller stopping the service at once would re-enter: wait a turn.
        d.addBoth(lambda result: deferLater(self._clock, 0, lambda: result))
        d.addCallback(lambda _: None)

        def failed(failure):
            reason = self._refusal or failure.getErrorMessage()
            raise ValkeyUnavailable(
                f"cannot connect to Valkey at {self.address}: {reason}")
        return d.addErrback(failed)

    def stop(self):
        if not self._service.running:
            return succeed(None)
        return self._service.stopService()

    def refused(self, why):
        self._refusal = why
        self.log.error("Valkey {role} connection to {address} refused: {why}",
                       role=self.role, address=str(self.address), why=why)

    def _prepare(self, proto):
        ready = Deferred()
        proto.whenConnected().addCallback(ready.callback)

        def lost(_):
            if not ready.called:
                ready.errback(ValkeyUnavailable("connection lost while opening"))
        proto.whenDisconnected().addCallback(lost)
        # The name shows in CLIENT LIST: which process and role a connection is.
        ready.addCallback(lambda p: p.execute_command("CLIENT", "SETNAME", self.name)
                          .addCallback(lambda _: p))
        if self.on_ready is not None:
            ready.addCallback(self.on_ready)
        ready.addCallback(self._usable, proto)
        return ready

    def _usable(self, _, proto):
        self.protocol = proto
        proto.whenDisconnected().addCallback(self._lost, proto)
        if self._was_lost:
            self._was_lost = False
            self.log.info("Valkey {role} connection to {address} restored",
                          role=self.role, address=str(self.address))
            for callback in list(self.on_restored):
                callback()

    def _lost(self, _, proto):
        if self.protocol is proto:
            self.protocol = None
        if self._service.running:
            self._was_lost = True
            self.log.warn("Valkey {role} connection to {address} lost; reconnecting",
                          role=self.role, address=str(self.address))

    def execute(self, *args):
        """
        @return: Deferred firing with the reply; fails with
            L{ValkeyUnavailable} when not connected, or with the server's
            L{txredisapi.ResponseError}.
        """
        proto = self.protocol
        if proto is None:
            return fail(ValkeyUnavailable(f"Valkey at {self.address} is unreachable"))
        try:
            d = proto.execute_command(*args)
        except txredisapi.ConnectionError as exc:
            return fail(ValkeyUnavailable(str(exc)))
        return d.addErrback(self._translate)

    @staticmethod
    def _translate(failure):
        failure.trap(txredisapi.ConnectionError)
        raise ValkeyUnavailable(failure.getErrorMessage())


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
    Calls fail with L{ValkeyUnavailable} while Valkey is unreachable.
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


@implementer(IMessageBus)
class ValkeyBus:
    """
    The bus over Valkey pub/sub; this process's own messages come back to
    it too.  Publishing never fails: while Valkey is away messages are
    dropped and the outage is logged once.
    """

    log = Logger()

    def __init__(self, commands, subscriber, namespace):
        self._commands = commands
        self._subscriber = subscriber
        self._prefix = f"{namespace}:bus:"
        self._handlers = {}  # full channel name (bytes) -> [handler]
        self._subscribing = {}  # channel name -> [Deferred] of later subscribers
        self._dropped = 0
        subscriber.on_ready = self._resubscribe
        subscriber.on_message = self._received
        commands.on_restored.append(self._publishing_back)

    def channel_key(self, channel):
        """The Valkey channel that carries bus channel C{channel}."""
        return self._channel(channel)

    def _channel(self, channel):
        return (self._prefix + channel).encode()

    def publish(self, channel, message):
        check_message(channel, message)
        d = self._commands.execute("PUBLISH", self._channel(channel), message)
        return d.addCallbacks(self._published, self._publish_failed)

    def _published(self, _):
        if self._dropped:
            self._publishing_back()

    def _publish_failed(self, failure):
        if not self._dropped:
            self.log.warn("bus publish failed ({error}); dropping messages until "
                          "Valkey is back", error=failure.getErrorMessage())
        self._dropped += 1

    def _publishing_back(self):
        if self._dropped:
            self.log.info("bus publishing resumed; {count} messages were dropped",
                          count=self._dropped)
            self._dropped = 0

    def subscribe(self, channel, handler):
        """
        Fails with L{ValkeyUnavailable} while Valkey is away; the handler
        stays registered and is subscribed when Valkey returns.
        """
        check_message(channel, b"")
        name = self._channel(channel)
        first = name not in self._handlers
        self._handlers.setdefault(name, []).append(handler)
        if not first:
            if name not in self._subscribing:
                return succeed(None)
            waiter = Deferred()
            self._subscribing[name].append(waiter)
            return waiter
        proto = self._subscriber.protocol
        if proto is None:
            return fail(ValkeyUnavailable(
                f"Valkey at {self._subscriber.address} is unreachable"))
        self._subscribing[name] = []
        d = proto.subscribe([name]).addErrback(_Link._translate)
        return d.addBoth(self._subscribed, name)

    def _subscribed(self, result, name):
        """Tell later subscribers to the channel what the first one learnt."""
        failed = isinstance(result, Failure)
        for waiter in self._subscribing.pop(name, []):
            if failed:
                waiter.errback(result)
            else:
                waiter.callback(None)
        return result if failed else None

    def _resubscribe(self, proto):
        if not self._handlers:
            return None
        return proto.subscribe(list(self._handlers))

    def _received(self, channel, message):
        channel = bytes(channel)
        handlers = self._handlers.get(channel, ())
        name = channel[len(self._prefix):].decode("utf-8", "replace")
        deliver(self.log, handlers, name, message)


class ValkeyConnection:
    """
    What L{connect_valkey} gives: C{presence}, C{bus}, C{execute(*args)}
    for plain commands, and C{close()}.
    """

    def __init__(self, address, namespace, commands, subscriber, presence_ttl_s):
        self.address = address
        self.namespace = namespace
        self._commands = commands
        self._subscriber = subscriber
        self.presence = ValkeyPresence(commands, namespace, presence_ttl_s)
        self.bus = ValkeyBus(commands, subscriber, namespace)

    def execute(self, *args):
        """Run one command; see L{_Link.execute}."""
        return self._commands.execute(*args)

    def close(self):
        """@return: Deferred firing with C{None} once both connections closed."""
        d = gatherResults([self._commands.stop(), self._subscriber.stop()],
                          consumeErrors=True)
        return d.addCallback(lambda _: None)


def connect_valkey(url, namespace="rpg", clock=None, presence_ttl_s=30.0,
                   connect_timeout_s=5.0, endpoint=None):
    """
    Connect to Valkey at C{url} (C{redis://host:port/db} or C{valkey://...}).

    @param clock: times reconnection backoff and reply timeouts (the reactor
        by default).
    @param endpoint: connect through this client endpoint instead of TCP to
        the URL's host (for tests).
    @raise ValueError: at once, for a bad URL.
    @return: Deferred firing with a L{ValkeyConnection}; fails with
        L{ValkeyUnavailable} if Valkey cannot be reached now.
    """
    address = parse_valkey_url(url)
    if not namespace or any(c.isspace() for c in namespace):
        raise ValueError(f"bad Valkey namespace {namespace!r}: must be non-empty, without spaces")
    from twisted.internet import reactor
    clock = clock if clock is not None else reactor
    if endpoint is None:
        endpoint = HostnameEndpoint(reactor, address.host, address.port,
                                    timeout=connect_timeout_s)
    commands = _Link(address, endpoint, "command", _CommandProtocol, clock,
                     name=f"{namespace}:command")
    subscriber = _Link(address, endpoint, "subscriber", _SubscriberProtocol, clock,
                       name=f"{namespace}:subscriber", select_db=False)
    conn = ValkeyConnection(address, namespace, commands, subscriber, presence_ttl_s)
    d = gatherResults([commands.start(), subscriber.start()], consumeErrors=True)

    def failed(failure):
        error = failure.value.subFailure
        return conn.close().addBoth(lambda _: error)
    return d.addCallbacks(lambda _: conn, failed)
