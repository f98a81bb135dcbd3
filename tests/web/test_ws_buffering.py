"""Outgoing frames: one write per connection per tick, in order, straight to the socket when possible."""

import collections
import errno
import itertools
import types

from autobahn.twisted.websocket import WebSocketServerProtocol
import pytest_twisted
from twisted.internet import tcp
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from rpg.config import Tunables
from rpg.services.world import WorldService
from rpg.web.ws import GameFactory, binary_frame, send_now

OPEN = WebSocketServerProtocol.STATE_OPEN


class CountingTransport(StringTransport):
    def __init__(self):
        super().__init__()
        self.writes = []

    def write(self, data):
        self.writes.append(data)
        super().write(data)


def open_connection(factory):
    protocol = factory.buildProtocol(None)
    protocol.transport = CountingTransport()
    protocol.state = OPEN
    protocol.send_queue = collections.deque()
    protocol._perMessageCompress = None
    return protocol


def make_factory(hub=None):
    clock = Clock()
    return GameFactory(hub=hub, tunables=Tunables(), clock=clock), clock


def test_frames_of_a_tick_leave_in_order_in_one_write():
    """A reply, a fanned-out update and an event queued in a tick leave in one write, in order."""
    factory, _ = make_factory()
    protocol = open_connection(factory)
    other = open_connection(factory)
    sessions = [types.SimpleNamespace(transport_protocol=p, state="playing")
                for p in (protocol, other)]
    protocol._send(b"reply")
    factory.fanout(sessions, b"update")
    protocol._send(b"event")
    assert protocol.transport.writes == []
    factory.flush()
    assert protocol.transport.writes == [
        binary_frame(b"reply") + binary_frame(b"update") + binary_frame(b"event")]
    assert other.transport.writes == [binary_frame(b"update")]


def test_end_of_tick_flush_leaves_nothing_for_the_next_turn():
    """The end-of-tick flush cancels the scheduled one: no second write, no timer left."""
    factory, clock = make_factory()
    protocol = open_connection(factory)
    protocol._send(b"a")
    factory.flush()
    assert clock.getDelayedCalls() == []
    clock.advance(0)
    assert protocol.transport.writes == [binary_frame(b"a")]


def test_frames_sent_outside_a_tick_leave_at_the_next_turn():
    """A frame sent between ticks (a login reply, chat) is written on the reactor's next turn."""
    factory, clock = make_factory()
    protocol = open_connection(factory)
    protocol._send(b"welcome")
    protocol._send(b"chat")
    assert protocol.transport.writes == []
    clock.advance(0)
    assert protocol.transport.writes == [binary_frame(b"welcome") + binary_frame(b"chat")]


def test_nothing_is_written_after_the_connection_closed():
    """Frames still waiting when the connection closes are dropped, not written."""
    factory, clock = make_factory()
    protocol = open_connection(factory)
    protocol._send(b"late")
    protocol.state = WebSocketServerProtocol.STATE_CLOSED
    protocol.onClose(False, 1006, None)
    clock.advance(0)
    factory.flush()
    assert protocol.transport.writes == []


def test_waiting_frames_go_before_a_close_frame():
    """Closing writes the frames already sent first, then the close frame."""
    factory, _ = make_factory()
    protocol = open_connection(factory)
    protocol.sendCloseFrame = lambda **kw: protocol.transport.write(b"CLOSE")
    protocol._send(b"bye")
    protocol._close(1008, "policy")
    writes = protocol.transport.writes
    assert writes == [binary_frame(b"bye"), b"CLOSE"]
    factory.flush()
    assert len(protocol.transport.writes) == 2


@pytest_twisted.ensureDeferred
async def test_the_server_flushes_the_edge_at_the_end_of_every_tick(tmp_path):
    """The assembled server hooks the edge's flush to the world's end of tick."""
    from tests.e2e.server import running_server
    async with running_server(tmp_path) as server:
        service = server.service
        assert service.world_service.end_of_tick == service.factory.flush
        assert service.factory.metrics is service.metrics


def test_end_of_tick_runs_after_the_out_phase_and_is_timed(monkeypatch):
    """The end-of-tick hook runs once per tick after the phases, timed as "send" outside the tick."""
    calls = []

    class World:
        def step(self, now):
            calls.append("world")
            return []

        def compute_updates(self):
            calls.append("visibility")
            return []

        def drain_events(self):
            calls.append("out")
            return []

    class Metrics:
        def observe_tick(self, timings, total):
            calls.append(sorted(timings))
            calls.append(total)

    service = WorldService(World(), None, Tunables(), clock=Clock(), metrics=Metrics())
    service.end_of_tick = lambda: calls.append("send")
    ticks = itertools.count()  # each reading of the clock is one second later
    monkeypatch.setattr("rpg.services.world.time.perf_counter", lambda: next(ticks))
    service.tick(1)
    assert calls == ["world", "visibility", "out", "send",
                     ["commands", "out", "send", "visibility", "world"], 4]


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
    transport = CountingTransport()
    send_now(transport, b"frame")
    assert transport.writes == [b"frame"]


def test_send_now_says_whether_the_socket_took_everything():
    """send_now answers True when the socket took all, False when Twisted holds the rest."""
    assert send_now(tcp_transport(FakeSocket()), b"abcdef") is True
    partial = tcp_transport(FakeSocket(takes=2))
    assert send_now(partial, b"abcdef") is False
    assert partial.written == [b"cdef"]
    assert send_now(CountingTransport(), b"abc") is False


def test_bytes_out_counts_every_payload_byte_at_the_flush():
    """Replies and fanned-out frames add their payload bytes to bytes_out, once per flush."""
    increments = []
    factory, _ = make_factory()
    factory.metrics = types.SimpleNamespace(
        bytes_out=types.SimpleNamespace(inc=increments.append))
    protocol = open_connection(factory)
    other = open_connection(factory)
    sessions = [types.SimpleNamespace(transport_protocol=p, state="playing")
                for p in (protocol, other)]
    protocol._send(b"reply")
    factory.fanout(sessions, b"update")
    assert increments == []
    factory.flush()
    assert increments == [len(b"reply") + 2 * len(b"update")]
    factory.flush()
    assert increments == [17]  # nothing more sent, nothing more counted
