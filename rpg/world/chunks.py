"""
The C{query_chunks} answer: a square of 16x16 chunks around a centre chunk.

A map never changes after loading, so each chunk's dict is built once, on its
first request, and kept in the map's C{chunk_cache}; a query then only builds
the list.  The cached rows are tuples so that no caller can change them for
the next one; msgpack encodes them as arrays like lists.
"""

from rpg.world.errors import (
    InvalidCoordinates,
    InvalidMessageFormat,
    MapNotFound,
    RadiusTooLarge,
)
from rpg.world.maps import CHUNK_SIZE

MAX_RADIUS = 5
DEFAULT_RADIUS = 1


def chunk_of(x, y):
    """The chunk holding tile C{(x, y)}."""
    return (x // CHUNK_SIZE, y // CHUNK_SIZE)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def query_chunks(maps, payload):
    """
    Answer a C{query_chunks} payload C{{map_id, chunk_x, chunk_y, radius}}:
    a list of chunk dicts C{{chunk_x, chunk_y, tiles, collision, layers}},
    as L{chunk_square} names them.
    """
    game_map, square = chunk_square(maps, payload)
    return [dict(get_chunk(game_map, chunk_x, chunk_y)) for chunk_x, chunk_y in square]


def chunk_square(maps, payload):
    """
    Check a C{query_chunks} payload C{{map_id, chunk_x, chunk_y, radius}}.

    Checks, in this order: a radius over L{MAX_RADIUS} raises
    L{RadiusTooLarge}; an unknown (or non-string) C{map_id} raises
    L{MapNotFound}; a missing or non-integer coordinate, a non-integer or
    negative radius, or a centre chunk wholly outside the map raises
    L{InvalidCoordinates}.  A missing radius means L{DEFAULT_RADIUS}; C{True}
    and C{False} are not integers.

    @param maps: map id -> L{rpg.world.maps.GameMap}.
    @return: C{(game_map, [(chunk_x, chunk_y), ...])}: the map, and each
        chunk of the square that overlaps it, row by row from the top left.
    @raise InvalidMessageFormat: when C{payload} is not a dict.
    """
    if not isinstance(payload, dict):
        raise InvalidMessageFormat("query_chunks payload must be a map")
    radius = payload.get("radius", DEFAULT_RADIUS)
    if _is_int(radius) and radius > MAX_RADIUS:
        raise RadiusTooLarge(radius=radius, max_radius=MAX_RADIUS)
    map_id = payload.get("map_id")
    game_map = maps.get(map_id) if isinstance(map_id, str) else None
    if game_map is None:
        raise MapNotFound()
    if not _is_int(radius) or radius < 0:
        raise InvalidCoordinates("radius must be an integer from 0 to 5")
    centre_x, centre_y = payload.get("chunk_x"), payload.get("chunk_y")
    if not (_is_int(centre_x) and _is_int(centre_y)):
        raise InvalidCoordinates("chunk_x and chunk_y must be integers")
    wide, high = game_map.chunks_wide, game_map.chunks_high
    if not (0 <= centre_x < wide and 0 <= centre_y < high):
        raise InvalidCoordinates("the centre chunk is outside the map")
    return game_map, [
        (chunk_x, chunk_y)
        for chunk_y in range(max(0, centre_y - radius), min(high, centre_y + radius + 1))
        for chunk_x in range(max(0, centre_x - radius), min(wide, centre_x + radius + 1))
    ]


def get_chunk(game_map, chunk_x, chunk_y):
    """
    The cached dict of one chunk that overlaps the map; do not change it.
    Cells outside the map are tile 0 and blocked.
    """
    key = (chunk_x, chunk_y)
    chunk = game_map.chunk_cache.get(key)
    if chunk is None:
        chunk = game_map.chunk_cache[key] = _build_chunk(game_map, chunk_x, chunk_y)
    return chunk


def _build_chunk(game_map, chunk_x, chunk_y):
    x0, y0 = chunk_x * CHUNK_SIZE, chunk_y * CHUNK_SIZE
    inside = range(max(0, x0), min(game_map.width, x0 + CHUNK_SIZE))
    left_pad = inside.start - x0 if inside else CHUNK_SIZE
    right_pad = CHUNK_SIZE - left_pad - len(inside)

    def grid(cell, outside):
        rows = []
        for y in range(y0, y0 + CHUNK_SIZE):
            if 0 <= y < game_map.height and inside:
                rows.append(
                    (outside,) * left_pad
                    + tuple(cell(x, y) for x in inside)
                    + (outside,) * right_pad
                )
            else:
                rows.append((outside,) * CHUNK_SIZE)
        return tuple(rows)

    layers = tuple(
        {"name": name, "tiles": grid(lambda x, y, rows=rows: rows[y][x], 0)}
        for name, rows in game_map.layers
    )
    return {
        "chunk_x": chunk_x,
        "chunk_y": chunk_y,
        "tiles": layers[0]["tiles"] if layers else grid(lambda x, y: 0, 0),
        "collision": grid(game_map.is_blocked, True),
        "layers": layers,
    }
