"""
The client's reaction to server events that a live game rarely produces on
demand (death, respawn, shutdown), with the WebSocket answered by a scripted
stand-in inside the browser; the page itself comes from the real server.
"""

import re

import msgpack
import pytest_twisted

from .pages import player_page

PLAYER_ID = 41
WELCOME = {"player_id": PLAYER_ID, "username": "scripted", "x": 5, "y": 5, "map_id": "samplemap",
           "current_hp": 10, "max_hp": 10}


def envelope(type_, payload, id_=None):
    return msgpack.packb({"id": id_, "type": type_, "payload": payload, "version": "2.0"})


class ScriptedServer:
    """Answers the client's requests like a tiny server; events are pushed by the test."""

    def __init__(self):
        self.route = None

    def attach(self, route):
        self.route = route
        route.on_message(self.received)

    def received(self, data):
        message = msgpack.unpackb(data, raw=False)
        kind, id_ = message["type"], message["id"]
        if kind == "cmd_authenticate":
            self.route.send(envelope("event_welcome", WELCOME, id_))
            self.push("event_inventory_update", {"inventory": {}})
            self.push("event_game_update", {"entities": [
                {"id": f"player_{PLAYER_ID}", "type": "player", "username": "scripted",
                 "x": 5, "y": 5, "current_hp": 10, "max_hp": 10}], "removed_entities": []})
        elif kind == "query_chunks":
            p = message["payload"]
            chunk = {"chunk_x": p["chunk_x"], "chunk_y": p["chunk_y"],
                     "tiles": [[1] * 16 for _ in range(16)],
                     "collision": [[False] * 16 for _ in range(16)]}
            self.route.send(envelope("resp_success", {"chunks": [chunk]}, id_))
        else:
            self.route.send(envelope("resp_success", {}, id_))

    def push(self, type_, payload):
        self.route.send(envelope(type_, payload))


def _death_and_shutdown(browser, base_url):
    with player_page(browser, base_url, "events", before_load=_scripted) as page:
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


def _scripted(page):
    server = ScriptedServer()
    page.scripted_server = server
    page.context.add_init_script("sessionStorage.setItem('rpg.token', 'scripted-token')")
    page.route_web_socket(re.compile(r".*/ws$"), server.attach)


@pytest_twisted.inlineCallbacks
def test_death_respawn_and_shutdown_are_shown(browser, base_url):
    """Death shows an overlay naming the killer, respawn lifts it, shutdown shows a banner."""
    yield browser.run(_death_and_shutdown, base_url)
