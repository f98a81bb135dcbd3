"""Outgoing frames: one write per connection per tick, in order (the socket writes: test_fastpath.py)."""

import collections
import itertools

from autobahn.twisted.websocket import WebSocketServerProtocol
import pytest_twisted
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from rpg.config import Tunables
from rpg.services.world import WorldService
from rpg.web.fastpath import binary_frame
from rpg.web.ws import GameFactory

OPEN = WebSocketServerProtocol.STATE_OPEN


class CountingTransport(StringTransport):
    def __init__(self):
        super().__init__()
        self.writes = []

    def write(self, data):
        self.writes.append(data)
        super().write(data)


class Playing:
    """A session the fan-out sends to (hashable, as sessions are)."""
    closed = False


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
    sessions = [Playing(), Playing()]
    for session, p in zip(sessions, (protocol, other)):
        factory.outbox.attach(session, p)
    protocol._send(b"reply")
    factory.outbox.fanout(sessions, b"update")
    protocol._send(b"event")
    assert protocol.transport.writes == []
    factory.outbox.flush()
    assert protocol.transport.writes == [
        binary_frame(b"reply") + binary_frame(b"update") + binary_frame(b"event")]
    assert other.transport.writes == [binary_frame(b"update")]


def test_end_of_tick_flush_leaves_nothing_for_the_next_turn():
    """The end-of-tick flush cancels the scheduled one: no second write, no timer left."""
    factory, clock = make_factory()
    protocol = open_connection(factory)
    protocol._send(b"a")
    factory.outbox.flush()
    assert clock.getDelayedCalls() == []
    clock.advance(0)
    assert protocol.transport.writes == [binary_frame(b"a")]


def test_frames_sent_outside_a_tick_leave_at_the_next_turn():
    """A connection's own frames sent between ticks (a login's replies) go at the next turn."""
    factory, clock = make_factory()
    protocol = open_connection(factory)
    protocol._send(b"welcome")
    protocol._send(b"chat")
    assert protocol.transport.writes == []
    clock.advance(0)
    assert protocol.transport.writes == [binary_frame(b"welcome") + binary_frame(b"chat")]


def fanned_out_between_ticks():
    factory, clock = make_factory()
    listeners = [open_connection(factory) for _ in range(3)]
    sessions = [Playing() for _ in listeners]
    for session, p in zip(sessions, listeners):
        factory.outbox.attach(session, p)
    factory.outbox.fanout(sessions, b"chat line")
    return factory, clock, listeners, sessions


def test_frames_fanned_out_between_ticks_leave_with_the_next_tick():
    """A chat line's listeners get it in the next tick's write, not in one of its own."""
    factory, clock, listeners, sessions = fanned_out_between_ticks()
    clock.advance(0)
    clock.advance(0.02)
    assert [p.transport.writes for p in listeners] == [[], [], []]
    factory.outbox.fanout(sessions, b"update")  # the tick
    factory.outbox.flush()
    assert [p.transport.writes for p in listeners] == [
        [binary_frame(b"chat line") + binary_frame(b"update")]] * 3
    assert clock.getDelayedCalls() == []


def test_frames_fanned_out_leave_within_one_tick_even_without_a_tick():
    """With no tick to carry them (the world stopped), they leave fanout_wait_s later."""
    factory, clock, listeners, _ = fanned_out_between_ticks()
    clock.advance(factory.outbox.fanout_wait_s - 0.001)
    assert [p.transport.writes for p in listeners] == [[], [], []]
    clock.advance(0.001)
    assert [p.transport.writes for p in listeners] == [[binary_frame(b"chat line")]] * 3


def test_a_reply_to_one_listener_does_not_take_the_others_chat_line_out_early():
    """The sender's reply leaves at the next turn; the other listeners still wait for the tick."""
    factory, clock, listeners, _ = fanned_out_between_ticks()
    listeners[0]._send(b"reply")
    clock.advance(0)
    assert listeners[0].transport.writes == [binary_frame(b"chat line") + binary_frame(b"reply")]
    assert [p.transport.writes for p in listeners[1:]] == [[], []]
    factory.outbox.flush()   # the tick
    assert [p.transport.writes for p in listeners[1:]] == [[binary_frame(b"chat line")]] * 2
    assert listeners[0].transport.writes == [binary_frame(b"chat line") + binary_frame(b"reply")]


def test_connections_are_written_in_the_order_their_first_frame_came_in_the_tick():
    """A connection written at the last turn goes after one queued before it in this tick."""
    factory, clock = make_factory()
    first, second = open_connection(factory), open_connection(factory)
    order = []
    for name, p in (("first", first), ("second", second)):
        p.transport.write = lambda data, name=name: order.append(name)
    first._send(b"welcome")
    clock.advance(0)               # its own frame leaves at the next turn
    second._send(b"update")        # the tick: the second is queued first ...
    first._send(b"update")         # ... then the first
    del order[:]
    factory.outbox.flush()
    assert order == ["second", "first"]


def test_nothing_is_written_after_the_connection_closed():
    """Frames still waiting when the connection closes are dropped, not written."""
    factory, clock = make_factory()
    protocol = open_connection(factory)
    protocol._send(b"late")
    protocol.state = WebSocketServerProtocol.STATE_CLOSED
    protocol.onClose(False, 1006, None)
    clock.advance(0)
    factory.outbox.flush()
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
    factory.outbox.flush()
    assert len(protocol.transport.writes) == 2


@pytest_twisted.ensureDeferred
async def test_the_server_flushes_the_edge_at_the_end_of_every_tick(tmp_path):
    """The assembled server hooks the edge's flush to the world's end of tick."""
    from tests.e2e.server import running_server
    async with running_server(tmp_path) as server:
        service = server.service
        assert service.world_service.end_of_tick == service.factory.outbox.flush
        assert service.world_service.fanout == service.factory.outbox.fanout
        assert service.factory.metrics is service.metrics


def test_end_of_tick_runs_after_the_out_phase_and_is_timed(monkeypatch):
    """The end-of-tick hook runs once per tick after the phases, timed as "send" outside the tick."""
    calls = []

    class World:
        def tick_phases(self, now):
            for phase in ("world", "visibility", "out"):
                calls.append(phase)
                yield phase, []

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


def test_bytes_out_counts_every_payload_byte_at_the_flush():
    """Replies and fanned-out frames add their payload bytes to bytes_out, once per flush."""
    import types
    increments = []
    factory, _ = make_factory()
    factory.outbox.metrics = types.SimpleNamespace(
        bytes_out=types.SimpleNamespace(inc=increments.append))
    protocol = open_connection(factory)
    other = open_connection(factory)
    sessions = [Playing(), Playing()]
    for session, p in zip(sessions, (protocol, other)):
        factory.outbox.attach(session, p)
    protocol._send(b"reply")
    factory.outbox.fanout(sessions, b"update")
    assert increments == []
    factory.outbox.flush()
    assert increments == [len(b"reply") + 2 * len(b"update")]
    factory.outbox.flush()
    assert increments == [17]  # nothing more sent, nothing more counted

