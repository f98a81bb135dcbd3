"""
Incoming frames: GameProtocol reads a client's usual frames itself
(rpg.web.fastpath.read_frames) and must deliver exactly what Autobahn
delivers, and write exactly what Autobahn writes (pongs, close frames), for
any bytes cut in any way.  Each case runs a real GameProtocol after a real
opening handshake twice: as it is, and with Autobahn's own dataReceived.
"""

import random

import pytest
from autobahn.twisted.websocket import WebSocketServerProtocol
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from rpg.config import Tunables
from rpg.web.fastpath import read_frames, reading_directly, unmask
from rpg.web.ws import GameFactory, GameProtocol
from tests.web.test_fastpath import CHANGED

OPEN = WebSocketServerProtocol.STATE_OPEN
BINARY, TEXT, CONTINUATION, CLOSE, PING, PONG = 0x2, 0x1, 0x0, 0x8, 0x9, 0xA
HANDSHAKE = (b"GET /ws HTTP/1.1\r\nHost: localhost:8000\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             b"Sec-WebSocket-Version: 13\r\n\r\n")
# A message on which the session closes the connection (as an exceeded budget does).
CLOSE_ME = b"close me"


def frame(payload, opcode=BINARY, fin=True, rsv=0, mask=b"\x3c\xa5\x0f\x81", length=None):
    """A client frame (RFC 6455, 5.2), masked unless C{mask} is None; C{length}: 7, 16 or 64."""
    n = len(payload)
    if length is None:
        length = 7 if n < 126 else 16 if n < 65536 else 64
    first = (0x80 if fin else 0) | rsv << 4 | opcode
    masked = 0x80 if mask is not None else 0
    if length == 7:
        header = bytes((first, masked | n))
    elif length == 16:
        header = bytes((first, masked | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((first, masked | 127)) + n.to_bytes(8, "big")
    if mask is None:
        return header + payload
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_frame(code, reason=b""):
    return frame(code.to_bytes(2, "big") + reason, opcode=CLOSE)


class Wire(StringTransport):
    """A transport that records each write among the protocol's events."""

    def __init__(self, events):
        super().__init__()
        self.events = events

    def write(self, data):
        self.events.append(("write", bytes(data)))
        super().write(data)

    def unregisterProducer(self):
        self.producer = None   # as a TCP transport: without one registered too


class Recording(GameProtocol):
    """GameProtocol, its messages recorded in order with its writes, with no session."""

    def onOpen(self):
        pass

    def onMessage(self, payload, isBinary):
        self.events.append(("message", payload, isBinary))
        if payload == CLOSE_ME:
            self._close(1008, "closed by a message")


class AutobahnReading(Recording):
    """The same, every byte read by Autobahn: the behaviour to match."""

    dataReceived = WebSocketServerProtocol.dataReceived


def open_protocol(kind, **options):
    factory = GameFactory(hub=None, tunables=Tunables(), clock=Clock())
    factory.protocol = kind
    # No timers: they would run on the global reactor.
    factory.setProtocolOptions(openHandshakeTimeout=0, closeHandshakeTimeout=0,
                               autoPingInterval=0, **options)
    protocol = factory.buildProtocol(None)
    protocol.events = []
    protocol.makeConnection(Wire(protocol.events))
    protocol.dataReceived(HANDSHAKE)
    assert protocol.state == OPEN
    del protocol.events[:]
    return protocol


def outcome(kind, reads, **options):
    """What a protocol of C{kind} delivers and writes for C{reads}, and how it ends."""
    protocol = open_protocol(kind, **options)
    for data in reads:
        protocol.dataReceived(data)
    return dict(events=protocol.events, state=protocol.state,
                close_code=protocol.localCloseCode, dropped=protocol.transport.disconnecting,
                stats=protocol.trafficStats.__json__())


def same_as_autobahn(reads, **options):
    """The outcome for C{reads}, checked to be Autobahn's own."""
    ours = outcome(Recording, reads, **options)
    assert ours == outcome(AutobahnReading, reads, **options), CHANGED
    return ours


def messages(result):
    return [event[1:] for event in result["events"] if event[0] == "message"]


def cuts(data, *at):
    """C{data} cut at the offsets C{at}."""
    bounds = [0, *at, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


# -- the common case, read here

def fast_only(**options):
    """A protocol whose frame reading must not reach Autobahn's."""
    protocol = open_protocol(Recording, **options)

    def not_autobahn():
        raise AssertionError("Autobahn read a frame the fast path should have read")
    protocol.consumeData = not_autobahn
    return protocol


def test_one_frame_is_delivered_without_autobahns_reader():
    """A complete masked binary frame reaches onMessage, and Autobahn's frame reader never runs."""
    protocol = fast_only()
    protocol.dataReceived(frame(b"\x82\xa4move"))
    assert protocol.events == [("message", b"\x82\xa4move", True)]


def test_several_frames_in_one_read_arrive_in_order():
    """Three frames in one read: three messages, in order, none through Autobahn."""
    protocol = fast_only()
    protocol.dataReceived(frame(b"one") + frame(b"") + frame(b"three" * 40))
    assert [e[1] for e in protocol.events] == [b"one", b"", b"three" * 40]


@pytest.mark.parametrize("max_frame, max_message", [(100, 100), (100, 0), (0, 100), (100, 200)])
def test_a_frame_at_the_caps_is_read_here(max_frame, max_message):
    """A payload of exactly the cap is allowed (as by Autobahn) and read without Autobahn."""
    protocol = fast_only(maxFramePayloadSize=max_frame, maxMessagePayloadSize=max_message)
    protocol.dataReceived(frame(b"x" * 100))
    assert protocol.events == [("message", b"x" * 100, True)]


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 60, 125, 126, 4096, 65535, 65536, 70001])
def test_every_length_encoding_matches_autobahn(size):
    """7-, 16- and 64-bit lengths (no cap): the payload, unmasked, and Autobahn's counters."""
    payload = bytes(random.Random(size).randrange(256) for _ in range(size))
    result = same_as_autobahn([frame(payload)], maxFramePayloadSize=0, maxMessagePayloadSize=0)
    assert messages(result) == [(payload, True)]


def test_unmask_is_rfc_6455_masking():
    """unmask XORs each byte with the mask byte at its position modulo 4, any length."""
    rng = random.Random(7)
    for n in range(0, 70):
        mask, payload = rng.randbytes(4), rng.randbytes(n)
        assert unmask(mask, payload) == bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


# -- everything else, as Autobahn does it

@pytest.mark.parametrize("payload, header", [(b"m" * 60, 2), (b"m" * 300, 4), (b"m" * 70000, 10)])
def test_a_frame_split_over_two_reads_anywhere(payload, header):
    """Cut in its 2/4/10-byte header, in its mask key or its payload: one message, as Autobahn."""
    data = frame(payload)
    ends = range(1, header + 4 + 3) if len(payload) > 1000 else range(1, len(data))
    for at in ends:
        result = same_as_autobahn(cuts(data, at), maxFramePayloadSize=0, maxMessagePayloadSize=0)
        assert messages(result) == [(payload, True)], at


def test_the_rest_of_a_cut_frame_is_never_read_as_a_frame():
    """After a cut, bytes that parse as frames (an all-zero mask) still belong to the cut frame."""
    inner = frame(b"inner", mask=bytes(4))
    data = (frame(b"ab", mask=b"\x80\x00\x00\x00") + frame(inner, opcode=PING, mask=bytes(4))
            + frame(inner, mask=bytes(4)))
    for at in range(1, len(data)):
        result = same_as_autobahn(cuts(data, at))
        assert messages(result) == [(b"ab", True), (inner, True)], at


def test_a_frame_split_over_three_reads():
    """Every pair of cuts in a 126-length frame's header, mask key and first bytes: one message."""
    payload = bytes(range(200))
    data = frame(payload) + frame(b"next")
    for first in range(1, 12):
        for second in range(first + 1, 14):
            result = same_as_autobahn(cuts(data, first, second))
            assert messages(result) == [(payload, True), (b"next", True)], (first, second)


def test_a_ping_between_two_frames_is_answered_in_order():
    """binary, ping, binary in one read: message, pong, message, in that order."""
    result = same_as_autobahn([frame(b"a") + frame(b"hi", opcode=PING) + frame(b"b")])
    kinds = [event[0] for event in result["events"]]
    assert kinds == ["message", "write", "message"]
    assert result["events"][1][1] == b"\x8a\x02hi"   # the pong


def test_a_text_frame_goes_through_autobahn():
    """A text frame is delivered as text, between binary ones, in order."""
    result = same_as_autobahn([frame(b"a") + frame("é".encode(), opcode=TEXT) + frame(b"b")])
    assert messages(result) == [(b"a", True), ("é".encode(), False), (b"b", True)]


def test_a_text_frame_that_is_not_utf8_closes_1007():
    """Autobahn checks text frames' UTF-8: invalid, the connection is closed 1007."""
    result = same_as_autobahn([frame(b"a") + frame(b"\xff", opcode=TEXT)])
    assert messages(result) == [(b"a", True)] and result["close_code"] == 1007


def test_a_fragmented_message_is_assembled():
    """FIN=0 then a continuation frame: one message, the frames around it in order."""
    data = (frame(b"a") + frame(b"frag", fin=False) + frame(b"ment", opcode=CONTINUATION)
            + frame(b"b"))
    result = same_as_autobahn([data])
    assert messages(result) == [(b"a", True), (b"fragment", True), (b"b", True)]


def test_a_new_message_inside_a_fragmented_one_fails_1002():
    """A fragment, then in the next read a new binary frame instead of its continuation: 1002."""
    result = same_as_autobahn([frame(b"frag", fin=False), frame(b"new")])
    assert messages(result) == [] and result["close_code"] == 1002


@pytest.mark.parametrize("bad, code", [
    (frame(b"x", mask=None), 1002),                 # unmasked
    (frame(b"x", rsv=1), 1002),                     # RSV bit without an extension
    (frame(b"x", rsv=4), 1002),
    (frame(b"x", opcode=0x3), 1002),                # reserved opcode
    (frame(b"x", opcode=CONTINUATION), 1002),       # continuation outside a message
    (frame(b"x" * 10, length=16), 1002),            # lengths not minimally encoded
    (frame(b"x" * 200, length=64), 1002),
    (frame(b"x" * 16385), 1009),                    # over maxFramePayloadSize
])
def test_a_bad_frame_fails_the_connection_as_autobahn_does(bad, code):
    """After a good frame: it is delivered, then the bad one closes with Autobahn's code."""
    result = same_as_autobahn([frame(b"good") + bad + frame(b"after")])
    assert messages(result) == [(b"good", True)] and result["close_code"] == code


@pytest.mark.parametrize("max_frame, max_message, size, code", [
    (100, 0, 101, 1009), (0, 100, 101, 1009), (100, 200, 150, 1009), (200, 100, 150, 1009),
    (100, 100, 100, None), (0, 0, 5000, None),
])
def test_the_payload_caps_are_autobahns(max_frame, max_message, size, code):
    """maxFramePayloadSize and maxMessagePayloadSize (0: none) close 1009 where Autobahn does."""
    result = same_as_autobahn([frame(b"x" * size) + frame(b"y")],
                              maxFramePayloadSize=max_frame, maxMessagePayloadSize=max_message)
    assert result["close_code"] == code
    assert len(messages(result)) == (2 if code is None else 0)


def test_a_close_frame_after_data_frames():
    """Data frames then a close: the messages, then Autobahn's close reply, in that order."""
    result = same_as_autobahn([frame(b"a") + frame(b"b") + close_frame(1000) + frame(b"late")])
    assert messages(result) == [(b"a", True), (b"b", True)]
    assert [event[0] for event in result["events"]] == ["message", "message", "write"]


def test_a_message_that_closes_the_connection():
    """A message closes the connection: its close leaves, later frames arrive, as in Autobahn."""
    result = same_as_autobahn([frame(b"a") + frame(CLOSE_ME) + frame(b"b") + frame(b"c"),
                               frame(b"d")])
    assert result["close_code"] == 1008
    # Autobahn delivers data frames until the client's close arrives; the
    # session, closed, drops them.
    assert [event[:2] for event in result["events"]] == [
        ("message", b"a"), ("message", CLOSE_ME), ("write", b"\x88\x15\x03\xf0closed by a message"),
        ("message", b"b"), ("message", b"c"), ("message", b"d")]


def test_a_data_frame_cancels_a_pending_auto_ping_timeout():
    """As in Autobahn: data from the client stands for the pong, the ping timeout is cancelled."""

    class Timeout:
        cancelled = False

        def cancel(self):
            self.cancelled = True

    for kind in (Recording, AutobahnReading):
        protocol = open_protocol(kind)
        timeout = protocol.autoPingTimeoutCall = Timeout()
        protocol.autoPingPending = b"ping"
        protocol.dataReceived(frame(b"a"))
        assert timeout.cancelled and protocol.autoPingTimeoutCall is None, (kind, CHANGED)
        assert protocol.autoPingPending is None, (kind, CHANGED)


def test_options_that_want_autobahn_turn_the_fast_path_off():
    """Frame or octet logging, timings, a listener, no unmasking, a client: Autobahn reads all."""
    assert reading_directly(open_protocol(Recording))
    switches = [lambda p: setattr(p, "logFrames", True), lambda p: setattr(p, "logOctets", True),
                lambda p: p.setTrackTimings(True), lambda p: setattr(p, "applyMask", False),
                lambda p: p.on("message", lambda *a, **kw: None)]
    switches.append(lambda p: setattr(p.factory, "isServer", False))   # server frames are unmasked
    for switch in switches:
        protocol = open_protocol(Recording)
        switch(protocol)
        assert not reading_directly(protocol)
        assert read_frames(protocol, frame(b"a"), None) == frame(b"a")


def test_game_protocol_keeps_autobahns_per_message_hooks():
    """The fast path skips Autobahn's onMessageBegin..End: GameProtocol must not override them."""
    for name in ("onMessageBegin", "onMessageFrameBegin", "onMessageFrameData",
                 "onMessageFrameEnd", "onMessageFrame", "onMessageEnd", "_onMessageBegin",
                 "_onMessageFrameBegin", "_onMessageFrameData", "_onMessageFrameEnd",
                 "_onMessageFrame", "_onMessageEnd", "_onMessage", "processData",
                 "onFrameBegin", "onFrameData", "onFrameEnd"):
        assert getattr(GameProtocol, name) is getattr(WebSocketServerProtocol, name), name


# -- random mixes, cut at random points

def _random_piece(rng):
    kind = rng.choice(["binary"] * 8 + ["empty", "long", "ping", "pong", "text", "bad text",
                                        "fragmented", "unmasked", "rsv", "huge", "close",
                                        "close me", "non-minimal", "unfinished"])
    payload = rng.randbytes(rng.choice([1, 5, 60, 61, 62, 63]))
    return {
        "binary": lambda: frame(payload, mask=rng.randbytes(4)),
        "empty": lambda: frame(b""),
        "long": lambda: frame(rng.randbytes(rng.randrange(126, 700))),
        "ping": lambda: frame(payload[:20], opcode=PING),
        "pong": lambda: frame(payload[:20], opcode=PONG),
        "text": lambda: frame(b"hello", opcode=TEXT),
        "bad text": lambda: frame(b"\xc3", opcode=TEXT),
        "fragmented": lambda: (frame(payload, fin=False) + frame(b"", opcode=CONTINUATION,
                                                                 fin=False)
                               + frame(payload, opcode=CONTINUATION)),
        "unmasked": lambda: frame(payload, mask=None),
        "rsv": lambda: frame(payload, rsv=rng.choice([1, 2, 4])),
        "huge": lambda: frame(b"h" * rng.choice([300, 1000])),
        "close": lambda: close_frame(1000),
        "close me": lambda: frame(CLOSE_ME),
        "non-minimal": lambda: frame(payload, length=16),
        "unfinished": lambda: frame(payload, fin=False),
    }[kind]()


@pytest.mark.parametrize("seed", range(300))
def test_random_mixes_cut_anywhere_match_autobahn(seed):
    """Random frames, good and bad, cut into random reads: the same messages, writes and close."""
    rng = random.Random(seed)
    data = b"".join(_random_piece(rng) for _ in range(rng.randrange(1, 12)))
    at = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(0, 6))))
    caps = rng.choice([{}, {"maxFramePayloadSize": 500, "maxMessagePayloadSize": 0},
                       {"maxFramePayloadSize": 0, "maxMessagePayloadSize": 500},
                       {"maxFramePayloadSize": 0, "maxMessagePayloadSize": 0}])
    same_as_autobahn(cuts(data, *at), **caps)


def test_without_autobahns_internals_every_read_is_left_to_autobahn(monkeypatch):
    """A release missing an internal read here: the fast path stays off, messages still arrive."""
    from rpg.web import fastpath
    monkeypatch.setattr(fastpath, "AUTOBAHN_INTERNALS",
                        (*fastpath.AUTOBAHN_INTERNALS, "renamedInThisRelease"))
    protocol = open_protocol(Recording)
    protocol.dataReceived(frame(b"one"))
    assert protocol._reads_directly is False
    assert protocol.events == [("message", b"one", True)]
