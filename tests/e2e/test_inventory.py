"""End to end: inventory and equipment commands over the WebSocket, every error code."""

import pytest_twisted

from rpg.models import ItemStack
from rpg.content.tables import load_items

from .server import REPO_MAPS, running_server

CATALOG = load_items(REPO_MAPS / "items.toml")


def item_id(key):
    return CATALOG.by_key(key).item_id


def slot_of(inventory, key):
    return next(int(s) for s, item in inventory.items() if item["item_id"] == item_id(key))


async def prepare(server, username, inventory=None, skills=None, equipment=None):
    """Register a player and, before it logs in, set its inventory, equipment or skills."""
    await server.register(username)

    def change(character):
        if inventory is not None:
            character.inventory = {slot: ItemStack(item_id(key), qty)
                                   for slot, (key, qty) in inventory.items()}
        if equipment is not None:
            character.equipment = {slot: ItemStack(item_id(key), 1)
                                   for slot, key in equipment.items()}
        if skills is not None:
            character.skills.update(skills)
    await server.service.store.update_offline_character(username, change)


async def error(client, message_type, payload):
    reply = await client.request(message_type, payload)
    assert reply["type"] == "resp_error", reply
    return reply["payload"]


@pytest_twisted.ensureDeferred
async def test_starting_inventory_queries_and_food(tmp_path):
    """New players carry a sword, a shield and 3 bread; bread is eaten even at full HP."""
    async with running_server(tmp_path) as server:
        client = await server.player("eater")
        inventory = (await client.request("query_inventory", {}))["payload"]["inventory"]
        names = sorted(item["name"] for item in inventory.values())
        assert names == ["Bread", "Bread", "Bread", "Bronze sword", "Wooden shield"]
        assert all(set(i) == {"item_id", "quantity", "name", "stackable"} for i in inventory.values())
        equipment = (await client.request("query_equipment", {}))["payload"]["equipment"]
        assert len(equipment) == 11 and all(v is None for v in equipment.values())
        bread = slot_of(inventory, "bread")
        reply = await client.request("cmd_inventory_use", {"slot": bread})
        assert reply["payload"] == {"result": "consumed", "effect": "restored_0_hp"}
        update = await client.wait_for_event(
            "event_inventory_update", include_past=True,
            predicate=lambda p: str(bread) in p["inventory"] and p["inventory"][str(bread)] is None)
        assert update["payload"]["inventory"] == {str(bread): None}


@pytest_twisted.ensureDeferred
async def test_equip_unequip_and_others_see_it(tmp_path):
    """Equipping moves the item, sends both updates and shows in others' visual_state."""
    async with running_server(tmp_path) as server:
        watcher = await server.player("watcher")
        client = await server.player("wearer")
        me = f"player_{client.welcome['payload']['player_id']}"
        inventory = (await client.request("query_inventory", {}))["payload"]["inventory"]
        sword = slot_of(inventory, "bronze_sword")
        reply = await client.request("cmd_equipment_equip",
                                     {"inventory_slot": sword, "equipment_slot": "weapon"})
        assert reply["type"] == "resp_success"
        assert reply["payload"]["equipped_item"]["name"] == "Bronze sword"
        assert reply["payload"]["unequipped_item"] is None
        assert reply["payload"]["inventory_changes"] == {str(sword): None}
        update = await client.wait_for_event("event_equipment_update", include_past=True,
                                             predicate=lambda p: "weapon" in p["equipment"]
                                             and p["equipment"]["weapon"] is not None)
        assert update["payload"]["equipment"]["weapon"]["item_id"] == item_id("bronze_sword")
        seen = await watcher.wait_for_event(
            "event_game_update", include_past=True,
            predicate=lambda p: any(e["id"] == me and "visual_state" in e
                                    and e["visual_state"]["equipment"]["weapon"]
                                    for e in p["entities"]))
        visual = [e for e in seen["payload"]["entities"] if e["id"] == me][0]["visual_state"]
        assert visual["equipment"]["weapon"] == {"item_id": item_id("bronze_sword"),
                                                 "sprite_id": "bronze_sword"}
        reply = await client.request("cmd_equipment_unequip", {"equipment_slot": "weapon"})
        assert reply["payload"]["unequipped_item"]["name"] == "Bronze sword"
        assert isinstance(reply["payload"]["inventory_slot"], int)
        equipment = (await client.request("query_equipment", {}))["payload"]["equipment"]
        assert equipment["weapon"] is None


@pytest_twisted.ensureDeferred
async def test_inventory_and_equipment_errors(tmp_path):
    """Every inventory and equipment error code, each leaving things unchanged."""
    async with running_server(tmp_path) as server:
        await prepare(server, "erring", inventory={
            0: ("bronze_sword", 1), 1: ("coins", 10), 3: ("rune_sword", 1),
            4: ("bronze_2h_sword", 1), 5: ("wooden_shield", 1)})
        client = await server.player("erring")
        codes = []
        for message_type, payload in (
                ("cmd_inventory_use", {"slot": 28}),
                ("cmd_inventory_use", {"slot": "0"}),
                ("cmd_inventory_use", {"slot": 2}),
                ("cmd_inventory_use", {"slot": 1}),
                ("cmd_inventory_drop", {"slot": 1, "quantity": 11}),
                ("cmd_equipment_equip", {"inventory_slot": 0, "equipment_slot": "hat"}),
                ("cmd_equipment_equip", {"inventory_slot": 0, "equipment_slot": "head"}),
                ("cmd_equipment_equip", {"inventory_slot": 2, "equipment_slot": "weapon"}),
                ("cmd_equipment_unequip", {"equipment_slot": "ring"}),
                ("cmd_equipment_unequip", {"equipment_slot": "tail"}),
                ("cmd_pickup_item", {"ground_item_id": "ground_item_999"})):
            codes.append((await error(client, message_type, payload))["error_code"])
        assert codes == [
            "INVENTORY_INVALID_SLOT", "INVENTORY_INVALID_SLOT", "INVENTORY_SLOT_EMPTY",
            "INVENTORY_ITEM_NOT_USABLE", "INVENTORY_INVALID_QUANTITY", "EQUIPMENT_SLOT_INVALID",
            "EQUIPMENT_WRONG_SLOT", "INVENTORY_SLOT_EMPTY", "EQUIPMENT_SLOT_EMPTY",
            "EQUIPMENT_SLOT_INVALID", "INVENTORY_ITEM_NOT_FOUND"]
        details = (await error(client, "cmd_equipment_equip",
                               {"inventory_slot": 3, "equipment_slot": "weapon"}))["details"]
        assert details == {"skill": "attack", "required_level": 40, "current_level": 1}
        inventory = (await client.request("query_inventory", {}))["payload"]["inventory"]
        assert sorted(inventory) == ["0", "1", "3", "4", "5"]


@pytest_twisted.ensureDeferred
async def test_two_handed_weapon_and_shield_exclude_each_other(tmp_path):
    """A two-handed weapon takes off the shield, and with no room for it is refused."""
    async with running_server(tmp_path) as server:
        full = {slot: ("bread", 1) for slot in range(1, 28)}
        await prepare(server, "twohand", inventory={0: ("bronze_2h_sword", 1), **full},
                      equipment={"weapon": "bronze_sword", "shield": "wooden_shield"})
        client = await server.player("twohand")
        # the sword takes the 2h sword's slot; the shield has nowhere to go
        code = (await error(client, "cmd_equipment_equip",
                            {"inventory_slot": 0, "equipment_slot": "weapon"}))["error_code"]
        assert code == "EQUIPMENT_INVENTORY_FULL"
        equipment = (await client.request("query_equipment", {}))["payload"]["equipment"]
        assert equipment["weapon"]["item_id"] == item_id("bronze_sword")
        await client.request("cmd_inventory_use", {"slot": 5})
        reply = await client.request("cmd_equipment_equip",
                                     {"inventory_slot": 0, "equipment_slot": "weapon"})
        assert reply["type"] == "resp_success", reply
        assert reply["payload"]["inventory_changes"][
            "0"]["item_id"] == item_id("bronze_sword")
        equipment = (await client.request("query_equipment", {}))["payload"]["equipment"]
        assert equipment["weapon"]["item_id"] == item_id("bronze_2h_sword")
        assert equipment["shield"] is None
        inventory = (await client.request("query_inventory", {}))["payload"]["inventory"]
        assert inventory["5"]["item_id"] == item_id("wooden_shield")


@pytest_twisted.ensureDeferred
async def test_equipment_and_skills_survive_logout_and_restart(tmp_path, db_url):
    """What a player wears and its XP are saved at logout and restored after a restart."""
    async with running_server(tmp_path, database_url=db_url) as server:
        await prepare(server, "keeper", skills={"attack": 5000})
        client = await server.player("keeper")
        inventory = (await client.request("query_inventory", {}))["payload"]["inventory"]
        await client.request("cmd_equipment_equip", {
            "inventory_slot": slot_of(inventory, "wooden_shield"), "equipment_slot": "shield"})
        await client.close()
        await server.service.persistence.idle()
    async with running_server(tmp_path, database_url=db_url) as server:
        client = await server.player("keeper")
        equipment = client.events_of("event_equipment_update")[0]["equipment"]
        assert equipment["shield"]["item_id"] == item_id("wooden_shield")
        skills = client.events_of("event_skills")[0]["skills"]
        attack = [s for s in skills if s["name"] == "attack"][0]
        assert attack["current_xp"] == 5000 and attack["current_level"] > 1
        await client.close()
