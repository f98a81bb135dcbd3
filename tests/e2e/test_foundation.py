"""End to end: HTTP auth, the envelope and the session over a real WebSocket."""

import jwt
import msgpack
import pytest
import pytest_twisted
from twisted.internet import reactor, task

from .client import GameClient, http
from .server import database_urls, running_server


@pytest.fixture(params=database_urls())
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/e2e.sqlite3"
    from tests.store.conftest import reset_postgres
    import os
    url = os.environ["RPG_TEST_DATABASE_URL"]
    reset_postgres(url)
    return url


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
