"""End to end: portals and map changes over a real WebSocket, and a broken portal at start-up."""

import subprocess

import pytest_twisted

from .proc import environment, twistd_command
from .server import running_server
from .tmx import open_field, write_map

RATS_AROUND = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]


def world_maps(tmp_path):
    """
    town (spawn (5, 5)), its portal at (10, 5) to the cave's (3, 3); the cave
    (spawn (20, 20), rats round (36, 36), out of sight of (3, 3)), its portal
    at (3, 10) back to the town's (10, 6); the pit (no player_spawn, rats
    round (10, 10)).
    """
    directory = tmp_path / "world"
    write_map(directory, "town", open_field(width=40, height=40, spawn=(5, 5)),
              portals=[(10, 5, "cave", 3, 3)])
    write_map(directory, "cave", open_field(
        width=40, height=40, spawn=(20, 20),
        npcs=[("r", 36 + dx, 36 + dy) for dx, dy in RATS_AROUND]),
        portals=[(3, 10, "town", 10, 6)])
    write_map(directory, "pit", open_field(
        width=20, height=20, spawn=None,
        npcs=[("r", 10 + dx, 10 + dy) for dx, dy in RATS_AROUND]))
    return directory


def serve(tmp_path, **kwargs):
    kwargs.setdefault("move_cooldown_ms", 0)
    return running_server(tmp_path, maps_dir=world_maps(tmp_path), start_map="town", **kwargs)


async def placed(server, username, map_id, x, y, hp=None):
    """A player put on a tile of a map in the store before it logs in."""
    await server.register(username)

    def change(state):
        state.map_id, state.x, state.y = map_id, x, y
        if hp is not None:
            state.hp = hp
    await server.service.store.update_offline_character(username, change)
    return await server.player(username)


async def walk(client, *directions):
    """Move step by step; returns the last reply's payload."""
    for direction in directions:
        reply = await client.request("cmd_move", {"direction": direction})
        assert reply["type"] == "resp_success", reply
    return reply["payload"]


def after(client, request_id):
    """The messages the client got after the reply to C{request_id}."""
    index = next(i for i, m in enumerate(client.frames) if m.get("id") == request_id)
    return client.frames[index + 1:]


@pytest_twisted.ensureDeferred
async def test_a_portal_crossing_as_every_player_sees_it(tmp_path):
    """The cmd_move reply lands on the target with its map; the town's players get the
    traveller in removed_entities; the traveller gets the cave in full (nothing of the town),
    then the cave's ground items, and its chunk queries for the cave work."""
    async with serve(tmp_path, ground_item_private_s=0.0) as server:
        dropper = await placed(server, "dropper", "cave", 3, 5)
        dropped = await dropper.request("cmd_inventory_drop", {"slot": 0})
        assert dropped["type"] == "resp_success", dropped
        traveller = await placed(server, "traveller", "town", 10, 4)
        watcher = await placed(server, "watcher", "town", 12, 4)
        traveller_id = traveller.welcome["payload"]["player_id"]
        await watcher.wait_for_event(
            "event_game_update", lambda p: any(e["id"] == f"player_{traveller_id}"
                                               for e in p["entities"]), include_past=True)

        reply = await traveller.request("cmd_move", {"direction": "DOWN"})
        assert reply["type"] == "resp_success"
        position = reply["payload"]["new_position"]
        assert {k: position[k] for k in ("x", "y", "map_id", "player_id")} == {
            "x": 3, "y": 3, "map_id": "cave", "player_id": traveller_id}
        assert reply["payload"]["old_position"] == {"x": 10, "y": 4, "map_id": "town"}

        ground = await traveller.wait_for_event("event_ground_items_update")
        following = [m for m in after(traveller, reply["id"]) if m["type"].startswith("event_")]
        kinds = [m["type"] for m in following]
        assert kinds[:2] == ["event_game_update", "event_ground_items_update"], kinds
        view = following[0]["payload"]
        assert view["map_id"] == "cave" and view["removed_entities"] == []
        seen = {e["id"]: e for e in view["entities"]}
        dropper_id = dropper.welcome["payload"]["player_id"]
        assert set(seen) == {f"player_{traveller_id}", f"player_{dropper_id}"}
        assert (seen[f"player_{traveller_id}"]["x"], seen[f"player_{traveller_id}"]["y"]) == (3, 3)
        assert len(seen[f"player_{dropper_id}"]) == len(seen[f"player_{traveller_id}"])
        assert [i["ground_item_id"] for i in ground["payload"]["added"]] == [
            dropped["payload"]["ground_item_id"]]
        assert ground["payload"]["added"][0]["map_id"] == "cave"
        assert ground["payload"]["removed"] == []

        await watcher.wait_for_event("event_game_update",
                                     lambda p: traveller_id in p["removed_entities"])
        chunks = await traveller.request("query_chunks",
                                         {"map_id": "cave", "chunk_x": 0, "chunk_y": 0})
        assert chunks["type"] == "resp_success" and len(chunks["payload"]["chunks"]) == 4

        back = await walk(traveller, "DOWN", "DOWN", "DOWN", "DOWN", "DOWN", "DOWN", "DOWN")
        assert {k: back["new_position"][k] for k in ("x", "y", "map_id")} == {
            "x": 10, "y": 6, "map_id": "town"}
        await watcher.wait_for_event(
            "event_game_update", lambda p: any(e["id"] == f"player_{traveller_id}"
                                               for e in p["entities"]))
        for client in (dropper, traveller, watcher):
            await client.close()


@pytest_twisted.ensureDeferred
async def test_a_crossing_is_saved_across_a_restart(tmp_path, db_url):
    """A player who crossed into the cave and logged out logs in there after a restart."""
    async with serve(tmp_path, database_url=db_url) as server:
        client = await placed(server, "crosser", "town", 10, 4)
        await walk(client, "DOWN", "RIGHT")
        await client.close()
    async with serve(tmp_path, database_url=db_url) as server:
        client = await server.player("crosser")
        welcome = client.welcome["payload"]
        assert (welcome["map_id"], welcome["x"], welcome["y"]) == ("cave", 4, 3)
        update = await client.wait_for_event("event_game_update", include_past=True)
        assert update["payload"]["map_id"] == "cave"
        await client.close()


@pytest_twisted.ensureDeferred
async def test_respawn_on_the_maps_own_spawn_or_the_start_maps(tmp_path):
    """A player killed in the cave respawns at the cave's player_spawn; one killed in the pit,
    which has none, respawns at the town's and is shown the town from scratch."""
    async with serve(tmp_path, respawn_delay_s=0.5) as server:
        caver = await placed(server, "caver", "cave", 36, 36, hp=1)
        pitter = await placed(server, "pitter", "pit", 10, 10, hp=1)
        respawned = await caver.wait_for_event("event_player_respawned", timeout=30.0,
                                               include_past=True)
        assert respawned["payload"]["spawn_position"] == {"x": 20, "y": 20, "map_id": "cave"}
        respawned = await pitter.wait_for_event("event_player_respawned", timeout=30.0,
                                                include_past=True)
        assert respawned["payload"]["spawn_position"] == {"x": 5, "y": 5, "map_id": "town"}
        update = await pitter.wait_for_event("event_game_update",
                                             lambda p: p["map_id"] == "town", include_past=True)
        pitter_id = pitter.welcome["payload"]["player_id"]
        assert update["payload"]["removed_entities"] == []
        assert [e["id"] for e in update["payload"]["entities"]] == [f"player_{pitter_id}"]
        ground = await pitter.wait_for_event(
            "event_ground_items_update",
            lambda p: all(i["map_id"] == "town" for i in p["added"]), include_past=True)
        assert ground["payload"]["removed"] == []
        for client in (caver, pitter):
            await client.close()


def test_a_portal_to_nowhere_stops_startup_with_one_line(tmp_path):
    """twistd rpg --maps DIR exits non-zero with one line naming the map file and the portal."""
    maps = tmp_path / "maps"
    write_map(maps, "town", open_field(width=20, height=20), portals=[(10, 5, "cellar", 1, 1)])
    result = subprocess.run(twistd_command("--maps", str(maps)), cwd=tmp_path,
                            env=environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    assert output.splitlines() == [output]
    assert "town.tmx: portal object" in output and "'cellar'" in output
    assert "Traceback" not in output
