"""
Test a game built on rpg the way Twisted programmers test: the real server on
a L{twisted.internet.task.Clock}, with only the WebSocket replaced by an
in-memory connection.  No sockets, no threads, no sleeps; it runs under
C{trial} (L{twisted.trial.unittest.SynchronousTestCase}) and in plain pytest
functions with no reactor running.

    >>> harness = GameHarness(seed=1)    # the shipped maps, from samplemap
    >>> alice = harness.connect("alice")
    >>> alice.request("cmd_move", {"direction": "DOWN"})["type"]
    'resp_success'
    >>> harness.close()

Same seed, same inputs: same replies and events, byte for byte.
``docs/extending.md`` is the guide.
"""

from rpg.testing.harness import GameHarness, NoReply, TestClient
from rpg.testing.maps import shipped_content, write_map

__all__ = ["GameHarness", "TestClient", "NoReply", "write_map", "shipped_content"]
