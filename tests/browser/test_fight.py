"""
Fighting and looting in a real browser: a strong player clicks the goblin beside
it, which dies, then clicks the loot it dropped, which lands in the inventory.
The real server runs in-process on a small test map.
"""

import json

import pytest
import pytest_twisted

from rpg.world.skills import xp_for_level

from .conftest import players_gone
from .pages import (
    click_tile, log_in, player_page, record_sent, screenshot, skill_xp, state, unique_name,
    wait_map_drawn,
)

SPAWN = (5, 5)
GOBLIN = (6, 5)
MAP = "arena"


def make_strong(character):
    """Level 99 fighting skills and full hit points: a goblin dies in a blow or two."""
    character.skills.update(attack=xp_for_level(99), strength=xp_for_level(99),
                            defense=xp_for_level(99), hitpoints=xp_for_level(99))
    character.hp = 99


@pytest_twisted.async_yield_fixture
async def arena(external_url, tmp_path):
    """The server in-process on a 40x40 field with a goblin (staying put) beside the
    spawn, and the name of an account made strong through the store."""
    if external_url:
        pytest.skip("the fight needs the in-process server and its test map")
    from tests.e2e.server import running_server
    from tests.e2e.tmx import open_field, write_map
    maps = write_map(tmp_path / "maps", MAP, open_field(
        width=40, height=40, spawn=SPAWN, npcs=[("g", *GOBLIN)]), wander_radius=0)
    async with running_server(tmp_path, maps_dir=maps, start_map=MAP) as server:
        username = unique_name("slayer")
        await server.register(username)
        await server.service.store.update_offline_character(username, make_strong)
        yield server.base_url, username
        await players_gone(server.base_url)


def at_goblin_js(collection):
    x, y = GOBLIN
    return f"window.rpgState.{collection}.filter(e => e.x === {x} && e.y === {y})"


def _fight_and_loot(browser, base_url, username):
    sent = []
    with player_page(browser, base_url, "fight",
                     before_load=lambda page: record_sent(page, sent)) as page:
        log_in(page, username)
        wait_map_drawn(page, coverage=0.3)
        assert state(page)["position"] == {"x": SPAWN[0], "y": SPAWN[1]}
        page.wait_for_function(f"() => {at_goblin_js('entities')}.some(e => e.type === 'npc')")
        goblin = next(e for e in state(page)["entities"]
                      if e["type"] == "npc" and (e["x"], e["y"]) == GOBLIN)
        assert goblin["name"] == "Goblin" and goblin["current_hp"] == goblin["max_hp"]
        attack_xp = skill_xp(page, "attack")

        click_tile(page, *GOBLIN)
        page.wait_for_function(
            f"() => !window.rpgState.entities.some(e => e.id === {json.dumps(goblin['id'])})")
        attacks = [m["payload"] for m in sent if m["type"] == "cmd_attack"]
        assert attacks == [{"target_id": goblin["id"], "target_type": "npc"}]
        page.wait_for_function(
            "() => window.rpgState.skills.find(s => s.name === 'attack').current_xp"
            f" > {attack_xp}")

        page.wait_for_function(f"() => {at_goblin_js('ground_items')}.some(g => g.name === 'Bones')")
        loot = [g for g in state(page)["ground_items"] if (g["x"], g["y"]) == GOBLIN]
        taken = loot[0]  # a click takes the first item on the tile
        click_tile(page, *GOBLIN)
        page.wait_for_function(
            "() => !window.rpgState.ground_items.some("
            f"g => g.ground_item_id === {json.dumps(taken['ground_item_id'])})")
        pickups = [m["payload"] for m in sent if m["type"] == "cmd_pickup_item"]
        assert pickups == [{"ground_item_id": taken["ground_item_id"]}]
        slot = page.wait_for_function(
            f"() => {{ const i = window.rpgState.inventory.findIndex("
            f"it => it && it.name === {json.dumps(taken['name'])}); return i >= 0 ? i : null; }}"
        ).json_value()
        shown = page.get_by_test_id(f"inventory-slot-{slot}")
        assert shown.is_visible()
        assert shown.get_attribute("title").startswith(taken["name"])
        assert shown.get_by_role("img", name=taken["name"], exact=True).is_visible()
        screenshot(page, "fight")


@pytest_twisted.inlineCallbacks
def test_clicking_a_goblin_kills_it_and_clicking_its_loot_takes_it(browser, arena):
    """A click on the goblin sends cmd_attack and it dies; a click on its loot puts that in the inventory."""
    base_url, username = arena
    yield browser.run(_fight_and_loot, base_url, username)
