"""The 2.0 envelope rules of clarifications.md, checked on the codec alone."""

import msgpack
import pytest

from rpg.protocol import envelope
from rpg.protocol.envelope import (
    EnvelopeError, decode_request, encode_error, encode_event, encode_success)
from rpg.protocol.errors import error_code
from rpg.services.commands import COMMANDS
from rpg.world.errors import MoveBlocked


def pack(**message):
    return msgpack.packb(message)


def refused(data, is_binary=True):
    with pytest.raises(EnvelopeError) as info:
        decode_request(data, is_binary, known_types=COMMANDS)
    return error_code(info.value.error), info.value.request_id, info.value.error.details


def test_valid_request_decodes():
    """A well-formed command comes out as a Request."""
    request = decode_request(pack(id="a", type="cmd_move", payload={"direction": "UP"},
                                  version="2.0"), True, known_types=COMMANDS)
    assert (request.id, request.type, request.payload) == ("a", "cmd_move", {"direction": "UP"})


def test_missing_payload_is_empty_map():
    """A missing payload counts as {}."""
    assert decode_request(pack(id="a", type="query_inventory", version="2.0"), True,
                          known_types=COMMANDS).payload == {}


@pytest.mark.parametrize("data,is_binary", [
    (b"hello", False),
    (b"\xc1\xc1", True),
    (msgpack.packb([1, 2]), True),
    (msgpack.packb("text"), True),
])
def test_unreadable_frames_are_invalid_format_with_null_id(data, is_binary):
    """Text frames, non-MessagePack bytes and non-maps are INVALID_MESSAGE_FORMAT, id null."""
    assert refused(data, is_binary)[:2] == ("INVALID_MESSAGE_FORMAT", None)


@pytest.mark.parametrize("message,expected_id", [
    ({"id": "x", "version": "2.0"}, "x"),
    ({"id": "x", "type": 5, "version": "2.0"}, "x"),
    ({"id": "x", "type": "cmd_move", "payload": [1], "version": "2.0"}, "x"),
    ({"id": "x", "type": "cmd_move", "payload": None, "version": "2.0"}, "x"),
    ({"id": 7, "type": "cmd_move", "version": "2.0"}, None),
    ({"id": "x" * 65, "type": "cmd_move", "version": "2.0"}, None),
    ({"type": "cmd_move", "version": "2.0"}, None),
])
def test_bad_fields_are_invalid_format(message, expected_id):
    """Bad type, payload or id are INVALID_MESSAGE_FORMAT, echoing only a valid id."""
    assert refused(msgpack.packb(message))[:2] == ("INVALID_MESSAGE_FORMAT", expected_id)


def test_id_of_64_characters_is_accepted():
    """An id of exactly 64 characters is valid."""
    assert decode_request(pack(id="i" * 64, type="cmd_move", version="2.0"), True,
                          known_types=COMMANDS).id == "i" * 64


@pytest.mark.parametrize("version", [None, "1.0", 2.0, "2.0.1"])
def test_wrong_version(version):
    """A missing or wrong version is PROTOCOL_VERSION_MISMATCH with the supported list."""
    message = {"id": "v", "type": "cmd_move"}
    if version is not None:
        message["version"] = version
    code, request_id, details = refused(msgpack.packb(message))
    assert (code, request_id, details) == ("PROTOCOL_VERSION_MISMATCH", "v", {"supported": ["2.0"]})


@pytest.mark.parametrize("message_type", ["", "resp_success", "event_welcome", "cmd_fly"])
def test_unknown_types(message_type):
    """Server-only types, the empty string and unknown types are UNKNOWN_MESSAGE_TYPE."""
    assert refused(pack(id="t", type=message_type, version="2.0"))[:2] == (
        "UNKNOWN_MESSAGE_TYPE", "t")


def test_version_checked_before_type():
    """The version check comes before the type check."""
    assert refused(pack(id="t", type="cmd_fly", version="1.0"))[0] == "PROTOCOL_VERSION_MISMATCH"


def test_outgoing_frames_carry_version_and_id():
    """Replies carry the request's id and version 2.0; events carry id null."""
    ok = msgpack.unpackb(encode_success("a", {"x": 1}))
    err = msgpack.unpackb(encode_error("b", MoveBlocked(reason="collision")))
    event = msgpack.unpackb(encode_event("event_skills", {}))
    assert ok == {"id": "a", "type": "resp_success", "payload": {"x": 1}, "version": "2.0"}
    assert err["payload"]["error_code"] == "MOVEMENT_BLOCKED"
    assert err["payload"]["details"] == {"reason": "collision"}
    assert (event["id"], event["version"]) == (None, "2.0")


def test_the_registry_serves_exactly_the_client_types_of_protocol_2_0():
    """COMMANDS, the one list of client types, holds the spec's thirteen and no more."""
    assert set(COMMANDS) == {
        "cmd_authenticate", "cmd_move", "cmd_chat_send", "cmd_inventory_use",
        "cmd_inventory_drop", "cmd_equipment_equip", "cmd_equipment_unequip",
        "cmd_attack", "cmd_pickup_item", "query_chunks", "query_inventory",
        "query_equipment", "cmd_set_auto_retaliate"}
    assert COMMANDS.at_once == {"cmd_authenticate", "query_chunks", "cmd_chat_send"}


def test_a_game_registers_its_own_error_code_once():
    """register_error adds a new GameError to the one table; a second code or a bad name is refused."""
    from rpg.protocol.errors import ERROR_CODES, register_error
    from rpg.world.errors import GameError

    class Sulking(GameError):
        pass
    register_error(Sulking, "SULKING")
    try:
        assert error_code(Sulking()) == "SULKING"
        with pytest.raises(ValueError, match="has the code SULKING already"):
            register_error(Sulking, "SULKING_AGAIN")
        with pytest.raises(ValueError, match="UPPER_SNAKE_CASE"):
            register_error(type("Other", (GameError,), {}), "not-a-code")
    finally:
        del ERROR_CODES[Sulking]


def test_a_list_reply_from_encoded_items_is_the_same_frame():
    """encode_success_list, from items encoded once, gives encode_success's very bytes."""
    chunks = [{"chunk_x": x, "chunk_y": 0, "tiles": ((1, 2), (3, 4)), "layers": ()}
              for x in range(20)]
    for request_id in ("q1", "i" * 64):
        for items in ([], chunks[:1], chunks):
            assert (envelope.encode_success_list(request_id, "chunks",
                                                 [envelope.encode_value(c) for c in items])
                    == envelope.encode_success(request_id, {"chunks": items}))


def test_error_details_carry_only_small_plain_values():
    """Details keep strings (cut), numbers, booleans, null and small shallow lists and maps;
    extension types, bytes, deep or long arrays, huge integers and odd keys are left out."""
    deep = []
    for _ in range(1000):
        deep = [deep]
    error = MoveBlocked(reason="collision", x=3, ratio=0.5, ok=True, none=None,
                        position={"x": 1, "y": 2}, supported=["2.0"], name="n" * 5000,
                        ext=msgpack.ExtType(5, b"x"), raw=b"bytes", deep=deep,
                        long=list(range(100)), huge=2 ** 70, obj=object(),
                        nested={"a": {"b": {"c": 1}}})
    details = msgpack.unpackb(encode_error("e", error), raw=False)["payload"]["details"]
    assert details["reason"] == "collision" and details["x"] == 3 and details["ratio"] == 0.5
    assert details["ok"] is True and details["none"] is None
    assert details["position"] == {"x": 1, "y": 2} and details["supported"] == ["2.0"]
    assert details["name"] == "n" * 128
    assert details["long"] == list(range(16))
    assert details["deep"] == [[]] and details["nested"] == {"a": {}}
    for key in ("ext", "raw", "huge", "obj"):
        assert key not in details


class CountingMetrics:
    """Counts error codes as rpg.services.metrics.Metrics.errors does."""

    def __init__(self):
        self.counted = []
        outer = self

        class Errors:
            def labels(self, code):
                outer.counted.append(code)
                return self

            def inc(self, n=1):
                pass
        self.errors = Errors()


class FailureLog:
    def __init__(self):
        self.failures = []

    def failure(self, why, failure, **fields):
        self.failures.append((why.format(**fields), failure.type))


def test_error_frame_answers_a_game_error_with_its_code_and_counts_it():
    """A game error becomes its own resp_error, counted under its code, with nothing logged."""
    from rpg.protocol.envelope import error_frame
    metrics, log = CountingMetrics(), FailureLog()
    frame = msgpack.unpackb(error_frame("r1", MoveBlocked("Wall", x=1), metrics, log))
    assert frame["id"] == "r1" and frame["payload"]["error_code"] == "MOVEMENT_BLOCKED"
    assert frame["payload"]["details"] == {"x": 1}
    assert metrics.counted == ["MOVEMENT_BLOCKED"] and log.failures == []


def test_error_frame_answers_anything_else_internal_and_logs_it():
    """An unexpected exception is logged with its reason and answered INTERNAL_SERVER_ERROR."""
    from twisted.python.failure import Failure

    from rpg.protocol.envelope import error_frame
    metrics, log = CountingMetrics(), FailureLog()
    try:
        raise KeyError("bug")
    except KeyError:
        failure = Failure()
    frame = msgpack.unpackb(error_frame("r2", failure, metrics, log, "{type} failed",
                                        type="cmd_move"))
    assert frame["payload"] == {"error_code": "INTERNAL_SERVER_ERROR",
                                "message": "Unexpected server error", "details": {}}
    assert metrics.counted == ["INTERNAL_SERVER_ERROR"]
    assert log.failures == [("cmd_move failed", KeyError)]


def test_error_frame_answers_a_game_error_it_cannot_encode_internal():
    """A game error whose message cannot be encoded is logged and answered INTERNAL_SERVER_ERROR."""
    from rpg.protocol.envelope import error_frame
    metrics, log = CountingMetrics(), FailureLog()
    frame = msgpack.unpackb(error_frame("r3", MoveBlocked("\ud800"), metrics, log))
    assert frame["payload"]["error_code"] == "INTERNAL_SERVER_ERROR"
    assert metrics.counted == ["INTERNAL_SERVER_ERROR"] and len(log.failures) == 1


def _update(entities, removed=(), map_id="open"):
    return {"entities": entities, "removed_entities": list(removed), "map_id": map_id}


def test_update_encoder_makes_the_bytes_of_encode_event():
    """UpdateEncoder's frames equal encode_event's, byte for byte, for every payload shape."""
    moved = {"id": "player_1", "x": 3, "y": 4, "animation_state": "walking"}
    hit = {"id": "npc_7", "current_hp": 2}
    payloads = [
        _update([moved, hit]),
        _update([hit, moved, {"id": "player_2", "x": 300, "y": 70000}], removed=[5, "npc_3"]),
        _update([], removed=[9]),
        _update([moved], map_id="cave"),
        _update([moved] * 20),
        {"entities": [moved], "map_id": "open", "removed_entities": []},  # other key order
        {"entities": [moved], "removed_entities": [], "map_id": "open", "extra": 1},
    ]
    encoder = envelope.UpdateEncoder()
    for payload in payloads:
        assert encoder.encode(payload) == encode_event("event_game_update", payload)


def test_update_encoder_packs_a_shared_record_once(monkeypatch):
    """A record held by many payloads of one tick is packed once and spliced into each."""
    packed = []
    real = envelope._packer()

    class CountingPacker:
        def pack(self, value):
            packed.append(value)
            return real.pack(value)

        def pack_array_header(self, n):
            return real.pack_array_header(n)

    monkeypatch.setattr(envelope, "_packer", CountingPacker)
    moved = {"id": "player_1", "x": 3, "y": 4}
    encoder = envelope.UpdateEncoder()
    frames = [encoder.encode(_update([moved, {"id": f"player_{n}", "x": n}])) for n in range(5)]
    assert sum(value is moved for value in packed) == 1
    assert len(set(frames)) == 5
