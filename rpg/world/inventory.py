"""
The rules of a character's inventory and equipment, as plain functions.

C{inventory} maps a slot (0-27) to an L{ItemStack}; C{equipment} maps a slot
name (L{EQUIPMENT_SLOTS}) to an L{ItemStack}.  Each rule mutates them in place
and returns what changed; when it raises one of L{rpg.world.errors}, nothing
has changed.  The rules are described in ``docs/items.md``.
"""

from dataclasses import dataclass, field
from typing import Optional

from rpg.models import ItemStack
from rpg.world.errors import (
    EquipmentInventoryFull, EquipmentSlotEmpty, EquipmentSlotInvalid,
    InvalidQuantity, InvalidSlot, InventoryFull, ItemNotFound, ItemNotUsable,
    RequirementsNotMet, SlotEmpty, WrongSlot)
from rpg.world.items import (
    EQUIPMENT_SLOTS, INVENTORY_SIZE, MAX_STACK, STAT_KEYS, UNARMED_ATTACK_SPEED,
    brief_payload, equipment_payload, item_payload)
from rpg.world.skills import SKILLS


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def parse_slot(value):
    """
    An inventory slot from the wire.

    @raise InvalidSlot: unless C{value} is an int (not a bool) from 0 to 27.
    """
    if not _is_int(value) or not 0 <= value < INVENTORY_SIZE:
        raise InvalidSlot()
    return value


def parse_equipment_slot(value):
    """
    @raise EquipmentSlotInvalid: unless C{value} names an equipment slot.
    """
    if not isinstance(value, str) or value not in EQUIPMENT_SLOTS:
        raise EquipmentSlotInvalid()
    return value


def definition(catalog, item_id):
    """
    @raise ItemNotFound: for an item id the catalog does not know.
    """
    defn = catalog.get(item_id)
    if defn is None:
        raise ItemNotFound(f"No item {item_id}")
    return defn


def _copy(stacks):
    return {slot: ItemStack(s.item_id, s.quantity) for slot, s in stacks.items()}


def _commit(target, planned):
    """
    Make C{target} equal to C{planned}; return C{{slot: ItemStack | None}}
    for every slot that changed.
    """
    changes = {}
    for slot in set(target) | set(planned):
        before, after = target.get(slot), planned.get(slot)
        if before == after:
            continue
        if after is None:
            del target[slot]
        else:
            target[slot] = after
        changes[slot] = None if after is None else ItemStack(after.item_id, after.quantity)
    return dict(sorted(changes.items()))


# -- placing items into a (planned) inventory
def _place(inventory, defn, quantity, prefer=None):
    """
    Put C{quantity} of C{defn} into C{inventory} (a plan, changed in place):
    a stackable merges into its existing stack first; otherwise each item
    takes a free slot, C{prefer} first.  Return the first slot used, or
    C{None} when there is no room (the plan is then spoiled).
    """
    if defn.stackable:
        for slot in sorted(inventory):
            stack = inventory[slot]
            if stack.item_id == defn.item_id:
                if stack.quantity + quantity > MAX_STACK:
                    return None
                stack.quantity += quantity
                return slot
    free = [slot for slot in range(INVENTORY_SIZE) if slot not in inventory]
    if prefer in free:
        free.remove(prefer)
        free.insert(0, prefer)
    count = 1 if defn.stackable else quantity
    if len(free) < count:
        return None
    for slot in free[:count]:
        inventory[slot] = ItemStack(defn.item_id, quantity if defn.stackable else 1)
    return free[0]


def _check_quantity(defn, quantity):
    if not _is_int(quantity) or quantity < 1 or (defn.stackable and quantity > MAX_STACK):
        raise InvalidQuantity()


def has_room_for(inventory, defn, quantity=1):
    """True if C{quantity} of C{defn} fits into C{inventory}."""
    _check_quantity(defn, quantity)
    return _place(_copy(inventory), defn, quantity) is not None


def add_item(inventory, defn, quantity=1):
    """
    Add C{quantity} of C{defn}: a stackable merges into an existing stack
    first, a non-stackable takes one free slot per item (lowest first).

    @return: C{{slot: ItemStack}} for the changed slots.
    @raise InvalidQuantity: unless C{quantity} is an int from 1 up.
    @raise InventoryFull: when it does not all fit.
    """
    _check_quantity(defn, quantity)
    planned = _copy(inventory)
    if _place(planned, defn, quantity) is None:
        raise InventoryFull()
    return _commit(inventory, planned)


def remove_from_slot(inventory, slot, quantity=None):
    """
    Take C{quantity} (C{None}: the whole stack) out of a slot.

    @return: the removed L{ItemStack}.
    @raise InvalidSlot: for a slot that is not an int 0-27.
    @raise SlotEmpty: for an empty slot.
    @raise InvalidQuantity: unless C{quantity} is an int from 1 to the stack size.
    """
    slot = parse_slot(slot)
    stack = inventory.get(slot)
    if stack is None:
        raise SlotEmpty()
    if quantity is None:
        quantity = stack.quantity
    if not _is_int(quantity) or not 1 <= quantity <= stack.quantity:
        raise InvalidQuantity()
    if quantity == stack.quantity:
        del inventory[slot]
    else:
        stack.quantity -= quantity
    return ItemStack(stack.item_id, quantity)


def starting_inventory(catalog):
    """A new character's inventory, from the catalog's starting items."""
    inventory = {}
    for defn, quantity in catalog.starting_items():
        add_item(inventory, defn, quantity)
    return inventory


# -- equipment
@dataclass
class ItemChange:
    """
    What an equip, an unequip or a use did.  C{inventory_changes} is keyed by
    the slot as a string, C{equipment_changes} by slot name; C{None} = now
    empty.  C{unequipped_item} is the first item taken off (C{None} if none);
    C{unequipped_items} lists them all (a two-handed weapon may take off two).
    """

    equipped_item: Optional[dict] = None
    unequipped_item: Optional[dict] = None
    unequipped_items: list = field(default_factory=list)
    inventory_slot: Optional[int] = None
    inventory_changes: dict = field(default_factory=dict)
    equipment_changes: dict = field(default_factory=dict)
    result: Optional[str] = None
    effect: Optional[str] = None
    hp: Optional[int] = None


def _wire_changes(catalog, inventory_changes, equipment_changes):
    inv = {str(slot): None if stack is None
           else item_payload(definition(catalog, stack.item_id), stack.quantity)
           for slot, stack in inventory_changes.items()}
    equip = {slot: None if stack is None
             else equipment_payload(definition(catalog, stack.item_id), stack.quantity)
             for slot, stack in equipment_changes.items()}
    return inv, equip


def _check_requirements(defn, levels):
    for skill in SKILLS:
        required = defn.requirements.get(skill)
        if required is None:
            continue
        current = levels.get(skill, 1)
        if current < required:
            raise RequirementsNotMet(
                f"Requires {skill} level {required}",
                skill=skill, required_level=required, current_level=current)


def _displaced(equipment, defn, slot, catalog):
    """The equipment slots emptied by wearing C{defn} in C{slot}, in order."""
    slots = []
    if slot in equipment:
        slots.append(slot)
    if defn.two_handed and "shield" in equipment:
        slots.append("shield")
    if slot == "shield":
        weapon = equipment.get("weapon")
        if weapon is not None and definition(catalog, weapon.item_id).two_handed:
            slots.append("weapon")
    return slots


def equip(character, catalog, inventory_slot, equipment_slot, levels):
    """
    Wear the item in C{inventory_slot} in C{equipment_slot}.

    The item worn there before takes the freed inventory slot; a two-handed
    weapon also takes off the shield and a shield a two-handed weapon.
    Equipping ammunition onto the same ammunition merges the stacks.

    @param character: anything with C{inventory} and C{equipment} dicts.
    @param levels: skill name -> current level (a missing skill is level 1).
    @return: an L{ItemChange}.
    @raise EquipmentSlotInvalid: for an unknown slot name.
    @raise InvalidSlot: for an inventory slot that is not an int 0-27.
    @raise SlotEmpty: for an empty inventory slot.
    @raise WrongSlot: when the item is not worn in that slot.
    @raise RequirementsNotMet: details C{{skill, required_level, current_level}}.
    @raise EquipmentInventoryFull: when what comes off does not fit.
    """
    equipment_slot = parse_equipment_slot(equipment_slot)
    inventory_slot = parse_slot(inventory_slot)
    stack = character.inventory.get(inventory_slot)
    if stack is None:
        raise SlotEmpty()
    defn = definition(catalog, stack.item_id)
    if defn.equipment_slot != equipment_slot:
        raise WrongSlot(item_id=defn.item_id, item_slot=defn.equipment_slot)
    _check_requirements(defn, levels)

    inventory, equipment = _copy(character.inventory), _copy(character.equipment)
    del inventory[inventory_slot]
    worn = equipment.get(equipment_slot)
    taken_off = []
    if defn.stackable and worn is not None and worn.item_id == defn.item_id:
        if worn.quantity + stack.quantity > MAX_STACK:
            raise EquipmentInventoryFull("That stack is full")
        worn.quantity += stack.quantity
    else:
        for slot in _displaced(equipment, defn, equipment_slot, catalog):
            old = equipment.pop(slot)
            old_defn = definition(catalog, old.item_id)
            if _place(inventory, old_defn, old.quantity, prefer=inventory_slot) is None:
                raise EquipmentInventoryFull()
            taken_off.append(brief_payload(old_defn))
        equipment[equipment_slot] = ItemStack(defn.item_id, stack.quantity)

    inv_changes = _commit(character.inventory, inventory)
    equip_changes = _commit(character.equipment, equipment)
    inv_wire, equip_wire = _wire_changes(catalog, inv_changes, equip_changes)
    return ItemChange(
        equipped_item=brief_payload(defn),
        unequipped_item=taken_off[0] if taken_off else None,
        unequipped_items=taken_off,
        inventory_changes=inv_wire, equipment_changes=equip_wire)


def unequip(character, catalog, equipment_slot):
    """
    Take off what is worn in C{equipment_slot}; a stackable merges into an
    existing inventory stack first, else it takes the lowest free slot.

    @return: an L{ItemChange} with C{unequipped_item} and C{inventory_slot}.
    @raise EquipmentSlotInvalid: for an unknown slot name.
    @raise EquipmentSlotEmpty: when nothing is worn there.
    @raise EquipmentInventoryFull: when it does not fit.
    """
    equipment_slot = parse_equipment_slot(equipment_slot)
    worn = character.equipment.get(equipment_slot)
    if worn is None:
        raise EquipmentSlotEmpty()
    defn = definition(catalog, worn.item_id)
    inventory = _copy(character.inventory)
    slot = _place(inventory, defn, worn.quantity)
    if slot is None:
        raise EquipmentInventoryFull()
    inv_changes = _commit(character.inventory, inventory)
    del character.equipment[equipment_slot]
    inv_wire, equip_wire = _wire_changes(catalog, inv_changes, {equipment_slot: None})
    return ItemChange(
        unequipped_item=brief_payload(defn), unequipped_items=[brief_payload(defn)],
        inventory_slot=slot, inventory_changes=inv_wire, equipment_changes=equip_wire)


def consume(character, catalog, slot):
    """
    Use up one item of an inventory slot (an item with an C{effect}: the
    effect itself is run by the caller, before).

    @return: an L{ItemChange} with C{result} C{"consumed"}.
    @raise InvalidSlot, SlotEmpty: for a bad or empty slot.
    """
    slot = parse_slot(slot)
    if character.inventory.get(slot) is None:
        raise SlotEmpty()
    inventory = _copy(character.inventory)
    remove_from_slot(inventory, slot, 1)
    inv_wire, _ = _wire_changes(catalog, _commit(character.inventory, inventory), {})
    return ItemChange(result="consumed", inventory_changes=inv_wire)


def item_in_slot(character, catalog, slot):
    """
    The L{ItemDef} in an inventory slot.

    @raise InvalidSlot, SlotEmpty: for a bad or empty slot.
    """
    stack = character.inventory.get(parse_slot(slot))
    if stack is None:
        raise SlotEmpty()
    return definition(catalog, stack.item_id)


def use_item(character, catalog, slot, current_hp, max_hp, levels):
    """
    Use the item in an inventory slot: food is eaten (one of the stack) and
    heals up to C{max_hp}, even at full health; equipment is worn in its own
    slot.

    @return: an L{ItemChange} with C{result} C{"consumed"} (C{effect}
        C{"restored_<n>_hp"}, C{hp} the new hit points) or C{"equipped"}
        (C{hp} unchanged).
    @raise InvalidSlot, SlotEmpty: for a bad or empty slot.
    @raise ItemNotUsable: for an item that is neither food nor equipment.
    @raise: anything L{equip} raises, for equipment.
    """
    slot = parse_slot(slot)
    stack = character.inventory.get(slot)
    if stack is None:
        raise SlotEmpty()
    defn = definition(catalog, stack.item_id)
    if defn.is_food:
        restored = max(0, min(defn.heal, max_hp - current_hp))
        inventory = _copy(character.inventory)
        remove_from_slot(inventory, slot, 1)
        inv_wire, _ = _wire_changes(catalog, _commit(character.inventory, inventory), {})
        return ItemChange(
            result="consumed", effect=f"restored_{restored}_hp",
            hp=current_hp + restored, inventory_changes=inv_wire)
    if defn.is_equipment:
        change = equip(character, catalog, slot, defn.equipment_slot, levels)
        change.result = "equipped"
        change.hp = current_hp
        return change
    raise ItemNotUsable()


def equipment_bonuses(equipment, catalog):
    """The sum of every worn item's stats: a dict of all L{STAT_KEYS}."""
    totals = dict.fromkeys(STAT_KEYS, 0)
    for stack in equipment.values():
        for name, value in definition(catalog, stack.item_id).stats.items():
            totals[name] += value
    return totals


def weapon_attack_speed(equipment, catalog):
    """Game ticks between blows: the weapon's, or the unarmed speed."""
    weapon = equipment.get("weapon")
    if weapon is None:
        return UNARMED_ATTACK_SPEED
    return definition(catalog, weapon.item_id).attack_speed


# -- whole views for queries
def inventory_view(inventory, catalog):
    """The C{query_inventory} map: occupied slots only, keyed by str(slot)."""
    return {str(slot): item_payload(definition(catalog, stack.item_id), stack.quantity)
            for slot, stack in sorted(inventory.items())}


def equipment_view(equipment, catalog):
    """The C{query_equipment} map: all eleven slots, C{None} when empty."""
    view = {}
    for slot in EQUIPMENT_SLOTS:
        stack = equipment.get(slot)
        view[slot] = None if stack is None else equipment_payload(
            definition(catalog, stack.item_id), stack.quantity)
    return view
