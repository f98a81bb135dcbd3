"""
The contract every IMapLeases keeps, run against MemoryMapLeases and
ValkeyMapLeases (Valkey from C{RPG_TEST_VALKEY_URL}, in a namespace of its
own, as in C{test_presence_contract}).
"""

import pytest
import pytest_twisted
from twisted.internet import reactor, task
from zope.interface.verify import verifyObject

from rpg.interfaces import IMapLeases
from rpg.models import MapLease
from rpg.store.leases import MemoryMapLeases

from .test_presence_contract import close_lab, open_lab

TTL = 5.0
SHORT_TTL = 0.2


@pytest.fixture(params=["memory", "valkey"])
def leases(request):
    """Each IMapLeases implementation in turn, with no lease."""
    if request.param == "memory":
        yield MemoryMapLeases(clock=reactor)
        return
    lab = open_lab()
    yield lab.admin.leases
    close_lab(lab)


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


def test_provides_interface(leases):
    """The implementation provides IMapLeases."""
    assert verifyObject(IMapLeases, leases)


@pytest_twisted.ensureDeferred
async def test_first_acquire_gets_epoch_one(leases):
    """The first lease of a map has epoch 1 and names its server and address."""
    lease = await leases.acquire("town", "server-a", "tcp:10.0.0.1:7001", TTL)
    assert lease == MapLease("town", "server-a", 1, "tcp:10.0.0.1:7001")
    assert await leases.owner("town") == lease


@pytest_twisted.ensureDeferred
async def test_a_live_lease_cannot_be_taken(leases):
    """While a lease lives, no server (not even its own) acquires the map again."""
    held = await leases.acquire("town", "server-a", "a", TTL)
    assert await leases.acquire("town", "server-b", "b", TTL) is None
    assert await leases.acquire("town", "server-a", "a", TTL) is None
    assert await leases.owner("town") == held


@pytest_twisted.ensureDeferred
async def test_maps_are_leased_independently(leases):
    """Each map has its own lease and its own epochs."""
    town = await leases.acquire("town", "server-a", "a", TTL)
    forest = await leases.acquire("forest", "server-b", "b", TTL)
    assert (town.epoch, forest.epoch) == (1, 1)
    assert await leases.owners() == {"town": town, "forest": forest}


@pytest_twisted.ensureDeferred
async def test_expired_lease_goes_to_the_next_owner_with_a_larger_epoch(leases):
    """A lease not renewed expires; the next owner's epoch is larger and the old one cannot renew."""
    old = await leases.acquire("town", "server-a", "a", SHORT_TTL)
    await sleep(SHORT_TTL + 0.15)
    assert await leases.owner("town") is None
    new = await leases.acquire("town", "server-b", "b", TTL)
    assert new.epoch > old.epoch
    assert await leases.renew(old, TTL) is False
    assert await leases.release(old) is False
    assert await leases.owner("town") == new


@pytest_twisted.ensureDeferred
async def test_renew_keeps_the_lease_past_its_first_ttl(leases):
    """Renewing before expiry keeps the lease alive beyond the original TTL."""
    lease = await leases.acquire("town", "server-a", "a", SHORT_TTL)
    for _ in range(3):
        await sleep(SHORT_TTL / 2)
        assert await leases.renew(lease, SHORT_TTL) is True
    assert await leases.owner("town") == lease


@pytest_twisted.ensureDeferred
async def test_release_frees_the_map_and_epochs_keep_growing(leases):
    """A released map can be acquired at once, with the next epoch."""
    first = await leases.acquire("town", "server-a", "a", TTL)
    assert await leases.release(first) is True
    assert await leases.owner("town") is None
    assert await leases.owners() == {}
    second = await leases.acquire("town", "server-a", "a", TTL)
    assert second.epoch == first.epoch + 1
    assert await leases.renew(first, TTL) is False


@pytest_twisted.ensureDeferred
async def test_another_servers_lease_with_the_same_epoch_is_not_ours(leases):
    """Renew and release check the server as well as the epoch."""
    held = await leases.acquire("town", "server-a", "a", TTL)
    impostor = MapLease("town", "server-b", held.epoch, "b")
    assert await leases.renew(impostor, TTL) is False
    assert await leases.release(impostor) is False
    assert await leases.owner("town") == held


@pytest_twisted.ensureDeferred
async def test_unknown_map_has_no_owner(leases):
    """A map never leased has no owner."""
    assert await leases.owner("nowhere") is None
