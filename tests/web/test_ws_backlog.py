"""A connection that does not read: its unsent output is measured, capped, and closed 1008."""

import collections
import dataclasses

from autobahn.twisted.websocket import WebSocketServerProtocol
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from rpg.config import Tunables
from rpg.web.ws import GameFactory

OPEN = WebSocketServerProtocol.STATE_OPEN


class StuckTransport(StringTransport):
    """A transport whose peer reads nothing: everything written stays buffered."""

    def __init__(self):
        super().__init__()
        self.dataBuffer, self.offset, self._tempDataLen = b"", 0, 0

    def write(self, data):
        self._tempDataLen += len(data)


def connection(cap=1000, grace=5.0):
    clock = Clock()
    tunables = dataclasses.replace(Tunables(), output_buffer_max_bytes=cap,
                                   output_buffer_grace_s=grace)
    factory = GameFactory(hub=None, tunables=tunables, clock=clock)
    protocol = factory.buildProtocol(None)
    protocol.transport = StuckTransport()
    protocol.state = OPEN
    protocol.send_queue = collections.deque()
    protocol._perMessageCompress = None
    protocol.closes = []
    protocol.sendCloseFrame = lambda code, **kw: protocol.closes.append(code)
    return factory, protocol, clock


def test_a_connection_that_stays_over_the_cap_is_closed_1008():
    """Output over output_buffer_max_bytes for output_buffer_grace_s closes the connection 1008."""
    factory, protocol, clock = connection(cap=1000, grace=5.0)
    protocol._send(b"x" * 2000)
    factory.outbox.flush()
    assert protocol.unsent_bytes() > 1000
    clock.advance(4.9)
    assert protocol.closes == []
    clock.advance(0.1)
    assert protocol.closes == [1008]


def test_a_connection_that_catches_up_is_left_open():
    """Over the cap for a moment, then drained within the grace time: not closed, timer gone."""
    factory, protocol, clock = connection(cap=1000, grace=5.0)
    protocol._send(b"x" * 2000)
    factory.outbox.flush()
    protocol.transport._tempDataLen = 0   # the client read it all
    clock.advance(5.0)
    assert protocol.closes == [] and clock.getDelayedCalls() == []


def test_under_the_cap_nothing_is_scheduled():
    """A connection under the cap costs no timer."""
    factory, protocol, clock = connection(cap=1000)
    protocol._send(b"x" * 500)
    factory.outbox.flush()
    assert clock.getDelayedCalls() == []


def test_the_check_is_cancelled_when_the_connection_closes():
    """A connection lost while over the cap leaves no timer behind."""
    factory, protocol, clock = connection(cap=1000)
    protocol._send(b"x" * 2000)
    factory.outbox.flush()
    protocol.state = WebSocketServerProtocol.STATE_CLOSED
    protocol.onClose(False, 1006, None)
    assert clock.getDelayedCalls() == []
