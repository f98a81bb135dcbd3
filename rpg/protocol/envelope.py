"""
The 2.0 envelope: one binary frame holds one MessagePack map
C{{id, type, payload, version}}.
"""

import threading
from dataclasses import dataclass

import msgpack
from twisted.python.failure import Failure

from rpg.errors import GameError, InvalidMessageFormat

from .errors import INTERNAL_SERVER_ERROR, UnknownMessageType, VersionMismatch, error_code

VERSION = "2.0"
MAX_ID_LENGTH = 64

@dataclass
class Request:
    id: str
    type: str
    payload: dict


class EnvelopeError(Exception):
    """
    A frame refused before it reached the game: C{error} is the game error to
    answer with, C{request_id} the id to answer to (or C{None}).
    """

    def __init__(self, error, request_id):
        super().__init__(error.message)
        self.error = error
        self.request_id = request_id


def _unpack(data, max_size):
    return msgpack.unpackb(
        data, raw=False, strict_map_key=False,
        max_str_len=max_size, max_bin_len=max_size,
        max_array_len=max_size, max_map_len=max_size, max_ext_len=max_size,
    )


def decode_request(data, is_binary, max_size=16384, *, known_types):
    """
    Check one incoming frame and return the L{Request} it holds.

    @param known_types: the types clients may send (a container, such as the
        L{rpg.protocol.messages.MessageTypes} the server serves).

    @raise EnvelopeError: for a text frame, bytes that are not one MessagePack
        map, a bad C{id}, C{type} or C{payload}, the wrong C{version}, or a
        type that is not a client command or query -- in that order.
    """
    if not is_binary:
        raise EnvelopeError(InvalidMessageFormat("Frames must be binary MessagePack"), None)
    try:
        message = _unpack(data, max_size)
    except Exception:
        raise EnvelopeError(InvalidMessageFormat("Frame is not valid MessagePack"), None) from None
    if not isinstance(message, dict):
        raise EnvelopeError(InvalidMessageFormat("Message must be a map"), None)
    request_id = message.get("id")
    valid_id = isinstance(request_id, str) and len(request_id) <= MAX_ID_LENGTH
    answer_to = request_id if valid_id else None
    if not valid_id:
        raise EnvelopeError(InvalidMessageFormat(
            f"id must be a string of at most {MAX_ID_LENGTH} characters"), None)
    message_type = message.get("type")
    if not isinstance(message_type, str):
        raise EnvelopeError(InvalidMessageFormat("type must be a string"), answer_to)
    payload = message.get("payload", {})
    if not isinstance(payload, dict):
        raise EnvelopeError(InvalidMessageFormat("payload must be a map"), answer_to)
    if message.get("version") != VERSION:
        raise EnvelopeError(VersionMismatch(
            "Protocol version 2.0 is required", supported=[VERSION]), answer_to)
    if message_type not in known_types:
        raise EnvelopeError(UnknownMessageType(
            f"Unknown message type {message_type[:64]!r}"), answer_to)
    return Request(request_id, message_type, payload)


_packers = threading.local()


def _packer():
    """
    This thread's msgpack C{Packer}: the same bytes as C{msgpack.packb}
    without making a packer per frame (a third of a small frame's cost).
    A C{Packer} resets itself after each C{pack}, a failed one included.
    """
    try:
        return _packers.packer
    except AttributeError:
        packer = _packers.packer = msgpack.Packer(use_bin_type=True)
        return packer


def encode(message_type, payload, request_id=None):
    """One outgoing frame."""
    return _packer().pack(
        {"id": request_id, "type": message_type, "payload": payload, "version": VERSION})


def encode_success(request_id, payload):
    return encode("resp_success", payload, request_id)


def encode_value(value):
    """One value as MessagePack, to be placed in a frame by L{encode_success_list}."""
    return msgpack.packb(value, use_bin_type=True)


class EncodedList:
    """
    A success payload C{{key: [items]}} whose items are already encoded (by
    L{encode_value}): a handler returns one to have its reply framed by
    L{encode_success_list}.
    """
    __slots__ = ("key", "items")

    def __init__(self, key, items):
        self.key = key
        self.items = items


def encode_success_list(request_id, key, encoded_items):
    """
    The C{resp_success} frame of payload C{{key: [items]}}, from items
    already encoded by L{encode_value}: the same bytes as L{encode_success}
    would make, without encoding the items again (chunk replies reuse each
    chunk's bytes).
    """
    packer = msgpack.Packer(use_bin_type=True)
    return b"".join((
        b"\x84", packer.pack("id"), packer.pack(request_id),
        packer.pack("type"), packer.pack("resp_success"),
        packer.pack("payload"), b"\x81", packer.pack(key),
        packer.pack_array_header(len(encoded_items)), *encoded_items,
        packer.pack("version"), packer.pack(VERSION),
    ))


# Error details echo a client's values at times (a recipient, a radius): they
# carry only strings, numbers, booleans and null, and lists and maps of those
# a level or two deep, all of them small.  Anything else is left out.
DETAIL_MAX_STRING = 128
DETAIL_MAX_ITEMS = 16
DETAIL_MAX_DEPTH = 2
_INT64 = range(-2 ** 63, 2 ** 64)
_OMIT = object()


def _small(value, depth):
    if value is None or type(value) in (bool, float):
        return value
    if type(value) is int:
        return value if value in _INT64 else _OMIT
    if type(value) is str:
        return value[:DETAIL_MAX_STRING]
    if depth >= DETAIL_MAX_DEPTH:
        return _OMIT
    if type(value) in (list, tuple):   # not a namedtuple such as msgpack's ExtType
        items = [_small(item, depth + 1) for item in value[:DETAIL_MAX_ITEMS]]
        return [item for item in items if item is not _OMIT]
    if type(value) is dict:
        return safe_details(value, depth + 1)
    return _OMIT


def safe_details(details, depth=0):
    """C{details} with only small, plain values (see L{DETAIL_MAX_STRING} and the rest)."""
    safe = {}
    for key, value in list(details.items())[:DETAIL_MAX_ITEMS]:
        if isinstance(key, str) and len(key) <= DETAIL_MAX_STRING:
            value = _small(value, depth)
            if value is not _OMIT:
                safe[key] = value
    return safe


def encode_error(request_id, error):
    """A C{resp_error} frame for a L{rpg.errors.GameError}; its details made safe."""
    return encode("resp_error", {
        "error_code": error_code(error),
        "message": str(error.message)[:256],
        "details": safe_details(error.details),
    }, request_id)


def encode_internal_error(request_id):
    return encode("resp_error", {
        "error_code": INTERNAL_SERVER_ERROR,
        "message": "Unexpected server error",
        "details": {},
    }, request_id)


def error_frame(request_id, failure, metrics=None, log=None, why="Request failed", **fields):
    """
    The one way a failure becomes a reply: the C{resp_error} frame that
    answers C{request_id}.

    A L{rpg.errors.GameError} is answered with its own code, message and
    (safe) details.  Anything else, and a game error whose reply cannot be
    encoded, is unexpected: logged on C{log} as a failure with C{why} and
    C{fields}, and answered C{INTERNAL_SERVER_ERROR}; whoever asked goes on.

    @param failure: a L{Failure}, or an exception.
    @param metrics: an L{rpg.services.metrics.Metrics} counting the code, or C{None}.
    """
    if not isinstance(failure, Failure):
        failure = Failure(failure)
    if failure.check(GameError):
        try:
            frame = encode_error(request_id, failure.value)
        except Exception:
            failure = Failure()
        else:
            _count(metrics, error_code(failure.value))
            return frame
    if log is not None:
        log.failure(why, failure, **fields)
    _count(metrics, INTERNAL_SERVER_ERROR)
    return encode_internal_error(request_id)


def _count(metrics, code):
    if metrics is not None:
        metrics.errors.labels(code).inc()


def encode_event(message_type, payload):
    return encode(message_type, payload, None)


_UPDATE_KEYS = ("entities", "removed_entities", "map_id")


class UpdateEncoder:
    """
    The C{event_game_update} frames of one tick's diffs, each entity record
    encoded once however many payloads hold it, and spliced into each frame:
    the same bytes as L{encode_event} would make.

    Records are recognised by identity (the world's diffs share one dict
    per changed entity among every payload that shows it), so an encoder
    serves the payloads of one C{compute_updates()} while they are alive,
    and is dropped with them.
    """

    def __init__(self):
        self._records = {}  # id(record) -> its bytes
        self._keep = []  # the records encoded, so that no id is reused meanwhile
        self._tails = {}  # map id -> bytes from removed_entities on, when none is removed
        packer = _packer()
        self._head = b"".join((
            b"\x84", packer.pack("id"), packer.pack(None), packer.pack("type"),
            packer.pack("event_game_update"), packer.pack("payload"), b"\x83",
            packer.pack("entities")))

    def encode(self, payload):
        """The frame of one C{event_game_update} C{payload}."""
        entities = payload.get("entities") if type(payload) is dict else None
        if type(entities) is not list or tuple(payload) != _UPDATE_KEYS:
            return encode_event("event_game_update", payload)
        packer = _packer()
        records = self._records
        parts = [self._head, packer.pack_array_header(len(entities))]
        for record in entities:
            encoded = records.get(id(record))
            if encoded is None:
                # kept with its record: the id stays unique while the record lives
                encoded = records[id(record)] = packer.pack(record)
                self._keep.append(record)
            parts.append(encoded)
        removed, map_id = payload["removed_entities"], payload["map_id"]
        if removed == [] and type(map_id) is str:
            tail = self._tails.get(map_id)
            if tail is None:
                tail = self._tails[map_id] = self._tail(packer, removed, map_id)
        else:
            tail = self._tail(packer, removed, map_id)
        parts.append(tail)
        return b"".join(parts)

    @staticmethod
    def _tail(packer, removed, map_id):
        return b"".join((packer.pack("removed_entities"), packer.pack(removed),
                         packer.pack("map_id"), packer.pack(map_id),
                         packer.pack("version"), packer.pack(VERSION)))
