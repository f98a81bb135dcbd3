"""Black box: authentication, the welcome sequence, close codes (clarifications, "Session")."""

import time

import jwt
import msgpack
import pytest
import pytest_twisted

from .harness import (EQUIPMENT_SLOTS, SECRET, SKILL_NAMES, BlackBoxServer, field, fresh,
                      reply_error, reply_ok)

SERVER = dict(maps={"field": field()}, start_map="field", config={"auth_timeout_s": 1.0})

WELCOME_ORDER = ["event_welcome", "event_chat_message", "event_skills",
                 "event_inventory_update", "event_equipment_update",
                 "event_game_update", "event_ground_items_update"]
PLAYER_FIELDS = {"id", "type", "player_id", "username", "x", "y", "facing_direction",
                 "animation_state", "current_hp", "max_hp", "visual_state"}


def token_for(username, ttl=3600, key=SECRET, algorithm="HS256", **claims):
    now = int(time.time())
    return jwt.encode({"sub": username, "iat": now, "exp": now + ttl, **claims}, key,
                      algorithm=algorithm)


async def welcomed(server, request_id="auth-1"):
    """A new player's connection and every frame of its welcome sequence."""
    name = fresh("w")
    await server.register(name)
    token = await server.login(name)
    client = await server.connect()
    await client.request("cmd_authenticate", {"token": token}, request_id=request_id)
    await client.wait_for_event("event_ground_items_update", include_past=True)
    return client, name


@pytest_twisted.ensureDeferred
async def test_welcome_sequence_order(server):
    """After cmd_authenticate the frames come in exactly the clarified order."""
    client, _ = await welcomed(server)
    assert [m["type"] for m in client.frames] == WELCOME_ORDER


@pytest_twisted.ensureDeferred
async def test_welcome_carries_the_request_id_and_events_null(server):
    """event_welcome carries the request id, every later welcome frame id null; all version 2.0."""
    client, _ = await welcomed(server, request_id="welcome-id-7")
    assert client.frames[0]["id"] == "welcome-id-7"
    assert [m["id"] for m in client.frames[1:]] == [None] * 6
    assert all(m["version"] == "2.0" for m in client.frames)
    assert all(set(m) == {"id", "type", "payload", "version"} for m in client.frames)


@pytest_twisted.ensureDeferred
async def test_welcome_payload(server):
    """event_welcome has the spec's nine fields with the right types and values."""
    client, name = await welcomed(server)
    welcome = client.frames[0]["payload"]
    assert set(welcome) >= {"player_id", "username", "x", "y", "map_id", "current_hp",
                            "max_hp", "facing_direction", "animation_state"}
    assert isinstance(welcome["player_id"], int) and not isinstance(welcome["player_id"], bool)
    assert welcome["username"] == name
    assert (welcome["x"], welcome["y"], welcome["map_id"]) == (5, 5, "field")
    assert (welcome["current_hp"], welcome["max_hp"]) == (10, 10)
    assert welcome["facing_direction"] in ("north", "south", "east", "west")
    assert welcome["animation_state"] == "idle"


@pytest_twisted.ensureDeferred
async def test_welcome_chat_line(server):
    """The second frame is a chat line from System on channel system with a float timestamp."""
    client, _ = await welcomed(server)
    chat = client.frames[1]["payload"]
    assert set(chat) == {"username", "message", "channel", "timestamp"}
    assert (chat["username"], chat["channel"]) == ("System", "system")
    assert isinstance(chat["message"], str) and chat["message"]
    assert isinstance(chat["timestamp"], float)


@pytest_twisted.ensureDeferred
async def test_welcome_skills_of_a_new_player(server):
    """event_skills lists all 9 skills, ids 1-9 in order; level 1 / 0 XP but hitpoints 10 / 1154."""
    client, _ = await welcomed(server)
    skills = client.frames[2]["payload"]["skills"]
    assert [s["name"] for s in skills] == list(SKILL_NAMES)
    assert [s["skill_id"] for s in skills] == list(range(1, 10))
    for skill in skills:
        assert set(skill) == {"skill_id", "name", "current_level", "current_xp", "target_xp"}
        if skill["name"] == "hitpoints":
            assert (skill["current_level"], skill["current_xp"], skill["target_xp"]) == \
                (10, 1154, 1358)
        else:
            assert (skill["current_level"], skill["current_xp"], skill["target_xp"]) == (1, 0, 83)


@pytest_twisted.ensureDeferred
async def test_welcome_inventory_lists_every_occupied_slot(server):
    """event_inventory_update holds the starting items keyed "0".."4" with item_id, quantity, name."""
    client, _ = await welcomed(server)
    inventory = client.frames[3]["payload"]["inventory"]
    assert sorted(inventory) == ["0", "1", "2", "3", "4"]
    assert [inventory[s]["name"] for s in sorted(inventory)] == \
        ["Bronze sword", "Wooden shield", "Bread", "Bread", "Bread"]
    for item in inventory.values():
        assert {"item_id", "quantity", "name"} <= set(item)
        assert item["quantity"] == 1


@pytest_twisted.ensureDeferred
async def test_welcome_equipment_lists_all_eleven_slots(server):
    """event_equipment_update names all 11 slots, null for a new player."""
    client, _ = await welcomed(server)
    assert client.frames[4]["payload"] == {"equipment": dict.fromkeys(EQUIPMENT_SLOTS)}


@pytest_twisted.ensureDeferred
async def test_welcome_game_update_includes_self_in_full(server):
    """event_game_update holds the player itself with every player field."""
    client, name = await welcomed(server)
    update = client.frames[5]["payload"]
    assert set(update) == {"entities", "removed_entities", "map_id"}
    assert update["map_id"] == "field" and update["removed_entities"] == []
    player_id = client.frames[0]["payload"]["player_id"]
    me = [e for e in update["entities"] if e["id"] == f"player_{player_id}"]
    assert len(me) == 1
    me = me[0]
    assert set(me) == PLAYER_FIELDS
    assert me["type"] == "player" and me["player_id"] == player_id and me["username"] == name
    assert (me["x"], me["y"], me["current_hp"], me["max_hp"]) == (5, 5, 10, 10)
    assert me["animation_state"] == "idle"
    assert set(me["visual_state"]) == {"equipment"}
    assert me["visual_state"]["equipment"] == dict.fromkeys(EQUIPMENT_SLOTS)


@pytest_twisted.ensureDeferred
async def test_welcome_game_update_shows_others_nearby(server):
    """A player logging in beside another sees it in its first event_game_update."""
    first = await server.player()
    client, _ = await welcomed(server)
    ids = [e["id"] for e in client.frames[5]["payload"]["entities"]]
    assert first.entity_id in ids


@pytest_twisted.ensureDeferred
async def test_welcome_ground_items_shape(server):
    """event_ground_items_update closes the sequence with {added: [...], removed: []}."""
    client, _ = await welcomed(server)
    assert client.frames[6]["payload"] == {"added": [], "removed": []}


@pytest.mark.parametrize("payload", [{}, {"token": None}, {"token": ""}])
@pytest_twisted.ensureDeferred
async def test_missing_token(server, payload):
    """No token, a null one or an empty string is AUTHENTICATION_MISSING_TOKEN."""
    client = await server.connect()
    assert (await reply_error(client, "cmd_authenticate", payload))["error_code"] == \
        "AUTHENTICATION_MISSING_TOKEN"


@pytest.mark.parametrize("token", [12, 1.5, True, ["a.b.c"], {"t": "x"}, b"a.b.c"])
@pytest_twisted.ensureDeferred
async def test_token_of_another_type(server, token):
    """A token that is not a string is AUTHENTICATION_INVALID_PAYLOAD."""
    client = await server.connect()
    assert (await reply_error(client, "cmd_authenticate", {"token": token}))["error_code"] == \
        "AUTHENTICATION_INVALID_PAYLOAD"


@pytest_twisted.ensureDeferred
async def test_expired_token(server):
    """An expired token (valid signature) is AUTHENTICATION_EXPIRED_TOKEN."""
    name = fresh("exp")
    await server.register(name)
    client = await server.connect()
    payload = await reply_error(client, "cmd_authenticate", {"token": token_for(name, ttl=-60)})
    assert payload["error_code"] == "AUTHENTICATION_EXPIRED_TOKEN"


@pytest.mark.parametrize("kind", ["garbage", "wrong_key", "hs512", "none_alg", "no_sub",
                                  "unknown_user"])
@pytest_twisted.ensureDeferred
async def test_bad_tokens_fail(server, kind):
    """Bad signature, another algorithm, alg none, no sub, unknown player: AUTHENTICATION_FAILED."""
    name = fresh("bad")
    await server.register(name)
    token = {
        "garbage": "not-a-jwt",
        "wrong_key": token_for(name, key="another-secret-of-enough-length"),
        "hs512": token_for(name, algorithm="HS512"),
        "none_alg": jwt.encode({"sub": name, "iat": int(time.time()),
                                "exp": int(time.time()) + 60}, None, algorithm="none"),
        "no_sub": jwt.encode({"iat": int(time.time()), "exp": int(time.time()) + 60}, SECRET,
                             algorithm="HS256"),
        "unknown_user": token_for(fresh("ghost")),
    }[kind]
    client = await server.connect()
    payload = await reply_error(client, "cmd_authenticate", {"token": token})
    assert payload["error_code"] == "AUTHENTICATION_FAILED"


@pytest_twisted.ensureDeferred
async def test_a_forged_token_for_a_known_player_authenticates(server):
    """Any HS256 token with sub, iat, exp signed with the server's secret is accepted."""
    name = fresh("forge")
    await server.register(name)
    client = await server.connect()
    welcome = await client.request("cmd_authenticate", {"token": token_for(name)})
    assert welcome["type"] == "event_welcome"


@pytest.mark.parametrize("ttl, expected", [
    (3600, "event_welcome"), (86400, "event_welcome"),
    (-60, "AUTHENTICATION_EXPIRED_TOKEN"), (10 * 86400, "AUTHENTICATION_FAILED")])
@pytest_twisted.ensureDeferred
async def test_a_token_without_iat(server, ttl, expected):
    """A token with only sub and exp (as many JWT libraries mint them) authenticates until
    its exp and is then AUTHENTICATION_EXPIRED_TOKEN; one whose exp lies past the server's
    24 h cap is AUTHENTICATION_FAILED."""
    name = fresh("noiat")
    await server.register(name)
    token = jwt.encode({"sub": name, "exp": int(time.time()) + ttl}, SECRET, algorithm="HS256")
    client = await server.connect()
    reply = await client.request("cmd_authenticate", {"token": token})
    got = reply["type"] if reply["type"] == "event_welcome" else reply["payload"]["error_code"]
    assert got == expected, reply
    if expected == "event_welcome":
        await client.wait_for_event("event_ground_items_update", include_past=True)


@pytest_twisted.ensureDeferred
async def test_banned_player_fails(server):
    """A banned player's valid token is AUTHENTICATION_FAILED."""
    name = fresh("banned")
    await server.register(name)
    token = await server.login(name)
    assert server.admin("ban", name).returncode == 0
    client = await server.connect()
    payload = await reply_error(client, "cmd_authenticate", {"token": token})
    assert payload["error_code"] == "AUTHENTICATION_FAILED"


@pytest_twisted.ensureDeferred
async def test_authenticating_twice(server):
    """A second cmd_authenticate is AUTHENTICATION_FAILED, reason already_authenticated."""
    client = await server.player()
    token = await server.login(client.username)
    payload = await reply_error(client, "cmd_authenticate", {"token": token})
    assert payload["error_code"] == "AUTHENTICATION_FAILED"
    assert payload["details"] == {"reason": "already_authenticated"}
    assert not client.closed.called


@pytest_twisted.ensureDeferred
async def test_already_authenticated_does_not_count_towards_the_limit(server):
    """Six cmd_authenticate after a login are each already_authenticated and the
    connection stays open (only attempts before a login count towards the five)."""
    client = await server.player()
    for _ in range(6):
        payload = await reply_error(client, "cmd_authenticate",
                                    {"token": server.token(client.username)})
        assert payload["details"] == {"reason": "already_authenticated"}
    await reply_ok(client, "query_inventory", {})
    assert not client.closed.called


@pytest_twisted.ensureDeferred
async def test_four_failures_keep_the_connection(server):
    """Four failed attempts leave the connection open and a fifth try can still succeed."""
    name = fresh("four")
    await server.register(name)
    client = await server.connect()
    for _ in range(4):
        await reply_error(client, "cmd_authenticate", {"token": "junk"})
    welcome = await client.request("cmd_authenticate", {"token": await server.login(name)})
    assert welcome["type"] == "event_welcome"


@pytest_twisted.ensureDeferred
async def test_five_failures_close_1008(server):
    """The fifth failed cmd_authenticate is answered and the connection closes with 1008."""
    client = await server.connect()
    codes = []
    for payload in ({}, {"token": 5}, {"token": "junk"}, {"token": token_for("nobody_xyz")},
                    {"token": token_for("x", ttl=-5)}):
        codes.append((await reply_error(client, "cmd_authenticate", payload))["error_code"])
    code, _ = await client.wait_closed()
    assert code == 1008
    assert codes[-1] == "AUTHENTICATION_EXPIRED_TOKEN"


@pytest_twisted.ensureDeferred
async def test_no_authentication_in_time_closes_1008(server):
    """A connection that does not authenticate within auth_timeout_s is closed with 1008."""
    client = await server.connect()
    code, _ = await client.wait_closed(timeout=5)
    assert code == 1008


@pytest_twisted.ensureDeferred
async def test_not_authenticated_requests_do_not_extend_the_deadline(server):
    """Requests sent before authenticating do not stop the 1008 timeout."""
    client = await server.connect()
    await reply_error(client, "query_inventory", {})
    code, _ = await client.wait_closed(timeout=5)
    assert code == 1008


@pytest_twisted.ensureDeferred
async def test_authenticated_connection_outlives_the_auth_timeout(server):
    """An authenticated connection is not closed by the authentication timeout."""
    client = await server.player()
    with pytest.raises(Exception):
        await client.wait_closed(timeout=1.5)
    assert (await reply_ok(client, "query_inventory", {}))["inventory"]


@pytest_twisted.ensureDeferred
async def test_oversized_message_closes_1009(server):
    """An incoming message over 16 KiB closes with a 1009 close frame."""
    client = await server.connect()
    client.send("cmd_chat_send", {"channel": "local", "message": "x" * 17000})
    code, _ = await client.wait_closed()
    assert code == 1009


@pytest_twisted.ensureDeferred
async def test_message_just_under_the_limit_is_answered(server):
    """A message a little under 16 KiB is handled normally."""
    client = await server.player()
    payload = await reply_error(client, "cmd_chat_send",
                                {"channel": "local", "message": "x" * 16000})
    assert payload["error_code"] == "CHAT_MESSAGE_TOO_LONG"
    assert not client.closed.called


@pytest.mark.parametrize("waiting", [64, 65])
@pytest_twisted.ensureDeferred
async def test_at_most_64_messages_wait_for_a_login(server, waiting):
    """Up to 64 messages sent while a login is being checked are answered after the
    welcome, in order; a 65th closes the connection with 1008."""
    name = fresh("pend")
    await server.register(name)
    client = await server.connect()
    client.send("cmd_authenticate", {"token": server.token(name)}, request_id="login")
    sent = [client.send("query_equipment", {}) for _ in range(waiting)]
    if waiting > 64:
        code, _ = await client.wait_closed()
        assert code == 1008
        assert all(m["id"] not in sent for m in client.frames)
        return
    await client.wait_for(lambda m: m["id"] == sent[-1])
    assert [m["id"] for m in client.frames if m["id"] is not None] == ["login"] + sent


@pytest_twisted.ensureDeferred
async def test_second_login_wins_with_4001(server):
    """A second login closes the older connection with 4001 "logged in elsewhere"."""
    first = await server.player()
    second = await server.player(first.username, register=False)
    code, reason = await first.wait_closed()
    assert (code, reason) == (4001, "logged in elsewhere")
    entities = [e["id"] for m in second.frames if m["type"] == "event_game_update"
                for e in m["payload"]["entities"]]
    assert entities.count(second.entity_id) == 1
    assert (await reply_ok(second, "cmd_move", {"direction": "UP"}))["new_position"]["y"] == 4


@pytest_twisted.ensureDeferred
async def test_second_login_is_seen_once_by_others(server):
    """After a re-login a watcher never sees the player added twice without a removal."""
    watcher = await server.player()
    first = await server.player()
    await watcher.wait_for_event("event_game_update", include_past=True,
                                 predicate=lambda p: any(e["id"] == first.entity_id
                                                         for e in p["entities"]))
    second = await server.player(first.username, register=False)
    await first.wait_closed()
    moved = await reply_ok(second, "cmd_move", {"direction": "UP"})
    await watcher.wait_for_event(
        "event_game_update", include_past=True,
        predicate=lambda p: any(e["id"] == first.entity_id and e.get("y") == 4
                                for e in p["entities"]))
    assert moved["new_position"]["y"] == 4


@pytest_twisted.ensureDeferred
async def test_disconnect_is_an_integer_in_removed_entities(server):
    """When a player disconnects, others get its integer player_id in removed_entities."""
    watcher = await server.player()
    leaver = await server.player()
    await watcher.wait_for_event("event_game_update", include_past=True,
                                 predicate=lambda p: any(e["id"] == leaver.entity_id
                                                         for e in p["entities"]))
    await leaver.close()
    update = await watcher.wait_for_event(
        "event_game_update", predicate=lambda p: leaver.player_id in p["removed_entities"])
    removed = update["payload"]["removed_entities"]
    assert leaver.entity_id not in removed
    assert all(type(r) is int for r in removed if r == leaver.player_id)


@pytest_twisted.ensureDeferred
async def test_shutdown_notice_save_and_1001(tmp_path):
    """Shutdown: event_server_shutdown {message, seconds} to everyone, close 1001, state saved."""
    own = BlackBoxServer(tmp_path, maps={"field": field()}, start_map="field",
                         config={"shutdown_grace_s": 0.2})
    try:
        a = await own.player()
        b = await own.player()
        await reply_ok(a, "cmd_move", {"direction": "UP"})
        own.process.process.send_signal(__import__("signal").SIGTERM)
        for client in (a, b):
            code, _ = await client.wait_closed(timeout=10)
            assert code == 1001
            notices = [m for m in client.frames if m["type"] == "event_server_shutdown"]
            assert len(notices) == 1
            notice = notices[0]
            assert notice["id"] is None and notice["version"] == "2.0"
            assert set(notice["payload"]) == {"message", "seconds"}
            assert isinstance(notice["payload"]["message"], str)
            assert type(notice["payload"]["seconds"]) is int
        # twistd re-raises the SIGTERM it handled once it has shut down cleanly
        assert own.process.process.wait(20) in (0, -15)
        with own.database() as db:
            (y,) = db.execute("SELECT y FROM characters c JOIN accounts a USING (player_id)"
                              " WHERE a.username = ?", (a.username,)).fetchone()
        assert y == 4
    finally:
        own.stop()


@pytest_twisted.ensureDeferred
async def test_disconnect_saves_the_player(server):
    """A player's position is saved when it disconnects and restored at its next login."""
    client = await server.player()
    await reply_ok(client, "cmd_move", {"direction": "UP"})
    await client.close()
    await server.offline(client.username)
    again = await server.player(client.username, register=False)
    assert (again.welcome["payload"]["x"], again.welcome["payload"]["y"]) == (5, 4)
    assert again.welcome["payload"]["facing_direction"] == "north"


def chat_frame_of(size, request_id="edge"):
    """A cmd_chat_send frame of exactly C{size} bytes."""
    def frame(length):
        return msgpack.packb({"id": request_id, "type": "cmd_chat_send", "version": "2.0",
                              "payload": {"channel": "local", "message": "x" * length}})
    length = size - len(frame(0))
    while len(frame(length)) > size:   # the string header grows with the string
        length -= 1
    data = frame(length)
    assert len(data) == size
    return data


@pytest_twisted.ensureDeferred
async def test_16_kib_exactly_is_answered_one_byte_more_closes_1009(server):
    """The limit is 16 KiB: a message of exactly 16,384 bytes is answered; one of 16,385
    closes the connection with 1009."""
    client = await server.player()
    client.send_raw(chat_frame_of(16384))
    reply = await client.wait_for(lambda m: m["id"] == "edge")
    assert reply["payload"]["error_code"] == "CHAT_MESSAGE_TOO_LONG"
    assert not client.closed.called
    client.send_raw(chat_frame_of(16385))
    code, _ = await client.wait_closed()
    assert code == 1009
