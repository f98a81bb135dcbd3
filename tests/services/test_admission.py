"""Admission: the player cap and the tick-behind rule with its hysteresis, on task.Clock."""

import dataclasses

import pytest
from twisted.internet import task

from rpg.config import Tunables
from rpg.services.admission import Admission
from rpg.errors import ServerFull

TICK = 0.05


def admission(**tunables):
    defaults = {"max_players": 3, "server_full_retry_after_ms": 7000,
                "tick_behind_window_s": 2.0, "tick_behind_late_ticks": 4,
                "tick_behind_load": 0.8, "tick_recovered_load": 0.5}
    clock = task.Clock()
    return Admission(dataclasses.replace(Tunables(), **{**defaults, **tunables}), clock), clock


def run_ticks(adm, clock, seconds, busy, missed_every=0):
    """Tick for C{seconds} at 20 a second, each busy for C{busy} seconds;
    every C{missed_every}-th tick reports one missed tick before it."""
    for n in range(1, round(seconds / TICK) + 1):
        clock.advance(TICK)
        adm.tick_observed(1 if missed_every and n % missed_every == 0 else 0, busy)


def test_refuses_while_as_many_logins_as_allowed_are_under_way():
    """max_logins_in_flight logins under way: the next one is refused at once, room or not."""
    adm, _ = admission(max_players=100, max_logins_in_flight=2)
    adm.check(10, logins=1)
    with pytest.raises(ServerFull) as caught:
        adm.check(10, logins=2)
    assert caught.value.details == {"retry_after_ms": 7000}
    adm.check(10, logins=1)   # one finished: room again


def test_admits_below_the_cap_and_refuses_at_it():
    """Fewer than max_players (in the world plus logging in) pass; at the cap SERVER_FULL with retry_after_ms."""
    adm, _ = admission()
    adm.check(2)
    with pytest.raises(ServerFull) as caught:
        adm.check(3)
    assert caught.value.details == {"retry_after_ms": 7000}
    assert adm.refused == 1


def test_a_freed_place_is_usable_at_once():
    """Once the count drops below the cap the next login passes, with no delay."""
    adm, _ = admission()
    with pytest.raises(ServerFull):
        adm.check(3)
    adm.check(2)


def test_a_quiet_tick_is_not_behind():
    """A tick busy 20 % of the time, with no missed tick, admits."""
    adm, clock = admission()
    run_ticks(adm, clock, 5, busy=0.01)
    assert adm.behind is False
    adm.check(0)


def test_one_stall_does_not_refuse():
    """One stall that skipped many intervals (a slow start, a pause) is one late tick: still admitting."""
    adm, clock = admission()
    run_ticks(adm, clock, 1, busy=0.01)
    clock.advance(1.0)
    adm.tick_observed(19, 0.01)
    assert adm.behind is False
    adm.check(0)


def test_late_ticks_in_the_window_refuse():
    """tick_behind_late_ticks late ticks within the window, the tick's own work 40 %: behind, every login refused."""
    adm, clock = admission()
    run_ticks(adm, clock, 1, busy=0.02, missed_every=5)  # 4 missed in 1 s
    assert adm.behind is True
    with pytest.raises(ServerFull):
        adm.check(0)


def test_late_ticks_of_a_light_tick_do_not_refuse():
    """Ticks late while the server's own work is under tick_behind_min_load (the machine is busy
    elsewhere) refuse nobody: refusing would not give the tick its time back."""
    adm, clock = admission()
    run_ticks(adm, clock, 2, busy=0.005, missed_every=5)  # 10 % load, 8 late ticks
    assert adm.behind is False
    adm.check(0)


def test_a_busy_tick_refuses_without_missing():
    """A tick busy for tick_behind_load of the time is behind even before it misses a tick."""
    adm, clock = admission()
    run_ticks(adm, clock, 0.5, busy=0.045)
    assert adm.behind is False  # less than a second of ticks: not judged yet
    run_ticks(adm, clock, 0.5, busy=0.045)
    assert adm.behind is True


def test_recovers_once_the_window_is_clean_and_the_load_low():
    """Behind ends when the window has no missed tick and the load is at tick_recovered_load."""
    adm, clock = admission()
    run_ticks(adm, clock, 1, busy=0.02, missed_every=5)
    assert adm.behind is True
    run_ticks(adm, clock, 1.9, busy=0.01)
    assert adm.behind is True  # the missed ticks are still in the 2 s window
    run_ticks(adm, clock, 0.2, busy=0.01)
    assert adm.behind is False
    adm.check(0)


def test_hysteresis_between_the_two_loads():
    """A load between tick_recovered_load and tick_behind_load keeps the state it finds."""
    adm, clock = admission()
    run_ticks(adm, clock, 2, busy=0.045)  # 90 %
    assert adm.behind is True
    run_ticks(adm, clock, 4, busy=0.0325)  # 65 %: not recovered
    assert adm.behind is True
    run_ticks(adm, clock, 4, busy=0.02)  # 40 %
    assert adm.behind is False
    run_ticks(adm, clock, 4, busy=0.0325)  # 65 % again: not behind either
    assert adm.behind is False
