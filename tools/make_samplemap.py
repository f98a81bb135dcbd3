#!/usr/bin/env python3
"""
Generate rpg's sample map: maps/samplemap.tmx, its external tileset
maps/samplemap-tiles.tsx and the tileset image maps/samplemap-tiles.png.

Deterministic (fixed seeds, no clock) and standard library only; the tile art
is in samplemap_art.py beside this script.  From the repository root:

    python3 tools/make_samplemap.py [--out maps]

A town of stone houses around a cobbled square (the player spawn, three
guards), a road east over a river to a goblin field, a road south and over a
second bridge to a giant rat den, a lake, and forest all round.
"""

import argparse
import math
import random
from collections import deque
from pathlib import Path

from samplemap_art import COLUMNS, TILE, TILE_NAMES, draw_tiles, png_bytes

SEED = 1337
WIDTH = HEIGHT = 96
MAP_ID = "samplemap"
TILESET_FILE = f"{MAP_ID}-tiles.tsx"
IMAGE_FILE = f"{MAP_ID}-tiles.png"

# Both collision rules are in use: these tiles carry walkable=false ...
UNWALKABLE = {"water", "stone_wall", "roof", "tree", "pine", "bush", "rock"}
# ... and these are walkable tiles blocked by the "collision" layer.
LAYER_BLOCKED = {"fence", "well", "market_stall", "barrel"}
GID = {name: index + 1 for index, name in enumerate(TILE_NAMES)}

SPAWN = (31, 46)
SQUARE = (25, 41, 38, 52)  # x0, y0, x1, y1 inclusive
# x0, y0, x1, y1 (walls included) and the door
HOUSES = [
    ((14, 30, 21, 36), (17, 36)),
    ((26, 30, 34, 36), (30, 36)),
    ((40, 30, 47, 36), (43, 36)),
    ((13, 44, 20, 50), (20, 47)),
    ((14, 55, 21, 61), (17, 55)),
    ((27, 56, 36, 62), (31, 56)),
]
HUTS = [(41, 55, 45, 58), (41, 50, 44, 52)]
GARDEN = (13, 38, 20, 42)
GOBLIN_FIELD = (78, 46)
RAT_DEN = (82, 80)


class Layout:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.ground = [["grass"] * WIDTH for _ in range(HEIGHT)]
        self.detail = [[None] * WIDTH for _ in range(HEIGHT)]
        self.collision = [[False] * WIDTH for _ in range(HEIGHT)]
        self.keep_clear = set()

    def cells(self, x0, y0, x1, y1):
        return ((x, y) for y in range(max(0, y0), min(HEIGHT, y1 + 1))
                for x in range(max(0, x0), min(WIDTH, x1 + 1)))

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

    # -- terrain
    def noise(self, cell):
        """Smooth value noise in 0..1 on a lattice of C{cell} tiles."""
        lattice = [[self.rng.random() for _ in range(WIDTH // cell + 2)] for _ in range(HEIGHT // cell + 2)]

        def at(x, y):
            gx, gy = x / cell, y / cell
            ix, iy = int(gx), int(gy)
            fx, fy = gx - ix, gy - iy
            fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
            top = lattice[iy][ix] * (1 - fx) + lattice[iy][ix + 1] * fx
            bottom = lattice[iy + 1][ix] * (1 - fx) + lattice[iy + 1][ix + 1] * fx
            return top * (1 - fy) + bottom * fy
        return at

    def terrain(self):
        patches, forest = self.noise(9), self.noise(6)
        for x, y in self.cells(0, 0, WIDTH, HEIGHT):
            if patches(x, y) > 0.6:
                self.ground[y][x] = "grass_dark"
            elif self.rng.random() < 0.05:
                self.ground[y][x] = "grass_pebbles"
        for y in range(HEIGHT):  # the river, north to south
            centre = 62 + 3 * math.sin(y / 9) + 2 * math.sin(y / 23 + 1)
            for x in range(int(centre) - 2, int(centre) + 2):
                self.ground[y][x] = "water"
        for x, y in self.cells(70, 6, 94, 30):  # the lake
            wobble = 0.3 * forest(x, y)
            if ((x - 82) / 8) ** 2 + ((y - 17) / 6) ** 2 < 1 + wobble:
                self.ground[y][x] = "water"
        for x, y in self.cells(0, 0, WIDTH, HEIGHT):  # sandy banks
            near = [(x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
            if self.ground[y][x] != "water" and any(
                    0 <= nx < WIDTH and 0 <= ny < HEIGHT and self.ground[ny][nx] == "water" for nx, ny in near):
                self.ground[y][x] = "sand"
        for x, y in self.cells(0, 0, WIDTH, HEIGHT):  # forest all round
            edge = min(x, y, WIDTH - 1 - x, HEIGHT - 1 - y)
            if self.ground[y][x] != "water" and edge < 2 + 5 * forest(x, y):
                self.place(x, y, "pine" if self.rng.random() < 0.4 else "tree")

    # -- the town
    def town(self):
        for x, y in self.cells(11, 28, 49, 64):
            self.clear(x, y)
            self.keep_clear.add((x, y))
        for x, y in self.cells(*SQUARE):
            self.ground[y][x] = "cobble"
        for (x0, y0, x1, y1), (dx, dy) in HOUSES:
            for x, y in self.cells(x0, y0, x1, y1):
                wall = x in (x0, x1) or y in (y0, y1)
                self.ground[y][x] = "stone_wall" if wall else "wood_floor"
            self.ground[dy][dx] = "door"
            corner = (x0 + 1, y1 - 1 if dy == y0 else y0 + 1)
            self.place(*corner, "barrel")
            out = (dx + (dx == x1) - (dx == x0), dy + (dy == y1) - (dy == y0))
            self.street(out, self.nearest_square_cell(out))
        for x0, y0, x1, y1 in HUTS:
            for x, y in self.cells(x0, y0, x1, y1):
                self.ground[y][x] = "stone_wall" if y == y1 else "roof"
        x0, y0, x1, y1 = GARDEN
        for x, y in self.cells(x0, y0, x1, y1):
            if x in (x0, x1) or y in (y0, y1):
                self.place(x, y, "fence")
            elif self.rng.random() < 0.7:
                self.place(x, y, self.rng.choice(["flowers_red", "flowers_yellow"]))
        self.clear(x1, y0 + 2)  # the garden gate, towards the square
        self.street((x1 + 1, y0 + 2), self.nearest_square_cell((x1 + 1, y0 + 2)))
        self.place(34, 44, "well")
        for x in (27, 29, 33, 35):
            self.place(x, 52, "market_stall")
        for x, y in ((26, 42), (37, 42), (37, 51)):
            self.place(x, y, "barrel")

    def nearest_square_cell(self, cell):
        x0, y0, x1, y1 = SQUARE
        return (min(max(cell[0], x0), x1), min(max(cell[1], y0), y1))

    def street(self, start, end):
        for x, y in self.l_path(start, end):
            if self.ground[y][x] not in ("cobble", "door"):
                self.ground[y][x] = "cobble"

    @staticmethod
    def l_path(start, end):
        (x0, y0), (x1, y1) = start, end
        step_x = 1 if x1 >= x0 else -1
        step_y = 1 if y1 >= y0 else -1
        path = [(x, y0) for x in range(x0, x1 + step_x, step_x)]
        return path + [(x1, y) for y in range(y0, y1 + step_y, step_y)]

    # -- roads
    def road(self, points, width=2):
        for start, end in zip(points, points[1:]):
            for x, y in self.l_path(start, end):
                for cx, cy in self.cells(x, y, x + width - 1, y + width - 1):
                    if self.ground[cy][cx] == "water":
                        self.ground[cy][cx] = "bridge"
                    elif self.ground[cy][cx] not in ("cobble", "bridge"):
                        self.ground[cy][cx] = "dirt"
                    self.clear(cx, cy)
                for cx, cy in self.cells(x - 2, y - 2, x + width + 1, y + width + 1):
                    self.keep_clear.add((cx, cy))

    def roads(self):
        self.road([(39, 46), (90, 46)])                     # east, over the river
        self.road([(24, 42), (23, 42), (23, 14), (40, 14)])  # north to a glade
        self.road([(38, 53), (38, 80), (90, 80)])           # south, then east over the river
        self.road([(78, 48), (78, 80)])                      # field to the rat den
        for x, y in self.cells(70, 38, 88, 54):               # the goblin field stays open
            self.keep_clear.add((x, y))
            self.clear(x, y)

    def scatter(self):
        for x, y in self.cells(0, 0, WIDTH, HEIGHT):
            if (x, y) in self.keep_clear and not (70 <= x <= 88 and 38 <= y <= 54):
                continue
            if self.detail[y][x] or self.ground[y][x] not in ("grass", "grass_dark", "grass_pebbles"):
                continue
            roll = self.rng.random()
            obstacles_allowed = (x, y) not in self.keep_clear
            if roll < 0.05:
                self.place(x, y, self.rng.choice(["flowers_red", "flowers_yellow"]))
            elif roll < 0.10:
                self.place(x, y, "tall_grass")
            elif obstacles_allowed and roll < 0.115:
                self.place(x, y, "bush")
            elif obstacles_allowed and roll < 0.125:
                self.place(x, y, "rock")
            elif obstacles_allowed and roll < 0.15:
                self.place(x, y, self.rng.choice(["tree", "pine"]))

    def reachable(self):
        seen, queue = {SPAWN}, deque([SPAWN])
        while queue:
            x, y = queue.popleft()
            for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if 0 <= nx < WIDTH and 0 <= ny < HEIGHT and (nx, ny) not in seen and not self.blocked(nx, ny):
                    seen.add((nx, ny))
                    queue.append((nx, ny))
        return seen

    def fill_pockets(self):
        """Plant bushes on walkable cells that cannot be reached from the spawn."""
        reachable = self.reachable()
        for x, y in self.cells(0, 0, WIDTH, HEIGHT):
            if not self.blocked(x, y) and (x, y) not in reachable:
                self.place(x, y, "bush")
        return reachable

    def spawn_points(self, centre, count, reachable, spacing):
        """C{count} reachable open cells near C{centre}, spaced apart."""
        cx, cy = centre
        candidates = sorted(
            (cell for cell in self.cells(cx - 8, cy - 8, cx + 8, cy + 8)
             if cell in reachable and self.ground[cell[1]][cell[0]] not in ("dirt", "bridge", "door")),
            key=lambda c: ((c[0] - cx) ** 2 + (c[1] - cy) ** 2, c[1], c[0]))
        chosen = []
        for cell in candidates:
            if all(abs(cell[0] - x) + abs(cell[1] - y) >= spacing for x, y in chosen):
                chosen.append(cell)
            if len(chosen) == count:
                return chosen
        raise SystemExit(f"not enough room for {count} spawns near {centre}")


def build():
    layout = Layout()
    layout.terrain()
    layout.town()
    layout.roads()
    layout.scatter()
    reachable = layout.fill_pockets()
    npcs = [("goblin", cell, 4 + i % 3) for i, cell in
            enumerate(layout.spawn_points(GOBLIN_FIELD, 5, reachable, spacing=4))]
    npcs += [("giant_rat", cell, 3) for cell in layout.spawn_points(RAT_DEN, 5, reachable, spacing=2)]
    npcs += [("guard", cell, 2) for cell in ((28, 44), (36, 49), (39, 47))]
    return layout, npcs


def csv(rows):
    return ",\n".join(",".join(str(value) for value in row) for row in rows)


def tmx_text(layout, npcs):
    ground = [[GID[name] for name in row] for row in layout.ground]
    detail = [[GID[name] if name else 0 for name in row] for row in layout.detail]
    collision = [[GID["blocker"] if flag else 0 for flag in row] for row in layout.collision]
    layers = []
    for number, (name, rows, extra) in enumerate(
            [("ground", ground, ""), ("detail", detail, ""), ("collision", collision, ' visible="0"')], 1):
        layers.append(
            f' <layer id="{number}" name="{name}" width="{WIDTH}" height="{HEIGHT}"{extra}>\n'
            f'  <data encoding="csv">\n{csv(rows)}\n</data>\n </layer>\n')
    objects = [
        f'  <object id="1" name="spawn" type="player_spawn" x="{SPAWN[0] * TILE + 16}" '
        f'y="{SPAWN[1] * TILE + 16}">\n   <point/>\n  </object>\n']
    for number, (npc, (x, y), radius) in enumerate(npcs, 2):
        objects.append(
            f'  <object id="{number}" name="{npc}" type="npc_spawn" x="{x * TILE + 16}" y="{y * TILE + 16}">\n'
            f'   <properties>\n    <property name="npc" value="{npc}"/>\n'
            f'    <property name="wander_radius" type="int" value="{radius}"/>\n'
            f'   </properties>\n   <point/>\n  </object>\n')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<map version="1.10" tiledversion="1.10.2" orientation="orthogonal" renderorder="right-down" '
        f'width="{WIDTH}" height="{HEIGHT}" tilewidth="{TILE}" tileheight="{TILE}" infinite="0" '
        f'nextlayerid="5" nextobjectid="{len(npcs) + 2}">\n'
        ' <properties>\n  <property name="pvp" type="bool" value="false"/>\n </properties>\n'
        f' <tileset firstgid="1" source="{TILESET_FILE}"/>\n'
        + "".join(layers)
        + ' <objectgroup id="4" name="spawns">\n' + "".join(objects) + ' </objectgroup>\n</map>\n'
    )


def tsx_text(image_width, image_height):
    tiles = []
    for index, name in enumerate(TILE_NAMES):
        walkable = '\n   <property name="walkable" type="bool" value="false"/>' if name in UNWALKABLE else ""
        tiles.append(f' <tile id="{index}">\n  <properties>\n   <property name="name" value="{name}"/>'
                     f'{walkable}\n  </properties>\n </tile>\n')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<tileset version="1.10" tiledversion="1.10.2" name="{MAP_ID}-tiles" tilewidth="{TILE}" '
        f'tileheight="{TILE}" tilecount="{len(TILE_NAMES)}" columns="{COLUMNS}">\n'
        f' <image source="{IMAGE_FILE}" width="{image_width}" height="{image_height}"/>\n'
        + "".join(tiles) + '</tileset>\n'
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "maps",
                        help="directory to write into (default: the repository's maps/)")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    png, image_width, image_height = png_bytes(draw_tiles())
    layout, npcs = build()
    (out / IMAGE_FILE).write_bytes(png)
    (out / TILESET_FILE).write_text(tsx_text(image_width, image_height))
    (out / f"{MAP_ID}.tmx").write_text(tmx_text(layout, npcs))
    print(f"wrote {out / (MAP_ID + '.tmx')}: {WIDTH}x{HEIGHT} tiles, {len(npcs)} NPC spawns")


if __name__ == "__main__":
    main()
