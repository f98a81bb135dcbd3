"""
The client's reaction to server events that a live game rarely produces on
demand (death, respawn, shutdown), with the WebSocket answered by a scripted
stand-in inside the browser; the page itself comes from the real server.
"""

import pytest_twisted

from .pages import player_page
from .scripted import PLAYER_ID, scripted


def _death_and_shutdown(browser, base_url):
    with player_page(browser, base_url, "events", before_load=scripted) as page:
        server = page.scripted_server
        page.wait_for_function("() => window.rpgState.position?.x === 5")
        server.push("event_player_died", {
            "player_id": PLAYER_ID, "username": "scripted",
            "death_position": {"x": 5, "y": 5, "map_id": "samplemap"},
            "killer": {"id": "npc_1", "name": "Goblin", "type": "npc"}})
        overlay = page.get_by_test_id("death-overlay")
        overlay.get_by_text("killed by Goblin").wait_for()
        assert page.evaluate("() => window.rpgState.dead") is True

        server.push("event_player_respawned", {
            "player_id": PLAYER_ID, "username": "scripted",
            "spawn_position": {"x": 9, "y": 8, "map_id": "samplemap"},
            "current_hp": 10, "max_hp": 10})
        overlay.wait_for(state="hidden")
        assert page.evaluate("() => window.rpgState.position") == {"x": 9, "y": 8}

        server.push("event_server_shutdown", {"message": "Restarting for an update", "seconds": 30})
        banner = page.get_by_test_id("shutdown-banner")
        banner.wait_for()
        assert banner.text_content().startswith("Restarting for an update")


@pytest_twisted.inlineCallbacks
def test_death_respawn_and_shutdown_are_shown(browser, base_url):
    """Death shows an overlay naming the killer, respawn lifts it, shutdown shows a banner."""
    yield browser.run(_death_and_shutdown, base_url)


def _map_changes(browser, base_url):
    with player_page(browser, base_url, "map-changes", before_load=scripted) as page:
        server = page.scripted_server
        page.wait_for_function("() => window.rpgState.position?.x === 5")
        page.get_by_test_id("hud-map").get_by_text("Millbrook", exact=True).wait_for()
        server.push("event_game_update", {"map_id": "samplemap", "entities": [
            {"id": "npc_3", "type": "npc", "name": "Guard", "x": 6, "y": 5, "current_hp": 22, "max_hp": 22}],
            "removed_entities": []})
        server.push("event_ground_items_update", {"added": [
            {"ground_item_id": "ground_item_1", "item_id": 1, "name": "Bones", "quantity": 1, "x": 5, "y": 6,
             "map_id": "samplemap", "owner_id": None, "despawn_time": None}], "removed": []})
        page.wait_for_function("() => window.rpgState.entities_count === 2 && window.rpgState.ground_items.length === 1")

        # The server shows a map change as one update on the new map, the player in full.
        server.push("event_game_update", {"map_id": "cellar", "entities": [
            {"id": f"player_{PLAYER_ID}", "type": "player", "username": "scripted", "x": 4, "y": 3,
             "current_hp": 10, "max_hp": 10}], "removed_entities": []})
        page.get_by_test_id("hud-map").get_by_text("Millbrook Cellars").wait_for()
        after_portal = page.evaluate("() => window.rpgState")

        # A respawn on another map is a map change too.
        server.push("event_player_respawned", {
            "player_id": PLAYER_ID, "username": "scripted",
            "spawn_position": {"x": 3, "y": 31, "map_id": "forest"}, "current_hp": 10, "max_hp": 10})
        page.get_by_test_id("hud-map").get_by_text("The Darkwood").wait_for()
        page.get_by_test_id("map-banner").get_by_text("The Darkwood").wait_for()
        after_respawn = page.evaluate("() => window.rpgState")
    return after_portal, after_respawn


@pytest_twisted.inlineCallbacks
def test_a_map_change_drops_the_old_map_and_shows_the_new_ones_name(browser, base_url):
    """An update on another map, or a respawn there, leaves only the player's own entity and no ground item,
    and the HUD names the new map from its TMX."""
    after_portal, after_respawn = yield browser.run(_map_changes, base_url)
    seen = [(s["map_id"], s["map_name"], s["position"], [e["id"] for e in s["entities"]], s["ground_items"])
            for s in (after_portal, after_respawn)]
    assert seen == [
        ("cellar", "Millbrook Cellars", {"x": 4, "y": 3}, [f"player_{PLAYER_ID}"], []),
        ("forest", "The Darkwood", {"x": 3, "y": 31}, [f"player_{PLAYER_ID}"], []),
    ]
