"""
The link between processes: the handshake both ways on the shared secret,
heartbeats and the silence timeout on task.Clock (over an in-memory pump),
then two real LinkServices over loopback TCP.
"""

import pytest_twisted
from twisted.internet import defer, reactor, task
from twisted.test import iosim

from rpg.link.protocol import LinkProtocol
from rpg.link.service import LinkService

SECRET = b"k" * 32


class Node:
    """What a LinkProtocol reports to, recorded."""

    def __init__(self, server_id, clock, secret=SECRET):
        self.server_id, self.clock, self.secret = server_id, clock, secret
        self.heartbeat_s, self.timeout_s = 1.0, 5.0
        self.ready, self.messages, self.lost, self.failed = [], [], [], []

    def link_ready(self, link):
        self.ready.append(link.peer_id)

    def link_message(self, link, kind, body):
        self.messages.append((link.peer_id, kind, body))

    def link_lost(self, link):
        self.lost.append(link.peer_id)

    def link_failed(self, peer_id):
        self.failed.append(peer_id)


def linked(server_secret=SECRET, client_secret=SECRET):
    clock = task.Clock()
    a, b = Node("a", clock, server_secret), Node("b", clock, client_secret)
    server, client = LinkProtocol(a), LinkProtocol(b)
    _, _, pump = iosim.connectedServerAndClient(lambda: server, lambda: client)
    pump.flush()
    return clock, a, b, server, client, pump


def test_both_sides_prove_the_secret_and_then_exchange_messages():
    """With one secret both sides learn the other's id, and messages arrive as sent."""
    clock, a, b, server, client, pump = linked()
    assert (a.ready, b.ready) == (["b"], ["a"])
    client.send("frames", {"7": b"\x81\xa1x"}, 3)
    pump.flush()
    assert a.messages == [("b", "frames", [{"7": b"\x81\xa1x"}, 3])]


def test_a_wrong_secret_is_refused_before_any_message():
    """A peer with another secret never becomes ready; what it sends is never delivered."""
    clock, a, b, server, client, pump = linked(client_secret=b"x" * 32)
    assert a.ready == [] and b.ready == []
    assert server.transport.disconnecting or client.transport.disconnecting


def test_a_message_before_the_handshake_drops_the_connection():
    """Anything but hello/proof before the handshake closes the link at once."""
    clock = task.Clock()
    a = Node("a", clock)
    server = LinkProtocol(a)
    from twisted.internet.testing import StringTransport
    transport = StringTransport()
    server.makeConnection(transport)
    import msgpack
    server.stringReceived(msgpack.packb(["frames", {}]))
    assert transport.disconnecting and a.messages == []


def test_heartbeats_keep_a_quiet_link_open():
    """With both sides alive, a link with no traffic stays up far past the timeout."""
    clock, a, b, server, client, pump = linked()
    for _ in range(60):
        clock.advance(0.5)
        pump.flush()
    assert a.lost == [] and b.lost == []
    assert not server.transport.disconnecting


def test_a_silent_peer_is_dropped_and_reported_lost():
    """A peer that stops talking (stalled, or the network gone) is dropped after timeout_s."""
    clock, a, b, server, client, pump = linked()
    clock.advance(4.9)  # nothing pumped: the heartbeats never arrive
    assert not server.transport.disconnecting
    clock.advance(0.2)
    pump.flush()
    assert a.lost == ["b"]


@pytest_twisted.ensureDeferred
async def test_two_services_link_over_tcp_and_report_a_stopped_peer():
    """Over loopback: a message reaches the other process; stopping one is reported as lost."""
    got, lost = [], []
    one = LinkService("one", SECRET, "tcp:0:interface=127.0.0.1", reactor,
                      on_message=lambda peer, kind, body: got.append((peer, kind, body)))
    two = LinkService("two", SECRET, "tcp:0:interface=127.0.0.1", reactor,
                      on_lost=lost.append)
    one.startService()
    two.startService()
    await defer.gatherResults([one.ready, two.ready])
    two.connect("one", one.address)
    assert two.send("one", "command", 42, b"payload")  # waits for the link
    for _ in range(200):
        if got:
            break
        await task.deferLater(reactor, 0.01, lambda: None)
    assert got == [("two", "command", [42, b"payload"])]
    assert two.connected("one") and one.connected("two")
    await one.stopService()
    for _ in range(200):
        if lost:
            break
        await task.deferLater(reactor, 0.01, lambda: None)
    assert lost == ["one"]
    assert not two.send("one", "command", 43, b"late")
    await two.stopService()


@pytest_twisted.ensureDeferred
async def test_a_dialled_link_that_fails_its_handshake_is_reported_and_can_be_dialled_again():
    """A peer with another secret: the dialled link closes, on_lost is told, waiting messages
    are dropped, and a later connect() dials again instead of waiting forever."""
    lost = []
    one = LinkService("one", SECRET, "tcp:0:interface=127.0.0.1", reactor)
    two = LinkService("two", b"x" * 32, "tcp:0:interface=127.0.0.1", reactor,
                      on_lost=lost.append)
    one.startService()
    two.startService()
    await defer.gatherResults([one.ready, two.ready])
    two.connect("one", one.address)
    assert two.send("one", "command", 1)  # waits for a link that will not come
    for _ in range(200):
        if lost:
            break
        await task.deferLater(reactor, 0.01, lambda: None)
    assert lost == ["one"]
    assert not two.send("one", "command", 2)  # nothing is opening now
    two.connect("one", one.address)
    assert two.send("one", "command", 3)  # dialling again
    await one.stopService()
    await two.stopService()


def test_a_dialled_peer_that_names_another_server_is_refused():
    """A link dialled to 'b' that answers as 'c' never becomes ready."""
    clock = task.Clock()
    a, c = Node("a", clock), Node("c", clock)
    dialler, impostor = LinkProtocol(a, expected_peer="b"), LinkProtocol(c)
    _, _, pump = iosim.connectedServerAndClient(lambda: impostor, lambda: dialler)
    pump.flush()
    assert a.ready == [] and c.ready == []
    assert dialler.transport.disconnecting


def test_messages_to_a_peer_with_two_links_keep_to_the_oldest():
    """
    Two processes that dial each other at once have two links: messages go
    on the oldest only, so they keep their order; losing the other loses
    nothing, losing the oldest is losing the peer.
    """
    from twisted.internet import task

    from rpg.link.service import LinkService

    class Link:
        def __init__(self):
            self.peer_id, self.sent, self.closed = "b", [], False
            self.transport = self

        def send(self, kind, *body):
            self.sent.append((kind, *body))

        def loseConnection(self):
            self.closed = True

    lost = []
    service = LinkService("a", b"k" * 32, "tcp:0", task.Clock(), on_lost=lost.append)
    first, second = Link(), Link()
    service.link_ready(first)
    service.link_ready(second)
    service.send("b", "in", 1)
    service.send("b", "in", 2)
    assert (first.sent, second.sent) == ([("in", 1), ("in", 2)], [])
    third = Link()
    service.link_ready(third)
    service.link_lost(second)
    assert lost == [] and service.connected("b")
    service.link_lost(first)
    assert lost == ["b"] and not service.connected("b") and third.closed


def test_a_peer_that_does_not_read_is_dropped_once_its_backlog_is_over_the_cap():
    """Sends wait in the transport while its buffer is full, up to max_backlog bytes; then the link is aborted, once."""
    from twisted.internet import task
    from twisted.internet.testing import StringTransport

    from rpg.link.protocol import LinkProtocol

    class Node:
        server_id, secret, heartbeat_s, timeout_s = "a", b"k" * 32, 1.0, 5.0
        clock = task.Clock()

    link = LinkProtocol(Node())
    transport = StringTransport()
    link.makeConnection(transport)
    assert transport.producer is link
    link.max_backlog = 1000
    link.pauseProducing()  # the peer stopped reading
    link.send("out", b"x" * 600)
    assert not transport.disconnecting
    link.send("out", b"x" * 600)
    assert transport.disconnecting
    sent = transport.value()
    link.send("out", b"x" * 600)
    assert transport.value() == sent
    link.resumeProducing()  # a link that drains in time is kept
    other = LinkProtocol(Node())
    other.makeConnection(StringTransport())
    other.max_backlog = 1000
    other.pauseProducing()
    other.send("out", b"x" * 600)
    other.resumeProducing()
    other.send("out", b"x" * 600)
    assert not other.transport.disconnecting
