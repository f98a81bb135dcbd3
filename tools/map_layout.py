"""
What the generators of rpg's shipped maps share: a tile grid to paint on
(L{Layout}), the collision rules of the shared tileset, and the writers of
the TMX maps and of the TSX tileset.  Standard library only; used by
C{make_samplemap.py}, C{make_forest.py} and C{make_cellar.py}.
"""

from collections import deque

from samplemap_art import COLUMNS, TILE, TILE_NAMES

TILESET_FILE = "samplemap-tiles.tsx"
IMAGE_FILE = "samplemap-tiles.png"

# Both collision rules are in use: these tiles carry walkable=false ...
UNWALKABLE = {"water", "stone_wall", "roof", "tree", "pine", "bush", "rock",
              "dungeon_wall", "wall_torch", "rubble", "fallen_log", "tent"}
# ... and these are walkable tiles blocked by the "collision" layer.
LAYER_BLOCKED = {"fence", "well", "market_stall", "barrel", "crate", "campfire"}
GID = {name: index + 1 for index, name in enumerate(TILE_NAMES)}


class Layout:
    """A map being drawn: a ground layer, a detail layer and a collision layer."""

    def __init__(self, width, height, rng, ground="grass"):
        self.width, self.height, self.rng = width, height, rng
        self.ground = [[ground] * width for _ in range(height)]
        self.detail = [[None] * width for _ in range(height)]
        self.collision = [[False] * width for _ in range(height)]
        self.keep_clear = set()

    def cells(self, x0, y0, x1, y1):
        return ((x, y) for y in range(max(0, y0), min(self.height, y1 + 1))
                for x in range(max(0, x0), min(self.width, x1 + 1)))

    def blocked(self, x, y):
        return (self.ground[y][x] in UNWALKABLE or self.detail[y][x] in UNWALKABLE
                or self.collision[y][x])

    def place(self, x, y, name):
        """Put a decoration (or obstacle) on the detail layer."""
        self.detail[y][x] = name
        self.collision[y][x] = name in LAYER_BLOCKED

    def clear(self, x, y):
        self.detail[y][x] = None
        self.collision[y][x] = False

    def noise(self, cell):
        """Smooth value noise in 0..1 on a lattice of C{cell} tiles."""
        lattice = [[self.rng.random() for _ in range(self.width // cell + 2)]
                   for _ in range(self.height // cell + 2)]

        def at(x, y):
            gx, gy = x / cell, y / cell
            ix, iy = int(gx), int(gy)
            fx, fy = gx - ix, gy - iy
            fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
            top = lattice[iy][ix] * (1 - fx) + lattice[iy][ix + 1] * fx
            bottom = lattice[iy + 1][ix] * (1 - fx) + lattice[iy + 1][ix + 1] * fx
            return top * (1 - fy) + bottom * fy
        return at

    @staticmethod
    def l_path(start, end):
        (x0, y0), (x1, y1) = start, end
        step_x = 1 if x1 >= x0 else -1
        step_y = 1 if y1 >= y0 else -1
        path = [(x, y0) for x in range(x0, x1 + step_x, step_x)]
        return path + [(x1, y) for y in range(y0, y1 + step_y, step_y)]

    def road(self, points, width=2, surface="dirt", keep=("cobble", "bridge")):
        """A road along L-shaped legs between C{points}; bridges where it crosses water."""
        for start, end in zip(points, points[1:]):
            for x, y in self.l_path(start, end):
                for cx, cy in self.cells(x, y, x + width - 1, y + width - 1):
                    if self.ground[cy][cx] == "water":
                        self.ground[cy][cx] = "bridge"
                    elif self.ground[cy][cx] not in keep:
                        self.ground[cy][cx] = surface
                    self.clear(cx, cy)
                for cx, cy in self.cells(x - 2, y - 2, x + width + 1, y + width + 1):
                    self.keep_clear.add((cx, cy))

    def reachable(self, start):
        seen, queue = {start}, deque([start])
        while queue:
            x, y = queue.popleft()
            for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if (0 <= nx < self.width and 0 <= ny < self.height and (nx, ny) not in seen
                        and not self.blocked(nx, ny)):
                    seen.add((nx, ny))
                    queue.append((nx, ny))
        return seen

    def fill_pockets(self, start, filler="bush"):
        """Plant C{filler} on walkable cells that cannot be reached from C{start}."""
        reachable = self.reachable(start)
        for x, y in self.cells(0, 0, self.width, self.height):
            if not self.blocked(x, y) and (x, y) not in reachable:
                self.place(x, y, filler)
        return reachable

    def spawn_points(self, centre, count, reachable, spacing, avoid=("dirt", "bridge", "door"), reach=8):
        """C{count} reachable open cells near C{centre}, spaced apart."""
        cx, cy = centre
        candidates = sorted(
            (cell for cell in self.cells(cx - reach, cy - reach, cx + reach, cy + reach)
             if cell in reachable and self.ground[cell[1]][cell[0]] not in avoid),
            key=lambda c: ((c[0] - cx) ** 2 + (c[1] - cy) ** 2, c[1], c[0]))
        chosen = []
        for cell in candidates:
            if all(abs(cell[0] - x) + abs(cell[1] - y) >= spacing for x, y in chosen):
                chosen.append(cell)
            if len(chosen) == count:
                return chosen
        raise SystemExit(f"not enough room for {count} spawns near {centre}")


class Portal:
    """
    A portal object: the tiles C{x}..C{x + width - 1}, C{y}..C{y + height - 1}
    lead to C{target} (a map id) at C{target_xy}.  C{name} is shown by clients.
    """

    def __init__(self, name, x, y, target, target_xy, width=1, height=1):
        self.name, self.x, self.y, self.width, self.height = name, x, y, width, height
        self.target, self.target_xy = target, target_xy

    def tiles(self):
        return [(x, y) for y in range(self.y, self.y + self.height) for x in range(self.x, self.x + self.width)]


def csv(rows):
    return ",\n".join(",".join(str(value) for value in row) for row in rows)


def tmx_text(layout, spawn, npcs, portals=(), name=None, pvp=False):
    """
    The TMX of a layout: C{spawn} the player spawn tile, C{npcs} a list of
    C{(npc, (x, y), wander_radius)}, C{portals} a list of L{Portal}, C{name}
    the map's display name (the map property C{name}).
    """
    width, height = layout.width, layout.height
    ground = [[GID[tile] for tile in row] for row in layout.ground]
    detail = [[GID[tile] if tile else 0 for tile in row] for row in layout.detail]
    collision = [[GID["blocker"] if flag else 0 for flag in row] for row in layout.collision]
    layers = []
    for number, (layer, rows, extra) in enumerate(
            [("ground", ground, ""), ("detail", detail, ""), ("collision", collision, ' visible="0"')], 1):
        layers.append(
            f' <layer id="{number}" name="{layer}" width="{width}" height="{height}"{extra}>\n'
            f'  <data encoding="csv">\n{csv(rows)}\n</data>\n </layer>\n')
    objects = [
        f'  <object id="1" name="spawn" type="player_spawn" x="{spawn[0] * TILE + 16}" '
        f'y="{spawn[1] * TILE + 16}">\n   <point/>\n  </object>\n']
    for number, (npc, (x, y), radius) in enumerate(npcs, 2):
        objects.append(
            f'  <object id="{number}" name="{npc}" type="npc_spawn" x="{x * TILE + 16}" y="{y * TILE + 16}">\n'
            f'   <properties>\n    <property name="npc" value="{npc}"/>\n'
            f'    <property name="wander_radius" type="int" value="{radius}"/>\n'
            f'   </properties>\n   <point/>\n  </object>\n')
    doors = []
    for number, portal in enumerate(portals, len(npcs) + 2):
        doors.append(
            f'  <object id="{number}" name="{portal.name}" type="portal" x="{portal.x * TILE}" '
            f'y="{portal.y * TILE}" width="{portal.width * TILE}" height="{portal.height * TILE}">\n'
            f'   <properties>\n    <property name="target_map" value="{portal.target}"/>\n'
            f'    <property name="target_x" type="int" value="{portal.target_xy[0]}"/>\n'
            f'    <property name="target_y" type="int" value="{portal.target_xy[1]}"/>\n'
            f'   </properties>\n  </object>\n')
    properties = ""
    if name is not None:
        properties += f'  <property name="name" value="{name}"/>\n'
    properties += f'  <property name="pvp" type="bool" value="{"true" if pvp else "false"}"/>\n'
    portal_group = ""
    if doors:
        portal_group = ' <objectgroup id="5" name="portals">\n' + "".join(doors) + ' </objectgroup>\n'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<map version="1.10" tiledversion="1.10.2" orientation="orthogonal" renderorder="right-down" '
        f'width="{width}" height="{height}" tilewidth="{TILE}" tileheight="{TILE}" infinite="0" '
        f'nextlayerid="{6 if doors else 5}" nextobjectid="{len(npcs) + len(portals) + 2}">\n'
        ' <properties>\n' + properties + ' </properties>\n'
        f' <tileset firstgid="1" source="{TILESET_FILE}"/>\n'
        + "".join(layers)
        + ' <objectgroup id="4" name="spawns">\n' + "".join(objects) + ' </objectgroup>\n'
        + portal_group + '</map>\n'
    )


def tsx_text(image_width, image_height):
    tiles = []
    for index, tile in enumerate(TILE_NAMES):
        walkable = '\n   <property name="walkable" type="bool" value="false"/>' if tile in UNWALKABLE else ""
        tiles.append(f' <tile id="{index}">\n  <properties>\n   <property name="name" value="{tile}"/>'
                     f'{walkable}\n  </properties>\n </tile>\n')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<tileset version="1.10" tiledversion="1.10.2" name="samplemap-tiles" tilewidth="{TILE}" '
        f'tileheight="{TILE}" tilecount="{len(TILE_NAMES)}" columns="{COLUMNS}">\n'
        f' <image source="{IMAGE_FILE}" width="{image_width}" height="{image_height}"/>\n'
        + "".join(tiles) + '</tileset>\n'
    )
