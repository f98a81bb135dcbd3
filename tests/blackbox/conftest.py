"""
Fixtures of the black-box suite: one real ``twistd rpg`` per test module,
described by the module's C{SERVER} dict (see L{harness.BlackBoxServer}).
"""

import pytest
import pytest_twisted
from twisted.internet import defer

from .harness import BlackBoxServer


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    spec = request.module.SERVER
    running = BlackBoxServer(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]),
                             **spec)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shared_player(server):
    """One new player (starting inventory, at the spawn) for the read-only tests
    of a module: tests that only collect refusals need no player of their own."""
    client = pytest_twisted.blockon(defer.ensureDeferred(server.player(track=False)))
    yield client
    if not client.closed.called:
        client.protocol.sendClose(1000)


@pytest_twisted.async_yield_fixture(autouse=True)
async def close_clients(request):
    """Check that every frame a test's connections received is a full envelope
    with version 2.0 (events with id null); then close them all, so the next
    test of the module starts with nobody else in the world."""
    if "server" not in request.fixturenames:
        yield None
        return
    running = request.getfixturevalue("server")
    before = len(running.clients)
    yield None
    for client in running.clients[before:]:
        for message in client.frames:
            assert set(message) == {"id", "type", "payload", "version"}, message
            assert message["version"] == "2.0", message
            assert isinstance(message["payload"], dict), message
            if message["type"].startswith("event_") and message["type"] != "event_welcome":
                assert message["id"] is None, message
        # exactly one reply per request id
        reply_ids = [m["id"] for m in client.frames if m["id"] is not None]
        assert len(reply_ids) == len(set(reply_ids)), reply_ids
    closing = []
    for client in running.clients[before:]:
        if client.protocol is not None and not client.closed.called:
            closing.append(client.close())
    if closing:
        yield_result = defer.DeferredList(closing, consumeErrors=True)
        await yield_result
    del running.clients[before:]
