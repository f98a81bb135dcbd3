"""End to end: HTTP auth, the envelope and the session over a real WebSocket."""

import jwt
import msgpack
import pytest
import pytest_twisted
from twisted.internet import defer, task

from rpg.models import Account

from .client import GameClient, http
from .server import database_urls, running_server


@pytest_twisted.ensureDeferred
async def test_register_login_and_welcome_sequence(tmp_path, db_url):
    """A new player registers, logs in and gets the whole welcome sequence in order."""
    async with running_server(tmp_path, database_url=db_url) as server:
        status, body, _ = await http("POST", server.base_url + "/auth/register",
                                     {"username": "alice_1", "password": "password123"})
        assert status == 201 and body["username"] == "alice_1"
        assert isinstance(body["player_id"], int)
        status, body, _ = await http("POST", server.base_url + "/auth/login",
                                     {"username": "ALICE_1", "password": "password123"})
        assert status == 200 and body["token_type"] == "bearer" and body["expires_in"] == 86400
        claims = jwt.decode(body["access_token"], server.secret, algorithms=["HS256"])
        assert claims["sub"] == "alice_1" and claims["exp"] - claims["iat"] == 86400
        client = await server.connect()
        welcome = await client.request("cmd_authenticate", {"token": body["access_token"]},
                                       request_id="auth-1")
        await client.wait_for_event("event_ground_items_update", include_past=True)
        types = [m["type"] for m in client.frames]
        assert types == ["event_welcome", "event_chat_message", "event_skills",
                         "event_inventory_update", "event_equipment_update",
                         "event_game_update", "event_ground_items_update"]
        assert welcome["id"] == "auth-1"
        assert all(m["version"] == "2.0" for m in client.frames)
        assert all(m["id"] is None for m in client.frames[1:])
        w = welcome["payload"]
        assert w["username"] == "alice_1" and w["map_id"] == "field"
        assert (w["x"], w["y"]) == (5, 5)
        assert (w["current_hp"], w["max_hp"]) == (10, 10)
        chat, skills, inventory, equipment, game, ground = (m["payload"] for m in client.frames[1:])
        assert (chat["username"], chat["channel"]) == ("System", "system")
        assert [s["name"] for s in skills["skills"]] == [
            "attack", "strength", "defense", "hitpoints", "ranged", "magic", "prayer",
            "woodcutting", "mining"]
        assert skills["skills"][3]["current_level"] == 10
        assert skills["skills"][3]["current_xp"] == 1154
        assert skills["skills"][0]["target_xp"] == 83
        names = sorted(item["name"] for item in inventory["inventory"].values())
        assert len(names) == 5 and names.count("Bread") == 3
        assert set(equipment["equipment"]) == {"head", "cape", "neck", "weapon", "body", "shield",
                                               "legs", "hands", "feet", "ring", "ammo"}
        assert all(v is None for v in equipment["equipment"].values())
        me = f"player_{w['player_id']}"
        assert me in [e["id"] for e in game["entities"]]
        assert ground == {"added": [], "removed": []}
        await client.close()


def raw(**message):
    return msgpack.packb(message)


@pytest_twisted.ensureDeferred
async def test_envelope_errors_keep_the_connection_open(tmp_path):
    """Bad frames get INVALID_MESSAGE_FORMAT / version / type errors and the socket stays open."""
    async with running_server(tmp_path) as server:
        client = await server.connect()
        client.send_raw(b"not msgpack at all", is_binary=False)
        reply = await client.wait_for(lambda m: m["type"] == "resp_error")
        assert reply["id"] is None
        assert reply["payload"]["error_code"] == "INVALID_MESSAGE_FORMAT"
        client.send_raw(b"\xc1")
        reply = await client.wait_for(lambda m: m["type"] == "resp_error")
        assert reply["payload"]["error_code"] == "INVALID_MESSAGE_FORMAT"
        reply = await client.request("cmd_move", {"direction": "UP"}, version="1.0")
        assert reply["payload"]["error_code"] == "PROTOCOL_VERSION_MISMATCH"
        assert reply["payload"]["details"] == {"supported": ["2.0"]}
        reply = await client.request("event_welcome", {})
        assert reply["payload"]["error_code"] == "UNKNOWN_MESSAGE_TYPE"
        client.send_raw(raw(id="p1", type="cmd_move", payload=[], version="2.0"))
        reply = await client.wait_for(lambda m: m.get("id") == "p1")
        assert reply["payload"]["error_code"] == "INVALID_MESSAGE_FORMAT"
        reply = await client.request("cmd_move", {"direction": "UP"})
        assert reply["payload"]["error_code"] == "AUTHENTICATION_FAILED"
        assert reply["payload"]["details"] == {"reason": "not_authenticated"}
        assert not client.closed.called
        await client.close()


@pytest_twisted.ensureDeferred
async def test_unknown_and_banned_players_fail(tmp_path):
    """A valid token for an unknown or banned player is AUTHENTICATION_FAILED;
    a banned account's login is 403, with no token."""
    async with running_server(tmp_path) as server:
        await server.register("carol_3")
        token = await server.login("carol_3")
        await server.service.store.set_banned("carol_3", True)
        status, body, _ = await http("POST", server.base_url + "/auth/login",
                                     {"username": "carol_3", "password": "password123"})
        assert status == 403 and "access_token" not in body, (status, body)
        assert body["error_code"] == "AUTHENTICATION_FAILED"
        ghost = server.service.auth.issue_token(Account(999, "nobody_here", ""))
        client = await server.connect()
        reasons = []
        for t in (token, ghost):
            reply = await client.request("cmd_authenticate", {"token": t})
            assert reply["payload"]["error_code"] == "AUTHENTICATION_FAILED"
            reasons.append(reply["payload"]["details"]["reason"])
        assert reasons == ["banned", "unknown_player"]
        await client.close()


@pytest_twisted.ensureDeferred
async def test_position_survives_restart(tmp_path, db_url):
    """A moved player's position is saved on disconnect and restored after a restart."""
    async with running_server(tmp_path, database_url=db_url) as server:
        client = await server.player("hal_8")
        reply = await client.request("cmd_move", {"direction": "UP"})
        assert reply["payload"]["new_position"]["y"] == 4
        await client.close()
        await server.service.persistence.idle()
    async with running_server(tmp_path, database_url=db_url) as server:
        client = await server.player("hal_8")
        assert (client.welcome["payload"]["x"], client.welcome["payload"]["y"]) == (5, 4)
        assert client.welcome["payload"]["facing_direction"] == "north"
        await client.close()


@pytest_twisted.ensureDeferred
async def test_simultaneous_logins_leave_the_player_in_the_world_once(tmp_path):
    """Two logins of one player racing on one server end with one player in the world."""
    async with running_server(tmp_path) as server:
        await server.register("racer_1")
        token = await server.login("racer_1")
        a, b = await server.connect(), await server.connect()
        replies = await defer.gatherResults([
            a.request("cmd_authenticate", {"token": token}),
            b.request("cmd_authenticate", {"token": token})])
        winners = [c for c, r in zip((a, b), replies) if r["type"] == "event_welcome"]
        assert len(winners) >= 1
        if len(winners) == 2:
            # both got in, one after the other: the older was closed with 4001
            first_closed = defer.DeferredList([a.wait_closed(), b.wait_closed()],
                                              fireOnOneCallback=True, consumeErrors=True)
            (code, _), _ = await first_closed
            assert code == 4001
        playing = [c for c in winners if not c.closed.called]
        assert len(playing) == 1
        assert len(server.service.world_service.clients) == 1
        reply = await playing[0].request("cmd_move", {"direction": "UP"})
        assert reply["type"] == "resp_success"
