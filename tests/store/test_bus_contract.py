"""
The contract every IMessageBus keeps, run against MemoryBus and ValkeyBus;
then ValkeyBus's behaviour when Valkey goes away, against a real server
(its subscriber connections killed by id) and, deterministically, against a
fake endpoint on a L{Clock}.

Valkey comes from C{RPG_TEST_VALKEY_URL}; see C{test_presence_contract}.
"""

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface.verify import verifyObject

from rpg.interfaces import IMessageBus
from rpg.store.presence import MemoryBus
from rpg.store.valkey import connect_valkey
from rpg.store.valkey_link import RECONNECT_MAX_S, ValkeyUnavailable
from tests.store.test_presence_contract import (  # noqa: F401 (valkey_lab is a fixture)
    close_lab, open_lab, valkey_lab, wait_until)


@pytest.fixture(params=["memory", "valkey"])
def bus_pair(request):
    """
    A publishing bus and a subscribing bus of each kind: for Valkey two
    connections ("processes"), for memory the one in-process bus twice.
    """
    if request.param == "memory":
        bus = MemoryBus()
        yield bus, bus
        return
    lab = open_lab()
    other = pytest_twisted.blockon(Deferred.fromCoroutine(lab.open()))
    yield lab.admin.bus, other.bus
    close_lab(lab)


@pytest.fixture
def bus(bus_pair):
    """One bus of each kind."""
    return bus_pair[0]


def capture_log(target):
    """Send C{target}'s log events to a list, and return the list."""
    events = []
    target.log = Logger(observer=events.append)
    return events


# -- the contract, for every implementation

def test_provides_interface(bus):
    """The implementation provides IMessageBus."""
    assert verifyObject(IMessageBus, bus)


@pytest_twisted.ensureDeferred
async def test_subscriber_receives_published_message(bus_pair):
    """A message published after subscribe() fired reaches the subscriber."""
    publisher, subscriber = bus_pair
    received = []
    await subscriber.subscribe("chat", received.append)
    assert await publisher.publish("chat", b"hello") is None
    await wait_until(lambda: received)
    assert received == [b"hello"]


@pytest_twisted.ensureDeferred
async def test_own_messages_come_back(bus):
    """A process's own messages are delivered to its own subscribers."""
    received = []
    await bus.subscribe("chat", received.append)
    await bus.publish("chat", b"mine")
    await wait_until(lambda: received)
    assert received == [b"mine"]


@pytest_twisted.ensureDeferred
async def test_messages_arrive_in_publish_order(bus_pair):
    """Messages from one publisher arrive in the order published."""
    publisher, subscriber = bus_pair
    received = []
    await subscriber.subscribe("chat", received.append)
    sent = [b"%d" % i for i in range(20)]
    for message in sent:
        await publisher.publish("chat", message)
    await wait_until(lambda: len(received) == len(sent))
    assert received == sent


@pytest_twisted.ensureDeferred
async def test_binary_messages_arrive_intact(bus_pair):
    """Every byte value survives the trip, undecoded."""
    publisher, subscriber = bus_pair
    received = []
    await subscriber.subscribe("bin", received.append)
    message = bytes(range(256)) + b"007"
    await publisher.publish("bin", message)
    await wait_until(lambda: received)
    assert received == [message] and isinstance(received[0], bytes)


@pytest_twisted.ensureDeferred
async def test_other_channels_are_not_delivered(bus_pair):
    """A handler gets only its own channel's messages."""
    publisher, subscriber = bus_pair
    mine, other = [], []
    await subscriber.subscribe("mine", mine.append)
    await subscriber.subscribe("other", other.append)
    await publisher.publish("unsubscribed", b"nobody")
    await publisher.publish("mine", b"yes")
    await wait_until(lambda: mine)
    assert (mine, other) == ([b"yes"], [])


@pytest_twisted.ensureDeferred
async def test_every_handler_of_a_channel_is_called(bus_pair):
    """Two handlers on one channel both receive each message."""
    publisher, subscriber = bus_pair
    first, second = [], []
    await subscriber.subscribe("chat", first.append)
    await subscriber.subscribe("chat", second.append)
    await publisher.publish("chat", b"m")
    await wait_until(lambda: first and second)
    assert (first, second) == ([b"m"], [b"m"])


@pytest_twisted.ensureDeferred
async def test_handler_exception_is_logged_not_propagated(bus_pair):
    """A failing handler is logged; the publisher and other handlers go on."""
    publisher, subscriber = bus_pair
    events = capture_log(subscriber)
    received = []

    def broken(message):
        raise RuntimeError("handler bug")
    await subscriber.subscribe("chat", broken)
    await subscriber.subscribe("chat", received.append)
    assert await publisher.publish("chat", b"m") is None
    await wait_until(lambda: received)
    failures = [e for e in events if "log_failure" in e]
    assert len(failures) == 1
    assert failures[0]["log_failure"].check(RuntimeError)


def test_publish_refuses_non_bytes(bus):
    """Publishing a str instead of bytes raises TypeError at once."""
    with pytest.raises(TypeError):
        bus.publish("chat", "text")


# -- Valkey only, against the real server

@pytest_twisted.ensureDeferred
async def test_valkey_namespaces_are_separate(valkey_lab):
    """A bus does not receive messages published in another namespace."""
    ours = await valkey_lab.open()
    theirs = await connect_valkey(valkey_lab.url, namespace=valkey_lab.namespace + "-other")
    try:
        received = []
        await ours.bus.subscribe("chat", received.append)
        await theirs.bus.publish("chat", b"elsewhere")
        await ours.bus.publish("chat", b"here")
        await wait_until(lambda: received)
        assert received == [b"here"]
    finally:
        await theirs.close()


@pytest_twisted.ensureDeferred
async def test_valkey_subscriber_reconnects_after_kill(valkey_lab):
    """After its subscriber connection is killed, a bus resubscribes and receives again."""
    publisher, subscriber = valkey_lab.admin, await valkey_lab.open()
    received = []
    await subscriber.bus.subscribe("chat", received.append)
    await subscriber.bus.subscribe("trade", received.append)
    clients = await valkey_lab.admin.execute("CLIENT", "LIST", "TYPE", "pubsub")
    name = f"name={valkey_lab.namespace}:subscriber".encode()
    ids = [line.split()[0].split(b"=")[1] for line in clients.splitlines()
           if name in line.split()]
    assert len(ids) == 1  # this test's subscribing "process", no one else's
    for client_id in ids:
        await valkey_lab.admin.execute("CLIENT", "KILL", "ID", client_id)

    async def delivered():
        await publisher.bus.publish("trade", b"again")
        return received
    await wait_until(delivered, step_s=0.1)
    assert set(received) == {b"again"}


# -- Valkey only, on a fake endpoint and a Clock

class FakeTransport(StringTransport):
    """Answers +OK to connection set-up commands; loses the connection on close."""

    def __init__(self, clock):
        super().__init__()
        self.clock = clock
        self.proto = None
        self.lost = False

    def write(self, data):
        super().write(data)
        if b"SETNAME" in data or b"SELECT" in data:
            self.clock.callLater(0, self.proto.dataReceived, b"+OK\r\n")

    def lose(self):
        if not self.lost:
            self.lost = True
            self.proto.connectionLost(Failure(ConnectionDone()))

    loseConnection = abortConnection = lose


class FakeValkey:
    """A client endpoint that refuses while down and records its connections."""

    def __init__(self, clock):
        self.clock = clock
        self.up = True
        self.transports = []

    def connect(self, factory):
        if not self.up:
            return fail(ConnectionRefusedError())
        proto = factory.buildProtocol(None)
        transport = FakeTransport(self.clock)
        transport.proto = proto
        proto.makeConnection(transport)
        self.transports.append(transport)
        return succeed(proto)

    def go_down(self):
        self.up = False
        for transport in self.transports:
            transport.lose()

    def latest(self, role):
        return [t for t in self.transports if f"ns:{role}".encode() in t.value()][-1]


def result_of(d):
    results = []
    d.addBoth(results.append)
    assert results, "Deferred has not fired"
    if isinstance(results[0], Failure):
        results[0].raiseException()
    return results[0]


def feed(clock, transport, data):
    """Hand Valkey's bytes to a fake connection (txredisapi parses over a few turns)."""
    transport.proto.dataReceived(data)
    clock.pump([0] * 10)


def subscribe_reply(channel):
    return b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(channel), channel)


def message_frame(channel, payload):
    return b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
        len(channel), channel, len(payload), payload)


@pytest.fixture
def fake():
    """A connection on a fake Valkey and a Clock: (clock, endpoint, connection)."""
    clock = Clock()
    endpoint = FakeValkey(clock)
    d = connect_valkey("redis://valkey.invalid:6379/0", namespace="ns",
                       clock=clock, endpoint=endpoint)
    clock.pump([0] * 3)
    return clock, endpoint, result_of(d)


def subscribe_on_fake(fake, channel, handler):
    clock, endpoint, conn = fake
    d = conn.bus.subscribe(channel, handler)
    feed(clock, endpoint.latest("subscriber"), subscribe_reply(b"ns:bus:" + channel.encode()))
    return result_of(d)


def test_publish_during_outage_is_soft_and_logged_once(fake):
    """While Valkey is down, publish fires None and the outage is logged once."""
    clock, endpoint, conn = fake
    events = capture_log(conn.bus)
    endpoint.go_down()
    assert [result_of(conn.bus.publish("chat", b"m")) for _ in range(3)] == [None] * 3
    assert [e["log_level"].name for e in events] == ["warn"]


def test_publish_recovery_is_logged(fake):
    """When Valkey returns, the bus logs it with the number of dropped messages."""
    clock, endpoint, conn = fake
    events = capture_log(conn.bus)
    endpoint.go_down()
    for _ in range(3):
        conn.bus.publish("chat", b"m")
    endpoint.up = True
    clock.pump([0.1] * int((RECONNECT_MAX_S + 1.5) / 0.1))
    assert [e.get("count") for e in events] == [None, 3]
    conn.bus.publish("chat", b"after")
    assert b"ns:bus:chat" in endpoint.latest("command").value()


def test_subscriber_resubscribes_every_channel_on_reconnect(fake):
    """After reconnecting, the subscriber subscribes all channels again and delivers."""
    clock, endpoint, conn = fake
    received = []
    subscribe_on_fake(fake, "a", received.append)
    subscribe_on_fake(fake, "b", received.append)
    endpoint.go_down()
    endpoint.up = True
    clock.pump([0.1] * int((RECONNECT_MAX_S + 1.5) / 0.1))
    sub = endpoint.latest("subscriber")
    assert not sub.lost and b"SUBSCRIBE" in sub.value()
    assert b"ns:bus:a" in sub.value() and b"ns:bus:b" in sub.value()
    feed(clock, sub, subscribe_reply(b"ns:bus:a") + subscribe_reply(b"ns:bus:b"))
    feed(clock, sub, message_frame(b"ns:bus:b", b"back"))
    assert received == [b"back"]


def test_reconnect_delay_is_capped(fake):
    """After a long outage, reconnection comes within a few seconds of Valkey's return."""
    clock, endpoint, conn = fake
    endpoint.go_down()
    clock.pump([1.0] * 300)
    before = len(endpoint.transports)
    endpoint.up = True
    clock.pump([0.1] * int((RECONNECT_MAX_S + 1.5) / 0.1))
    assert len(endpoint.transports) == before + 2


def test_subscribe_during_outage_fails_then_holds(fake):
    """subscribe() while Valkey is down fails, and the channel is subscribed on return."""
    clock, endpoint, conn = fake
    endpoint.go_down()
    with pytest.raises(ValkeyUnavailable):
        result_of(conn.bus.subscribe("late", lambda m: None))
    endpoint.up = True
    clock.pump([0.1] * int((RECONNECT_MAX_S + 1.5) / 0.1))
    assert b"ns:bus:late" in endpoint.latest("subscriber").value()


def test_second_subscriber_waits_for_the_subscription(fake):
    """A second subscribe() to a channel being subscribed fires when the first does."""
    clock, endpoint, conn = fake
    first = conn.bus.subscribe("chat", lambda m: None)
    second = conn.bus.subscribe("chat", lambda m: None)
    assert not second.called
    feed(clock, endpoint.latest("subscriber"), subscribe_reply(b"ns:bus:chat"))
    assert (result_of(first), result_of(second)) == (None, None)


def test_presence_during_outage_fails(fake):
    """Presence calls while Valkey is down fail with ValkeyUnavailable at once."""
    clock, endpoint, conn = fake
    endpoint.go_down()
    with pytest.raises(ValkeyUnavailable):
        result_of(conn.presence.count())
