"""
Building L{GameMap}s and worlds for tests from ASCII pictures.
"""

from rpg.models import CharacterState
from rpg.world.errors import GroundItemsUnavailable
from rpg.world.maps import GameMap


def ascii_map(picture, map_id="test", spawn=None):
    """
    A map from rows of C{'#'} (blocked) and C{'.'} (open); C{'S'} marks the
    player spawn (open), else C{spawn} or (0, 0).
    """
    rows = [line.strip() for line in picture.strip().splitlines()]
    height, width = len(rows), len(rows[0])
    blocked = bytearray(width * height)
    for y, row in enumerate(rows):
        assert len(row) == width, f"row {y} is {len(row)} wide, not {width}"
        for x, cell in enumerate(row):
            if cell == "#":
                blocked[y * width + x] = 1
            elif cell == "S":
                spawn = (x, y)
    ground = [[1] * width for _ in range(height)]
    return GameMap(map_id=map_id, width=width, height=height, tile_width=16,
                   tile_height=16, layers=[("ground", ground)], blocked=blocked,
                   player_spawn=spawn or (0, 0))


def open_map(width, height, map_id="open", spawn=(0, 0)):
    """An open C{width} x C{height} map without walls."""
    return GameMap(map_id=map_id, width=width, height=height, tile_width=16,
                   tile_height=16, layers=[], blocked=bytearray(width * height),
                   player_spawn=spawn)


def character(player_id, x, y, map_id="open", **fields):
    """A saved character named C{p<player_id>} at (x, y)."""
    fields.setdefault("username", f"p{player_id}")
    return CharacterState(player_id=player_id, map_id=map_id, x=x, y=y, **fields)


class ListedNumbers:
    """Hands out the numbers it is given, then none: a reserved block running out."""

    def __init__(self, numbers):
        self.numbers = list(numbers)
        self.seen_numbers = []

    def available(self):
        return len(self.numbers)

    def take(self):
        if not self.numbers:
            raise GroundItemsUnavailable()
        return self.numbers.pop(0)

    def seen(self, number):
        self.seen_numbers.append(number)
