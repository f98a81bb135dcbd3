"""
The layout of maps/cellar.tmx, the cellars below the town: stone rooms and
passages lit by torches, a storeroom, a rats' nest and an old crypt where
skeletons stir; stairs lead back up into the town.  Written by
make_samplemap.py with the rest of the shipped world (run that one).
"""

import random

from map_layout import Layout, Portal

SEED = 2718
WIDTH = HEIGHT = 40
MAP_ID = "cellar"
NAME = "Millbrook Cellars"

STAIRS = (3, 3)          # the stairs up to the town
FROM_TOWN = (4, 3)       # where a player coming down arrives
SPAWN = (5, 5)
# x0, y0, x1, y1 of each room's floor
ENTRY = (2, 2, 9, 8)
STOREROOM = (16, 3, 26, 9)
NEST = (3, 18, 13, 27)
CRYPT = (20, 20, 35, 34)
ROOMS = [ENTRY, STOREROOM, NEST, CRYPT]
PASSAGES = [
    [(9, 5), (16, 5)],                 # entry - storeroom
    [(5, 8), (5, 18)],                 # entry - nest
    [(21, 9), (21, 20)],               # storeroom - crypt
    [(13, 24), (20, 24)],              # nest - crypt
]


class Cellar(Layout):
    def __init__(self):
        super().__init__(WIDTH, HEIGHT, random.Random(SEED), ground="dungeon_wall")

    def rooms(self):
        for room in ROOMS:
            for x, y in self.cells(*room):
                self.ground[y][x] = "dungeon_floor"
        for points in PASSAGES:
            self.road(points, width=2, surface="dungeon_floor", keep=())
        for x0, y0, x1, _ in ROOMS:  # torches on the wall above each room
            for x in range(x0 + 2, x1, 5):
                if self.ground[y0 - 1][x] == "dungeon_wall":
                    self.ground[y0 - 1][x] = "wall_torch"

    def furnish(self):
        x0, y0, x1, y1 = STOREROOM
        for x in range(x0, x1 + 1, 2):
            self.place(x, y0, self.rng.choice(["crate", "barrel"]))
        for y in range(y0 + 2, y1, 2):
            self.place(x1, y, "crate")
        x0, y0, x1, y1 = NEST
        for x, y in self.cells(x0, y0, x1, y1):
            if self.rng.random() < 0.08:
                self.place(x, y, "bones_pile")
        x0, y0, x1, y1 = CRYPT
        for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1), (x0, y0 + 7)):
            self.place(x, y, "cobweb")
        for x, y in self.cells(x0 + 1, y0 + 1, x1 - 1, y1 - 1):
            roll = self.rng.random()
            if roll < 0.04:
                self.place(x, y, "rubble")
            elif roll < 0.08:
                self.place(x, y, "bones_pile")
        for x, y in self.cells(0, 0, self.width, self.height):  # cobwebs in corners
            if (self.ground[y][x] == "dungeon_floor" and not self.detail[y][x]
                    and self.blocked(x - 1, y) and self.blocked(x, y - 1) and self.rng.random() < 0.5):
                self.place(x, y, "cobweb")

    def portals(self):
        self.clear(*STAIRS)
        self.place(*STAIRS, "stairs_up")
        self.clear(*FROM_TOWN)
        self.clear(*SPAWN)


def build():
    """The cellar: its layout, player spawn, NPC spawns and portals."""
    from make_samplemap import FROM_CELLAR as TOWN_ARRIVAL

    layout = Cellar()
    layout.rooms()
    layout.furnish()
    layout.portals()
    reachable = layout.fill_pockets(SPAWN, filler="rubble")
    npcs = [("giant_rat", cell, 3) for cell in layout.spawn_points((8, 23), 4, reachable, spacing=2, reach=5)]
    npcs += [("skeleton", cell, 3) for cell in layout.spawn_points((28, 27), 4, reachable, spacing=4, reach=7)]
    portals = [Portal("Up to Millbrook", *STAIRS, "samplemap", TOWN_ARRIVAL)]
    return layout, SPAWN, npcs, portals
