"""
Two ``twistd rpg`` processes sharing PostgreSQL and Valkey: one login per
player across processes, and chat that crosses from one to the other.
"""

import pytest
import pytest_twisted

from tests.store.conftest import postgres_url, reset_postgres
from tests.store.test_presence_contract import valkey_url

from .client import GameClient, http
from .proc import TwistdServer
from .tmx import open_field, write_map

SECRET = "two-process-test-secret-0123456789abcdef"


def two_servers(tmp_path, *extra):
    """Two twistd processes on the test PostgreSQL and Valkey, sharing maps and a secret."""
    database = postgres_url()
    reset_postgres(database)
    maps = write_map(tmp_path / "maps", "shared", open_field(width=32, height=32))
    options = ["--database", database, "--valkey", valkey_url(), "--maps", str(maps),
               "--jwt-secret", SECRET, "--data-dir", str(tmp_path / "data"), *extra]
    first = TwistdServer(tmp_path / "a", *options)
    try:
        first.wait_ready()  # the first one migrates the schema
        second = TwistdServer(tmp_path / "b", *options).wait_ready()
    except Exception:
        first.kill()
        raise
    yield first, second
    for server in (first, second):
        server.stop()


@pytest.fixture
def cluster(tmp_path):
    yield from two_servers(tmp_path)


async def player(server, username, role=None):
    status, _, _ = await http("POST", server.base_url + "/auth/register",
                              {"username": username, "password": "password123"})
    assert status in (201, 409)
    status, body, _ = await http("POST", server.base_url + "/auth/login",
                                 {"username": username, "password": "password123"})
    assert status == 200
    client = await GameClient.connect(server.ws_url)
    reply = await client.request("cmd_authenticate", {"token": body["access_token"]})
    assert reply["type"] == "event_welcome", (reply, server.log()[-3000:])
    await client.wait_for_event("event_ground_items_update", include_past=True)
    return client


@pytest_twisted.ensureDeferred
async def test_login_on_second_process_closes_first_with_4001(cluster):
    """Logging in on process B closes the connection on process A with 4001, after saving it."""
    a, b = cluster
    on_a = await player(a, "roamer")
    reply = await on_a.request("cmd_move", {"direction": "DOWN"})
    moved_to = reply["payload"]["new_position"]
    on_b = await player(b, "roamer")
    code, reason = await on_a.wait_closed(timeout=10)
    assert (code, reason) == (4001, "logged in elsewhere")
    welcome = on_b.frames[0]["payload"]
    assert (welcome["x"], welcome["y"]) == (moved_to["x"], moved_to["y"])
    reply = await on_b.request("cmd_move", {"direction": "UP"})
    assert reply["type"] == "resp_success"
    await on_b.close()


@pytest_twisted.ensureDeferred
async def test_global_chat_and_dm_cross_processes(cluster):
    """A moderator's global message and a DM reach a player on the other process."""
    a, b = cluster
    import psycopg2
    mod = await player(a, "modder")
    connection = psycopg2.connect(postgres_url())
    with connection, connection.cursor() as cursor:
        cursor.execute("UPDATE accounts SET role = 'moderator' WHERE username_lower = 'modder'")
    connection.close()
    await mod.close()
    mod = await player(a, "modder")
    listener = await player(b, "listener")
    reply = await mod.request("cmd_chat_send", {"channel": "global", "message": "hello B"})
    assert reply["type"] == "resp_success", reply
    assert sorted(reply["payload"]["recipients"]) == ["listener", "modder"]
    event = await listener.wait_for_event("event_chat_message",
                                          lambda p: p["channel"] == "global", timeout=10,
                                          include_past=True)
    assert event["payload"]["message"] == "hello B"
    reply = await listener.request("cmd_chat_send",
                                   {"channel": "dm", "message": "psst", "recipient": "MODDER"})
    assert reply["payload"]["recipients"] == ["listener", "modder"]
    event = await mod.wait_for_event("event_chat_message", lambda p: p["channel"] == "dm",
                                     timeout=10, include_past=True)
    assert (event["payload"]["message"], event["payload"]["recipient"]) == ("psst", "modder")
    await mod.close()
    await listener.close()


def valkey_pttl(key):
    """C{PTTL key} on the test Valkey, in milliseconds (-2: no such key)."""
    import socket
    from rpg.store.valkey_link import parse_valkey_url
    address = parse_valkey_url(valkey_url())
    with socket.create_connection((address.host, address.port), timeout=5) as s:
        def command(*words):
            s.sendall(b"".join([f"*{len(words)}\r\n".encode()] + [
                f"${len(w.encode())}\r\n{w}\r\n".encode() for w in words]))
            reply = s.recv(1024)
            assert reply[:1] in (b":", b"+"), reply
            return reply
        command("SELECT", str(address.db))
        return int(command("PTTL", key)[1:].strip())


@pytest.fixture
def short_ttl_cluster(tmp_path):
    config = tmp_path / "short-ttl.toml"
    config.write_text("online_ttl_s = 3.0\n")
    yield from two_servers(tmp_path, "--config", str(config))


@pytest_twisted.ensureDeferred
async def test_presence_outlives_its_ttl_while_the_player_plays(short_ttl_cluster):
    """With online_ttl_s = 3, a player on B stays reachable from A long past 3 s: DMs and 4001 still cross."""
    from twisted.internet import reactor, task
    a, b = short_ttl_cluster
    on_b = await player(b, "lingerer")
    sender = await player(a, "sender")
    ttl = valkey_pttl("rpg:presence:lingerer")
    assert 0 < ttl <= 3000, ttl  # the configured TTL, not a default
    await task.deferLater(reactor, 5.0, lambda: None)
    assert 0 < valkey_pttl("rpg:presence:lingerer") <= 3000
    reply = await sender.request("cmd_chat_send",
                                 {"channel": "dm", "message": "still there?", "recipient": "lingerer"})
    assert reply["type"] == "resp_success", reply
    assert sorted(reply["payload"]["recipients"]) == ["lingerer", "sender"]
    await player(a, "lingerer")
    code, reason = await on_b.wait_closed(timeout=10)
    assert (code, reason) == (4001, "logged in elsewhere")
    await sender.close()


async def rpg_admin(*args, stdin=b""):
    """C{rpg-admin ARGS} as a separate process, the reactor running meanwhile."""
    import sys

    from twisted.internet import reactor
    from twisted.internet.utils import getProcessOutputAndValue

    from .proc import REPO, environment
    out, err, code = await getProcessOutputAndValue(
        sys.executable, ["-m", "rpg.admin", "--database", postgres_url(), *args],
        env=environment(), path=str(REPO), reactor=reactor)
    return code, out.decode(), err.decode()


@pytest_twisted.ensureDeferred
async def test_kick_and_ban_reach_the_process_holding_the_player(cluster):
    """rpg-admin kick and ban close a player on either process with 4003 and the reason."""
    a, b = cluster
    on_b = await player(b, "kickee")
    on_a = await player(a, "watcher")
    code, out, err = await rpg_admin("kick", "kickee", "--reason", "behave")
    assert code == 0, err
    assert await on_b.wait_closed(timeout=10) == (4003, "behave")
    on_b = await player(b, "kickee")
    code, out, err = await rpg_admin("ban", "kickee")
    assert code == 0 and "saved and disconnected" in out, err
    assert await on_b.wait_closed(timeout=10) == (4003, "banned")
    status, _, _ = await http("POST", a.base_url + "/auth/login",
                              {"username": "kickee", "password": "password123"})
    assert status == 403
    assert not on_a.closed.called  # the other player stays
    await on_a.close()
