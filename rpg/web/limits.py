"""
The HTTP edge's defences against hostile clients: the size and time of a
request, connections per address and in all, and the headers every response
carries.

twisted.web reads a whole request body (spooling past 100 KB to a temporary
file) before any resource sees it, and its idle timeout starts again with
every byte a client sends: these limits live where the bytes arrive, in the
channel and the request, not in the resources.

L{LimitedChannel} overrides twisted.web's HTTPChannel at the points where a
request's head and body arrive (C{allHeadersReceived}, C{allContentReceived},
C{lineReceived}, C{rawDataReceived}) and reads two of its private attributes
(C{_handlingRequest}, C{_networkProducer}); checked on Twisted 26.10.0, and
tests/web/test_http_limits.py fails when they change.
"""

import json
from functools import partial

from twisted.web import http, server

from rpg.addresses import address_key

# The web client loads its script, style sheet and map images from this
# origin and talks to /ws; the skills panel sets widths in style attributes.
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; "
    b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

SECURITY_HEADERS = (
    (b"X-Content-Type-Options", b"nosniff"),
    (b"Content-Security-Policy", CONTENT_SECURITY_POLICY),
    (b"Referrer-Policy", b"no-referrer"),
    (b"X-Frame-Options", b"DENY"),
)

# How long a refused connection may go on sending (its bytes discarded) after
# the answer, so that the client reads the answer instead of a reset.
LINGER_S = 2.0


def json_error(code, message):
    return json.dumps({"error_code": code, "message": message}).encode("utf-8")


def release_connection(transport):
    """
    Uncount a connection counted by L{LimitedChannel}, whichever protocol
    owns its transport by now; once only (nothing for an uncounted one).
    """
    release = getattr(transport, "__dict__", {}).pop("release_connection", None)
    if release is not None:
        release()


class ConnectionLimits:
    """
    Counts the open connections of each address and in all.  A connection is
    held by its transport until the transport is disconnected, whichever
    protocol owns it by then (a WebSocket upgrade hands the transport from
    the HTTP channel to Autobahn, and the channel never hears of its end), so
    the counts are checked against the transports' own state when a cap is
    reached.
    """

    def __init__(self, per_address, total):
        self.per_address = per_address  # 0: no cap
        self.total = total              # 0: no cap
        self._by_address = {}
        self._all = set()

    def admit(self, key):
        """Whether another connection from C{key} is allowed now."""
        held = self._by_address.get(key)
        if self.per_address and held is not None and len(held) >= self.per_address:
            self._prune(key)
            held = self._by_address.get(key)
            if held is not None and len(held) >= self.per_address:
                return False
        if self.total and len(self._all) >= self.total:
            for k in list(self._by_address):
                self._prune(k)
            if len(self._all) >= self.total:
                return False
        return True

    def opened(self, key, transport):
        self._by_address.setdefault(key, set()).add(transport)
        self._all.add(transport)

    def closed(self, key, transport):
        held = self._by_address.get(key)
        if held is not None:
            held.discard(transport)
            if not held:
                del self._by_address[key]
        self._all.discard(transport)

    def count(self, key=None):
        if key is None:
            return len(self._all)
        return len(self._by_address.get(key, ()))

    def _prune(self, key):
        held = self._by_address.get(key, set())
        for transport in [t for t in held if getattr(t, "disconnected", False)]:
            self.closed(key, transport)


class LimitedRequest(server.Request):
    """A request whose body stops at the site's cap; its answers carry the security headers."""

    _body_received = 0

    def __init__(self, *args, **kwargs):
        # The resources that take a body read it themselves (rpg.web.http):
        # twisted.web's own form parsing would answer a malformed multipart
        # body with a bare 400 that is not JSON, on any path.
        kwargs.setdefault("parsePOSTFormSubmission", False)
        super().__init__(*args, **kwargs)

    def handleContentChunk(self, data):
        self._body_received += len(data)
        if self._body_received > self.channel.max_body:
            self.channel.refuse_body_too_large()
            return
        super().handleContentChunk(data)

    def write(self, data):
        if not self.startedWriting:
            self.responseHeaders.removeHeader(b"server")  # no version banner
            for name, value in SECURITY_HEADERS:
                if not self.responseHeaders.hasHeader(name):
                    self.responseHeaders.setRawHeaders(name, [value])
        super().write(data)


class LimitedChannel(http.HTTPChannel):
    """
    An HTTP channel with a cap on request bodies (by C{Content-Length}, and
    for chunked bodies as they pass it) and a deadline for each request's
    headers and body that trickling bytes do not move, beside twisted.web's
    idle timeout.  Set by L{GuardedSite}: C{max_body}, C{deadline_s},
    C{limits} and C{limits_key}.

    It speaks HTTP/1.1 only (twisted.web's default wraps its channel in a
    proxy that can switch to HTTP/2 after TLS; the WebSocket needs 1.1).
    """

    _refused = False
    _deadline = None
    _linger = None
    _counted = None

    def connectionMade(self):
        super().connectionMade()
        self._counted = self.transport
        self.limits.opened(self.limits_key, self.transport)
        # A WebSocket upgrade hands the transport to another protocol, and
        # this channel never hears of its end: that protocol calls
        # release_connection(transport) when it loses it (rpg.web.ws).
        self.transport.release_connection = partial(self.limits.closed, self.limits_key,
                                                    self.transport)
        self._arm_deadline()

    def connectionLost(self, reason):
        self._cancel_deadline()
        if self._linger is not None and self._linger.active():
            self._linger.cancel()
        if self._counted is not None:
            release_connection(self._counted)
        super().connectionLost(reason)

    def dataReceived(self, data):
        if self._refused:
            return
        if self._deadline is None and not self._handlingRequest:
            self._arm_deadline()
        super().dataReceived(data)

    def lineReceived(self, line):
        if not self._refused:
            super().lineReceived(line)

    def rawDataReceived(self, data):
        if not self._refused:
            super().rawDataReceived(data)

    def allHeadersReceived(self):
        if self.length is not None and self.length > self.max_body:
            self.refuse_body_too_large()
            return
        super().allHeadersReceived()

    def allContentReceived(self):
        if self._refused:
            return
        self._cancel_deadline()
        super().allContentReceived()

    def _arm_deadline(self):
        if self.deadline_s:
            self._deadline = self.callLater(self.deadline_s, self._deadline_passed)

    def _cancel_deadline(self):
        if self._deadline is not None:
            if self._deadline.active():
                self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self):
        self._deadline = None
        if not self._handlingRequest and self.transport is not None:
            self.refuse(408, "Request Timeout", "REQUEST_TIMEOUT",
                        f"The request did not arrive within {self.deadline_s:g} s")

    def refuse_body_too_large(self):
        self.refuse(413, "Content Too Large", "INVALID_MESSAGE_FORMAT",
                    f"Request body over {self.max_body} bytes")

    def refuse(self, status, reason, code, message):
        """
        Answer C{status} with a JSON error and close, reading (and dropping)
        whatever the client still sends for a moment, so that it sees the
        answer rather than a reset.
        """
        if self._refused or self.transport is None:
            return
        self._refused = True
        self._cancel_deadline()
        self.setTimeout(None)
        body = json_error(code, message)
        head = [f"HTTP/1.1 {status} {reason}".encode("ascii"),
                b"Content-Type: application/json", b"Cache-Control: no-store",
                b"Content-Length: " + str(len(body)).encode("ascii"), b"Connection: close"]
        head += [name + b": " + value for name, value in SECURITY_HEADERS]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self._networkProducer.resumeProducing()
        lose_write = getattr(self.transport, "loseWriteConnection", None)
        if lose_write is None:
            self.transport.loseConnection()
            return
        lose_write()
        self._linger = self.callLater(LINGER_S, self.transport.abortConnection)


class GuardedSite(server.Site):
    """
    A site whose channels are L{LimitedChannel}s and whose requests are
    L{LimitedRequest}s, and which refuses connections over its caps: the
    socket is closed at once, before anything is read or written.

    Not C{twisted.protocols.policies.LimitConnectionsByPeer}: it wraps every
    protocol in a C{ProtocolWrapper}, which would put a wrapper between the
    WebSocket and its TCP transport (and take away L{rpg.web.fastpath.send_now}'s
    direct writes), and it has no overall cap and counts IPv6 hosts one by
    one.
    """

    protocol = LimitedChannel

    def __init__(self, resource, tunables, reactor=None):
        super().__init__(resource, requestFactory=LimitedRequest, reactor=reactor)
        self.max_body = tunables.http_max_body_bytes
        self.deadline_s = tunables.http_request_deadline_s
        self.limits = ConnectionLimits(tunables.max_connections_per_address,
                                       tunables.max_connections)

    def buildProtocol(self, addr):
        key = address_key(getattr(addr, "host", addr))
        if not self.limits.admit(key):
            return None
        channel = super().buildProtocol(addr)
        channel.max_body = self.max_body
        channel.deadline_s = self.deadline_s
        channel.limits = self.limits
        channel.limits_key = key
        return channel
