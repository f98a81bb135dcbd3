"""AuthService against hostile clients: registration throttles, the hashing queue, login throttles."""

import dataclasses

import pytest
from twisted.internet import defer, task
from twisted.trial.unittest import SynchronousTestCase

from rpg.config import Tunables
from rpg.models import CharacterState
from rpg.services.auth import (AuthService, BadCredentials, LoginThrottled,
                               RegistrationThrottled)
from rpg.services.throttles import FailureThrottle, HashingBusy, SlidingWindow
from rpg.store.memory import MemoryPlayerStore

_case = SynchronousTestCase()
result_of, failure_of, no_result = _case.successResultOf, _case.failureResultOf, _case.assertNoResult


class FakeHasher:
    def hash(self, password):
        return "hash:" + password

    def verify(self, password_hash, password):
        return password_hash == "hash:" + password


class HeldJobs:
    """Runs each hashing job only when the test says so, recording the order."""

    def __init__(self):
        self.jobs = []
        self.ran = []

    def __call__(self, f, *args):
        d = defer.Deferred()
        self.jobs.append((d, f, args))
        return d

    def finish_next(self):
        d, f, args = self.jobs.pop(0)
        self.ran.append(args)
        d.callback(f(*args))


def character():
    return CharacterState(player_id=0, username="", map_id="m", x=0, y=0)


def auth_service(run_in_thread=None, **tunables):
    clock = task.Clock()
    run = run_in_thread or (lambda f, *args: defer.succeed(f(*args)))
    auth = AuthService(MemoryPlayerStore(), "a-secret-of-thirty-two-bytes-long",
                       dataclasses.replace(Tunables(password_hash_threads=1), **tunables),
                       character, clock=clock, hasher=FakeHasher(), run_in_thread=run)
    auth.startService()
    return auth, clock


def test_registrations_per_address_are_throttled_then_allowed_again_after_the_window():
    auth, clock = auth_service(registrations_per_address=3, registration_window_s=600.0)
    for n in range(3):
        result_of(auth.register(f"reg_{n}", "password123", "203.0.113.9"))
        clock.advance(10)
    refused = failure_of(auth.register("reg_x", "password123", "203.0.113.9"))
    assert refused.check(RegistrationThrottled)
    assert refused.value.retry_after_s == pytest.approx(600 - 30)
    result_of(auth.register("reg_y", "password123", "198.51.100.1"))  # another address
    clock.advance(600 - 30)
    result_of(auth.register("reg_x", "password123", "203.0.113.9"))


def test_only_registrations_that_reach_hashing_count():
    auth, _ = auth_service(registrations_per_address=2)
    result_of(auth.register("taken_1", "password123", "203.0.113.9"))
    for _ in range(5):
        failure_of(auth.register("taken_1", "password123", "203.0.113.9"))  # 409
        failure_of(auth.register("x", "password123", "203.0.113.9"))        # 400
    result_of(auth.register("taken_2", "password123", "203.0.113.9"))


def test_loopback_is_throttled_per_address_only_when_configured():
    auth, _ = auth_service(registrations_per_address=2)
    for n in range(5):
        result_of(auth.register(f"loop_{n}", "password123", "127.0.0.1"))
    auth, _ = auth_service(registrations_per_address=2, registration_limit_loopback=True)
    for n in range(2):
        result_of(auth.register(f"loop_{n}", "password123", "127.0.0.1"))
    result_of(auth.register("loop_x", "password123", "::1"))  # another address
    assert failure_of(auth.register("loop_y", "password123", "127.0.0.1")).check(
        RegistrationThrottled)


def test_registrations_overall_are_throttled_whatever_the_address():
    auth, _ = auth_service(registrations_overall=3)
    for n in range(3):
        result_of(auth.register(f"all_{n}", "password123", f"192.0.2.{n}"))
    assert failure_of(auth.register("all_x", "password123", "192.0.2.99")).check(
        RegistrationThrottled)


def test_queued_logins_are_hashed_before_queued_registrations():
    jobs = HeldJobs()
    auth, _ = auth_service(run_in_thread=jobs)
    registrations = [auth.register(f"queue_{n}", f"password{n:03d}", "192.0.2.1") for n in range(3)]
    assert len(jobs.jobs) == 1  # one hashing thread: the rest wait
    login = auth.login("nobody", "password123", "192.0.2.2")
    jobs.finish_next()          # the first registration ends...
    jobs.finish_next()          # ...and the login's check runs before the two waiting
    failure_of(login).trap(BadCredentials)
    jobs.finish_next()
    jobs.finish_next()
    assert jobs.ran == [("password000",), (), ("password001",), ("password002",)]
    assert [result_of(d).username for d in registrations] == ["queue_0", "queue_1", "queue_2"]


def test_a_full_queue_refuses_registrations_and_a_login_takes_the_latest_ones_place():
    jobs = HeldJobs()
    auth, _ = auth_service(run_in_thread=jobs, password_queue_max=2)
    running = auth.register("busy_0", "password123", "192.0.2.1")
    waiting = [auth.register(f"busy_{n}", "password123", "192.0.2.1") for n in (1, 2)]
    refused = failure_of(auth.register("busy_3", "password123", "192.0.2.1"))
    assert refused.check(HashingBusy) and refused.value.retry_after_s >= 1
    login = auth.login("busy_0", "password123", "192.0.2.3")
    assert failure_of(waiting[1]).check(HashingBusy)
    no_result(waiting[0])
    for _ in range(3):
        jobs.finish_next()
    result_of(running)
    result_of(waiting[0])
    failure_of(login).trap(BadCredentials)  # busy_0 did not exist yet when it was looked up


def test_failures_from_one_address_never_lock_the_owner_out_from_another():
    auth, _ = auth_service(login_attempts_per_minute=3)
    result_of(auth.register("owner_1", "password123"))
    for _ in range(3):
        failure_of(auth.login("owner_1", "wrong-password", "203.0.113.66")).trap(BadCredentials)
    failure_of(auth.login("owner_1", "password123", "203.0.113.66")).trap(LoginThrottled)
    token, _ = result_of(auth.login("OWNER_1", "password123", "198.51.100.20"))
    assert auth.check_token(token).username == "owner_1"


def test_delays_grow_with_each_further_failure_and_a_success_clears_them():
    auth, clock = auth_service(login_attempts_per_minute=2, login_max_delay_s=200.0)
    result_of(auth.register("prog_1", "password123"))
    address = "203.0.113.7"
    waits = []
    for _ in range(5):
        while True:
            d = auth.login("prog_1", "wrong-password", address)
            f = failure_of(d)
            if f.check(LoginThrottled):
                waits.append(round(f.value.retry_after_s))
                clock.advance(f.value.retry_after_s)
            else:
                break
    assert waits == [60, 120, 200]  # after two free failures: 60 s, doubling, capped
    clock.advance(200)
    result_of(auth.login("prog_1", "password123", address))
    failure_of(auth.login("prog_1", "wrong-password", address)).trap(BadCredentials)
    failure_of(auth.login("prog_1", "wrong-password", address)).trap(BadCredentials)


def test_failed_login_keys_are_small_bounded_in_number_and_swept_when_expired():
    auth, clock = auth_service(login_throttle_max_keys=50, login_failure_memory_s=900.0,
                               login_failures_per_address_per_minute=1000,
                               login_max_delay_s=900.0)
    for n in range(200):
        failure_of(auth.login(f"{n}" + "u" * 16_000, "password123", "203.0.113.1")).trap(
            BadCredentials)
    assert len(auth.failures_by_user) == 50
    assert all(len(digest) == 16 for digest, _ in auth.failures_by_user._keys)
    clock.pump([60.0] * 16)  # the sweep runs every minute; the keys expire after 900 s
    assert len(auth.failures_by_user) == 0 and len(auth.failures_by_address) == 0


def test_the_throttles_sweep_only_what_expired():
    clock = task.Clock()
    throttle = FailureThrottle(clock, free=1, memory_s=100.0, max_delay_s=10.0)
    throttle.record("old")
    clock.advance(60)
    throttle.record("new")
    clock.advance(50)
    throttle.sweep()
    assert len(throttle) == 1 and throttle.retry_after("new") == 0  # 10 s delay long past
    window = SlidingWindow(clock, limit=2, window_s=30.0, max_keys=3)
    for key in "abcd":
        window.record(key)
    assert len(window) == 3  # the oldest key went first
    clock.advance(31)
    window.sweep()
    assert len(window) == 0
