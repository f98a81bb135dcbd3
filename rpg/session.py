"""
One connected player's conversation, free of any transport.

The session checks each frame's envelope, enforces the authentication rules,
and hands authenticated requests to the hub.  It sends through the callables
it is given, so tests drive it without sockets.
"""

import itertools
import math

from twisted.internet import defer
from twisted.logger import Logger
from zope.interface import implementer

from rpg.budget import MessageBudget, limits_from
from rpg.errors import (
    AuthenticationFailed, GameError, InvalidAuthPayload, MissingToken, RateLimited, ServerFull)
from rpg.interfaces import IClient
from rpg.protocol.close_codes import CLOSE_POLICY, CLOSE_TRY_AGAIN_LATER
from rpg.protocol.envelope import EnvelopeError, decode_request, encode_event, error_frame

# Frames that arrive while a login is being checked wait for its outcome;
# more than this many is abuse.
MAX_PENDING = 64

# Requests refused (RATE_LIMITED) while a connection's unsent output is over
# output_buffer_max_bytes: their replies are large and the client asks again.
OPTIONAL_REPLIES = frozenset({"query_chunks"})
BACKLOG_RETRY_MS = 1000

_connection_numbers = itertools.count(1)


@implementer(IClient)
class Session:
    """
    One connection's conversation: envelopes in, frames out, and the
    authentication rules between.

    Its C{state} moves through::

        new --cmd_authenticate--> authenticating --login done--> playing
         ^                              |    |                    |  ^
         +--------login failed----------+    | its map is         |  | it crossed to a
                                             | served elsewhere   |  | map served here
                                             v                    v  |
                                         forwarded <----------> moving
                             (it crossed to a map served elsewhere, or, carried,
                              to one served here)
        (any) --connection lost, SERVER_FULL, kicked--> closed

    In C{new} only C{cmd_authenticate} is served (anything else is
    answered C{AUTHENTICATION_FAILED}); in C{authenticating} frames wait in
    order for the login's outcome (more than L{MAX_PENDING} close the
    connection 1008); in C{playing} requests go to the hub; in C{closed}
    nothing is read or sent.  In C{forwarded} every frame goes, as it came,
    to the process that serves the player's map, which runs this
    conversation there (L{rpg.services.relay}); this one only carries frames.
    In C{moving} (the player crosses to a map another process serves) frames
    wait, as in C{authenticating}, until it plays there or here again.
    The auth timer closes a connection still in C{new} or
    C{authenticating} after C{auth_timeout_s}.

    @ivar hub: the L{rpg.services.hub.Hub} that logs players in and routes
        their requests.
    @ivar clock: the reactor or a C{task.Clock}: the auth timer and the
        message budget's time.
    @ivar tunables: the server's L{rpg.config.Tunables}.
    @ivar peer: the client's address, for the logs.
    @ivar connection_id: C{"<server id>:<n>"}, unique across processes: what
        a presence entry names, so a kick reaches this connection only.
    @ivar state: C{"new"}, C{"authenticating"}, C{"playing"} or C{"closed"}.
    @ivar player_id: the player's id once playing, else None.
    @ivar username: the player's name once playing, else None.
    @ivar role: the account's role once playing (C{"player"},
        C{"moderator"}, C{"admin"}); an operator's change updates it.
    @ivar presence_entry: the L{rpg.models.PresenceEntry} this connection
        holds once playing, released when it leaves.
    @ivar auth_failures: failed C{cmd_authenticate} so far; at
        C{max_auth_failures} the connection is closed 1008.
    @ivar budget: the connection's L{rpg.budget.MessageBudget}.
    @ivar over_budget: True once closed for sustained excess: nothing more
        is read.
    @ivar metrics: the server's L{rpg.services.metrics.Metrics}, or None.
    """

    log = Logger()

    def __init__(self, hub, send, close, clock, tunables, peer="unknown", backlog=lambda: 0,
                 metrics=None):
        self.hub = hub
        # The server's L{rpg.services.metrics.Metrics}, or None.
        self.metrics = metrics
        self._send = send
        self._close = close
        self.clock = clock
        self.tunables = tunables
        self.peer = peer
        self.connection_id = f"{hub.server_id}:{next(_connection_numbers)}"
        self.player_id = None
        self.username = None
        self.role = None
        self.presence_entry = None
        self.state = "new"  # new -> authenticating -> playing -> closed
        self.auth_failures = 0
        self._pending = []
        self._auth_timer = None
        # The frame of the login under way, as it came: what a forwarded
        # connection sends first to the process that serves its player.
        self.login_frame = None
        # Where a forwarded connection's frames go (L{forward}).
        self._channel = None
        # The process whose socket this is, when that is another process
        # (L{rpg.services.relay}): None for a connection of this process.
        self.edge_id = None
        # Bytes sent to this connection that it has not taken yet.
        self._backlog = backlog
        self.over_budget = False  # closed for sustained excess: nothing more is read
        self.budget = MessageBudget(limits_from(tunables), tunables.rate_limit_close_strikes,
                                    tunables.rate_limit_forgive_per_s, clock.seconds(),
                                    kinds=hub.commands.kinds)

    # -- IClient
    @property
    def closed(self):
        return self.state == "closed"

    def send_frame(self, frame):
        if self.state != "closed":
            self._send(frame)

    def kick(self, code, reason):
        """
        Close with C{code}: the session is closed from now on, and its
        disconnect does not reach the hub (which kicked it, and saves it).
        """
        if self.state != "closed":
            self.state = "closed"
            self._cancel_auth_timer()
            self._pending.clear()
            self._close(code, reason)

    # -- transport events
    def connection_made(self):
        self._auth_timer = self.clock.callLater(
            self.tunables.auth_timeout_s, self._auth_timed_out)

    def connection_lost(self):
        if self.state == "closed":
            return
        if self.state == "forwarded":
            self.state = "closed"
            self._channel.gone()
            return
        was_playing = self.state == "playing"
        self.state = "closed"
        self._cancel_auth_timer()
        self._pending.clear()
        if was_playing:
            self.hub.disconnected(self)

    def frame_received(self, data, is_binary):
        if self.state == "forwarded":
            self._channel.send(data, is_binary)
            return
        if self.state == "closed" or self.over_budget:
            return
        if self.state in ("authenticating", "moving"):
            if len(self._pending) >= MAX_PENDING:
                self._close(CLOSE_POLICY, "too many messages before authentication"
                            if self.state == "authenticating"
                            else "too many messages during a map change")
                return
            self._pending.append((data, is_binary))
            return
        try:
            request = decode_request(data, is_binary, self.tunables.max_message_bytes,
                                     known_types=self.hub.commands)
        except EnvelopeError as e:
            if self._within_budget(e.request_id, None, None):
                self.reply_error(e.request_id, e.error)
            return
        if not self._within_budget(request.id, request.type, request.payload):
            return
        if (request.type in OPTIONAL_REPLIES
                and self._backlog() > self.tunables.output_buffer_max_bytes):
            # A client that does not read gets no more big replies to leave unread.
            self.reply_error(request.id, RateLimited(retry_after_ms=BACKLOG_RETRY_MS))
            return
        if self.metrics is not None:
            self.metrics.message_in(request.type)
        if request.type == "cmd_authenticate":
            if self.state == "playing":
                self.reply_error(request.id, AuthenticationFailed(
                    "Already authenticated", reason="already_authenticated"))
            else:
                self.login_frame = (data, is_binary)
                self._authenticate(request)
        elif self.state != "playing":
            self.reply_error(request.id, AuthenticationFailed(
                "Not authenticated", reason="not_authenticated"))
        else:
            self.hub.dispatch(self, request)

    def _within_budget(self, request_id, message_type, payload):
        """
        Charge one message to the budget; when it is over, answer
        RATE_LIMITED (closing the connection on sustained excess) and
        return False.
        """
        verdict = self.budget.charge(message_type, payload, self.clock.seconds())
        if verdict.admitted:
            return True
        retry_after_ms = max(1, math.ceil(min(verdict.retry_after_s, 3600.0) * 1000))
        self.reply_error(request_id, RateLimited(retry_after_ms=retry_after_ms))
        if verdict.close:
            self.over_budget = True
            self.log.info("Closing {peer}: message budget exceeded", peer=self.peer)
            self._close(CLOSE_POLICY, "message budget exceeded")
        return False

    # -- replies
    def reply_error(self, request_id, error):
        self.send_frame(error_frame(request_id, error, self.metrics, self.log))

    def send_event(self, message_type, payload):
        self.send_frame(encode_event(message_type, payload))

    # -- authentication
    def _authenticate(self, request):
        token = request.payload.get("token")
        if token is None or token == "":
            self._auth_failed(request.id, MissingToken("No token provided"))
            return
        if not isinstance(token, str):
            self._auth_failed(request.id, InvalidAuthPayload("token must be a string"))
            return
        self.state = "authenticating"
        d = defer.ensureDeferred(self.hub.login(self, token, request.id))
        d.addCallbacks(self._logged_in, self._login_failed, errbackArgs=(request.id,))

    def moving(self, waiting=()):
        """
        The player is crossing to a map served by another process: frames
        wait, in order, until it is playing there (L{forward_moved}) or
        here again (L{arrived}).

        @param waiting: frames C{(data, is_binary)} that already wait
            elsewhere (carried from another process): they come first.
        """
        self.state = "moving"
        if waiting:
            self._pending[:0] = list(waiting)

    def arrived(self):
        """The player is playing (here) after crossing: the frames that waited are served."""
        if self.state == "closed":
            return
        self.state = "playing"
        self._drain_pending()

    def forward_moved(self, channel):
        """
        The player plays on another process now: every frame goes to
        C{channel}, those that waited first (see L{forward}).
        """
        self.state = "forwarded"
        self._channel = channel
        pending, self._pending = self._pending, []
        for data, is_binary in pending:
            channel.send(data, is_binary)

    def take_pending(self):
        """The frames that waited while moving, taken out (to go with the player)."""
        pending, self._pending = self._pending, []
        return pending

    def forward(self, channel):
        """
        From now on this connection only carries frames: the login frame,
        the frames that waited for it and every later one go to C{channel}
        (C{send(data, is_binary)}; C{gone()} when the connection is lost),
        for the process that serves the player's map.
        """
        self.state = "forwarded"
        self._cancel_auth_timer()
        channel.send(*self.login_frame)
        self.login_frame = None
        self._channel = channel
        pending, self._pending = self._pending, []
        for data, is_binary in pending:
            channel.send(data, is_binary)

    def _logged_in(self, _):
        self.login_frame = None
        if self.state in ("closed", "forwarded"):
            return
        self.state = "playing"
        self._cancel_auth_timer()
        self._drain_pending()

    def _login_failed(self, failure, request_id):
        self.login_frame = None
        if self.state in ("closed", "forwarded"):
            return
        if failure.check(ServerFull):
            self._refused(request_id, failure.value)
            return
        self.state = "new"
        if failure.check(GameError):
            self._auth_failed(request_id, failure.value)
        else:
            self.send_frame(error_frame(request_id, failure, self.metrics, self.log,
                                        "Login failed unexpectedly"))
        self._drain_pending()

    def _auth_failed(self, request_id, error):
        self.auth_failures += 1
        self.reply_error(request_id, error)
        if self.auth_failures >= self.tunables.max_auth_failures:
            self.log.info("Closing {peer}: {n} failed authentications",
                          peer=self.peer, n=self.auth_failures)
            self._close(CLOSE_POLICY, "too many failed authentication attempts")

    def _refused(self, request_id, error):
        """No room here: answer C{SERVER_FULL}, then close with 1013.  Frames
        sent after the login are dropped with the connection."""
        self.reply_error(request_id, error)
        self._close(CLOSE_TRY_AGAIN_LATER, "server full")
        self.state = "closed"
        self._cancel_auth_timer()
        self._pending.clear()

    def _drain_pending(self):
        pending, self._pending = self._pending, []
        for index, (data, is_binary) in enumerate(pending):
            if self.state in ("closed", "authenticating", "moving"):
                self._pending.extend(pending[index:])
                return
            self.frame_received(data, is_binary)

    def _auth_timed_out(self):
        self._auth_timer = None
        if self.state in ("new", "authenticating"):
            self._close(CLOSE_POLICY, "authentication timeout")

    def _cancel_auth_timer(self):
        if self._auth_timer is not None and self._auth_timer.active():
            self._auth_timer.cancel()
        self._auth_timer = None
