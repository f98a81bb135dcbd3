"""
Tests for the chunk query, L{rpg.world.chunks}.

The fixture map is 20x18 tiles: two chunks wide and two high, the right and
bottom chunks only partly on the map.
"""

from pathlib import Path

import pytest

from rpg.world.chunks import DEFAULT_RADIUS, MAX_RADIUS, chunk_of, get_chunk, query_chunks
from rpg.world.errors import InvalidCoordinates, InvalidMessageFormat, MapNotFound, RadiusTooLarge
from rpg.content.tiled import load_map

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def maps():
    return {"small": load_map(FIXTURES / "small.tmx")}


def query(maps, **payload):
    return query_chunks(maps, {"map_id": "small", **payload})


def coords(chunks):
    return [(c["chunk_x"], c["chunk_y"]) for c in chunks]


def test_radius_zero_is_one_chunk(maps):
    """Radius 0 answers the centre chunk only."""
    assert coords(query(maps, chunk_x=1, chunk_y=1, radius=0)) == [(1, 1)]


def test_corner_lists_only_chunks_on_the_map(maps):
    """At the top-left corner the square is cut to the chunks that overlap the map, row by row."""
    assert coords(query(maps, chunk_x=0, chunk_y=0, radius=1)) == [(0, 0), (1, 0), (0, 1), (1, 1)]


def test_radius_five_is_accepted(maps):
    """Radius 5 is within the limit and still lists only chunks on the map."""
    assert coords(query(maps, chunk_x=1, chunk_y=0, radius=MAX_RADIUS)) == [(0, 0), (1, 0), (0, 1), (1, 1)]


def test_missing_radius_defaults_to_one(maps):
    """A payload without radius is answered with the default radius of 1."""
    assert DEFAULT_RADIUS == 1
    assert coords(query_chunks(maps, {"map_id": "small", "chunk_x": 0, "chunk_y": 0})) == coords(
        query(maps, chunk_x=0, chunk_y=0, radius=1)
    )


def test_chunk_shape(maps):
    """A chunk has 16 rows of 16 tiles and of collision flags, and the layer list."""
    (chunk,) = query(maps, chunk_x=0, chunk_y=0, radius=0)
    assert set(chunk) == {"chunk_x", "chunk_y", "tiles", "collision", "layers"}
    assert [len(chunk["tiles"]), len(chunk["collision"])] == [16, 16]
    assert {len(row) for row in chunk["tiles"]} | {len(row) for row in chunk["collision"]} == {16}


def test_tiles_are_first_layer_gids(maps):
    """tiles[row][column] holds the first tile layer's gid."""
    (chunk,) = query(maps, chunk_x=0, chunk_y=0, radius=0)
    assert (chunk["tiles"][5][5], chunk["tiles"][5][6], chunk["tiles"][2][2]) == (3, 1, 1)


def test_collision_grid(maps):
    """collision[row][column] is the map's blocked flag."""
    (chunk,) = query(maps, chunk_x=0, chunk_y=0, radius=0)
    blocked = {(x, y) for y in range(16) for x in range(16) if chunk["collision"][y][x]}
    assert blocked == {(5, 5), (7, 5), (2, 2), (10, 10), (12, 12)}


def test_layers_listed_by_name(maps):
    """layers holds every tile layer's name and gids."""
    (chunk,) = query(maps, chunk_x=0, chunk_y=0, radius=0)
    assert [layer["name"] for layer in chunk["layers"]] == ["ground", "detail", "Collision", "marks", "roof"]
    assert chunk["layers"][1]["tiles"][2][3] == 6


def test_right_edge_cells_outside_are_empty_and_blocked(maps):
    """In the right edge chunk, columns past the map are tile 0 and blocked."""
    (chunk,) = query(maps, chunk_x=1, chunk_y=0, radius=0)
    assert chunk["tiles"][0][:5] == (1, 1, 1, 4, 0)
    assert chunk["collision"][1][:5] == (False, False, False, False, True)
    assert all(row[4:] == (0,) * 12 for row in chunk["tiles"])
    assert all(all(row[4:]) for row in chunk["collision"])
    assert all(row[4:] == (0,) * 12 for layer in chunk["layers"] for row in layer["tiles"])


def test_bottom_right_corner_chunk(maps):
    """In the bottom-right chunk only the top-left 4x2 cells are on the map."""
    (chunk,) = query(maps, chunk_x=1, chunk_y=1, radius=0)
    on_map = {(x, y) for y in range(16) for x in range(16) if not chunk["collision"][y][x]}
    assert on_map == {(x, y) for y in range(2) for x in range(4)}
    assert chunk["tiles"][2] == (0,) * 16


def test_chunks_are_cached(maps):
    """A chunk is built once per map and reused by later queries."""
    first = get_chunk(maps["small"], 0, 0)
    query(maps, chunk_x=0, chunk_y=0, radius=1)
    assert get_chunk(maps["small"], 0, 0) is first
    assert query(maps, chunk_x=0, chunk_y=0, radius=0)[0]["tiles"] is first["tiles"]


def test_reply_dicts_are_copies(maps):
    """Changing a reply's chunk dict does not change the next reply."""
    query(maps, chunk_x=0, chunk_y=0, radius=0)[0]["tiles"] = None
    assert query(maps, chunk_x=0, chunk_y=0, radius=0)[0]["tiles"] is not None


def test_chunk_of():
    """Tiles map to chunks by floor division by 16."""
    assert [chunk_of(0, 15), chunk_of(16, 31), chunk_of(-1, 0)] == [(0, 0), (1, 1), (-1, 0)]


@pytest.mark.parametrize(
    "payload, error",
    [
        ({"chunk_x": 0, "chunk_y": 0, "radius": 6}, RadiusTooLarge),
        ({"map_id": "nowhere", "chunk_x": 0, "chunk_y": 0, "radius": 6}, RadiusTooLarge),
        ({"map_id": "nowhere", "chunk_x": 0, "chunk_y": 0, "radius": 1}, MapNotFound),
        ({"map_id": 7, "chunk_x": 0, "chunk_y": 0, "radius": 1}, MapNotFound),
        ({"map_id": None, "chunk_x": 0, "chunk_y": 0}, MapNotFound),
        ({"map_id": "nowhere", "chunk_x": "a", "chunk_y": 0, "radius": "x"}, MapNotFound),
        ({"chunk_x": 0, "chunk_y": 0, "radius": -1}, InvalidCoordinates),
        ({"chunk_x": 0, "chunk_y": 0, "radius": 1.0}, InvalidCoordinates),
        ({"chunk_x": 0, "chunk_y": 0, "radius": 9.5}, InvalidCoordinates),
        ({"chunk_x": 0, "chunk_y": 0, "radius": "1"}, InvalidCoordinates),
        ({"chunk_x": 0, "chunk_y": 0, "radius": True}, InvalidCoordinates),
        ({"chunk_x": 0, "chunk_y": 0, "radius": None}, InvalidCoordinates),
        ({"chunk_x": 0.0, "chunk_y": 0, "radius": 1}, InvalidCoordinates),
        ({"chunk_x": False, "chunk_y": 0, "radius": 1}, InvalidCoordinates),
        ({"chunk_x": 0, "chunk_y": "0", "radius": 1}, InvalidCoordinates),
        ({"chunk_y": 0, "radius": 1}, InvalidCoordinates),
        ({"chunk_x": 2, "chunk_y": 0, "radius": 1}, InvalidCoordinates),
        ({"chunk_x": 0, "chunk_y": 2, "radius": 1}, InvalidCoordinates),
        ({"chunk_x": -1, "chunk_y": 0, "radius": 5}, InvalidCoordinates),
        ({"chunk_x": 0, "chunk_y": -1, "radius": 0}, InvalidCoordinates),
    ],
)
def test_refusals(maps, payload, error):
    """Each invalid query raises its clarified error, radius first, then map, then coordinates."""
    with pytest.raises(error):
        query_chunks(maps, {"map_id": "small", **payload})


def test_payload_not_a_dict(maps):
    """A payload that is not a map is a malformed message."""
    with pytest.raises(InvalidMessageFormat):
        query_chunks(maps, [1, 2])


def test_radius_too_large_details(maps):
    """RadiusTooLarge carries the requested and the maximum radius."""
    with pytest.raises(RadiusTooLarge) as info:
        query(maps, chunk_x=0, chunk_y=0, radius=99)
    assert info.value.details == {"radius": 99, "max_radius": 5}
