"""Black box: inventory and equipment (clarifications, "Items"; spec, "Inventory & Equipment")."""

import pytest
import pytest_twisted

from .harness import EQUIPMENT_SLOTS, ITEMS, field, item_id, reply_error, reply_ok

SERVER = dict(maps={"field": field(width=32, height=32)}, start_map="field")

STARTING = {0: ("bronze_sword", 1), 1: ("wooden_shield", 1), 2: ("bread", 1),
            3: ("bread", 1), 4: ("bread", 1)}


def full_of(key, then=None):
    """28 slots of bones, with some slots replaced."""
    slots = {slot: ("bones", 1) for slot in range(28)}
    slots.update(then or {})
    slots.update({0: (key, 1)} if key else {})
    return slots


async def inventory_update(client, slot):
    """The first event_inventory_update after the welcome sequence naming this slot."""
    payload = await later_event(client, "event_inventory_update",
                                lambda p: str(slot) in p["inventory"])
    return payload["inventory"]


async def later_event(client, message_type, predicate=lambda p: True):
    """The first event of this type after the welcome sequence."""
    for message in client.frames[7:]:
        if message["type"] == message_type and predicate(message["payload"]):
            return message["payload"]
    return (await client.wait_for_event(message_type, predicate))["payload"]


# -- queries

@pytest_twisted.ensureDeferred
async def test_query_inventory_lists_occupied_slots_by_string(server):
    """query_inventory lists occupied slots only, keyed "slot", each {item_id, quantity, name, stackable}."""
    client = await server.placed(inventory={0: ("bronze_arrow", 25), 7: ("bones", 1),
                                            27: ("coins", 1000)})
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    assert inventory == {
        "0": {"item_id": item_id("bronze_arrow"), "quantity": 25, "name": "Bronze arrow",
              "stackable": True},
        "7": {"item_id": item_id("bones"), "quantity": 1, "name": "Bones", "stackable": False},
        "27": {"item_id": item_id("coins"), "quantity": 1000, "name": "Coins",
               "stackable": True}}


@pytest_twisted.ensureDeferred
async def test_query_equipment_lists_all_eleven(server):
    """query_equipment returns all 11 slots: null or {item_id, name, stats}."""
    client = await server.placed(equipment={"weapon": ("bronze_sword", 1)})
    equipment = (await reply_ok(client, "query_equipment", {}))["equipment"]
    assert set(equipment) == set(EQUIPMENT_SLOTS)
    assert all(equipment[s] is None for s in EQUIPMENT_SLOTS if s != "weapon")
    weapon = equipment["weapon"]
    assert set(weapon) == {"item_id", "name", "stats"}
    assert (weapon["item_id"], weapon["name"]) == (item_id("bronze_sword"), "Bronze sword")
    assert weapon["stats"]["attack_bonus_slash"] == ITEMS["bronze_sword"]["stats"][
        "attack_bonus_slash"]


# -- cmd_inventory_use

@pytest.mark.parametrize("hp, restored", [(10, 0), (4, 5), (8, 2)])
@pytest_twisted.ensureDeferred
async def test_eating_restores_what_is_missing(server, hp, restored):
    """Bread heals up to 5: effect restored_<n>_hp with n actually restored; eaten either way."""
    client = await server.placed(inventory={3: ("bread", 1)}, hp=hp)
    payload = await reply_ok(client, "cmd_inventory_use", {"slot": 3})
    assert payload == {"result": "consumed", "effect": f"restored_{restored}_hp"}
    assert await inventory_update(client, 3) == {"3": None}
    assert (await reply_ok(client, "query_inventory", {}))["inventory"] == {}


@pytest_twisted.ensureDeferred
async def test_eating_shows_in_own_hp(server):
    """After eating, the player's current_hp reaches it in event_game_update."""
    client = await server.placed(inventory={0: ("bread", 1)}, hp=3)
    await reply_ok(client, "cmd_inventory_use", {"slot": 0})
    update = await later_event(client, "event_game_update",
                               lambda p: any(e["id"] == client.entity_id and "current_hp" in e
                                             for e in p["entities"]))
    me = next(e for e in update["entities"] if e["id"] == client.entity_id)
    assert me["current_hp"] == 8


@pytest_twisted.ensureDeferred
async def test_using_equipment_equips_it(server):
    """Using a sword equips it (result "equipped") with both update events."""
    client = await server.placed(inventory={2: ("bronze_sword", 1)})
    payload = await reply_ok(client, "cmd_inventory_use", {"slot": 2})
    assert payload["result"] == "equipped"
    assert await inventory_update(client, 2) == {"2": None}
    equipment = await later_event(client, "event_equipment_update")
    assert equipment["equipment"]["weapon"]["item_id"] == item_id("bronze_sword")
    assert equipment["equipment"]["weapon"]["name"] == "Bronze sword"


@pytest.mark.parametrize("key", ["bones", "coins", "logs"])
@pytest_twisted.ensureDeferred
async def test_using_other_items_is_not_usable(server, key):
    """Using an item that is neither food nor equipment is INVENTORY_ITEM_NOT_USABLE."""
    client = await server.placed(inventory={0: (key, 1)})
    assert (await reply_error(client, "cmd_inventory_use", {"slot": 0}))["error_code"] == \
        "INVENTORY_ITEM_NOT_USABLE"


@pytest.mark.parametrize("message_type, extra", [("cmd_inventory_use", {}),
                                                 ("cmd_inventory_drop", {})])
@pytest.mark.parametrize("slot", [-1, 28, 100, "0", 1.0, 0.5, None, True, [0], "MISSING"])
@pytest_twisted.ensureDeferred
async def test_invalid_slot(shared_player, message_type, extra, slot):
    """A slot that is not an integer 0-27 is INVENTORY_INVALID_SLOT."""
    client = shared_player
    payload = dict(extra)
    if slot != "MISSING":
        payload["slot"] = slot
    assert (await reply_error(client, message_type, payload))["error_code"] == \
        "INVENTORY_INVALID_SLOT"


@pytest.mark.parametrize("message_type", ["cmd_inventory_use", "cmd_inventory_drop"])
@pytest.mark.parametrize("slot", [5, 27])
@pytest_twisted.ensureDeferred
async def test_empty_slot(shared_player, message_type, slot):
    """An empty slot 0-27 is INVENTORY_SLOT_EMPTY (the starting inventory fills 0-4)."""
    client = shared_player
    assert (await reply_error(client, message_type, {"slot": slot}))["error_code"] == \
        "INVENTORY_SLOT_EMPTY"


# -- cmd_equipment_equip

@pytest_twisted.ensureDeferred
async def test_equip_reply_and_events(server):
    """Equip answers {equipped_item, unequipped_item: null, inventory_changes} and sends both updates."""
    client = await server.placed(inventory=STARTING)
    payload = await reply_ok(client, "cmd_equipment_equip",
                             {"inventory_slot": 0, "equipment_slot": "weapon"})
    assert payload == {"equipped_item": {"item_id": item_id("bronze_sword"),
                                         "name": "Bronze sword"},
                       "unequipped_item": None,
                       "inventory_changes": {"0": None}}
    assert await inventory_update(client, 0) == {"0": None}
    equipment = await later_event(client, "event_equipment_update")
    assert set(equipment) == {"equipment"}
    assert equipment["equipment"]["weapon"]["item_id"] == item_id("bronze_sword")
    assert "head" not in equipment["equipment"]  # only the changed slots


@pytest_twisted.ensureDeferred
async def test_equip_swaps_the_old_item_into_the_freed_slot(server):
    """The item that was in the slot takes the freed inventory slot."""
    client = await server.placed(inventory={6: ("iron_sword", 1)},
                                 equipment={"weapon": ("bronze_sword", 1)})
    payload = await reply_ok(client, "cmd_equipment_equip",
                             {"inventory_slot": 6, "equipment_slot": "weapon"})
    assert payload["equipped_item"] == {"item_id": item_id("iron_sword"), "name": "Iron sword"}
    assert payload["unequipped_item"] == {"item_id": item_id("bronze_sword"),
                                          "name": "Bronze sword"}
    assert set(payload["inventory_changes"]) == {"6"}
    moved = payload["inventory_changes"]["6"]
    assert (moved["item_id"], moved["quantity"]) == (item_id("bronze_sword"), 1)
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    assert inventory["6"]["name"] == "Bronze sword" and len(inventory) == 1


@pytest.mark.parametrize("slot", ["sword", "", "WEAPON", None, 3, "MISSING"])
@pytest_twisted.ensureDeferred
async def test_equip_unknown_slot_name(shared_player, slot):
    """An unknown equipment slot name is EQUIPMENT_SLOT_INVALID."""
    client = shared_player
    payload = {"inventory_slot": 0}
    if slot != "MISSING":
        payload["equipment_slot"] = slot
    assert (await reply_error(client, "cmd_equipment_equip", payload))["error_code"] == \
        "EQUIPMENT_SLOT_INVALID"


@pytest.mark.parametrize("inventory_slot, equipment_slot", [(0, "head"), (1, "weapon"),
                                                            (2, "weapon"), (2, "body")])
@pytest_twisted.ensureDeferred
async def test_equip_into_the_wrong_slot(shared_player, inventory_slot, equipment_slot):
    """A sword on the head, a shield or bread as a weapon: EQUIPMENT_WRONG_SLOT."""
    client = shared_player
    payload = await reply_error(client, "cmd_equipment_equip",
                                {"inventory_slot": inventory_slot,
                                 "equipment_slot": equipment_slot})
    assert payload["error_code"] == "EQUIPMENT_WRONG_SLOT"


@pytest_twisted.ensureDeferred
async def test_equip_requirements_not_met(server):
    """A steel sword (attack 5) at attack 1 is EQUIPMENT_REQUIREMENTS_NOT_MET with exact details."""
    client = await server.placed(inventory={0: ("steel_sword", 1)})
    payload = await reply_error(client, "cmd_equipment_equip",
                                {"inventory_slot": 0, "equipment_slot": "weapon"})
    assert payload["error_code"] == "EQUIPMENT_REQUIREMENTS_NOT_MET"
    assert payload["details"] == {"skill": "attack", "required_level": 5, "current_level": 1}


@pytest_twisted.ensureDeferred
async def test_equip_requirements_met_at_the_level(server):
    """At exactly the required level (attack 5 = 388 XP) the steel sword is equipped."""
    client = await server.placed(inventory={0: ("steel_sword", 1)}, xp={"attack": 388})
    await reply_ok(client, "cmd_equipment_equip", {"inventory_slot": 0, "equipment_slot": "weapon"})


@pytest.mark.parametrize("slot, code", [(28, "INVENTORY_INVALID_SLOT"),
                                        ("1", "INVENTORY_INVALID_SLOT"),
                                        (9, "INVENTORY_SLOT_EMPTY")])
@pytest_twisted.ensureDeferred
async def test_equip_bad_inventory_slot(shared_player, slot, code):
    """Equipping from a bad or empty inventory slot uses the inventory codes."""
    client = shared_player
    payload = await reply_error(client, "cmd_equipment_equip",
                                {"inventory_slot": slot, "equipment_slot": "weapon"})
    assert payload["error_code"] == code


@pytest_twisted.ensureDeferred
async def test_two_handed_takes_off_the_shield(server):
    """Equipping a two-handed weapon puts the worn shield into the inventory."""
    client = await server.placed(inventory={4: ("bronze_2h_sword", 1)},
                                 equipment={"shield": ("wooden_shield", 1)})
    payload = await reply_ok(client, "cmd_equipment_equip",
                             {"inventory_slot": 4, "equipment_slot": "weapon"})
    assert payload["equipped_item"]["name"] == "Bronze 2h sword"
    equipment = (await reply_ok(client, "query_equipment", {}))["equipment"]
    assert equipment["shield"] is None and equipment["weapon"]["name"] == "Bronze 2h sword"
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    assert [i["name"] for i in inventory.values()] == ["Wooden shield"]
    update = await later_event(client, "event_equipment_update")
    assert update["equipment"]["shield"] is None


@pytest_twisted.ensureDeferred
async def test_shield_takes_off_a_two_handed_weapon(server):
    """Equipping a shield while wielding a two-handed weapon puts the weapon in the inventory."""
    client = await server.placed(inventory={0: ("wooden_shield", 1)},
                                 equipment={"weapon": ("bronze_2h_sword", 1)})
    await reply_ok(client, "cmd_equipment_equip", {"inventory_slot": 0, "equipment_slot": "shield"})
    equipment = (await reply_ok(client, "query_equipment", {}))["equipment"]
    assert equipment["weapon"] is None and equipment["shield"]["name"] == "Wooden shield"
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    assert inventory == {"0": {"item_id": item_id("bronze_2h_sword"), "quantity": 1,
                               "name": "Bronze 2h sword", "stackable": False}}


@pytest_twisted.ensureDeferred
async def test_two_handed_with_no_room_for_the_shield(server):
    """Sword and shield worn, full inventory: the 2h sword's slot takes the sword and the shield
    has no room: EQUIPMENT_INVENTORY_FULL, nothing changes."""
    client = await server.placed(inventory=full_of("bronze_2h_sword"),
                                 equipment={"weapon": ("bronze_sword", 1),
                                            "shield": ("wooden_shield", 1)})
    payload = await reply_error(client, "cmd_equipment_equip",
                                {"inventory_slot": 0, "equipment_slot": "weapon"})
    assert payload["error_code"] == "EQUIPMENT_INVENTORY_FULL"
    equipment = (await reply_ok(client, "query_equipment", {}))["equipment"]
    assert equipment["weapon"]["name"] == "Bronze sword"
    assert equipment["shield"]["name"] == "Wooden shield"


@pytest_twisted.ensureDeferred
async def test_two_handed_into_a_full_inventory_frees_its_own_slot(server):
    """Only a shield worn, full inventory: the shield takes the 2h sword's freed slot."""
    client = await server.placed(inventory=full_of("bronze_2h_sword"),
                                 equipment={"shield": ("wooden_shield", 1)})
    await reply_ok(client, "cmd_equipment_equip", {"inventory_slot": 0, "equipment_slot": "weapon"})
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    assert inventory["0"]["name"] == "Wooden shield"


# -- cmd_equipment_unequip

@pytest_twisted.ensureDeferred
async def test_unequip_reply_and_events(server):
    """Unequip answers {unequipped_item {item_id, name}, inventory_slot} with both updates."""
    client = await server.placed(inventory={0: ("bones", 1)},
                                 equipment={"head": ("bronze_helm", 1)})
    payload = await reply_ok(client, "cmd_equipment_unequip", {"equipment_slot": "head"})
    assert payload == {"unequipped_item": {"item_id": item_id("bronze_helm"),
                                           "name": "Bronze helm"},
                       "inventory_slot": 1}
    update = await inventory_update(client, 1)
    assert update["1"]["item_id"] == item_id("bronze_helm") and update["1"]["quantity"] == 1
    equipment = await later_event(client, "event_equipment_update")
    assert equipment == {"equipment": {"head": None}}


@pytest.mark.parametrize("slot", ["hat", "", None, "MISSING"])
@pytest_twisted.ensureDeferred
async def test_unequip_unknown_slot_name(shared_player, slot):
    """Unequipping an unknown slot name is EQUIPMENT_SLOT_INVALID."""
    client = shared_player
    payload = {} if slot == "MISSING" else {"equipment_slot": slot}
    assert (await reply_error(client, "cmd_equipment_unequip", payload))["error_code"] == \
        "EQUIPMENT_SLOT_INVALID"


@pytest.mark.parametrize("slot", EQUIPMENT_SLOTS)
@pytest_twisted.ensureDeferred
async def test_unequip_empty_slot(shared_player, slot):
    """Unequipping an empty slot is EQUIPMENT_SLOT_EMPTY."""
    client = shared_player
    assert (await reply_error(client, "cmd_equipment_unequip", {"equipment_slot": slot}))[
        "error_code"] == "EQUIPMENT_SLOT_EMPTY"


@pytest_twisted.ensureDeferred
async def test_unequip_into_a_full_inventory(server):
    """Unequipping with no free slot is EQUIPMENT_INVENTORY_FULL."""
    client = await server.placed(inventory=full_of(None), equipment={"ring": ("gold_ring", 1)})
    assert (await reply_error(client, "cmd_equipment_unequip", {"equipment_slot": "ring"}))[
        "error_code"] == "EQUIPMENT_INVENTORY_FULL"


@pytest_twisted.ensureDeferred
async def test_unequipped_arrows_merge_into_a_stack(server):
    """Worn arrows merge into an existing stack first, even with an otherwise full inventory."""
    client = await server.placed(inventory=full_of(None, {9: ("bronze_arrow", 5)}),
                                 equipment={"ammo": ("bronze_arrow", 10)})
    payload = await reply_ok(client, "cmd_equipment_unequip", {"equipment_slot": "ammo"})
    assert payload["inventory_slot"] == 9
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    assert inventory["9"]["quantity"] == 15


@pytest_twisted.ensureDeferred
async def test_others_see_equipment_in_visual_state(server):
    """Equipping shows in others' event_game_update as visual_state.equipment {item_id, sprite_id}."""
    watcher = await server.placed(10, 10)
    wearer = await server.placed(11, 10, inventory=STARTING)
    await watcher.wait_for_event("event_game_update", include_past=True,
                                 predicate=lambda p: any(e["id"] == wearer.entity_id
                                                         for e in p["entities"]))
    await reply_ok(wearer, "cmd_equipment_equip", {"inventory_slot": 0, "equipment_slot": "weapon"})
    update = await watcher.wait_for_event(
        "event_game_update",
        predicate=lambda p: any(e["id"] == wearer.entity_id and "visual_state" in e
                                for e in p["entities"]))
    entity = next(e for e in update["payload"]["entities"] if e["id"] == wearer.entity_id)
    weapon = entity["visual_state"]["equipment"]["weapon"]
    assert weapon["item_id"] == item_id("bronze_sword") and isinstance(weapon["sprite_id"], str)
