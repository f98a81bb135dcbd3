"""Black box: query_chunks (clarifications, "Chunks"; spec, "Map & Chunks")."""

import pytest
import pytest_twisted

from .harness import field, reply_error, reply_ok

# 40 x 20 tiles: chunks x 0..2 (the last one 8 columns wide), y 0..1 (the last 4 rows high).
SERVER = dict(maps={"field": field(width=40, height=20, walls=[(6, 5), (39, 19)],
                                   water=[(5, 6), (17, 18)]),
                    "other": field(width=16, height=16, spawn=(1, 1))},
              start_map="field")


async def chunks(client, chunk_x, chunk_y, radius, map_id="field"):
    payload = await reply_ok(client, "query_chunks", {"map_id": map_id, "chunk_x": chunk_x,
                                                      "chunk_y": chunk_y, "radius": radius})
    assert set(payload) == {"chunks"}
    return {(c["chunk_x"], c["chunk_y"]): c for c in payload["chunks"]}


async def chunk_error(client, **payload):
    request = {"map_id": "field", "chunk_x": 0, "chunk_y": 0, "radius": 1, **payload}
    request = {k: v for k, v in request.items() if v is not _MISSING}
    return (await reply_error(client, "query_chunks", request))["error_code"]


_MISSING = object()


@pytest_twisted.ensureDeferred
async def test_chunk_shape(shared_player):
    """Each chunk is {chunk_x, chunk_y, tiles, collision} (+ optional layers), 16 rows of 16."""
    client = shared_player
    chunk = (await chunks(client, 0, 0, 0))[(0, 0)]
    assert {"chunk_x", "chunk_y", "tiles", "collision"} <= set(chunk) <= \
        {"chunk_x", "chunk_y", "tiles", "collision", "layers"}
    for grid in (chunk["tiles"], chunk["collision"]):
        assert len(grid) == 16 and all(len(row) == 16 for row in grid)
    assert all(type(v) is int for row in chunk["tiles"] for v in row)
    assert all(type(v) is bool for row in chunk["collision"] for v in row)
    for layer in chunk.get("layers", []):
        assert set(layer) == {"name", "tiles"} and len(layer["tiles"]) == 16


@pytest_twisted.ensureDeferred
async def test_tiles_are_row_major_gids_of_the_first_layer(shared_player):
    """tiles[row][column] is the first tile layer's gid; collision marks walls and unwalkable tiles."""
    client = shared_player
    chunk = (await chunks(client, 0, 0, 0))[(0, 0)]
    assert chunk["tiles"][6][5] == 3 and chunk["tiles"][5][6] == 1 and chunk["tiles"][0][0] == 1
    assert chunk["collision"][5][6] is True      # the wall at (6, 5)
    assert chunk["collision"][6][5] is True      # the water at (5, 6)
    assert chunk["collision"][5][5] is False


@pytest_twisted.ensureDeferred
async def test_edge_chunk_cells_outside_the_map_are_0_and_blocked(shared_player):
    """In the corner chunk (2, 1) cells past the map are tile 0 and collision true."""
    client = shared_player
    chunk = (await chunks(client, 2, 1, 0))[(2, 1)]
    for row in range(16):
        for column in range(16):
            x, y = 32 + column, 16 + row
            inside = x < 40 and y < 20
            if not inside:
                assert chunk["tiles"][row][column] == 0, (x, y)
                assert chunk["collision"][row][column] is True, (x, y)
            elif (x, y) == (39, 19):
                assert chunk["collision"][row][column] is True
            else:
                assert chunk["tiles"][row][column] == 1 and not chunk["collision"][row][column]


@pytest_twisted.ensureDeferred
async def test_chunk_of_a_tile_is_floor_division(shared_player):
    """The water at (17, 18) lies in chunk (1, 1) at row 2, column 1."""
    client = shared_player
    chunk = (await chunks(client, 1, 1, 0))[(1, 1)]
    assert chunk["tiles"][2][1] == 3 and chunk["collision"][2][1] is True


@pytest.mark.parametrize("centre, radius, expected", [
    ((0, 0), 0, {(0, 0)}),
    ((0, 0), 1, {(0, 0), (1, 0), (0, 1), (1, 1)}),
    ((1, 0), 1, {(x, y) for x in range(3) for y in range(2)}),
    ((2, 1), 1, {(1, 0), (2, 0), (1, 1), (2, 1)}),
    ((0, 0), 5, {(x, y) for x in range(3) for y in range(2)}),
])
@pytest_twisted.ensureDeferred
async def test_only_chunks_overlapping_the_map_are_listed(shared_player, centre, radius, expected):
    """The reply lists exactly the chunks of the square that overlap the map."""
    client = shared_player
    assert set(await chunks(client, *centre, radius)) == expected


@pytest_twisted.ensureDeferred
async def test_another_map_can_be_queried(shared_player):
    """query_chunks answers for any known map, not only the player's."""
    client = shared_player
    assert set(await chunks(client, 0, 0, 1, map_id="other")) == {(0, 0)}


@pytest.mark.parametrize("radius", [6, 7, 100])
@pytest_twisted.ensureDeferred
async def test_radius_over_5(shared_player, radius):
    """An integer radius over 5 is CHUNKS_RADIUS_TOO_LARGE."""
    client = shared_player
    assert await chunk_error(client, radius=radius) == "CHUNKS_RADIUS_TOO_LARGE"


@pytest.mark.parametrize("map_id", ["nowhere", "", "FIELD"])
@pytest_twisted.ensureDeferred
async def test_unknown_map(shared_player, map_id):
    """An unknown map id is CHUNKS_MAP_NOT_FOUND."""
    client = shared_player
    assert await chunk_error(client, map_id=map_id) == "CHUNKS_MAP_NOT_FOUND"


@pytest.mark.parametrize("payload", [
    {"radius": -1}, {"radius": 1.5}, {"radius": "1"}, {"radius": True}, {"radius": None},
    {"chunk_x": 0.5}, {"chunk_x": "0"}, {"chunk_x": None}, {"chunk_x": False},
    {"chunk_y": 1.0}, {"chunk_y": [0]},
    {"chunk_x": _MISSING}, {"chunk_y": _MISSING},
    {"chunk_x": 3}, {"chunk_x": -1}, {"chunk_y": 2}, {"chunk_y": -1}, {"chunk_x": 10 ** 6},
])
@pytest_twisted.ensureDeferred
async def test_invalid_coordinates(shared_player, payload):
    """Non-integer values, a negative radius or a centre wholly outside the map are
    CHUNKS_INVALID_COORDINATES."""
    client = shared_player
    assert await chunk_error(client, **payload) == "CHUNKS_INVALID_COORDINATES"


@pytest_twisted.ensureDeferred
async def test_radius_5_is_allowed_even_far_past_the_map(shared_player):
    """Radius 5 is the maximum allowed; the centre chunk decides validity, not the square."""
    client = shared_player
    assert set(await chunks(client, 2, 1, 5)) == {(x, y) for x in range(3) for y in range(2)}


@pytest.mark.parametrize("payload, code", [
    ({"radius": 6, "map_id": "nowhere"}, "CHUNKS_RADIUS_TOO_LARGE"),
    ({"radius": 6, "chunk_x": 99}, "CHUNKS_RADIUS_TOO_LARGE"),
    ({"map_id": "nowhere", "chunk_x": "x"}, "CHUNKS_MAP_NOT_FOUND"),
    ({"map_id": "nowhere", "radius": -1}, "CHUNKS_MAP_NOT_FOUND"),
])
@pytest_twisted.ensureDeferred
async def test_the_order_of_the_chunk_checks(shared_player, payload, code):
    """With several faults, the radius over 5 is named first, then the unknown map, then the
    coordinates (the order the clarifications list them in)."""
    assert await chunk_error(shared_player, **payload) == code


@pytest_twisted.ensureDeferred
async def test_radius_too_large_details(shared_player):
    """CHUNKS_RADIUS_TOO_LARGE names the radius asked for and the maximum."""
    reply = await reply_error(shared_player, "query_chunks",
                              {"map_id": "field", "chunk_x": 0, "chunk_y": 0, "radius": 9})
    assert reply["details"] == {"radius": 9, "max_radius": 5}
