"""
The relay between an edge and the owners of its players' maps, on
task.Clock with links that deliver only when pumped, so that the order of
messages in flight can be chosen: a player's frames reach its new owner in
the order the client sent them, whatever was in flight during a handoff; a
lost owner closes its players on the edge (an unanswered login gets
SERVER_FULL); frames for an edge leave in one batch per flush.
"""

import msgpack
from twisted.internet import defer, task

from rpg.config import Tunables
from rpg.models import MapLease
from rpg.services.commands import COMMANDS
from rpg.services.relay import Relay, _Channel
from rpg.session import Session

TUNABLES = Tunables()


class Links:
    """Every relay's links: messages wait per (from, to) until pumped."""

    def __init__(self):
        self.relays = {}
        self.queues = {}

    def of(self, server_id):
        links = self

        class Side:
            def connect(self, peer_id, address):
                pass

            def send(self, peer_id, kind, *body):
                links.queues.setdefault((server_id, peer_id), []).append((kind, body))
                return True
        return Side()

    def pump(self, source, target):
        """Deliver what waits from C{source} to C{target}, in order."""
        waiting = self.queues.pop((source, target), [])
        for kind, body in waiting:
            # Through MessagePack, as on a real link.
            kind, *body = msgpack.unpackb(msgpack.packb([kind, *body], use_bin_type=True),
                                          raw=False)
            self.relays[target].message(source, kind, body)
        return [kind for kind, _ in waiting]


class Hub:
    """What a relayed session needs of the hub: it records what it is asked."""

    def __init__(self, server_id):
        self.server_id = server_id
        self.commands = COMMANDS
        self.dispatched = []
        self.arrivals = []

    def dispatch(self, session, request):
        self.dispatched.append((session.player_id, request.payload["direction"]))

    async def arrive(self, session, walk=None):
        self.arrivals.append((session.player_id, walk))
        session.arrived()


class Edge:
    """A client's connection on the edge: what it was sent and how it closed."""

    peer = "tcp:client"
    closed = False

    def __init__(self, connection_id):
        self.connection_id = connection_id
        self.frames = []
        self.kicked = None

    def send_frame(self, frame):
        self.frames.append(frame)

    def kick(self, code, reason):
        self.closed = True
        self.kicked = (code, reason)


class Leases:
    def __init__(self, owners):
        self.owners = owners

    def owner(self, map_id):
        server_id = self.owners.get(map_id)
        return defer.succeed(None if server_id is None
                             else MapLease(map_id, server_id, 1, f"tcp:{server_id}"))


def move(direction, n):
    return msgpack.packb({"id": f"r{n}", "type": "cmd_move", "payload": {"direction": direction},
                          "version": "2.0"})


def world(owners):
    clock = task.Clock()
    links = Links()
    relays = {}
    for server_id in ("edge", "o1", "o2"):
        relay = Relay(links.of(server_id), clock, TUNABLES, server_id=server_id,
                      leases=Leases(owners))
        relay.hub = Hub(server_id)
        relays[server_id] = links.relays[server_id] = relay
    return clock, links, relays


def playing_on(relays, owner_id, edge, player_id=7):
    """A player connected to the edge and playing on C{owner_id}."""
    channel = _Channel(relays["edge"], edge, owner_id, "login")
    channel.opened = channel.answered = True
    relays["edge"].forwarded[edge.connection_id] = channel
    hub = relays[owner_id].hub
    session = Session(hub, relays[owner_id]._sender("edge", edge.connection_id),
                      relays[owner_id]._closer("edge", edge.connection_id), task.Clock(),
                      TUNABLES)
    session.connection_id, session.edge_id = edge.connection_id, "edge"
    session.player_id, session.username, session.role = player_id, "walker", "player"
    session.state = "playing"
    relays[owner_id].remote[("edge", edge.connection_id)] = session
    return channel, session


def test_frames_in_flight_during_a_handoff_reach_the_new_owner_in_order():
    clock, links, relays = world({"cave": "o2"})
    edge = Edge("edge:1")
    channel, session = playing_on(relays, "o1", edge)
    # The old owner took the player out; a frame it got meanwhile waited.
    session.moving()
    session.frame_received(move("UP", 1), True)
    relays["o1"].moved(session, "cave", {"walking": True, "next_move_in_s": 0.4})
    # The client sends a frame before the edge hears of the move...
    channel.send(move("DOWN", 2), True)
    assert links.pump("o1", "edge") == ["moved"]
    # ...and one after: it waits for what reached the old owner.
    channel.send(move("LEFT", 3), True)
    assert links.queues.get(("edge", "o2")) is None
    assert links.pump("edge", "o1") == ["in", "drain"]
    assert links.pump("o1", "edge") == ["bounce", "drained"]
    assert links.pump("edge", "o2") == ["enter", "in", "in", "in"]
    channel.send(move("RIGHT", 4), True)
    links.pump("edge", "o2")
    assert relays["o2"].hub.arrivals == [(7, {"walking": True, "next_move_in_s": 0.4})]
    assert relays["o2"].hub.dispatched == [(7, "UP"), (7, "DOWN"), (7, "LEFT"), (7, "RIGHT")]
    assert relays["o1"].hub.dispatched == []
    assert channel.owner_id == "o2" and edge.kicked is None


def test_a_player_crossing_to_a_map_without_owner_is_closed_1012():
    clock, links, relays = world({})
    edge = Edge("edge:1")
    channel, session = playing_on(relays, "o1", edge)
    session.moving()
    relays["o1"].moved(session, "cave")
    links.pump("o1", "edge")
    assert edge.kicked == (1012, "service restart")
    assert "edge:1" not in relays["edge"].forwarded


def test_frames_for_an_edge_leave_in_one_batch_per_flush():
    clock, links, relays = world({})
    sessions = [playing_on(relays, "o1", Edge(f"edge:{n}"), player_id=n)[1] for n in (1, 2)]
    for n, session in enumerate(sessions):
        session.send_frame(b"update-%d" % n)
        session.send_frame(b"event-%d" % n)
    relays["o1"].flush()
    assert links.pump("o1", "edge") == ["out"]


def test_a_big_batch_leaves_before_the_flush():
    """However much a tick sends one edge, no link message holds much more than MAX_BATCH_BYTES."""
    from rpg.services.relay import MAX_BATCH_BYTES
    clock, links, relays = world({})
    _, session = playing_on(relays, "o1", Edge("edge:1"))
    chunk = b"c" * (MAX_BATCH_BYTES // 4)
    for _ in range(10):
        session.send_frame(chunk)
    assert [kind for kind, _ in links.queues[("o1", "edge")]] == ["out", "out"]
    relays["o1"].flush()
    batches = [body[0] for kind, body in links.queues[("o1", "edge")]]
    assert [len(b) for b in batches] == [4, 4, 2]
    edge_frames = []
    relays["edge"].forwarded["edge:1"].session.send_frame = edge_frames.append
    links.pump("o1", "edge")
    assert len(edge_frames) == 10


def test_a_lost_owner_closes_its_players_and_answers_a_waiting_login():
    clock, links, relays = world({})
    playing, waiting = Edge("edge:1"), Edge("edge:2")
    playing_on(relays, "o1", playing)
    channel = _Channel(relays["edge"], waiting, "o1", "login-2")
    relays["edge"].forwarded["edge:2"] = channel
    relays["edge"].lost("o1")
    assert playing.kicked == (1012, "service restart")
    assert waiting.kicked == (1013, "server full")
    reply = msgpack.unpackb(waiting.frames[0], raw=False)
    assert (reply["id"], reply["payload"]["error_code"]) == ("login-2", "SERVER_FULL")
    assert relays["edge"].forwarded == {}


def test_a_lost_edge_takes_its_players_out_on_the_owner():
    clock, links, relays = world({})
    left = []
    _, session = playing_on(relays, "o1", Edge("edge:1"))
    session.hub.disconnected = left.append
    relays["o1"].lost("edge")
    assert left == [session] and relays["o1"].remote == {}



def test_a_client_flooding_during_a_handoff_is_closed_1008():
    """Frames that wait for a map change are bounded as those that wait for a login."""
    from rpg.session import MAX_PENDING
    clock, links, relays = world({"cave": "o2"})
    edge = Edge("edge:1")
    channel, session = playing_on(relays, "o1", edge)
    session.moving()
    relays["o1"].moved(session, "cave")
    links.pump("o1", "edge")
    for n in range(MAX_PENDING):
        channel.send(move("UP", n), True)
    assert edge.kicked is None
    channel.send(move("UP", MAX_PENDING), True)
    assert edge.kicked == (1008, "too many messages during a map change")
    assert "edge:1" not in relays["edge"].forwarded
    assert links.pump("edge", "o1") == ["drain", "gone"]
