"""The move cooldown on arrival times (clarifications, "Movement"), through the tick, on task.Clock."""

import random

import pytest_twisted

from rpg.protocol.envelope import Request

from .test_world_service import build, join


def codes(client):
    return [m["payload"].get("error_code", "ok") if m["type"] == "resp_error" else "ok"
            for m in client.messages if m["id"] is not None and m["id"].startswith("m")]


def walk(service, clock, client, arrivals, late_ticks=()):
    """
    Submit one move at each arrival time (seconds from now), left and right in
    turn.  Time advances in irregular steps, so the tick that applies a move
    runs anywhere from on time to C{max(late_ticks)} seconds late.
    """
    rng = random.Random(7)
    start = clock.seconds()
    for n, arrival in enumerate(arrivals):
        while clock.seconds() < start + arrival:
            step = rng.choice(late_ticks) if late_ticks else 0.01
            clock.advance(min(step, start + arrival - clock.seconds()))
        service.submit(client, Request(f"m{n}", "cmd_move",
                                       {"direction": "LEFT" if n % 2 else "RIGHT"}))
    clock.pump([0.01] * 20)


@pytest_twisted.ensureDeferred
async def test_moves_every_500_ms_pass_whatever_the_ticks_that_apply_them(tmp_path):
    """Moves received exactly 500 ms apart all pass, with no tolerance, though the ticks applying them run up to 45 ms late."""
    service, store, clock, _ = build(tmp_path, move_cooldown_tolerance_ms=0)
    client = await join(service, store, "ann")
    service.startService()
    # Arrivals just before and just after tick boundaries, ticks that fire late.
    arrivals = [0.0499 + 0.5 * k for k in range(30)]
    walk(service, clock, client, arrivals, late_ticks=(0.003, 0.045, 0.011, 0.029))
    service.stop_loops()
    assert codes(client) == ["ok"] * 30


@pytest_twisted.ensureDeferred
async def test_arrival_jitter_within_the_tolerance_is_forgiven(tmp_path):
    """Sent every 500 ms but received up to 40 ms late or early: never refused with the default 50 ms tolerance."""
    service, store, clock, _ = build(tmp_path)
    client = await join(service, store, "bea")
    service.startService()
    rng = random.Random(3)
    arrivals = [0.5 * k + rng.uniform(0.0, 0.04) for k in range(30)]
    walk(service, clock, client, arrivals, late_ticks=(0.005, 0.03))
    service.stop_loops()
    assert codes(client) == ["ok"] * 30


@pytest_twisted.ensureDeferred
async def test_the_tolerance_does_not_raise_the_rate(tmp_path):
    """A client sending every 450 ms is refused now and then: over a run, at most one move per 500 ms passes."""
    service, store, clock, _ = build(tmp_path)
    client = await join(service, store, "cid")
    service.startService()
    walk(service, clock, client, [0.45 * k for k in range(20)])
    service.stop_loops()
    passed = codes(client).count("ok")
    assert "MOVEMENT_RATE_LIMITED" in codes(client)
    assert passed <= 1 + (0.45 * 19 + 0.05) / 0.5


@pytest_twisted.ensureDeferred
async def test_with_move_reply_at_once_a_move_is_answered_before_the_tick(tmp_path):
    """move_reply_at_once: the move is applied and answered on arrival; others see it in the next tick's update."""
    service, store, clock, _ = build(tmp_path, move_reply_at_once=True)
    mover = await join(service, store, "dee")
    watcher = await join(service, store, "eli")
    service.startService()
    clock.pump([0.05])
    watcher.messages.clear()
    clock.advance(0.01)
    service.submit(mover, Request("m1", "cmd_move", {"direction": "RIGHT"}))
    assert [m["type"] for m in mover.messages if m["id"] == "m1"] == ["resp_success"]
    assert not [m for m in watcher.messages if m["type"] == "event_game_update"]
    clock.pump([0.04])
    updates = [m for m in watcher.messages if m["type"] == "event_game_update"]
    service.stop_loops()
    assert updates, "the watcher never saw the move"


@pytest_twisted.ensureDeferred
async def test_a_move_behind_a_queued_command_of_the_same_player_keeps_its_order(tmp_path):
    """With move_reply_at_once, a move sent after a still-queued command waits for the tick and is answered after it."""
    service, store, clock, _ = build(tmp_path, move_reply_at_once=True)
    client = await join(service, store, "fay")
    service.startService()
    service.submit(client, Request("q1", "query_inventory", {}))
    service.submit(client, Request("m1", "cmd_move", {"direction": "RIGHT"}))
    assert [m for m in client.messages if m["id"] is not None] == []
    clock.pump([0.05])
    service.stop_loops()
    assert [m["id"] for m in client.messages if m["id"] is not None] == ["q1", "m1"]
