"""
The contract every IPresence keeps, run against MemoryPresence and
ValkeyPresence.

Valkey comes from C{RPG_TEST_VALKEY_URL} (e.g. redis://127.0.0.1:6379/0).
Without it the Valkey cases are skipped, unless C{RPG_REQUIRE_SERVICES=1},
which turns a missing or unreachable Valkey into a failure.  Each test works
in its own namespace and deletes its keys afterwards; nothing else on the
server is touched.

The Valkey helpers here (C{valkey_lab}, C{wait_until}) are reused by
C{test_bus_contract}.
"""

import os
import socket
import uuid

import pytest
import pytest_twisted
from twisted.internet import reactor, task
from twisted.internet.defer import Deferred
from zope.interface.verify import verifyObject

from rpg.interfaces import IPresence
from rpg.models import PresenceEntry
from rpg.store.presence import MemoryPresence
from rpg.store.valkey import connect_valkey
from rpg.store.valkey_link import ValkeyUnavailable, parse_valkey_url

VALKEY_ENV = "RPG_TEST_VALKEY_URL"
REQUIRE_ENV = "RPG_REQUIRE_SERVICES"
DEADLINE_S = 10.0


def skip_or_fail(reason):
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}")
    pytest.skip(reason)


def valkey_url():
    """The test Valkey URL, checked to answer PING; skips or fails otherwise."""
    url = os.environ.get(VALKEY_ENV)
    if not url:
        skip_or_fail(f"Valkey tests need {VALKEY_ENV} (e.g. redis://127.0.0.1:6379/0)")
    address = parse_valkey_url(url)
    try:
        with socket.create_connection((address.host, address.port), timeout=5) as s:
            s.sendall(b"PING\r\n")
            s.recv(64)
    except OSError as exc:
        skip_or_fail(f"Valkey at {VALKEY_ENV}={url} is unreachable: {exc}")
    return url


async def wait_until(predicate, deadline_s=DEADLINE_S, step_s=0.02):
    """
    Poll C{await predicate()} (or a plain value) on the real reactor until
    it is true; fail after C{deadline_s}.
    """
    waited = 0.0
    while True:
        value = predicate()
        if hasattr(value, "__await__") or hasattr(value, "addCallback"):
            value = await value
        if value:
            return value
        if waited >= deadline_s:
            pytest.fail(f"condition not met within {deadline_s} s")
        await task.deferLater(reactor, step_s, lambda: None)
        waited += step_s


class ValkeyLab:
    """Connections to the test Valkey, all in one fresh namespace."""

    def __init__(self, url):
        self.url = url
        self.namespace = f"rpgtest-{uuid.uuid4().hex}"
        self.opened = []
        self.admin = None

    async def open(self, **kwargs):
        """A new connection ("process") in this lab's namespace."""
        conn = await connect_valkey(self.url, namespace=self.namespace, **kwargs)
        self.opened.append(conn)
        return conn

    async def cleanup(self):
        cursor = b"0"
        while True:
            cursor, keys = await self.admin.execute(
                "SCAN", cursor, "MATCH", f"{self.namespace}:*", "COUNT", 1000)
            if keys:
                await self.admin.execute("DEL", *keys)
            if cursor in (b"0", 0):
                break
        for conn in self.opened:
            await conn.close()


def open_lab():
    """A L{ValkeyLab} with its admin connection open (skips without Valkey)."""
    lab = ValkeyLab(valkey_url())
    lab.admin = pytest_twisted.blockon(Deferred.fromCoroutine(lab.open()))
    return lab


def close_lab(lab):
    pytest_twisted.blockon(Deferred.fromCoroutine(lab.cleanup()))


@pytest.fixture
def valkey_lab():
    """Connections to the test Valkey in a fresh namespace, cleaned up after."""
    lab = open_lab()
    yield lab
    close_lab(lab)


@pytest.fixture(params=["memory", "valkey"])
def presence(request):
    """Each IPresence implementation in turn, empty."""
    if request.param == "memory":
        yield MemoryPresence()
        return
    lab = open_lab()
    yield lab.admin.presence
    close_lab(lab)


def entry(username="Alice", server_id="server-1", connection_id="conn-1", player_id=7):
    return PresenceEntry(player_id=player_id, username=username,
                         server_id=server_id, connection_id=connection_id)


# -- the contract, for every implementation

def test_provides_interface(presence):
    """The implementation provides IPresence."""
    assert verifyObject(IPresence, presence)


@pytest_twisted.ensureDeferred
async def test_first_claim_returns_none(presence):
    """Claiming for a player with no presence fires with None."""
    assert await presence.claim(entry()) is None


@pytest_twisted.ensureDeferred
async def test_claim_returns_previous_entry(presence):
    """A second claim replaces the first and fires with it."""
    first, second = entry(), entry(server_id="server-2", connection_id="conn-9")
    await presence.claim(first)
    assert await presence.claim(second) == first
    assert await presence.lookup("Alice") == second


@pytest_twisted.ensureDeferred
async def test_claim_is_case_insensitive(presence):
    """A claim under another spelling of the username replaces the entry."""
    first = entry(username="Alice")
    await presence.claim(first)
    assert await presence.claim(entry(username="ALICE", connection_id="conn-2")) == first


@pytest_twisted.ensureDeferred
async def test_lookup_is_case_insensitive(presence):
    """Lookup finds the entry whatever the case of the username asked for."""
    await presence.claim(entry(username="Alice"))
    assert await presence.lookup("aLiCe") == entry(username="Alice")


@pytest_twisted.ensureDeferred
async def test_lookup_unknown_is_none(presence):
    """Lookup of a player with no presence fires with None."""
    assert await presence.lookup("nobody") is None


@pytest_twisted.ensureDeferred
async def test_release_removes_own_entry(presence):
    """Releasing the current entry removes it and fires with True."""
    await presence.claim(entry())
    assert await presence.release(entry()) is True
    assert await presence.lookup("Alice") is None


@pytest_twisted.ensureDeferred
async def test_release_leaves_newer_claim(presence):
    """Releasing a replaced entry fires with False and keeps the newer one."""
    old, new = entry(), entry(server_id="server-2", connection_id="conn-2")
    await presence.claim(old)
    await presence.claim(new)
    assert await presence.release(old) is False
    assert await presence.lookup("alice") == new
    assert await presence.count() == 1


@pytest_twisted.ensureDeferred
async def test_release_of_absent_entry_is_harmless(presence):
    """Releasing an entry that is not there fires with False."""
    assert await presence.release(entry()) is False
    assert await presence.count() == 0


@pytest_twisted.ensureDeferred
async def test_count_counts_online_players(presence):
    """Count is the number of players with a presence, each counted once."""
    await presence.claim(entry("Alice"))
    await presence.claim(entry("Bob", player_id=8))
    await presence.claim(entry("BOB", player_id=8, connection_id="conn-3"))
    assert await presence.count() == 2
    await presence.release(entry("Alice"))
    assert await presence.count() == 1


@pytest_twisted.ensureDeferred
async def test_usernames_lists_online_players_as_registered(presence):
    """usernames() lists each online player once, spelled as claimed, sorted."""
    await presence.claim(entry("bob", player_id=8))
    await presence.claim(entry("Alice"))
    await presence.claim(entry("Carol", player_id=9))
    await presence.release(entry("Carol", player_id=9))
    assert await presence.usernames() == ["Alice", "bob"]


@pytest_twisted.ensureDeferred
async def test_usernames_empty(presence):
    """usernames() of nobody online is an empty list."""
    assert await presence.usernames() == []


@pytest_twisted.ensureDeferred
async def test_refresh_keeps_entries(presence):
    """Refreshing (also with nothing) leaves the entries in place."""
    await presence.claim(entry())
    assert await presence.refresh([entry()]) is None
    assert await presence.refresh([]) is None
    assert await presence.lookup("Alice") == entry()


@pytest_twisted.ensureDeferred
async def test_refresh_does_not_restore_replaced_entry(presence):
    """Refreshing a replaced entry leaves the newer claim in place."""
    old, new = entry(), entry(server_id="server-2")
    await presence.claim(old)
    await presence.claim(new)
    await presence.refresh([old])
    assert await presence.lookup("Alice") == new


# -- Valkey only

@pytest_twisted.ensureDeferred
async def test_valkey_entry_expires_without_refresh(valkey_lab):
    """A Valkey entry not refreshed within its TTL disappears, and from count."""
    conn = await valkey_lab.open(presence_ttl_s=0.5)
    await conn.presence.claim(entry())
    assert await conn.presence.count() == 1

    async def gone():
        return (await conn.presence.lookup("Alice") is None
                and await conn.presence.count() == 0)
    await wait_until(gone)
    assert await conn.presence.usernames() == []
    assert await conn.presence.release(entry()) is False


@pytest_twisted.ensureDeferred
async def test_valkey_refresh_extends_ttl(valkey_lab):
    """Refreshing a Valkey entry resets its TTL to the full length."""
    conn = await valkey_lab.open(presence_ttl_s=30)
    await conn.presence.claim(entry())
    key = f"{valkey_lab.namespace}:presence:alice"
    await conn.execute("PEXPIRE", key, 1000)
    await conn.presence.refresh([entry()])
    assert await conn.execute("PTTL", key) > 25000


@pytest_twisted.ensureDeferred
async def test_valkey_presence_shared_between_processes(valkey_lab):
    """A claim made by one process is seen and replaced by another."""
    one, two = await valkey_lab.open(), await valkey_lab.open()
    await one.presence.claim(entry())
    assert await two.presence.lookup("alice") == entry()
    assert await two.presence.claim(entry(server_id="server-2")) == entry()


@pytest_twisted.ensureDeferred
async def test_valkey_presence_fails_when_disconnected(valkey_lab):
    """Presence calls on a closed connection fail with ValkeyUnavailable."""
    conn = await valkey_lab.open()
    await conn.close()
    with pytest.raises(ValkeyUnavailable):
        await conn.presence.lookup("Alice")


@pytest_twisted.ensureDeferred
async def test_valkey_unreachable_fails_to_connect():
    """Connecting to a port where nothing listens fails with ValkeyUnavailable."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ValkeyUnavailable, match="cannot connect"):
        await connect_valkey(f"redis://127.0.0.1:{port}/0")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/0", "redis://", "redis://host:notaport/0",
    "redis://host:6379/zero", "127.0.0.1:6379",
])
def test_bad_url_raises_value_error(url):
    """A URL that is not redis:// or valkey:// host[:port][/db] raises ValueError."""
    with pytest.raises(ValueError, match="bad Valkey URL") as info:
        connect_valkey(url)
    assert "\n" not in str(info.value)


def test_url_forms_parse():
    """Both schemes parse into host, port, database and credentials."""
    assert parse_valkey_url("valkey://h:7000/3").port == 7000
    address = parse_valkey_url("redis://user:p%40ss@h/2")
    assert (address.host, address.port, address.db) == ("h", 6379, 2)
    assert (address.username, address.password) == ("user", "p@ss")


@pytest.mark.parametrize("url", [
    "redis://alice:hunter2secret@host:notaport/0", "http://alice:hunter2secret@host/0",
    "redis://:hunter2secret@host:6379/zero", "redis://alice:hunter2secret@host/0?tls=1",
])
def test_bad_url_never_echoes_the_password(url):
    """A malformed URL's error names the URL with its password replaced by ***."""
    with pytest.raises(ValueError, match="bad Valkey URL") as info:
        parse_valkey_url(url)
    assert "hunter2secret" not in str(info.value) and "***" in str(info.value)


def test_tls_urls_and_addresses_without_password():
    """rediss:// and valkeys:// ask for TLS; an address is shown without its password."""
    assert parse_valkey_url("rediss://h:6380/1").tls is True
    assert parse_valkey_url("valkeys://h/1").tls is True
    assert parse_valkey_url("redis://h/1").tls is False
    address = parse_valkey_url("rediss://user:hunter2secret@h:6380/1")
    assert "hunter2secret" not in str(address) + repr(address)
    assert str(address) == "rediss://h:6380/1"


@pytest_twisted.ensureDeferred
async def test_rediss_speaks_tls():
    """rediss:// to a Valkey that speaks plain TCP fails at the TLS handshake: TLS is used."""
    address = parse_valkey_url(valkey_url())
    url = f"rediss://{address.host}:{address.port}/{address.db}"
    with pytest.raises(ValkeyUnavailable, match="cannot connect"):
        await connect_valkey(url, connect_timeout_s=5.0)
