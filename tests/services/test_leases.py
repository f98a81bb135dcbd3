"""
The lease keeper on task.Clock with the shipped in-memory lease store: maps
claimed at start-up, kept by renewals, given up when a renewal fails for a
lease time or another process owns the map, orphans adopted after a grace;
each renewal's outcome and the maps held, in the metrics.
"""

from twisted.internet import defer, task

from rpg.services.leases import LeaseKeeper
from rpg.services.metrics import Metrics
from rpg.store.leases import MemoryMapLeases
from tests.services.test_metrics import value

TTL = 15.0


class Recorder:
    def __init__(self):
        self.acquired, self.lost = [], []


class FlakyLeases:
    """Wraps a lease store; renewals fail while C{down}."""

    def __init__(self, inner):
        self.inner, self.down = inner, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def renew(self, lease, ttl_s):
        if self.down:
            return defer.fail(ConnectionError("Valkey is away"))
        return self.inner.renew(lease, ttl_s)


def keeper(store, clock, own_maps, server_id="a", maps=("town", "forest", "cellar"), **kw):
    seen = Recorder()
    k = LeaseKeeper(store, server_id, f"tcp:{server_id}", maps, own_maps, clock, ttl_s=TTL,
                    acquired=seen.acquired.append, lost=seen.lost.append, **kw)
    k.startService()
    return k, seen


def test_own_maps_are_claimed_at_start_and_kept_by_renewals():
    """--own-maps are held at once, and still held long after one lease time."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)
    k, seen = keeper(store, clock, ["town"], adopt_after_s=None)
    assert [lease.map_id for lease in seen.acquired] == ["town"]
    clock.pump([1.0] * 100)
    assert k.holds("town")
    assert seen.lost == []
    assert store.owner("town").result == k.leases["town"]


def test_a_map_held_elsewhere_is_not_claimed():
    """A map another live process holds stays with it."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)
    first, _ = keeper(store, clock, ["town"], server_id="a", adopt_after_s=None)
    second, seen = keeper(store, clock, ["town"], server_id="b", adopt_after_s=None)
    assert seen.acquired == [] and not second.holds("town")
    clock.pump([1.0] * 60)
    assert first.holds("town") and not second.holds("town")


def test_failed_renewals_give_the_map_up_within_one_lease_time():
    """With renewals failing, the keeper stops trusting the map by the time the store lets it expire."""
    clock = task.Clock()
    store = FlakyLeases(MemoryMapLeases(clock))
    k, seen = keeper(store, clock, ["town"], adopt_after_s=None)
    clock.pump([1.0] * 7)  # renewed at 5 s: valid until 20 s
    store.down = True
    clock.pump([1.0] * 12)  # 19 s
    assert k.holds("town")
    clock.advance(1.0)  # 20 s
    assert not k.holds("town")
    assert [lease.map_id for lease in seen.lost] == ["town"]


def test_a_stalled_keeper_loses_the_map_to_a_newer_owner():
    """After its lease expired and another process took the map, the old owner's renewal says lost."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)
    old_clock = task.Clock()  # the old owner's loop is stalled: its clock does not move
    old, seen = keeper(store, old_clock, ["town"], server_id="a", adopt_after_s=None)
    clock.advance(TTL)
    new, _ = keeper(store, clock, ["town"], server_id="b", adopt_after_s=None)
    assert new.leases["town"].epoch == old.leases["town"].epoch + 1
    old_clock.advance(TTL / 3)  # it resumes; its first renewal is refused
    assert "town" not in old.leases
    assert [lease.epoch for lease in seen.lost] == [1]


def test_orphan_maps_are_adopted_after_the_grace():
    """Maps nobody serves are claimed once seen unowned for adopt_after_s."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)
    k, seen = keeper(store, clock, ["town"], adopt_after_s=10.0)
    clock.pump([1.0] * 5)  # first round at 5 s: forest and cellar seen unowned
    assert sorted(k.leases) == ["town"]
    clock.pump([1.0] * 10)  # round at 15 s: 10 s unowned
    assert sorted(k.leases) == ["cellar", "forest", "town"]
    assert sorted(lease.map_id for lease in seen.acquired) == ["cellar", "forest", "town"]


def test_a_map_claimed_during_the_grace_is_not_adopted():
    """A process started with --own-maps within the grace keeps its map."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)
    k, _ = keeper(store, clock, ["town"], server_id="a", adopt_after_s=10.0)
    clock.pump([1.0] * 6)
    late, _ = keeper(store, clock, ["forest"], server_id="b", adopt_after_s=None)
    clock.pump([1.0] * 30)
    assert "forest" not in k.leases and late.holds("forest")
    assert sorted(k.leases) == ["cellar", "town"]


def test_stop_releases_every_lease_for_the_next_owner():
    """Stopping releases the leases at once, so another process can claim them without waiting."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)
    k, seen = keeper(store, clock, ["town", "forest"], adopt_after_s=None)
    d = k.stopService()
    assert d.called
    assert sorted(lease.map_id for lease in seen.lost) == ["forest", "town"]
    assert store.owners().result == {}
    other, _ = keeper(store, clock, ["town"], server_id="b", adopt_after_s=None)
    assert other.holds("town")


def test_a_failing_callback_does_not_stop_the_renewals():
    """An acquired/lost callback that raises is logged; the keeper goes on renewing its other maps."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)

    def broken(lease):
        raise RuntimeError("broken listener")
    k = LeaseKeeper(store, "a", "tcp:a", ["town", "forest"], ["town"], clock, ttl_s=TTL,
                    acquired=broken, adopt_after_s=10.0)
    k.startService()  # claiming town calls the broken listener: logged, not fatal
    clock.pump([1.0] * 60)
    assert k.holds("town") and k._loop.running


def renewals(metrics):
    return {outcome: value(metrics, "rpg_lease_renewals_total", outcome=outcome)
            for outcome in ("renewed", "lost", "failed")}


def test_renewals_are_counted_renewed_and_failed_and_the_maps_owned_shown():
    """Each renewal round counts one outcome per map: renewed, or failed while the store is away."""
    clock = task.Clock()
    store = FlakyLeases(MemoryMapLeases(clock))
    metrics = Metrics()
    k, _ = keeper(store, clock, ["town", "forest"], adopt_after_s=None, metrics=metrics)
    assert value(metrics, "rpg_maps_owned") == 2
    clock.pump([1.0] * 10)  # rounds at 5 s and 10 s
    assert renewals(metrics) == {"renewed": 4, "lost": 0, "failed": 0}
    store.down = True
    clock.pump([1.0] * 5)  # round at 15 s
    assert renewals(metrics) == {"renewed": 4, "lost": 0, "failed": 2}
    assert value(metrics, "rpg_maps_owned") == 2
    clock.pump([1.0] * 10)  # valid until 25 s: given up at the 25 s round
    assert not k.leases and value(metrics, "rpg_maps_owned") == 0


def test_a_renewal_refused_for_another_owner_counts_lost():
    """The stalled owner's refused renewal counts as lost and its maps owned drop to 0."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)
    old_clock = task.Clock()
    metrics = Metrics()
    old, _ = keeper(store, old_clock, ["town"], server_id="a", adopt_after_s=None,
                    metrics=metrics)
    clock.advance(TTL)
    keeper(store, clock, ["town"], server_id="b", adopt_after_s=None)
    old_clock.advance(TTL / 3)
    assert renewals(metrics) == {"renewed": 0, "lost": 1, "failed": 0}
    assert value(metrics, "rpg_maps_owned") == 0


def test_maps_owned_follows_adoption_and_stop():
    """Adopted maps raise rpg_maps_owned; stopping, which releases them all, brings it to 0."""
    clock = task.Clock()
    store = MemoryMapLeases(clock)
    metrics = Metrics()
    k, _ = keeper(store, clock, ["town"], adopt_after_s=10.0, metrics=metrics)
    assert value(metrics, "rpg_maps_owned") == 1
    clock.pump([1.0] * 15)
    assert value(metrics, "rpg_maps_owned") == 3
    k.stopService()
    assert value(metrics, "rpg_maps_owned") == 0
