"""
A scripted stand-in for the server's WebSocket, inside the browser (Playwright's
C{route_web_socket}): it answers the client's requests like a tiny server and
pushes whatever events a test asks for; the page itself comes from the real server.
"""

import re

import msgpack

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


def scripted(page):
    """
    Answer the page's WebSocket with a L{ScriptedServer}, kept as
    C{page.scripted_server}; a C{before_load} of L{pages.player_page}.
    """
    server = ScriptedServer()
    page.scripted_server = server
    page.context.add_init_script("sessionStorage.setItem('rpg.token', 'scripted-token')")
    page.route_web_socket(re.compile(r".*/ws$"), server.attach)
