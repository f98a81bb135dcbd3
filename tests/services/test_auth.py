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
