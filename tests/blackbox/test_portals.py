"""Black box: portals and map changes (clarifications, "Maps (Tiled)": portals, "Every map
change ..."; docs/protocol.md, "Portals and map changes")."""

import pytest_twisted

from tests.e2e.tmx import open_field

from .harness import fresh, reply_ok

XP_99 = 13_034_431
RATS = [(10 + dx, 10 + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]

# town: spawn (5, 5), a portal at (10, 5) to the cave's (3, 3).  cave: spawn (20, 20).
# pit: no player_spawn, rats round (10, 10): its dead respawn at the start map's spawn.
SERVER = dict(maps={"town": open_field(width=40, height=40, spawn=(5, 5)),
                    "cave": open_field(width=40, height=40, spawn=(20, 20)),
                    "pit": open_field(width=20, height=20, spawn=None,
                                      npcs=[("r", x, y) for x, y in RATS])},
              portals={"town": [(10, 5, "cave", 3, 3)]},
              start_map="town",
              config={"ground_item_private_s": 0.0, "respawn_delay_s": 0.5})


def after(client, request_id):
    """The messages the client got after the reply to C{request_id}."""
    index = next(i for i, m in enumerate(client.frames) if m["id"] == request_id)
    return client.frames[index + 1:]


async def event_after(client, message, message_type, timeout=10):
    """The first event of C{message_type} the client got after C{message}."""
    index = next(i for i, m in enumerate(client.frames) if m is message)
    return await client.wait_for(
        lambda m: m["id"] is None and m["type"] == message_type
        and any(m is later for later in client.frames[index + 1:]),
        timeout=timeout, include_past=True)


def sees(entity_id):
    return lambda p: any(e["id"] == entity_id for e in p["entities"])


@pytest_twisted.ensureDeferred
async def test_a_portal_crossing_as_every_player_sees_it(server):
    """The reply's new_position is the target with its map_id, old_position the tile left; the
    town's watcher gets the traveller's integer id in removed_entities; the traveller then gets
    one event_game_update of the cave in full (itself and the cave's player, nothing of the
    town, removed_entities []) and one event_ground_items_update of the cave's items only."""
    dropper = await server.placed(3, 5, map_id="cave")
    dropped = await reply_ok(dropper, "cmd_inventory_drop", {"slot": 0})
    town_drop = await server.placed(10, 3, map_id="town")
    town_item = await reply_ok(town_drop, "cmd_inventory_drop", {"slot": 0})
    watcher = await server.placed(12, 4, map_id="town")
    traveller = await server.placed(10, 4, map_id="town")
    await watcher.wait_for_event("event_game_update", sees(traveller.entity_id),
                                 include_past=True)
    await traveller.wait_for_event(
        "event_ground_items_update", include_past=True,
        predicate=lambda p: any(i["ground_item_id"] == town_item["ground_item_id"]
                                for i in p["added"]))

    answer = await traveller.request("cmd_move", {"direction": "DOWN"})
    assert answer["type"] == "resp_success", answer
    reply = answer["payload"]
    position = reply["new_position"]
    assert {k: position[k] for k in ("x", "y", "map_id", "player_id")} == {
        "x": 3, "y": 3, "map_id": "cave", "player_id": traveller.player_id}
    assert reply["old_position"] == {"x": 10, "y": 4, "map_id": "town"}

    await watcher.wait_for_event("event_game_update",
                                 lambda p: traveller.player_id in p["removed_entities"])
    ground = await event_after(traveller, answer, "event_ground_items_update")
    events = [m for m in after(traveller, answer["id"]) if m["type"].startswith("event_")]
    assert [m["type"] for m in events][:2] == ["event_game_update",
                                               "event_ground_items_update"]
    view = events[0]["payload"]
    assert view["map_id"] == "cave" and view["removed_entities"] == []
    entities = {e["id"]: e for e in view["entities"]}
    assert set(entities) == {traveller.entity_id, dropper.entity_id}
    me = entities[traveller.entity_id]
    assert (me["x"], me["y"]) == (3, 3) and me["username"] == traveller.username
    assert set(entities[dropper.entity_id]) == set(me)
    assert [i["ground_item_id"] for i in ground["payload"]["added"]] == [
        dropped["ground_item_id"]]
    assert ground["payload"]["added"][0]["map_id"] == "cave"
    assert ground["payload"]["removed"] == []


@pytest_twisted.ensureDeferred
async def test_query_chunks_of_the_new_map_works_after_a_crossing(server):
    """After crossing into the cave, query_chunks for the cave is answered (all four chunks
    of the 40x40 map around chunk (0, 0))."""
    traveller = await server.placed(10, 4, map_id="town")
    await reply_ok(traveller, "cmd_move", {"direction": "DOWN"})
    chunks = await reply_ok(traveller, "query_chunks",
                            {"map_id": "cave", "chunk_x": 0, "chunk_y": 0, "radius": 1})
    assert sorted((c["chunk_x"], c["chunk_y"]) for c in chunks["chunks"]) == [
        (0, 0), (0, 1), (1, 0), (1, 1)]


@pytest_twisted.ensureDeferred
async def test_respawn_on_another_map_shows_the_new_map(server):
    """A player killed on the pit (no player_spawn) respawns at the town's spawn: a watcher
    on the pit gets it in removed_entities; after event_player_respawned it gets the town in
    full (itself only, removed_entities []), then the town's ground items, and query_chunks
    for the town works."""
    watcher = await server.placed(16, 10, map_id="pit", hp=99,
                                  xp={"hitpoints": XP_99, "defense": XP_99})
    victim = await server.placed(10, 10, map_id="pit", hp=1)
    await watcher.wait_for_event("event_game_update", sees(victim.entity_id), include_past=True)
    respawned = await victim.wait_for_event("event_player_respawned", timeout=30,
                                            include_past=True)
    assert respawned["payload"]["spawn_position"] == {"x": 5, "y": 5, "map_id": "town"}
    await event_after(victim, respawned, "event_ground_items_update")
    index = next(i for i, m in enumerate(victim.frames) if m is respawned)
    events = [m for m in victim.frames[index + 1:] if m["type"] in (
        "event_game_update", "event_ground_items_update")]
    assert [m["type"] for m in events][:2] == ["event_game_update",
                                               "event_ground_items_update"], events
    view = events[0]["payload"]
    assert view["map_id"] == "town" and view["removed_entities"] == []
    assert [e["id"] for e in view["entities"]] == [victim.entity_id]
    assert all(i["map_id"] == "town" for i in events[1]["payload"]["added"])
    assert events[1]["payload"]["removed"] == []
    chunks = await reply_ok(victim, "query_chunks",
                            {"map_id": "town", "chunk_x": 0, "chunk_y": 0, "radius": 0})
    assert [(c["chunk_x"], c["chunk_y"]) for c in chunks["chunks"]] == [(0, 0)]
    await watcher.wait_for_event("event_game_update",
                                 lambda p: victim.player_id in p["removed_entities"],
                                 include_past=True)


@pytest_twisted.ensureDeferred
async def test_teleport_to_another_map_is_seen_in_the_welcome(server):
    """rpg-admin teleport --map puts an offline player on the cave; its welcome and first
    event_game_update name the cave."""
    name = fresh("tele")
    await server.register(name)
    result = server.admin("teleport", name, "7", "8", "--map", "cave",
                          "--maps", str(server.maps_dir))
    assert result.returncode == 0, result.stderr
    client = await server.player(name, register=False)
    welcome = client.welcome["payload"]
    assert (welcome["map_id"], welcome["x"], welcome["y"]) == ("cave", 7, 8)
    update = await client.wait_for_event("event_game_update", include_past=True)
    assert update["payload"]["map_id"] == "cave"
    assert [e["id"] for e in update["payload"]["entities"]] == [client.entity_id]
    await reply_ok(client, "query_chunks", {"map_id": "cave", "chunk_x": 0, "chunk_y": 0})
