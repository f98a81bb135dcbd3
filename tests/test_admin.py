"""
rpg-admin: its commands against an SQLite database, and its exit codes.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from rpg import admin
from rpg.models import CharacterState, ItemStack
from rpg.store.migrations import LATEST_VERSION
from rpg.store.urls import open_store
from rpg.world.maps import GameMap

SERVER = "server-a"


def make_map(map_id, width=10, height=8, blocked=()):
    cells = bytearray(width * height)
    for x, y in blocked:
        cells[y * width + x] = 1
    return GameMap(map_id, width, height, 32, 32, [], cells, (1, 1))


MAPS = {"town": make_map("town", blocked=[(4, 4)]), "cave": make_map("cave", 5, 5)}


class Admin:
    """Runs rpg-admin commands in-process against one database and clock."""

    def __init__(self, url, clock):
        self.url = url
        self.clock = clock
        self.out = ""
        self.err = ""

    async def __call__(self, *argv, stdin=""):
        args = admin.build_parser().parse_args(["--database", self.url, *argv])
        out, err = io.StringIO(), io.StringIO()
        code = await admin.run(args, clock=self.clock, out=out, err=err,
                               stdin=io.StringIO(stdin))
        self.out, self.err = out.getvalue(), err.getvalue()
        return code

    async def store(self):
        store = open_store(self.url, clock=self.clock)
        await store.migrate()
        return store


@pytest.fixture
def maps(monkeypatch):
    loaded = []

    def load(directory):
        loaded.append(directory)
        return MAPS

    monkeypatch.setattr(admin, "load_game_maps", load)
    return loaded


@pytest_twisted.async_yield_fixture
async def rpg_admin(tmp_path):
    """An rpg-admin on a fresh SQLite database holding the player Alice."""
    tool = Admin(f"sqlite:///{tmp_path / 'rpg.sqlite3'}", Clock())
    store = await tool.store()
    character = CharacterState(0, "", "town", 2, 3, inventory={0: ItemStack(995, 5)})
    account = await store.create_account("Alice", "hash", character)
    tool.player_id = account.player_id
    await store.close()
    yield tool


async def stored(rpg_admin, what):
    store = await rpg_admin.store()
    try:
        if what == "account":
            return await store.get_account("alice")
        return await store.load_character(rpg_admin.player_id)
    finally:
        await store.close()


async def go_online(rpg_admin):
    store = await rpg_admin.store()
    await store.mark_online([rpg_admin.player_id], SERVER, 30)
    await store.close()


@pytest_twisted.ensureDeferred
async def test_migrate_reports_version(tmp_path):
    """migrate creates the database in the data directory and prints its version."""
    tool = Admin("unused", Clock())
    args = admin.build_parser().parse_args(["migrate", "--data-dir", str(tmp_path / "d")])
    out = io.StringIO()
    assert await admin.run(args, clock=tool.clock, out=out, err=io.StringIO()) == 0
    assert f"schema version {LATEST_VERSION}" in out.getvalue()
    assert (tmp_path / "d" / "rpg.sqlite3").is_file()


def test_database_option_after_subcommand():
    """--database is accepted after the subcommand and is not reset by it."""
    parser = admin.build_parser()
    assert parser.parse_args(["ban", "bob", "--database", "memory:"]).database == "memory:"
    assert parser.parse_args(["--database", "memory:", "ban", "bob"]).database == "memory:"
    assert parser.parse_args(["ban", "bob"]).database is None


def test_default_database_is_in_data_dir():
    """Without --database the SQLite file in --data-dir is used."""
    args = admin.build_parser().parse_args(["--data-dir", "/srv/rpg", "migrate"])
    assert admin.database_url(args) == "sqlite:////srv/rpg/rpg.sqlite3"


@pytest_twisted.ensureDeferred
async def test_set_role(rpg_admin):
    """set-role changes the role, matching the username case-insensitively."""
    assert await rpg_admin("set-role", "ALICE", "moderator") == 0
    assert rpg_admin.out == "Alice is now moderator\n"
    assert (await stored(rpg_admin, "account")).role == "moderator"


def test_set_role_refuses_unknown_role():
    """A role outside player/moderator/admin is a usage error (exit 2)."""
    with pytest.raises(SystemExit) as exited:
        admin.build_parser().parse_args(["set-role", "alice", "king"])
    assert exited.value.code == 2


@pytest_twisted.ensureDeferred
async def test_ban_and_unban(rpg_admin):
    """ban and unban set and clear the account's ban."""
    assert await rpg_admin("ban", "alice") == 0
    assert (await stored(rpg_admin, "account")).banned is True
    assert await rpg_admin("unban", "alice") == 0
    assert rpg_admin.out == "Alice is no longer banned\n"
    assert (await stored(rpg_admin, "account")).banned is False


@pytest.mark.parametrize(
    "argv",
    [("set-role", "bob", "admin"), ("ban", "bob"), ("unban", "bob"), ("teleport", "bob", "1", "1"),
     ("kick", "bob"), ("revoke", "bob")],
)
@pytest_twisted.ensureDeferred
async def test_unknown_user(rpg_admin, maps, argv):
    """Every command refuses an unknown user with one line and exit 1."""
    assert await rpg_admin(*argv) == 1
    assert rpg_admin.err == "rpg-admin: no such user: bob\n"
    assert rpg_admin.out == ""


@pytest.mark.parametrize(
    "argv",
    [("teleport", "alice", "1", "1"), ("give", "alice", "bread")],
)
@pytest_twisted.ensureDeferred
async def test_online_player_is_refused(rpg_admin, maps, argv):
    """Character commands refuse an online player and change nothing."""
    await go_online(rpg_admin)
    assert await rpg_admin(*argv) == 1
    assert "Alice is online" in rpg_admin.err
    assert rpg_admin.err.count("\n") == 1
    account = await stored(rpg_admin, "account")
    assert (account.role, account.banned) == ("player", False)
    assert (await stored(rpg_admin, "character")).x == 2


@pytest_twisted.ensureDeferred
async def test_expired_online_record_does_not_block(rpg_admin):
    """A stale online record (crashed server) no longer blocks a change."""
    await go_online(rpg_admin)
    rpg_admin.clock.advance(31)
    assert await rpg_admin("ban", "alice") == 0


@pytest_twisted.ensureDeferred
async def test_teleport_on_same_map(rpg_admin, maps):
    """teleport without --map moves the player on its own map, keeping the rest."""
    assert await rpg_admin("teleport", "alice", "7", "6", "--maps", "/srv/maps") == 0
    assert rpg_admin.out == "Alice is now at (7, 6) on town\n"
    character = await stored(rpg_admin, "character")
    assert (character.map_id, character.x, character.y) == ("town", 7, 6)
    assert character.inventory == {0: ItemStack(995, 5)}
    assert maps == ["/srv/maps"]


@pytest_twisted.ensureDeferred
async def test_teleport_to_other_map(rpg_admin, maps):
    """teleport --map moves the player to another map."""
    assert await rpg_admin("teleport", "alice", "4", "4", "--map", "cave") == 0
    character = await stored(rpg_admin, "character")
    assert (character.map_id, character.x, character.y) == ("cave", 4, 4)


@pytest.mark.parametrize(
    "argv, message",
    [
        (("1", "1", "--map", "moon"), "unknown map: moon"),
        (("10", "1"), "outside map town"),
        (("1", "-1"), "outside map town"),
        (("4", "4"), "is blocked"),
        (("5", "5", "--map", "cave"), "outside map cave"),
    ],
)
@pytest_twisted.ensureDeferred
async def test_teleport_refuses_bad_destination(rpg_admin, maps, argv, message):
    """An unknown map, a tile off the map or a blocked tile is refused; nothing moves."""
    assert await rpg_admin("teleport", "alice", *argv) == 1
    assert message in rpg_admin.err
    character = await stored(rpg_admin, "character")
    assert (character.map_id, character.x, character.y) == ("town", 2, 3)


def test_maps_default_to_the_servers(monkeypatch):
    """Without --maps, teleport reads the maps twistd rpg reads by default."""
    from rpg.tap import default_maps_dir
    from rpg.content import tiled as maps_module

    asked = []
    monkeypatch.setattr(maps_module, "load_maps", lambda d: asked.append(d) or MAPS)
    assert admin.load_game_maps(None) is MAPS
    assert asked == [default_maps_dir()]


@pytest_twisted.ensureDeferred
async def test_teleport_with_unloadable_maps(rpg_admin, tmp_path):
    """A maps directory that cannot be loaded is one line and exit 1."""
    assert await rpg_admin("teleport", "alice", "1", "1", "--maps", str(tmp_path / "none")) == 1
    assert rpg_admin.err.startswith("rpg-admin: cannot load maps:")


@pytest_twisted.ensureDeferred
async def test_bad_database_url(rpg_admin):
    """A database URL of no known kind is one line and exit 1."""
    rpg_admin.url = "mysql://db/rpg"
    assert await rpg_admin("ban", "alice") == 1
    assert rpg_admin.err.startswith("rpg-admin: unsupported database URL scheme 'mysql'")


def run_cli(*argv):
    source = str(Path(admin.__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "rpg.admin", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": path},
    )


def test_cli_exit_codes(tmp_path):
    """The real command: 0 on success, 1 on a refusal, 2 on bad usage, one line each."""
    database = f"sqlite:///{tmp_path / 'rpg.sqlite3'}"
    done = run_cli("migrate", "--database", database)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.count("\n") == 1
    refused = run_cli("--database", database, "ban", "nobody")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == "rpg-admin: no such user: nobody\n"
    usage = run_cli("--database", database, "teleport", "alice", "x", "1")
    assert usage.returncode == 2


@pytest_twisted.ensureDeferred
async def test_give_by_key_and_by_id(rpg_admin):
    """give adds items by key or id; stackables merge, others take a slot each."""
    assert await rpg_admin("give", "alice", "coins", "250") == 0
    assert rpg_admin.out.startswith("gave 250 x coins")
    assert await rpg_admin("give", "alice", "coins", "50") == 0
    from rpg.tap import default_maps_dir
    from rpg.content.tables import load_items
    catalog = load_items(default_maps_dir() / "items.toml")
    sword = catalog.by_key("bronze_sword")
    assert await rpg_admin("give", "alice", str(sword.item_id), "2") == 0
    inventory = (await stored(rpg_admin, "character")).inventory
    coins = catalog.by_key("coins").item_id
    assert [s.quantity for s in inventory.values() if s.item_id == coins] == [300]
    assert [s.quantity for s in inventory.values() if s.item_id == sword.item_id] == [1, 1]


@pytest_twisted.ensureDeferred
async def test_give_refusals(rpg_admin):
    """give refuses an unknown item, an online player and a full inventory, changing nothing."""
    assert await rpg_admin("give", "alice", "excalibur") == 1
    assert rpg_admin.err == "rpg-admin: unknown item: excalibur\n"
    assert await rpg_admin("give", "alice", "bronze_sword", "28") == 1
    assert "no room" in rpg_admin.err
    assert (await stored(rpg_admin, "character")).inventory == {0: ItemStack(995, 5)}
    await go_online(rpg_admin)
    assert await rpg_admin("give", "alice", "bread") == 1
    assert "online" in rpg_admin.err


@pytest_twisted.ensureDeferred
async def test_broadcast_without_valkey_says_it_cannot_reach_a_server(rpg_admin):
    """broadcast without --valkey fails with a clear message."""
    assert await rpg_admin("broadcast", "hello") == 1
    assert rpg_admin.err.startswith("rpg-admin: cannot reach a running server")


@pytest_twisted.ensureDeferred
async def test_broadcast_reaches_players_through_valkey(tmp_path):
    """broadcast publishes a System message that a server sharing the Valkey delivers."""
    from tests.e2e.server import running_server
    from tests.store.test_presence_contract import valkey_url
    url = valkey_url()
    async with running_server(tmp_path, valkey_url=url) as server:
        client = await server.player("listener_b")
        tool = Admin(f"sqlite:///{tmp_path / 'unused.sqlite3'}", Clock())
        secret_file = tmp_path / "secret"
        secret_file.write_text(server.secret)
        secret_file.chmod(0o600)
        assert await tool("broadcast", "Restart in 5 minutes", "--valkey", url,
                          "--jwt-secret-file", str(secret_file)) == 0
        assert tool.out.startswith("broadcast delivered to")
        event = await client.wait_for_event(
            "event_chat_message", lambda p: p["message"] == "Restart in 5 minutes",
            include_past=True)
        assert (event["payload"]["username"], event["payload"]["channel"]) == ("System", "system")
        await client.close()


async def queued(rpg_admin):
    store = await rpg_admin.store()
    try:
        return [(a.player_id, a.action, a.reason) for a in await store.admin_actions(0)]
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_account_commands_work_on_an_online_player(rpg_admin):
    """ban, set-role and revoke change an online player's account and queue the order for its server."""
    await go_online(rpg_admin)
    assert await rpg_admin("ban", "alice", "--reason", "spamming", "--wait", "0") == 0
    assert rpg_admin.out == "Alice is banned; kick sent to server-a\n"
    assert await rpg_admin("set-role", "alice", "moderator") == 0
    assert rpg_admin.out == "Alice is now moderator\n"
    assert await rpg_admin("revoke", "alice", "--wait", "0") == 0
    account = await stored(rpg_admin, "account")
    assert (account.banned, account.role, account.token_version) == (True, "moderator", 1)
    pid = rpg_admin.player_id
    assert await queued(rpg_admin) == [
        (pid, "kick", "spamming"), (pid, "refresh", ""), (pid, "kick", "session revoked")]


@pytest_twisted.ensureDeferred
async def test_kick_refuses_an_offline_player(rpg_admin):
    """kick of a player who is not online exits 1 and queues nothing."""
    assert await rpg_admin("kick", "alice") == 1
    assert rpg_admin.err == "rpg-admin: Alice is not online\n"
    assert await queued(rpg_admin) == []


@pytest_twisted.ensureDeferred
async def test_kick_waits_for_the_server_and_says_when_it_does_not_answer(rpg_admin):
    """kick waits --wait seconds for the holding server to let the player go, then fails."""
    await go_online(rpg_admin)
    from twisted.internet import defer, reactor, task
    d = defer.ensureDeferred(rpg_admin("kick", "alice", "--wait", "2"))
    for _ in range(200):  # the store answers from a thread: let it, then move the clock
        if d.called:
            break
        await task.deferLater(reactor, 0.01, lambda: None)
        rpg_admin.clock.advance(0.1)
    assert await d == 1
    assert "has not disconnected them within 2 s" in rpg_admin.err


def test_kick_reason_is_limited_to_a_close_reason():
    """A reason over 120 bytes cannot be a WebSocket close reason: usage error."""
    with pytest.raises(SystemExit) as exited:
        admin.build_parser().parse_args(["kick", "alice", "--reason", "é" * 61])
    assert exited.value.code == 2


@pytest_twisted.ensureDeferred
async def test_set_password_reads_stdin_and_revokes_tokens(rpg_admin):
    """set-password hashes the password read from stdin and bumps the token version."""
    from argon2 import PasswordHasher
    assert await rpg_admin("set-password", "alice", stdin="correct horse\n") == 0
    account = await stored(rpg_admin, "account")
    assert PasswordHasher().verify(account.password_hash, "correct horse")
    assert account.token_version == 1
    assert await rpg_admin("set-password", "alice", stdin="short\n") == 1
    assert rpg_admin.err == "rpg-admin: the password must be 8-128 characters\n"


def test_set_password_takes_no_password_argument():
    """The password is never an argument (it would show in ps)."""
    with pytest.raises(SystemExit) as exited:
        admin.build_parser().parse_args(["set-password", "alice", "hunter22"])
    assert exited.value.code == 2


@pytest_twisted.ensureDeferred
async def test_config_file_gives_the_servers_database_and_maps(tmp_path):
    """rpg-admin --config FILE reads the [server] table twistd rpg reads: its database and maps."""
    from tests.e2e.tmx import open_field, write_map
    maps = write_map(tmp_path / "maps", "dungeon", open_field(width=16, height=16))
    write_map(maps, "town", open_field(width=16, height=16))
    (tmp_path / "rpg.toml").write_text(
        f'[server]\ndatabase = "sqlite:///{tmp_path}/game.sqlite3"\nmaps = "maps"\n'
        'start_map = "town"\n')
    store = open_store(f"sqlite:///{tmp_path}/game.sqlite3", clock=Clock())
    await store.migrate()
    await store.create_account("Alice", "hash", CharacterState(0, "", "town", 2, 3))
    await store.close()
    tool = Admin("unused", Clock())
    args = admin.build_parser().parse_args(
        ["--config", str(tmp_path / "rpg.toml"), "teleport", "alice", "5", "5", "--map", "dungeon"])
    out, err = io.StringIO(), io.StringIO()
    assert await admin.run(args, clock=tool.clock, out=out, err=err) == 0, err.getvalue()
    assert out.getvalue() == "Alice is now at (5, 5) on dungeon\n"
    (tmp_path / "bad.toml").write_text('[server]\nport = "1"\n')
    args = admin.build_parser().parse_args(["--config", str(tmp_path / "bad.toml"), "migrate"])
    assert await admin.run(args, clock=tool.clock, out=out, err=err) == 1
    assert "unknown key 'port'" in err.getvalue()
