"""The one timer heap of the timed rules (rpg.world.schedule)."""

import pytest

from rpg.world.schedule import Schedule


def test_keys_come_due_in_time_order_each_once():
    """pop_due returns the keys due by then, earliest first, and forgets them."""
    schedule = Schedule()
    schedule.set("b", 2.0)
    schedule.set("a", 1.0)
    schedule.set("c", 5.0)
    assert schedule.pop_due(2.0) == ["a", "b"]
    assert schedule.pop_due(4.0) == []
    assert schedule.when("c") == 5.0 and len(schedule) == 1
    assert schedule.pop_due(5.0) == ["c"]
    assert "c" not in schedule and schedule.when("c") is None


def test_ties_come_in_arrival_order_or_by_key():
    """Keys due at one time come in the order scheduled, or sorted with ties="key"."""
    arrival, by_key = Schedule(), Schedule(ties="key")
    for key in (3, 1, 2):
        arrival.set(key, 1.0)
        by_key.set(key, 1.0)
    assert arrival.pop_due(1.0) == [3, 1, 2]
    assert by_key.pop_due(1.0) == [1, 2, 3]


def test_setting_again_moves_the_key():
    """A key is due at its latest time only: the older entry is stale and never fires."""
    schedule = Schedule()
    schedule.set("a", 1.0)
    schedule.set("a", 3.0)
    assert schedule.pop_due(2.0) == []
    assert schedule.pop_due(3.0) == ["a"]


def test_moved_back_to_its_first_time_a_key_fires_once_in_its_first_place():
    """The staleness rule is the time: a key moved away and back fires once, where it first stood."""
    schedule = Schedule()
    schedule.set("a", 1.0)
    schedule.set("b", 1.0)
    schedule.set("a", 2.0)
    schedule.set("a", 1.0)
    assert schedule.pop_due(5.0) == ["a", "b"]


def test_cancel_and_none():
    """cancel, or setting None, drops a key; cancelling an unknown key does nothing."""
    schedule = Schedule()
    schedule.set("a", 1.0)
    schedule.set("b", 1.0)
    schedule.cancel("a")
    schedule.set("b", None)
    schedule.cancel("nobody")
    assert len(schedule) == 0 and schedule.pop_due(9.0) == []


def test_wake_only_brings_a_key_forward():
    """wake schedules an unscheduled key, brings a later one forward, and leaves a sooner one."""
    schedule = Schedule()
    schedule.wake("new", 4.0)
    schedule.set("late", 9.0)
    schedule.wake("late", 4.0)
    schedule.set("soon", 1.0)
    schedule.wake("soon", 4.0)
    assert [schedule.when(k) for k in ("new", "late", "soon")] == [4.0, 4.0, 1.0]


def test_keys_moved_in_a_loop_leave_nothing_behind():
    """Stale entries are dropped once they are half the heap: 1,000 moves leave a small heap."""
    schedule = Schedule()
    schedule.set("stays", 100.0)
    for n in range(1000):
        schedule.set("moves", float(n))
        schedule.cancel(("other", n % 3))
        schedule.set(("other", n % 3), 50.0 + n)
    assert len(schedule._heap) <= 2 * len(schedule) + 2
    assert schedule.pop_due(1e9) == ["stays", "moves", ("other", 1), ("other", 2), ("other", 0)]
    assert schedule._heap == []


def test_unknown_tie_rule_is_refused():
    """Only the two tie rules exist."""
    with pytest.raises(ValueError):
        Schedule(ties="random")
