"""
Several ``twistd rpg`` processes on one PostgreSQL and one Valkey form one
world: each map has one owner, a client may connect to any process, and
what the owner does reaches the clients connected elsewhere
(docs/scaling.md).
"""

import json
import os
import signal
import urllib.request

import psycopg2
import pytest
import pytest_twisted
from twisted.internet import reactor, task

from tests.store.conftest import postgres_url, reset_postgres
from tests.store.test_presence_contract import valkey_url

from .client import GameClient, http
from .proc import TwistdServer
from .tmx import open_field, write_map

SECRET = "one-world-test-secret-0123456789abcdef-xyz"


def world_maps(tmp_path, deep=False):
    """
    The town (spawn (5, 5), portal (10, 5) to the cave's (3, 3)) and the cave
    (portal (3, 10) back to the town's (9, 5)); with C{deep}, the cave has a
    portal at (20, 3) to the deep's (3, 3), and the deep one at (3, 10) back
    to the cave's (19, 3).
    """
    directory = tmp_path / "maps"
    write_map(directory, "town", open_field(width=32, height=32, spawn=(5, 5)),
              portals=[(10, 5, "cave", 3, 3)])
    write_map(directory, "cave", open_field(width=32, height=32, spawn=(3, 3)),
              portals=[(3, 10, "town", 9, 5)] + ([(20, 3, "deep", 3, 3)] if deep else []))
    if deep:
        write_map(directory, "deep", open_field(width=32, height=32, spawn=(3, 3)),
                  portals=[(3, 10, "cave", 19, 3)])
    return directory


def cluster(tmp_path, *specs, ttl=3.0, adopt=1.0, deep=False):
    """
    Processes on the test PostgreSQL and Valkey, one per C{specs} entry (the
    extra options of each), started in order, each waiting until the one
    before is ready (the first migrates the schema and claims first).
    C{adopt}: map_adopt_after_s (long, for processes that must keep the
    maps --own-maps gives them however slowly the next one starts).
    """
    database = postgres_url()
    reset_postgres(database)
    flush_valkey()
    config = tmp_path / "world.toml"
    config.write_text(f"map_lease_ttl_s = {ttl}\nmap_adopt_after_s = {adopt}\n"
                      "link_heartbeat_s = 0.3\nlink_timeout_s = 1.5\n"
                      "snapshot_interval_s = 1.0\nmove_cooldown_ms = 0\n"
                      "move_cooldown_tolerance_ms = 0\nground_item_private_s = 0\n")
    options = ["--database", database, "--valkey", valkey_url(),
               "--maps", str(world_maps(tmp_path, deep)), "--start-map", "town",
               "--jwt-secret", SECRET, "--config", str(config)]
    servers = []
    try:
        for index, extra in enumerate(specs):
            server = TwistdServer(tmp_path / f"p{index}", *options, *extra)
            servers.append(server)
            server.wait_ready()
    except Exception:
        for server in servers:
            server.kill()
        raise
    return servers


def flush_valkey():
    """Empty the test Valkey database: no lease of an earlier test survives."""
    import socket
    from rpg.store.valkey_link import parse_valkey_url
    address = parse_valkey_url(valkey_url())
    with socket.create_connection((address.host, address.port), timeout=5) as s:
        s.sendall(f"*2\r\n$6\r\nSELECT\r\n${len(str(address.db))}\r\n{address.db}\r\n"
                  "*1\r\n$7\r\nFLUSHDB\r\n".encode())
        received = b""
        while received.count(b"\r\n") < 2:
            received += s.recv(100)


def health(server):
    """The detailed /health, from the server's --metrics-listen port (read off its log)."""
    import re
    match = re.search(r"Metrics and health for operators on .*?port=(\d+)", server.log())
    assert match, server.log()[-2000:]
    with urllib.request.urlopen(f"http://127.0.0.1:{match.group(1)}/health", timeout=5) as r:
        return json.loads(r.read())


async def login(server, username):
    status, _, _ = await http("POST", server.base_url + "/auth/register",
                              {"username": username, "password": "password123"})
    assert status in (201, 409)
    status, body, _ = await http("POST", server.base_url + "/auth/login",
                                 {"username": username, "password": "password123"})
    assert status == 200
    return body["access_token"]


async def player(server, username):
    token = await login(server, username)
    client = await GameClient.connect(server.ws_url)
    reply = await client.request("cmd_authenticate", {"token": token})
    assert reply["type"] == "event_welcome", (reply, server.log()[-3000:])
    await client.wait_for_event("event_ground_items_update", include_past=True)
    return client


def sees(client, player_id):
    """Whether any update this client got so far showed C{player_id}."""
    for update in client.events_of("event_game_update"):
        for entity in update.get("entities", []):
            if entity.get("id") == f"player_{player_id}":
                return True
    return False


async def wait_until(predicate, timeout=10.0, step=0.05):
    deadline = reactor.seconds() + timeout
    while not predicate():
        if reactor.seconds() > deadline:
            raise AssertionError("timed out")
        await task.deferLater(reactor, step, lambda: None)


def rows(sql, *args):
    connection = psycopg2.connect(postgres_url())
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()
    finally:
        connection.close()


@pytest.fixture
def pair(tmp_path):
    servers = cluster(tmp_path, [], [])
    yield servers
    for server in servers:
        server.stop()


@pytest_twisted.ensureDeferred
async def test_the_first_process_owns_every_map_and_the_second_is_an_edge(pair):
    a, b = pair
    assert health(a)["maps_owned"] == ["cave", "town"]
    assert health(b)["maps_owned"] == []


@pytest_twisted.ensureDeferred
async def test_players_connected_to_different_processes_see_each_other(pair):
    """A player on the owner and one on the edge, on one map: each sees the other move."""
    a, b = pair
    on_a = await player(a, "alice")
    on_b = await player(b, "bob")
    alice_id = on_a.frames[0]["payload"]["player_id"]
    bob_id = on_b.frames[0]["payload"]["player_id"]
    await wait_until(lambda: sees(on_a, bob_id) and sees(on_b, alice_id))
    reply = await on_b.request("cmd_move", {"direction": "DOWN"})
    assert reply["type"] == "resp_success", reply
    await on_a.wait_for_event(
        "event_game_update",
        lambda p: any(e.get("id") == f"player_{bob_id}" and e.get("y") == 6
                      for e in p.get("entities", [])),
        timeout=5, include_past=True)
    reply = await on_b.request("cmd_chat_send", {"channel": "local", "message": "hi alice"})
    assert reply["type"] == "resp_success", reply
    event = await on_a.wait_for_event("event_chat_message",
                                      lambda p: p["channel"] == "local", timeout=5,
                                      include_past=True)
    assert event["payload"]["message"] == "hi alice"
    await on_a.close()
    await on_b.close()


@pytest_twisted.ensureDeferred
async def test_a_dropped_item_is_picked_up_once_whichever_process_asks(pair):
    """The sword case: dropped once, two pickups from two processes, one sword in the end."""
    a, b = pair
    dropper = await player(a, "dropper")
    taker = await player(b, "taker")
    inventory = dropper.events_of("event_inventory_update")[0]["inventory"]
    slot, stack = next((int(k), v) for k, v in sorted(inventory.items()) if v)
    item_id = stack["item_id"]
    reply = await dropper.request("cmd_inventory_drop", {"slot": slot})
    assert reply["type"] == "resp_success", reply
    gid = reply["payload"]["ground_item_id"]
    # Both ask at once: the owner runs both, one after the other.
    first = taker.request("cmd_pickup_item", {"ground_item_id": gid})
    second = dropper.request("cmd_pickup_item", {"ground_item_id": gid})
    replies = [await first, await second]
    assert sorted(r["type"] for r in replies) == ["resp_error", "resp_success"], replies
    await dropper.close()
    await taker.close()
    await task.deferLater(reactor, 1.0, lambda: None)
    on_ground = rows("SELECT COALESCE(SUM(quantity), 0) FROM ground_items WHERE item_id = %s",
                     item_id)[0][0]
    held = rows("SELECT COALESCE(SUM(quantity), 0) FROM inventory WHERE item_id = %s",
                item_id)[0][0]
    # Two players started with one stack each; one item was dropped and picked up once.
    assert on_ground == 0
    assert held == 2 * stack["quantity"], held


@pytest_twisted.ensureDeferred
async def test_a_second_login_through_another_process_closes_the_first_with_4001(pair):
    a, b = pair
    first = await player(b, "twice")
    second = await player(a, "twice")
    assert await first.wait_closed(timeout=10) == (4001, "logged in elsewhere")
    reply = await second.request("cmd_move", {"direction": "UP"})
    assert reply["type"] == "resp_success", reply
    await second.close()


@pytest_twisted.ensureDeferred
async def test_killing_the_owner_closes_its_players_on_the_edge_with_1012_and_the_map_comes_back(
        tmp_path):
    a, b = cluster(tmp_path, [], [])
    try:
        on_b = await player(b, "survivor")
        await on_b.request("cmd_move", {"direction": "DOWN"})
        os.kill(a.process.pid, signal.SIGKILL)
        a.process.wait()
        assert await on_b.wait_closed(timeout=10) == (1012, "service restart")
        # The lease runs out (3 s), then B adopts the maps (1 s grace, 1 s rounds).
        deadline = reactor.seconds() + 15
        while health(b)["maps_owned"] != ["cave", "town"]:
            assert reactor.seconds() < deadline, b.log()[-3000:]
            await task.deferLater(reactor, 0.5, lambda: None)
        again = await player(b, "survivor")
        reply = await again.request("cmd_move", {"direction": "UP"})
        assert reply["type"] == "resp_success", reply
        await again.close()
    finally:
        a.kill()
        b.stop()


@pytest.fixture
def split(tmp_path):
    """Process 0 serves town, process 1 serves cave."""
    servers = cluster(tmp_path, ["--own-maps", "town"], ["--own-maps", "cave"], adopt=60.0)
    yield servers
    for server in servers:
        server.stop()


def event_after(client, index, message_type, predicate, timeout=5):
    """The first event of C{message_type} matching C{predicate} among the frames from C{index} on."""
    from twisted.internet import defer
    for message in client.frames[index:]:
        if (message.get("id") is None and message.get("type") == message_type
                and predicate(message["payload"])):
            return defer.succeed(message)
    return client.wait_for_event(message_type, predicate, timeout)


async def walk_to_portal(client):
    """From the town's spawn (5, 5) to the portal at (10, 5): five steps east."""
    for _ in range(4):
        reply = await client.request("cmd_move", {"direction": "RIGHT"})
        assert reply["type"] == "resp_success", reply
    return await client.request("cmd_move", {"direction": "RIGHT"})


@pytest.mark.parametrize("connect_to", [0, 1])
@pytest_twisted.ensureDeferred
async def test_crossing_a_portal_to_a_map_served_elsewhere_looks_as_on_one_process(
        split, connect_to):
    """Through the town's portal to the cave (served by the other process) and back, connected to either."""
    town, cave = split
    assert health(town)["maps_owned"] == ["town"]
    assert health(cave)["maps_owned"] == ["cave"]
    watcher = await player(cave, "watcher")  # plays in town, connected to the cave's process
    client = await player(split[connect_to], "walker")
    me = client.frames[0]["payload"]["player_id"]
    reply = await walk_to_portal(client)
    assert reply["type"] == "resp_success", reply
    assert reply["payload"]["new_position"]["map_id"] == "cave"
    crossed = client.frames.index(reply)
    update = await event_after(client, crossed, "event_game_update",
                               lambda p: p.get("map_id") == "cave")
    assert update["payload"]["removed_entities"] == []
    assert f"player_{me}" in [e["id"] for e in update["payload"]["entities"]]
    await event_after(client, crossed, "event_ground_items_update", lambda p: p["removed"] == [])
    # Nothing came between the reply and the new map's view, as on one process.
    assert client.frames.index(update) == crossed + 1, client.frames[crossed:]
    # Others in town saw it leave.
    await watcher.wait_for_event(
        "event_game_update", lambda p: me in p.get("removed_entities", []), timeout=5,
        include_past=True)
    # It plays in the cave now: moves are answered there, and its map is saved.
    reply = await client.request("cmd_move", {"direction": "DOWN"})
    assert reply["type"] == "resp_success", reply
    assert reply["payload"]["new_position"]["map_id"] == "cave"
    # And back to town through the cave's portal at (3, 10): from (3, 4), six steps down.
    for _ in range(5):
        reply = await client.request("cmd_move", {"direction": "DOWN"})
        assert reply["type"] == "resp_success", reply
    reply = await client.request("cmd_move", {"direction": "DOWN"})
    assert reply["payload"]["new_position"]["map_id"] == "town", reply
    back = await event_after(client, client.frames.index(reply), "event_game_update",
                             lambda p: p.get("map_id") == "town")
    assert back["payload"]["removed_entities"] == []
    await watcher.wait_for_event(
        "event_game_update",
        lambda p: any(e.get("id") == f"player_{me}" for e in p.get("entities", [])),
        timeout=5, include_past=True)
    reply = await client.request("cmd_chat_send", {"channel": "local", "message": "back"})
    assert reply["type"] == "resp_success", reply
    await client.close()
    await watcher.close()
    await task.deferLater(reactor, 0.5, lambda: None)
    assert rows("SELECT map_id FROM characters c JOIN accounts a USING (player_id)"
                " WHERE a.username_lower = 'walker'") == [("town",)]


@pytest_twisted.ensureDeferred
async def test_three_processes_serve_one_world_walked_across_through_portals(tmp_path):
    """
    Three processes, one map each: a player connected to each in turn walks
    town -> cave -> deep -> cave -> town; at every crossing it sees the new map
    as on one process, and a player on each map, connected to another
    process, sees it arrive and leave.
    """
    servers = cluster(tmp_path, ["--own-maps", "town"], ["--own-maps", "cave"],
                      ["--own-maps", "deep"], adopt=60.0, deep=True)
    try:
        assert [health(s)["maps_owned"] for s in servers] == [["town"], ["cave"], ["deep"]]
        # Watchers: one per map, each connected to a process that does not serve it.
        town_watcher = await player(servers[2], "townie")
        cave_watcher = await player(servers[0], "caver")
        for step in ["RIGHT"] * 5:
            await cave_watcher.request("cmd_move", {"direction": step})
        for connect_to in range(3):
            walker = await player(servers[connect_to], f"walker{connect_to}")
            me = f"player_{walker.frames[0]['payload']['player_id']}"
            route = (["RIGHT"] * 5, ["RIGHT"] * 17, ["DOWN"] * 7,
                     ["LEFT"] * 16 + ["DOWN"] * 7)
            for steps, arrival, watcher in zip(route, ["cave", "deep", "cave", "town"],
                                               [cave_watcher, None, cave_watcher,
                                                town_watcher]):
                seen = len(watcher.frames) if watcher else 0
                for direction in steps:
                    reply = await walker.request("cmd_move", {"direction": direction})
                    assert reply["type"] == "resp_success", (reply, connect_to)
                assert reply["payload"]["new_position"]["map_id"] == arrival
                update = await event_after(walker, walker.frames.index(reply),
                                           "event_game_update",
                                           lambda p, arrival=arrival: p["map_id"] == arrival)
                assert update["payload"]["removed_entities"] == []
                assert me in [e["id"] for e in update["payload"]["entities"]]
                if watcher is not None:
                    await event_after(
                        watcher, seen, "event_game_update",
                        lambda p: me in [e["id"] for e in p.get("entities", [])])
            await walker.close()
        await town_watcher.close()
        await cave_watcher.close()
        await task.deferLater(reactor, 0.5, lambda: None)
        assert rows("SELECT a.username_lower, c.map_id FROM characters c JOIN accounts a"
                    " USING (player_id) WHERE a.username_lower LIKE 'walker%%'"
                    " ORDER BY 1") == [(f"walker{n}", "town") for n in range(3)]
    finally:
        for server in servers:
            server.stop()
