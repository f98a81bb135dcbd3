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


@pytest_twisted.async_yield_fixture(autouse=True)
async def close_clients(request):
    """Close every connection a test opened, so the next test of the module
    starts with nobody else in the world."""
    if "server" not in request.fixturenames:
        yield None
        return
    running = request.getfixturevalue("server")
    before = len(running.clients)
    yield None
    closing = []
    for client in running.clients[before:]:
        if client.protocol is not None and not client.closed.called:
            closing.append(client.close())
    if closing:
        yield_result = defer.DeferredList(closing, consumeErrors=True)
        await yield_result
    del running.clients[before:]
