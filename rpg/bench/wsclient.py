"""
A lean WebSocket client for bench bots: RFC 6455 framing by hand on a plain
Twisted L{Protocol}.

The bots exist to load the server, so they must cost less than it.
Autobahn's client spends ~40 µs of Python on each frame it receives (its
handshake, frame and message state machines, observers); a walking player
gets ~20 frames a second, so 1,000 bots took a whole core and could not keep
up with the server they measured: the move round trips they reported were
their own backlog.  This client does what a bot needs and nothing more: the
opening handshake (checked: status 101 and C{Sec-WebSocket-Accept}), whole
binary and text messages (fragments joined), answering pings, and the
closing handshake.  It validates nothing else; it is a load generator, not a
conforming client for arbitrary servers.

It offers the few members of Autobahn's C{WebSocketClientProtocol} that
L{rpg.bench.bot.Bot} uses (C{sendMessage}, C{sendClose}, C{state},
C{STATE_OPEN}), and calls the same C{onOpen}, C{onMessage} and C{onClose}.
"""

import base64
import hashlib
import os
import struct

from twisted.internet import protocol

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEADER_BYTES = 16384
# An incoming frame larger than this fails the connection (the server sends
# one frame per tick, a few kilobytes even in a crowd).
MAX_FRAME_BYTES = 64 * 1024 * 1024

# The WebSocket clients a bench bot may use: this one, or Autobahn's.
CLIENTS = ("lean", "autobahn")

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


def mask(payload, key):
    """C{payload} XOR-ed with the 4-byte C{key} repeated (RFC 6455, 5.3)."""
    n = len(payload)
    if n == 0:
        return payload
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


def frame(opcode, payload):
    """One final, masked client frame."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    key = os.urandom(4)
    return header + key + mask(payload, key)


def accept_for(key):
    """The C{Sec-WebSocket-Accept} a server answers C{key} with."""
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


class LeanClientProtocol(protocol.Protocol):
    """
    A WebSocket client connection.  The factory gives C{host}, C{port} and
    C{path} (its C{url} is parsed by L{LeanClientFactory}).
    """

    STATE_CONNECTING, STATE_OPEN, STATE_CLOSING, STATE_CLOSED = range(4)

    def __init__(self):
        self.state = self.STATE_CONNECTING
        self._buffer = b""
        self._fragments = None  # (opcode, [payloads]) of a message in pieces
        self._key = None
        self._close_code = None
        self._close_reason = ""

    # -- what Bot calls
    def sendMessage(self, payload, isBinary=False):
        if self.state == self.STATE_OPEN:
            self.transport.write(frame(OP_BINARY if isBinary else OP_TEXT, payload))

    def sendClose(self, code=1000, reason=""):
        if self.state == self.STATE_OPEN:
            self.state = self.STATE_CLOSING
            self.transport.write(frame(OP_CLOSE, struct.pack("!H", code) + reason.encode()))

    # -- what Bot is called with (overridden by the bot's protocol)
    def onOpen(self):
        pass

    def onMessage(self, payload, isBinary):
        pass

    def onClose(self, wasClean, code, reason):
        pass

    # -- Twisted
    def connectionMade(self):
        self._key = base64.b64encode(os.urandom(16))
        f = self.factory
        self.transport.write(
            b"GET " + f.path + b" HTTP/1.1\r\nHost: " + f.host_header
            + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + self._key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")

    def dataReceived(self, data):
        self._buffer += data
        if self.state == self.STATE_CONNECTING:
            if not self._handshake():
                return
        self._frames()

    def connectionLost(self, reason=protocol.connectionDone):
        clean = self.state == self.STATE_CLOSED  # a close frame came first
        self.state = self.STATE_CLOSED
        code = self._close_code if self._close_code is not None else 1006
        self.onClose(clean, code, self._close_reason)

    # -- the rest
    def _handshake(self):
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEADER_BYTES:
                self._fail("handshake too long")
            return False
        head, self._buffer = self._buffer[:end], self._buffer[end + 4:]
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if len(status) < 2 or status[1] != b"101":
            self._fail("handshake refused: " + lines[0].decode("latin-1"))
            return False
        if headers.get(b"sec-websocket-accept") != accept_for(self._key):
            self._fail("handshake: bad Sec-WebSocket-Accept")
            return False
        self.state = self.STATE_OPEN
        self.onOpen()
        return self.state == self.STATE_OPEN

    def _frames(self):
        buffer = self._buffer
        offset = 0
        size = len(buffer)
        while size - offset >= 2:
            b0 = buffer[offset]
            b1 = buffer[offset + 1]
            length = b1 & 0x7F
            start = offset + 2
            if length == 126:
                if size - start < 2:
                    break
                length = (buffer[start] << 8) | buffer[start + 1]
                start += 2
            elif length == 127:
                if size - start < 8:
                    break
                (length,) = struct.unpack_from("!Q", buffer, start)
                start += 8
            if b1 & 0x80 or length > MAX_FRAME_BYTES:
                self._buffer = b""
                self._fail("masked or oversized frame from the server")
                return
            end = start + length
            if end > size:
                break
            offset = end
            self._frame(b0 & 0x80, b0 & 0x0F, buffer[start:end])
            if self.state == self.STATE_CLOSED:
                return
        self._buffer = buffer[offset:] if offset else buffer

    def _frame(self, final, opcode, payload):
        if opcode in (OP_TEXT, OP_BINARY) and final and self._fragments is None:
            self.onMessage(payload, opcode == OP_BINARY)
        elif opcode in (OP_TEXT, OP_BINARY):
            self._fragments = (opcode, [payload])
        elif opcode == OP_CONTINUATION and self._fragments is not None:
            self._fragments[1].append(payload)
            if final:
                first, parts = self._fragments
                self._fragments = None
                self.onMessage(b"".join(parts), first == OP_BINARY)
        elif opcode == OP_PING:
            if self.state == self.STATE_OPEN:
                self.transport.write(frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            if len(payload) >= 2:
                (self._close_code,) = struct.unpack_from("!H", payload)
                self._close_reason = payload[2:].decode("utf-8", "replace")
            else:
                self._close_code = 1005
            if self.state == self.STATE_OPEN:
                self.transport.write(frame(OP_CLOSE, payload[:2]))
            self.state = self.STATE_CLOSED
            self.transport.loseConnection()
        elif opcode != OP_PONG:
            self._fail(f"unexpected opcode {opcode}")

    def _fail(self, why):
        self._close_reason = why
        self._close_code = 1006
        self.transport.abortConnection()


class LeanClientFactory(protocol.ClientFactory):
    """Connections to one C{ws://host:port/path} URL."""

    protocol = LeanClientProtocol

    def __init__(self, url):
        rest = url.split("//", 1)[1]
        hostport, _, path = rest.partition("/")
        self.host_header = hostport.encode()
        self.path = b"/" + path.encode()
