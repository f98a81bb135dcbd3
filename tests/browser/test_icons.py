"""
Every item of maps/items.toml drawn by the client: worn, carried or on the
ground, from a scripted stand-in for the server (scripted.py).
"""

import tomllib

import pytest_twisted

from .conftest import REPO
from .pages import player_page, screenshot
from .scripted import scripted

INVENTORY_SLOTS = 28
# Around the scripted player at (5, 5), the tile under its name last.
GROUND_TILES = [(6, 5), (4, 5), (6, 6), (4, 6), (5, 6), (6, 4), (4, 4), (5, 4)]


def shipped_items():
    with open(REPO / "maps" / "items.toml", "rb") as f:
        return tomllib.load(f)["items"]


def placed(items):
    """
    Every item somewhere the client draws it: one worn in each equipment slot,
    28 carried, the rest on the ground.  Stackables come in a stack of 25.
    """
    worn, rest = {}, []
    for item in items:
        slot = item.get("equipment_slot")
        if slot and slot not in worn:
            worn[slot] = item
        else:
            rest.append(item)
    carried, lying = rest[:INVENTORY_SLOTS], rest[INVENTORY_SLOTS:]
    assert len(lying) <= len(GROUND_TILES), "more items than the test has ground for"
    return worn, carried, lying


def quantity(item):
    return 25 if item.get("stackable") else 1


def _all_icons(browser, base_url):
    worn, carried, lying = placed(shipped_items())
    with player_page(browser, base_url, "icons", before_load=scripted) as page:
        server = page.scripted_server
        page.wait_for_function("() => window.rpgState.position?.x === 5")
        server.push("event_equipment_update", {"equipment": {
            slot: {"item_id": i["item_id"], "name": i["name"], "stats": {}} for slot, i in worn.items()}})
        server.push("event_inventory_update", {"inventory": {
            str(slot): {"item_id": i["item_id"], "quantity": quantity(i), "name": i["name"],
                        "stackable": bool(i.get("stackable"))}
            for slot, i in enumerate(carried)}})
        server.push("event_ground_items_update", {"added": [
            {"ground_item_id": f"g{n}", "item_id": i["item_id"], "quantity": quantity(i),
             "x": x, "y": y, "map_id": "samplemap", "owner_id": None, "despawn_time": None,
             "name": i["name"]}
            for n, (i, (x, y)) in enumerate(zip(lying, GROUND_TILES))], "removed": []})
        page.wait_for_function(
            f"() => window.rpgState.ground_items.length === {len(lying)}"
            f" && window.rpgState.inventory.filter(Boolean).length === {len(carried)}")

        for slot, item in enumerate(carried):
            shown = page.get_by_test_id(f"inventory-slot-{slot}")
            icon = shown.get_by_role("img", name=item["name"], exact=True)
            assert icon.get_attribute("data-kind") != "bag", f"{item['name']} has no shape"
            assert icon.evaluate("img => img.complete && img.naturalWidth > 0"), item["name"]
            if quantity(item) > 1:
                assert shown.locator(".qty").text_content() == str(quantity(item))
        screenshot(page, "icons-inventory")

        page.get_by_test_id("tab-equipment").click()
        for slot, item in worn.items():
            icon = page.get_by_test_id(f"equipment-slot-{slot}").get_by_role(
                "img", name=item["name"], exact=True)
            assert icon.is_visible()
            assert icon.get_attribute("data-kind") != "bag", f"{item['name']} has no shape"
        screenshot(page, "icons-equipment")


@pytest_twisted.inlineCallbacks
def test_every_shipped_item_has_an_icon_named_after_it(browser, base_url):
    """Each item of maps/items.toml, worn or carried, shows an icon of its own whose accessible name is the item's."""
    yield browser.run(_all_icons, base_url)
