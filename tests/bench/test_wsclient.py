"""
The bench's lean WebSocket client (rpg/bench/wsclient.py): its framing on a
fake transport, and a real conversation with an Autobahn server.
"""

import struct

import pytest_twisted
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.testing import StringTransport

from rpg.bench.wsclient import (
    LeanClientFactory, LeanClientProtocol, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, accept_for,
    frame, mask)


def server_frame(opcode, payload, final=True):
    """A server's (unmasked) frame."""
    n = len(payload)
    first = (0x80 if final else 0) | opcode
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return bytes((first, 126)) + struct.pack("!H", n) + payload
    return bytes((first, 127)) + struct.pack("!Q", n) + payload


def unmasked(data):
    """The opcode and payload of one client frame."""
    opcode, second = data[0] & 0x0F, data[1]
    assert second & 0x80, "client frames are masked"
    n, at = second & 0x7F, 2
    if n == 126:
        (n,), at = struct.unpack_from("!H", data, 2), 4
    elif n == 127:
        (n,), at = struct.unpack_from("!Q", data, 2), 10
    key = data[at:at + 4]
    return opcode, mask(data[at + 4:at + 4 + n], key)


class Recorder(LeanClientProtocol):
    def __init__(self):
        super().__init__()
        self.events = []

    def onOpen(self):
        self.events.append(("open",))

    def onMessage(self, payload, isBinary):
        self.events.append(("message", payload, isBinary))

    def onClose(self, wasClean, code, reason):
        self.events.append(("close", wasClean, code, reason))


def opened():
    """A client past a correct handshake on a fake transport."""
    client = Recorder()
    client.factory = LeanClientFactory("ws://127.0.0.1:8000/ws")
    transport = StringTransport()
    client.makeConnection(transport)
    request = transport.value()
    assert request.startswith(b"GET /ws HTTP/1.1\r\n")
    key = request.split(b"Sec-WebSocket-Key: ")[1].split(b"\r\n")[0]
    transport.clear()
    client.dataReceived(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_for(key)
                        + b"\r\n\r\n")
    return client, transport


def test_masking_twice_gives_the_payload_back_and_once_changes_it():
    """Client frames are masked with the key (RFC 6455, 5.3)."""
    payload = bytes(range(200))
    key = b"\x01\x02\x03\x04"
    assert mask(mask(payload, key), key) == payload
    assert mask(payload, key) != payload
    assert mask(b"", key) == b""


def test_frames_of_every_length_encoding_carry_their_payload_masked():
    """7-bit, 16-bit and 64-bit lengths each round-trip through the frame."""
    for n in (0, 125, 126, 65535, 65536):
        payload = bytes(i % 251 for i in range(n))
        assert unmasked(frame(OP_BINARY, payload)) == (OP_BINARY, payload)


def test_a_correct_handshake_opens_and_a_wrong_accept_fails():
    """Only a 101 with the right Sec-WebSocket-Accept opens the connection."""
    client, _ = opened()
    assert client.events == [("open",)]
    bad = Recorder()
    bad.factory = LeanClientFactory("ws://127.0.0.1:8000/ws")
    transport = StringTransport()
    bad.makeConnection(transport)
    bad.dataReceived(b"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope\r\n\r\n")
    assert bad.events == [] and transport.disconnecting


def test_frames_split_anywhere_and_run_together_arrive_whole_and_in_order():
    """Messages come out whole whatever the reads cut them into."""
    client, _ = opened()
    stream = (server_frame(OP_BINARY, b"a" * 10) + server_frame(OP_BINARY, b"b" * 300)
              + server_frame(OP_BINARY, b"c" * 70000) + server_frame(OP_BINARY, b"", ))
    for cut in (1, 2, 3, 7, 500):
        client.events.clear()
        for start in range(0, len(stream), cut):
            client.dataReceived(stream[start:start + cut])
        assert client.events == [("message", b"a" * 10, True), ("message", b"b" * 300, True),
                                 ("message", b"c" * 70000, True), ("message", b"", True)]


def test_a_fragmented_message_is_joined():
    """A message in a first frame and continuations comes out as one."""
    client, _ = opened()
    client.dataReceived(server_frame(OP_BINARY, b"ab", final=False) + server_frame(0, b"cd", final=False)
                        + server_frame(0, b"ef"))
    assert client.events[1:] == [("message", b"abcdef", True)]


def test_a_ping_is_answered_with_a_pong_of_the_same_payload():
    """Pings get a masked pong echoing their payload."""
    client, transport = opened()
    client.dataReceived(server_frame(OP_PING, b"1234"))
    assert unmasked(transport.value()) == (OP_PONG, b"1234")


def test_a_close_is_answered_and_reported_with_its_code_and_reason():
    """The server's close code and reason reach onClose; the close is echoed."""
    client, transport = opened()
    client.dataReceived(server_frame(OP_CLOSE, struct.pack("!H", 4001) + b"logged in elsewhere"))
    assert unmasked(transport.value()) == (OP_CLOSE, struct.pack("!H", 4001))
    assert transport.disconnecting
    client.connectionLost(None)
    assert client.events[-1] == ("close", True, 4001, "logged in elsewhere")


def test_a_lost_connection_without_a_close_is_1006():
    """A dropped connection reports 1006, not clean."""
    client, _ = opened()
    client.connectionLost(None)
    assert client.events[-1] == ("close", False, 1006, "")


class Echo(WebSocketServerProtocol):
    def onMessage(self, payload, isBinary):
        if payload == b"close":
            self.sendClose(4003, "kicked")
        else:
            self.sendMessage(payload[::-1], isBinary=isBinary)


@pytest_twisted.ensureDeferred
async def test_it_talks_to_an_autobahn_server_and_answers_its_pings():
    """
    Against a real Autobahn server: echoes, the server's close code, and
    pongs the server accepts (it sends its next ping only after the pong).
    """
    factory = WebSocketServerFactory("ws://127.0.0.1/ws")
    factory.protocol = Echo
    factory.setProtocolOptions(autoPingInterval=0.1, autoPingTimeout=1)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    try:
        done = defer.Deferred()

        pings = []

        class Client(Recorder):
            def _frame(self, final, opcode, payload):
                if opcode == OP_PING:
                    pings.append(payload)
                super()._frame(final, opcode, payload)

            def onOpen(self):
                super().onOpen()
                self.sendMessage(b"\x01\x02\x03" * 100, isBinary=True)

            def onMessage(self, payload, isBinary):
                super().onMessage(payload, isBinary)
                reactor.callLater(1.0, self.sendMessage, b"close", True)  # past a few pings

            def onClose(self, wasClean, code, reason):
                super().onClose(wasClean, code, reason)
                done.callback(self.events)

        client_factory = LeanClientFactory(f"ws://127.0.0.1:{port.getHost().port}/ws")
        client_factory.protocol = Client
        await TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port).connect(
            client_factory)
        events = await done
        assert events == [("open",), ("message", (b"\x01\x02\x03" * 100)[::-1], True),
                          ("close", True, 4003, "kicked")]
        assert len(pings) >= 4
    finally:
        await port.stopListening()
