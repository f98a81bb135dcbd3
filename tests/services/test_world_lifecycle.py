"""WorldService's lifecycle: its loops start with the service and stop with it."""

from twisted.internet import task

from rpg.config import Tunables
from rpg.services.world import WorldService


def test_stopping_the_service_stops_its_loops():
    """After stopService no tick, snapshot or heartbeat is left on the clock."""
    clock = task.Clock()
    service = WorldService(world=None, persistence=None, tunables=Tunables(), clock=clock)
    service.startService()
    assert len(clock.getDelayedCalls()) == 3
    service.stopService()
    assert (clock.getDelayedCalls(), service.running) == ([], 0)
