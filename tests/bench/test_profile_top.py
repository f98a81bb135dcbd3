"""rpg.bench.profile_top: the split of a server's py-spy samples by where the time goes."""

from rpg.bench.profile_top import split

STACKS = """\
run (x.py:1);WorldService.tick (world.py:2);Outbox.flush (ws.py:3);send_now (fastpath.py:4) 30
run (x.py:1);WorldService.tick (world.py:2);Engine.compute_updates (engine.py:5) 40
run (x.py:1);ReactorBase.runUntilCurrent (base.py:6);Outbox.flush_own (ws.py:7);send_now (fastpath.py:4) 5
run (x.py:1);EPollReactor.doPoll (epollreactor.py:8);Connection.doRead (tcp.py:9) 15
run (x.py:1);EPollReactor.doPoll (epollreactor.py:8) 10
"""


def test_samples_are_split_into_tick_sends_reading_and_waiting(tmp_path):
    """A send() inside the tick is the tick's write; one outside is between ticks; reads apart."""
    path = tmp_path / "profile.txt"
    path.write_text(STACKS)
    assert dict(split(path)) == {
        "the tick, besides send()": 0.40, "send() in the tick": 0.30, "reading": 0.15,
        "waiting in epoll": 0.10, "send() between ticks": 0.05}
