"""AuthService: password hashing in a bounded pool of its own."""

import os
import threading
import time

import pytest_twisted
from argon2 import PasswordHasher
from twisted.internet import defer

from rpg.config import Tunables
from rpg.models import CharacterState
from rpg.services.auth import AuthService, hashing_threads
from rpg.store.memory import MemoryPlayerStore


class CountingHasher:
    """A slow hasher that records how many hashes ran at once, and on which threads."""

    def __init__(self, seconds=0.05):
        self.seconds = seconds
        self.real = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        self.lock = threading.Lock()
        self.running = self.most = 0
        self.threads = set()
        self.niceness = set()

    def hash(self, password):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
            self.niceness.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return self.real.hash(password)

    def verify(self, password_hash, password):
        return self.real.verify(password_hash, password)


def character():
    return CharacterState(player_id=0, username="", map_id="m", x=0, y=0)


def service(threads, hasher):
    auth = AuthService(MemoryPlayerStore(), "a-secret-of-thirty-two-bytes-long",
                       Tunables(password_hash_threads=threads), character, hasher=hasher)
    auth.startService()
    return auth


def test_hashing_threads_default_leaves_a_core_to_the_reactor():
    assert hashing_threads(Tunables(), cores=8) == 7
    assert hashing_threads(Tunables(), cores=2) == 1
    assert hashing_threads(Tunables(), cores=1) == 1
    assert hashing_threads(Tunables(password_hash_threads=3), cores=2) == 3


@pytest_twisted.ensureDeferred
async def test_a_burst_of_registrations_hashes_one_at_a_time_with_one_thread():
    hasher = CountingHasher()
    auth = service(1, hasher)
    try:
        accounts = await defer.gatherResults(
            [auth.register(f"burst_{n}", "password123") for n in range(6)], consumeErrors=True)
    finally:
        auth.stopService()
    assert sorted(a.username for a in accounts) == [f"burst_{n}" for n in range(6)]
    assert hasher.most == 1
    # below the reactor thread (Linux nice values are per thread)
    reactor_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert hasher.niceness == {max(10, reactor_niceness)}
    assert hasher.threads and all("rpg-password-hashing" in name for name in hasher.threads)


@pytest_twisted.ensureDeferred
async def test_the_pool_bounds_concurrent_hashes_and_logins_still_verify():
    hasher = CountingHasher()
    auth = service(2, hasher)
    try:
        await defer.gatherResults(
            [auth.register(f"pair_{n}", "password123") for n in range(6)], consumeErrors=True)
        token, _ = await auth.login("pair_3", "password123", "127.0.0.1")
    finally:
        auth.stopService()
    assert 1 <= hasher.most <= 2
    assert auth.check_token(token).username == "pair_3"


# -- tokens: claims, the server's lifetime cap, versions


SECRET = "a-secret-of-thirty-two-bytes-long"


def token_service(ttl=3600):
    from twisted.internet.task import Clock
    clock = Clock()
    clock.advance(1_000_000)
    store = MemoryPlayerStore(clock=clock)
    auth = AuthService(store, SECRET, Tunables(token_ttl_s=ttl), character, clock=clock,
                       run_in_thread=lambda f, *a: defer.succeed(f(*a)))
    return auth, store, clock


def mint(clock, **claims):
    import jwt
    now = int(clock.seconds())
    return jwt.encode({"sub": "Alice", "iat": now, "exp": now + 60, **claims}, SECRET,
                      algorithm="HS256")


def test_issued_tokens_carry_player_id_version_and_issuer():
    """A token names the username (sub), the player id (pid), the version (ver) and iss."""
    from rpg.models import Account
    auth, _, _ = token_service()
    claims = auth.check_token(auth.issue_token(Account(7, "Alice", "h", token_version=3)))
    assert (claims.username, claims.player_id, claims.version) == ("Alice", 7, 3)


def test_lifetime_is_capped_at_token_ttl_after_iat():
    """Whatever exp says, a token is expired token_ttl_s after its iat."""
    import pytest

    from rpg.errors import ExpiredToken
    auth, _, clock = token_service(ttl=100)
    token = mint(clock, exp=253402300799)
    auth.check_token(token)
    clock.advance(99)
    auth.check_token(token)
    clock.advance(1)
    with pytest.raises(ExpiredToken):
        auth.check_token(token)


def test_foreign_or_malformed_claims_are_refused():
    """Another issuer or audience, an iat in the future, or a pid/ver of the wrong type is refused."""
    import pytest

    from rpg.errors import AuthenticationFailed
    auth, _, clock = token_service()
    for claims in ({"iss": "someone-else"}, {"aud": "another-service"},
                   {"iat": int(clock.seconds()) + 3600}, {"pid": "7"}, {"ver": 1.5},
                   {"ver": True}):
        with pytest.raises(AuthenticationFailed):
            auth.check_token(mint(clock, **claims))
    assert auth.check_token(mint(clock, iss="rpg", aud="rpg-game")).version == 0


@pytest_twisted.ensureDeferred
async def test_a_bumped_version_revokes_earlier_tokens():
    """After the account's token version is bumped, older tokens are refused (revoked_token)."""
    import pytest

    from rpg.errors import AuthenticationFailed
    auth, store, clock = token_service()
    await store.create_account("Alice", "h", character())
    token = mint(clock)
    assert (await auth.account_for_token(token)).username == "Alice"
    await store.change_account("alice", bump_token=True)
    with pytest.raises(AuthenticationFailed) as refused:
        await auth.account_for_token(token)
    assert refused.value.details == {"reason": "revoked_token"}
    assert (await auth.account_for_token(mint(clock, ver=1))).token_version == 1
    with pytest.raises(AuthenticationFailed):
        await auth.account_for_token(mint(clock, ver=1, pid=99))


def test_a_token_without_iat_is_capped_by_its_exp():
    """A token without iat is accepted until its exp, expired at exp (EXPIRED, not FAILED),
    and refused when its exp lies further ahead than token_ttl_s (the cap needs no iat)."""
    import jwt
    import pytest

    from rpg.errors import AuthenticationFailed, ExpiredToken
    auth, _, clock = token_service(ttl=100)
    now = int(clock.seconds())

    def without_iat(exp):
        return jwt.encode({"sub": "Alice", "exp": exp}, SECRET, algorithm="HS256")
    token = without_iat(now + 100)
    assert auth.check_token(token).username == "Alice"
    clock.advance(100)
    with pytest.raises(ExpiredToken):
        auth.check_token(token)
    with pytest.raises(ExpiredToken):
        auth.check_token(without_iat(now - 5))
    with pytest.raises(AuthenticationFailed):
        auth.check_token(without_iat(int(clock.seconds()) + 100 + 61))
    with pytest.raises(AuthenticationFailed):
        auth.check_token(mint(clock, iat=None))
