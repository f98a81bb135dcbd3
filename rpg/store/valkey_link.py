"""
Connections to Valkey (or Redis) over txredisapi: the URL, and L{ValkeyLink},
one connection kept up by a L{ClientService} that reconnects with a short
backoff.  While a connection is down, commands fail at once with
L{ValkeyUnavailable} instead of queueing.  Failure behaviour is described in
C{docs/valkey.md}.
"""

from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import unquote, urlsplit

import txredisapi
from twisted.application.internet import ClientService, backoffPolicy
from twisted.internet import protocol
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.task import deferLater
from twisted.logger import Logger

SCHEMES = ("redis", "valkey", "rediss", "valkeys")
TLS_SCHEMES = ("rediss", "valkeys")
DEFAULT_PORT = 6379
RECONNECT_INITIAL_S = 0.2
RECONNECT_MAX_S = 3.0
REPLY_TIMEOUT_S = 5.0


class ValkeyUnavailable(Exception):
    """Valkey cannot be reached now; the call was not carried out."""


@dataclass(frozen=True)
class ValkeyAddress:
    host: str
    port: int = DEFAULT_PORT
    db: int = 0
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    tls: bool = False

    def __str__(self):
        # Never the password: this is what logs and error messages show.
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{self.host}:{self.port}/{self.db}"


def redact_url(url):
    """C{url} with any password replaced by C{***}, for messages and logs."""
    if not isinstance(url, str):
        return repr(url)
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    credentials, at, host = authority.rpartition("@")
    if not at:
        return url
    user, colon, _ = credentials.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}{slash}{tail}"


def parse_valkey_url(url):
    """
    Read C{redis://[user:password@]host[:port][/db]} (or C{valkey://...};
    C{rediss://} and C{valkeys://} for TLS).

    @raise ValueError: with a one-line message, for anything else; the
        message never holds the password.
    """
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORT
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"bad Valkey URL {shown}: expected redis://host:port/db") from None
    if parts.scheme not in SCHEMES:
        raise ValueError(f"bad Valkey URL {shown}: scheme must be redis://, valkey://, "
                         "rediss:// or valkeys:// (TLS)")
    if not parts.hostname:
        raise ValueError(f"bad Valkey URL {shown}: no host")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"bad Valkey URL {shown}: database must be a number, not {path!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"bad Valkey URL {shown}: query strings are not supported")
    return ValkeyAddress(
        host=parts.hostname, port=port, db=int(path or 0),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=parts.scheme in TLS_SCHEMES)


class CommandProtocol(txredisapi.RedisProtocol):
    """The protocol of a command connection: txredisapi's own."""


class SubscriberProtocol(txredisapi.SubscriberProtocol):
    """The protocol of a subscriber connection: each message goes to its link's C{on_message}."""

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


class ValkeyLink:
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

        def failed():
            if not ready.called:
                ready.errback(ValkeyUnavailable("connection lost while opening"))

        def lost(_):
            # On the next turn: the ClientService must hear of the loss
            # before this failure may lead a caller to stop it (Twisted's
            # ClientService has no transition for a loss once stopped).
            self._clock.callLater(0, failed)
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
        return d.addErrback(connection_error_as_unavailable)


def connection_error_as_unavailable(failure):
    """Errback: a lost connection becomes L{ValkeyUnavailable}; any other failure passes on."""
    failure.trap(txredisapi.ConnectionError)
    raise ValkeyUnavailable(failure.getErrorMessage())
