"""
Session and Hub together on a task.Clock, with the shipped in-memory store,
presence and bus, built by the server's own L{rpg.server.build_game}: the
login sequence, its timers and hand-overs, operator kicks, admission and
the message budget, with no socket and no sleep.
"""

import dataclasses

import msgpack
import pytest
from twisted.internet import defer, task
from twisted.logger import globalLogPublisher

from rpg.config import Tunables
from rpg.content import load_content
from rpg.interfaces import IClient, IPlayers, IWorld
from rpg.models import AdminAction, PresenceEntry
from rpg.protocol.close_codes import (
    CLOSE_KICKED, CLOSE_LOGGED_IN_ELSEWHERE, CLOSE_POLICY, CLOSE_TRY_AGAIN_LATER)
from rpg.server import build_game
from rpg.session import MAX_PENDING, Session
from rpg.store.memory import MemoryPlayerStore
from rpg.store.presence import MemoryBus, MemoryPresence
from rpg.testing.maps import write_map
from rpg.tap import default_maps_dir
from zope.interface.verify import verifyObject

SERVER = "here"
OTHER = "elsewhere"
SECRET = "tests.services.test_hub: a secret long enough for tokens"


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    maps = write_map(tmp_path_factory.mktemp("maps"), "field", "\n".join(["." * 16] * 7 + [
        "." * 7 + "S" + "." * 8] + ["." * 16] * 8))
    return load_content(maps, default_maps_dir())


def result(d):
    """What a Deferred of the in-memory parts has fired with."""
    results = []
    d.addBoth(results.append)
    assert results, "the Deferred has not fired"
    if hasattr(results[0], "raiseException"):
        results[0].raiseException()
    return results[0]


class Connection:
    """One client's side of a L{Session}: the frames it got and its close."""

    def __init__(self, stack):
        self.frames = []
        self.closed = None
        self.session = Session(stack.hub, self._send, self._close, stack.clock,
                               stack.tunables, peer="memory")
        self.session.connection_made()
        self._next_id = 0

    def _send(self, frame):
        self.frames.append(msgpack.unpackb(frame, raw=False, strict_map_key=False))

    def _close(self, code, reason):
        # A WebSocket tells of its close later: so does this one (drop()).
        if self.closed is None:
            self.closed = (code, reason)

    def drop(self):
        """The transport reports the connection lost."""
        self.session.connection_lost()

    def send(self, message_type, payload=None, request_id=None):
        if request_id is None:
            self._next_id += 1
            request_id = f"r{self._next_id}"
        self.session.frame_received(msgpack.packb({
            "id": request_id, "type": message_type, "payload": payload or {},
            "version": "2.0"}), True)
        return request_id

    def reply(self, request_id):
        (frame,) = [f for f in self.frames if f["id"] == request_id]
        return frame

    def error_code(self, request_id):
        frame = self.reply(request_id)
        assert frame["type"] == "resp_error", frame
        return frame["payload"]["error_code"]


class Stack:
    """The game as C{twistd rpg} builds it, in memory, on a clock, services started."""

    def __init__(self, content, **config):
        self.clock = task.Clock()
        self.tunables = dataclasses.replace(Tunables(), **config)
        self.store = MemoryPlayerStore(clock=self.clock)
        self.presence, self.bus = MemoryPresence(), MemoryBus()
        self.game = build_game(
            store=self.store, presence=self.presence, bus=self.bus, content=content,
            start_map="field", secret=SECRET, tunables=self.tunables, server_id=SERVER,
            clock=self.clock, wall_clock=self.clock.seconds,
            run_in_thread=lambda f, *args: defer.maybeDeferred(f, *args))
        self.hub, self.world_service = self.game.hub, self.game.world_service
        for service in self.game.services:
            service.startService()

    def account(self, username):
        account = result(self.store.get_account(username))
        if account is None:
            account = result(self.store.create_account(
                username, "!", self.game.world.new_character()))
        return account

    def token(self, username):
        return self.game.auth.issue_token(self.account(username))

    def login(self, username):
        connection = Connection(self)
        request_id = connection.send("cmd_authenticate", {"token": self.token(username)})
        assert connection.reply(request_id)["type"] == "event_welcome", connection.frames
        return connection

    def held_elsewhere(self, username):
        """The player is online on another process, which never lets it go."""
        account = self.account(username)
        result(self.presence.claim(PresenceEntry(account.player_id, username, OTHER, "x:1")))
        result(self.store.mark_online([account.player_id], OTHER, 3600))
        return account


@pytest.fixture
def stack(content):
    return Stack(content)


@pytest.fixture
def logged(monkeypatch):
    """The log lines (formatted) written during the test."""
    lines = []

    def observe(event):
        from twisted.logger import formatEvent
        lines.append(formatEvent(event))
    globalLogPublisher.addObserver(observe)
    yield lines
    globalLogPublisher.removeObserver(observe)


# -- the parts and their roles
def test_the_parts_provide_their_roles(stack):
    """The world service is IWorld and its players IPlayers; a session is an IClient."""
    assert verifyObject(IWorld, stack.world_service)
    assert verifyObject(IPlayers, stack.world_service.players)
    assert verifyObject(IClient, Connection(stack).session)


# -- login
def test_a_login_enters_the_world_and_marks_the_player_online(stack):
    """A good token: welcome with the request id, then the welcome events; online here."""
    alice = stack.login("alice")
    assert [f["type"] for f in alice.frames][:2] == ["event_welcome", "event_chat_message"]
    player_id = alice.frames[0]["payload"]["player_id"]
    assert stack.world_service.players.client(player_id) is alice.session
    assert result(stack.store.online_server(player_id)) == SERVER
    assert result(stack.presence.lookup("alice")).connection_id == alice.session.connection_id


def test_requests_before_a_login_are_not_authenticated(stack):
    """A command before cmd_authenticate is AUTHENTICATION_FAILED; the connection stays."""
    connection = Connection(stack)
    request_id = connection.send("query_inventory")
    assert connection.error_code(request_id) == "AUTHENTICATION_FAILED"
    assert connection.closed is None


def test_authenticating_twice_is_refused(stack):
    """A second cmd_authenticate on a playing session: AUTHENTICATION_FAILED already_authenticated."""
    alice = stack.login("alice")
    request_id = alice.send("cmd_authenticate", {"token": stack.token("alice")})
    assert alice.error_code(request_id) == "AUTHENTICATION_FAILED"
    assert alice.reply(request_id)["payload"]["details"] == {"reason": "already_authenticated"}


def test_the_fifth_failed_login_closes_1008(stack):
    """Four bad tokens are answered and the connection stays; the fifth closes it with 1008."""
    connection = Connection(stack)
    for attempt in range(1, 6):
        request_id = connection.send("cmd_authenticate", {"token": "not a token"})
        assert connection.error_code(request_id) == "AUTHENTICATION_FAILED"
        assert (connection.closed is None) == (attempt < 5)
    assert connection.closed == (CLOSE_POLICY, "too many failed authentication attempts")


def test_token_errors_have_their_codes(stack):
    """No token, an empty one, and one that is not a string each have their own code."""
    connection = Connection(stack)
    assert connection.error_code(connection.send("cmd_authenticate", {})) == \
        "AUTHENTICATION_MISSING_TOKEN"
    assert connection.error_code(connection.send("cmd_authenticate", {"token": ""})) == \
        "AUTHENTICATION_MISSING_TOKEN"
    assert connection.error_code(connection.send("cmd_authenticate", {"token": 7})) == \
        "AUTHENTICATION_INVALID_PAYLOAD"


# -- the auth timer
def test_no_login_in_time_closes_1008(stack):
    """A connection that does not log in within auth_timeout_s is closed with 1008, not before."""
    connection = Connection(stack)
    stack.clock.pump([0.5] * 19)
    assert connection.closed is None
    connection.send("query_inventory")  # a request does not extend the deadline
    stack.clock.pump([0.5] * 2)
    assert connection.closed == (CLOSE_POLICY, "authentication timeout")


def test_a_login_stops_the_auth_timer(stack):
    """A logged-in connection outlives auth_timeout_s."""
    alice = stack.login("alice")
    stack.clock.pump([1.0] * 20)
    assert alice.closed is None


# -- hand-overs and pending frames
def test_a_hand_over_that_times_out_takes_the_player_over(stack, logged):
    """A process that never releases the player: asked to kick it, waited for 5 s, then overridden."""
    stack.held_elsewhere("alice")
    kicks = []
    stack.bus.subscribe(f"server.{OTHER}", lambda data: kicks.append(msgpack.unpackb(data)))
    alice = Connection(stack)
    request_id = alice.send("cmd_authenticate", {"token": stack.token("alice")})
    assert alice.frames == [] and alice.session.state == "authenticating"
    assert kicks and kicks[0]["kind"] == "kick" and kicks[0]["connection_id"] == "x:1"
    stack.clock.pump([0.05] * 90)
    assert alice.frames == []
    stack.clock.pump([0.05] * 12)
    assert alice.reply(request_id)["type"] == "event_welcome"
    assert any("was not released by elsewhere in time" in line for line in logged)


def test_frames_during_a_login_are_answered_after_it_in_order(stack):
    """Requests sent while the login waits are answered after the welcome, in the order sent."""
    stack.held_elsewhere("alice")
    alice = Connection(stack)
    login = alice.send("cmd_authenticate", {"token": stack.token("alice")})
    asked = [alice.send("cmd_chat_send", {"channel": "local", "message": "hi"}),
             alice.send("cmd_chat_send", {"channel": "bogus", "message": "hi"})]
    stack.clock.pump([0.05] * 110)
    ids = [f["id"] for f in alice.frames if f["id"] is not None]
    assert ids == [login] + asked
    assert alice.reply(asked[1])["payload"]["error_code"] == "CHAT_INVALID_CHANNEL"


def test_more_than_64_frames_during_a_login_close_1008(stack):
    """64 frames may wait for a login; the 65th closes the connection with 1008."""
    stack.held_elsewhere("alice")
    alice = Connection(stack)
    alice.send("cmd_authenticate", {"token": stack.token("alice")})
    for _ in range(MAX_PENDING):
        alice.send("query_inventory")
    assert alice.closed is None
    alice.send("query_inventory")
    assert alice.closed == (CLOSE_POLICY, "too many messages before authentication")


def test_a_superseded_login_fails_and_the_newer_one_plays(stack):
    """A login overtaken by a newer one of the same player while it waited: superseded."""
    stack.held_elsewhere("alice")
    first = Connection(stack)
    older = first.send("cmd_authenticate", {"token": stack.token("alice")})
    second = stack.login("alice")  # claims the presence the first one holds
    stack.clock.pump([0.05] * 4)  # the first one's hand-over sees the record move
    assert first.error_code(older) == "AUTHENTICATION_FAILED"
    assert first.reply(older)["payload"]["details"] == {"reason": "superseded"}
    player_id = second.frames[0]["payload"]["player_id"]
    assert stack.hub.sessions[player_id] is second.session
    # The newer login's online record is left alone.
    assert result(stack.store.online_server(player_id)) == SERVER


def test_a_second_login_here_closes_the_first_with_4001(stack):
    """Logging in again on this process saves and closes the older connection with 4001."""
    first = stack.login("alice")
    second = stack.login("alice")
    assert first.closed == (CLOSE_LOGGED_IN_ELSEWHERE, "logged in elsewhere")
    assert first.session.closed
    assert stack.hub.sessions[second.session.player_id] is second.session
    assert len(stack.world_service.players.all()) == 1


def test_a_login_refused_after_marking_online_forgets_the_record(stack):
    """A login that failed after the online record was written drops it and its presence."""
    account = stack.held_elsewhere("alice")
    alice = Connection(stack)
    request_id = alice.send("cmd_authenticate", {"token": stack.token("alice")})
    result(stack.store.set_banned("alice", True))  # while the hand-over waits
    stack.clock.pump([0.05] * 110)
    assert alice.reply(request_id)["payload"]["details"] == {"reason": "banned"}
    assert result(stack.store.online_server(account.player_id)) is None
    assert result(stack.presence.lookup("alice")) is None
    assert alice.session.state == "new"


def test_a_dropped_connection_leaves_and_is_saved(stack):
    """When a player's connection is lost it leaves the world, is saved and its presence goes."""
    alice = stack.login("alice")
    player_id = alice.session.player_id
    alice.drop()
    assert stack.world_service.players.client(player_id) is None
    assert result(stack.store.online_server(player_id)) is None
    assert result(stack.presence.lookup("alice")) is None


# -- operators
def test_an_operator_kick_saves_and_closes_4003_with_the_reason(stack):
    """A kick order for a player here: saved, out of the world, closed 4003 with the reason."""
    alice = stack.login("alice")
    player_id = alice.session.player_id
    result(stack.hub.admin_action(AdminAction(1, player_id, "kick", "spamming")))
    assert alice.closed == (CLOSE_KICKED, "spamming")
    assert player_id not in stack.hub.sessions
    assert result(stack.store.online_server(player_id)) is None
    alice.drop()  # the close reaching the session changes nothing more


def test_a_kick_during_a_login_applies_once_it_is_in(stack):
    """A kick order for a player whose login is under way closes it 4003 as soon as it enters."""
    account = stack.held_elsewhere("alice")
    alice = Connection(stack)
    request_id = alice.send("cmd_authenticate", {"token": stack.token("alice")})
    result(stack.hub.admin_action(AdminAction(1, account.player_id, "kick", "go away")))
    stack.clock.pump([0.05] * 110)
    assert alice.reply(request_id)["type"] == "event_welcome"
    assert alice.closed == (CLOSE_KICKED, "go away")
    assert account.player_id not in stack.hub.sessions


# -- admission
def test_a_login_past_max_players_is_server_full_then_1013(content):
    """With max_players = 1 and one in, the next gets SERVER_FULL {retry_after_ms}, then 1013."""
    stack = Stack(content, max_players=1)
    stack.login("alice")
    bob = Connection(stack)
    request_id = bob.send("cmd_authenticate", {"token": stack.token("bob")})
    reply = bob.reply(request_id)["payload"]
    assert reply["error_code"] == "SERVER_FULL"
    assert reply["details"] == {"retry_after_ms": stack.tunables.server_full_retry_after_ms}
    assert bob.closed == (CLOSE_TRY_AGAIN_LATER, "server full")
    # A player already in may log in again: it takes no new place.
    assert stack.login("alice").closed is None


def test_logins_past_max_logins_in_flight_are_server_full_at_once(content):
    """Two logins waiting on the store fill max_logins_in_flight = 2: a third is refused at
    once; the two waiting get in when the store answers."""
    stack = Stack(content, max_logins_in_flight=2)
    tokens = {name: stack.token(name) for name in ("alice", "bob", "carol")}
    load, held = stack.store.load_character, []
    stack.store.load_character = lambda player_id: held.append((player_id, defer.Deferred())) \
        or held[-1][1]
    waiting = [(Connection(stack), name) for name in ("alice", "bob")]
    request_ids = [c.send("cmd_authenticate", {"token": tokens[name]}) for c, name in waiting]
    assert len(held) == 2
    carol = Connection(stack)
    reply = carol.reply(carol.send("cmd_authenticate", {"token": tokens["carol"]}))
    assert reply["payload"]["error_code"] == "SERVER_FULL"
    assert carol.closed == (CLOSE_TRY_AGAIN_LATER, "server full")
    stack.store.load_character = load
    for player_id, d in held:
        d.callback(result(load(player_id)))
    assert [c.reply(i)["type"] for (c, _), i in zip(waiting, request_ids)] == [
        "event_welcome", "event_welcome"]


# -- the budget
def test_a_flood_is_rate_limited_then_closed_1008_and_the_player_saved(content):
    """Over the message budget: RATE_LIMITED, then 1008 on sustained excess; the player leaves."""
    stack = Stack(content)
    alice = stack.login("alice")
    player_id = alice.session.player_id
    sent = [alice.send("query_inventory") for _ in range(400)]
    codes = [f["payload"]["error_code"] for f in alice.frames
             if f["id"] in sent and f["type"] == "resp_error"]
    assert codes and set(codes) == {"RATE_LIMITED"}
    assert alice.closed == (CLOSE_POLICY, "message budget exceeded")
    alice.drop()
    assert player_id not in stack.hub.sessions
    assert result(stack.presence.lookup("alice")) is None
