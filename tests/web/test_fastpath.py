"""
The write fast path (rpg/web/fastpath.py): what it does, and the Twisted and
Autobahn internals it relies on, checked on real connections so that a new
release that changes them fails here, loudly, instead of silently turning
the fast path or the slow-reader cap off.
"""

import errno
import socket

import pytest
import pytest_twisted
from autobahn.twisted.websocket import (
    WebSocketClientFactory, WebSocketClientProtocol, WebSocketServerFactory,
    WebSocketServerProtocol)
from twisted.internet import defer, protocol, reactor, task, tcp
from twisted.internet.testing import StringTransport

from rpg.web import fastpath
from rpg.web.fastpath import (
    AUTOBAHN_INTERNALS, CHECKED_ON, TCP_INTERNALS, TRAFFIC_STATS, binary_frame, frames_directly,
    read_frames, reading_directly, send_close, send_now, send_uncapped, unsent_bytes)

CHANGED = ("rpg/web/fastpath.py was checked on {}; the installed release changed the "
           "internals it relies on: read it again and fix it or turn it off"
           ).format(", ".join(" ".join(pair) for pair in CHECKED_ON))


# -- what it does, on fake sockets

class FakeSocket:
    def __init__(self, takes=None, error=None):
        self.takes = takes
        self.error = error
        self.sent = []

    def send(self, data):
        if self.error is not None:
            raise self.error
        n = len(data) if self.takes is None else self.takes
        self.sent.append(bytes(data[:n]))
        return n


def tcp_transport(sock, **state):
    transport = tcp.Server.__new__(tcp.Server)
    transport.socket = sock
    transport.connected = 1
    transport.disconnecting = 0
    transport._tempDataLen = 0
    transport.dataBuffer = b""
    transport.offset = 0
    transport.__dict__.update(state)
    transport.written = []
    transport.write = transport.written.append
    return transport


def test_idle_tcp_connection_is_written_straight_to_the_socket():
    """With Twisted's buffers empty the bytes go to the socket, not through transport.write."""
    sock = FakeSocket()
    transport = tcp_transport(sock)
    send_now(transport, b"frame")
    assert sock.sent == [b"frame"] and transport.written == []


def test_send_now_says_whether_the_socket_took_everything():
    """send_now answers True when the socket took all, False when Twisted holds the rest."""
    assert send_now(tcp_transport(FakeSocket()), b"abcdef") is True
    partial = tcp_transport(FakeSocket(takes=2))
    assert send_now(partial, b"abcdef") is False
    assert partial.written == [b"cdef"]
    other = StringTransport()
    assert send_now(other, b"abc") is False and other.value() == b"abc"


def test_partial_send_leaves_the_rest_to_twisted():
    """What the socket does not take is handed to transport.write."""
    sock = FakeSocket(takes=2)
    transport = tcp_transport(sock)
    send_now(transport, b"frame")
    assert sock.sent == [b"fr"] and transport.written == [b"ame"]


def test_a_full_socket_or_an_error_goes_through_twisted():
    """EAGAIN and a lost peer both hand everything to transport.write, which reports failures."""
    for error in (BlockingIOError(errno.EAGAIN, "again"), BrokenPipeError(errno.EPIPE, "pipe")):
        transport = tcp_transport(FakeSocket(error=error))
        send_now(transport, b"frame")
        assert transport.written == [b"frame"]


def test_buffered_or_closing_connections_keep_twisteds_order():
    """Bytes already buffered, or a closing connection, mean transport.write: never overtake."""
    for state in ({"_tempDataLen": 3}, {"dataBuffer": b"abc", "offset": 1},
                  {"disconnecting": 1}, {"connected": 0}):
        sock = FakeSocket()
        transport = tcp_transport(sock, **state)
        send_now(transport, b"frame")
        assert sock.sent == [] and transport.written == [b"frame"]


def test_other_transports_are_written_through_twisted():
    """A transport that is not plain TCP (TLS, in-memory) is written with transport.write."""
    transport = StringTransport()
    send_now(transport, b"frame")
    assert transport.value() == b"frame"


def test_unsent_bytes_reads_twisteds_buffers():
    """What Twisted holds and has not sent: the unsent part of dataBuffer plus the pending list."""
    transport = tcp.Server.__new__(tcp.Server)
    transport.dataBuffer, transport.offset, transport._tempDataLen = b"x" * 100, 30, 7
    assert unsent_bytes(transport) == 77
    assert unsent_bytes(StringTransport()) == 0


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_binary_frame_is_what_autobahn_frames(size):
    """Our own framing gives the bytes Autobahn's prepared message holds."""
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    prepared = WebSocketServerFactory().prepareMessage(payload, isBinary=True)
    assert binary_frame(payload) == prepared.payloadHybi, CHANGED


# -- the internals, on real connections

def test_twisted_still_has_the_buffers_the_fast_path_reads():
    """tcp.Server still has the FileDescriptor buffer attributes; else the fast path is off."""
    assert fastpath.DIRECT_WRITES, CHANGED


class _Keep(protocol.Protocol):
    def connectionMade(self):
        self.factory.connected.callback(self)

    def dataReceived(self, data):
        self.factory.received.append(data)


def _factory(kind=protocol.Factory):
    factory = kind.forProtocol(_Keep)
    factory.connected = defer.Deferred()
    factory.received = []
    return factory


async def _turns(n=5, delay=0.01):
    for _ in range(n):
        await task.deferLater(reactor, delay, lambda: None)


async def _tcp_pair():
    """A real loopback connection: (server protocol, client protocol, cleanup)."""
    server_factory, client_factory = _factory(), _factory(protocol.ClientFactory)
    port = reactor.listenTCP(0, server_factory, interface="127.0.0.1")
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, client_factory)
    server = await server_factory.connected
    client = await client_factory.connected

    async def cleanup():
        connector.disconnect()
        server.transport.abortConnection()
        await port.stopListening()
    return server, client, cleanup


@pytest_twisted.ensureDeferred
async def test_a_real_tcp_connection_is_written_to_its_socket_at_once():
    """On a real idle connection send_now writes to the socket at once and Twisted holds nothing."""
    server, client, cleanup = await _tcp_pair()
    try:
        transport = server.transport
        assert type(transport) is tcp.Server, CHANGED
        missing = [name for name in TCP_INTERNALS if not hasattr(transport, name)]
        assert missing == [], CHANGED
        writes = []
        transport.write = writes.append   # send_now must not need it
        send_now(transport, b"straight")
        del transport.write
        assert writes == [] and unsent_bytes(transport) == 0, CHANGED
        await _turns()
        assert b"".join(client.factory.received) == b"straight"
    finally:
        await cleanup()


@pytest_twisted.ensureDeferred
async def test_twisteds_buffers_measure_what_a_slow_reader_left_unsent():
    """Written and not read: unsent_bytes counts it, before and after Twisted's flush, and drops as it is read."""
    server, client, cleanup = await _tcp_pair()
    try:
        transport = server.transport
        client.transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        client.transport.pauseProducing()
        transport.write(b"x" * 1_000_000)
        assert unsent_bytes(transport) == 1_000_000, CHANGED   # before the reactor's turn
        await _turns()
        left = unsent_bytes(transport)
        assert 500_000 < left < 1_000_000, CHANGED             # in dataBuffer, past offset
        # A transport with bytes waiting is not overtaken.
        send_now(transport, b"y")
        assert unsent_bytes(transport) == left + 1, CHANGED
        client.transport.resumeProducing()
        for _ in range(300):
            if unsent_bytes(transport) < left - 16_000:
                break
            await _turns(1)
        assert unsent_bytes(transport) < left - 16_000, CHANGED  # offset moves as the peer reads
    finally:
        await cleanup()


class _Server(WebSocketServerProtocol):
    def onOpen(self):
        self.factory.opened.callback(self)

    def dataReceived(self, data):
        # As GameProtocol reads: what read_frames leaves goes to Autobahn.
        rest = read_frames(self, data, self.onMessage)
        self.factory.left_to_autobahn.append(rest)
        if rest:
            super().dataReceived(rest)

    def onMessage(self, payload, isBinary):
        self.factory.received.append((payload, isBinary))


class _Client(WebSocketClientProtocol):
    def onOpen(self):
        self.factory.opened.callback(self)

    def onMessage(self, payload, isBinary):
        self.factory.messages.append((payload, isBinary))

    def onClose(self, wasClean, code, reason):
        if not self.factory.closed.called:
            self.factory.closed.callback(code)


@pytest_twisted.ensureDeferred
async def test_autobahn_still_has_what_the_fast_path_reads_and_calls():
    """On a real WebSocket: our frames are read by Autobahn, its client's by read_frames, 1008 closes."""
    server_factory = WebSocketServerFactory()
    server_factory.protocol = _Server
    server_factory.opened = defer.Deferred()
    server_factory.received, server_factory.left_to_autobahn = [], []
    server_factory.setProtocolOptions(maxMessagePayloadSize=100, failByDrop=False)
    port = reactor.listenTCP(0, server_factory, interface="127.0.0.1")
    url = f"ws://127.0.0.1:{port.getHost().port}"
    client_factory = WebSocketClientFactory(url)
    client_factory.protocol = _Client
    client_factory.messages = []
    client_factory.opened, client_factory.closed = defer.Deferred(), defer.Deferred()
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, client_factory)
    try:
        server = await server_factory.opened
        missing = [name for name in AUTOBAHN_INTERNALS if not hasattr(server, name)]
        missing += [name for name in TRAFFIC_STATS if not hasattr(server.trafficStats, name)]
        assert missing == [], CHANGED
        assert type(server.transport) is tcp.Server, CHANGED   # no wrapper between us and TCP
        assert frames_directly(server), CHANGED
        assert reading_directly(server), CHANGED
        # A client's message is read by read_frames: nothing is left to Autobahn.
        del server_factory.left_to_autobahn[:]
        client = await client_factory.opened
        client.sendMessage(b"from the client", isBinary=True)
        for _ in range(100):
            if server_factory.received:
                break
            await _turns(1)
        assert server_factory.received == [(b"from the client", True)], CHANGED
        assert server_factory.left_to_autobahn == [b""], CHANGED
        send_now(server.transport, binary_frame(b"ours"))
        send_uncapped(server, b"z" * 1000)                      # over maxMessagePayloadSize
        assert server.maxMessagePayloadSize == 100
        for _ in range(100):
            if len(client_factory.messages) == 2:
                break
            await _turns(1)
        assert client_factory.messages == [(b"ours", True), (b"z" * 1000, True)], CHANGED
        send_close(server, 1008, "policy")
        code = await client_factory.closed.addTimeout(5, reactor)
        assert code == 1008, CHANGED
    finally:
        connector.disconnect()
        await port.stopListening()


def test_autobahn_still_pretty_prints_each_connections_options_with_its_module_pformat():
    """quiet_option_dump replaces the pformat Autobahn's _connectionMade calls: it must be there."""
    import inspect

    from autobahn.websocket import protocol as autobahn_protocol
    source = inspect.getsource(autobahn_protocol.WebSocketProtocol._connectionMade)
    assert "pformat(configAttrLog)" in source, CHANGED
    assert hasattr(autobahn_protocol, "pformat"), CHANGED


def test_the_option_dump_is_a_repr_unless_debugging(monkeypatch):
    """After the edge's factory is built, Autobahn's pformat is repr at info level, pformat at debug."""
    import txaio
    from autobahn.websocket import protocol as autobahn_protocol

    from rpg.config import Tunables
    from rpg.web.ws import GameFactory
    GameFactory(hub=None, tunables=Tunables(), clock=task.Clock())
    options = [("autoPingInterval", 10, "GameFactory")] * 20
    monkeypatch.setattr(txaio, "get_global_log_level", lambda: "info")
    assert autobahn_protocol.pformat(options) == repr(options)
    monkeypatch.setattr(txaio, "get_global_log_level", lambda: "debug")
    assert autobahn_protocol.pformat(options) != repr(options)   # pretty: one per line
