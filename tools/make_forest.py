"""
The layout of maps/forest.tmx, the Darkwood east of the town: a dense wood
on a winding path from the town's gate, a goblin camp of tents round a
campfire, and a glade where wolves hunt.  Written by make_samplemap.py with
the rest of the shipped world (run that one).
"""

import math
import random

from map_layout import Layout, Portal

SEED = 4242
WIDTH = HEIGHT = 64
MAP_ID = "forest"
NAME = "The Darkwood"

WEST_GATE = (0, 30)      # two tiles high: the road from the town
FROM_TOWN = (1, 30)      # where a player coming from the town arrives
SPAWN = (3, 31)
PATH = [(0, 30), (14, 30), (14, 18), (32, 18), (32, 38), (50, 38), (50, 22), (58, 22)]
CAMP = (46, 46)          # the goblin camp's campfire
GLADE = (18, 46)         # the wolves' glade
CLEARINGS = [(CAMP, 7), (GLADE, 6), ((24, 10), 4), ((56, 14), 4)]


class Forest(Layout):
    def __init__(self):
        super().__init__(WIDTH, HEIGHT, random.Random(SEED), ground="forest_floor")

    def in_clearing(self, x, y, slack=0):
        return any(math.hypot(x - cx, y - cy) <= radius + slack for (cx, cy), radius in CLEARINGS)

    def terrain(self):
        patches, woods = self.noise(8), self.noise(5)
        for x, y in self.cells(0, 0, self.width, self.height):
            if patches(x, y) > 0.62:
                self.ground[y][x] = "grass_dark"
            if self.in_clearing(x, y):
                self.ground[y][x] = "grass_dark" if self.rng.random() < 0.7 else "grass"
                continue
            edge = min(x, y, WIDTH - 1 - x, HEIGHT - 1 - y)
            if edge < 2 + 4 * woods(x, y) or woods(x, y) > 0.45 or self.rng.random() < 0.22:
                self.place(x, y, "pine" if self.rng.random() < 0.55 else "tree")
        self.road(PATH)
        for (cx, cy), radius in CLEARINGS:  # a dirt track into every clearing
            nearest = min(((x, y) for x, y in self.cells(0, 0, self.width, self.height)
                           if self.ground[y][x] == "dirt"),
                          key=lambda c: (abs(c[0] - cx) + abs(c[1] - cy), c))
            self.road([nearest, (cx, cy)], width=1)

    def camp(self):
        cx, cy = CAMP
        self.place(cx, cy, "campfire")
        for dx, dy in ((-4, -3), (3, -4), (-5, 2), (4, 3)):
            self.place(cx + dx, cy + dy, "tent")
        for dx, dy in ((-2, 4), (1, -2)):
            self.place(cx + dx, cy + dy, "crate")
        self.place(cx + 2, cy + 1, "bones_pile")

    def scatter(self):
        for x, y in self.cells(0, 0, self.width, self.height):
            if self.detail[y][x] or self.ground[y][x] in ("dirt", "water"):
                continue
            roll = self.rng.random()
            open_ground = (x, y) in self.keep_clear or self.in_clearing(x, y, slack=1)
            if roll < 0.04:
                self.place(x, y, "mushrooms")
            elif roll < 0.09:
                self.place(x, y, "tall_grass")
            elif roll < 0.11:
                self.place(x, y, "flowers_yellow" if self.in_clearing(x, y) else "mushrooms")
            elif not open_ground and roll < 0.13:
                self.place(x, y, "fallen_log")
            elif not open_ground and roll < 0.15:
                self.place(x, y, self.rng.choice(["bush", "rock"]))

    def portals(self):
        gate_x, gate_y = WEST_GATE
        for y in (gate_y, gate_y + 1):
            self.place(gate_x, y, "gate")


def build():
    """The forest: its layout, player spawn, NPC spawns and portals."""
    from make_samplemap import FROM_FOREST as TOWN_ARRIVAL

    layout = Forest()
    layout.terrain()
    layout.camp()
    layout.scatter()
    layout.portals()
    reachable = layout.fill_pockets(SPAWN)
    npcs = [("goblin", cell, 3 + i % 2) for i, cell in
            enumerate(layout.spawn_points(CAMP, 6, reachable, spacing=3, reach=6))]
    npcs += [("wolf", cell, 4) for cell in layout.spawn_points(GLADE, 4, reachable, spacing=3, reach=5)]
    portals = [Portal("To Millbrook", *WEST_GATE, "samplemap", TOWN_ARRIVAL, height=2)]
    return layout, SPAWN, npcs, portals
