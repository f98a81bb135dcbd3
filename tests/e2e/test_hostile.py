"""End to end: hostile clients on the WebSocket -- floods meet the message budget,
and a client that does not read neither grows the server's memory nor slows anyone."""

import socket
import time

import pytest_twisted
from twisted.internet import reactor, task

from .server import REPO_MAPS, running_server


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


def server_side(server, client):
    """The server's protocol for C{client}'s connection."""
    port = client.protocol.transport.getHost().port
    (protocol,) = [p for p in server.service.factory.connections
                   if p.transport.getPeer().port == port]
    return protocol


@pytest_twisted.ensureDeferred
async def test_a_move_flood_meets_rate_limited_then_closes_1008(tmp_path):
    """With the default budget, a burst of moves past rate_move_burst (100) gets RATE_LIMITED
    {retry_after_ms} (moving nobody), and keeping it up closes the connection with 1008."""
    async with running_server(tmp_path) as server:
        client = await server.player("flooder")
        ids = [client.send("cmd_move", {"direction": "UP"}) for _ in range(120)]
        for request_id in (ids[0], ids[-1]):
            await client.wait_for(lambda m, i=request_id: m["id"] == i, include_past=True)
        last = [m for m in client.frames if m["id"] == ids[-1]][0]
        assert last["payload"]["error_code"] == "RATE_LIMITED"
        assert 0 < last["payload"]["details"]["retry_after_ms"] <= 1000
        codes = [m["payload"].get("error_code") for m in client.frames if m["id"] in ids]
        assert 18 <= codes.count("RATE_LIMITED") <= 20   # past the burst of 100 moves
        assert codes.count(None) == 1   # the move cooldown lets one through
        for _ in range(200):
            client.send("query_inventory")
        code, _ = await client.wait_closed()
        assert code == 1008


@pytest_twisted.ensureDeferred
async def test_a_client_that_does_not_read_is_bounded_and_closed(tmp_path):
    """A client flooding radius-5 query_chunks without reading: the server's unsent output for it
    stays near output_buffer_max_bytes (query replies are refused over it), the connection is
    closed within the grace time, and a bystander's move round trip stays short meanwhile."""
    cap = 256 * 1024
    async with running_server(tmp_path, output_buffer_max_bytes=cap, output_buffer_grace_s=1.0,
                              rate_chunks_per_s=1e6, rate_chunks_burst=10 ** 7,
                              rate_general_per_s=1e6, rate_general_burst=10 ** 7,
                              move_cooldown_ms=0, maps_dir=REPO_MAPS) as server:
        bystander = await server.player("bystander")
        hog = await server.player("hog")
        theirs = server_side(server, hog)
        # Small socket buffers on both sides, so that Twisted's buffer fills, not the kernel's.
        hog.protocol.transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        theirs.transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        hog.protocol.transport.pauseProducing()
        welcome = hog.welcome["payload"]
        query = {"map_id": welcome["map_id"], "chunk_x": welcome["x"] // 16,
                 "chunk_y": welcome["y"] // 16, "radius": 5}
        most, slowest = 0, 0.0
        for burst in range(8):
            for _ in range(100):
                hog.send("query_chunks", query)
            started = time.monotonic()
            reply = await bystander.request("cmd_move", {"direction": "DOWN" if burst % 2 else "UP"})
            slowest = max(slowest, time.monotonic() - started)
            assert reply["type"] == "resp_success", reply
            most = max(most, theirs.unsent_bytes())
        assert most > cap                              # the flood did fill the buffer...
        assert most < cap + 512 * 1024                 # ...and stayed within a reply or so of the cap
        assert slowest < 0.5, slowest
        for _ in range(60):
            if theirs not in server.service.factory.connections:
                break
            await sleep(0.1)
        assert theirs not in server.service.factory.connections   # closed and dropped
        assert bystander.closed.called is False


async def handshake_status(server, origin):
    """The HTTP status of a /ws upgrade sent with C{origin} (None: no Origin header)."""
    from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
    from twisted.internet.protocol import Protocol
    from twisted.internet import defer

    class Raw(Protocol):
        def __init__(self):
            self.data, self.done = b"", defer.Deferred()

        def dataReceived(self, data):
            self.data += data
            if b"\r\n" in self.data and not self.done.called:
                self.done.callback(self.data)

    port = server.service.port.getHost().port
    raw = Raw()
    await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), raw)
    headers = [f"GET /ws HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
               "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
               "Sec-WebSocket-Version: 13"]
    if origin is not None:
        headers.append(f"Origin: {origin.format(port=port)}")
    raw.transport.write(("\r\n".join(headers) + "\r\n\r\n").encode())
    answer = await raw.done.addTimeout(5, reactor)
    raw.transport.loseConnection()
    return int(answer.split(b" ", 2)[1])


@pytest_twisted.ensureDeferred
async def test_ws_accepts_browsers_only_from_allowed_origins(tmp_path):
    """/ws: no Origin or the server's own origin or a listed one opens (101); a foreign
    origin gets 403 at the handshake."""
    async with running_server(tmp_path, allowed_origins=("https://play.example",)) as server:
        assert await handshake_status(server, None) == 101
        assert await handshake_status(server, "http://127.0.0.1:{port}") == 101
        assert await handshake_status(server, "https://play.example") == 101
        assert await handshake_status(server, "http://evil.example") == 403
        assert await handshake_status(server, "http://127.0.0.1:1") == 403
        assert await handshake_status(server, "null") in (400, 403)   # Autobahn's own refusal
