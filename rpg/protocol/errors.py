"""
The one table from errors to the wire's error codes, and the errors of the
wire itself (a bad envelope).
"""

from rpg import errors as r
from rpg.errors import GameError
from rpg.world import errors as e


# -- the envelope (L{rpg.protocol.envelope.decode_request})
class UnknownMessageType(GameError):
    message = "Unrecognized message type"


class VersionMismatch(GameError):
    message = "Incompatible protocol version"


ERROR_CODES = {
    r.InvalidMessageFormat: "INVALID_MESSAGE_FORMAT",
    UnknownMessageType: "UNKNOWN_MESSAGE_TYPE",
    VersionMismatch: "PROTOCOL_VERSION_MISMATCH",
    r.AuthenticationFailed: "AUTHENTICATION_FAILED",
    r.MissingToken: "AUTHENTICATION_MISSING_TOKEN",
    r.InvalidAuthPayload: "AUTHENTICATION_INVALID_PAYLOAD",
    r.ExpiredToken: "AUTHENTICATION_EXPIRED_TOKEN",
    r.RateLimited: "RATE_LIMITED",
    e.InvalidDirection: "MOVEMENT_INVALID_DIRECTION",
    e.MoveRateLimited: "MOVEMENT_RATE_LIMITED",
    e.MoveBlocked: "MOVEMENT_BLOCKED",
    e.OutOfBounds: "MOVEMENT_OUT_OF_BOUNDS",
    e.RadiusTooLarge: "CHUNKS_RADIUS_TOO_LARGE",
    e.MapNotFound: "CHUNKS_MAP_NOT_FOUND",
    e.InvalidCoordinates: "CHUNKS_INVALID_COORDINATES",
    r.ChatRateLimited: "CHAT_RATE_LIMITED",
    r.ChatTooLong: "CHAT_MESSAGE_TOO_LONG",
    r.ChatEmpty: "CHAT_EMPTY_MESSAGE",
    r.ChatRecipientNotFound: "CHAT_DM_RECIPIENT_NOT_FOUND",
    r.ChatInvalidChannel: "CHAT_INVALID_CHANNEL",
    r.ChatPermissionDenied: "CHAT_PERMISSION_DENIED",
    e.SlotEmpty: "INVENTORY_SLOT_EMPTY",
    e.InvalidSlot: "INVENTORY_INVALID_SLOT",
    e.InventoryFull: "INVENTORY_FULL",
    e.ItemNotFound: "INVENTORY_ITEM_NOT_FOUND",
    e.ItemNotUsable: "INVENTORY_ITEM_NOT_USABLE",
    e.PickupOutOfRange: "PICKUP_OUT_OF_RANGE",
    e.EquipmentSlotInvalid: "EQUIPMENT_SLOT_INVALID",
    e.RequirementsNotMet: "EQUIPMENT_REQUIREMENTS_NOT_MET",
    e.WrongSlot: "EQUIPMENT_WRONG_SLOT",
    e.EquipmentInventoryFull: "EQUIPMENT_INVENTORY_FULL",
    e.EquipmentSlotEmpty: "EQUIPMENT_SLOT_EMPTY",
    e.TargetNotFound: "COMBAT_TARGET_NOT_FOUND",
    e.TargetOutOfRange: "COMBAT_OUT_OF_RANGE",
    e.AlreadyInCombat: "COMBAT_ALREADY_IN_COMBAT",
    e.InvalidTarget: "COMBAT_INVALID_TARGET",
    e.InvalidQuantity: "INVENTORY_INVALID_QUANTITY",
    r.ServerFull: "SERVER_FULL",
    # No ground item number at hand (the reserved block ran out before the
    # next arrived): nothing changed, and no new code for a rare, passing state.
    e.GroundItemsUnavailable: "INTERNAL_SERVER_ERROR",
}

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def error_code(exc):
    """
    The wire code for a game error (looked up along its class's ancestry).
    """
    for cls in type(exc).__mro__:
        code = ERROR_CODES.get(cls)
        if code is not None:
            return code
    return INTERNAL_SERVER_ERROR


def register_error(cls, code):
    """
    Give a game's own L{rpg.errors.GameError} subclass its wire code
    (an error of a command the game adds; see ``docs/extending.md``), and
    document the code in the game's ``protocol.md``.  The table stays one.

    @raise ValueError: C{cls} has a code already, or C{code} is not
        UPPER_SNAKE_CASE.
    """
    if cls in ERROR_CODES:
        raise ValueError(f"{cls.__name__} has the code {ERROR_CODES[cls]} already")
    if not code or not code.replace("_", "").isalnum() or code.upper() != code:
        raise ValueError(f"error codes are UPPER_SNAKE_CASE, not {code!r}")
    ERROR_CODES[cls] = code
