"""
Presence and the message bus shared by server processes through Valkey (or
Redis), over txredisapi.

Two connections per process: one for commands (presence, PUBLISH) and one in
subscriber mode, each a L{ValkeyLink} (in L{rpg.store.valkey_link}, with how
they reconnect and fail while Valkey is away).  L{connect_valkey} opens them
and puts presence (L{rpg.store.valkey_presence}) and the bus
(L{rpg.store.valkey_bus}) on them.  Key layout and failure behaviour are
described in C{docs/valkey.md}.
"""

from twisted.internet.defer import gatherResults
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS

from rpg.store.valkey_bus import ValkeyBus
from rpg.store.valkey_leases import ValkeyMapLeases
from rpg.store.valkey_link import (CommandProtocol, SubscriberProtocol, ValkeyLink,
                                   parse_valkey_url)
from rpg.store.valkey_presence import ValkeyPresence


class ValkeyConnection:
    """
    What L{connect_valkey} gives: C{presence}, C{bus}, C{leases} (map
    ownership), C{execute(*args)}
    for plain commands, and C{close()}.
    """

    def __init__(self, address, namespace, commands, subscriber, presence_ttl_s,
                 bus_secret=None):
        self.address = address
        self.namespace = namespace
        self._commands = commands
        self._subscriber = subscriber
        self.presence = ValkeyPresence(commands, namespace, presence_ttl_s)
        self.bus = ValkeyBus(commands, subscriber, namespace, secret=bus_secret)
        self.leases = ValkeyMapLeases(commands, namespace)

    def execute(self, *args):
        """Run one command; see L{ValkeyLink.execute}."""
        return self._commands.execute(*args)

    def close(self):
        """@return: Deferred firing with C{None} once both connections closed."""
        d = gatherResults([self._commands.stop(), self._subscriber.stop()],
                          consumeErrors=True)
        return d.addCallback(lambda _: None)


def connect_valkey(url, namespace="rpg", clock=None, presence_ttl_s=30.0,
                   connect_timeout_s=5.0, endpoint=None, bus_secret=None):
    """
    Connect to Valkey at C{url} (C{redis://[user:password@]host:port/db} or
    C{valkey://...}; C{rediss://} or C{valkeys://} over TLS, checked against
    the system's trusted certificates).

    @param bus_secret: the server secret; when given, bus messages are
        signed with a key derived from it and unsigned or forged ones are
        dropped (L{rpg.store.valkey_bus.ValkeyBus}).

    @param clock: times reconnection backoff and reply timeouts (the reactor
        by default).
    @param endpoint: connect through this client endpoint instead of TCP to
        the URL's host (for tests).
    @raise ValueError: at once, for a bad URL.
    @return: Deferred firing with a L{ValkeyConnection}; fails with
        L{rpg.store.valkey_link.ValkeyUnavailable} if Valkey cannot be
        reached now.
    """
    address = parse_valkey_url(url)
    if not namespace or any(c.isspace() for c in namespace):
        raise ValueError(f"bad Valkey namespace {namespace!r}: must be non-empty, without spaces")
    from twisted.internet import reactor
    clock = clock if clock is not None else reactor
    if endpoint is None:
        endpoint = HostnameEndpoint(reactor, address.host, address.port,
                                    timeout=connect_timeout_s)
        if address.tls:
            from twisted.internet.ssl import optionsForClientTLS
            endpoint = wrapClientTLS(optionsForClientTLS(address.host), endpoint)
    commands = ValkeyLink(address, endpoint, "command", CommandProtocol, clock,
                          name=f"{namespace}:command")
    subscriber = ValkeyLink(address, endpoint, "subscriber", SubscriberProtocol, clock,
                            name=f"{namespace}:subscriber", select_db=False)
    conn = ValkeyConnection(address, namespace, commands, subscriber, presence_ttl_s,
                            bus_secret)
    d = gatherResults([commands.start(), subscriber.start()], consumeErrors=True)

    def failed(failure):
        error = failure.value.subFailure
        return conn.close().addBoth(lambda _: error)
    return d.addCallbacks(lambda _: conn, failed)
