"""
What can go wrong in the game, in the game's own words.

Each error carries a human message and a C{details} dict; the wire code for
each class is chosen in one table, L{rpg.protocol.errors}.
"""


class GameError(Exception):
    """A request the rules refuse.  Nothing changed."""

    message = "Request refused"

    def __init__(self, message=None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details


# -- envelope and session
class InvalidMessageFormat(GameError):
    message = "Malformed message"


class UnknownMessageType(GameError):
    message = "Unrecognized message type"


class VersionMismatch(GameError):
    message = "Incompatible protocol version"


class AuthenticationFailed(GameError):
    message = "Authentication failed"


class MissingToken(GameError):
    message = "No token provided"


class InvalidAuthPayload(GameError):
    message = "Malformed authentication payload"


class ExpiredToken(GameError):
    message = "Token has expired"


class RateLimited(GameError):
    """Over the connection's message budget; C{retry_after_ms} says when it has room."""
    message = "Too many messages"


# -- movement
class InvalidDirection(GameError):
    message = "Invalid direction"


class MoveRateLimited(GameError):
    message = "Moving too fast"


class MoveBlocked(GameError):
    message = "Movement blocked by collision"


class OutOfBounds(GameError):
    message = "Cannot move outside the map"


# -- chunks
class RadiusTooLarge(GameError):
    message = "Radius exceeds the maximum of 5 chunks"


class MapNotFound(GameError):
    message = "Map does not exist"


class InvalidCoordinates(GameError):
    message = "Invalid chunk coordinates"


# -- chat
class ChatRateLimited(GameError):
    message = "Sending messages too fast"


class ChatTooLong(GameError):
    message = "Message exceeds the maximum length"


class ChatEmpty(GameError):
    message = "Message is empty"


class ChatRecipientNotFound(GameError):
    message = "Recipient not found or offline"


class ChatInvalidChannel(GameError):
    message = "Invalid chat channel"


class ChatPermissionDenied(GameError):
    message = "You may not send on this channel"


# -- inventory and ground items
class SlotEmpty(GameError):
    message = "No item in that slot"


class InvalidSlot(GameError):
    message = "Slot number out of range (0-27)"


class InventoryFull(GameError):
    message = "Inventory is full"


class ItemNotFound(GameError):
    message = "Item does not exist"


class ItemNotUsable(GameError):
    message = "That item cannot be used"


class PickupOutOfRange(GameError):
    message = "Item is too far away"


# -- equipment
class EquipmentSlotInvalid(GameError):
    message = "Invalid equipment slot"


class RequirementsNotMet(GameError):
    message = "You do not meet the requirements to equip that"


class WrongSlot(GameError):
    message = "That item cannot be equipped in that slot"


class EquipmentInventoryFull(GameError):
    message = "No inventory space"


class EquipmentSlotEmpty(GameError):
    message = "Nothing is equipped in that slot"


# -- combat
class TargetNotFound(GameError):
    message = "Target does not exist"


class TargetOutOfRange(GameError):
    message = "Target is too far away"


class AlreadyInCombat(GameError):
    message = "Already attacking another target"


class InvalidTarget(GameError):
    message = "Cannot attack that target"


# -- inventory (added)
class InvalidQuantity(GameError):
    message = "Quantity must be a whole number from 1 to the stack size"


# -- capacity
class ServerFull(GameError):
    message = "The server is full; try again later"
