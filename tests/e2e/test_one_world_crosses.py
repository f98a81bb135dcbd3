"""
Everything crosses (issue 12): combat, operators' commands, chat, the
shutdown of an edge and the metrics, with players connected to different
real ``twistd rpg`` processes of one world, checked as a client sees them
(docs/protocol.md, docs/scaling.md).
"""

import io
import json
import re
import signal
import urllib.request

import psycopg2
import pytest
import pytest_twisted
from twisted.internet import reactor

from rpg import admin
from rpg.world.skills import xp_for_level
from tests.store.conftest import postgres_url
from tests.store.test_presence_contract import valkey_url

from .client import http
from .tmx import open_field, write_map
from .test_one_world import (  # noqa: F401 (pair is a fixture)
    cluster, event_after, health, login, pair, player, rows, wait_until, walk_to_portal)


def execute(sql, *args):
    """Run one statement that returns no rows (rows() fetches)."""
    connection = psycopg2.connect(postgres_url())
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql, args)
    finally:
        connection.close()


@pytest.fixture
def split(tmp_path):
    """
    Process 0 serves town, process 1 serves cave, and neither adopts the
    other's map while the other starts (the later --config wins).
    """
    config = tmp_path / "split.toml"
    config.write_text("map_lease_ttl_s = 3.0\nmap_adopt_after_s = 60.0\n"
                      "link_heartbeat_s = 0.3\nlink_timeout_s = 1.5\n"
                      "snapshot_interval_s = 1.0\nmove_cooldown_ms = 0\n"
                      "move_cooldown_tolerance_ms = 0\nground_item_private_s = 0\n")
    servers = cluster(tmp_path, ["--own-maps", "town", "--config", str(config)],
                      ["--own-maps", "cave", "--config", str(config)])
    assert [health(server)["maps_owned"] for server in servers] == [["town"], ["cave"]]
    yield servers
    for server in servers:
        server.stop()


async def cross_to_cave(client):
    """Walk through the town's portal and wait until the cave's owner shows the cave."""
    reply = await walk_to_portal(client)
    assert reply["payload"]["new_position"]["map_id"] == "cave", reply
    await event_after(client, client.frames.index(reply), "event_game_update",
                      lambda p: p.get("map_id") == "cave")


def player_id(client):
    return client.frames[0]["payload"]["player_id"]


async def rpg_admin(*argv):
    """rpg-admin, run in this process on the cluster's database: (code, out, err)."""
    args = admin.build_parser().parse_args(["--database", postgres_url(), *argv])
    out, err = io.StringIO(), io.StringIO()
    code = await admin.run(args, clock=reactor, out=out, err=err, stdin=io.StringIO(""))
    return code, out.getvalue(), err.getvalue()


# -- combat


def pvp_maps(tmp_path):
    """The cluster's two maps, both with pvp on."""
    directory = tmp_path / "pvp-maps"
    write_map(directory, "town", open_field(width=32, height=32, spawn=(5, 5)), pvp=True,
              portals=[(10, 5, "cave", 3, 3)])
    write_map(directory, "cave", open_field(width=32, height=32, spawn=(3, 3)), pvp=True,
              portals=[(3, 10, "town", 9, 5)])
    return directory


@pytest.fixture
def pvp_pair(tmp_path):
    """An owner of both pvp maps and an edge (the later --maps wins)."""
    maps = ["--maps", str(pvp_maps(tmp_path))]
    servers = cluster(tmp_path, maps, maps)
    yield servers
    for server in servers:
        server.stop()


async def registered(server, username):
    """Register C{username} over HTTP; its player id, from the database."""
    await login(server, username)
    return rows("SELECT player_id FROM accounts WHERE username_lower = %s", username.lower())[0][0]


def shows_hp(client, entity_id, below):
    """Whether an update this client got showed C{entity_id} with fewer than C{below} HP."""
    return any(entity.get("id") == entity_id and entity.get("current_hp", below) < below
               for update in client.events_of("event_game_update")
               for entity in update.get("entities", []))


@pytest.mark.parametrize("attacker_on_edge", [False, True])
@pytest_twisted.ensureDeferred
async def test_pvp_across_processes_hits_kills_and_respawns(pvp_pair, attacker_on_edge):
    """A strong player hits a weak one connected to the other process: both see its HP drop,
    both see it die by the attacker's hand, and both see it respawn at the spawn with full HP."""
    owner, edge = pvp_pair
    attacker_at, target_at = (edge, owner) if attacker_on_edge else (owner, edge)
    strong = await registered(attacker_at, "striker")
    await registered(target_at, "weakling")
    for skill in ("attack", "strength"):
        execute("UPDATE skills SET xp = %s WHERE player_id = %s AND skill = %s",
             xp_for_level(99), strong, skill)
    execute("UPDATE characters SET hp = 3 WHERE player_id <> %s", strong)
    attacker = await player(attacker_at, "striker")
    target = await player(target_at, "weakling")
    victim = player_id(target)
    reply = await target.request("cmd_move", {"direction": "DOWN"})  # to (5, 6), beside it
    assert reply["type"] == "resp_success", reply
    await wait_until(lambda: any(
        e.get("id") == f"player_{victim}" and e.get("y") == 6
        for u in attacker.events_of("event_game_update") for e in u.get("entities", [])),
        timeout=5)
    reply = await attacker.request("cmd_attack", {"target_id": f"player_{victim}",
                                                  "target_type": "player"})
    assert reply["type"] == "resp_success", reply
    assert reply["payload"] == {"combat_started": True,
                                "target": {"id": f"player_{victim}", "name": "weakling",
                                           "current_hp": 3, "max_hp": 10}}
    died = []
    for client in (target, attacker):
        died.append(await client.wait_for_event("event_player_died", timeout=15,
                                                include_past=True))
    for event in died:
        assert event["payload"] == {
            "player_id": victim, "username": "weakling",
            "death_position": {"x": 5, "y": 6, "map_id": "town"},
            "killer": {"id": f"player_{strong}", "name": "striker", "type": "player"}}
    # The blows' damage reaches both, down to 0 HP, in their game updates.
    for client in (target, attacker):
        await wait_until(lambda: shows_hp(client, f"player_{victim}", 1), timeout=2)
    refused = await target.request("cmd_move", {"direction": "UP"})
    assert refused["payload"]["error_code"] == "MOVEMENT_BLOCKED", refused
    assert refused["payload"]["details"]["reason"] == "dead"
    respawned = {"player_id": victim, "username": "weakling",
                 "spawn_position": {"x": 5, "y": 5, "map_id": "town"},
                 "current_hp": 10, "max_hp": 10}
    for client in (target, attacker):
        event = await client.wait_for_event("event_player_respawned", timeout=8,
                                            include_past=True)
        assert event["payload"] == respawned
    reply = await target.request("cmd_move", {"direction": "LEFT"})
    assert reply["type"] == "resp_success", reply
    await attacker.close()
    await target.close()


# -- operators


@pytest.mark.parametrize("command, reason", [(["kick", "--reason", "cool off"], "cool off"),
                                             (["ban"], "banned")])
@pytest_twisted.ensureDeferred
async def test_kick_and_ban_close_a_player_connected_through_an_edge_with_4003(
        pair, command, reason):
    """rpg-admin kick/ban of a player playing on the owner but connected to the edge: the edge's
    client is closed 4003 with the reason, saved where it stood; a ban refuses the next login."""
    owner, edge = pair
    client = await player(edge, "rowdy")
    moved = await client.request("cmd_move", {"direction": "UP"})
    position = moved["payload"]["new_position"]
    assert (position["x"], position["y"], position["map_id"]) == (5, 4, "town"), moved
    code, out, err = await rpg_admin(command[0], "rowdy", *command[1:])
    assert (code, err) == (0, ""), err
    server_id = health(owner)["server_id"]
    assert out.strip().endswith(f"saved and disconnected from {server_id}"), out
    assert await client.wait_closed(timeout=5) == (4003, reason)
    assert rows("SELECT c.map_id, c.x, c.y FROM characters c JOIN accounts a USING (player_id)"
                " WHERE a.username_lower = 'rowdy'") == [("town", 5, 4)]
    status, _, _ = await http("POST", edge.base_url + "/auth/login",
                              {"username": "rowdy", "password": "password123"})
    if command[0] == "ban":
        assert status == 403
    else:
        assert status == 200
        again = await player(edge, "rowdy")
        await again.close()


@pytest_twisted.ensureDeferred
async def test_rpg_admin_maps_names_each_maps_owner_and_counts_players_anywhere(split, tmp_path):
    """rpg-admin maps --valkey on a live split world: each map's owner is the process serving it,
    and its players are counted whichever process they are connected to."""
    town, cave = split
    here = await player(town, "townie")  # plays in town on its owner
    there = await player(cave, "visitor")  # plays in town, connected to the cave's process
    crosser = await player(cave, "caver")
    await cross_to_cave(crosser)  # now plays in the cave, on its owner
    ids = {"town": health(town)["server_id"], "cave": health(cave)["server_id"]}
    assert ids["town"] != ids["cave"]
    code, out, err = await rpg_admin("maps", "--valkey", valkey_url(), "--maps",
                                     str(tmp_path / "maps"), "--json", "--players")
    assert (code, err) == (0, ""), err
    listed = json.loads(out)
    assert listed["valkey"] is True and listed["players_online"] == 3
    assert [(m["map_id"], m["owner"]["server_id"], m["players"], m["usernames"])
            for m in listed["maps"]] == [("cave", ids["cave"], 1, ["caver"]),
                                         ("town", ids["town"], 2, ["townie", "visitor"])]
    code, out, err = await rpg_admin("maps", "--valkey", valkey_url(), "--maps",
                                     str(tmp_path / "maps"))
    assert code == 0, err
    lines = out.splitlines()
    assert re.fullmatch(rf"cave\s+{re.escape(ids['cave'])}\s+\d+\s+\S+\s+1", lines[1]), lines
    assert re.fullmatch(rf"town\s+{re.escape(ids['town'])}\s+\d+\s+\S+\s+2", lines[2]), lines
    assert lines[-1] == "2 maps, 0 without an owner; 3 players online"
    for client in (here, there, crosser):
        await client.close()


# -- chat


async def dm(sender, recipient_client, recipient, text):
    """Send a DM; both ends get the event with the recipient named."""
    reply = await sender.request("cmd_chat_send", {"channel": "dm", "recipient": recipient,
                                                   "message": text})
    assert reply["type"] == "resp_success", reply
    assert reply["payload"]["channel"] == "dm"
    for client in (sender, recipient_client):
        event = await client.wait_for_event("event_chat_message",
                                            lambda p: p["message"] == text, include_past=True)
        assert event["payload"]["channel"] == "dm"
        assert event["payload"]["recipient"] == recipient
    return reply


@pytest_twisted.ensureDeferred
async def test_dm_between_players_on_one_map_connected_to_different_processes(pair):
    """A DM from the owner's player to the edge's and back, both playing on the owner's town."""
    owner, edge = pair
    alice = await player(owner, "Alice")
    bob = await player(edge, "Bob")
    reply = await dm(alice, bob, "Bob", "psst bob")
    assert sorted(reply["payload"]["recipients"]) == ["Alice", "Bob"]
    await dm(bob, alice, "Alice", "hi alice")
    assert [p["username"] for p in bob.events_of("event_chat_message")
            if p["channel"] == "dm"] == ["Alice", "Bob"]
    await alice.close()
    await bob.close()


@pytest_twisted.ensureDeferred
async def test_dm_between_players_on_maps_owned_by_different_processes(split):
    """Each connected to the process that does not own its map, one in town, one in the cave:
    DMs reach the other way round both times."""
    town, cave = split
    townie = await player(cave, "townie")  # plays in town (owner: town's process)
    caver = await player(town, "caver")
    await cross_to_cave(caver)  # plays in the cave (owner: cave's process)
    assert health(town)["maps_owned"] == ["town"] and health(cave)["maps_owned"] == ["cave"]
    reply = await dm(townie, caver, "caver", "how is the cave")
    assert sorted(reply["payload"]["recipients"]) == ["caver", "townie"]
    await dm(caver, townie, "townie", "dark")
    await townie.close()
    await caver.close()


@pytest_twisted.ensureDeferred
async def test_global_chat_of_a_moderator_reaches_players_on_every_process(split):
    """A moderator's global line, sent through an edge, reaches players connected to either
    process and playing on either map; a player's global line is refused."""
    town, cave = split
    await login(cave, "mod")
    execute("UPDATE accounts SET role = 'moderator' WHERE username_lower = 'mod'")
    moderator = await player(cave, "mod")  # plays in town, through the cave's process
    on_town = await player(town, "listener")
    on_cave = await player(cave, "caver")
    await cross_to_cave(on_cave)
    reply = await moderator.request("cmd_chat_send", {"channel": "global",
                                                      "message": "hear ye"})
    assert reply["type"] == "resp_success", reply
    assert sorted(reply["payload"]["recipients"]) == ["caver", "listener", "mod"]
    for client in (moderator, on_town, on_cave):
        event = await client.wait_for_event("event_chat_message",
                                            lambda p: p["channel"] == "global",
                                            include_past=True)
        assert event["payload"]["username"] == "mod"
        assert event["payload"]["message"] == "hear ye"
    refused = await on_town.request("cmd_chat_send", {"channel": "global", "message": "me too"})
    assert refused["payload"]["error_code"] == "CHAT_PERMISSION_DENIED", refused
    for client in (moderator, on_town, on_cave):
        await client.close()


# -- shutdown of an edge


@pytest_twisted.ensureDeferred
async def test_sigterm_of_an_edge_tells_its_clients_closes_1001_and_the_owner_saves_them(pair):
    """The edge stops: its clients (playing on the owner) get event_server_shutdown then 1001;
    the owner saves them where they stood and keeps its own players."""
    owner, edge = pair
    staying = await player(owner, "stayer")
    leavers = [await player(edge, "leaver1"), await player(edge, "leaver2")]
    for client, direction in zip(leavers, ("UP", "LEFT")):
        for _ in range(2):
            reply = await client.request("cmd_move", {"direction": direction})
            assert reply["type"] == "resp_success", reply
    edge.process.send_signal(signal.SIGTERM)
    for client in leavers:
        event = await client.wait_for_event("event_server_shutdown", timeout=5,
                                            include_past=True)
        assert event["payload"] == {"message": "The server is shutting down", "seconds": 1}
        assert await client.wait_closed(timeout=10) == (1001, "server shutting down")
    await wait_until(lambda: edge.process.poll() is not None, timeout=10)
    # twistd ends a clean shutdown by re-raising the signal it got.
    assert edge.process.returncode == -signal.SIGTERM, edge.log()[-3000:]
    assert re.search(r"rpg \S+ stopped", edge.log()), edge.log()[-3000:]

    def saved():
        return rows("SELECT a.username, c.map_id, c.x, c.y FROM characters c JOIN accounts a"
                    " USING (player_id) WHERE a.username_lower LIKE 'leaver%%'"
                    " ORDER BY a.username")
    # The owner saves them as it learns they left (the edge's "gone", or its link lost).
    await wait_until(lambda: saved() == [("leaver1", "town", 5, 3), ("leaver2", "town", 3, 5)],
                     timeout=5)
    reply = await staying.request("cmd_move", {"direction": "DOWN"})
    assert reply["type"] == "resp_success", reply
    await staying.close()


# -- metrics


def metrics(server):
    """The /metrics text of C{server}, from its --metrics-listen port."""
    match = re.search(r"Metrics and health for operators on .*?port=(\d+)", server.log())
    assert match, server.log()[-2000:]
    with urllib.request.urlopen(f"http://127.0.0.1:{match.group(1)}/metrics", timeout=5) as r:
        return r.read().decode()


def samples(text, name):
    """{labels: value} of metric C{name}, labels as a frozenset of (key, value)."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
            found[labels] = float(match.group(2))
    return found


@pytest_twisted.ensureDeferred
async def test_metrics_of_owner_and_edge_count_link_messages_and_maps_owned(pair):
    """After a player plays through the edge: both count link messages in and out, the owner
    owns 2 maps and the edge 0."""
    owner, edge = pair
    client = await player(edge, "counted")
    reply = await client.request("cmd_move", {"direction": "DOWN"})
    assert reply["type"] == "resp_success", reply
    for server, owned in ((owner, 2.0), (edge, 0.0)):
        text = metrics(server)
        assert samples(text, "rpg_maps_owned") == {frozenset(): owned}
        link = samples(text, "rpg_link_messages_total")
        for direction in ("in", "out"):
            assert sum(v for labels, v in link.items()
                       if ("direction", direction) in labels) > 0, (server.port, link)
    # The edge's frames went out as "open" and "in" and came back as "out".
    edge_link = samples(metrics(edge), "rpg_link_messages_total")
    assert edge_link[frozenset({("direction", "out"), ("kind", "open")})] == 1
    assert edge_link[frozenset({("direction", "in"), ("kind", "out")})] >= 1
    owner_link = samples(metrics(owner), "rpg_link_messages_total")
    assert owner_link[frozenset({("direction", "in"), ("kind", "open")})] == 1
    await client.close()
