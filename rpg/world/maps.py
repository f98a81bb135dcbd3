"""
Maps as the rules see them: plain map data (tiles, what blocks, spawns,
portals), and the check that every portal leads somewhere.

Reading Tiled files into this data is content loading, in
L{rpg.content.tiled}; the rules it applies are in C{docs/maps.md}.
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


@dataclass(frozen=True)
class Portal:
    """
    A portal object: a player whose move ends on one of its tiles goes on to
    tile C{(target_x, target_y)} of map C{target_map}.  C{label} names the
    object in errors (its id, and its name when it has one).
    """

    label: str
    target_map: str
    target_x: int
    target_y: int


@dataclass(frozen=True)
class Tileset:
    """One tileset as a client needs it to draw gids C{firstgid} onwards."""

    firstgid: int
    name: str
    tile_count: int
    columns: int
    image: str = ""


@dataclass
class GameMap:
    """
    One map.  C{layers} is a list of C{(name, rows)} for every tile layer,
    C{rows[y][x]} a gid (0 = empty); C{blocked} is a bytearray of
    C{width * height}, 1 where a tile cannot be entered.  C{portals} maps
    each portal tile C{(x, y)} to its L{Portal}.  C{has_player_spawn} is
    false when the map has no C{player_spawn} object and C{player_spawn} is
    the fallback tile near the centre.
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
    properties: dict = field(default_factory=dict)
    tilesets: list = field(default_factory=list)
    portals: dict = field(default_factory=dict)
    has_player_spawn: bool = True
    # Filled lazily by rpg.world.chunks: (chunk_x, chunk_y) -> chunk dict.
    chunk_cache: dict = field(default_factory=dict, repr=False, compare=False)

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


def portal_fault(game_map, maps):
    """
    The first portal of C{game_map} that leads nowhere among C{maps}: its
    target map unknown, or its target tile off that map, blocked or itself a
    portal.

    @return: a one-line description naming the object, or C{None}.
    """
    seen = set()
    for portal in game_map.portals.values():
        if portal in seen:
            continue
        seen.add(portal)
        target = maps.get(portal.target_map)
        tile = f"({portal.target_x}, {portal.target_y})"
        if target is None:
            return (f"{portal.label}: target_map {portal.target_map!r} is not a loaded map"
                    f" (known: {', '.join(sorted(maps))})")
        where = f"{portal.label}: target tile {tile} of map {portal.target_map!r}"
        if not target.in_bounds(portal.target_x, portal.target_y):
            return f"{where} is outside the map ({target.width}x{target.height})"
        if target.is_blocked(portal.target_x, portal.target_y):
            return f"{where} is blocked"
        if (portal.target_x, portal.target_y) in target.portals:
            return f"{where} is itself a portal"
    return None
