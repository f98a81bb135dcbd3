"""Black box: a client moving at exactly the cooldown is never refused (clarifications, "Movement")."""

import pytest_twisted
from twisted.internet import defer, reactor, task

from .harness import field

SERVER = dict(maps={"field": field(width=40, height=20)}, start_map="field")


@pytest_twisted.ensureDeferred
async def test_a_move_sent_every_500_ms_is_never_refused(server):
    """Twelve moves sent on a fixed 500 ms schedule, not waiting for replies, all succeed."""
    client = await server.player()
    replies = []

    def send():
        direction = "LEFT" if len(replies) % 2 else "RIGHT"
        replies.append(client.request("cmd_move", {"direction": direction}))
    loop = task.LoopingCall(send)
    loop.clock = reactor
    loop.start(0.5)
    await task.deferLater(reactor, 0.5 * 11 + 0.1, lambda: None)
    loop.stop()
    answers = await defer.gatherResults(replies)
    assert len(answers) == 12
    assert [a["payload"].get("error_code", "ok") if a["type"] == "resp_error" else "ok"
            for a in answers] == ["ok"] * 12
