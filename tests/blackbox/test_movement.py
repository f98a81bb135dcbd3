"""Black box: cmd_move and what others see of it (clarifications, "Movement", "World")."""

import pytest
import pytest_twisted
from twisted.internet import reactor, task

from .harness import field, fresh, merged_entity, reply_error, reply_ok

# 40 x 20 tiles: a wall east of the spawn, water south of it, a guard north of it.
SERVER = dict(maps={"field": field(width=40, height=20, walls=[(6, 5)], water=[(5, 6)],
                                   npcs=[("G", 5, 4)])},
              start_map="field", config={"move_cooldown_ms": 400})
COOLDOWN = 0.4


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


async def teleported(server, x, y):
    return await server.placed(x, y)


async def _unused(server, x, y):
    """A new player placed at (x, y) with rpg-admin before it logs in."""
    name = fresh("tp")
    await server.register(name)
    result = server.admin("teleport", name, str(x), str(y), "--maps", str(server.maps_dir))
    assert result.returncode == 0, result.stderr
    return await server.player(name, register=False)


@pytest_twisted.ensureDeferred
async def test_move_success_shape(server):
    """A move answers new_position {x, y, map_id, player_id, timestamp}, old_position, collision false."""
    client = await server.player()
    payload = await reply_ok(client, "cmd_move", {"direction": "LEFT"})
    assert set(payload) == {"new_position", "old_position", "collision"}
    new = payload["new_position"]
    assert set(new) == {"x", "y", "map_id", "player_id", "timestamp"}
    assert (new["x"], new["y"], new["map_id"], new["player_id"]) == (4, 5, "field",
                                                                     client.player_id)
    assert isinstance(new["timestamp"], float)
    assert payload["old_position"] == {"x": 5, "y": 5, "map_id": "field"}
    assert payload["collision"] is False


@pytest.mark.parametrize("direction, delta, facing", [
    ("UP", (0, -1), "north"), ("DOWN", (0, 1), "south"),
    ("LEFT", (-1, 0), "west"), ("RIGHT", (1, 0), "east")])
@pytest_twisted.ensureDeferred
async def test_each_direction_moves_one_tile_and_faces(server, direction, delta, facing):
    """Each direction moves one tile (y grows downward) and sets the clarified facing."""
    client = await teleported(server, 20, 10)
    payload = await reply_ok(client, "cmd_move", {"direction": direction})
    assert (payload["new_position"]["x"], payload["new_position"]["y"]) == \
        (20 + delta[0], 10 + delta[1])
    await client.wait_for_event(
        "event_game_update", include_past=True,
        predicate=lambda p: any(e["id"] == client.entity_id
                                and (e.get("x"), e.get("y")) != (20, 10)
                                and ("x" in e or "y" in e) for e in p["entities"]))
    me = merged_entity(client, client.entity_id)
    assert (me["x"], me["y"]) == (20 + delta[0], 10 + delta[1])
    assert me["facing_direction"] == facing


@pytest.mark.parametrize("payload", [
    {"direction": "up"}, {"direction": "Up"}, {"direction": "NORTH"}, {"direction": ""},
    {"direction": None}, {"direction": 1}, {"direction": ["UP"]}, {"direction": " UP"}, {}])
@pytest_twisted.ensureDeferred
async def test_invalid_direction(shared_player, payload):
    """Anything but exactly UP, DOWN, LEFT, RIGHT (or none) is MOVEMENT_INVALID_DIRECTION."""
    client = shared_player
    assert (await reply_error(client, "cmd_move", payload))["error_code"] == \
        "MOVEMENT_INVALID_DIRECTION"


@pytest_twisted.ensureDeferred
async def test_rate_limited_with_retry_after_ms(server):
    """A second move within the cooldown is MOVEMENT_RATE_LIMITED, details {retry_after_ms}."""
    client = await server.player()
    await reply_ok(client, "cmd_move", {"direction": "LEFT"})
    payload = await reply_error(client, "cmd_move", {"direction": "LEFT"})
    assert payload["error_code"] == "MOVEMENT_RATE_LIMITED"
    assert set(payload["details"]) == {"retry_after_ms"}
    retry = payload["details"]["retry_after_ms"]
    assert isinstance(retry, int) and 0 < retry <= COOLDOWN * 1000


@pytest_twisted.ensureDeferred
async def test_a_refused_move_does_not_restart_the_cooldown(server):
    """The cooldown runs from the last successful move: a refusal in between does not extend it."""
    client = await server.player()
    await reply_ok(client, "cmd_move", {"direction": "LEFT"})
    await sleep(COOLDOWN * 0.6)
    assert (await reply_error(client, "cmd_move", {"direction": "LEFT"}))["error_code"] == \
        "MOVEMENT_RATE_LIMITED"
    await sleep(COOLDOWN * 0.6)
    await reply_ok(client, "cmd_move", {"direction": "LEFT"})


@pytest_twisted.ensureDeferred
async def test_a_blocked_move_does_not_start_the_cooldown(server):
    """A move refused as blocked is not successful: an immediate next move is allowed."""
    client = await server.player()
    assert (await reply_error(client, "cmd_move", {"direction": "RIGHT"}))["error_code"] == \
        "MOVEMENT_BLOCKED"
    await reply_ok(client, "cmd_move", {"direction": "LEFT"})


@pytest.mark.parametrize("direction, what", [("RIGHT", "collision layer"),
                                             ("DOWN", "walkable=false tile")])
@pytest_twisted.ensureDeferred
async def test_blocked_details(server, direction, what):
    """Moving onto a blocked cell is MOVEMENT_BLOCKED with exactly the clarified details."""
    client = await server.player()
    payload = await reply_error(client, "cmd_move", {"direction": direction})
    assert payload["error_code"] == "MOVEMENT_BLOCKED", what
    assert payload["details"] == {"reason": "collision",
                                  "current_position": {"x": 5, "y": 5, "map_id": "field"},
                                  "collision": True}


@pytest.mark.parametrize("x, y, direction", [(0, 10, "LEFT"), (39, 10, "RIGHT"),
                                             (20, 0, "UP"), (20, 19, "DOWN")])
@pytest_twisted.ensureDeferred
async def test_out_of_bounds_on_every_edge(server, x, y, direction):
    """Stepping off any edge of the map is MOVEMENT_OUT_OF_BOUNDS; the player stays."""
    client = await teleported(server, x, y)
    payload = await reply_error(client, "cmd_move", {"direction": direction})
    assert payload["error_code"] == "MOVEMENT_OUT_OF_BOUNDS"


@pytest_twisted.ensureDeferred
async def test_npcs_do_not_block(server):
    """A player may step onto the tile of an NPC."""
    client = await server.player()
    payload = await reply_ok(client, "cmd_move", {"direction": "UP"})
    assert (payload["new_position"]["x"], payload["new_position"]["y"]) == (5, 4)


@pytest_twisted.ensureDeferred
async def test_players_do_not_block(server):
    """A player may step onto the tile of another player."""
    await teleported(server, 21, 12)
    client = await teleported(server, 20, 12)
    payload = await reply_ok(client, "cmd_move", {"direction": "RIGHT"})
    assert (payload["new_position"]["x"], payload["new_position"]["y"]) == (21, 12)


@pytest_twisted.ensureDeferred
async def test_others_see_a_move_as_id_plus_changed_fields(server):
    """A watcher gets the mover as id plus changed fields only (no username, type, max_hp)."""
    watcher = await teleported(server, 30, 15)
    mover = await teleported(server, 31, 15)
    await watcher.wait_for_event("event_game_update", include_past=True,
                                 predicate=lambda p: any(e["id"] == mover.entity_id
                                                         for e in p["entities"]))
    await reply_ok(mover, "cmd_move", {"direction": "DOWN"})
    update = await watcher.wait_for_event(
        "event_game_update",
        predicate=lambda p: any(e["id"] == mover.entity_id for e in p["entities"]))
    entity = next(e for e in update["payload"]["entities"] if e["id"] == mover.entity_id)
    assert entity["y"] == 16
    assert {"id", "y"} <= set(entity)
    assert not set(entity) & {"type", "username", "player_id", "max_hp", "visual_state", "x"}


@pytest_twisted.ensureDeferred
async def test_nothing_changed_nothing_sent(server):
    """A player alone and idle gets no event_game_update."""
    client = await teleported(server, 35, 2)
    before = len(client.events_of("event_game_update"))
    await sleep(0.5)
    assert len(client.events_of("event_game_update")) == before


@pytest_twisted.ensureDeferred
async def test_one_game_update_per_tick_for_the_mover(server):
    """A move produces exactly one event_game_update for the mover (not one per change)."""
    client = await teleported(server, 25, 3)
    await sleep(0.2)
    before = len(client.events_of("event_game_update"))
    await reply_ok(client, "cmd_move", {"direction": "DOWN"})
    await sleep(0.3)
    updates = client.events_of("event_game_update")[before:]
    mine = [u for u in updates if any(e["id"] == client.entity_id for e in u["entities"])]
    assert len(mine) == 1, updates


PLAYER_FIELDS = {"id", "type", "player_id", "username", "x", "y", "facing_direction",
                 "animation_state", "current_hp", "max_hp", "visual_state"}


@pytest_twisted.ensureDeferred
async def test_view_is_3x3_chunks_on_the_same_map(server):
    """A player sees others within one chunk (Chebyshev) of its own chunk, not two."""
    watcher = await teleported(server, 2, 2)          # chunk (0, 0)
    near = await teleported(server, 31, 19)           # chunk (1, 1)
    far = await teleported(server, 32, 2)             # chunk (2, 0)
    await watcher.wait_for_event("event_game_update", include_past=True,
                                 predicate=lambda p: any(e["id"] == near.entity_id
                                                         for e in p["entities"]))
    await sleep(0.2)
    assert merged_entity(watcher, far.entity_id) is None
    assert merged_entity(far, watcher.entity_id) is None


@pytest_twisted.ensureDeferred
async def test_entering_and_leaving_the_view(server):
    """Crossing into view sends the entity in full; crossing out sends its integer player_id."""
    watcher = await teleported(server, 15, 12)        # chunk (0, 0): sees chunks x 0..1
    mover = await teleported(server, 32, 12)          # chunk (2, 0)
    await reply_ok(mover, "cmd_move", {"direction": "LEFT"})
    update = await watcher.wait_for_event(
        "event_game_update", predicate=lambda p: any(e["id"] == mover.entity_id
                                                     for e in p["entities"]))
    entity = next(e for e in update["payload"]["entities"] if e["id"] == mover.entity_id)
    assert set(entity) == PLAYER_FIELDS and entity["x"] == 31
    await sleep(COOLDOWN + 0.05)
    await reply_ok(mover, "cmd_move", {"direction": "RIGHT"})
    update = await watcher.wait_for_event(
        "event_game_update", predicate=lambda p: mover.player_id in p["removed_entities"])
    assert mover.entity_id not in update["payload"]["removed_entities"]
