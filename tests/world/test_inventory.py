"""
Tests for L{rpg.world.inventory}: the inventory and equipment rules.
"""

import copy

import pytest

from rpg.models import CharacterState, ItemStack
from rpg.protocol.errors import error_code
from rpg.world import inventory as inv
from rpg.world.errors import (
    EquipmentInventoryFull, EquipmentSlotEmpty, EquipmentSlotInvalid,
    InvalidQuantity, InvalidSlot, InventoryFull, ItemNotFound, ItemNotUsable,
    RequirementsNotMet, SlotEmpty, WrongSlot)
from rpg.world.items import (
    EQUIPMENT_SLOTS, ItemCatalog, ItemDef, equipment_payload, item_payload, zero_stats)


def stats(**values):
    return {**zero_stats(), **values}


ARROW = ItemDef(1, "bronze_arrow", "Bronze arrow", stackable=True, equipment_slot="ammo",
                stats=stats(ranged_strength_bonus=7))
COINS = ItemDef(2, "coins", "Coins", stackable=True)
DAGGER = ItemDef(3, "bronze_dagger", "Bronze dagger", equipment_slot="weapon",
                 stats=stats(attack_bonus_stab=4, strength_bonus=1))
IRON_ARROW = ItemDef(4, "iron_arrow", "Iron arrow", stackable=True, equipment_slot="ammo",
                     stats=stats(ranged_strength_bonus=10))
SWORD = ItemDef(5, "bronze_sword", "Bronze sword", equipment_slot="weapon",
                stats=stats(attack_bonus_slash=3, strength_bonus=5))
TWO_HANDER = ItemDef(6, "bronze_2h_sword", "Bronze 2h sword", equipment_slot="weapon",
                     two_handed=True, attack_speed=7, stats=stats(attack_bonus_slash=9))
RUNE_SWORD = ItemDef(11, "rune_sword", "Rune sword", equipment_slot="weapon",
                     requirements={"attack": 40}, stats=stats(attack_bonus_slash=26))
SHIELD = ItemDef(14, "wooden_shield", "Wooden shield", equipment_slot="shield",
                 stats=stats(defence_bonus_slash=5))
HELM = ItemDef(17, "bronze_helm", "Bronze helm", equipment_slot="head",
               stats=stats(defence_bonus_slash=4, attack_bonus_ranged=-1))
PLATE = ItemDef(25, "rune_platebody", "Rune platebody", equipment_slot="body",
                requirements={"defense": 40, "attack": 10})
BREAD = ItemDef(34, "bread", "Bread", heal=5)
BONES = ItemDef(39, "bones", "Bones")

CATALOG = ItemCatalog([ARROW, COINS, DAGGER, IRON_ARROW, SWORD, TWO_HANDER, RUNE_SWORD,
                       SHIELD, HELM, PLATE, BREAD, BONES],
                      [("bronze_sword", 1), ("wooden_shield", 1), ("bread", 3)])
LEVELS = {"attack": 1, "defense": 1}


def character(inventory=None, equipment=None):
    return CharacterState(player_id=1, username="ann", map_id="m", x=0, y=0,
                          inventory=inventory or {}, equipment=equipment or {})


def full_inventory(**overrides):
    """28 bones, with some slots replaced by C{slot_<n>=ItemStack} or removed (None)."""
    stacks = {slot: ItemStack(BONES.item_id) for slot in range(28)}
    for name, stack in overrides.items():
        slot = int(name.split("_")[1])
        if stack is None:
            del stacks[slot]
        else:
            stacks[slot] = stack
    return stacks


def assert_unchanged(function, player, error):
    """Calling C{function} raises C{error} and leaves C{player} as it was."""
    before = copy.deepcopy(player)
    with pytest.raises(error) as info:
        function()
    assert player == before
    return info.value


# -- parse_slot
@pytest.mark.parametrize("value", [0, 13, 27])
def test_parse_slot_accepts_slots_0_to_27(value):
    """An int from 0 to 27 is a slot."""
    assert inv.parse_slot(value) == value


@pytest.mark.parametrize("value", [-1, 28, True, False, "3", 3.0, None, [1]])
def test_parse_slot_refuses_everything_else(value):
    """Out-of-range ints, bools, strings and floats are InvalidSlot."""
    with pytest.raises(InvalidSlot):
        inv.parse_slot(value)


# -- add_item and has_room_for
def test_add_stackable_merges_into_existing_stack():
    """A stackable item joins the stack already carried."""
    inventory = {0: ItemStack(SWORD.item_id), 4: ItemStack(ARROW.item_id, 10)}
    changes = inv.add_item(inventory, ARROW, 5)
    assert changes == {4: ItemStack(ARROW.item_id, 15)}
    assert inventory[4] == ItemStack(ARROW.item_id, 15)


def test_add_stackable_takes_the_lowest_free_slot():
    """A stackable not yet carried takes the lowest free slot as one stack."""
    inventory = {0: ItemStack(SWORD.item_id)}
    assert inv.add_item(inventory, COINS, 100) == {1: ItemStack(COINS.item_id, 100)}


def test_add_non_stackable_takes_one_slot_per_item():
    """Three breads take three free slots."""
    inventory = {1: ItemStack(SWORD.item_id)}
    changes = inv.add_item(inventory, BREAD, 3)
    assert changes == {0: ItemStack(BREAD.item_id), 2: ItemStack(BREAD.item_id),
                       3: ItemStack(BREAD.item_id)}


def test_add_changes_are_copies():
    """The returned stacks do not alias the inventory's own."""
    inventory = {}
    changes = inv.add_item(inventory, COINS, 5)
    changes[0].quantity = 99
    assert inventory[0].quantity == 5


def test_add_without_room_changes_nothing():
    """Adding three items with two free slots is InventoryFull and adds none."""
    inventory = full_inventory(slot_3=None, slot_9=None)
    before = copy.deepcopy(inventory)
    with pytest.raises(InventoryFull):
        inv.add_item(inventory, BREAD, 3)
    assert inventory == before


def test_add_stackable_to_full_inventory_with_its_stack_fits():
    """A full inventory still takes more of a stack it already holds."""
    inventory = full_inventory(slot_27=ItemStack(COINS.item_id, 1))
    assert inv.add_item(inventory, COINS, 9) == {27: ItemStack(COINS.item_id, 10)}


def test_add_beyond_the_stack_limit_is_full():
    """A stack cannot grow past 2**31 - 1."""
    inventory = {0: ItemStack(COINS.item_id, 2 ** 31 - 1)}
    with pytest.raises(InventoryFull):
        inv.add_item(inventory, COINS, 1)


@pytest.mark.parametrize("quantity", [0, -1, True, 1.0, "2"])
def test_add_refuses_a_bad_quantity(quantity):
    """A quantity that is not an int from 1 up is InvalidQuantity."""
    with pytest.raises(InvalidQuantity):
        inv.add_item({}, COINS, quantity)


def test_has_room_for_answers_without_changing():
    """has_room_for tells whether items fit and changes nothing."""
    inventory = full_inventory(slot_5=None)
    assert inv.has_room_for(inventory, BREAD, 1)
    assert not inv.has_room_for(inventory, BREAD, 2)
    assert 5 not in inventory


def test_starting_inventory_lays_out_the_starting_items():
    """A new character holds sword, shield and three breads in slots 0-4."""
    assert inv.starting_inventory(CATALOG) == {
        0: ItemStack(SWORD.item_id), 1: ItemStack(SHIELD.item_id),
        2: ItemStack(BREAD.item_id), 3: ItemStack(BREAD.item_id), 4: ItemStack(BREAD.item_id)}


# -- remove_from_slot
def test_remove_whole_stack_by_default():
    """Without a quantity the whole stack comes out and the slot empties."""
    inventory = {3: ItemStack(COINS.item_id, 50)}
    assert inv.remove_from_slot(inventory, 3) == ItemStack(COINS.item_id, 50)
    assert inventory == {}


def test_remove_part_of_a_stack():
    """A quantity below the stack size leaves the rest."""
    inventory = {3: ItemStack(COINS.item_id, 50)}
    assert inv.remove_from_slot(inventory, 3, 20) == ItemStack(COINS.item_id, 20)
    assert inventory == {3: ItemStack(COINS.item_id, 30)}


def test_remove_from_an_empty_slot():
    """An empty slot is SlotEmpty."""
    with pytest.raises(SlotEmpty):
        inv.remove_from_slot({}, 3)


def test_remove_from_an_invalid_slot():
    """A slot outside 0-27 is InvalidSlot."""
    with pytest.raises(InvalidSlot):
        inv.remove_from_slot({}, 28)


@pytest.mark.parametrize("quantity", [0, -1, 51, True, 2.0, "5"])
def test_remove_refuses_a_bad_quantity(quantity):
    """A quantity outside 1..stack is InvalidQuantity and removes nothing."""
    inventory = {3: ItemStack(COINS.item_id, 50)}
    with pytest.raises(InvalidQuantity):
        inv.remove_from_slot(inventory, 3, quantity)
    assert inventory == {3: ItemStack(COINS.item_id, 50)}


def test_invalid_quantity_has_its_wire_code():
    """InvalidQuantity goes on the wire as INVENTORY_INVALID_QUANTITY."""
    assert error_code(InvalidQuantity()) == "INVENTORY_INVALID_QUANTITY"


# -- equip: order of checks
def test_equip_unknown_slot_name_comes_first():
    """An unknown slot name is EquipmentSlotInvalid even for an empty inventory slot."""
    assert_unchanged(lambda: inv.equip(character(), CATALOG, 99, "tail", LEVELS),
                     character(), EquipmentSlotInvalid)


@pytest.mark.parametrize("name", [None, 3, "WEAPON", ""])
def test_equip_refuses_non_slot_names(name):
    """Anything that is not one of the eleven names is EquipmentSlotInvalid."""
    with pytest.raises(EquipmentSlotInvalid):
        inv.equip(character({0: ItemStack(SWORD.item_id)}), CATALOG, 0, name, LEVELS)


def test_equip_invalid_inventory_slot():
    """A bad inventory slot is InvalidSlot."""
    with pytest.raises(InvalidSlot):
        inv.equip(character(), CATALOG, "0", "weapon", LEVELS)


def test_equip_empty_inventory_slot():
    """An empty inventory slot is SlotEmpty."""
    with pytest.raises(SlotEmpty):
        inv.equip(character(), CATALOG, 0, "weapon", LEVELS)


def test_equip_into_the_wrong_slot():
    """A sword does not go on the head."""
    player = character({0: ItemStack(SWORD.item_id)})
    assert_unchanged(lambda: inv.equip(player, CATALOG, 0, "head", LEVELS), player, WrongSlot)


def test_equip_non_equipment():
    """Bread cannot be worn anywhere."""
    player = character({0: ItemStack(BREAD.item_id)})
    assert_unchanged(lambda: inv.equip(player, CATALOG, 0, "weapon", LEVELS), player, WrongSlot)


def test_wrong_slot_comes_before_requirements():
    """A rune sword offered to the head slot is WrongSlot, not RequirementsNotMet."""
    player = character({0: ItemStack(RUNE_SWORD.item_id)})
    with pytest.raises(WrongSlot):
        inv.equip(player, CATALOG, 0, "head", LEVELS)


def test_equip_requirements_not_met_names_the_skill():
    """Attack 39 for a rune sword is refused with skill, required and current levels."""
    player = character({0: ItemStack(RUNE_SWORD.item_id)})
    error = assert_unchanged(
        lambda: inv.equip(player, CATALOG, 0, "weapon", {"attack": 39}), player, RequirementsNotMet)
    assert error.details == {"skill": "attack", "required_level": 40, "current_level": 39}


def test_equip_requirements_missing_skill_counts_as_level_1():
    """A skill absent from levels is level 1."""
    player = character({0: ItemStack(RUNE_SWORD.item_id)})
    with pytest.raises(RequirementsNotMet) as info:
        inv.equip(player, CATALOG, 0, "weapon", {})
    assert info.value.details["current_level"] == 1


def test_equip_requirements_report_the_first_failing_skill_in_skill_order():
    """With two unmet requirements the first in SKILLS order is named."""
    player = character({0: ItemStack(PLATE.item_id)})
    with pytest.raises(RequirementsNotMet) as info:
        inv.equip(player, CATALOG, 0, "body", {"attack": 1, "defense": 1})
    assert info.value.details["skill"] == "attack"


def test_equip_requirements_met_exactly():
    """Attack 40 wields a rune sword."""
    player = character({0: ItemStack(RUNE_SWORD.item_id)})
    inv.equip(player, CATALOG, 0, "weapon", {"attack": 40})
    assert player.equipment == {"weapon": ItemStack(RUNE_SWORD.item_id)}


# -- equip: effects
def test_equip_into_an_empty_slot():
    """The item leaves the inventory for the slot; the reply carries wire shapes."""
    player = character({2: ItemStack(SWORD.item_id)})
    change = inv.equip(player, CATALOG, 2, "weapon", LEVELS)
    assert player.inventory == {} and player.equipment == {"weapon": ItemStack(SWORD.item_id)}
    assert change.equipped_item == {"item_id": 5, "name": "Bronze sword"}
    assert change.unequipped_item is None
    assert change.inventory_changes == {"2": None}
    assert change.equipment_changes == {"weapon": equipment_payload(SWORD)}


def test_equip_swaps_the_old_item_into_the_freed_slot():
    """The dagger worn before takes the sword's inventory slot."""
    player = character({0: ItemStack(BONES.item_id), 5: ItemStack(SWORD.item_id)},
                       {"weapon": ItemStack(DAGGER.item_id)})
    change = inv.equip(player, CATALOG, 5, "weapon", LEVELS)
    assert player.inventory[5] == ItemStack(DAGGER.item_id)
    assert player.equipment["weapon"] == ItemStack(SWORD.item_id)
    assert change.unequipped_item == {"item_id": 3, "name": "Bronze dagger"}
    assert change.inventory_changes == {"5": item_payload(DAGGER, 1)}


def test_equip_swap_works_with_a_full_inventory():
    """A one-for-one swap needs no free slot."""
    player = character(full_inventory(slot_0=ItemStack(SWORD.item_id)),
                       {"weapon": ItemStack(DAGGER.item_id)})
    inv.equip(player, CATALOG, 0, "weapon", LEVELS)
    assert player.inventory[0] == ItemStack(DAGGER.item_id)


def test_two_hander_takes_off_the_shield():
    """Wielding a 2h sword removes the shield into the freed slot."""
    player = character({3: ItemStack(TWO_HANDER.item_id)}, {"shield": ItemStack(SHIELD.item_id)})
    change = inv.equip(player, CATALOG, 3, "weapon", LEVELS)
    assert player.equipment == {"weapon": ItemStack(TWO_HANDER.item_id)}
    assert player.inventory == {3: ItemStack(SHIELD.item_id)}
    assert change.unequipped_item == {"item_id": 14, "name": "Wooden shield"}
    assert change.equipment_changes == {"shield": None, "weapon": equipment_payload(TWO_HANDER)}


def test_two_hander_takes_off_weapon_and_shield():
    """Weapon and shield both come off: the weapon to the freed slot, the shield to the next."""
    player = character({3: ItemStack(TWO_HANDER.item_id)},
                       {"weapon": ItemStack(SWORD.item_id), "shield": ItemStack(SHIELD.item_id)})
    change = inv.equip(player, CATALOG, 3, "weapon", LEVELS)
    assert player.inventory == {3: ItemStack(SWORD.item_id), 0: ItemStack(SHIELD.item_id)}
    assert change.unequipped_item["item_id"] == SWORD.item_id
    assert [item["item_id"] for item in change.unequipped_items] == [5, 14]
    assert set(change.inventory_changes) == {"0", "3"}


def test_two_hander_without_room_for_the_shield():
    """With weapon and shield worn and no free slot, a 2h sword is EquipmentInventoryFull."""
    player = character(full_inventory(slot_3=ItemStack(TWO_HANDER.item_id)),
                       {"weapon": ItemStack(SWORD.item_id), "shield": ItemStack(SHIELD.item_id)})
    assert_unchanged(lambda: inv.equip(player, CATALOG, 3, "weapon", LEVELS),
                     player, EquipmentInventoryFull)


def test_shield_takes_off_a_two_hander():
    """Wearing a shield removes a two-handed weapon into the freed slot."""
    player = character({7: ItemStack(SHIELD.item_id)}, {"weapon": ItemStack(TWO_HANDER.item_id)})
    change = inv.equip(player, CATALOG, 7, "shield", LEVELS)
    assert player.equipment == {"shield": ItemStack(SHIELD.item_id)}
    assert player.inventory == {7: ItemStack(TWO_HANDER.item_id)}
    assert change.equipment_changes == {"shield": equipment_payload(SHIELD), "weapon": None}


def test_shield_keeps_a_one_handed_weapon():
    """A shield beside a sword leaves the sword worn."""
    player = character({7: ItemStack(SHIELD.item_id)}, {"weapon": ItemStack(SWORD.item_id)})
    inv.equip(player, CATALOG, 7, "shield", LEVELS)
    assert player.equipment["weapon"] == ItemStack(SWORD.item_id)


def test_shield_displacing_two_items_without_room():
    """A shield that must take off a 2h weapon and an old shield needs a free slot."""
    # equip never wears a 2h weapon beside a shield, but a hand-edited save
    # might; the rule still refuses rather than lose an item.
    player = character(full_inventory(slot_7=ItemStack(SHIELD.item_id)),
                       {"weapon": ItemStack(TWO_HANDER.item_id), "shield": ItemStack(SHIELD.item_id)})
    assert_unchanged(lambda: inv.equip(player, CATALOG, 7, "shield", LEVELS),
                     player, EquipmentInventoryFull)


def test_shield_with_a_two_hander_in_a_full_inventory_swaps():
    """The freed slot holds the 2h sword that the shield displaces."""
    player = character(full_inventory(slot_7=ItemStack(SHIELD.item_id)),
                       {"weapon": ItemStack(TWO_HANDER.item_id)})
    inv.equip(player, CATALOG, 7, "shield", LEVELS)
    assert player.inventory[7] == ItemStack(TWO_HANDER.item_id)


def test_equip_ammo_merges_onto_the_same_ammo():
    """Equipping arrows onto the same arrows adds the quantities and frees the slot."""
    player = character({4: ItemStack(ARROW.item_id, 15)}, {"ammo": ItemStack(ARROW.item_id, 10)})
    change = inv.equip(player, CATALOG, 4, "ammo", LEVELS)
    assert player.equipment == {"ammo": ItemStack(ARROW.item_id, 25)}
    assert player.inventory == {}
    assert change.unequipped_item is None
    assert change.equipment_changes["ammo"]["quantity"] == 25


def test_equip_other_ammo_returns_old_ammo_to_its_stack():
    """Swapped-out arrows merge into the stack of them already carried."""
    player = character({1: ItemStack(IRON_ARROW.item_id, 50), 2: ItemStack(ARROW.item_id, 5)},
                       {"ammo": ItemStack(ARROW.item_id, 10)})
    inv.equip(player, CATALOG, 1, "ammo", LEVELS)
    assert player.equipment == {"ammo": ItemStack(IRON_ARROW.item_id, 50)}
    assert player.inventory == {2: ItemStack(ARROW.item_id, 15)}


# -- unequip
def test_unequip_into_the_lowest_free_slot():
    """The item goes to the lowest free slot, which the reply names."""
    player = character({0: ItemStack(BONES.item_id)}, {"head": ItemStack(HELM.item_id)})
    change = inv.unequip(player, CATALOG, "head")
    assert player.inventory[1] == ItemStack(HELM.item_id) and player.equipment == {}
    assert change.unequipped_item == {"item_id": 17, "name": "Bronze helm"}
    assert change.inventory_slot == 1
    assert change.inventory_changes == {"1": item_payload(HELM, 1)}
    assert change.equipment_changes == {"head": None}


def test_unequip_stackable_merges_first():
    """Unequipped arrows join the carried stack, even in a full inventory."""
    player = character(full_inventory(slot_20=ItemStack(ARROW.item_id, 5)),
                       {"ammo": ItemStack(ARROW.item_id, 10)})
    change = inv.unequip(player, CATALOG, "ammo")
    assert player.inventory[20] == ItemStack(ARROW.item_id, 15)
    assert change.inventory_slot == 20


def test_unequip_unknown_slot():
    """An unknown slot name is EquipmentSlotInvalid."""
    with pytest.raises(EquipmentSlotInvalid):
        inv.unequip(character(), CATALOG, "tail")


def test_unequip_empty_slot():
    """Nothing worn is EquipmentSlotEmpty."""
    with pytest.raises(EquipmentSlotEmpty):
        inv.unequip(character(), CATALOG, "head")


def test_unequip_without_room():
    """A full inventory refuses the helm and keeps it worn."""
    player = character(full_inventory(), {"head": ItemStack(HELM.item_id)})
    assert_unchanged(lambda: inv.unequip(player, CATALOG, "head"), player, EquipmentInventoryFull)


# -- use_item
def test_eating_heals_and_consumes():
    """Bread heals 5 and is eaten."""
    player = character({3: ItemStack(BREAD.item_id)})
    change = inv.use_item(player, CATALOG, 3, 4, 10, LEVELS)
    assert (change.result, change.effect, change.hp) == ("consumed", "restored_5_hp", 9)
    assert player.inventory == {} and change.inventory_changes == {"3": None}


def test_eating_heals_only_up_to_max_hp():
    """Two HP short of full, bread restores 2."""
    player = character({3: ItemStack(BREAD.item_id)})
    change = inv.use_item(player, CATALOG, 3, 8, 10, LEVELS)
    assert (change.effect, change.hp) == ("restored_2_hp", 10)


def test_eating_at_full_hp_still_eats():
    """At full HP the food is eaten and restores 0."""
    player = character({3: ItemStack(BREAD.item_id)})
    change = inv.use_item(player, CATALOG, 3, 10, 10, LEVELS)
    assert (change.effect, change.hp) == ("restored_0_hp", 10)
    assert player.inventory == {}


def test_eating_from_a_stack_takes_one():
    """Stackable food loses one from its stack."""
    cake = ItemDef(50, "cake", "Cake", stackable=True, heal=4)
    catalog = ItemCatalog([cake])
    player = character({0: ItemStack(50, 3)})
    change = inv.use_item(player, catalog, 0, 1, 10, LEVELS)
    assert player.inventory == {0: ItemStack(50, 2)}
    assert change.inventory_changes == {"0": item_payload(cake, 2)}


def test_using_equipment_equips_it():
    """Using a sword wields it in its own slot."""
    player = character({2: ItemStack(SWORD.item_id)}, {"weapon": ItemStack(DAGGER.item_id)})
    change = inv.use_item(player, CATALOG, 2, 7, 10, LEVELS)
    assert change.result == "equipped" and change.hp == 7
    assert player.equipment == {"weapon": ItemStack(SWORD.item_id)}
    assert player.inventory == {2: ItemStack(DAGGER.item_id)}


def test_using_equipment_checks_requirements():
    """Using a rune sword at attack 1 is RequirementsNotMet."""
    player = character({2: ItemStack(RUNE_SWORD.item_id)})
    assert_unchanged(lambda: inv.use_item(player, CATALOG, 2, 10, 10, LEVELS),
                     player, RequirementsNotMet)


def test_using_other_items_is_not_usable():
    """Bones are neither eaten nor worn."""
    player = character({0: ItemStack(BONES.item_id)})
    assert_unchanged(lambda: inv.use_item(player, CATALOG, 0, 10, 10, LEVELS),
                     player, ItemNotUsable)


def test_use_empty_slot():
    """Using an empty slot is SlotEmpty."""
    with pytest.raises(SlotEmpty):
        inv.use_item(character(), CATALOG, 0, 10, 10, LEVELS)


def test_use_invalid_slot():
    """Using slot 28 is InvalidSlot."""
    with pytest.raises(InvalidSlot):
        inv.use_item(character(), CATALOG, 28, 10, 10, LEVELS)


def test_unknown_item_ids_are_item_not_found():
    """An item id the catalog does not know is ItemNotFound, not a crash."""
    with pytest.raises(ItemNotFound):
        inv.use_item(character({0: ItemStack(999)}), CATALOG, 0, 10, 10, LEVELS)


# -- bonuses, speed and views
def test_equipment_bonuses_sum_every_worn_item():
    """Bonuses add up across slots, negatives included; absent keys are 0."""
    equipment = {"weapon": ItemStack(SWORD.item_id), "head": ItemStack(HELM.item_id),
                 "ammo": ItemStack(ARROW.item_id, 30)}
    totals = inv.equipment_bonuses(equipment, CATALOG)
    assert totals == stats(attack_bonus_slash=3, strength_bonus=5, defence_bonus_slash=4,
                           attack_bonus_ranged=-1, ranged_strength_bonus=7)


def test_equipment_bonuses_of_nothing_are_zero():
    """Wearing nothing gives all ten bonuses at 0."""
    assert inv.equipment_bonuses({}, CATALOG) == zero_stats()


def test_weapon_attack_speed():
    """The weapon's speed counts; unarmed is 4 ticks."""
    assert inv.weapon_attack_speed({}, CATALOG) == 4
    assert inv.weapon_attack_speed({"weapon": ItemStack(TWO_HANDER.item_id)}, CATALOG) == 7


def test_inventory_view_lists_occupied_slots_by_string():
    """query_inventory shows occupied slots only, keyed by the slot as a string."""
    view = inv.inventory_view({4: ItemStack(COINS.item_id, 7)}, CATALOG)
    assert view == {"4": item_payload(COINS, 7)}


def test_equipment_view_lists_all_eleven_slots():
    """query_equipment shows every slot, None when empty."""
    view = inv.equipment_view({"head": ItemStack(HELM.item_id)}, CATALOG)
    assert list(view) == list(EQUIPMENT_SLOTS)
    assert view["head"] == equipment_payload(HELM)
    assert [slot for slot, item in view.items() if item is None] == [
        slot for slot in EQUIPMENT_SLOTS if slot != "head"]
