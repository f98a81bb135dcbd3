"""
The hub: where sessions meet the services.

It runs the login sequence (token, account, presence, the hand-over from an
older connection, the character, the world), routes requests, and cleans up
after a disconnect.
"""

import math

import msgpack
from twisted.application.service import Service
from twisted.internet import defer, task
from twisted.logger import Logger
from twisted.python.failure import Failure

from rpg.models import PresenceEntry
from rpg.protocol.envelope import (
    encode, encode_error, encode_event, encode_internal_error, encode_success,
    encode_success_list, encode_value)
from rpg.protocol.errors import error_code
from rpg.world import chunks
from rpg.world.errors import AuthenticationFailed, GameError

CLOSE_LOGGED_IN_ELSEWHERE = 4001
# How long a login waits for another process to save a player it kicked.
HANDOVER_TIMEOUT_S = 5.0
HANDOVER_POLL_S = 0.05


class Hub(Service):
    log = Logger()

    def __init__(self, server_id, auth, store, presence, bus, world, chat, maps,
                 clock, welcome_message="Welcome to the game!"):
        self.server_id = server_id
        self.auth = auth
        self.store = store
        self.presence = presence
        self.bus = bus
        self.world = world
        self.chat = chat
        self.maps = maps
        self.clock = clock
        self.welcome_message = welcome_message
        self.sessions = {}  # player_id -> playing Session on this process
        self._logging_in = {}  # player_id -> logins of this process under way
        self.handlers = {"query_chunks": self._query_chunks, "cmd_chat_send": self._chat}
        # (map id, chunk x, chunk y) -> the chunk's MessagePack: maps never
        # change once loaded, so each chunk is encoded once, for every reply.
        self.chunk_bytes = {}

    def server_channel(self, server_id):
        return f"server.{server_id}"

    def startService(self):
        super().startService()
        self.ready = self.bus.subscribe(self.server_channel(self.server_id), self._server_message)

    # -- login
    async def login(self, session, token, request_id):
        username = self.auth.check_token(token)
        account = await self.store.get_account(username)
        if account is None:
            raise AuthenticationFailed("Invalid or expired token", reason="unknown_player")
        if account.banned:
            raise AuthenticationFailed("This account is banned", reason="banned")
        if session.state == "closed":
            return
        entry = PresenceEntry(account.player_id, account.username, self.server_id,
                              session.connection_id)
        previous = await self.presence.claim(entry)
        player_id = account.player_id
        self._logging_in[player_id] = self._logging_in.get(player_id, 0) + 1
        try:
            await self._hand_over(previous, account.player_id)
            while True:
                # Online first, then load: an offline change (rpg-admin)
                # either commits before the load or is refused.
                await self.world.persistence.mark_online([account.player_id])
                character = (self.world.unsaved_state(account.player_id)
                             or await self.store.load_character(account.player_id))
                if character is None:
                    raise AuthenticationFailed("No character for this account",
                                               reason="no_character")
                current = await self.presence.lookup(account.username)
                if current != entry:
                    # A newer login claimed the player while this one was loading.
                    raise AuthenticationFailed("Logged in elsewhere", reason="superseded")
                overtaken = self.sessions.get(account.player_id)
                if overtaken is None:
                    break  # from here to entering the world nothing waits
                # An older login of this process finished while this one
                # loaded: save and close it, then load what it saved.
                await self._kick_local(overtaken)
        except BaseException:
            self._login_ended(player_id)
            await self.presence.release(entry)
            await self._forget_online(player_id)
            raise
        self._login_ended(player_id)
        if session.state == "closed":
            await self.presence.release(entry)
            await self._forget_online(player_id)
            return
        session.presence_entry = entry
        session.player_id = account.player_id
        session.username = account.username
        session.role = account.role
        self.sessions[account.player_id] = session
        messages = self.world.enter(session, character)
        session.send_frame(encode("event_welcome", self.world.welcome_payload(account.player_id),
                                  request_id))
        session.send_event("event_chat_message", self.chat.system_payload(self.welcome_message))
        for message_type, payload in messages:
            session.send_event(message_type, payload)
        self.log.info("{username} (player {player_id}) logged in from {peer}",
                      username=account.username, player_id=account.player_id, peer=session.peer)

    def _login_ended(self, player_id):
        left = self._logging_in.pop(player_id) - 1
        if left:
            self._logging_in[player_id] = left

    async def _forget_online(self, player_id):
        """
        A login that marked the player online here ended without entering the
        world: drop that online record, so that C{rpg-admin} need not wait for
        it to expire.  Not while another login of this process for the player
        is under way or done, nor while a save of its last session is still
        owed: the record is theirs too (a newer process's record has its
        server id, and is never touched).  A failure here is only logged: the
        record expires anyway, and the login's own outcome is what the client
        must hear.
        """
        if (player_id in self.sessions or player_id in self._logging_in
                or self.world.unsaved_state(player_id) is not None):
            return
        try:
            await self.world.persistence.save([], released=[player_id])
        except Exception:
            self.log.failure("Could not drop the online record of player {player_id}",
                             player_id=player_id)

    async def _hand_over(self, previous, player_id):
        """Make sure an older connection of the player is saved and gone."""
        if previous is None:
            return
        if previous.server_id == self.server_id:
            old = self.sessions.get(player_id)
            if old is not None and old.connection_id == previous.connection_id:
                await self._kick_local(old)
            return
        await self.bus.publish(self.server_channel(previous.server_id), msgpack.packb(
            {"kind": "kick", "player_id": player_id, "connection_id": previous.connection_id}))
        deadline = self.clock.seconds() + HANDOVER_TIMEOUT_S
        while self.clock.seconds() < deadline:
            holder = await self.store.online_server(player_id)
            if holder != previous.server_id:
                return
            await task.deferLater(self.clock, HANDOVER_POLL_S, lambda: None)
        self.log.warn("Player {player_id} was not released by {server} in time; taking over",
                      player_id=player_id, server=previous.server_id)

    async def _kick_local(self, session):
        self.log.info("{username} logged in elsewhere; closing the older connection",
                      username=session.username)
        save = self._leave(session)
        session.kick(CLOSE_LOGGED_IN_ELSEWHERE, "logged in elsewhere")
        session.state = "closed"
        await save

    def _server_message(self, data):
        try:
            message = msgpack.unpackb(data, raw=False)
        except Exception:
            self.log.warn("Unreadable message on the server channel")
            return
        if not isinstance(message, dict):
            return
        if message.get("kind") == "chat" and isinstance(message.get("event"), dict):
            self.chat.deliver_to_player(message.get("player_id"), message["event"])
        elif message.get("kind") == "kick":
            session = self.sessions.get(message.get("player_id"))
            if session is not None and session.connection_id == message.get("connection_id"):
                defer.ensureDeferred(self._kick_local(session)).addErrback(
                    lambda f: self.log.failure("Kick failed", f))

    # -- play
    def dispatch(self, session, request):
        """Answer chunk queries and chat here; queue the rest for the tick."""
        handler = self.handlers.get(request.type)
        if handler is None:
            self.world.submit(session, request)
            return
        d = defer.maybeDeferred(handler, session, request)
        d.addCallback(
            lambda payload: payload if isinstance(payload, bytes)
            else encode_success(request.id, payload))
        d.addErrback(self._failed, request)
        d.addCallback(session.send_frame)

    def _failed(self, failure, request):
        """The reply frame to a request that failed: its game error, else INTERNAL_SERVER_ERROR."""
        if failure.check(GameError):
            try:
                frame = encode_error(request.id, failure.value)
            except Exception:
                failure = Failure()
            else:
                self._count_error(error_code(failure.value))
                return frame
        self._count_error("INTERNAL_SERVER_ERROR")
        self.log.failure("{type} failed", failure, type=request.type)
        return encode_internal_error(request.id)

    def _count_error(self, code):
        metrics = getattr(self.world, "metrics", None)
        if metrics is not None:
            metrics.errors.labels(code).inc()

    def _query_chunks(self, session, request):
        """The whole reply frame, made of each chunk's bytes encoded once."""
        game_map, square = chunks.chunk_square(self.maps, request.payload)
        cache = self.chunk_bytes
        encoded = []
        for chunk_x, chunk_y in square:
            key = (game_map.map_id, chunk_x, chunk_y)
            data = cache.get(key)
            if data is None:
                data = cache[key] = encode_value(chunks.get_chunk(game_map, chunk_x, chunk_y))
            encoded.append(data)
        return encode_success_list(request.id, "chunks", encoded)

    def _chat(self, session, request):
        return defer.ensureDeferred(self.chat.handle(session, request.payload))

    # -- leaving
    def disconnected(self, session):
        d = self._leave(session)
        d.addErrback(lambda f: self.log.failure("Saving {username} failed", f,
                                                username=session.username))

    def _leave(self, session):
        """Take a player out of the world, save it, release its presence."""
        if self.sessions.get(session.player_id) is session:
            del self.sessions[session.player_id]
        entry = session.presence_entry
        d = self.world.leave(session.player_id)

        def release(_):
            if entry is not None:
                return self.presence.release(entry)
        d.addCallback(release)
        self.log.info("{username} left", username=session.username)
        return d

    def broadcast_shutdown(self, message, seconds):
        # Whole seconds on the wire (a grace of 0.5 s says 1).
        frame = encode_event("event_server_shutdown",
                             {"message": message, "seconds": math.ceil(seconds)})
        for session in list(self.sessions.values()):
            session.send_frame(frame)
