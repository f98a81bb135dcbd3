"""OperatorActions: rpg-admin's queued orders, polled on a task.Clock."""

from twisted.internet.task import Clock

from rpg.models import CharacterState
from rpg.services.operators import OperatorActions
from rpg.store.memory import MemoryPlayerStore


def setup(perform):
    clock = Clock()
    store = MemoryPlayerStore(clock=clock)
    store.create_account("Alice", "hash", CharacterState(0, "", "town", 1, 1))
    store.mark_online([1], "server-a", 3600)
    service = OperatorActions(store, perform, 1.0, clock)
    return clock, store, service


def test_orders_are_performed_once_and_older_ones_never():
    """Orders queued before start are skipped; each later one is performed once, at the next poll."""
    done = []
    clock, store, service = setup(done.append)
    store.change_account("alice", action="kick", reason="before start")
    service.startService()
    store.change_account("alice", action="kick", reason="now")
    assert done == []
    clock.pump([0.5] * 2)
    assert [a.reason for a in done] == ["now"]
    clock.pump([1.0] * 3)
    assert [a.reason for a in done] == ["now"]
    service.stopService()


def test_a_failing_order_does_not_stop_the_polling():
    """An order whose performing raises is logged; later orders are still performed."""
    done = []

    def perform(action):
        if action.reason == "bad":
            raise RuntimeError("boom")
        done.append(action.reason)

    clock, store, service = setup(perform)
    service.startService()
    store.change_account("alice", action="kick", reason="bad")
    clock.advance(1.0)
    store.change_account("alice", action="kick", reason="good")
    clock.advance(1.0)
    assert done == ["good"]
    service.stopService()
