"""
Ownership on task.Clock with the in-memory lease store, bus and database: a
map is served only once its epoch is installed and its ground items are in
the world; a lost lease lets go of the map; maps a stopping process released
are claimed by the others at once.
"""

import dataclasses

from twisted.internet import defer, task

from rpg.config import Tunables
from rpg.services.ownership import Ownership
from rpg.store.leases import MemoryMapLeases
from rpg.store.memory import MemoryPlayerStore
from rpg.store.presence import MemoryBus

MAPS = ("cave", "town")
TUNABLES = dataclasses.replace(Tunables(), map_lease_ttl_s=9.0, map_adopt_after_s=5.0)


def ownership(leases, store, bus, clock, server_id, own_maps):
    o = Ownership(leases, store, server_id, f"tcp:{server_id}", MAPS, own_maps, clock,
                  TUNABLES, bus=bus)
    o.lost_maps = []
    o.lost = o.lost_maps.append
    o.startService()
    return o


def fired(d):
    results = []
    d.addBoth(results.append)
    assert results, "the Deferred has not fired"
    return results[0]


def parts():
    clock = task.Clock()
    return MemoryMapLeases(clock), MemoryPlayerStore(clock=clock), MemoryBus(), clock


def test_maps_are_served_once_installed_and_loaded():
    leases, store, bus, clock = parts()
    loading = defer.Deferred()
    a = ownership(leases, store, bus, clock, "a", ["town"])
    fired(defer.ensureDeferred(a.start()))
    assert a.serving == {"town": 1} and a.held("town") and not a.held("cave")
    assert fired(store.map_epochs(["town"])) == {"town": 1}
    # A map adopted later counts as served only once its ground items are in.
    a.served = lambda map_id: loading
    clock.advance(3.0)  # first round: cave seen without an owner
    clock.advance(6.0)  # past the grace: adopted, installing, loading
    assert "cave" in a.keeper.leases and not a.held("cave")
    assert a.epochs() == {"town": 1}
    loading.callback(None)
    assert a.held("cave") and a.epochs() == {"town": 1, "cave": 1}


def test_a_map_lost_to_another_owner_is_let_go():
    leases, store, bus, clock = parts()
    a = ownership(leases, store, bus, clock, "a", list(MAPS))
    fired(defer.ensureDeferred(a.start()))
    # Another process wins town after a's lease ran out (a was stalled).
    lease = a.keeper.leases["town"]
    fired(leases.release(lease))
    fired(leases.acquire("town", "b", "tcp:b", 9.0))
    clock.advance(3.0)  # a's renewal finds another owner
    assert a.lost_maps == ["town"] and not a.held("town") and a.held("cave")
    assert a.epochs() == {"cave": 1}


def test_epochs_asked_after_a_stall_let_go_of_every_lapsed_map_without_failing():
    """Woken after a stall (SIGSTOP): the first write's epochs() finds both leases lapsed,
    lets go of each map as it looks, and answers none."""
    leases, store, bus, clock = parts()
    a = ownership(leases, store, bus, clock, "a", list(MAPS))
    fired(defer.ensureDeferred(a.start()))
    a.keeper._loop.stop()   # stalled: no renewal runs
    clock.advance(20.0)
    assert a.epochs() == {}
    assert sorted(a.lost_maps) == sorted(MAPS) and a.serving == {}


def test_maps_released_at_stop_are_claimed_by_the_others_at_once():
    leases, store, bus, clock = parts()
    a = ownership(leases, store, bus, clock, "a", list(MAPS))
    fired(defer.ensureDeferred(a.start()))
    b = ownership(leases, store, bus, clock, "b", [])
    fired(defer.ensureDeferred(b.start()))
    assert b.serving == {}
    fired(a.stopService())
    # No clock advance: b claims on a's word, not after map_adopt_after_s.
    assert sorted(b.serving) == ["cave", "town"]
    assert b.epochs() == {"cave": 2, "town": 2}
    assert a.serving == {}


def test_owners_of_maps_and_processes_are_read_from_the_leases():
    leases, store, bus, clock = parts()
    a = ownership(leases, store, bus, clock, "a", ["town"])
    fired(defer.ensureDeferred(a.start()))
    assert fired(a.owner_of("town")).server_id == "a"
    assert fired(a.owner_of("cave")) is None
    assert fired(defer.ensureDeferred(a.serves_any("a")))
    assert not fired(defer.ensureDeferred(a.serves_any("b")))
