"""Black box: the envelope rules (clarifications, "Envelope"; spec, "Message Structure")."""

import msgpack
import pytest
import pytest_twisted
from twisted.internet import reactor, task

from .harness import field, fresh, reply_error

SERVER = dict(maps={"field": field()}, start_map="field")


def raw(**message):
    return msgpack.packb(message)


async def next_error(client):
    message = await client.wait_for(lambda m: m["type"] == "resp_error")
    assert message["version"] == "2.0"
    return message


@pytest.mark.parametrize("frame, is_binary", [
    (b"hello", False),                                        # a text frame
    (b"\xc1", True),                                          # not MessagePack
    (msgpack.packb([1, 2, 3]), True),                         # not a map
    (msgpack.packb("just a string"), True),                   # not a map
    (msgpack.packb({"id": "x"}) + b"\x01", True),             # trailing bytes
])
@pytest_twisted.ensureDeferred
async def test_unreadable_frames_are_invalid_message_format_with_null_id(server, frame, is_binary):
    """A text frame, non-MessagePack bytes or a non-map is INVALID_MESSAGE_FORMAT with id null."""
    client = await server.connect()
    client.send_raw(frame, is_binary=is_binary)
    reply = await next_error(client)
    assert reply["id"] is None
    assert reply["payload"]["error_code"] == "INVALID_MESSAGE_FORMAT"
    assert not client.closed.called


@pytest.mark.parametrize("frame", [
    b"\xff\xfe not UTF-8",                   # bytes never valid in UTF-8
    b"caf\xc3",                               # a truncated sequence at the end
    b"\xed\xa0\x80 a surrogate",              # an encoded UTF-16 surrogate
    msgpack.packb({"id": "x\udc80"}, unicode_errors="surrogateescape"),
])
@pytest_twisted.ensureDeferred
async def test_text_frame_with_invalid_utf8_closes_1007(server, frame):
    """RFC 6455 first: a text frame whose payload is not valid UTF-8 closes the connection with 1007."""
    client = await server.connect()
    client.send_raw(frame, is_binary=False)
    code, _ = await client.wait_closed()
    assert code == 1007
    assert not any(m["type"] == "resp_error" for m in client.frames)


@pytest.mark.parametrize("message", [
    {"id": "e1", "payload": {}, "version": "2.0"},                    # no type
    {"id": "e1", "type": 5, "payload": {}, "version": "2.0"},         # type not a string
    {"id": "e1", "type": None, "payload": {}, "version": "2.0"},
    {"id": "e1", "type": "cmd_move", "payload": [], "version": "2.0"},  # payload not a map
    {"id": "e1", "type": "cmd_move", "payload": None, "version": "2.0"},
    {"id": "e1", "type": "cmd_move", "payload": "x", "version": "2.0"},
])
@pytest_twisted.ensureDeferred
async def test_bad_type_or_payload_is_invalid_message_format_with_the_id(server, message):
    """A missing/non-string type or a non-map payload is INVALID_MESSAGE_FORMAT carrying the id."""
    client = await server.connect()
    client.send_raw(msgpack.packb(message))
    reply = await next_error(client)
    assert reply["id"] == "e1"
    assert reply["payload"]["error_code"] == "INVALID_MESSAGE_FORMAT"


@pytest.mark.parametrize("bad_id", [12, 1.5, True, ["a"], {"a": 1}, "x" * 65, b"bytes"])
@pytest_twisted.ensureDeferred
async def test_bad_id_is_invalid_message_format_with_null_id(server, bad_id):
    """An id that is not a string of at most 64 characters is INVALID_MESSAGE_FORMAT, id null."""
    client = await server.connect()
    client.send_raw(msgpack.packb({"id": bad_id, "type": "cmd_move",
                                   "payload": {"direction": "UP"}, "version": "2.0"},
                                  use_bin_type=True))
    reply = await next_error(client)
    assert reply["id"] is None
    assert reply["payload"]["error_code"] == "INVALID_MESSAGE_FORMAT"


@pytest_twisted.ensureDeferred
async def test_an_id_of_64_characters_is_accepted(server):
    """An id of exactly 64 characters is valid and comes back on the reply."""
    client = await server.connect()
    request_id = "i" * 64
    payload = await reply_error(client, "query_inventory", {}, request_id=request_id)
    assert payload["error_code"] == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize("message", [
    {"type": "query_inventory", "payload": {}, "version": "2.0"},
    {"id": None, "type": "query_inventory", "payload": {}, "version": "2.0"},
])
@pytest_twisted.ensureDeferred
async def test_a_missing_or_null_id_is_invalid_message_format(server, message):
    """A request whose id is missing or null (not a string) is INVALID_MESSAGE_FORMAT, id null."""
    client = await server.connect()
    client.send_raw(msgpack.packb(message))
    reply = await next_error(client)
    assert reply["id"] is None
    assert reply["payload"]["error_code"] == "INVALID_MESSAGE_FORMAT"


@pytest_twisted.ensureDeferred
async def test_missing_payload_counts_as_empty(server):
    """A missing payload is {}: cmd_authenticate without one is AUTHENTICATION_MISSING_TOKEN."""
    client = await server.connect()
    client.send_raw(raw(id="np", type="cmd_authenticate", version="2.0"))
    reply = await client.wait_for(lambda m: m.get("id") == "np")
    assert reply["payload"]["error_code"] == "AUTHENTICATION_MISSING_TOKEN"


@pytest.mark.parametrize("version", ["1.0", "2", "2.0.0", 2.0, None, ""])
@pytest_twisted.ensureDeferred
async def test_wrong_version_is_protocol_version_mismatch(server, version):
    """A version other than "2.0" is PROTOCOL_VERSION_MISMATCH with details {supported: ["2.0"]}."""
    client = await server.connect()
    payload = await reply_error(client, "cmd_move", {"direction": "UP"}, version=version)
    assert payload["error_code"] == "PROTOCOL_VERSION_MISMATCH"
    assert payload["details"] == {"supported": ["2.0"]}


@pytest_twisted.ensureDeferred
async def test_missing_version_is_protocol_version_mismatch(server):
    """A message without version is PROTOCOL_VERSION_MISMATCH."""
    client = await server.connect()
    client.send_raw(raw(id="nv", type="cmd_move", payload={"direction": "UP"}))
    reply = await client.wait_for(lambda m: m.get("id") == "nv")
    assert reply["payload"]["error_code"] == "PROTOCOL_VERSION_MISMATCH"
    assert reply["payload"]["details"] == {"supported": ["2.0"]}


@pytest.mark.parametrize("message_type", [
    "", "cmd_fly", "resp_success", "resp_error", "event_welcome", "event_game_update",
    "event_server_shutdown", "CMD_MOVE"])
@pytest_twisted.ensureDeferred
async def test_unknown_types_are_unknown_message_type(server, message_type):
    """Server-only types, the empty string and unknown types are UNKNOWN_MESSAGE_TYPE."""
    client = await server.connect()
    payload = await reply_error(client, message_type, {})
    assert payload["error_code"] == "UNKNOWN_MESSAGE_TYPE"


@pytest_twisted.ensureDeferred
async def test_format_is_checked_before_version(server):
    """A bad payload with a bad version is INVALID_MESSAGE_FORMAT (format first)."""
    client = await server.connect()
    client.send_raw(raw(id="o1", type="cmd_move", payload=[], version="1.0"))
    reply = await client.wait_for(lambda m: m.get("id") == "o1")
    assert reply["payload"]["error_code"] == "INVALID_MESSAGE_FORMAT"


@pytest_twisted.ensureDeferred
async def test_version_is_checked_before_type(server):
    """An unknown type with a bad version is PROTOCOL_VERSION_MISMATCH (version before type)."""
    client = await server.connect()
    payload = await reply_error(client, "cmd_fly", {}, version="1.0")
    assert payload["error_code"] == "PROTOCOL_VERSION_MISMATCH"


@pytest_twisted.ensureDeferred
async def test_type_is_checked_before_authentication(server):
    """Before authentication an unknown type is still UNKNOWN_MESSAGE_TYPE."""
    client = await server.connect()
    payload = await reply_error(client, "cmd_fly", {})
    assert payload["error_code"] == "UNKNOWN_MESSAGE_TYPE"


@pytest.mark.parametrize("message_type, payload", [
    ("cmd_move", {"direction": "UP"}), ("cmd_move", {"direction": "sideways"}),
    ("cmd_chat_send", {"channel": "local", "message": "hi"}), ("query_inventory", {}),
    ("query_equipment", {}), ("query_chunks", {"map_id": "nope", "chunk_x": 0, "chunk_y": 0}),
    ("cmd_inventory_use", {"slot": 99}), ("cmd_inventory_drop", {"slot": 0}),
    ("cmd_equipment_equip", {"inventory_slot": 0, "equipment_slot": "weapon"}),
    ("cmd_equipment_unequip", {"equipment_slot": "weapon"}),
    ("cmd_attack", {"target_id": "npc_1", "target_type": "npc"}),
    ("cmd_pickup_item", {"ground_item_id": "ground_item_1"}),
])
@pytest_twisted.ensureDeferred
async def test_everything_before_authentication_is_not_authenticated(server, message_type,
                                                                      payload):
    """Before authentication every command or query (valid payload or not) is
    AUTHENTICATION_FAILED, details {reason: not_authenticated}."""
    client = await server.connect()
    reply = await reply_error(client, message_type, payload)
    assert reply["error_code"] == "AUTHENTICATION_FAILED"
    assert reply["details"] == {"reason": "not_authenticated"}


@pytest_twisted.ensureDeferred
async def test_connection_stays_open_after_many_errors(server):
    """Envelope errors never close the connection: a later valid request is still answered."""
    client = await server.connect()
    for _ in range(8):
        client.send_raw(b"\xc1")
    await reply_error(client, "cmd_fly", {})
    payload = await reply_error(client, "query_inventory", {})
    assert payload["details"] == {"reason": "not_authenticated"}
    assert not client.closed.called


@pytest_twisted.ensureDeferred
async def test_an_unauthenticated_flood_meets_the_budget(server):
    """The budget covers a connection before authentication too, and comes first: 150
    query_inventory sent at once are each answered, AUTHENTICATION_FAILED {reason:
    not_authenticated} while within the budget (100 queries at once by default) and
    RATE_LIMITED {retry_after_ms} past it; the connection stays open and may authenticate."""
    client = await server.connect()
    ids = [client.send("query_inventory", {}) for _ in range(150)]
    replies = [await client.wait_for(lambda m, i=i: m["id"] == i, include_past=True)
               for i in ids]
    codes = [r["payload"]["error_code"] for r in replies]
    assert codes[:100] == ["AUTHENTICATION_FAILED"] * 100
    assert set(codes[100:]) <= {"AUTHENTICATION_FAILED", "RATE_LIMITED"}
    assert codes.count("RATE_LIMITED") >= 40
    for reply in replies:
        details = reply["payload"]["details"]
        if reply["payload"]["error_code"] == "RATE_LIMITED":
            assert set(details) == {"retry_after_ms"} and details["retry_after_ms"] > 0
        else:
            assert details == {"reason": "not_authenticated"}
    name = fresh("flood")
    await server.register(name)
    welcome = await client.request("cmd_authenticate", {"token": server.token(name)})
    assert welcome["type"] == "event_welcome", welcome
    assert not client.closed.called
