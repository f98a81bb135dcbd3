"""
Connections whose player plays on another process: this process keeps the
socket (it is the player's I{edge}), the process that serves the player's
map runs the conversation (it is the player's I{owner}).

Over the link between the two (L{rpg.link}):

    edge -> owner   ["open", conn, peer, frame, is_binary]  a login to run there
                    ["enter", conn, peer, player, username, role, walk]
                                                            a player crossing into its map
                    ["in", conn, frame, is_binary]          a client frame, as it came
                    ["gone", conn]                          the client went away
                    ["drain", conn]                         no more frames for a player moved away
    owner -> edge   ["out", [[conn, frame], ...]]           frames for the edge's clients
                    ["close", conn, code, reason]           close that client
                    ["moved", conn, map, player, username, role, walk,
                     [[frame, is_binary], ...]]
                                                            the player crossed to C{map}, served
                                                            elsewhere, and is saved there; the
                                                            frames that waited go with it
                    ["bounce", conn, frame, is_binary]      a frame that came after "moved"
                    ["drained", conn]                       the last "bounce" was sent

The owner runs a full L{rpg.session.Session} for each such connection (the
same rules, budget and login as a local one) whose frames wait in one batch
per edge and leave once per tick (L{Relay.flush}, at the end of the tick, or
at the reactor's next turn for frames sent outside it): the owner does no
socket I/O for the players connected elsewhere, and the edge writes the
frames, already encoded, to its sockets.

A player crossing a portal to a map served by another process is saved on
that map by its old owner (a fenced write: the old owner still holds the map
it leaves), then its edge hands the connection to the new owner with
C{enter}: the new owner loads what was saved and shows the player the map as
a crossing on one process would.  Frames the client sends meanwhile wait,
and none is lost or reordered: those that reached the old owner come back
(C{bounce}, then C{drained}) before any later one goes to the new owner.

A lost link is the death of the process at its other end: the edge closes
that owner's clients with 1012 (Service Restart), or answers a login still
waiting with C{SERVER_FULL} and 1013; the owner takes that edge's players
out of the world and saves them, as if each had disconnected
(docs/scaling.md).
"""

from twisted.internet import defer
from twisted.logger import Logger

from rpg.errors import ServerFull
from rpg.protocol.close_codes import (
    CLOSE_POLICY, CLOSE_SERVICE_RESTART, CLOSE_TRY_AGAIN_LATER)
from rpg.protocol.envelope import error_frame
from rpg.session import MAX_PENDING, Session

# An edge's batch leaves early once it holds this many bytes of frames: one
# link message stays far below the link's limit (rpg.link.protocol,
# MAX_MESSAGE_BYTES) however many replies a tick sends one edge.
MAX_BATCH_BYTES = 1024 * 1024


class _Channel:
    """The edge's end of one forwarded connection (L{Session.forward})."""

    def __init__(self, relay, session, owner_id, request_id):
        self.relay = relay
        self.session = session
        self.owner_id = owner_id
        # The login's request id, to answer it if the owner never does.
        self.request_id = request_id
        self.answered = False
        self.opened = False
        # While the player moves to another owner: (player, username, role),
        # the frames that reached the old owner ("early") and those that came
        # here since ("late"), the next owner once known, and whether the old
        # owner has sent back everything it had.
        self.moving = False
        self.identity = None
        self.walk = None
        self.early = []
        self.late = []
        self.next_owner = None
        self.drained = False

    def send(self, data, is_binary):
        if self.moving:
            if len(self.late) >= MAX_PENDING:
                # As while a login is checked: more than this is abuse.
                self.session.kick(CLOSE_POLICY, "too many messages during a map change")
                self.gone()
                return
            self.late.append((data, is_binary))
            return
        relay = self.relay
        if not self.opened:
            self.opened = True
            relay._sent("open", relay.links.send(
                self.owner_id, "open", self.session.connection_id, self.session.peer,
                data, is_binary))
        else:
            relay._sent("in", relay.links.send(
                self.owner_id, "in", self.session.connection_id, data, is_binary))

    def gone(self):
        relay = self.relay
        relay.forwarded.pop(self.session.connection_id, None)
        if self.owner_id is not None:
            relay.links.send(self.owner_id, "gone", self.session.connection_id)


class Relay:
    """
    Both sides of the connections whose player plays on another process.

    @ivar forwarded: on the edge, connection id to its L{_Channel}.
    @ivar remote: on the owner, C{(edge id, connection id)} to the
        L{Session} run here for it.
    @param links: the L{rpg.link.service.LinkService}.
    @param hub: the hub remote sessions log in through (set before use).
    """

    log = Logger()

    def __init__(self, links, clock, tunables, metrics=None, server_id=None, leases=None):
        self.links = links
        self.server_id = server_id
        # The L{rpg.interfaces.IMapLeases} that names each map's owner.
        self.leases = leases
        self.clock = clock
        self.tunables = tunables
        self.metrics = metrics
        self.hub = None
        self.forwarded = {}
        self.remote = {}
        self._batches = {}  # edge id -> [[conn, frame], ...] waiting for the flush
        self._batch_bytes = {}  # edge id -> bytes of frames in its batch
        self._flush_call = None
        # On an old owner: (edge id, conn) of players moved away, until drained.
        self._moved_away = set()

    # -- edge
    def forward(self, session, lease, request_id):
        """
        Hand C{session}, whose login frame is C{session.login_frame}, to the
        owner named by C{lease}: it runs the login and everything after.
        """
        self.links.connect(lease.server_id, lease.address)
        channel = _Channel(self, session, lease.server_id, request_id)
        self.forwarded[session.connection_id] = channel
        session.forward(channel)

    def _sent(self, kind, ok):
        if not ok:
            self.log.warn("Link queue full: a {kind} message was dropped", kind=kind)

    def _edge_message(self, peer_id, kind, body):
        if kind == "out":
            for conn, frame in body[0]:
                channel = self.forwarded.get(conn)
                if channel is not None and channel.owner_id == peer_id:
                    channel.answered = True
                    channel.session.send_frame(frame)
        elif kind == "moved":
            conn, map_id, player_id, username, role, walk, pending = body
            channel = self.forwarded.get(conn)
            if channel is None or channel.owner_id != peer_id or channel.moving:
                self.links.send(peer_id, "drain", conn)
                return
            channel.identity = (player_id, username, role)
            channel.walk = walk if isinstance(walk, dict) else None
            channel.moving = True
            channel.early = [(data, is_binary) for data, is_binary in pending]
            channel.late = []
            channel.next_owner = None
            channel.drained = False
            self.links.send(peer_id, "drain", conn)
            self._route(channel, map_id)
        elif kind == "bounce":
            conn, data, is_binary = body
            channel = self.forwarded.get(conn)
            if channel is not None and channel.moving and channel.owner_id == peer_id:
                channel.early.append((data, is_binary))
        elif kind == "drained":
            channel = self.forwarded.get(body[0])
            if channel is not None and channel.moving and channel.owner_id == peer_id:
                channel.drained = True
                self._finish_move(channel)
        elif kind == "close":
            conn, code, reason = body
            channel = self.forwarded.pop(conn, None)
            if channel is not None and channel.owner_id == peer_id:
                channel.session.kick(code, reason)
            elif channel is not None:
                self.forwarded[conn] = channel

    def moved(self, session, map_id, walk=None):
        """
        On the old owner, once the player crossing to C{map_id} is saved
        there: hand its connection on.  Its edge is told (C{moved}); when
        this process is its edge, the connection goes to the new owner here.
        """
        pending = session.take_pending()
        edge_id = session.edge_id
        conn = session.connection_id
        if edge_id is None:
            channel = _Channel(self, session, None, None)
            channel.opened = True
            channel.identity = (session.player_id, session.username, session.role)
            channel.walk = walk
            channel.moving = True
            channel.early = pending
            channel.drained = True  # nothing in flight: this process is the edge
            self.forwarded[conn] = channel
            session.forward_moved(channel)
            self._route(channel, map_id)
            return
        key = (edge_id, conn)
        self.remote.pop(key, None)
        self._moved_away.add(key)
        session.state = "closed"  # its frames from now on bounce to the edge
        self._flush_edge(edge_id)  # what it was sent before it moved goes first
        self.links.send(edge_id, "moved", conn, map_id, session.player_id, session.username,
                        session.role, walk, [[data, is_binary] for data, is_binary in pending])

    def _route(self, channel, map_id):
        d = defer.maybeDeferred(self.leases.owner, map_id)

        def found(lease):
            if channel.session.closed:
                self.forwarded.pop(channel.session.connection_id, None)
                return
            if lease is None:
                self._cannot_move(channel, f"map {map_id} has no live owner")
                return
            channel.next_owner = lease
            self._finish_move(channel)

        def failed(failure):
            self._cannot_move(channel, failure.getErrorMessage())
        d.addCallbacks(found, failed)

    def _cannot_move(self, channel, why):
        """The player is saved on its new map; it logs in again once the map is served."""
        self.log.warn("Cannot hand {username} to its new map: {why}",
                      username=channel.identity[1], why=why)
        self.forwarded.pop(channel.session.connection_id, None)
        channel.session.kick(CLOSE_SERVICE_RESTART, "service restart")

    def _finish_move(self, channel):
        lease = channel.next_owner
        if lease is None or not channel.drained:
            return
        session = channel.session
        conn = session.connection_id
        frames = channel.early + channel.late
        channel.moving = False
        channel.early = channel.late = []
        if session.closed:
            self.forwarded.pop(conn, None)
            return
        player_id, username, role = channel.identity
        if lease.server_id == self.server_id:
            # The new map is served here: the player plays here again.
            self.forwarded.pop(conn, None)
            session.player_id, session.username, session.role = player_id, username, role
            session.moving(frames)
            d = defer.ensureDeferred(self.hub.arrive(session, channel.walk))
            d.addErrback(self._arrival_failed, session)
            return
        channel.owner_id = lease.server_id
        self.links.connect(lease.server_id, lease.address)
        self.links.send(lease.server_id, "enter", conn, session.peer, player_id, username, role,
                        channel.walk)
        for data, is_binary in frames:
            self.links.send(lease.server_id, "in", conn, data, is_binary)

    def _arrival_failed(self, failure, session):
        if not failure.check(ServerFull):
            self.log.failure("A player crossing from another process could not enter", failure)
        session.kick(CLOSE_SERVICE_RESTART, "service restart")

    def _owner_lost(self, peer_id):
        lost = [c for c in self.forwarded.values() if c.owner_id == peer_id]
        for channel in lost:
            del self.forwarded[channel.session.connection_id]
            session = channel.session
            if channel.answered:
                session.kick(CLOSE_SERVICE_RESTART, "service restart")
            else:
                # A login never left unanswered: the client tries again.
                session.send_frame(error_frame(channel.request_id, ServerFull(
                    retry_after_ms=self.tunables.server_full_retry_after_ms)))
                session.kick(CLOSE_TRY_AGAIN_LATER, "server full")
        if lost:
            self.log.warn("Lost the link to {peer_id}: closed {n} of its players' connections",
                          peer_id=peer_id, n=len(lost))

    # -- owner
    def _owner_message(self, edge_id, kind, body):
        if kind == "open":
            conn, peer, data, is_binary = body
            session = self._remote_session(edge_id, conn, peer)
            if session is None:
                return
            session.connection_made()
            session.frame_received(data, is_binary)
        elif kind == "enter":
            conn, peer, player_id, username, role, walk = body
            session = self._remote_session(edge_id, conn, peer)
            if session is None:
                return
            session.player_id, session.username, session.role = player_id, username, role
            session.moving()
            d = defer.ensureDeferred(self.hub.arrive(
                session, walk if isinstance(walk, dict) else None))
            d.addErrback(self._arrival_failed, session)
        elif kind == "in":
            conn, data, is_binary = body
            session = self.remote.get((edge_id, conn))
            if session is not None:
                session.frame_received(data, is_binary)
            elif (edge_id, conn) in self._moved_away:
                self.links.send(edge_id, "bounce", conn, data, is_binary)
        elif kind == "drain":
            self._moved_away.discard((edge_id, body[0]))
            self.links.send(edge_id, "drained", body[0])
        elif kind == "gone":
            self._moved_away.discard((edge_id, body[0]))
            session = self.remote.pop((edge_id, body[0]), None)
            if session is not None:
                session.connection_lost()

    def _remote_session(self, edge_id, conn, peer):
        """
        A new L{Session} run here for the connection C{conn} of C{edge_id},
        its frames batched for that edge; None if there is one already.
        """
        if (edge_id, conn) in self.remote:
            return None
        session = Session(self.hub, self._sender(edge_id, conn), self._closer(edge_id, conn),
                          self.clock, self.tunables, peer=f"{peer} via {edge_id}",
                          metrics=self.metrics)
        session.connection_id = conn
        session.edge_id = edge_id
        self.remote[(edge_id, conn)] = session
        return session

    def _sender(self, edge_id, conn):
        batches, sizes = self._batches, self._batch_bytes

        def send(frame):
            batch = batches.get(edge_id)
            if batch is None:
                batch = batches[edge_id] = []
                sizes[edge_id] = 0
                if self._flush_call is None:
                    self._flush_call = self.clock.callLater(0, self.flush)
            batch.append((conn, frame))
            size = sizes[edge_id] = sizes[edge_id] + len(frame)
            if size >= MAX_BATCH_BYTES:
                self._flush_edge(edge_id)
        return send

    def _closer(self, edge_id, conn):
        def close(code, reason):
            session = self.remote.pop((edge_id, conn), None)
            self._flush_edge(edge_id)  # what was sent before the close goes before it
            self.links.send(edge_id, "close", conn, code, reason)
            if session is not None and session.state != "closed":
                # Closed here (too many failed logins, a budget exceeded):
                # the edge closes the socket; the session ends as if it had.
                session.connection_lost()
        return close

    def flush(self):
        """Send each edge its waiting frames, one link message per edge."""
        call, self._flush_call = self._flush_call, None
        if call is not None and call.active():
            call.cancel()
        for edge_id in list(self._batches):
            self._flush_edge(edge_id)

    def _flush_edge(self, edge_id):
        self._batch_bytes.pop(edge_id, None)
        batch = self._batches.pop(edge_id, None)
        if batch:
            self.links.send(edge_id, "out", batch)

    def _edge_lost(self, edge_id):
        self._batches.pop(edge_id, None)
        self._batch_bytes.pop(edge_id, None)
        self._moved_away = {key for key in self._moved_away if key[0] != edge_id}
        lost = [key for key in self.remote if key[0] == edge_id]
        for key in lost:
            self.remote.pop(key).connection_lost()
        if lost:
            self.log.warn("Lost the link to {peer_id}: {n} of its players leave the world",
                          peer_id=edge_id, n=len(lost))

    # -- the link's reports
    def message(self, peer_id, kind, body):
        if kind in ("open", "enter", "in", "gone", "drain"):
            self._owner_message(peer_id, kind, body)
        elif kind in ("out", "close", "moved", "bounce", "drained"):
            self._edge_message(peer_id, kind, body)

    def lost(self, peer_id):
        self._edge_lost(peer_id)
        self._owner_lost(peer_id)

    def carried_sessions(self):
        """
        On the edge: the sessions of its clients whose owner answered (a
        player there, or crossing to another owner), not those of logins
        still waiting for their first reply.
        """
        return [channel.session for channel in self.forwarded.values() if channel.answered]

    def close_all(self, code, reason):
        """At shutdown: close the clients this process serves for other edges."""
        for (edge_id, conn), session in list(self.remote.items()):
            session.kick(code, reason)
        self.flush()
