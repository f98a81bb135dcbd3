"""End to end: movement and chunks over a real WebSocket."""

import pytest_twisted

from .server import running_server


async def code_of(client, message_type, payload):
    reply = await client.request(message_type, payload)
    return reply["payload"].get("error_code"), reply["payload"]


@pytest_twisted.ensureDeferred
async def test_blocked_moves_edge_and_cooldown(tmp_path):
    """A wall and water block, the map edge is out of bounds, and the cooldown says when to retry."""
    async with running_server(tmp_path) as server:
        client = await server.player("mover")
        code, payload = await code_of(client, "cmd_move", {"direction": "RIGHT"})
        assert code == "MOVEMENT_BLOCKED"
        assert payload["details"]["reason"] == "collision" and payload["details"]["collision"] is True
        assert payload["details"]["current_position"] == {"x": 5, "y": 5, "map_id": "field"}
        code, _ = await code_of(client, "cmd_move", {"direction": "DOWN"})
        assert code == "MOVEMENT_BLOCKED"
        code, _ = await code_of(client, "cmd_move", {"direction": "up"})
        assert code == "MOVEMENT_INVALID_DIRECTION"
        code, _ = await code_of(client, "cmd_move", {})
        assert code == "MOVEMENT_INVALID_DIRECTION"
        code, payload = await code_of(client, "cmd_move", {"direction": "LEFT"})
        assert code is None and payload["new_position"]["x"] == 4
        assert payload["old_position"] == {"x": 5, "y": 5, "map_id": "field"}
        code, payload = await code_of(client, "cmd_move", {"direction": "LEFT"})
        assert code == "MOVEMENT_RATE_LIMITED"
        assert 0 < payload["details"]["retry_after_ms"] <= 500


@pytest_twisted.ensureDeferred
async def test_map_edge_is_out_of_bounds(tmp_path):
    """Walking off the top of the map is MOVEMENT_OUT_OF_BOUNDS."""
    async with running_server(tmp_path, move_cooldown_ms=0) as server:
        client = await server.player("edger")
        for _ in range(5):
            code, _ = await code_of(client, "cmd_move", {"direction": "UP"})
            assert code is None
        code, payload = await code_of(client, "cmd_move", {"direction": "UP"})
        assert code == "MOVEMENT_OUT_OF_BOUNDS"


@pytest_twisted.ensureDeferred
async def test_chunk_queries_at_corner_and_large_radius(tmp_path):
    """Chunk queries: the corner square, radius 5 (a large reply), and the errors."""
    async with running_server(tmp_path) as server:
        client = await server.player("looker")
        code, payload = await code_of(client, "query_chunks",
                                      {"map_id": "field", "chunk_x": 0, "chunk_y": 0, "radius": 1})
        assert code is None
        assert sorted((c["chunk_x"], c["chunk_y"]) for c in payload["chunks"]) == [
            (0, 0), (0, 1), (1, 0), (1, 1)]
        chunk = payload["chunks"][0]
        assert len(chunk["tiles"]) == 16 and len(chunk["tiles"][0]) == 16
        code, payload = await code_of(client, "query_chunks",
                                      {"map_id": "field", "chunk_x": 2, "chunk_y": 2, "radius": 5})
        assert code is None and len(payload["chunks"]) == 16
        for bad, expected in (({"radius": 6}, "CHUNKS_RADIUS_TOO_LARGE"),
                              ({"map_id": "nowhere"}, "CHUNKS_MAP_NOT_FOUND"),
                              ({"chunk_x": 9}, "CHUNKS_INVALID_COORDINATES"),
                              ({"radius": -1}, "CHUNKS_INVALID_COORDINATES"),
                              ({"chunk_x": "0"}, "CHUNKS_INVALID_COORDINATES")):
            query = {"map_id": "field", "chunk_x": 0, "chunk_y": 0, "radius": 1, **bad}
            code, _ = await code_of(client, "query_chunks", query)
            assert code == expected, bad


@pytest_twisted.ensureDeferred
async def test_players_see_each_other_enter_move_and_leave(tmp_path):
    """Two nearby players see each other enter, move (as a diff) and leave."""
    async with running_server(tmp_path) as server:
        a = await server.player("seer_a")
        b = await server.player("seer_b")
        b_id = f"player_{b.welcome['payload']['player_id']}"
        await a.wait_for_event("event_game_update",
                               lambda p: any(e["id"] == b_id and e.get("type") == "player"
                                             for e in p["entities"]), include_past=True)
        await b.request("cmd_move", {"direction": "UP"})
        update = await a.wait_for_event(
            "event_game_update", lambda p: any(e["id"] == b_id and "y" in e for e in p["entities"]))
        diff = [e for e in update["payload"]["entities"] if e["id"] == b_id][0]
        assert diff["y"] == 4 and "username" not in diff
        await b.close()
        await a.wait_for_event("event_game_update",
                               lambda p: b.welcome["payload"]["player_id"] in p["removed_entities"])


@pytest_twisted.ensureDeferred
async def test_a_player_four_chunks_away_sees_nothing(tmp_path):
    """A player 4 chunks away gets no update about another's moves; a near one does."""
    from .test_chat import place, wide_map
    async with running_server(tmp_path, maps_dir=wide_map(tmp_path)) as server:
        await place(server, "walker_w", 17, 1)
        await place(server, "near_n", 33, 1)
        await place(server, "far_f", 17 + 4 * 16, 1)
        walker = await server.player("walker_w")
        near, far = await server.player("near_n"), await server.player("far_f")
        walker_id = f"player_{walker.welcome['payload']['player_id']}"
        assert walker_id not in [e["id"] for e in far.events_of("event_game_update")[0]["entities"]]
        await walker.request("cmd_move", {"direction": "DOWN"})
        await near.wait_for_event("event_game_update",
                                  lambda p: any(e["id"] == walker_id for e in p["entities"]),
                                  include_past=True)
        await walker.request("cmd_chat_send", {"channel": "local", "message": "sync"})
        assert all(walker_id not in [e["id"] for e in p["entities"]]
                   for p in far.events_of("event_game_update"))
