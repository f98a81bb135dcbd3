"""
Seeded fuzzing for the black-box suite: random frames for the WebSocket
API, and the verdict the protocol documents for each of them.

Everything random comes from one C{random.Random(seed)}, so a seed replays
the same frames.  L{verdict} is an oracle written from docs/protocol.md (the
envelope rules, and each message's table of errors) and the clarifications:
it decodes a frame as a client library would and says which replies it may
get -- which error codes, and whether success is possible at all.
"""

import math
import re
import time
from dataclasses import dataclass

import jwt
import msgpack

from tests.e2e.proc import REPO

from .harness import EQUIPMENT_SLOTS, ITEMS, SECRET

VERSION = "2.0"
MAX_ID_LENGTH = 64
IMF = "INVALID_MESSAGE_FORMAT"
ITEMS_BY_ID = {item["item_id"]: item for item in ITEMS.values()}

# protocol-2.0.md's client messages, and the one rpg adds (docs/protocol.md, "Combat").
CLIENT_TYPES = ("cmd_authenticate", "cmd_move", "cmd_chat_send", "query_chunks", "cmd_attack",
                "cmd_pickup_item", "cmd_inventory_use", "cmd_inventory_drop",
                "cmd_equipment_equip", "cmd_equipment_unequip", "query_inventory",
                "query_equipment", "cmd_set_auto_retaliate")
# How often each is drawn: moves are rarer, as each one ends the mover's fight.
TYPE_WEIGHTS = (1, 1, 2, 2, 3, 3, 2, 2, 3, 2, 1, 1, 1)
NOT_CLIENT_TYPES = ("", "cmd_fly", "CMD_MOVE", "cmd_move ", "resp_success", "resp_error",
                    "event_welcome", "event_game_update", "event_server_shutdown",
                    "cmd_admin", "query_players", "__class__", "cmd_move\x00")


def documented_error_codes():
    """
    Every code docs/protocol.md lists under "Error codes" for C{resp_error}
    (the table before the HTTP-only codes).
    """
    text = (REPO / "docs" / "protocol.md").read_text()
    section = text.split("\n## Error codes", 1)[1].split("HTTP-only codes", 1)[0]
    return frozenset(re.findall(r"`([A-Z][A-Z_]+)`", section))


# The codes each request may answer with once the envelope is good, from the
# per-message tables of docs/protocol.md.  Using equipment equips it, so it
# may meet the equip refusals; chat checks that the message is a string.
AUTHENTICATED_CODES = {
    "cmd_authenticate": {"AUTHENTICATION_FAILED"},   # already authenticated
    "cmd_move": {"MOVEMENT_INVALID_DIRECTION", "MOVEMENT_RATE_LIMITED",
                 "MOVEMENT_OUT_OF_BOUNDS", "MOVEMENT_BLOCKED"},
    "cmd_chat_send": {"CHAT_INVALID_CHANNEL", "CHAT_EMPTY_MESSAGE", IMF, "CHAT_MESSAGE_TOO_LONG",
                      "CHAT_PERMISSION_DENIED", "CHAT_RATE_LIMITED",
                      "CHAT_DM_RECIPIENT_NOT_FOUND"},
    "query_chunks": {"CHUNKS_RADIUS_TOO_LARGE", "CHUNKS_MAP_NOT_FOUND",
                     "CHUNKS_INVALID_COORDINATES"},
    "cmd_attack": {"COMBAT_INVALID_TARGET", "COMBAT_TARGET_NOT_FOUND", "COMBAT_OUT_OF_RANGE",
                   "COMBAT_ALREADY_IN_COMBAT"},
    "cmd_pickup_item": {"INVENTORY_ITEM_NOT_FOUND", "PICKUP_OUT_OF_RANGE", "INVENTORY_FULL"},
    "cmd_inventory_use": {"INVENTORY_INVALID_SLOT", "INVENTORY_SLOT_EMPTY",
                          "INVENTORY_ITEM_NOT_USABLE", "EQUIPMENT_REQUIREMENTS_NOT_MET",
                          "EQUIPMENT_INVENTORY_FULL"},
    "cmd_inventory_drop": {"INVENTORY_INVALID_SLOT", "INVENTORY_SLOT_EMPTY",
                           "INVENTORY_INVALID_QUANTITY"},
    "cmd_equipment_equip": {"EQUIPMENT_SLOT_INVALID", "EQUIPMENT_WRONG_SLOT",
                            "EQUIPMENT_REQUIREMENTS_NOT_MET", "EQUIPMENT_INVENTORY_FULL",
                            "INVENTORY_INVALID_SLOT", "INVENTORY_SLOT_EMPTY"},
    "cmd_equipment_unequip": {"EQUIPMENT_SLOT_INVALID", "EQUIPMENT_SLOT_EMPTY",
                              "EQUIPMENT_INVENTORY_FULL"},
    "query_inventory": set(),
    "query_equipment": set(),
    "cmd_set_auto_retaliate": {IMF},
}
AUTH_CODES = {"AUTHENTICATION_FAILED", "AUTHENTICATION_MISSING_TOKEN",
              "AUTHENTICATION_INVALID_PAYLOAD", "AUTHENTICATION_EXPIRED_TOKEN"}


@dataclass
class Verdict:
    """What a frame must get: one reply with C{reply_id}, one of C{codes}
    (or C{resp_success} when C{success}), or the close code C{close}."""

    reply_id: object = None
    codes: frozenset = frozenset()
    success: bool = False
    close: int = None
    authenticate: bool = False   # a cmd_authenticate that reached the token check


def unpack(data):
    """Decode as the protocol reads a frame: MessagePack, UTF-8 strings, any map keys."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def verdict(data, is_binary, authenticated, max_bytes=16384):
    """
    The documented answer to one frame: checks in the order the protocol
    gives (size, format, version, type, authentication), then the codes the
    request's own table names; success only for a payload of the right
    types (L{WELL_TYPED}), one exact code for a wrong first field
    (L{FIRST_FAULT}).
    """
    if len(data) > max_bytes:
        return Verdict(close=1009)
    if not is_binary:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return Verdict(close=1007)   # RFC 6455 first
        return Verdict(None, frozenset({IMF}))
    try:
        message = unpack(data)
    except Exception:
        return Verdict(None, frozenset({IMF}))
    if not isinstance(message, dict):
        return Verdict(None, frozenset({IMF}))
    request_id = message.get("id")
    if not (isinstance(request_id, str) and len(request_id) <= MAX_ID_LENGTH):
        return Verdict(None, frozenset({IMF}))
    message_type = message.get("type")
    if not isinstance(message_type, str) or not isinstance(message.get("payload", {}), dict):
        return Verdict(request_id, frozenset({IMF}))
    if message.get("version") != VERSION:
        return Verdict(request_id, frozenset({"PROTOCOL_VERSION_MISMATCH"}))
    if message_type not in CLIENT_TYPES:
        return Verdict(request_id, frozenset({"UNKNOWN_MESSAGE_TYPE"}))
    if authenticated:
        payload = message.get("payload", {})
        fault = FIRST_FAULT.get(message_type, lambda p: None)(payload)
        if fault is not None:
            return Verdict(request_id, frozenset({fault}))
        return Verdict(request_id, frozenset(AUTHENTICATED_CODES[message_type]),
                       success=WELL_TYPED[message_type](payload))
    if message_type != "cmd_authenticate":
        return Verdict(request_id, frozenset({"AUTHENTICATION_FAILED"}))
    return Verdict(request_id, frozenset(token_codes(message.get("payload", {}).get("token"))),
                   authenticate=True)


def _int(value, low=None, high=None):
    """An integer (not a bool) within the bounds."""
    return (type(value) is int and (low is None or value >= low)
            and (high is None or value <= high))


def _text(value, allowed=None):
    return type(value) is str and (allowed is None or value in allowed)


# What a payload must hold to have a chance of success, field by field as the
# protocol types them (docs/protocol.md, and the clarifications: "a slot that is
# not an integer 0-27", "non-integer (booleans and floats included)", "direction
# is exactly UP, DOWN, LEFT or RIGHT" ...).  Anything else must be refused.
_GROUND_ITEM_ID = re.compile(r"ground_item_[0-9]+\Z")
WELL_TYPED = {
    "cmd_move": lambda p: _text(p.get("direction"), ("UP", "DOWN", "LEFT", "RIGHT")),
    "cmd_chat_send": lambda p: (
        _text(p.get("channel"), ("local", "global", "dm")) and _text(p.get("message"))
        and 0 < len(p["message"]) <= 256 and bool(p["message"].strip())
        and (p["channel"] != "dm" or _text(p.get("recipient")))),
    "query_chunks": lambda p: (
        _text(p.get("map_id")) and _int(p.get("chunk_x"), 0) and _int(p.get("chunk_y"), 0)
        and _int(p.get("radius", 1), 0, 5)),
    "cmd_attack": lambda p: _text(p.get("target_type"), ("npc", "player")),
    "cmd_pickup_item": lambda p: _text(p.get("ground_item_id"))
    and bool(_GROUND_ITEM_ID.match(p["ground_item_id"])),
    "cmd_inventory_use": lambda p: _int(p.get("slot"), 0, 27),
    "cmd_inventory_drop": lambda p: _int(p.get("slot"), 0, 27)
    and (p.get("quantity") is None or _int(p["quantity"], 1)),
    "cmd_equipment_equip": lambda p: _int(p.get("inventory_slot"), 0, 27)
    and _text(p.get("equipment_slot"), EQUIPMENT_SLOTS),
    "cmd_equipment_unequip": lambda p: _text(p.get("equipment_slot"), EQUIPMENT_SLOTS),
    "query_inventory": lambda p: True,
    "query_equipment": lambda p: True,
    "cmd_set_auto_retaliate": lambda p: type(p.get("enabled")) is bool,
    "cmd_authenticate": lambda p: False,   # once authenticated
}


# The one code a request must get when its first checked field is wrong, where
# the protocol names it plainly (docs/protocol.md, each message's table).
FIRST_FAULT = {
    "cmd_chat_send": lambda p: None if _text(p.get("channel"), ("local", "global", "dm"))
    else "CHAT_INVALID_CHANNEL",
    "cmd_attack": lambda p: None if _text(p.get("target_type"), ("npc", "player"))
    else "COMBAT_INVALID_TARGET",
    "cmd_pickup_item": lambda p: None if WELL_TYPED["cmd_pickup_item"](p)
    else "INVENTORY_ITEM_NOT_FOUND",
    "cmd_inventory_use": lambda p: None if _int(p.get("slot"), 0, 27)
    else "INVENTORY_INVALID_SLOT",
    "cmd_inventory_drop": lambda p: None if _int(p.get("slot"), 0, 27)
    else "INVENTORY_INVALID_SLOT",
    "cmd_equipment_unequip": lambda p: None if WELL_TYPED["cmd_equipment_unequip"](p)
    else "EQUIPMENT_SLOT_INVALID",
    "cmd_set_auto_retaliate": lambda p: None if WELL_TYPED["cmd_set_auto_retaliate"](p)
    else IMF,
}


def token_codes(token):
    """The codes a token may get from a server that knows none of the names
    the fuzz puts in tokens (docs/protocol.md, "Session")."""
    if token is None or token == "":
        return {"AUTHENTICATION_MISSING_TOKEN"}
    if not isinstance(token, str):
        return {"AUTHENTICATION_INVALID_PAYLOAD"}
    return {"AUTHENTICATION_FAILED", "AUTHENTICATION_EXPIRED_TOKEN"}


class Fuzzer:
    """
    Makes frames: well-formed envelopes of every type with payloads of
    plausible and random values, envelopes broken in one or more ways, and
    bytes that are no envelope at all.

    @param pools: values worth trying that the test learns as it goes, read
        on every draw: lists C{npc_ids}, C{entity_ids}, C{opponents} (the
        players to attack most), C{ground_item_ids}, C{usernames}, C{tokens},
        C{map_ids}, and C{inventory}, the player's C{{slot: item_id}}.
    """

    def __init__(self, rng, pools):
        self.rng = rng
        self.pools = pools
        self._ids = 0

    # -- values
    def value(self, depth=0):
        """A random value of a random MessagePack type."""
        rng = self.rng
        kind = rng.choice(("int", "int", "float", "bool", "none", "str", "str", "bytes",
                           "list", "map", "ext"))
        if kind == "int":
            return rng.choice((0, 1, -1, 27, 28, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 53 + 1,
                               2 ** 63 - 1, -2 ** 63, 2 ** 64 - 1, rng.randint(-10 ** 6, 10 ** 6)))
        if kind == "float":
            return rng.choice((0.0, -0.0, 0.5, 1.0, 3.0, -1.5, 1e308, -1e308, 5e-324,
                               math.inf, -math.inf, math.nan, rng.uniform(-1e3, 1e3)))
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "none":
            return None
        if kind == "str":
            return self.text()
        if kind == "bytes":
            return rng.randbytes(rng.choice((0, 1, 8, 64)))
        if kind == "ext":
            return rng.choice((msgpack.ExtType(rng.randint(0, 127), rng.randbytes(4)),
                               msgpack.Timestamp(rng.randint(0, 2 ** 32), 0)))
        if depth >= 2:
            return None
        if kind == "list":
            return [self.value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {self.key(): self.value(depth + 1) for _ in range(rng.randint(0, 4))}

    def key(self):
        rng = self.rng
        return rng.choice((self.text(), rng.randint(-5, 5), None, True, 1.5, b"k",
                           "slot", "direction", "token", "id", "type", "payload", "version"))

    def text(self):
        rng = self.rng
        return rng.choice((
            "", " ", "\t\n", "x", "UP", "up", "0", "-1", "1e3", "null", "None", "true",
            "ground_item_1", "npc_1", "player_1", "local", "global", "dm", "system", "weapon",
            "ключ 🗡 ñ", "\u200b", "\x00", "\ud7ff\ue000", "%s%n{0}", "'; DROP TABLE inventory;--",
            "a" * rng.choice((63, 64, 65, 256, 257, 1000, 3000)),
            "".join(chr(rng.randint(1, 0x10FFFF)) for _ in range(rng.randint(1, 12)))
            .encode("utf-8", "replace").decode("utf-8", "replace"),
        ))

    def pick(self, plausible):
        """Mostly a plausible value, sometimes one of the wrong type, sometimes anything."""
        roll = self.rng.random()
        if plausible and roll < 0.55:
            return self.rng.choice(plausible)
        if plausible and roll < 0.75:
            return self.near_miss(self.rng.choice(plausible))
        return self.value()

    def near_miss(self, value):
        """A value like C{value} but of another type or form: C{1.0} or C{"1"}
        or C{True} for C{1}, C{b"UP"} or C{" UP"} for C{"UP"}, C{[value]}."""
        rng = self.rng
        if type(value) is int:
            return rng.choice((float(value), value + 0.5, str(value), value == 1, [value],
                               math.nan, math.inf, -value - 1))
        if type(value) is str:
            return rng.choice((value.encode(), value.lower(), value.upper(), f" {value}",
                               f"{value}\x00", value[:-1], [value], {value: value}))
        if type(value) is bool:
            return rng.choice((int(value), str(value).lower(), None))
        return [value]

    # -- payloads
    def plausible_fields(self, message_type):
        """C{{field: plausible values}} for a message type's fields."""
        p = self.pools
        slots = list(range(28)) + list(p["inventory"]) * 2 + [-1, 28, 1000]
        equipment_slots = list(EQUIPMENT_SLOTS) + ["WEAPON", "sword", ""]
        return {
            "cmd_authenticate": {"token": p["tokens"] + ["", "abc", "a.b.c"]},
            "cmd_move": {"direction": ["UP", "DOWN", "LEFT", "RIGHT"] * 3 + ["up", "NORTH", ""]},
            "cmd_chat_send": {
                "channel": ["local", "local", "dm", "global", "system", "", "LOCAL"],
                "message": ["hello", "damn it", "  ", "", "x" * 256, "x" * 257, "ключ 🗡"],
                "recipient": p["usernames"] + [u.upper() for u in p["usernames"]]
                + ["nobody_here", ""]},
            "query_chunks": {"map_id": p["map_ids"] * 3 + ["nope", ""],
                             "chunk_x": [0, 1, 2] * 2 + [3, -1, 100],
                             "chunk_y": [0, 1, 2] * 2 + [3, -1, 100],
                             "radius": [0, 1, 1, 2, 5, 6, -1]},
            "cmd_attack": {"target_id": p["npc_ids"] * 3 + p["entity_ids"]
                           + ["npc_0", "npc_999999", "player_0", "npc_", ""],
                           "target_type": ["npc"] * 4 + ["player", "NPC", ""]},
            "cmd_pickup_item": {"ground_item_id": p["ground_item_ids"] * 3
                                + ["ground_item_0", "ground_item_01", "ground_item_1",
                                   "ground_item_" + "9" * 18, "ground_item_" + "9" * 19]},
            "cmd_inventory_use": {"slot": slots},
            "cmd_inventory_drop": {"slot": slots,
                                   "quantity": [1, 1, 2, 5, 20, 0, -1, 2 ** 31 - 1, 2 ** 31,
                                                2 ** 63 - 1]},
            "cmd_equipment_equip": {"inventory_slot": slots, "equipment_slot": equipment_slots},
            "cmd_equipment_unequip": {"equipment_slot": equipment_slots},
            "query_inventory": {},
            "query_equipment": {},
            "cmd_set_auto_retaliate": {"enabled": [True, False]},
        }.get(message_type, {})

    def payload(self, message_type):
        """A payload for the type: fields plausible, mistyped, random or missing, and extras."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return self.value() if rng.random() < 0.5 else {self.key(): self.value()}
        fields = self.plausible_fields(message_type)
        if roll < 0.35:   # every field plausible, as a client would send it
            return {name: rng.choice(plausible) for name, plausible in fields.items()}
        payload = {}
        for name, plausible in fields.items():
            if rng.random() < 0.9:
                payload[name] = self.pick(plausible)
        wearable = [(slot, ITEMS_BY_ID[item]["equipment_slot"])
                    for slot, item in self.pools["inventory"].items()
                    if "equipment_slot" in ITEMS_BY_ID.get(item, {})]
        if message_type == "cmd_equipment_equip" and wearable and rng.random() < 0.4:
            payload["inventory_slot"], payload["equipment_slot"] = rng.choice(wearable)
        targets = [(npc_id, "npc") for npc_id in self.pools["npc_ids"]] + [
            (entity_id, "player") for entity_id in self.pools["entity_ids"]
            + self.pools["opponents"] * 4]
        if message_type == "cmd_attack" and rng.random() < 0.5:
            payload["target_id"], payload["target_type"] = rng.choice(targets)
        for _ in range(rng.choice((0, 0, 0, 1, 3))):
            payload[self.key()] = self.value()
        return payload

    # -- frames
    def request_id(self):
        """A valid id no other frame uses (at most 64 characters, any of them)."""
        self._ids += 1
        base = f"f{self._ids}"
        if self.rng.random() < 0.2:
            base += ":" + self.text()
        return base[:MAX_ID_LENGTH]

    def envelope(self):
        """A well-formed envelope of a known (or now and then unknown) type."""
        rng = self.rng
        message_type = rng.choices(CLIENT_TYPES, TYPE_WEIGHTS)[0] if rng.random() < 0.93 \
            else rng.choice(NOT_CLIENT_TYPES)
        message = {"id": self.request_id(), "type": message_type, "version": VERSION}
        if rng.random() < 0.95:
            message["payload"] = self.payload(message_type)
        return message

    def broken_envelope(self):
        """An envelope with a bad id, type, payload or version (or several)."""
        rng = self.rng
        message = self.envelope()
        for _ in range(rng.choice((1, 1, 2, 3))):
            part = rng.choice(("id", "type", "payload", "version", "extra"))
            if part == "extra":
                message[self.key()] = self.value()
            elif rng.random() < 0.2:
                message.pop(part, None)
            elif part == "id":
                message["id"] = rng.choice((None, 12, 1.5, True, b"id", ["a"], {"a": 1},
                                            "i" * 65, "ĳ" * 65, self.value()))
            elif part == "version":
                message["version"] = rng.choice(("1.0", "2", "2.0.0", "2.0 ", 2.0, 2, None, "",
                                                 b"2.0", ["2.0"], self.value()))
            else:
                message[part] = self.value()
        request_id = message.get("id")
        if isinstance(request_id, str) and len(request_id) <= MAX_ID_LENGTH:
            message["id"] = self.request_id()   # a random value may be a good id: keep ids unique
        return message

    def pack(self, message):
        try:
            return msgpack.packb(message, use_bin_type=True)
        except (ValueError, OverflowError, TypeError):
            return msgpack.packb({"id": self.request_id(), "type": "query_inventory",
                                  "payload": {}, "version": VERSION})

    def raw(self):
        """Bytes or text that are not one well-formed envelope."""
        rng = self.rng
        kind = rng.choice(("random", "truncated", "trailing", "text", "not_map", "bad_utf8"))
        if kind == "random":
            return rng.randbytes(rng.choice((0, 1, 2, 5, 16, 64, 512))), True
        good = self.pack(self.envelope())
        if kind == "truncated":
            return good[:rng.randrange(len(good))], True
        if kind == "trailing":
            return good + rng.randbytes(rng.randint(1, 4)), True
        if kind == "text":
            return (good.decode("latin-1").encode("utf-8") if rng.random() < 0.5
                    else self.text().encode("utf-8")), False
        if kind == "not_map":
            return self.pack(rng.choice(([], [good], "envelope", 7, None, True, b"x"))), True
        # a string field holding a UTF-16 surrogate, which UTF-8 does not allow
        message = self.envelope()
        message["type"] = "\ud800"
        return msgpack.packb(message, use_bin_type=True, unicode_errors="surrogatepass"), True

    # -- hostile values
    def hostile_value(self):
        """A value no client needs: deep, long, huge, or of an extension type."""
        rng = self.rng
        kind = rng.choice(("deep", "deep_map", "long", "huge_str", "huge_bytes", "ext", "int"))
        if kind == "deep":
            value = rng.choice(([], 1, "x"))
            for _ in range(rng.randint(3, 500)):
                value = [value]
            return value
        if kind == "deep_map":
            value = {}
            for _ in range(rng.randint(3, 300)):
                value = {"k": value}
            return value
        if kind == "long":
            return [rng.randint(0, 9) for _ in range(rng.choice((17, 500, 5000)))]
        if kind == "huge_str":
            return rng.choice(("é", "x", "​", "̶")) * rng.randint(129, 7000)
        if kind == "huge_bytes":
            return rng.randbytes(rng.randint(1000, 14000))
        if kind == "ext":
            return rng.choice((msgpack.ExtType(rng.randint(0, 127), rng.randbytes(rng.randint(0, 64))),
                               msgpack.Timestamp(rng.randint(0, 2 ** 34), rng.randint(0, 999))))
        return rng.choice((2 ** 64 - 1, -2 ** 63, 2 ** 63))

    def hostile_envelope(self):
        """A well-formed envelope with a hostile value in one of its payload's fields."""
        rng = self.rng
        message = self.envelope()
        message.setdefault("payload", {})
        if not isinstance(message["payload"], dict):
            message["payload"] = {}
        fields = list(self.plausible_fields(message["type"])) or ["extra"]
        message["payload"][rng.choice(fields + ["extra"])] = self.hostile_value()
        return message

    def frame(self):
        """C{(data, is_binary)}: mostly well-formed envelopes, then broken ones, then raw."""
        roll = self.rng.random()
        if roll < 0.7:
            data, is_binary = self.pack(self.envelope()), True
        elif roll < 0.85:
            data, is_binary = self.pack(self.broken_envelope()), True
        else:
            data, is_binary = self.raw()
        if len(data) > 16000:   # oversized frames have a test of their own
            data, is_binary = self.pack({"id": self.request_id(), "type": "query_equipment",
                                         "version": VERSION}), True
        return data, is_binary

    # -- tokens
    def token(self, unknown_name):
        """A token that must not authenticate: malformed, mis-signed, or
        signed with the server's secret but naming nobody, expired, or with
        claims of the wrong types."""
        rng = self.rng
        now = int(time.time())
        claims = {"sub": unknown_name, "iat": now, "exp": now + 3600}
        for _ in range(rng.choice((0, 1, 2))):
            name = rng.choice(("sub", "iat", "exp", "nbf", "extra"))
            if rng.random() < 0.3:
                claims.pop(name, None)
            else:
                claims[name] = rng.choice((None, True, "x", [], {}, -1, 0, now - 10, 2 ** 70,
                                           1e308, 12.5, unknown_name))
        kind = rng.choice(("signed", "signed", "expired", "wrong_key", "none_alg", "garbage"))
        if kind == "expired":
            claims.update(sub=unknown_name, iat=now - 7200, exp=now - 3600)
        if kind == "garbage":
            return rng.choice(("x", "a.b.c", "..", "e30.e30.", self.text() or "z",
                               "eyJhbGciOiJIUzI1NiJ9." + "A" * rng.randint(0, 300)))
        key, algorithm = {"wrong_key": ("another-secret-0123456789abcdef!", "HS256"),
                          "none_alg": (None, "none")}.get(kind, (SECRET, "HS256"))
        try:
            return jwt.encode(claims, key, algorithm=algorithm)
        except Exception:
            return jwt.encode({"sub": unknown_name}, SECRET, algorithm="HS256")
