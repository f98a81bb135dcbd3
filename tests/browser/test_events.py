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
