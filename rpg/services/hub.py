"""
The hub: where sessions meet the services.

It runs the login sequence (token, account, presence, the hand-over from an
older connection, the character, the world), routes requests, and cleans up
after a disconnect.
"""

import math

from twisted.application.service import Service
from twisted.internet import defer, task
from twisted.logger import Logger

from rpg.errors import AuthenticationFailed, ServerFull
from rpg.models import PresenceEntry
from rpg.protocol.bus import kick_message, read_message, server_channel, system_event
from rpg.protocol.close_codes import (
    CLOSE_KICKED, CLOSE_LOGGED_IN_ELSEWHERE, CLOSE_SERVICE_RESTART)
from rpg.protocol.envelope import (
    EncodedList, encode, encode_event, encode_success, encode_success_list, encode_value,
    error_frame)
from rpg.services.commands import COMMANDS
from rpg.world import chunks

# How long a login waits for another process to save a player it kicked.
HANDOVER_TIMEOUT_S = 5.0
HANDOVER_POLL_S = 0.05


class Hub(Service):
    """
    Where sessions meet the services: the login sequence, the routing of
    requests, the hand-over of a player between connections and processes,
    operators' actions, and the cleanup after a disconnect.

    @ivar server_id: this process's id: its presence entries, its bus
        channel C{server.<id>} and its connections' ids carry it.
    @ivar auth: the L{rpg.services.auth.AuthService} that checks tokens and
        reads accounts.
    @ivar store: the L{rpg.interfaces.IPlayerStore}: characters, accounts and
        who holds a player online.
    @ivar presence: the L{rpg.interfaces.IPresence}: who plays where, across
        processes.
    @ivar bus: the message bus between processes (kicks, DMs).
    @ivar world: the L{rpg.services.world.WorldService} players enter and leave.
    @ivar chat: the L{rpg.services.chat.ChatService}: the welcome's system
        message and DMs from other processes.
    @ivar maps: the loaded maps, for C{query_chunks}.
    @ivar clock: the reactor or a C{task.Clock}.
    @ivar welcome_message: the system message sent after each welcome.
    @ivar admission: the L{rpg.services.admission.Admission} that refuses
        logins when full or behind, or None for no limit.
    @ivar sessions: C{{player_id: Session}} of the players playing here.
    @ivar admitting: logins past the admission check that have not entered
        the world or failed yet.
    @ivar presence_refresh_s: how often the presence entries of the players
        here are refreshed.
    @ivar commands: the registry of client message types served
        (L{rpg.services.commands.COMMANDS}).
    @ivar chunk_bytes: C{{(map id, chunk x, chunk y): bytes}}, each chunk's
        MessagePack encoded once for every C{query_chunks} reply.
    @ivar ownership: the L{rpg.services.ownership.Ownership} of the maps
        served here, or None: this process serves every map.
    @ivar relay: the L{rpg.services.relay.Relay} that forwards a login to
        the process serving the player's map, or None.
    @ivar ready: a Deferred that fires once the server channel is
        subscribed (set by C{startService}).
    """

    log = Logger()

    def __init__(self, server_id, auth, store, presence, bus, world, chat, maps,
                 clock, *, persistence, welcome_message="Welcome to the game!",
                 admission=None, presence_refresh_s=10.0, commands=COMMANDS, metrics=None,
                 ownership=None, relay=None, retry_after_ms=1000):
        self.server_id = server_id
        self.auth = auth
        self.store = store
        self.presence = presence
        self.bus = bus
        # The world as a login sees it (L{rpg.interfaces.IWorld}).
        self.world = world
        # Online records (L{rpg.services.persistence.Persistence}).
        self.persistence = persistence
        # Chat (L{rpg.interfaces.IChat}), for the commands that chat.
        self.chat = chat
        self.metrics = metrics
        self.maps = maps
        self.clock = clock
        self.welcome_message = welcome_message
        # L{rpg.services.admission.Admission}, or None: no limit.
        self.admission = admission
        self.sessions = {}  # player_id -> playing Session on this process
        self._playing_names = {}  # username -> player_id, of self.sessions
        # Logins past the admission check that have not entered the world
        # or failed yet: they hold a place, so a burst cannot pass the cap.
        self.admitting = 0
        self._logging_in = {}  # player_id -> logins of this process under way
        # Presence entries expire unless refreshed: this loop keeps the
        # entries of every player playing here alive (a crashed process's
        # expire, which is what lets another process take its players over).
        self.presence_refresh_s = presence_refresh_s
        self._presence_loop = task.LoopingCall(self.refresh_presence)
        self._presence_loop.clock = clock
        # The client message types served (L{rpg.protocol.messages}).
        self.commands = commands
        # player_id -> reason of an operator's kick that came during a login
        self._kick_after_login = {}
        # (map id, chunk x, chunk y) -> the chunk's MessagePack: maps never
        # change once loaded, so each chunk is encoded once, for every reply.
        self.chunk_bytes = {}
        self.ownership = ownership
        self.relay = relay
        # What a login waits before trying again when its map has no owner.
        self.retry_after_ms = retry_after_ms

    def startService(self):
        super().startService()
        self.ready = self.bus.subscribe(server_channel(self.server_id),
                                        self._server_message)
        self._presence_loop.start(self.presence_refresh_s, now=False)

    def stopService(self):
        if self._presence_loop.running:
            self._presence_loop.stop()
        return super().stopService()

    def refresh_presence(self):
        """
        Refresh the presence entries of the players playing on this process.

        @return: a Deferred that fires when done; a failure (Valkey away) is
            logged as one line and the next round tries again.
        """
        entries = [session.presence_entry for session in self.sessions.values()
                   if session.presence_entry is not None]
        if not entries:
            return None
        d = defer.maybeDeferred(self.presence.refresh, entries)
        d.addErrback(lambda f: self.log.warn(
            "Could not refresh {count} presence entries: {error}",
            count=len(entries), error=f.getErrorMessage()))
        return d

    # -- login
    async def login(self, session, token, request_id):
        """
        Check the token, then admission, then everything that waits on the
        store.  The token comes first so that a bad one gets its own error
        whether or not there is room; it costs a signature check and no I/O.
        A login refused for room costs nothing more: no query, no presence.

        @raise ServerFull: no room, or the tick is falling behind.  A
            player already playing here is always let in again: its new
            login replaces the old connection and takes no new place.
        """
        username = self.auth.check_token(token).username
        if self.admission is not None and username not in self._playing_names:
            # The players here, and those whose connection this process
            # carries for the owner of their map: each costs it a socket.
            carried = len(self.relay.forwarded) if self.relay is not None else 0
            self.admission.check(len(self.sessions) + self.admitting + carried,
                                 logins=self.admitting)
        self.admitting += 1
        try:
            account = None
            if self.relay is not None and session.edge_id is None:
                account = await self.auth.account_for_token(token)
                lease = await self._owner_elsewhere(account)
                if lease is not None:
                    self.relay.forward(session, lease, request_id)
                    return
            await self._login(session, token, request_id, account)
        finally:
            self.admitting -= 1

    async def _owner_elsewhere(self, account):
        """
        The lease of the process serving the player's map when it is not
        this one, else None (the login runs here).

        @raise ServerFull: the map has no live owner now (a crashed owner's
            map is served again within seconds: the client tries again).
        """
        character = (self.world.unsaved_state(account.player_id)
                     or await self.store.load_character(account.player_id))
        if character is None or self.ownership.held(character.map_id):
            return None
        lease = await self.ownership.owner_of(character.map_id)
        if lease is None or lease.server_id == self.server_id:
            raise ServerFull(retry_after_ms=self.retry_after_ms)
        return lease

    async def _login(self, session, token, request_id, account=None):
        if account is None:
            account = await self.auth.account_for_token(token)
        if account.banned:
            raise AuthenticationFailed("This account is banned", reason="banned")
        if session.closed:
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
                await self.persistence.mark_online([account.player_id])
                # An operator's ban or revocation either committed before the
                # online record (and shows here) or after it (and queued a
                # kick for this process: see admin_action).
                account = await self.auth.account_for_token(token)
                if account.banned:
                    raise AuthenticationFailed("This account is banned", reason="banned")
                character = (self.world.unsaved_state(account.player_id)
                             or await self.store.load_character(account.player_id))
                if character is None:
                    raise AuthenticationFailed("No character for this account",
                                               reason="no_character")
                if self.ownership is not None and not self.ownership.held(character.map_id):
                    # Its map is served elsewhere now (or by nobody, for a moment).
                    raise ServerFull(retry_after_ms=self.retry_after_ms)
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
            if player_id not in self._logging_in:
                self._kick_after_login.pop(player_id, None)
            await self.presence.release(entry)
            await self._forget_online(player_id)
            raise
        self._login_ended(player_id)
        if session.closed:
            if player_id not in self._logging_in:
                self._kick_after_login.pop(player_id, None)
            await self.presence.release(entry)
            await self._forget_online(player_id)
            return
        session.presence_entry = entry
        session.player_id = account.player_id
        session.username = account.username
        session.role = account.role
        self.sessions[account.player_id] = session
        self._playing_names[account.username] = account.player_id
        kicked = self._kick_after_login.pop(account.player_id, None)
        messages = self.world.enter(session, character)
        session.send_frame(encode("event_welcome", self.world.welcome_payload(account.player_id),
                                  request_id))
        session.send_event("event_chat_message",
                           system_event(self.welcome_message, self.clock.seconds()))
        for message_type, payload in messages:
            session.send_event(message_type, payload)
        self.log.info("{username} (player {player_id}) logged in from {peer}",
                      username=account.username, player_id=account.player_id, peer=session.peer)
        if kicked is not None:
            await self._kick_by_operator(session, kicked)

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
            await self.persistence.save([], released=[player_id])
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
        await self.bus.publish(server_channel(previous.server_id),
                               kick_message(player_id, previous.connection_id))
        deadline = self.clock.seconds() + HANDOVER_TIMEOUT_S
        while self.clock.seconds() < deadline:
            holder = await self.store.online_server(player_id)
            if holder != previous.server_id:
                return
            if self.ownership is not None and not await self.ownership.serves_any(holder):
                # Its leases are gone (it crashed or stalled past them): any
                # write it still tries is fenced out, nothing to wait for.
                self.log.info("Player {player_id}: {server} holds no map any more; taking over",
                              player_id=player_id, server=holder)
                return
            await task.deferLater(self.clock, HANDOVER_POLL_S, lambda: None)
        self.log.warn("Player {player_id} was not released by {server} in time; taking over",
                      player_id=player_id, server=previous.server_id)

    async def _kick_local(self, session):
        self.log.info("{username} logged in elsewhere; closing the older connection",
                      username=session.username)
        save = self._leave(session)
        session.kick(CLOSE_LOGGED_IN_ELSEWHERE, "logged in elsewhere")
        await save

    def _server_message(self, data):
        """A kick from a newer login on another process (chat reads its DMs itself)."""
        message = read_message(data)
        if message is None:
            self.log.warn("Unreadable message on the server channel")
            return
        if message.get("kind") == "kick":
            session = self.sessions.get(message.get("player_id"))
            if session is not None and session.connection_id == message.get("connection_id"):
                defer.ensureDeferred(self._kick_local(session)).addErrback(
                    lambda f: self.log.failure("Kick failed", f))

    # -- operators
    def admin_action(self, action):
        """
        Carry out an L{rpg.models.AdminAction} if this process holds the
        player: C{"kick"} saves it and closes its connection with 4003 and
        the action's reason; C{"refresh"} re-reads the account, so that a new
        role counts at once.

        @return: Deferred firing once done (at once when the player is not here).
        """
        session = self.sessions.get(action.player_id)
        if session is None:
            if action.action == "kick" and action.player_id in self._logging_in:
                # The login under way kicks the player as soon as it is in.
                self._kick_after_login[action.player_id] = action.reason
            return defer.succeed(None)
        if action.action == "kick":
            return defer.ensureDeferred(self._kick_by_operator(session, action.reason))
        if action.action == "refresh":
            return defer.ensureDeferred(self._refresh_account(session))
        self.log.warn("Unknown operator action {action!r} ignored", action=action.action)
        return defer.succeed(None)

    async def _kick_by_operator(self, session, reason):
        self.log.info("{username} kicked by an operator: {reason}",
                      username=session.username, reason=reason)
        save = self._leave(session)
        session.kick(CLOSE_KICKED, reason)
        await save

    async def _refresh_account(self, session):
        account = await self.store.get_account(session.username)
        if account is None or self.sessions.get(session.player_id) is not session:
            return
        if account.role != session.role:
            self.log.info("{username} is now {role}", username=account.username,
                          role=account.role)
        session.role = account.role

    # -- play
    def dispatch(self, session, request):
        """Answer what the registry says is answered at once; queue the rest for the tick."""
        if request.type not in self.commands.at_once:
            self.world.submit(session, request)
            return
        d = defer.maybeDeferred(self.commands.handlers[request.type], self, session,
                                request.payload)
        d.addCallback(lambda payload: self._reply_frame(request, payload))
        d.addErrback(self._failed, request)
        d.addCallback(session.send_frame)

    @staticmethod
    def _reply_frame(request, payload):
        if isinstance(payload, EncodedList):
            return encode_success_list(request.id, payload.key, payload.items)
        return encode_success(request.id, payload)

    def _failed(self, failure, request):
        """The reply frame to a request that failed: its game error, else INTERNAL_SERVER_ERROR."""
        return error_frame(request.id, failure, self.metrics, self.log, "{type} failed",
                           type=request.type)

    def encoded_chunks(self, payload):
        """
        The C{query_chunks} reply, made of each chunk's bytes encoded once
        (maps never change once loaded).

        @return: an L{EncodedList} of key C{"chunks"}.
        @raise GameError: bad coordinates, radius or map.
        """
        game_map, square = chunks.chunk_square(self.maps, payload)
        cache = self.chunk_bytes
        encoded = []
        for chunk_x, chunk_y in square:
            key = (game_map.map_id, chunk_x, chunk_y)
            data = cache.get(key)
            if data is None:
                data = cache[key] = encode_value(chunks.get_chunk(game_map, chunk_x, chunk_y))
            encoded.append(data)
        return EncodedList("chunks", encoded)

    # -- leaving
    def disconnected(self, session):
        d = self._leave(session)
        d.addErrback(lambda f: self.log.failure("Saving {username} failed", f,
                                                username=session.username))

    def _leave(self, session):
        """Take a player out of the world, save it, release its presence."""
        if self.sessions.get(session.player_id) is session:
            del self.sessions[session.player_id]
            if self._playing_names.get(session.username) == session.player_id:
                del self._playing_names[session.username]
        entry = session.presence_entry
        d = self.world.leave(session.player_id)

        def release(_):
            if entry is not None:
                return self.presence.release(entry)
        d.addCallback(release)
        self.log.info("{username} left", username=session.username)
        return d

    # -- crossing to a map served by another process (docs/scaling.md)
    def departed(self, session, map_id, saved, walk=None):
        """
        The world service took a player out that crossed to C{map_id},
        served elsewhere, and is saving it there: its frames wait until the
        save committed, then this process lets go of its presence entry and
        online record (the new owner claims its own) and the relay hands the
        connection to the map's owner.  A failed save closes it 1012 (the
        world service keeps the state for its next snapshot).
        """
        if self.sessions.get(session.player_id) is session:
            del self.sessions[session.player_id]
            if self._playing_names.get(session.username) == session.player_id:
                del self._playing_names[session.username]
        session.moving()
        started = self.clock.seconds()

        def done(_):
            if self.metrics is not None:
                self.metrics.handoff("completed", self.clock.seconds() - started)
            # It is saved on its new map: this process holds it no longer.
            # Its new owner claims it when it arrives there; should it never
            # arrive (that owner dies first), a login elsewhere must not wait
            # for this process to let go of it.
            self._release(session.presence_entry)
            forgotten = defer.ensureDeferred(self._forget_online(session.player_id))
            if session.closed:
                return forgotten
            self.relay.moved(session, map_id, walk)

        def failed(failure):
            self.log.failure("Handing {username} to map {map_id} failed", failure,
                             username=session.username, map_id=map_id)
            if self.metrics is not None:
                self.metrics.handoff("failed", self.clock.seconds() - started)
            self._release(session.presence_entry)
            session.kick(CLOSE_SERVICE_RESTART, "service restart")
        saved.addCallbacks(done, failed)

    async def arrive(self, session, walk=None):
        """
        Put in a player that crossed from a map served by another process
        (which saved it on this process's map): the session carries its
        identity and waits in C{moving} until it is in the world here.

        @raise ServerFull: its map is not served here (any more).
        """
        player_id = session.player_id
        entry = PresenceEntry(player_id, session.username, self.server_id,
                              session.connection_id)
        await self.presence.claim(entry)
        try:
            await self.persistence.mark_online([player_id])
            character = await self.store.load_character(player_id)
            if character is None or not self.ownership.held(character.map_id):
                raise ServerFull(retry_after_ms=self.retry_after_ms)
        except BaseException:
            self._release(entry)
            raise
        if session.closed or player_id in self.sessions:
            # Gone on the way, or a newer login of the player got in first:
            # that one wins, as any newer login does.
            self._release(entry)
            await self._forget_online(player_id)
            session.kick(CLOSE_LOGGED_IN_ELSEWHERE, "logged in elsewhere")
            return
        session.presence_entry = entry
        self.sessions[player_id] = session
        self._playing_names[session.username] = player_id
        self.world.arrive(session, character, walk)
        session.arrived()

    def _release(self, entry):
        if entry is not None:
            self.presence.release(entry).addErrback(
                lambda f: self.log.warn("Could not release a presence entry: {error}",
                                        error=f.getErrorMessage()))

    def map_lost(self, map_id):
        """
        This process no longer serves C{map_id}: its players here leave the
        world unsaved (another owner may already have loaded them; whatever
        they did since the last snapshot is lost, which fencing makes
        certain) and are closed 1012, so they can log in again on its new
        owner.
        """
        evicted = self.world.evict_map(map_id)
        for player_id in evicted:
            session = self.sessions.pop(player_id, None)
            if session is None:
                continue
            if self._playing_names.get(session.username) == player_id:
                del self._playing_names[session.username]
            self._release(session.presence_entry)
            session.kick(CLOSE_SERVICE_RESTART, "service restart")
        if evicted:
            self.log.warn("Map {map_id} lost: {n} players closed 1012", map_id=map_id,
                          n=len(evicted))

    def connected_players(self):
        """
        The sessions a shutdown tells: the players in the world here and, on
        an edge, the connections it carries for players on maps served by
        other processes (they lose their socket with this process too).
        """
        sessions = list(self.sessions.values())
        if self.relay is not None:
            sessions += self.relay.carried_sessions()
        return sessions

    def broadcast_shutdown(self, message, seconds):
        # Whole seconds on the wire (a grace of 0.5 s says 1).
        frame = encode_event("event_server_shutdown",
                             {"message": message, "seconds": math.ceil(seconds)})
        for session in self.connected_players():
            session.send_frame(frame)
