"""Black box: capacity (clarifications, "Session"): max_players, SERVER_FULL, close 1013."""

import json
import urllib.request

import pytest_twisted
from twisted.internet import defer, reactor, task

from .harness import field, fresh, reply_error

SERVER = dict(maps={"field": field()}, start_map="field",
              config={"max_players": 2, "server_full_retry_after_ms": 3000})


def players_online(server):
    with urllib.request.urlopen(server.metrics_url + "/health", timeout=5) as response:
        return json.load(response)["players_online"]


async def until_online(server, n, timeout=5.0):
    for _ in range(int(timeout / 0.05)):
        if players_online(server) == n:
            return
        await task.deferLater(reactor, 0.05, lambda: None)
    raise AssertionError(f"players_online never became {n}")


async def refused(server, username=None):
    """A login to the full server: its error payload and the close code that followed."""
    username = username or fresh("late")
    await server.register(username)
    client = await server.connect()
    payload = await reply_error(client, "cmd_authenticate", {"token": server.token(username)})
    code, _ = await client.wait_closed()
    return payload, code


@pytest_twisted.ensureDeferred
async def test_a_login_past_max_players_is_server_full_then_1013(server):
    """With max_players = 2 and two in, a third gets SERVER_FULL {retry_after_ms}, then close 1013."""
    await server.player()
    await server.player()
    payload, code = await refused(server)
    assert payload["error_code"] == "SERVER_FULL"
    assert payload["details"] == {"retry_after_ms": 3000}
    assert code == 1013


@pytest_twisted.ensureDeferred
async def test_players_in_stay_and_a_freed_place_is_usable_at_once(server):
    """A refusal drops nobody already in; after one logs out the next login gets in first time."""
    await until_online(server, 0)
    first = await server.player()
    second = await server.player()
    await refused(server)
    assert not first.closed.called and not second.closed.called
    assert (await first.request("query_inventory", {}))["type"] == "resp_success"
    await first.close()
    await until_online(server, 1)
    third = await server.player()
    assert third.welcome["type"] == "event_welcome"


@pytest_twisted.ensureDeferred
async def test_a_bad_token_on_a_full_server_still_gets_its_auth_error(server):
    """The token is checked before room: a forged one is AUTHENTICATION_FAILED, and the connection stays."""
    await until_online(server, 0)
    await server.player()
    await server.player()
    client = await server.connect()
    payload = await reply_error(client, "cmd_authenticate", {"token": "not-a-token"})
    assert payload["error_code"] == "AUTHENTICATION_FAILED"
    assert not client.closed.called


@pytest_twisted.ensureDeferred
async def test_a_burst_of_logins_does_not_pass_the_cap(server):
    """Four logins sent at once to an empty server: two welcomes, two SERVER_FULL (logins under way hold a place)."""
    await until_online(server, 0)
    names = [fresh("burst") for _ in range(4)]
    for name in names:
        await server.register(name)
    clients = [await server.connect() for _ in names]
    replies = await defer.gatherResults([
        client.request("cmd_authenticate", {"token": server.token(name)})
        for client, name in zip(clients, names)])
    kinds = sorted(r["type"] if r["type"] == "event_welcome" else r["payload"]["error_code"]
                   for r in replies)
    assert kinds == ["SERVER_FULL", "SERVER_FULL", "event_welcome", "event_welcome"]


@pytest_twisted.ensureDeferred
async def test_a_player_already_in_may_log_in_again_when_full(server):
    """A second login of a player who is in takes no new place: welcomed, the old connection closed 4001."""
    await until_online(server, 0)
    first = await server.player()
    await server.player()
    again = await server.connect()
    welcome = await again.request("cmd_authenticate", {"token": server.token(first.username)})
    assert welcome["type"] == "event_welcome"
    code, _ = await first.wait_closed()
    assert code == 4001
