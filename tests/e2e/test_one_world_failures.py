"""
One world across processes when a process fails: stalled past its lease
(SIGSTOP), killed in the middle of a portal crossing (SIGKILL), stopped
cleanly (SIGTERM).  Real C{twistd rpg} processes on the test PostgreSQL and
Valkey, with the short leases L{cluster} configures (docs/scaling.md).
"""

import os
import signal
import time

import pytest_twisted
from twisted.internet import defer, reactor, task

from .proc import TwistdServer
from .test_one_world import cluster, health, player, rows

# Kill-during-handoff rounds; run e.g. RPG_HANDOFF_ROUNDS=25 by hand.
HANDOFF_ROUNDS = int(os.environ.get("RPG_HANDOFF_ROUNDS", "3"))


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


async def until(predicate, timeout, what, step=0.2):
    """Poll C{predicate} (blocking calls allowed) until true, or fail naming C{what}."""
    deadline = reactor.seconds() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert reactor.seconds() < deadline, f"timed out waiting for {what}"
        await sleep(step)


def position(username):
    return rows("SELECT c.map_id, c.x, c.y FROM characters c JOIN accounts a USING (player_id)"
                " WHERE a.username_lower = %s", username)


def online(player_id):
    return rows("SELECT server_id FROM online_players WHERE player_id = %s", player_id)


def items_of(player_id):
    """Item id to total quantity held by C{player_id}: inventory, equipment, and dropped by it."""
    totals = rows(
        "SELECT item_id, SUM(quantity) FROM ("
        " SELECT item_id, quantity FROM inventory WHERE player_id = %s"
        " UNION ALL SELECT item_id, quantity FROM equipment WHERE player_id = %s"
        " UNION ALL SELECT item_id, quantity FROM ground_items WHERE owner_id = %s"
        ") AS held GROUP BY item_id", player_id, player_id, player_id)
    return {item_id: int(quantity) for item_id, quantity in totals}


def on_ground(player_id):
    return rows("SELECT item_id, quantity, map_id, x, y FROM ground_items WHERE owner_id = %s",
                player_id)


def starting_items(client):
    """Item id to quantity, from the inventory a client saw at its welcome."""
    inventory = client.events_of("event_inventory_update")[0]["inventory"]
    totals = {}
    for stack in inventory.values():
        if stack:
            totals[stack["item_id"]] = totals.get(stack["item_id"], 0) + stack["quantity"]
    return totals


def options_of(server):
    """The options a L{TwistdServer} was started with, after its own C{--listen}."""
    args = server.process.args
    return args[args.index("--listen") + 2:]


def maps_served(servers):
    return [sorted(health(server)["maps_owned"]) for server in servers]


async def split_again(servers, workdir):
    """
    Town on process 0 and cave on process 1 again.  A restarted process finds
    its map still leased by the one killed, and the survivor may adopt it
    first (so may the first process started, before the second is up): then
    both stop cleanly (releasing their leases) and start together, each
    claiming its own map.
    """
    for attempt in range(3):
        if maps_served(servers) == [["town"], ["cave"]]:
            return
        for server in servers:
            server.stop()
        for index, server in enumerate(list(servers)):
            servers[index] = TwistdServer(workdir / f"p{index}-{attempt}", *options_of(server))
        for server in servers:
            server.wait_ready()
        # A slow start-up can let one adopt the other's map: then again.
        await sleep(1.0)
    assert maps_served(servers) == [["town"], ["cave"]], maps_served(servers)


def alive(server):
    return server.process.poll() is None


@pytest_twisted.ensureDeferred
async def test_an_owner_stopped_past_its_lease_cannot_overwrite_the_new_owners_save(tmp_path):
    """SIGSTOP the town's owner with unsaved moves; its snapshot after SIGCONT is fenced out."""
    a, b = cluster(tmp_path, [], [])
    try:
        assert health(a)["maps_owned"] == ["cave", "town"]
        on_a = await player(a, "sleeper")
        me = on_a.frames[0]["payload"]["player_id"]
        for _ in range(3):
            reply = await on_a.request("cmd_move", {"direction": "DOWN"})
            assert reply["type"] == "resp_success", reply
        os.kill(a.process.pid, signal.SIGSTOP)  # A holds (5, 8), unsaved or not
        stopped = time.monotonic()
        await until(lambda: "town" in health(b)["maps_owned"], 10, "B to adopt town")
        adopted = time.monotonic() - stopped
        on_b = await player(b, "sleeper")  # A holds no map: B takes the player over
        for _ in range(4):
            reply = await on_b.request("cmd_move", {"direction": "RIGHT"})
            assert reply["type"] == "resp_success", reply
        at = reply["payload"]["new_position"]
        saved_by_b = [(at["map_id"], at["x"], at["y"])]
        assert saved_by_b[0][:2] == ("town", 9), saved_by_b
        await on_b.close()
        await until(lambda: not online(me), 5, "B to save the player at logout")
        assert position("sleeper") == saved_by_b
        os.kill(a.process.pid, signal.SIGCONT)
        # A wakes up with the player at (5, 8), dirty; its snapshots run every second.
        await until(lambda: "No longer serving map town" in a.log(), 5, "A to drop town")
        await sleep(2.5)
        assert position("sleeper") == saved_by_b, a.log()[-3000:]
        assert alive(a), a.log()[-3000:]
        assert health(a)["maps_owned"] == []
        assert sorted(health(b)["maps_owned"]) == ["cave", "town"]
        # Its own connection to A is closed: 1012 when A lets the map go, or
        # 4001 when B's kick of the older login reaches A first (A learns both
        # once it runs again, in whatever order its timers and Valkey give).
        try:
            closed = await on_a.wait_closed(timeout=5)
        except defer.TimeoutError:
            raise AssertionError("A never closed its own connection:\n" + a.log()[-4000:])
        assert closed in ((1012, "service restart"), (4001, "logged in elsewhere")), \
            a.log()[-3000:]
        print(f"\nB served town {adopted:.1f} s after A stopped")
    finally:
        if a.process.poll() is None:
            os.kill(a.process.pid, signal.SIGCONT)
        a.kill()
        b.stop()


@pytest_twisted.ensureDeferred
async def test_killing_either_process_during_a_portal_crossing_neither_loses_nor_duplicates_items(
        tmp_path):
    """SIGKILL either owner 0-50 ms into a crossing: every item is still there, once."""
    servers = cluster(tmp_path, ["--own-maps", "town"], ["--own-maps", "cave"])
    try:
        for number in range(HANDOFF_ROUNDS):
            await split_again(servers, tmp_path / f"round{number}")
            connect_to = (number // 2) % 2
            victim = number % 2
            delay = (number * 23 % 51) / 1000.0
            username = f"carrier{number}"
            client = await player(servers[connect_to], username)
            me = client.frames[0]["payload"]["player_id"]
            started = starting_items(client)
            # Four steps east to (9, 5), next to the portal at (10, 5); drop one stack.
            for _ in range(4):
                reply = await client.request("cmd_move", {"direction": "RIGHT"})
                assert reply["type"] == "resp_success", reply
            inventory = client.events_of("event_inventory_update")[0]["inventory"]
            slot = min(int(k) for k, v in inventory.items() if v)
            reply = await client.request("cmd_inventory_drop", {"slot": slot})
            assert reply["type"] == "resp_success", reply
            crossing = client.request("cmd_move", {"direction": "RIGHT"}, timeout=10)
            crossing.addErrback(lambda f: None)  # the kill may cut the reply off
            await sleep(delay)
            killed = servers[victim]
            os.kill(killed.process.pid, signal.SIGKILL)
            killed.process.wait()
            killed_at = time.monotonic()
            servers[victim] = TwistdServer(tmp_path / f"round{number}" / f"p{victim}",
                                           *options_of(killed))
            servers[victim].wait_ready()
            await until(lambda: sorted(health(servers[0])["maps_owned"]
                                       + health(servers[1])["maps_owned"]) == ["cave", "town"],
                        15, "both maps to be served again")
            served_again = time.monotonic() - killed_at
            if not client.closed.called:
                await client.close()
            again = await player(servers[1 - connect_to], username)
            await again.close()
            # Whoever held the player let go of it: the login did not wait for it.
            for server in servers:
                assert "was not released by" not in server.log(), server.log()[-3000:]
            await until(lambda: not online(me), 5, f"{username}'s logout save")
            held = items_of(me)
            assert held == started, (number, delay, held, started,
                                     servers[0].log()[-2000:], servers[1].log()[-2000:])
            print(f"\nround {number}: connected to {connect_to}, killed {victim} after"
                  f" {delay * 1000:.0f} ms, maps served again after {served_again:.1f} s,"
                  f" player on {position(username)}, {len(on_ground(me))} stacks on the ground")
    finally:
        for server in servers:
            server.stop()


@pytest_twisted.ensureDeferred
async def test_stopping_the_owner_closes_its_players_elsewhere_with_1012_until_the_map_is_adopted(
        tmp_path):
    """SIGTERM the town's owner: a town player on the other process is closed 1012, then plays."""
    a, b = cluster(tmp_path, [], [])
    try:
        on_b = await player(b, "patient")
        reply = await on_b.request("cmd_move", {"direction": "DOWN"})
        assert reply["type"] == "resp_success", reply
        stopping = time.monotonic()
        a.process.send_signal(signal.SIGTERM)
        assert await on_b.wait_closed(timeout=10) == (1012, "service restart")
        await until(lambda: not alive(a), 10, "A to stop")
        assert "Saved 1 players at shutdown" in a.log(), a.log()[-3000:]
        # A released its leases: B adopts after map_adopt_after_s (1 s) and a round.
        await until(lambda: "town" in health(b)["maps_owned"], 3.0 + 1.0 + 3.0,
                    "B to adopt town")
        adopted = time.monotonic() - stopping
        again = await player(b, "patient")
        reply = await again.request("cmd_move", {"direction": "UP"})
        assert reply["type"] == "resp_success", reply
        assert reply["payload"]["new_position"]["map_id"] == "town"
        await again.close()
        print(f"\nB served town {adopted:.1f} s after A was told to stop")
    finally:
        a.kill()
        b.stop()
