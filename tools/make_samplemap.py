#!/usr/bin/env python3
"""
Generate rpg's shipped world: the town maps/samplemap.tmx, the forest
maps/forest.tmx (make_forest.py), the cellar maps/cellar.tmx (make_cellar.py),
their shared tileset maps/samplemap-tiles.tsx and its image
maps/samplemap-tiles.png.

Deterministic (fixed seeds, no clock) and standard library only; the tile art
is in samplemap_art.py, the shared layout code in map_layout.py beside this
script.  From the repository root:

    python3 tools/make_samplemap.py [--out maps]

The town: stone houses around a cobbled square (the player spawn, three
guards), a road east over a river to a goblin field and on through a gate into
the forest, a road south and over a second bridge to a giant rat den, a lake,
forest all round, and stairs down to the cellar in the south-east house.
"""

import argparse
import math
import random
import sys
from pathlib import Path

from map_layout import IMAGE_FILE, TILESET_FILE, Layout, Portal, tmx_text, tsx_text
from samplemap_art import draw_tiles, png_bytes

SEED = 1337
WIDTH = HEIGHT = 96
MAP_ID = "samplemap"
NAME = "Millbrook"

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
# The portals: the east road goes on through a gate into the forest, and stairs
# in the south-east house go down to the cellar.  Arrivals stand next to them.
EAST_GATE = (95, 46)            # two tiles high, like the road
FROM_FOREST = (94, 46)
CELLAR_STAIRS = (34, 60)
FROM_CELLAR = (33, 60)


class Town(Layout):
    def __init__(self):
        super().__init__(WIDTH, HEIGHT, random.Random(SEED))

    # -- terrain
    def terrain(self):
        patches, forest = self.noise(9), self.noise(6)
        for x, y in self.cells(0, 0, self.width, self.height):
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
        for x, y in self.cells(0, 0, self.width, self.height):  # sandy banks
            near = [(x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
            if self.ground[y][x] != "water" and any(
                    0 <= nx < WIDTH and 0 <= ny < HEIGHT and self.ground[ny][nx] == "water" for nx, ny in near):
                self.ground[y][x] = "sand"
        for x, y in self.cells(0, 0, self.width, self.height):  # forest all round
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

    # -- roads
    def roads(self):
        self.road([(39, 46), (90, 46)])                     # east, over the river
        self.road([(24, 42), (23, 42), (23, 14), (40, 14)])  # north to a glade
        self.road([(38, 53), (38, 80), (90, 80)])           # south, then east over the river
        self.road([(78, 48), (78, 80)])                      # field to the rat den
        for x, y in self.cells(70, 38, 88, 54):               # the goblin field stays open
            self.keep_clear.add((x, y))
            self.clear(x, y)

    def scatter(self):
        for x, y in self.cells(0, 0, self.width, self.height):
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

    def portals(self):
        """The gate at the east road's end and the stairs down in the south-east house."""
        gate_x, gate_y = EAST_GATE
        for x, y in self.cells(92, gate_y, gate_x, gate_y + 1):
            self.ground[y][x] = "dirt"
            self.clear(x, y)
        for y in (gate_y, gate_y + 1):
            self.place(gate_x, y, "gate")
        self.place(*CELLAR_STAIRS, "stairs_down")


def build():
    """The town: its layout, player spawn, NPC spawns and portals."""
    from make_cellar import FROM_TOWN as CELLAR_ARRIVAL
    from make_forest import FROM_TOWN as FOREST_ARRIVAL

    layout = Town()
    layout.terrain()
    layout.town()
    layout.roads()
    layout.scatter()
    layout.portals()
    reachable = layout.fill_pockets(SPAWN)
    npcs = [("goblin", cell, 4 + i % 3) for i, cell in
            enumerate(layout.spawn_points(GOBLIN_FIELD, 5, reachable, spacing=4))]
    npcs += [("giant_rat", cell, 3) for cell in layout.spawn_points(RAT_DEN, 5, reachable, spacing=2)]
    npcs += [("guard", cell, 2) for cell in ((28, 44), (36, 49), (39, 47))]
    portals = [
        Portal("To the Darkwood", *EAST_GATE, "forest", FOREST_ARRIVAL, height=2),
        Portal("Down to the cellar", *CELLAR_STAIRS, "cellar", CELLAR_ARRIVAL),
    ]
    return layout, SPAWN, npcs, portals


def main(argv=None):
    import make_cellar
    import make_forest

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "maps",
                        help="directory to write into (default: the repository's maps/)")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    png, image_width, image_height = png_bytes(draw_tiles())
    (out / IMAGE_FILE).write_bytes(png)
    (out / TILESET_FILE).write_text(tsx_text(image_width, image_height))
    for module in (sys.modules[__name__], make_forest, make_cellar):
        layout, spawn, npcs, portals = module.build()
        path = out / f"{module.MAP_ID}.tmx"
        path.write_text(tmx_text(layout, spawn, npcs, portals, name=module.NAME))
        print(f"wrote {path}: {layout.width}x{layout.height} tiles, {len(npcs)} NPC spawns, "
              f"{len(portals)} portals")


if __name__ == "__main__":
    main()
