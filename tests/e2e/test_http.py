"""End to end: the HTTP API on the WebSocket's port."""

import pytest
import pytest_twisted

from .client import http
from .server import running_server


@pytest_twisted.ensureDeferred
async def test_register_validation_and_conflicts(tmp_path):
    """Invalid usernames/passwords are 400, a taken name (any case) is 409, all with JSON errors."""
    async with running_server(tmp_path) as server:
        url = server.base_url + "/auth/register"
        for body in ({"username": "ab", "password": "password123"},
                     {"username": "a" * 21, "password": "password123"},
                     {"username": "bad name", "password": "password123"},
                     {"username": "okname", "password": "short"},
                     {"username": "okname", "password": "p" * 129},
                     {"username": "okname"},
                     {"username": 5, "password": "password123"}):
            status, reply, _ = await http("POST", url, body)
            assert status == 400, body
            assert set(reply) == {"error_code", "message"}
        status, reply, _ = await http("POST", url, raw=b"{not json")
        assert status == 400 and reply["error_code"] == "INVALID_MESSAGE_FORMAT"
        status, _, _ = await http("POST", url, {"username": "Zed_1", "password": "p" * 128})
        assert status == 201
        status, reply, _ = await http("POST", url, {"username": "zed_1", "password": "password123"})
        assert status == 409 and reply["error_code"] == "REGISTRATION_USERNAME_TAKEN"


@pytest_twisted.ensureDeferred
async def test_login_json_form_and_wrong_credentials(tmp_path):
    """Login takes JSON or a form; wrong credentials and unknown users are 401."""
    async with running_server(tmp_path) as server:
        await server.register("yan_1")
        url = server.base_url + "/auth/login"
        status, reply, _ = await http("POST", url, raw=b"username=yan_1&password=password123",
                                      content_type=b"application/x-www-form-urlencoded")
        assert status == 200 and reply["token_type"] == "bearer"
        for body in ({"username": "yan_1", "password": "wrong-password"},
                     {"username": "nobody", "password": "password123"}):
            status, reply, _ = await http("POST", url, body)
            assert status == 401 and reply["error_code"] == "AUTHENTICATION_FAILED"


@pytest_twisted.ensureDeferred
async def test_login_is_throttled_per_username(tmp_path):
    """After too many failures for one username, login answers 429 with Retry-After."""
    async with running_server(tmp_path, login_attempts_per_minute=3) as server:
        await server.register("xia_1")
        url = server.base_url + "/auth/login"
        for _ in range(3):
            status, _, _ = await http("POST", url, {"username": "xia_1", "password": "nope-nope"})
            assert status == 401
        status, reply, headers = await http("POST", url,
                                            {"username": "XIA_1", "password": "password123"})
        assert status == 429 and reply["error_code"] == "AUTHENTICATION_RATE_LIMITED"
        assert int(headers.getRawHeaders(b"retry-after")[0]) >= 1


@pytest_twisted.ensureDeferred
async def test_login_is_throttled_per_address(tmp_path):
    """Many attempts from one address across usernames are throttled too."""
    async with running_server(tmp_path, login_failures_per_address_per_minute=6) as server:
        url = server.base_url + "/auth/login"
        statuses = []
        for n in range(7):
            status, _, _ = await http("POST", url, {"username": f"user_{n}", "password": "x" * 8})
            statuses.append(status)
        assert statuses[:6] == [401] * 6 and statuses[6] == 429


@pytest_twisted.ensureDeferred
async def test_health_and_metrics(tmp_path):
    """The public /health is {"status": "ok"} only and there is no public /metrics; the
    operators' endpoint has /metrics and the detailed /health."""
    async with running_server(tmp_path) as server:
        client = await server.player("healthy_1")
        status, reply, _ = await http("GET", server.base_url + "/health")
        assert (status, reply) == (200, {"status": "ok"})
        status, reply, _ = await http("GET", server.base_url + "/metrics")
        assert (status, reply["error_code"]) == (404, "NOT_FOUND")
        assert server.metrics_url != server.base_url
        status, text, _ = await http("GET", server.metrics_url + "/metrics")
        assert status == 200 and b"rpg_tick_seconds_bucket" in text
        status, reply, _ = await http("GET", server.metrics_url + "/health")
        assert status == 200 and reply == {"status": "ok", "players_online": 1, "maps": ["field"],
                                           "maps_owned": ["field"],
                                           "server_id": server.service.server_id}
        await client.close()


@pytest_twisted.ensureDeferred
async def test_metrics_port_in_use_does_not_stop_the_game(tmp_path):
    """With the metrics port taken, one error is logged and the game is served anyway."""
    from twisted.internet import reactor
    from twisted.logger import globalLogPublisher
    from twisted.web.resource import Resource
    from twisted.web.server import Site
    taken = reactor.listenTCP(0, Site(Resource()), interface="127.0.0.1")
    port = taken.getHost().port
    errors = []

    def observe(event):
        if event.get("log_level") is not None and event["log_level"].name == "error":
            errors.append(event)
    globalLogPublisher.addObserver(observe)
    try:
        async with running_server(tmp_path, metrics_listen=f"tcp:{port}:interface=127.0.0.1") \
                as server:
            assert server.metrics_url is None
            client = await server.player("unmetered_1")
            await client.close()
    finally:
        globalLogPublisher.removeObserver(observe)
        await taken.stopListening()
    assert len(errors) == 1 and "--metrics-listen" in errors[0]["log_format"]


@pytest_twisted.ensureDeferred
async def test_plain_get_on_ws_is_not_a_status_page(tmp_path):
    """A plain GET on /ws does not reveal a version page."""
    async with running_server(tmp_path) as server:
        status, body, _ = await http("GET", server.base_url + "/ws")
        assert status >= 400
        assert b"autobahn" not in (body if isinstance(body, bytes) else b"").lower()


@pytest_twisted.ensureDeferred
async def test_map_files_are_served_and_nothing_else(tmp_path):
    """The tileset image and map files are served under /maps/; other files are not."""
    from .server import REPO_MAPS
    async with running_server(tmp_path, maps_dir=REPO_MAPS) as server:
        status, body, headers = await http("GET", server.base_url + "/maps/samplemap-tiles.png")
        assert status == 200 and body[:8] == b"\x89PNG\r\n\x1a\n"
        assert headers.getRawHeaders(b"content-type") == [b"image/png"]
        status, body, _ = await http("GET", server.base_url + "/maps/samplemap.tmx")
        assert status == 200 and b"<map" in body
        for path in ("/maps/items.toml", "/maps/..%2Fsetup.cfg", "/maps/nothing.png", "/nowhere"):
            status, _, _ = await http("GET", server.base_url + path)
            assert status == 404, path


@pytest_twisted.ensureDeferred
async def test_successful_logins_are_never_throttled(tmp_path):
    """Many successful logins from one address (a test suite, a school) are not throttled."""
    async with running_server(tmp_path, login_attempts_per_minute=2) as server:
        await server.register("many_1")
        url = server.base_url + "/auth/login"
        for _ in range(10):
            status, _, _ = await http("POST", url, {"username": "many_1", "password": "password123"})
            assert status == 200
