"""
Accounts and tokens: registration, login with throttling, JWT issue and check.
"""

import os
import re
import secrets
import threading
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from twisted.application.service import Service
from twisted.internet import defer, task, threads
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from rpg.addresses import address_key, is_loopback
from rpg.errors import AuthenticationFailed, ExpiredToken
from rpg.interfaces import UsernameTaken
from rpg.services.throttles import (LOGIN, REGISTRATION, FailureThrottle, HashingQueue,
                                    SlidingWindow, username_key)

USERNAME_RE = re.compile(r"[A-Za-z0-9_]{3,20}")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
# A hash to verify against when the username is unknown, so that a login
# takes as long for a missing account as for a wrong password.
_DUMMY_PASSWORD = "not-a-real-password"


HASHING_NICENESS = 10


def lower_this_thread(niceness=HASHING_NICENESS):
    """
    Lower the calling thread's CPU priority (Linux schedules threads one by
    one): when the cores are busy the reactor thread comes first, and hashing
    takes what is left.  Elsewhere, or when refused, nothing changes.
    """
    try:
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        if current < niceness:
            os.setpriority(os.PRIO_PROCESS, thread, niceness)
    except (AttributeError, OSError):
        pass


def _at_low_priority(f, *args):
    lower_this_thread()
    return f(*args)


def hashing_threads(tunables, cores=None):
    """Threads for password hashing: the tunable, or (0) one fewer than the cores, at least one."""
    if tunables.password_hash_threads:
        return tunables.password_hash_threads
    return max(1, (cores or os.cpu_count() or 1) - 1)


class RegistrationError(Exception):
    """A registration refused; C{code} is the HTTP error code, C{status} the HTTP status."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class LoginThrottled(Exception):
    def __init__(self, retry_after_s):
        super().__init__("Too many login attempts")
        self.retry_after_s = retry_after_s


class RegistrationThrottled(Exception):
    """Too many registrations from this address, or from everyone, in the window."""

    def __init__(self, retry_after_s):
        super().__init__("Too many registrations")
        self.retry_after_s = retry_after_s


class BadCredentials(Exception):
    pass


class AccountBanned(Exception):
    """The password was right, but the account is banned: no token."""


class PasswordRefused(Exception):
    """A new password that breaks the length rule; the message says why."""


# What every token names as its issuer (and, when it names one, its
# audience): a token signed with the same secret by some other issuer, or for
# another audience, is refused.  Tokens are issued without C{aud}: with one,
# a plain C{jwt.decode(token, secret, algorithms=["HS256"])} (as clients and
# the protocol's own test suites decode them) fails with "Invalid audience".
TOKEN_ISSUER = "rpg"
TOKEN_AUDIENCE = "rpg-game"
# A token issued more than this far in the future of the server's clock is refused.
TOKEN_CLOCK_SKEW_S = 60


@dataclass(frozen=True)
class TokenClaims:
    """
    What a valid token says.  C{player_id} is C{None} in a token that does
    not carry one (minted by a tool holding the secret); C{version} is then
    0, so any revocation of the account refuses it too.
    """

    username: str
    player_id: object
    version: int


class AuthService(Service):
    """
    Owns password hashing (off the reactor thread), login throttling and
    tokens.  C{new_character} builds the first character of a new account.
    """

    log = Logger()

    def __init__(self, store, secret, tunables, new_character, clock=None,
                 hasher=None, run_in_thread=None):
        from twisted.internet import reactor
        self.store = store
        self.secret = secret
        self.token_ttl = tunables.token_ttl_s
        self.new_character = new_character
        self.clock = clock or reactor
        self.hasher = hasher or PasswordHasher()
        # Each hash is about 0.1 s of CPU.  In a pool of their own, sized to
        # leave a core to the reactor and at a lower priority than it, a flood
        # of registrations or logins waits in a queue instead of taking the
        # cores from the tick.
        self._pool = None
        if run_in_thread is None:
            self._pool = ThreadPool(minthreads=0, maxthreads=hashing_threads(tunables),
                                    name="rpg-password-hashing")

            def run_in_thread(f, *args):
                return threads.deferToThreadPool(reactor, self._pool, _at_low_priority, f, *args)
        self.hashing = HashingQueue(run_in_thread, hashing_threads(tunables),
                                    tunables.password_queue_max, self.clock)
        # The per-username throttle is keyed by username *and* address, so
        # that failures from one address never lock the owner out from
        # another; its delays grow with each failure.  Keys are fixed-size
        # digests, at most login_throttle_max_keys of them, swept on a timer.
        max_keys = tunables.login_throttle_max_keys
        self.failures_by_user = FailureThrottle(
            self.clock, tunables.login_attempts_per_minute, first_delay_s=60.0,
            max_delay_s=tunables.login_max_delay_s, memory_s=tunables.login_failure_memory_s,
            max_keys=max_keys)
        # Only failures count: many players logging in from one address (a
        # school, a test suite) are never throttled for succeeding; and the
        # address's limit is generous, since its refusal shuts out everyone
        # behind that address, right passwords included.
        self.failures_by_address = SlidingWindow(
            self.clock, tunables.login_failures_per_address_per_minute, max_keys=max_keys)
        # Registrations: per address (loopback only when asked: behind a
        # reverse proxy, or for a test suite, one loopback address stands for
        # everyone) and from everyone together.
        window = tunables.registration_window_s
        self.registrations_by_address = SlidingWindow(
            self.clock, tunables.registrations_per_address, window, max_keys=max_keys)
        self.registrations_overall = SlidingWindow(
            self.clock, tunables.registrations_overall, window)
        self.limit_loopback_registrations = tunables.registration_limit_loopback
        self._sweeper = task.LoopingCall(self.sweep)
        self._sweeper.clock = self.clock
        self._dummy_hash = None

    def startService(self):
        super().startService()
        if self._pool is not None:
            self._pool.start()
        self._sweeper.start(60.0, now=False)

    def stopService(self):
        super().stopService()
        if self._sweeper.running:
            self._sweeper.stop()
        if self._pool is not None:
            self._pool.stop()   # waits for a hash in progress: a fraction of a second

    def sweep(self):
        """Drop the throttles' expired keys."""
        for throttle in (self.failures_by_user, self.failures_by_address,
                         self.registrations_by_address, self.registrations_overall):
            throttle.sweep()

    # -- tokens
    def issue_token(self, account):
        """
        A token for L{rpg.models.Account} C{account}: the username (C{sub}),
        the player id (C{pid}), the account's token version (C{ver}),
        C{iss}, C{iat}, C{exp} and a unique C{jti}.
        """
        now = int(self.clock.seconds())
        claims = {"sub": account.username, "pid": account.player_id,
                  "ver": account.token_version, "iss": TOKEN_ISSUER,
                  "iat": now, "exp": now + self.token_ttl, "jti": secrets.token_hex(8)}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def check_token(self, token):
        """
        Check the signature, the claims and the lifetime: a token is expired
        at C{exp}, or C{token_ttl_s} after C{iat}, whichever comes first (the
        server caps the lifetime whatever C{exp} says).  A token without
        C{iat} (as many JWT libraries mint them) is expired at C{exp}, and
        refused when its C{exp} lies further ahead than C{token_ttl_s}: the
        cap holds without it.  Whether the account still accepts the token's
        version is the caller's check.

        @return: the L{TokenClaims}.
        @raise ExpiredToken: when it has expired.
        @raise AuthenticationFailed: for any other fault.
        """
        def invalid():
            return AuthenticationFailed("Invalid or expired token", reason="invalid_token")

        try:
            claims = jwt.decode(
                token, self.secret, algorithms=["HS256"],
                options={"require": ["sub", "exp"], "verify_exp": False,
                         "verify_iat": False, "verify_nbf": False, "verify_aud": False,
                         "verify_iss": False})
        except jwt.PyJWTError:
            raise invalid() from None
        if claims.get("iss", TOKEN_ISSUER) != TOKEN_ISSUER:
            raise invalid()
        if claims.get("aud", TOKEN_AUDIENCE) not in (TOKEN_AUDIENCE, [TOKEN_AUDIENCE]):
            raise invalid()
        exp, iat = claims.get("exp"), claims.get("iat")
        times = (exp, iat) if "iat" in claims else (exp,)
        if not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in times):
            raise invalid()
        # Expiry is checked against the service's clock, so tests can drive it.
        now = self.clock.seconds()
        if iat is not None and iat > now + TOKEN_CLOCK_SKEW_S:
            raise invalid()
        if exp <= now or (iat is not None and iat + self.token_ttl <= now):
            raise ExpiredToken("Token has expired")
        if iat is None and exp > now + self.token_ttl + TOKEN_CLOCK_SKEW_S:
            raise invalid()   # no start to cap its lifetime from, and an end past the cap
        username, player_id, version = claims["sub"], claims.get("pid"), claims.get("ver", 0)
        if not isinstance(username, str):
            raise invalid()
        if player_id is not None and (not isinstance(player_id, int) or isinstance(player_id, bool)):
            raise invalid()
        if not isinstance(version, int) or isinstance(version, bool):
            raise invalid()
        return TokenClaims(username, player_id, version)

    async def account_for_token(self, token):
        """
        The account a token stands for, checked against the database: the
        same player, a token version the account still accepts.

        @return: the L{rpg.models.Account}.
        @raise ExpiredToken: when it has expired.
        @raise AuthenticationFailed: an invalid or revoked token, an unknown
            player (the reason says which).
        """
        claims = self.check_token(token)
        account = await self.store.get_account(claims.username)
        if account is None or (claims.player_id is not None
                               and claims.player_id != account.player_id):
            raise AuthenticationFailed("Invalid or expired token", reason="unknown_player")
        if claims.version != account.token_version:
            raise AuthenticationFailed("Invalid or expired token", reason="revoked_token")
        return account

    # -- accounts
    @defer.inlineCallbacks
    def register(self, username, password, address=None):
        """
        @param address: the client's address (C{None}: not throttled per address).
        @return: Deferred firing with the new L{rpg.models.Account}; fails with
            L{RegistrationError}, L{RegistrationThrottled} or L{HashingBusy}.
        """
        if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
            raise RegistrationError(400, "REGISTRATION_INVALID_USERNAME",
                                    "Username must be 3-20 characters of A-Z, a-z, 0-9 and _")
        if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise RegistrationError(400, "REGISTRATION_INVALID_PASSWORD",
                                    f"Password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")
        by_address = None
        if address is not None and (self.limit_loopback_registrations
                                    or not is_loopback(address)):
            by_address = address_key(address)
        wait = max(self.registrations_overall.retry_after(None),
                   self.registrations_by_address.retry_after(by_address) if by_address else 0)
        if wait:
            raise RegistrationThrottled(wait)
        existing = yield self.store.get_account(username)
        if existing is not None:
            raise RegistrationError(409, "REGISTRATION_USERNAME_TAKEN", "Username is taken")
        # What is counted is what costs: a hash (invalid and taken names do not).
        self.registrations_overall.record(None)
        if by_address:
            self.registrations_by_address.record(by_address)
        password_hash = yield self.hashing.submit(REGISTRATION, self.hasher.hash, password)
        try:
            account = yield self.store.create_account(
                username, password_hash, self.new_character())
        except UsernameTaken:
            raise RegistrationError(409, "REGISTRATION_USERNAME_TAKEN", "Username is taken") from None
        self.log.info("Registered {username} as player {player_id}",
                      username=account.username, player_id=account.player_id)
        return account

    @defer.inlineCallbacks
    def login(self, username, password, address):
        """
        @return: Deferred firing with C{(token, expires_in)}; fails with
            L{LoginThrottled}, L{HashingBusy}, L{BadCredentials} or, for the
            right password of a banned account, L{AccountBanned}.
        """
        address = address_key(address)
        user_key = (username_key(username), address)
        wait = max(self.failures_by_user.retry_after(user_key),
                   self.failures_by_address.retry_after(address))
        if wait:
            raise LoginThrottled(wait)
        if not isinstance(username, str) or not isinstance(password, str) \
                or len(password) > PASSWORD_MAX or len(username) > 64:
            self._failed(user_key, address)
        account = yield self.store.get_account(username)
        if account is None:
            yield self._verify(None, password)
            self._failed(user_key, address)
        ok = yield self._verify(account.password_hash, password)
        if not ok:
            self._failed(user_key, address)
        self.failures_by_user.forget(user_key)
        if account.banned:
            raise AccountBanned()
        return self.issue_token(account), self.token_ttl

    def check_new_password(self, password):
        """@raise PasswordRefused: C{password} breaks the length rule."""
        if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise PasswordRefused(f"Password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")

    def hash_password(self, password):
        """@return: Deferred firing with the hash of C{password} (in a thread)."""
        return self.hashing.submit(REGISTRATION, self.hasher.hash, password)

    async def change_password(self, token, old_password, new_password, address="unknown"):
        """
        A logged-in player's password change: the token and the old
        password are checked, the new hash stored and the token version
        bumped in one transaction (every token issued before is refused),
        and the player's game connections are closed.

        @return: a fresh token for the new version, and its lifetime.
        @raise ExpiredToken, AuthenticationFailed: a bad token.
        @raise BadCredentials: a wrong old password (counted as a failed
            login, for the login throttle).
        @raise LoginThrottled: too many failures for the account or address.
        @raise PasswordRefused: a new password of the wrong length.
        """
        account = await self.account_for_token(token)
        address = address_key(address)
        user_key = (username_key(account.username), address)
        wait = max(self.failures_by_user.retry_after(user_key),
                   self.failures_by_address.retry_after(address))
        if wait:
            raise LoginThrottled(wait)
        self.check_new_password(new_password)
        if not isinstance(old_password, str) or len(old_password) > PASSWORD_MAX \
                or not await self._verify(account.password_hash, old_password):
            self._failed(user_key, address)
        new_hash = await self.hash_password(new_password)
        account, _ = await self.store.change_account(
            account.username, password_hash=new_hash, bump_token=True,
            action="kick", reason="password changed")
        self.log.info("{username} changed their password", username=account.username)
        return self.issue_token(account), self.token_ttl

    async def logout(self, token):
        """
        Revoke the token: the account's token version is bumped, so every
        token of the account (every device) is refused from now on, and its
        game connections are closed.

        @raise ExpiredToken, AuthenticationFailed: a bad token.
        """
        account = await self.account_for_token(token)
        await self.store.change_account(account.username, bump_token=True,
                                        action="kick", reason="logged out")
        self.log.info("{username} logged out", username=account.username)

    def _failed(self, user_key, address):
        """Count a failed login against the username (from this address) and the address."""
        self.failures_by_user.record(user_key)
        self.failures_by_address.record(address)
        raise BadCredentials()

    def _verify(self, password_hash, password):
        """Check a password in a thread; C{None} checks against a dummy hash."""
        def verify():
            if password_hash is None:
                if self._dummy_hash is None:
                    self._dummy_hash = self.hasher.hash(_DUMMY_PASSWORD)
                self.hasher.verify(self._dummy_hash, _DUMMY_PASSWORD)
                return False
            try:
                return self.hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False
        return self.hashing.submit(LOGIN, verify)
