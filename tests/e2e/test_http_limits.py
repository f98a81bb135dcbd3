"""End to end: HTTP against hostile clients (bodies, deadlines, caps, JSON, content types, headers)."""

import socket
import time

import pytest_twisted
from twisted.internet import threads
from twisted.logger import globalLogPublisher

from .client import GameClient, http
from .server import running_server


def port_of(server):
    return server.service.port.getHost().port


def exchange(port, head, body_chunks=(), pause=0.0, read_timeout=10.0):
    """
    Send C{head}, then each chunk of C{body_chunks} (after C{pause} s each)
    while the server lets us, and return what the server answered, how long
    it took and how much of the body went.  Runs blocking, in a thread.
    """
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(head)
        sent_body = 0
        try:
            for chunk in body_chunks:
                if pause:
                    time.sleep(pause)
                s.sendall(chunk)
                sent_body += len(chunk)
        except OSError:
            pass  # the server closed while we were still sending
        answer = b""
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    return answer, time.monotonic() - started, sent_body


def upgrade_head(port):
    """The head of the answer to a WebSocket upgrade of /ws (written by Autobahn, not twisted.web)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            data = s.recv(4096)
            if not data:
                break
            head += data
        return head


def status(answer):
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def refused_before_the_body(port, head, body_size):
    """Send only C{head}; read the answer; then offer the body: it is dropped and the connection closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        answer = s.recv(65536)  # comes before a byte of the body was sent
        started = time.monotonic()
        try:
            for _ in range(body_size // 65536):
                s.sendall(b"[" * 65536)
            while s.recv(65536):
                pass
        except OSError:
            pass
        return answer, time.monotonic() - started


@pytest_twisted.ensureDeferred
async def test_a_10_mb_body_is_refused_with_413_before_it_is_read(tmp_path):
    """A 10 MB POST is 413 from its Content-Length alone; the rest is dropped, the connection closed."""
    async with running_server(tmp_path) as server:
        head = (b"POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 10485760\r\n\r\n")
        answer, closed_after = await threads.deferToThread(
            refused_before_the_body, port_of(server), head, 10485760)
        assert status(answer) == 413, answer[:200]
        assert b'"error_code": "INVALID_MESSAGE_FORMAT"' in answer
        assert closed_after < 6


@pytest_twisted.ensureDeferred
async def test_a_chunked_body_is_refused_with_413_as_it_passes_16_kib(tmp_path):
    """A chunked body has no length to check up front: it is refused as it passes the cap."""
    async with running_server(tmp_path) as server:
        head = (b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        chunks = [b"1000\r\n" + b" " * 4096 + b"\r\n"] * 8 + [b"0\r\n\r\n"]
        answer, _, _ = await threads.deferToThread(exchange, port_of(server), head, chunks)
        assert status(answer) == 413, answer[:200]


@pytest_twisted.ensureDeferred
async def test_a_trickling_client_is_closed_at_the_request_deadline(tmp_path):
    """One header byte at a time keeps the idle timer alive, not the request deadline (408)."""
    async with running_server(tmp_path, http_request_deadline_s=1.0) as server:
        trickle = [bytes([b]) for b in b"Host: x\r\nX-Slow: " + b"a" * 100]
        answer, took, _ = await threads.deferToThread(
            exchange, port_of(server), b"GET /health HTTP/1.1\r\n", trickle, 0.1)
        assert status(answer) == 408, answer[:200]
        assert took < 5


@pytest_twisted.ensureDeferred
async def test_connections_over_the_per_address_cap_are_closed_websockets_included(tmp_path):
    """Past max_connections_per_address, HTTP and WebSocket connections are closed at once."""
    async with running_server(tmp_path, max_connections_per_address=3) as server:
        clients = [await GameClient.connect(server.ws_url) for _ in range(3)]
        try:
            answer, _, _ = await threads.deferToThread(
                exchange, port_of(server), b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer == b""  # closed before a byte was read
            try:
                extra = await GameClient.connect(server.ws_url, timeout=2)
            except Exception:
                extra = None
            assert extra is None
            await clients.pop().close()
            status_code, _, _ = await http("GET", server.base_url + "/health")
            assert status_code == 200
        finally:
            for client in clients:
                await client.close()


@pytest_twisted.ensureDeferred
async def test_deeply_nested_or_malformed_json_is_400_not_500(tmp_path):
    """16,000 `[` is 400 INVALID_MESSAGE_FORMAT like any malformed JSON, on every JSON endpoint
    (/auth/password parses its body before it checks the token): no 500, no logged traceback."""
    failures = []

    def observe(event):
        if "log_failure" in event:
            failures.append(event)

    globalLogPublisher.addObserver(observe)
    try:
        async with running_server(tmp_path) as server:
            for path in ("/auth/register", "/auth/login", "/auth/password"):
                for raw in (b"[" * 16000, b"{" * 8000, b'{"username": ', b"\xff\xfe"):
                    code, body, _ = await http("POST", server.base_url + path, raw=raw,
                                               headers={b"authorization": b"Bearer not-checked"})
                    assert code == 400 and body["error_code"] == "INVALID_MESSAGE_FORMAT", \
                        (path, raw[:5])
    finally:
        globalLogPublisher.removeObserver(observe)
    assert failures == []  # no traceback in the log


@pytest_twisted.ensureDeferred
async def test_auth_endpoints_refuse_other_content_types_with_415(tmp_path):
    """text/plain, multipart, no content type (and a form, for register) are 415."""
    async with running_server(tmp_path) as server:
        body = b'{"username": "csrf_1", "password": "password123"}'
        for path, content_type in (("/auth/register", b"text/plain"),
                                   ("/auth/register", b"multipart/form-data; boundary=x"),
                                   ("/auth/register", b"application/x-www-form-urlencoded"),
                                   ("/auth/register", None),
                                   ("/auth/login", b"text/plain;charset=UTF-8"),
                                   ("/auth/login", None)):
            raw = body
            if content_type and content_type.startswith(b"multipart/"):
                raw = (b'--x\r\nContent-Disposition: form-data; name="username"\r\n\r\n'
                       b'csrf_1\r\n--x--\r\n')
            code, reply, _ = await http("POST", server.base_url + path, raw=raw,
                                        content_type=content_type)
            assert code == 415 and reply["error_code"] == "UNSUPPORTED_MEDIA_TYPE", (path, content_type)
        code, _, _ = await http("POST", server.base_url + "/auth/register", raw=body,
                                content_type=b"application/json; charset=utf-8")
        assert code == 201


@pytest_twisted.ensureDeferred
async def test_registrations_per_address_are_429_with_retry_after(tmp_path):
    """Past registrations_per_address in the window, /auth/register is 429 with Retry-After."""
    async with running_server(tmp_path, registrations_per_address=2,
                              registration_limit_loopback=True) as server:
        for n in range(2):
            await server.register(f"many_{n}")
        code, reply, headers = await http("POST", server.base_url + "/auth/register",
                                          {"username": "many_x", "password": "password123"})
        assert code == 429 and reply["error_code"] == "REGISTRATION_RATE_LIMITED"
        assert 500 <= int(headers.getRawHeaders(b"retry-after")[0]) <= 600


@pytest_twisted.ensureDeferred
async def test_loopback_registrations_are_not_throttled_per_address_by_default(tmp_path):
    """A test suite on 127.0.0.1 registers more than 60 accounts with the defaults."""
    async with running_server(tmp_path, registrations_per_address=3) as server:
        for n in range(5):
            await server.register(f"suite_{n}")


@pytest_twisted.ensureDeferred
async def test_answers_carry_security_headers_and_no_version_banner(tmp_path):
    """nosniff, a CSP and Referrer-Policy on every answer; no Server header naming Twisted."""
    async with running_server(tmp_path) as server:
        for method, path in (("GET", "/health"), ("GET", "/nowhere"), ("POST", "/auth/login"),
                             ("GET", "/maps/nothing.png")):
            _, _, headers = await http(method, server.base_url + path)
            assert headers.getRawHeaders(b"x-content-type-options") == [b"nosniff"], path
            assert headers.getRawHeaders(b"content-security-policy")[0].startswith(b"default-src")
            assert headers.getRawHeaders(b"referrer-policy") == [b"no-referrer"]
            assert not headers.hasHeader(b"server"), path
        head = await threads.deferToThread(upgrade_head, port_of(server))
        assert head.startswith(b"HTTP/1.1 101") and b"\r\nserver:" not in head.lower()


@pytest_twisted.ensureDeferred
async def test_a_multi_range_request_gets_the_whole_file_once(tmp_path):
    """Overlapping ranges cannot multiply a map file: the answer is the file, 200, once."""
    from .server import REPO_MAPS
    async with running_server(tmp_path, maps_dir=REPO_MAPS) as server:
        size = (REPO_MAPS / "samplemap.tmx").stat().st_size
        ranges = "bytes=" + ",".join(["0-"] * 60)
        answer, _, _ = await threads.deferToThread(
            exchange, port_of(server),
            f"GET /maps/samplemap.tmx HTTP/1.1\r\nHost: x\r\nRange: {ranges}\r\n"
            f"Connection: close\r\n\r\n".encode())
        assert status(answer) == 200
        assert len(answer.split(b"\r\n\r\n", 1)[1]) == size
        answer, _, _ = await threads.deferToThread(
            exchange, port_of(server),
            b"GET /maps/samplemap.tmx HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n"
            b"Connection: close\r\n\r\n")
        assert status(answer) == 206 and len(answer.split(b"\r\n\r\n", 1)[1]) == 10


@pytest_twisted.ensureDeferred
async def test_closed_websockets_are_uncounted_at_the_caps(tmp_path):
    """A WebSocket that closes leaves the connection counts at once (the upgrade hands its
    transport to Autobahn, which releases it), so the counts never grow with closed sockets."""
    from twisted.internet import reactor, task
    async with running_server(tmp_path) as server:
        limits = server.service.port.factory.limits
        clients = [await GameClient.connect(server.ws_url) for _ in range(5)]
        assert limits.count() >= 5
        for client in clients:
            await client.close()
        for _ in range(100):
            if limits.count() == 0:
                break
            await task.deferLater(reactor, 0.02, lambda: None)
        assert limits.count() == 0 and limits.count("127.0.0.1") == 0
