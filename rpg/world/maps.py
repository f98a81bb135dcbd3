"""
Tiled maps: loading TMX files into plain, immutable map data.
"""

from dataclasses import dataclass, field

CHUNK_SIZE = 16


class MapError(Exception):
    """A map file that cannot be used; the message names the file and the fault."""


@dataclass(frozen=True)
class NpcSpawn:
    npc: str
    x: int
    y: int
    wander_radius: int = 0


@dataclass
class GameMap:
    """
    One map.  C{layers} is a list of C{(name, rows)} for every tile layer,
    C{rows[y][x]} a gid (0 = empty); C{blocked} is a bytearray of
    C{width * height}, 1 where a tile cannot be entered.
    """

    map_id: str
    width: int
    height: int
    tile_width: int
    tile_height: int
    layers: list
    blocked: bytearray
    player_spawn: tuple
    npc_spawns: list = field(default_factory=list)
    pvp: bool = False

    def in_bounds(self, x, y):
        return 0 <= x < self.width and 0 <= y < self.height

    def is_blocked(self, x, y):
        """True off the map or on a blocked tile."""
        if not self.in_bounds(x, y):
            return True
        return bool(self.blocked[y * self.width + x])

    @property
    def chunks_wide(self):
        return -(-self.width // CHUNK_SIZE)

    @property
    def chunks_high(self):
        return -(-self.height // CHUNK_SIZE)


def load_map(path):
    """
    Load one TMX file.

    @raise MapError: with one line naming the file and the fault.
    """
    raise NotImplementedError


def load_maps(directory):
    """
    Load every C{*.tmx} in C{directory}, keyed by map id (the file stem).

    @raise MapError: on the first broken map, or when there is none.
    """
    raise NotImplementedError
