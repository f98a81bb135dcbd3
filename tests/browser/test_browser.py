"""
End to end in a real browser: the built client (web/dist) served by the real
server, driven by Playwright in Debian's headless Chromium.
"""

import pytest_twisted

from .pages import (
    TIMEOUT_MS, fill_credentials, inventory_slot_of, player_page, register, screenshot,
    sees_player_js, state, unique_name, wait_in_game, wait_map_drawn,
)

DIRECTIONS = {  # key -> (dx, dy)
    "ArrowRight": (1, 0), "ArrowLeft": (-1, 0), "ArrowDown": (0, 1), "ArrowUp": (0, -1),
}


def _register_then_log_in(browser, base_url):
    name = unique_name("login")
    with player_page(browser, base_url, "login") as page:
        register(page, name)
        page.get_by_test_id("logout-button").click()
        page.get_by_test_id("auth-form").wait_for()
        fill_credentials(page, name)
        page.get_by_test_id("login-button").click()
        wait_in_game(page)
        wait_map_drawn(page)
        snapshot = state(page)
        assert snapshot["username"] == name and snapshot["connection"] == "online"
        screenshot(page, "map")


@pytest_twisted.inlineCallbacks
def test_registered_player_logs_in_and_sees_the_map(browser, base_url):
    """After registering and logging in, the map is drawn on the canvas."""
    yield browser.run(_register_then_log_in, base_url)


def _walk(browser, base_url):
    with player_page(browser, base_url, "walk") as page:
        register(page, unique_name("walk"))
        wait_map_drawn(page)
        start = state(page)["position"]
        for key, (dx, dy) in DIRECTIONS.items():
            page.get_by_test_id("game-canvas").focus()
            page.keyboard.press(key)
            try:
                page.wait_for_function(
                    f"() => window.rpgState.position.x !== {start['x']}"
                    f" || window.rpgState.position.y !== {start['y']}", timeout=2000)
            except Exception:
                continue  # blocked that way: try the next direction
            assert state(page)["position"] == {"x": start["x"] + dx, "y": start["y"] + dy}
            return
        raise AssertionError(f"no arrow key moved the player from {start}")


@pytest_twisted.inlineCallbacks
def test_arrow_key_moves_the_player_one_tile(browser, base_url):
    """An arrow key moves the player one tile, as window.rpgState shows."""
    yield browser.run(_walk, base_url)


def _chat(browser, base_url):
    name = unique_name("chat")
    line = f"hello from {name}"
    with player_page(browser, base_url, "chat") as page:
        register(page, name)
        page.get_by_test_id("game-canvas").focus()
        page.keyboard.press("Enter")  # Enter opens the chat box
        page.keyboard.type(line)
        page.keyboard.press("Enter")
        page.get_by_test_id("chat-log").get_by_text(line).wait_for()
        said = [c for c in state(page)["chat"] if c["message"] == line]
        assert [(c["username"], c["channel"]) for c in said] == [(name, "local")]


@pytest_twisted.inlineCallbacks
def test_chat_line_sent_appears_in_the_log(browser, base_url):
    """A line typed in the chat box comes back from the server into the chat log."""
    yield browser.run(_chat, base_url)


def _equip(browser, base_url):
    with player_page(browser, base_url, "equip") as page:
        register(page, unique_name("equip"))
        sword = inventory_slot_of(page, "Bronze sword")
        page.get_by_test_id(f"inventory-slot-{sword}").click()
        page.get_by_test_id("action-equip").click()
        page.wait_for_function(
            "() => window.rpgState.equipment.weapon?.name === 'Bronze sword'")
        assert state(page)["inventory"][sword] is None

        shield = inventory_slot_of(page, "Wooden shield")
        page.get_by_test_id(f"inventory-slot-{shield}").click(button="right")
        page.get_by_test_id("menu-equip-shield").click()
        page.wait_for_function(
            "() => window.rpgState.equipment.shield?.name === 'Wooden shield'")

        page.get_by_test_id("tab-equipment").click()
        weapon_slot = page.get_by_test_id("equipment-slot-weapon")
        assert weapon_slot.get_attribute("data-item-id") != ""
        assert "Bronze sword" in weapon_slot.get_attribute("title")
        assert weapon_slot.get_by_role("img", name="Bronze sword", exact=True).is_visible()
        assert page.get_by_test_id("equipment-slot-shield").get_by_role(
            "img", name="Wooden shield", exact=True).is_visible()
        screenshot(page, "equipment")


@pytest_twisted.inlineCallbacks
def test_equipping_from_the_inventory_fills_the_equipment_slots(browser, base_url):
    """The Equip button and the right-click menu put the sword and shield on."""
    yield browser.run(_equip, base_url)


def _two_players(browser, base_url):
    alice, bob = unique_name("alice"), unique_name("bob")
    with player_page(browser, base_url, "alice") as page_a, \
            player_page(browser, base_url, "bob") as page_b:
        register(page_a, alice)
        register(page_b, bob)
        page_a.wait_for_function(sees_player_js(bob), timeout=TIMEOUT_MS)
        page_b.wait_for_function(sees_player_js(alice), timeout=TIMEOUT_MS)
        wait_map_drawn(page_a)
        screenshot(page_a, "two-players")


@pytest_twisted.inlineCallbacks
def test_two_players_see_each_other(browser, base_url):
    """Two players logged in from two browser pages each see the other on the map."""
    yield browser.run(_two_players, base_url)
