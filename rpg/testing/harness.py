"""
L{GameHarness}: the whole server in memory, on a L{task.Clock}.

The parts are the ones C{twistd rpg} runs, built by the same function
(L{rpg.server.build_game}): the hub, the sessions, the world, chat and auth
services, with the shipped in-memory store, presence and bus.  Only three
things differ, each so that a test is fast and repeatable:

  - the socket: each L{TestClient} talks to a real L{rpg.session.Session}
    through two callables, and receives the frames the server sends, in order;
  - time: the tick is run by the harness, one tick per step of
    C{1 / tick_rate} simulated seconds, instead of by a C{LoopingCall}
    (a C{LoopingCall} on a clock moved in float steps sometimes folds two
    ticks into one); every other timer (snapshots, the auth timeout, chat
    cooldowns) runs on the same clock as in the server;
  - chance: the world's one C{random.Random} is seeded with C{seed}.

Accounts are made straight in the store, so no password is ever hashed and no
thread is started.

Same seed, same inputs: same frames, byte for byte, in one process and in
the next.  Across processes one thing must be fixed too: Python's string
hashing (C{PYTHONHASHSEED}), which orders the entities inside one
C{event_game_update}; the entities themselves are the same whatever it is.
"""

import math
import random

import msgpack
from twisted.internet import defer, task
from twisted.python.failure import Failure

from rpg.config import Tunables, apply_overrides
from rpg.content import load_content
from rpg.protocol.close_codes import CLOSE_GOING_AWAY, CLOSE_NORMAL
from rpg.protocol.envelope import VERSION
from rpg.server import build_game
from rpg.session import Session
from rpg.store.memory import MemoryPlayerStore
from rpg.store.presence import MemoryBus, MemoryPresence
from rpg.tap import default_maps_dir

# How long L{TestClient.request} waits for a reply, in simulated seconds.
REPLY_TIMEOUT_S = 5.0
SERVER_ID = "harness"
SECRET = "rpg.testing: a fixed secret, for tokens that are the same each run"


class NoReply(AssertionError):
    """L{TestClient.request} got no reply within L{REPLY_TIMEOUT_S} simulated seconds."""


def _decode(frame):
    return msgpack.unpackb(frame, raw=False, strict_map_key=False)


class TestClient:
    """
    One player's in-memory connection to the harness's server.

    @ivar username: the account's name.
    @ivar player_id: the player's id (from the welcome).
    @ivar welcome: the C{event_welcome} envelope that answered the login.
    @ivar frames: every frame the server sent this client, as bytes, oldest
        first (replies included): what a byte-for-byte comparison compares.
    @ivar closed: C{None} while connected, then the close code (the server's,
        or 1000 after L{disconnect}).
    @ivar close_reason: the server's reason with its close code, or C{None}.
    """

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, harness, username):
        self._harness = harness
        self.username = username
        self.player_id = None
        self.welcome = None
        self.frames = []
        self.closed = None
        self.close_reason = None
        self._inbox = []  # envelopes not yet returned by request()
        self._next_id = 1
        self.session = Session(harness.hub, self._received, self._closed_by_server,
                               harness.clock, harness.tunables, peer=f"memory:{username}")
        self.session.connection_made()

    # -- the transport's side
    def _received(self, frame):
        if self.closed is None:
            self.frames.append(frame)
            self._inbox.append(_decode(frame))

    def _closed_by_server(self, code, reason):
        if self.closed is None:
            self.closed, self.close_reason = code, reason
            self.session.connection_lost()

    # -- the player's side
    def send_raw(self, data, is_binary=True):
        """
        Send any frame: C{data} as it would arrive from a WebSocket (a text
        frame with C{is_binary=False}).  What comes back is in L{events}.
        """
        if self.closed is not None:
            raise ConnectionError(f"{self.username}'s connection is closed ({self.closed})")
        self.session.frame_received(data, is_binary)

    def request(self, message_type, payload=None):
        """
        Send one envelope and return the reply envelope (C{resp_success},
        C{resp_error} or, for C{cmd_authenticate}, C{event_welcome}) as a
        dict, moving time tick by tick until it comes.

        @raise NoReply: no reply within 5 simulated seconds, or the
            connection closed first.
        """
        request_id = f"{self.username}-{self._next_id}"
        self._next_id += 1
        self.send_raw(msgpack.packb({"id": request_id, "type": message_type,
                                     "payload": {} if payload is None else payload,
                                     "version": VERSION}, use_bin_type=True))
        deadline = self._harness.clock.seconds() + REPLY_TIMEOUT_S
        while True:
            for index, envelope in enumerate(self._inbox):
                if envelope.get("id") == request_id:
                    del self._inbox[index]
                    return envelope
            if self.closed is not None:
                raise NoReply(f"{message_type} from {self.username}: the connection closed "
                              f"({self.closed} {self.close_reason})")
            if self._harness.clock.seconds() >= deadline:
                raise NoReply(f"{message_type} from {self.username}: no reply in "
                              f"{REPLY_TIMEOUT_S:g} simulated seconds")
            self._harness.step()

    def events(self, type=None):
        """
        Every envelope received so far that L{request} did not return (events,
        and the replies to L{send_raw}), oldest first; only those of C{type}
        when given.
        """
        if type is None:
            return list(self._inbox)
        return [envelope for envelope in self._inbox if envelope.get("type") == type]

    def clear(self):
        """Forget the envelopes L{events} would list."""
        self._inbox.clear()

    def disconnect(self):
        """Drop the connection from the client's side (the player leaves)."""
        if self.closed is None:
            self.closed = CLOSE_NORMAL
            self.session.connection_lost()


class GameHarness:
    """
    The real server in memory, on a L{task.Clock}.

    @param maps: a maps directory, as C{twistd rpg --maps} takes (content
        files it lacks are the shipped ones).
    @param start_map: the map new characters start on.
    @param seed: seeds the world's one C{random.Random}.
    @param config: a dict of the tunables C{--config} takes, or C{None}.
    @param commands: the registry of client message types to serve; the
        server's own by default (see L{rpg.protocol.messages}).
    @param effects: the item effects, by name (see L{rpg.world.plugins}).
    @param behaviours: the NPC behaviours, by name (see L{rpg.world.plugins}).

    @ivar clock: the L{task.Clock} everything runs on.
    @ivar world: the L{rpg.world.game.GameWorld}: read it in assertions.
    @ivar tunables: the L{rpg.config.Tunables} in force.
    @ivar store: the L{rpg.store.memory.MemoryPlayerStore}.
    @ivar hub, world_service, chat, auth: the server's services.
    """

    def __init__(self, maps=None, start_map=None, seed=0, config=None, commands=None,
                 effects=None, behaviours=None):
        self.clock = task.Clock()
        self.tunables = apply_overrides(Tunables(), dict(config or {}), source="config")
        self.content = load_content(maps if maps is not None else default_maps_dir(),
                                    default_maps_dir(), **_if_given(effects=effects,
                                                                    behaviours=behaviours))
        if start_map is None:
            start_map = "samplemap" if "samplemap" in self.content.maps else min(self.content.maps)
        self.start_map = start_map
        self.store = MemoryPlayerStore(clock=self.clock)
        self.presence, self.bus = MemoryPresence(), MemoryBus()
        game = build_game(
            store=self.store, presence=self.presence, bus=self.bus, content=self.content,
            start_map=start_map, secret=SECRET, tunables=self.tunables, server_id=SERVER_ID,
            clock=self.clock, rng=random.Random(seed), effects=effects, behaviours=behaviours,
            wall_clock=self.clock.seconds, run_in_thread=_run_here, admission=False,
            **_if_given(commands=commands))
        self.game = game
        self.world, self.persistence, self.world_service = (
            game.world, game.persistence, game.world_service)
        self.auth, self.chat, self.hub = game.auth, game.chat, game.hub
        self.clients = []
        # Operators' orders are polled as in the server, on this clock.
        self._services = list(game.services)
        for service in self._services:
            service.startService()
        # The harness runs the tick itself (see the module's docstring); the
        # snapshot and heartbeat loops stay the service's own.
        self._tick_loop = self.world_service._loops[0]
        self._tick_loop.stop()
        self._interval = 1.0 / self.tunables.tick_rate
        self._ticks = 0
        self._closed = False

    # -- players
    def connect(self, username, role="player"):
        """
        Make the account (and its first character) unless it exists, log in
        over a new in-memory connection and return its L{TestClient}, which
        has received the whole welcome sequence (C{event_welcome} is
        C{client.welcome}; what follows it is in C{client.events()}).

        @raise NoReply: the login was refused (the C{resp_error} is in the
            message), or not answered.
        """
        if _result(self.store.get_account(username)) is None:
            _result(self.store.create_account(username, "!", self.world.new_character()))
        if role != _result(self.store.get_account(username)).role:
            _result(self.store.set_role(username, role))
        client = TestClient(self, username)
        self.clients.append(client)
        reply = client.request("cmd_authenticate", {"token": self.token(username)})
        if reply["type"] != "event_welcome":
            raise NoReply(f"{username} could not log in: {reply['payload']}")
        client.welcome = reply
        client.player_id = reply["payload"]["player_id"]
        return client

    def open_connection(self, name="anonymous"):
        """A L{TestClient} connected but not logged in (to test authentication)."""
        client = TestClient(self, name)
        self.clients.append(client)
        return client

    def token(self, username):
        """A valid token for C{username}, as C{POST /auth/login} would issue."""
        account = _result(self.store.get_account(username))
        if account is None:
            raise KeyError(f"no account {username!r}: connect() makes one")
        return self.auth.issue_token(account)

    # -- time
    def step(self):
        """Move time to the next tick (a multiple of the tick interval) and run it."""
        now = self.clock.seconds()
        # Ticks fall at exact multiples of the interval, with no float drift,
        # also after a test moved the clock itself.
        self._ticks = max(self._ticks + 1, math.floor(now / self._interval + 1e-9) + 1)
        self.clock.advance(self._ticks * self._interval - now)
        self.world_service.tick(1)

    def advance(self, seconds):
        """Move time by C{seconds} (rounded up to whole ticks), one tick at a time."""
        for _ in range(math.ceil(seconds * self.tunables.tick_rate - 1e-9)):
            self.step()

    # -- the end
    def close(self):
        """Save every player as a shutdown does, close every connection (1001), stop."""
        if self._closed:
            return
        self._closed = True
        _result(defer.ensureDeferred(self.world_service.shutdown()))
        for client in self.clients:
            if client.closed is None:
                client._closed_by_server(CLOSE_GOING_AWAY, "server shutting down")
        for service in reversed(self._services):
            service.stopService()
        _result(self.store.close())


def _run_here(f, *args):
    """Password hashing, where a test needs it, runs at once and not in a thread."""
    return defer.maybeDeferred(f, *args)


def _if_given(**kwargs):
    return {name: value for name, value in kwargs.items() if value is not None}


def _result(d):
    """The result of a Deferred that has fired (the in-memory parts fire at once)."""
    results = []
    d.addBoth(results.append)
    if not results:
        raise RuntimeError("a Deferred of the in-memory server did not fire at once")
    if isinstance(results[0], Failure):
        results[0].raiseException()
    return results[0]
