"""
The WebSocket edge: decode, hand to the session, encode.  Nothing else.

Outgoing frames are framed here and written straight to the transport,
and a client's usual frames (complete, binary, masked) are read without
Autobahn's frame machinery, through L{rpg.web.fastpath}, the one module
that relies on Twisted's and Autobahn's internals (and says why it pays).
Anything unusual (a queued or compressed send; a control frame, a text
frame, a fragment, a frame cut by the read) still goes through Autobahn.

A connection's frames are not written one by one: they wait in the
connection's list and leave in one write at the end of the tick (the world
service's C{end_of_tick} hook), or at the next turn of the reactor for
frames sent outside the tick (login replies, chat).  Each write to a Twisted
transport registers the socket with epoll and unregisters it after the
flush, two syscalls besides the C{send}; a player gets a reply, an update
and events in one tick, and now pays for one write.
"""

from urllib.parse import urlsplit

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny
from twisted.logger import Logger

from rpg.protocol.close_codes import CLOSE_POLICY
from rpg.session import Session
from rpg.web.fastpath import (
    binary_frame, frames_directly, quiet_option_dump, read_frames, reads_directly, send_close,
    send_now, send_uncapped, unsent_bytes)
from rpg.web.limits import release_connection


_log = Logger()


def _host_port(netloc, default_port):
    """C{("host", port)} of a C{host[:port]} (IPv6 in brackets), lower-cased."""
    parts = urlsplit("//" + netloc)
    try:
        port = parts.port
    except ValueError:
        return None
    return ((parts.hostname or "").lower(), port or default_port)


def origin_allowed(origin, host, allowed):
    """
    Whether a browser from C{origin} may open /ws: no C{Origin} header at all
    (not a browser), the server's own origin (its host and port are those of
    the request's C{Host}), or one of C{allowed} (C{scheme://host[:port]},
    or C{"*"}).
    """
    if origin is None:
        return True
    origin = origin.strip().lower().rstrip("/")
    if "*" in allowed or origin in (entry.lower().rstrip("/") for entry in allowed):
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False   # "null" (a sandboxed page, a file), or nonsense
    default_port = 443 if parts.scheme == "https" else 80
    mine = _host_port(host or "", default_port)
    return mine is not None and _host_port(parts.netloc, default_port) == mine


class GameProtocol(WebSocketServerProtocol):
    """
    One WebSocket connection: it hands each message to its L{Session} and
    writes the session's frames, batched per connection (L{flush}), and
    closes a client that does not read.

    @ivar session: the connection's L{Session}, from the opening handshake
        on; None before.
    @ivar peer_address: the client's address as the handshake named it.
    """

    # No C{log} of our own: Autobahn logs every frame at debug level through
    # C{self.log}, and its txaio logger drops those cheaply; a Twisted
    # Logger here would format and write each one.
    session = None
    # Frames waiting for this connection's next write, or None.
    _out = None
    # The check that closes a connection whose unsent output stayed too big.
    _backlog_call = None
    # Whether a frame of its own (not fanned out) is among those waiting.
    _own_waiting = False
    # The Outbox's number for the last time its frames were queued.
    _queued_as = None
    peer_address = "unknown"   # until the handshake names it
    # Whether rpg.web.fastpath reads this connection's frames (once it is
    # open, and when Autobahn's internals it reads are there): None until
    # the first read after the handshake.
    _reads_directly = None

    def onConnect(self, request):
        self.peer_address = request.peer
        if not origin_allowed(request.headers.get("origin"), request.headers.get("host"),
                              self.factory.tunables.allowed_origins):
            raise ConnectionDeny(ConnectionDeny.FORBIDDEN, "origin not allowed")
        return None

    def onOpen(self):
        factory = self.factory
        self.session = Session(factory.hub, self._send, self._close, factory.clock,
                               factory.tunables, peer=self.peer_address,
                               backlog=self.unsent_bytes, metrics=factory.metrics)
        factory.connections.add(self)
        factory.outbox.attach(self.session, self)
        self.session.connection_made()

    def dataReceived(self, data):
        # A client's usual frames are read here (rpg.web.fastpath); whatever
        # else the bytes hold goes to Autobahn, in order.
        reads = self._reads_directly
        if reads is None and self.state == WebSocketServerProtocol.STATE_OPEN:
            reads = self._reads_directly = reads_directly(self)   # checked once, when open
        rest = read_frames(self, data, self.onMessage) if reads else data
        if rest:
            super().dataReceived(rest)

    def onMessage(self, payload, isBinary):
        if self.session is not None:
            self.session.frame_received(payload, isBinary)

    def connectionLost(self, reason):
        # Uncount the connection at the HTTP side's caps (rpg.web.limits).
        if self.transport is not None:
            release_connection(self.transport)
        super().connectionLost(reason)

    def onClose(self, wasClean, code, reason):
        self._out = None
        if self._backlog_call is not None and self._backlog_call.active():
            self._backlog_call.cancel()
        self._backlog_call = None
        self.factory.connections.discard(self)
        if self.session is not None:
            self.factory.outbox.detach(self.session)
            self.session.connection_lost()

    def _send(self, frame):
        if self.state == WebSocketServerProtocol.STATE_OPEN:
            if not frames_directly(self):
                self.flush()
                send_uncapped(self, frame)
            else:
                self._queue(binary_frame(frame))
            self.factory.outbox.bytes_sent += len(frame)

    def send_framed(self, framed, payload):
        """Send a frame made by L{binary_frame} from C{payload}."""
        if self.state == WebSocketServerProtocol.STATE_OPEN:
            if not frames_directly(self):
                self.flush()
                send_uncapped(self, payload)
            else:
                # _queue, inlined: this runs for every receiver of every update
                out = self._out
                if out is None:
                    self._out = [framed]
                    self.factory.outbox.mark_pending(self, own=False)
                else:
                    out.append(framed)

    def _queue(self, framed):
        out = self._out
        if out is None:
            self._out = [framed]
            self._own_waiting = True
            self.factory.outbox.mark_pending(self, own=True)
        else:
            out.append(framed)
            if not self._own_waiting:
                # Fanned-out frames were waiting for the tick: this one does not.
                self._own_waiting = True
                self.factory.outbox.mark_own(self)

    def flush(self):
        """Write the frames waiting for this connection, in order, in one write."""
        out = self._out
        if out is None:
            return
        self._out = None
        self._own_waiting = False
        if self.state == WebSocketServerProtocol.STATE_OPEN:
            if send_now(self.transport, out[0] if len(out) == 1 else b"".join(out)):
                return  # all of it is in the socket: nothing waits
            if (self._backlog_call is None
                    and self.unsent_bytes() > self.factory.tunables.output_buffer_max_bytes):
                self._backlog_call = self.factory.clock.callLater(
                    self.factory.tunables.output_buffer_grace_s, self._check_backlog)

    def unsent_bytes(self):
        """What this connection has been sent and not yet taken: ours and Twisted's."""
        out = self._out
        return (sum(map(len, out)) if out else 0) + unsent_bytes(self.transport)

    def _check_backlog(self):
        """
        Close a connection whose unsent output is still over the cap a grace
        time after it went over: a client that does not read.  (The close
        frame waits behind that output; Autobahn's close handshake timeout
        then drops the connection.)
        """
        self._backlog_call = None
        unsent = self.unsent_bytes()
        if unsent > self.factory.tunables.output_buffer_max_bytes:
            _log.info("Closing {peer}: {unsent} bytes unsent, not reading",
                      peer=self.peer_address, unsent=unsent)
            self._close(CLOSE_POLICY, "not reading")

    def _close(self, code, reason):
        if self.state == WebSocketServerProtocol.STATE_OPEN:
            self.flush()  # what was sent before the close frame goes before it
            send_close(self, code, reason)


class Outbox:
    """
    Where the frames for the connections wait for their write: one write
    per connection at the end of the tick (the world service's
    C{end_of_tick} is L{flush}) or at the reactor's next turn, and frames
    for many sessions framed once (the world service's C{fanout}).

    A frame fanned out between two ticks (a chat line to the 200 players
    around its sender) does not leave at the next turn: it waits for the
    next tick's writes, at most C{fanout_wait_s} (one tick: if no tick
    flushes by then, a timer does).  Each of those players is written once
    a tick anyway; a write of its own for each line heard would be a
    C{send()} more each time, a third more system calls in a busy town
    (docs/benchmarks.md, "Frames between ticks").  A connection's own
    frames (replies, a login's welcome) still leave at the next turn, and
    take any fanned-out frame queued before them along.  Built
    before the world service, which it serves, and before the factory,
    which attaches each connection's session to its protocol here: the
    session itself never sees the transport.
    """

    def __init__(self, clock, metrics=None, fanout_wait_s=0.05):
        self.clock = clock
        self.metrics = metrics
        self.fanout_wait_s = fanout_wait_s
        self._protocols = {}  # session -> its GameProtocol
        self._pending = []  # (connection, its queueing number), in the order queued
        self._queued = 0
        # Payload bytes sent since the last flush, added to the bytes_out
        # counter once per flush rather than once per frame.
        self.bytes_sent = 0
        # Connections with a frame of their own waiting: written at the next
        # turn (_own_call) unless a tick comes first.  The others wait for
        # the tick, or for _late_call, fanout_wait_s after the first of them.
        self._own = []
        self._own_call = None
        self._late_call = None

    def attach(self, session, protocol):
        self._protocols[session] = protocol

    def detach(self, session):
        self._protocols.pop(session, None)

    def fanout(self, clients, frame):
        """Send one frame to many sessions, framed once."""
        if len(clients) == 1:
            clients[0].send_frame(frame)
            return
        framed = binary_frame(frame)
        protocols = self._protocols
        for client in clients:
            protocol = protocols.get(client)
            if protocol is None:
                client.send_frame(frame)
            elif not client.closed:
                protocol.send_framed(framed, frame)
        self.bytes_sent += len(frame) * len(clients)

    def mark_pending(self, protocol, own=True):
        """
        Note that C{protocol} has frames waiting: they leave with the next
        L{flush}, at the end of the tick or, unless a tick comes first, at
        the reactor's next turn (C{own}: one of them is the connection's
        own) or C{fanout_wait_s} from now (all of them fanned out).
        """
        # Connections are written in the order their first frame came: an
        # entry left behind by flush_own is stale once the connection is
        # queued again, and the tick's flush skips it.
        self._queued += 1
        protocol._queued_as = self._queued
        self._pending.append((protocol, self._queued))
        if own:
            self.mark_own(protocol)
        elif self._late_call is None:
            self._late_call = self.clock.callLater(self.fanout_wait_s, self.flush)

    def mark_own(self, protocol):
        """Note that C{protocol}'s waiting frames include one of its own:
        they leave at the reactor's next turn, unless a tick comes first."""
        self._own.append(protocol)
        if self._own_call is None:
            self._own_call = self.clock.callLater(0, self.flush_own)

    def flush_own(self):
        """Write the connections that have a frame of their own waiting."""
        self._own_call = None
        own, self._own = self._own, []
        for protocol in own:
            protocol.flush()
        self._count_bytes()

    def flush(self):
        """Write every connection's waiting frames, one write per connection."""
        for call in (self._own_call, self._late_call):
            if call is not None and call.active():
                call.cancel()
        self._own_call = self._late_call = None
        self._own = []
        pending, self._pending = self._pending, []
        for protocol, queued_as in pending:
            if protocol._queued_as == queued_as:
                protocol.flush()
        self._count_bytes()

    def _count_bytes(self):
        if self.bytes_sent:
            if self.metrics is not None:
                self.metrics.bytes_out.inc(self.bytes_sent)
            self.bytes_sent = 0


class GameFactory(WebSocketServerFactory):
    """
    Builds a L{GameProtocol} per connection with Autobahn's options set for
    a public game (sizes, timeouts, no compression, close frames rather than
    dropped connections); each connection's session is attached to it in
    the L{Outbox}, which writes every connection's waiting frames at once.

    @ivar hub: the L{rpg.services.hub.Hub} sessions talk to.
    @ivar tunables: the server's L{rpg.config.Tunables}.
    @ivar clock: the reactor or a C{task.Clock}: the flush at the reactor's
        next turn and the slow-reader check.
    @ivar metrics: the server's L{rpg.services.metrics.Metrics}, or None.
    @ivar outbox: the L{Outbox} the connections' frames wait in.
    @ivar connections: the open L{GameProtocol}s, for closing them all at
        shutdown.
    """

    protocol = GameProtocol

    def __init__(self, hub, tunables, clock, url=None, metrics=None, outbox=None):
        super().__init__(url, server=None)  # no version banner in the handshake
        quiet_option_dump()  # rpg.web.fastpath: 480 µs of pformat a connection otherwise
        self.metrics = metrics
        self.hub = hub
        self.tunables = tunables
        self.clock = clock
        self.outbox = outbox if outbox is not None else Outbox(clock, metrics)
        self.connections = set()
        self.setProtocolOptions(
            maxMessagePayloadSize=tunables.max_message_bytes,
            maxFramePayloadSize=tunables.max_frame_bytes,
            openHandshakeTimeout=tunables.open_handshake_timeout_s,
            autoPingInterval=tunables.auto_ping_interval_s,
            autoPingTimeout=tunables.auto_ping_timeout_s,
            closeHandshakeTimeout=2,
            failByDrop=False,
            webStatus=False,
            perMessageCompressionAccept=lambda offers: None,
            # RFC 6455 first: a text frame that is not valid UTF-8 fails the
            # connection with 1007 (Autobahn checks it as the frame arrives).
            utf8validateIncoming=True,
        )

    def close_all(self, code, reason):
        for protocol in list(self.connections):
            protocol._close(code, reason)
