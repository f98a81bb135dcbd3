"""
A black-box harness: a real ``twistd -n rpg`` subprocess on its own maps,
data directory and ``--config``, reached only through HTTP, the WebSocket,
``rpg-admin`` and (for state no command can set) the SQLite file at rest.
"""

import itertools
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import jwt

from tests.e2e.client import GameClient, http
from tests.e2e.proc import TwistdServer, environment, free_port
from tests.e2e.tmx import write_map

SECRET = "blackbox-secret-0123456789abcdef"
PASSWORD = "password123"
EQUIPMENT_SLOTS = ("head", "cape", "neck", "weapon", "body", "shield",
                   "legs", "hands", "feet", "ring", "ammo")
SKILL_NAMES = ("attack", "strength", "defense", "hitpoints", "ranged",
               "magic", "prayer", "woodcutting", "mining")

_names = itertools.count(1)


def fresh(prefix):
    """A username no other test of the run uses (3-20 of [A-Za-z0-9_])."""
    return f"{prefix[:14]}_{next(_names)}"


def item_catalog():
    """C{{key: item table}} of the server's default items.toml (content data)."""
    import tomllib
    from tests.e2e.proc import REPO
    with open(REPO / "maps" / "items.toml", "rb") as f:
        return {item["key"]: item for item in tomllib.load(f)["items"]}


ITEMS = item_catalog()


def item_id(key):
    return ITEMS[key]["item_id"]


class _CharacterWrites:
    """Writes to an offline character at rest (what rpg-admin give would do,
    for layouts no admin command can make)."""

    def _player_id(self, db, username):
        (player_id,) = db.execute("SELECT player_id FROM accounts WHERE username = ?",
                                  (username,)).fetchone()
        return player_id

    def set_inventory(self, username, slots):
        """C{slots}: C{{slot: (item key, quantity)}}; replaces the whole inventory."""
        with self.database() as db:
            player_id = self._player_id(db, username)
            db.execute("DELETE FROM inventory WHERE player_id = ?", (player_id,))
            db.executemany("INSERT INTO inventory (player_id, slot, item_id, quantity)"
                           " VALUES (?, ?, ?, ?)",
                           [(player_id, slot, item_id(key), qty)
                            for slot, (key, qty) in slots.items()])
        db.close()

    def set_equipment(self, username, slots):
        """C{slots}: C{{equipment slot: (item key, quantity)}}."""
        with self.database() as db:
            player_id = self._player_id(db, username)
            db.execute("DELETE FROM equipment WHERE player_id = ?", (player_id,))
            db.executemany("INSERT INTO equipment (player_id, slot, item_id, quantity)"
                           " VALUES (?, ?, ?, ?)",
                           [(player_id, slot, item_id(key), qty)
                            for slot, (key, qty) in slots.items()])
        db.close()

    async def offline(self, username, timeout=5.0):
        """Wait until the player's online record is gone: its logout save is done."""
        from twisted.internet import reactor, task
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.database() as db:
                row = db.execute("SELECT 1 FROM online_players o JOIN accounts a USING"
                                 " (player_id) WHERE a.username = ?", (username,)).fetchone()
            db.close()
            if row is None:
                return
            await task.deferLater(reactor, 0.05, lambda: None)
        raise AssertionError(f"{username} still online after {timeout}s")

    def set_hp(self, username, hp):
        with self.database() as db:
            db.execute("UPDATE characters SET hp = ? WHERE player_id = ?",
                       (hp, self._player_id(db, username)))
        db.close()


class BlackBoxServer(_CharacterWrites):
    def __init__(self, root, maps, start_map, config=None, files=None, portals=None):
        """
        @param maps: C{{map_id: picture}} drawn with L{tests.e2e.tmx.write_map}
            (a picture may be a C{(picture, pvp)} pair).
        @param portals: C{{map_id: [(x, y, target_map, target_x, target_y)]}}.
        @param config: tunables written to the C{--config} TOML file; in a
            string value C{{root}} stands for the server's directory.
        @param files: C{{name: text}} written into that directory first.
        """
        self.root = Path(root)
        for name, text in (files or {}).items():
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_text(text)
        self.maps_dir = self.root / "maps"
        self.data_dir = self.root / "data"
        for map_id, picture in maps.items():
            pvp = False
            if isinstance(picture, tuple):
                picture, pvp = picture
            write_map(self.maps_dir, map_id, picture, pvp=pvp,
                      portals=(portals or {}).get(map_id, ()))
        metrics_port = free_port()
        options = ["--data-dir", str(self.data_dir), "--maps", str(self.maps_dir),
                   "--start-map", start_map, "--jwt-secret", SECRET,
                   "--metrics-listen", f"tcp:{metrics_port}:interface=127.0.0.1"]
        # Every test logs in from 127.0.0.1: keep the per-address login throttle out of the way.
        config = {"login_attempts_per_minute": 1000,
                  "login_failures_per_address_per_minute": 1000, **(config or {})}
        config = {key: value.format(root=self.root) if isinstance(value, str) else value
                  for key, value in config.items()}
        if config:
            config_path = self.root / "game.toml"
            config_path.write_text("[game]\n" + "".join(
                f"{key} = {value!r}\n".replace("'", '"') for key, value in config.items()))
            options += ["--config", str(config_path)]
        self.process = TwistdServer(self.root, *options).wait_ready()
        self.base_url = self.process.base_url
        self.ws_url = self.process.ws_url
        self.metrics_url = f"http://127.0.0.1:{metrics_port}"
        self.clients = []

    # -- HTTP
    async def post(self, path, body=None, **kwargs):
        return await http("POST", self.base_url + path, body, **kwargs)

    async def register(self, username, password=PASSWORD):
        status, body, _ = await self.post("/auth/register",
                                          {"username": username, "password": password})
        assert status == 201, (status, body)
        return body

    async def login(self, username, password=PASSWORD):
        status, body, _ = await self.post("/auth/login",
                                          {"username": username, "password": password})
        assert status == 200, (status, body)
        return body["access_token"]

    def token(self, username, ttl=3600):
        """An HS256 token as /auth/login issues it (sub, iat, exp), signed with
        the server's --jwt-secret: saves a password check per test."""
        now = int(time.time())
        return jwt.encode({"sub": username, "iat": now, "exp": now + ttl}, SECRET,
                          algorithm="HS256")

    # -- WebSocket
    async def connect(self, track=True):
        """A new connection; tracked ones are checked and closed after each test."""
        client = await GameClient.connect(self.ws_url)
        if track:
            self.clients.append(client)
        return client

    async def player(self, username=None, register=True, track=True):
        """Register (unless told not to), log in and authenticate; the client
        has C{.welcome}, and the whole welcome sequence has arrived."""
        username = username or fresh("p")
        if register:
            await self.register(username)
        token = self.token(username)
        client = await self.connect(track)
        welcome = await client.request("cmd_authenticate", {"token": token})
        assert welcome["type"] == "event_welcome", welcome
        await client.wait_for_event("event_ground_items_update", include_past=True)
        client.welcome = welcome
        client.username = username
        client.player_id = welcome["payload"]["player_id"]
        client.entity_id = f"player_{client.player_id}"
        return client

    async def placed(self, x=None, y=None, map_id=None, role=None, prefix="tp", inventory=None,
                     equipment=None, hp=None, xp=None):
        """A new player put at (x, y) (and given a role) before it logs in.

        Written straight into the database at rest (what C{rpg-admin teleport}
        and C{set-role} do, which test_admin checks), to keep the suite fast."""
        name = fresh(prefix)
        await self.register(name)
        with self.database() as db:
            (player_id,) = db.execute("SELECT player_id FROM accounts WHERE username = ?",
                                      (name,)).fetchone()
            if map_id:
                db.execute("UPDATE characters SET map_id = ? WHERE player_id = ?",
                           (map_id, player_id))
            if x is not None:
                db.execute("UPDATE characters SET x = ?, y = ? WHERE player_id = ?",
                           (x, y, player_id))
            if role:
                db.execute("UPDATE accounts SET role = ? WHERE player_id = ?", (role, player_id))
        db.close()
        if inventory is not None:
            self.set_inventory(name, inventory)
        if equipment is not None:
            self.set_equipment(name, equipment)
        if xp:
            self.set_xp(name, **xp)
        if hp is not None:
            self.set_hp(name, hp)
        return await self.player(name, register=False)

    # -- out of band
    def admin(self, *args, database=True):
        """Run C{rpg-admin ARGS} against this server's database; the
        C{CompletedProcess} (text output)."""
        command = [sys.executable, "-m", "rpg.admin", *args]
        if database:
            command += ["--data-dir", str(self.data_dir)]
        return subprocess.run(command, cwd=self.root, env=environment(), capture_output=True,
                              text=True, timeout=30)

    def database(self):
        return sqlite3.connect(self.data_dir / "rpg.sqlite3", timeout=10)

    def set_xp(self, username, **xp):
        """Write skill XP of an offline player straight into the database."""
        with self.database() as db:
            (player_id,) = db.execute("SELECT player_id FROM accounts WHERE username_lower = ?",
                                      (username.lower(),)).fetchone()
            for skill, value in xp.items():
                db.execute("INSERT OR REPLACE INTO skills (player_id, skill, xp) VALUES (?, ?, ?)",
                           (player_id, skill, value))
        db.close()

    def log(self):
        return self.process.log()

    def stop(self):
        for client in self.clients:
            if client.protocol is not None and not client.closed.called:
                client.protocol.dropConnection()
        return self.process.stop()


def field(width=48, height=48, spawn=(5, 5), walls=(), water=(), npcs=()):
    from tests.e2e.tmx import open_field
    return open_field(width=width, height=height, spawn=spawn, walls=walls, water=water,
                      npcs=npcs)


async def reply_error(client, message_type, payload, **kwargs):
    """Send a request that must fail; its C{payload} (error_code, message, details)."""
    reply = await client.request(message_type, payload, **kwargs)
    assert reply["type"] == "resp_error", reply
    assert reply["version"] == "2.0"
    assert set(reply["payload"]) == {"error_code", "message", "details"}, reply
    assert isinstance(reply["payload"]["message"], str)
    assert isinstance(reply["payload"]["details"], dict)
    return reply["payload"]


async def reply_ok(client, message_type, payload, **kwargs):
    reply = await client.request(message_type, payload, **kwargs)
    assert reply["type"] == "resp_success", reply
    assert reply["version"] == "2.0"
    return reply["payload"]


def merged_entity(client, entity_id):
    """What the client knows of an entity: its game updates merged in order
    (C{None} once it was removed)."""
    state = None
    for message in client.frames:
        if message["type"] != "event_game_update":
            continue
        payload = message["payload"]
        for entity in payload["entities"]:
            if entity["id"] == entity_id:
                state = {**(state or {}), **entity}
        for removed in payload["removed_entities"]:
            if removed == entity_id or f"player_{removed}" == entity_id:
                state = None
    return state
