"""
What can go wrong in the game, in the game's own words.

Each error carries a human message and a C{details} dict; the wire code for
each class is chosen in one table, L{rpg.protocol.errors}.  Errors that are
not the rules' (a login, chat, a budget, capacity) are in L{rpg.errors}.
"""

# Every error here is a GameError; a malformed field of a command's payload
# is an InvalidMessageFormat, as a malformed envelope is.
from rpg.errors import GameError, InvalidMessageFormat  # noqa: F401  (raised by the rules)


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


class GroundItemsUnavailable(GameError):
    """No ground item number can be handed out now (the reserved block ran
    out before the next one arrived); nothing changed."""

    message = "Items cannot be dropped right now, try again"
