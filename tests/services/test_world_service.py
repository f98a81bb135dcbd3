"""WorldService: the tick, its phases and its failures, and snapshots, on task.Clock."""

import dataclasses

import pytest_twisted
from twisted.internet import defer, task
from twisted.logger import globalLogPublisher

from rpg.config import Tunables
from rpg.content import load_content
from rpg.protocol.envelope import Request
from rpg.services.persistence import Persistence
from rpg.services.world import WorldService
from rpg.store.memory import MemoryPlayerStore
from rpg.tap import default_maps_dir
from rpg.world.game import GameWorld
from tests.e2e.tmx import open_field, write_map

import msgpack


class FakeClient:
    def __init__(self, player_id, username):
        self.player_id, self.username = player_id, username
        self.messages = []
        self.transport_protocol = None
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


def build(tmp_path, **tunables):
    maps = write_map(tmp_path / "maps", "field", open_field(width=32, height=32))
    content = load_content(maps, default_maps_dir())
    tun = dataclasses.replace(Tunables(), **tunables)
    clock = task.Clock()
    store = MemoryPlayerStore(clock=clock)
    world = GameWorld(content, "field", tun)
    metrics = Metrics()
    service = WorldService(world, Persistence(store, "s1", 30, metrics), tun, clock=clock,
                           metrics=metrics, wall_clock=clock.seconds)
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


@pytest_twisted.ensureDeferred
async def test_a_poisoned_command_fails_alone(tmp_path, monkeypatch):
    """A command that raises unexpectedly gets INTERNAL_SERVER_ERROR; the next one still runs."""
    service, store, clock, _ = build(tmp_path)
    client = await join(service, store, "bea")

    def boom(*args):
        raise RuntimeError("bug")
    from rpg.services import commands
    monkeypatch.setitem(commands.HANDLERS, "query_equipment", boom)
    service.submit(client, Request("a", "query_equipment", {}))
    service.submit(client, Request("b", "query_inventory", {}))
    service.tick(1)
    replies = {m["id"]: m for m in client.messages if m["id"]}
    assert replies["a"]["payload"]["error_code"] == "INTERNAL_SERVER_ERROR"
    assert replies["b"]["type"] == "resp_success"


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


@pytest_twisted.ensureDeferred
async def test_snapshot_saves_changed_players_every_interval(tmp_path):
    """Every snapshot interval, players whose state changed are saved; unchanged ones are not."""
    service, store, clock, metrics = build(tmp_path, snapshot_interval_s=10.0)
    mover = await join(service, store, "cid")
    idle = await join(service, store, "dot")
    service.startService()
    service.submit(mover, Request("m", "cmd_move", {"direction": "RIGHT"}))
    clock.pump([0.05] * 199)
    before = (await store.load_character(mover.player_id)).x
    clock.pump([0.05] * 2)
    saved = await store.load_character(mover.player_id)
    service.stop_loops()
    spawn_x = service.world.content.maps["field"].player_spawn[0]
    assert before == spawn_x and saved.x == spawn_x + 1
    assert metrics.flushes.count("snapshot") == 1
    assert service.world.dirty_player_ids() == set()
    assert idle.player_id not in service.world.dirty_player_ids()


@pytest_twisted.ensureDeferred
async def test_leave_saves_and_releases(tmp_path):
    """Leaving saves the player's state and removes its online record."""
    service, store, clock, _ = build(tmp_path)
    client = await join(service, store, "eve")
    await service.persistence.mark_online([client.player_id])
    service.submit(client, Request("m", "cmd_move", {"direction": "UP"}))
    service.tick(1)
    await service.leave(client.player_id)
    saved = await store.load_character(client.player_id)
    assert saved.y == service.world.content.maps["field"].player_spawn[1] - 1
    assert await store.online_server(client.player_id) is None


class FlakyStore(MemoryPlayerStore):
    """A store whose next save fails (a database outage)."""

    fail_next = 0

    def save_snapshot(self, snapshot):
        if self.fail_next:
            self.fail_next -= 1
            return defer.fail(ConnectionError("database is away"))
        return super().save_snapshot(snapshot)


def build_flaky(tmp_path):
    service, _, clock, metrics = build(tmp_path)
    store = FlakyStore(clock=clock)
    service.persistence.store = store
    return service, store, clock


@pytest_twisted.ensureDeferred
async def test_a_failed_logout_save_is_retried_by_the_next_snapshot(tmp_path):
    """When the logout save fails, the state is kept and written by the next snapshot."""
    service, store, clock = build_flaky(tmp_path)
    client = await join(service, store, "fay")
    service.submit(client, Request("m", "cmd_move", {"direction": "UP"}))
    service.tick(1)
    store.fail_next = 1
    failure = []
    service.leave(client.player_id).addErrback(failure.append)
    assert failure and client.player_id in service.unsaved_leavers
    spawn_y = service.world.content.maps["field"].player_spawn[1]
    assert (await store.load_character(client.player_id)).y == spawn_y
    service.snapshot()
    await service.persistence.idle()
    assert (await store.load_character(client.player_id)).y == spawn_y - 1
    assert service.unsaved_leavers == {}


@pytest_twisted.ensureDeferred
async def test_a_player_back_before_the_retry_gets_its_unsaved_state(tmp_path):
    """A player whose logout save failed logs in with the state it left with, not the stale one."""
    service, store, clock = build_flaky(tmp_path)
    client = await join(service, store, "gil")
    service.submit(client, Request("m", "cmd_move", {"direction": "UP"}))
    service.tick(1)
    store.fail_next = 1
    service.leave(client.player_id).addErrback(lambda f: None)
    kept = service.unsaved_state(client.player_id)
    assert kept is not None
    again = FakeClient(client.player_id, "gil")
    service.enter(again, kept)
    assert service.unsaved_leavers == {}
    assert client.player_id in service.world.dirty_player_ids()
    service.snapshot()
    await service.persistence.idle()
    spawn_y = service.world.content.maps["field"].player_spawn[1]
    assert (await store.load_character(client.player_id)).y == spawn_y - 1


@pytest_twisted.ensureDeferred
async def test_a_reply_that_cannot_be_encoded_fails_alone(tmp_path, monkeypatch):
    """A success payload msgpack cannot encode is INTERNAL_SERVER_ERROR for that command alone:
    the later commands of the same tick are still run and answered."""
    service, store, clock, _ = build(tmp_path)
    client = await join(service, store, "cat")
    from rpg.services import commands
    monkeypatch.setitem(commands.HANDLERS, "query_equipment", lambda *args: {"x": object()})
    service.submit(client, Request("a", "query_equipment", {}))
    service.submit(client, Request("b", "query_inventory", {}))
    service.tick(1)
    replies = {m["id"]: m for m in client.messages if m["id"]}
    assert replies["a"]["payload"]["error_code"] == "INTERNAL_SERVER_ERROR"
    assert replies["b"]["type"] == "resp_success"
