"""
End to end: operators in control of a running server (issue 15; clarifications,
"Session": an operator's kick closes with 4003 and the reason).  rpg-admin runs
against the server's database while the server runs; tokens are revoked by
password changes, revocation and logout; a token's lifetime is capped.
"""

import io
import time

import jwt
import pytest_twisted
from twisted.internet import reactor, task

from rpg import admin

from .client import http
from .server import running_server

FAST = {"admin_poll_s": 0.05}


async def rpg_admin(server, *argv, stdin=""):
    """Run rpg-admin in this process on the server's database: (code, out, err)."""
    args = admin.build_parser().parse_args(
        ["--database", server.service.database_url, *argv])
    out, err = io.StringIO(), io.StringIO()
    code = await admin.run(args, clock=reactor, out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


async def authenticate(server, token):
    client = await server.connect()
    reply = await client.request("cmd_authenticate", {"token": token})
    return client, reply


@pytest_twisted.ensureDeferred
async def test_kick_saves_the_player_and_closes_with_4003_and_the_reason(tmp_path, db_url):
    """kick: the online player is saved where it stood and closed with 4003, the reason as reason."""
    async with running_server(tmp_path, database_url=db_url, **FAST) as server:
        client = await server.player("kicked_1")
        moved = (await client.request("cmd_move", {"direction": "UP"}))["payload"]["new_position"]
        code, out, err = await rpg_admin(server, "kick", "kicked_1", "--reason", "cool off")
        assert (code, err) == (0, ""), err
        assert out.startswith("kicked_1 is kicked; saved and disconnected from ")
        assert await client.wait_closed() == (4003, "cool off")
        saved = await server.service.store.load_character(client.welcome["payload"]["player_id"])
        assert (saved.x, saved.y) == (moved["x"], moved["y"])
        again = await server.player("kicked_1")  # a kick is not a ban
        await again.close()


@pytest_twisted.ensureDeferred
async def test_ban_of_an_online_player_kicks_it_and_login_answers_403(tmp_path):
    """ban works online: 4003 "banned", then /auth/login is 403 with no token, old tokens refused."""
    async with running_server(tmp_path, **FAST) as server:
        client = await server.player("banned_1")
        token = await server.login("banned_1")
        code, out, _ = await rpg_admin(server, "ban", "banned_1")
        assert code == 0 and out.startswith("banned_1 is banned; saved and disconnected")
        assert await client.wait_closed() == (4003, "banned")
        status, body, _ = await http("POST", server.base_url + "/auth/login",
                                     {"username": "banned_1", "password": "password123"})
        assert status == 403 and "access_token" not in body
        other, reply = await authenticate(server, token)
        assert reply["payload"]["details"]["reason"] == "banned"
        await other.close()


@pytest_twisted.ensureDeferred
async def test_set_role_takes_effect_at_once_for_an_online_player(tmp_path):
    """set-role moderator lets a player already in the world send on the global channel."""
    async with running_server(tmp_path, **FAST) as server:
        client = await server.player("promoted_1")
        reply = await client.request("cmd_chat_send", {"channel": "global", "message": "hi"})
        assert reply["type"] == "resp_error"
        assert (await rpg_admin(server, "set-role", "promoted_1", "moderator"))[0] == 0
        for _ in range(100):
            reply = await client.request("cmd_chat_send", {"channel": "global", "message": "hi"})
            if reply["type"] == "resp_success":
                break
            await task.deferLater(reactor, 0.05, lambda: None)
        assert reply["type"] == "resp_success", reply
        await client.close()


@pytest_twisted.ensureDeferred
async def test_revoke_and_set_password_refuse_live_tokens_and_close_connections(tmp_path):
    """revoke and set-password close the player's connection and refuse every earlier token."""
    async with running_server(tmp_path, **FAST) as server:
        client = await server.player("revoked_1")
        token = await server.login("revoked_1")
        assert (await rpg_admin(server, "revoke", "revoked_1"))[0] == 0
        assert await client.wait_closed() == (4003, "session revoked")
        other, reply = await authenticate(server, token)
        assert reply["payload"]["details"]["reason"] == "revoked_token"
        await other.close()
        client = await server.player("revoked_1")
        code, out, err = await rpg_admin(server, "set-password", "revoked_1",
                                         stdin="a new password\n")
        assert code == 0, err
        assert await client.wait_closed() == (4003, "password changed")
        status, _, _ = await http("POST", server.base_url + "/auth/login",
                                  {"username": "revoked_1", "password": "password123"})
        assert status == 401
        client = await server.player("revoked_1", password="a new password")
        await client.close()


@pytest_twisted.ensureDeferred
async def test_password_change_and_logout_over_http(tmp_path):
    """POST /auth/password (bearer + old password) revokes old tokens; /auth/logout revokes its own."""
    async with running_server(tmp_path, **FAST) as server:
        client = await server.player("changer_1")
        token = await server.login("changer_1")
        url = server.base_url + "/auth/password"
        bearer = {b"authorization": b"Bearer " + token.encode()}
        status, body, _ = await http("POST", url, {"old_password": "wrong-one",
                                                   "new_password": "brand new pw"}, headers=bearer)
        assert (status, body["error_code"]) == (401, "AUTHENTICATION_FAILED")
        status, body, _ = await http("POST", url, {"old_password": "password123",
                                                   "new_password": "brand new pw"}, headers=bearer)
        assert status == 200 and body["token_type"] == "bearer", body
        new_token = body["access_token"]
        assert await client.wait_closed() == (4003, "password changed")
        status, _, _ = await http("POST", url, {"old_password": "brand new pw",
                                                "new_password": "another pw"}, headers=bearer)
        assert status == 401  # the old token is revoked
        status, body, _ = await http("POST", server.base_url + "/auth/logout", headers={
            b"authorization": b"Bearer " + new_token.encode()})
        assert (status, body) == (200, {"status": "logged_out"})
        other, reply = await authenticate(server, new_token)
        assert reply["payload"]["details"]["reason"] == "revoked_token"
        await other.close()
        status, _, _ = await http("POST", server.base_url + "/auth/logout")
        assert status == 401


@pytest_twisted.ensureDeferred
async def test_token_lifetime_is_capped_by_the_server_whatever_exp_says(tmp_path):
    """A token with exp in year 9999 is expired token_ttl_s after its iat; one from the future is refused."""
    async with running_server(tmp_path, token_ttl_s=60, **FAST) as server:
        await server.register("old_token_1")
        now = int(time.time())
        stale = jwt.encode({"sub": "old_token_1", "iat": now - 61, "exp": 253402300799},
                           server.secret, algorithm="HS256")
        future = jwt.encode({"sub": "old_token_1", "iat": now + 3600, "exp": 253402300799},
                            server.secret, algorithm="HS256")
        client = await server.connect()
        reply = await client.request("cmd_authenticate", {"token": stale})
        assert reply["payload"]["error_code"] == "AUTHENTICATION_EXPIRED_TOKEN"
        reply = await client.request("cmd_authenticate", {"token": future})
        assert reply["payload"]["error_code"] == "AUTHENTICATION_FAILED"
        claims = jwt.decode(await server.login("old_token_1"), server.secret,
                            algorithms=["HS256"])
        assert claims["sub"] == "old_token_1" and claims["iss"] == "rpg"
        assert isinstance(claims["pid"], int) and claims["ver"] == 0 and claims["jti"]
        await client.close()


@pytest_twisted.ensureDeferred
async def test_forged_bus_messages_are_dropped_with_a_warning(tmp_path):
    """A System message and a kick published on Valkey without the server secret's signature
    are dropped with a warning; a signed System message is delivered."""
    from twisted.logger import globalLogPublisher

    from rpg.protocol.bus import (
        SYSTEM_CHANNEL, broadcast_message, kick_message, server_channel, system_event)
    from rpg.store.valkey import connect_valkey
    from tests.store.test_presence_contract import valkey_url
    url = valkey_url()
    warnings = []

    def observe(event):
        if "bad signature" in event.get("log_format", ""):
            warnings.append(event)
    async with running_server(tmp_path, valkey_url=url) as server:
        client = await server.player("trusting_1")
        hub = server.service.hub
        forger = await connect_valkey(url)
        signer = await connect_valkey(url, bus_secret=server.secret)
        globalLogPublisher.addObserver(observe)
        try:
            system = forger.bus.channel_key(SYSTEM_CHANNEL)
            fake = broadcast_message("evil", system_event("I am System", 0.0))
            await forger.execute("PUBLISH", system, fake)
            player_id = client.welcome["payload"]["player_id"]
            kick = kick_message(player_id, hub.sessions[player_id].connection_id)
            await forger.execute("PUBLISH", forger.bus.channel_key(
                server_channel(hub.server_id)), kick)
            real = broadcast_message("admin", system_event("Real news", 0.0))
            await signer.execute("PUBLISH", system, signer.bus.signed(SYSTEM_CHANNEL, real))
            event = await client.wait_for_event(
                "event_chat_message", lambda p: p["message"] == "Real news", include_past=True)
            assert event["payload"]["username"] == "System"
        finally:
            globalLogPublisher.removeObserver(observe)
            await forger.close()
            await signer.close()
        messages = [p["message"] for p in client.events_of("event_chat_message")]
        assert "I am System" not in messages
        assert not client.closed.called  # the forged kick did nothing
        assert len(warnings) >= 2
        await client.close()


@pytest_twisted.ensureDeferred
async def test_a_kick_that_comes_during_the_login_closes_the_player_once_in(tmp_path):
    """A kick for a player whose login is under way on this process is carried out when it is in."""
    from twisted.internet import defer

    from rpg.models import AdminAction
    async with running_server(tmp_path, **FAST) as server:
        await server.register("racing_1")
        token = await server.login("racing_1")
        store = server.service.store
        loading, release = defer.Deferred(), defer.Deferred()
        real_load = store.load_character

        async def slow_load(player_id):
            loading.callback(player_id)
            await release
            return await real_load(player_id)
        store.load_character = slow_load
        client = await server.connect()
        reply = client.request("cmd_authenticate", {"token": token})
        player_id = await loading
        await server.service.hub.admin_action(AdminAction(1, player_id, "kick", "mid-login"))
        release.callback(None)
        assert (await reply)["type"] == "event_welcome"
        assert await client.wait_closed() == (4003, "mid-login")
        store.load_character = real_load


@pytest_twisted.ensureDeferred
async def test_one_config_file_for_twistd_and_rpg_admin(tmp_path):
    """twistd rpg --config FILE and rpg-admin --config FILE share the [server] settings: the
    admin tool teleports onto a map only the server's --maps directory holds."""
    import os
    import sys

    from twisted.internet.utils import getProcessOutputAndValue

    from .proc import TwistdServer, environment
    from .tmx import open_field, write_map
    etc = tmp_path / "etc"
    write_map(etc / "maps", "town", open_field(width=16, height=16))
    write_map(etc / "maps", "dungeon", open_field(width=16, height=16))
    secret = etc / "jwt-secret"
    secret.write_text("s" * 40)
    os.chmod(secret, 0o600)
    (etc / "rpg.toml").write_text(
        '[server]\nmaps = "maps"\nstart_map = "town"\ndata_dir = "data"\n'
        'jwt_secret_file = "jwt-secret"\n')
    server = TwistdServer(tmp_path / "run", "--config", str(etc / "rpg.toml")).wait_ready()
    try:
        status, _, _ = await http("POST", server.base_url + "/auth/register",
                                  {"username": "config_1", "password": "password123"})
        assert status == 201
        out, err, code = await getProcessOutputAndValue(
            sys.executable, ["-m", "rpg.admin", "--config", str(etc / "rpg.toml"),
                             "teleport", "config_1", "3", "4", "--map", "dungeon"],
            env=environment(), path=str(tmp_path), reactor=reactor)
        assert code == 0, err.decode()
        assert out.decode() == "config_1 is now at (3, 4) on dungeon\n"
        assert (etc / "data" / "rpg.sqlite3").exists()
    finally:
        server.stop()
