"""
WorldService: the tick, its phases and its failures, and snapshots, on task.Clock.

Tests of what players see run on rpg.testing's GameHarness, the whole server
in memory; those that reach inside the service (its metrics, a failing store,
a monkeypatched phase) build it by hand.
"""

import dataclasses

import pytest_twisted
from twisted.internet import defer, task
from twisted.logger import globalLogPublisher

from rpg.config import Tunables
from rpg.content import load_content
from rpg.protocol.envelope import Request
from rpg.services.commands import COMMANDS
from rpg.services.metrics import Metrics as ServerMetrics
from rpg.services.persistence import Persistence
from rpg.services.world import WorldService
from rpg.store.memory import MemoryPlayerStore
from rpg.tap import default_maps_dir
from rpg.testing import GameHarness
from rpg.world.game import GameWorld
from tests.e2e.tmx import open_field, write_map

import msgpack


class FakeClient:
    def __init__(self, player_id, username):
        self.player_id, self.username = player_id, username
        self.messages = []
        self.state = "playing"

    def send_frame(self, frame):
        self.messages.append(msgpack.unpackb(frame))


class Metrics:
    def __init__(self):
        self.ticks, self.missed, self.flushes = [], 0, []

    def observe_tick(self, timings, total):
        self.ticks.append(timings)

    def ticks_missed(self, n):
        self.missed += n

    def observe_flush(self, kind, seconds):
        self.flushes.append(kind)

    def __getattr__(self, name):  # counters the service may touch
        return _Counter()


class _Counter:
    def labels(self, *a):
        return self

    def inc(self, *a):
        pass

    def set(self, *a):
        pass


def field(tmp_path):
    return write_map(tmp_path / "maps", "field", open_field(width=32, height=32))


def build(tmp_path, tick_monitor=None, **tunables):
    maps = field(tmp_path)
    content = load_content(maps, default_maps_dir())
    tun = dataclasses.replace(Tunables(), **tunables)
    clock = task.Clock()
    store = MemoryPlayerStore(clock=clock)
    world = GameWorld(content, "field", tun)
    metrics = Metrics()
    service = WorldService(world, Persistence(store, "s1", 30, metrics), tun, clock=clock,
                           metrics=metrics, wall_clock=clock.seconds, tick_monitor=tick_monitor)
    return service, store, clock, metrics


async def join(service, store, username):
    account = await store.create_account(username, "hash", service.world.new_character())
    character = await store.load_character(account.player_id)
    client = FakeClient(account.player_id, username)
    service.enter(client, character)
    return client


@pytest_twisted.ensureDeferred
async def test_commands_are_answered_on_the_tick_with_every_phase_measured(tmp_path):
    """A queued move is answered by the next tick, whose four phases are timed."""
    service, store, clock, metrics = build(tmp_path)
    client = await join(service, store, "ann")
    service.startService()
    service.submit(client, Request("m1", "cmd_move", {"direction": "DOWN"}))
    assert client.messages == []
    clock.pump([0.05])
    reply = [m for m in client.messages if m["id"] == "m1"]
    assert reply[0]["type"] == "resp_success"
    assert set(metrics.ticks[0]) == {"commands", "world", "visibility", "out"}
    service.stop_loops()


def test_a_poisoned_command_fails_alone(tmp_path):
    """A command that raises unexpectedly gets INTERNAL_SERVER_ERROR; the next one still runs."""
    def boom(*args):
        raise RuntimeError("bug")
    commands = COMMANDS.copy()
    commands.handlers["query_equipment"] = boom
    harness = GameHarness(maps=field(tmp_path), start_map="field", commands=commands)
    client = harness.connect("bea")
    client.send_raw(msgpack.packb({"id": "a", "type": "query_equipment", "version": "2.0"}))
    reply = client.request("query_inventory")
    (poisoned,) = client.events("resp_error")
    assert (poisoned["id"], poisoned["payload"]["error_code"]) == ("a", "INTERNAL_SERVER_ERROR")
    assert reply["type"] == "resp_success"
    assert harness.world_service.tick_number == 1  # both in the same tick
    harness.close()


@pytest_twisted.ensureDeferred
async def test_a_failing_tick_is_logged_and_the_loop_lives_on(tmp_path, monkeypatch):
    """An exception escaping a phase is logged; the loop keeps ticking."""
    service, store, clock, metrics = build(tmp_path)
    events = []
    globalLogPublisher.addObserver(events.append)
    calls = []

    def step(now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("tick bug")
        return []
    monkeypatch.setattr(service.world, "step", step)
    try:
        service.startService()
        clock.pump([0.05] * 3)
    finally:
        globalLogPublisher.removeObserver(events.append)
        service.stop_loops()
    assert len(calls) == 3
    assert any("failed; the next tick runs" in e.get("log_format", "") for e in events)


def test_an_overrun_counts_missed_ticks(tmp_path):
    """When the loop reports several intervals at once, the missed ticks are counted."""
    service, store, clock, metrics = build(tmp_path)
    service.startService()
    clock.advance(0.05 * 4)  # one call, told that four intervals passed
    service.stop_loops()
    assert (service.missed_ticks, metrics.missed) == (3, 3)


def test_every_tick_tells_its_monitor_the_missed_ticks_and_busy_time(tmp_path):
    """The tick monitor (admission) hears each tick: the ticks missed before it and its busy seconds."""
    seen = []

    class Monitor:
        def tick_observed(self, missed, busy_seconds):
            seen.append((missed, busy_seconds))
    service, store, clock, metrics = build(tmp_path, tick_monitor=Monitor())
    service.startService()
    clock.advance(0.05)
    clock.advance(0.05 * 4)
    service.stop_loops()
    assert [missed for missed, _ in seen] == [0, 3]
    assert all(0 <= busy < 1 for _, busy in seen)

def test_snapshot_saves_changed_players_every_interval(tmp_path):
    """Every snapshot interval, players whose state changed are saved; unchanged ones are not."""
    harness = GameHarness(maps=field(tmp_path), start_map="field",
                          config={"snapshot_interval_s": 10.0})
    snapshots = []
    save_snapshot = harness.store.save_snapshot
    harness.store.save_snapshot = lambda snapshot: (snapshots.append(snapshot),
                                                    save_snapshot(snapshot))[1]
    mover = harness.connect("cid")
    harness.connect("dot")
    spawn_x = harness.world.content.maps["field"].player_spawn[0]
    mover.request("cmd_move", {"direction": "RIGHT"})
    harness.advance(9.9)
    assert snapshots == []
    assert harness.store._characters[mover.player_id].x == spawn_x
    harness.advance(0.1)
    assert [[c.username for c in s.characters] for s in snapshots] == [["cid"]]
    assert harness.store._characters[mover.player_id].x == spawn_x + 1
    assert harness.world.dirty_player_ids() == set()
    harness.close()


def test_leave_saves_and_releases(tmp_path):
    """Leaving saves the player's state and removes its online record."""
    harness = GameHarness(maps=field(tmp_path), start_map="field")
    client = harness.connect("eve")
    assert _result(harness.store.online_server(client.player_id)) == "harness"
    client.request("cmd_move", {"direction": "UP"})
    client.disconnect()
    saved = _result(harness.store.load_character(client.player_id))
    assert saved.y == harness.world.content.maps["field"].player_spawn[1] - 1
    assert _result(harness.store.online_server(client.player_id)) is None
    harness.close()


def _result(d):
    results = []
    d.addBoth(results.append)
    return results[0]


def fail_saves(harness):
    """The harness's store fails its next C{fails[0]} saves (a database outage)."""
    fails = [0]
    save_snapshot = harness.store.save_snapshot

    def flaky(snapshot):
        if fails[0]:
            fails[0] -= 1
            return defer.fail(ConnectionError("database is away"))
        return save_snapshot(snapshot)
    harness.store.save_snapshot = flaky
    return fails


def test_a_failed_logout_save_is_retried_by_the_next_snapshot(tmp_path):
    """When the logout save fails, the state is kept and written by the next snapshot."""
    harness = GameHarness(maps=field(tmp_path), start_map="field")
    fails = fail_saves(harness)
    client = harness.connect("fay")
    client.request("cmd_move", {"direction": "UP"})
    fails[0] = 1
    client.disconnect()
    assert client.player_id in harness.world_service.unsaved_leavers
    spawn_y = harness.world.content.maps["field"].player_spawn[1]
    assert _result(harness.store.load_character(client.player_id)).y == spawn_y
    harness.advance(harness.tunables.snapshot_interval_s)
    assert _result(harness.store.load_character(client.player_id)).y == spawn_y - 1
    assert harness.world_service.unsaved_leavers == {}
    harness.close()


def test_a_player_back_before_the_retry_gets_its_unsaved_state(tmp_path):
    """A player whose logout save failed logs in with the state it left with, not the stale one."""
    harness = GameHarness(maps=field(tmp_path), start_map="field")
    fails = fail_saves(harness)
    client = harness.connect("gil")
    client.request("cmd_move", {"direction": "UP"})
    fails[0] = 1
    client.disconnect()
    spawn_y = harness.world.content.maps["field"].player_spawn[1]
    again = harness.connect("gil")
    assert again.welcome["payload"]["y"] == spawn_y - 1
    assert harness.world_service.unsaved_leavers == {}
    assert client.player_id in harness.world.dirty_player_ids()
    harness.advance(harness.tunables.snapshot_interval_s)
    assert _result(harness.store.load_character(client.player_id)).y == spawn_y - 1
    harness.close()


@pytest_twisted.ensureDeferred
async def test_a_reply_that_cannot_be_encoded_fails_alone(tmp_path, monkeypatch):
    """A success payload msgpack cannot encode is INTERNAL_SERVER_ERROR for that command alone:
    the later commands of the same tick are still run and answered."""
    service, store, clock, _ = build(tmp_path)
    client = await join(service, store, "cat")
    monkeypatch.setitem(service.commands.handlers, "query_equipment",
                        lambda *args: {"x": object()})
    service.submit(client, Request("a", "query_equipment", {}))
    service.submit(client, Request("b", "query_inventory", {}))
    service.tick(1)
    replies = {m["id"]: m for m in client.messages if m["id"]}
    assert replies["a"]["payload"]["error_code"] == "INTERNAL_SERVER_ERROR"
    assert replies["b"]["type"] == "resp_success"


@pytest_twisted.ensureDeferred
async def test_messages_out_counts_each_tick_s_messages_by_type(tmp_path):
    """The messages a tick fans out reach rpg_messages_out, by type, by the end of that tick."""
    service, store, clock, _ = build(tmp_path)
    metrics = service.metrics = ServerMetrics()
    ann = await join(service, store, "ann")
    bob = await join(service, store, "bob")
    for client in (ann, bob):
        service.world.engine.initial_view(client.player_id)
    service.world.compute_updates()  # each has seen the other come in
    service.submit(ann, Request("m1", "cmd_move", {"direction": "DOWN"}))
    service.tick(1)
    sent = metrics.registry.get_sample_value("rpg_messages_out_total",
                                             {"type": "event_game_update"})
    assert sent == 2  # ann's move, in one payload seen by both
    service.submit(bob, Request("m2", "cmd_move", {"direction": "DOWN"}))
    clock.advance(0.05)
    service.tick(1)
    assert metrics.registry.get_sample_value("rpg_messages_out_total",
                                             {"type": "event_game_update"}) == 4


def test_a_fenced_logout_save_of_a_map_served_elsewhere_is_not_retried(tmp_path):
    """
    Several processes: a logout save refused as fenced, for a map this
    process no longer serves, is dropped (a newer owner has the map; retrying
    would fence every later snapshot); one refused for another reason, or for
    a map still served, is kept for the next snapshot.
    """
    from rpg.interfaces import Fenced
    served = {"field"}
    for fenced, serving, kept in ((True, False, False), (True, True, True),
                                  (False, False, True)):
        harness = GameHarness(maps=field(tmp_path), start_map="field")
        service = harness.world_service
        service.serves = served.__contains__ if serving else (lambda map_id: False)
        save_snapshot = harness.store.save_snapshot

        def refuse(snapshot, fenced=fenced):
            harness.store.save_snapshot = save_snapshot
            return defer.fail(Fenced("field", 1, 2) if fenced
                              else ConnectionError("database is away"))
        client = harness.connect("hal")
        client.request("cmd_move", {"direction": "UP"})
        harness.store.save_snapshot = refuse
        client.disconnect()
        assert (client.player_id in service.unsaved_leavers) is kept, (fenced, serving)
        harness.close()
