"""
The real server, in-process on a free port, for end-to-end tests.
"""

import contextlib
import dataclasses
import os
import secrets
from pathlib import Path

from twisted.internet import reactor

from rpg.config import Tunables
from rpg.content import load_content
from rpg.server import RpgService
from rpg.tap import default_maps_dir

from .client import GameClient, http

REPO_MAPS = default_maps_dir()


def database_urls():
    """The databases the end-to-end suite runs against (PostgreSQL skips,
    or fails under RPG_REQUIRE_SERVICES=1, when it is not configured)."""
    return ["sqlite", "postgresql"]


class RunningServer:
    def __init__(self, service, secret):
        self.service = service
        self.secret = secret
        port = service.port.getHost().port
        self.base_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        self.metrics_url = None
        if service.metrics_port is not None:
            self.metrics_url = f"http://127.0.0.1:{service.metrics_port.getHost().port}"

    async def register(self, username, password="password123"):
        status, body, _ = await http("POST", self.base_url + "/auth/register",
                                     {"username": username, "password": password})
        assert status == 201, (status, body)
        return body

    async def login(self, username, password="password123"):
        status, body, _ = await http("POST", self.base_url + "/auth/login",
                                     {"username": username, "password": password})
        assert status == 200, (status, body)
        return body["access_token"]

    async def connect(self):
        return await GameClient.connect(self.ws_url)

    async def player(self, username, password="password123"):
        """Register (if new), log in and authenticate; returns the client and its welcome."""
        status, _, _ = await http("POST", self.base_url + "/auth/register",
                                  {"username": username, "password": password})
        assert status in (201, 409)
        token = await self.login(username, password)
        client = await self.connect()
        welcome = await client.request("cmd_authenticate", {"token": token})
        assert welcome["type"] == "event_welcome", welcome
        # The welcome sequence ends with the ground items.
        await client.wait_for_event("event_ground_items_update", include_past=True)
        client.welcome = welcome
        return client


def default_test_maps(tmp_path):
    """A 64x64 field: spawn at (5, 5), a wall east of it, water south of it."""
    from .tmx import open_field, write_map
    directory = Path(tmp_path) / "maps"
    if not (directory / "field.tmx").exists():
        write_map(directory, "field", open_field(walls=[(6, 5)], water=[(5, 6)]))
    return directory


def make_service(tmp_path, database_url=None, valkey_url=None, maps_dir=None,
                 start_map=None, server_id=None, metrics_listen="tcp:0:interface=127.0.0.1",
                 **tunables):
    maps_dir = Path(maps_dir or default_test_maps(tmp_path))
    content = load_content(maps_dir, REPO_MAPS)
    if start_map is None:
        start_map = "samplemap" if "samplemap" in content.maps else next(iter(content.maps))
    database_url = database_url or f"sqlite:///{tmp_path}/rpg.sqlite3"
    defaults = {"shutdown_grace_s": 0.0}
    return RpgService(
        listen="tcp:0:interface=127.0.0.1",
        database_url=database_url,
        valkey_url=valkey_url,
        content=content,
        start_map=start_map,
        secret="test-secret-" + secrets.token_hex(16),
        tunables=dataclasses.replace(Tunables(), **{**defaults, **tunables}),
        maps_dir=maps_dir,
        server_id=server_id or "test-" + secrets.token_hex(3),
        gc_tuning=False,  # a process-wide setting: leave the test process alone
        metrics_listen=metrics_listen,
    )


@contextlib.asynccontextmanager
async def running_server(tmp_path, **kwargs):
    service = make_service(tmp_path, **kwargs)
    service.startService()
    await service.started
    try:
        yield RunningServer(service, service.secret)
    finally:
        if service.running:
            await service.stopService()
