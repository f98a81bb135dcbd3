"""The session's message budget: RATE_LIMITED replies and the 1008 close, on task.Clock."""

import dataclasses

import msgpack
from twisted.internet.task import Clock

from rpg.config import Tunables
from rpg.services.commands import COMMANDS
from rpg.session import Session


class Hub:
    server_id = "test"
    commands = COMMANDS

    def __init__(self):
        self.dispatched = []

    async def login(self, session, token, request_id):
        session.player_id, session.username, session.role = 1, "alice", "player"

    def dispatch(self, session, request):
        self.dispatched.append(request.type)

    def disconnected(self, session):
        pass


def frame(message_type, payload=None, request_id="r"):
    return msgpack.packb({"id": request_id, "type": message_type, "payload": payload or {},
                          "version": "2.0"})


def playing_session(**tunables):
    clock, hub, sent, closed = Clock(), Hub(), [], []
    session = Session(hub, sent.append, lambda code, reason: closed.append(code), clock,
                      dataclasses.replace(Tunables(), **tunables))
    session.connection_made()
    session.frame_received(frame("cmd_authenticate", {"token": "t"}), True)
    assert session.state == "playing"
    return session, clock, hub, sent, closed


def replies(sent):
    return [msgpack.unpackb(f, raw=False) for f in sent]


def test_over_budget_is_rate_limited_with_retry_after_and_changes_nothing():
    """The message past the burst gets RATE_LIMITED {retry_after_ms} and is not dispatched."""
    session, clock, hub, sent, closed = playing_session(rate_move_per_s=2.0, rate_move_burst=2)
    for n in range(3):
        session.frame_received(frame("cmd_move", {"direction": "UP"}, f"m{n}"), True)
    assert hub.dispatched == ["cmd_move", "cmd_move"]
    (reply,) = replies(sent)
    assert reply["id"] == "m2" and reply["type"] == "resp_error"
    assert reply["payload"]["error_code"] == "RATE_LIMITED"
    assert reply["payload"]["details"] == {"retry_after_ms": 500}
    clock.advance(0.5)
    session.frame_received(frame("cmd_move", {"direction": "UP"}, "m3"), True)
    assert hub.dispatched == ["cmd_move"] * 3 and closed == []


def test_refused_frames_count_too():
    """Unreadable frames and unknown types take from the general bucket (4: the login took one)."""
    session, clock, hub, sent, closed = playing_session(rate_general_per_s=1.0,
                                                        rate_general_burst=4)
    session.frame_received(b"\xc1", True)
    session.frame_received(frame("cmd_fly"), True)
    session.frame_received(frame("query_inventory", request_id="q1"), True)
    session.frame_received(frame("query_inventory", request_id="q2"), True)
    codes = [(r["id"], r["payload"]["error_code"]) for r in replies(sent)]
    assert codes == [(None, "INVALID_MESSAGE_FORMAT"), ("r", "UNKNOWN_MESSAGE_TYPE"),
                     ("q2", "RATE_LIMITED")]
    assert hub.dispatched == ["query_inventory"]


def test_sustained_excess_closes_1008_and_reads_nothing_more():
    """Past rate_limit_close_strikes refusals the connection is closed with 1008."""
    session, clock, hub, sent, closed = playing_session(
        rate_chat_per_s=1.0, rate_chat_burst=1, rate_limit_close_strikes=10)
    for n in range(20):
        session.frame_received(frame("cmd_chat_send", {}, f"c{n}"), True)
    assert closed == [1008]
    assert len(sent) == 11 and hub.dispatched == ["cmd_chat_send"]


def test_a_query_chunks_flood_is_weighted_by_chunks():
    """Radius-5 queries (121 chunks each) drain the chunk bucket after two of them."""
    session, clock, hub, sent, closed = playing_session(rate_chunks_burst=250)
    for n in range(3):
        session.frame_received(frame("query_chunks", {"map_id": "m", "chunk_x": 0,
                                                      "chunk_y": 0, "radius": 5}, f"q{n}"), True)
    assert hub.dispatched == ["query_chunks"] * 2
    assert replies(sent)[0]["payload"]["error_code"] == "RATE_LIMITED"


def test_chunk_queries_are_refused_while_the_output_backlog_is_over_the_cap():
    """With more unsent output than output_buffer_max_bytes, query_chunks gets RATE_LIMITED;
    other requests still go through."""
    clock, hub, sent = Clock(), Hub(), []
    backlog = [0]
    session = Session(hub, sent.append, lambda code, reason: None, clock,
                      dataclasses.replace(Tunables(), output_buffer_max_bytes=1000),
                      backlog=lambda: backlog[0])
    session.connection_made()
    session.frame_received(frame("cmd_authenticate", {"token": "t"}), True)
    backlog[0] = 1001
    session.frame_received(frame("query_chunks", {"radius": 0}, "q1"), True)
    session.frame_received(frame("cmd_move", {"direction": "UP"}, "m1"), True)
    assert hub.dispatched == ["cmd_move"]
    (reply,) = replies(sent)
    assert (reply["id"], reply["payload"]["error_code"]) == ("q1", "RATE_LIMITED")
    assert reply["payload"]["details"] == {"retry_after_ms": 1000}
    backlog[0] = 1000
    session.frame_received(frame("query_chunks", {"radius": 0}, "q2"), True)
    assert hub.dispatched == ["cmd_move", "query_chunks"]
