"""
CPU per incoming client frame at the WebSocket edge: a real GameProtocol,
opened by a real handshake on an in-memory transport, is fed one small
masked binary frame per dataReceived (a 60-byte payload, like a move),
first as rpg.web.fastpath.read_frames reads it, then with Autobahn's own
dataReceived.  The session is left out (the protocol has none, so
onMessage returns at once): this is the edge's own cost only.

    .venv/bin/python tools/ws_read_cost.py [--size 60] [--frames 1]

--frames N puts N frames in each read.  Prints the best of several runs,
in microseconds per frame.
"""

import argparse
import os
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from autobahn.twisted.websocket import WebSocketServerProtocol  # noqa: E402
from twisted.internet.task import Clock  # noqa: E402
from twisted.internet.testing import StringTransport  # noqa: E402

from rpg.config import Tunables  # noqa: E402
from rpg.web.ws import GameFactory, GameProtocol  # noqa: E402

HANDSHAKE = (b"GET /ws HTTP/1.1\r\nHost: localhost:8000\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             b"Sec-WebSocket-Version: 13\r\n\r\n")


class NoSession(GameProtocol):
    def onOpen(self):
        pass   # no session: onMessage returns at once


class AutobahnReads(NoSession):
    dataReceived = WebSocketServerProtocol.dataReceived


def client_frame(payload, mask):
    header = bytes((0x82, 0x80 | len(payload))) if len(payload) < 126 else (
        b"\x82\xfe" + len(payload).to_bytes(2, "big"))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def opened(kind):
    factory = GameFactory(hub=None, tunables=Tunables(), clock=Clock())
    factory.protocol = kind
    factory.setProtocolOptions(openHandshakeTimeout=0, autoPingInterval=0,
                               maxFramePayloadSize=0, maxMessagePayloadSize=0)
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    protocol.dataReceived(HANDSHAKE)
    assert protocol.state == WebSocketServerProtocol.STATE_OPEN
    return protocol


def per_frame(kind, data, frames, number=20000, repeat=7):
    protocol = opened(kind)
    feed = protocol.dataReceived
    best = min(timeit.repeat(lambda: feed(data), number=number, repeat=repeat))
    assert protocol.state == WebSocketServerProtocol.STATE_OPEN
    return best / number / frames * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--frames", type=int, default=1)
    args = parser.parse_args()
    data = client_frame(os.urandom(args.size), os.urandom(4)) * args.frames
    for name, kind in (("read_frames", NoSession), ("Autobahn", AutobahnReads)):
        print(f"{name:12s} {per_frame(kind, data, args.frames):6.2f} µs per frame "
              f"({args.size}-byte payload, {args.frames} per read)")


if __name__ == "__main__":
    main()
