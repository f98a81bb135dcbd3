"""
The tileset art of rpg's shipped maps (the town, the forest and the cellar
share one tileset), drawn pixel by pixel (32x32 RGBA tiles),
and a PNG writer on zlib and struct.  Used by C{make_samplemap.py}.
"""

import math
import random
import struct
import zlib

SEED = 20240607
TILE = 32
COLUMNS = 8

# Tileset order is the local tile id; a tile's gid is its id + 1.
TILE_NAMES = [
    "grass", "grass_dark", "grass_pebbles", "dirt", "sand", "water", "bridge", "cobble",
    "wood_floor", "stone_wall", "door", "roof", "tree", "pine", "bush", "rock",
    "flowers_red", "flowers_yellow", "tall_grass", "fence", "well", "market_stall", "barrel", "blocker",
    # the forest and the cellar (appended, so the town's gids never change)
    "forest_floor", "gate", "stairs_down", "stairs_up", "dungeon_floor", "dungeon_wall", "wall_torch", "rubble",
    "cobweb", "bones_pile", "crate", "mushrooms", "fallen_log", "tent", "campfire",
]


# -- drawing ---------------------------------------------------------------

class Canvas:
    """One 32x32 RGBA tile; colours with alpha are blended over what is there."""

    def __init__(self, colour=(0, 0, 0, 0)):
        colour = tuple(colour) + (255,) * (4 - len(colour))
        self.px = [[colour] * TILE for _ in range(TILE)]

    def put(self, x, y, colour):
        if not (0 <= x < TILE and 0 <= y < TILE):
            return
        r, g, b, *a = colour
        a = a[0] if a else 255
        if a == 255:
            self.px[y][x] = (r, g, b, 255)
            return
        r0, g0, b0, a0 = self.px[y][x]
        out = a + a0 * (255 - a) // 255
        if out == 0:
            return
        mix = lambda c, c0: (c * a + c0 * a0 * (255 - a) // 255) // out  # noqa: E731
        self.px[y][x] = (mix(r, r0), mix(g, g0), mix(b, b0), out)

    def rect(self, x0, y0, x1, y1, colour):
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                self.put(x, y, colour)

    def ellipse(self, cx, cy, rx, ry, colour):
        for y in range(TILE):
            for x in range(TILE):
                if ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1:
                    self.put(x, y, colour)

    def speckle(self, rng, colours, count, area=(0, 0, TILE - 1, TILE - 1)):
        for _ in range(count):
            self.put(rng.randint(area[0], area[2]), rng.randint(area[1], area[3]), rng.choice(colours))


def shade(colour, amount):
    return tuple(max(0, min(255, c + amount)) for c in colour[:3]) + tuple(colour[3:])


def draw_grass(rng, base, pebbles=False):
    c = Canvas(base)
    c.speckle(rng, [shade(base, -14), shade(base, 12), shade(base, -6)], 180)
    for _ in range(10):
        x, y = rng.randint(1, 30), rng.randint(3, 30)
        for i in range(rng.randint(2, 3)):
            c.put(x, y - i, shade(base, -30))
    if pebbles:
        for _ in range(5):
            x, y = rng.randint(2, 28), rng.randint(2, 28)
            c.rect(x, y, x + 1, y, (150, 146, 132))
            c.put(x, y - 1, (186, 182, 170))
    return c


def draw_ground(rng, base, dots, count):
    c = Canvas(base)
    c.speckle(rng, dots, count)
    return c


def draw_dirt(rng):
    c = draw_ground(rng, (146, 108, 70), [(126, 90, 58), (164, 126, 86), (134, 98, 62)], 220)
    for _ in range(4):
        x, y = rng.randint(2, 28), rng.randint(2, 28)
        c.rect(x, y, x + 1, y + 1, (168, 158, 140))
    return c


def draw_water(rng):
    c = Canvas((46, 102, 178))
    for y in range(TILE):
        for x in range(TILE):
            if (x + 2 * y) % 11 == 0:
                c.put(x, y, (52, 110, 188))
    for _ in range(6):
        x, y = rng.randint(0, 26), rng.randint(3, 29)
        for i, dy in enumerate((0, -1, -1, 0, 1, 1)):
            c.put(x + i, y + dy, (122, 176, 228))
    return c


def draw_bridge(rng):
    c = Canvas((150, 104, 60))
    for x in range(TILE):
        plank = shade((150, 104, 60), rng.randint(-12, 12)) if x % 8 == 1 else None
        if plank:
            c.rect(x, 3, x + 6, 28, plank)
        if x % 8 == 0:
            c.rect(x, 3, x, 28, (88, 58, 34))
        if x % 8 == 4:
            c.put(x, 6, (190, 190, 190))
            c.put(x, 25, (190, 190, 190))
    c.rect(0, 0, 31, 2, (104, 70, 40))
    c.rect(0, 29, 31, 31, (104, 70, 40))
    c.rect(0, 0, 31, 0, (140, 100, 62))
    c.rect(0, 29, 31, 29, (140, 100, 62))
    return c


def draw_bricks(rng, base, mortar, width, height, inset=0):
    c = Canvas(mortar)
    for row, y0 in enumerate(range(0, TILE, height)):
        offset = (width // 2) * (row % 2)
        for x0 in range(-offset, TILE, width):
            colour = shade(base, rng.randint(-12, 12))
            c.rect(x0 + 1 + inset, y0 + 1, x0 + width - 1, y0 + height - 1, colour)
            c.rect(x0 + 1 + inset, y0 + 1, x0 + width - 1, y0 + 1, shade(colour, 22))
            c.rect(x0 + 1 + inset, y0 + height - 1, x0 + width - 1, y0 + height - 1, shade(colour, -22))
    return c


def draw_wood_floor(rng):
    c = Canvas((176, 124, 74))
    for row, y0 in enumerate(range(0, TILE, 8)):
        c.rect(0, y0, 31, y0 + 6, shade((176, 124, 74), rng.randint(-10, 10)))
        c.rect(0, y0 + 7, 31, y0 + 7, (112, 76, 44))
        joint = (row * 13 + 5) % 32
        c.rect(joint, y0, joint, y0 + 6, (112, 76, 44))
        for _ in range(3):
            x, y = rng.randint(0, 26), y0 + rng.randint(1, 5)
            c.rect(x, y, x + rng.randint(3, 6), y, (156, 106, 62))
    return c


def draw_door(rng):
    c = draw_bricks(rng, (128, 128, 138), (72, 72, 80), 16, 8)
    c.rect(7, 4, 24, 31, (60, 40, 24))
    c.rect(8, 5, 23, 31, (122, 80, 42))
    for x in (12, 16, 20):
        c.rect(x, 5, x, 31, (96, 62, 32))
    for x, y in ((7, 4), (8, 4), (7, 5), (24, 4), (23, 4), (24, 5)):
        c.put(x, y, (128, 128, 138))
    c.rect(20, 18, 21, 19, (232, 200, 64))
    return c


def draw_roof(rng):
    c = Canvas((120, 44, 34))
    for row, y0 in enumerate(range(0, TILE, 6)):
        for x0 in range(-4 * (row % 2), TILE, 8):
            colour = shade((168, 64, 46), rng.randint(-10, 10))
            c.rect(x0 + 1, y0, x0 + 7, y0 + 4, colour)
            c.rect(x0 + 1, y0, x0 + 7, y0, shade(colour, 24))
            c.rect(x0 + 2, y0 + 5, x0 + 6, y0 + 5, shade(colour, -36))
    return c


def draw_tree(rng):
    c = Canvas()
    c.ellipse(16, 28, 12, 3.5, (0, 0, 0, 70))
    c.rect(14, 19, 18, 28, (108, 70, 38))
    c.rect(14, 19, 14, 28, (84, 52, 28))
    c.ellipse(16, 13, 13, 12, (34, 92, 38))
    c.ellipse(15, 11.5, 11, 10, (54, 128, 50))
    for _ in range(5):
        c.ellipse(rng.randint(8, 20), rng.randint(6, 14), 3, 2.5, (80, 156, 66))
    c.speckle(rng, [(30, 84, 34), (46, 110, 44)], 40, (6, 4, 26, 22))
    return c


def draw_pine(rng):
    c = Canvas()
    c.ellipse(16, 28, 9, 3, (0, 0, 0, 70))
    c.rect(15, 24, 17, 29, (100, 64, 36))
    for y in range(2, 26):
        half = 2 + (y - 2) * 11 // 23 - (2 if y in (10, 18) else 0)
        for x in range(16 - half, 16 + half + 1):
            light = x < 16 and (x + y) % 3 == 0
            c.put(x, y, (58, 124, 70) if light else (32, 92, 52))
    c.speckle(rng, [(24, 74, 42)], 25, (6, 6, 26, 24))
    return c


def draw_bush(rng):
    c = Canvas()
    c.ellipse(16, 27, 12, 3, (0, 0, 0, 60))
    c.ellipse(16, 19, 12, 9, (40, 104, 40))
    c.ellipse(14, 17, 9, 7, (58, 132, 54))
    c.speckle(rng, [(84, 160, 70), (36, 92, 36)], 40, (6, 11, 26, 26))
    for _ in range(5):
        x, y = rng.randint(8, 22), rng.randint(13, 23)
        c.rect(x, y, x + 1, y + 1, (196, 40, 56))
    return c


def draw_rock(rng):
    c = Canvas()
    c.ellipse(16, 26, 12, 3, (0, 0, 0, 70))
    c.ellipse(16, 19, 12, 9, (96, 96, 104))
    c.ellipse(15, 17, 10, 7, (134, 134, 140))
    c.ellipse(12, 14, 5, 3, (172, 172, 176))
    c.speckle(rng, [(110, 110, 118), (150, 150, 156)], 30, (6, 12, 26, 25))
    for i in range(5):
        c.put(19 + i // 2, 15 + i, (80, 80, 88))
    return c


def draw_flowers(rng, petals, centre):
    c = Canvas()
    for _ in range(7):
        x, y = rng.randint(4, 27), rng.randint(4, 25)
        c.rect(x, y + 2, x, y + 4, (46, 116, 44))
        for dx, dy in ((0, -1), (-1, 0), (1, 0), (0, 1)):
            c.put(x + dx, y + dy, petals)
        c.put(x, y, centre)
    return c


def draw_tall_grass(rng):
    c = Canvas()
    for _ in range(16):
        x, base, height = rng.randint(3, 28), rng.randint(22, 30), rng.randint(6, 12)
        lean = rng.choice((-1, 0, 1))
        for i in range(height):
            colour = (96, 170, 70) if i > height - 3 else (40, 110, 42)
            c.put(x + (lean * i) // 4, base - i, colour)
    return c


def draw_fence(rng):
    c = Canvas()
    c.rect(0, 25, 31, 26, (0, 0, 0, 50))
    for y0 in (11, 19):
        c.rect(0, y0, 31, y0 + 2, (150, 102, 58))
        c.rect(0, y0 + 2, 31, y0 + 2, (108, 70, 38))
    for x0 in (3, 26):
        c.rect(x0, 7, x0 + 3, 26, (136, 92, 52))
        c.rect(x0, 7, x0 + 3, 7, (172, 124, 76))
        c.rect(x0 + 3, 8, x0 + 3, 26, (100, 64, 34))
    return c


def draw_well(rng):
    c = Canvas()
    c.ellipse(16, 17, 14, 13, (0, 0, 0, 60))
    c.ellipse(16, 16, 14, 13, (118, 118, 126))
    for angle in range(0, 360, 30):
        x = 16 + 11.5 * math.cos(math.radians(angle))
        y = 16 + 10.5 * math.sin(math.radians(angle))
        c.put(int(x), int(y), (80, 80, 88))
    c.ellipse(16, 15, 12, 11, (150, 150, 158, 120))
    c.ellipse(16, 16, 8, 7, (22, 48, 92))
    c.ellipse(14, 14, 3, 2, (70, 110, 170))
    return c


def draw_market_stall(rng):
    c = Canvas()
    c.rect(3, 22, 4, 31, (100, 64, 34))
    c.rect(27, 22, 28, 31, (100, 64, 34))
    c.rect(1, 24, 30, 30, (150, 102, 58))
    c.rect(1, 24, 30, 24, (184, 136, 84))
    for i in range(8):
        c.ellipse(4 + 3.4 * i, 24, 1.6, 1.6, rng.choice([(200, 40, 40), (240, 180, 40), (90, 160, 50)]))
    for x in range(TILE):
        colour = (196, 48, 48) if (x // 4) % 2 == 0 else (240, 232, 212)
        c.rect(x, 0, x, 16, colour)
        if 1 <= x % 4 <= 2:
            c.rect(x, 17, x, 18, colour)
    c.rect(0, 0, 31, 1, (0, 0, 0, 60))
    return c


def draw_barrel(rng):
    c = Canvas()
    c.ellipse(16, 28, 10, 3, (0, 0, 0, 70))
    c.rect(8, 7, 23, 27, (146, 96, 52))
    for x in (11, 15, 19):
        c.rect(x, 7, x, 27, (112, 72, 38))
    c.rect(8, 7, 8, 27, (112, 72, 38))
    for y in (10, 23):
        c.rect(8, y, 23, y + 1, (88, 88, 96))
    c.ellipse(16, 7, 8, 3, (98, 62, 32))
    return c


def draw_blocker(rng):
    c = Canvas((220, 40, 40, 90))
    for i in range(TILE):
        c.put(i, i, (255, 60, 60, 200))
        c.put(TILE - 1 - i, i, (255, 60, 60, 200))
    return c


def draw_forest_floor(rng):
    c = draw_grass(rng, (62, 112, 52))
    for _ in range(14):
        x, y = rng.randint(1, 29), rng.randint(1, 29)
        colour = rng.choice([(138, 96, 48), (164, 120, 56), (112, 78, 40)])
        c.rect(x, y, x + 1, y, colour)
        c.put(x + rng.choice((0, 1)), y + 1, shade(colour, -20))
    return c


def draw_gate(rng):
    """A wooden archway with a lantern: where a road leaves the map."""
    c = Canvas()
    c.rect(3, 29, 28, 30, (0, 0, 0, 60))
    for x0 in (3, 25):
        c.rect(x0, 4, x0 + 3, 29, (112, 74, 40))
        c.rect(x0, 4, x0, 29, (140, 98, 56))
        c.rect(x0 + 3, 4, x0 + 3, 29, (82, 52, 28))
    c.rect(1, 2, 30, 6, (126, 84, 46))
    c.rect(1, 2, 30, 2, (166, 118, 70))
    c.rect(1, 6, 30, 6, (84, 54, 30))
    c.rect(14, 7, 17, 8, (60, 60, 66))
    c.rect(13, 9, 18, 14, (250, 214, 96))
    c.rect(13, 9, 18, 9, (60, 60, 66))
    c.rect(13, 14, 18, 14, (60, 60, 66))
    c.ellipse(15.5, 12, 7, 6, (255, 230, 140, 60))
    return c


def draw_stairs(rng, down):
    """Stone steps seen from above: darker going down, lighter going up."""
    c = Canvas((70, 70, 78))
    for step in range(6):
        y0 = 2 + step * 5
        level = (164 - step * 22) if down else (76 + step * 18)
        colour = (level, level, level + 8)
        c.rect(3, y0, 28, y0 + 4, colour)
        c.rect(3, y0, 28, y0, shade(colour, 26))
        c.rect(3, y0 + 4, 28, y0 + 4, shade(colour, -30))
    c.rect(0, 0, 2, 31, (92, 92, 100))
    c.rect(29, 0, 31, 31, (92, 92, 100))
    c.speckle(rng, [(110, 110, 118), (60, 60, 66)], 20)
    return c


def draw_dungeon_floor(rng):
    c = Canvas((62, 60, 58))
    for y0 in (0, 16):
        for x0 in (0, 16):
            colour = shade((96, 92, 86), rng.randint(-12, 10))
            c.rect(x0 + 1, y0 + 1, x0 + 14, y0 + 14, colour)
            c.rect(x0 + 1, y0 + 1, x0 + 14, y0 + 1, shade(colour, 14))
    c.speckle(rng, [(74, 72, 68), (110, 106, 98)], 80)
    return c


def draw_dungeon_wall(rng):
    c = draw_bricks(rng, (70, 66, 74), (34, 32, 38), 16, 8)
    c.rect(0, 28, 31, 31, (24, 22, 26))
    return c


def draw_wall_torch(rng):
    c = draw_dungeon_wall(rng)
    c.ellipse(16, 12, 10, 10, (255, 170, 60, 50))
    c.rect(15, 14, 17, 24, (98, 62, 32))
    c.ellipse(16, 11, 3, 4.5, (240, 120, 30))
    c.ellipse(16, 12, 1.6, 2.5, (255, 230, 120))
    return c


def draw_rubble(rng):
    c = Canvas()
    for _ in range(7):
        x, y = rng.randint(7, 24), rng.randint(12, 24)
        r = rng.uniform(3, 6)
        c.ellipse(x, y + 2, r, r * 0.5, (0, 0, 0, 60))
        c.ellipse(x, y, r, r * 0.8, shade((112, 106, 100), rng.randint(-20, 20)))
        c.put(int(x - r / 2), int(y - r / 2), (160, 154, 146))
    return c


def draw_cobweb(rng):
    c = Canvas()
    for angle in range(0, 100, 18):
        for i in range(22):
            x = i * math.cos(math.radians(angle))
            y = i * math.sin(math.radians(angle))
            c.put(int(x), int(y), (226, 226, 232, 150))
    for radius in (7, 13, 19):
        for angle in range(0, 91, 3):
            c.put(int(radius * math.cos(math.radians(angle))), int(radius * math.sin(math.radians(angle))),
                  (226, 226, 232, 120))
    return c


def draw_bones_pile(rng):
    c = Canvas()
    for _ in range(4):
        x, y = rng.randint(6, 20), rng.randint(10, 24)
        length = rng.randint(6, 9)
        c.rect(x, y, x + length, y + 1, (226, 220, 200))
        for dx in (0, length):
            c.rect(x + dx - 1, y - 1, x + dx, y + 2, (240, 236, 220))
    c.ellipse(22, 22, 4, 3.5, (232, 228, 212))
    c.rect(20, 21, 21, 22, (40, 36, 32))
    c.rect(23, 21, 24, 22, (40, 36, 32))
    return c


def draw_crate(rng):
    c = Canvas()
    c.rect(6, 27, 27, 29, (0, 0, 0, 70))
    c.rect(5, 7, 26, 27, (150, 108, 60))
    for y in (7, 14, 21):
        c.rect(5, y, 26, y, (110, 76, 40))
    c.rect(5, 7, 7, 27, (120, 84, 44))
    c.rect(24, 7, 26, 27, (120, 84, 44))
    for i in range(18):
        c.put(7 + i, 26 - i, (120, 84, 44))
    return c


def draw_mushrooms(rng):
    c = Canvas()
    for _ in range(4):
        x, y = rng.randint(6, 25), rng.randint(10, 26)
        c.rect(x - 1, y, x, y + 4, (232, 226, 210))
        c.ellipse(x, y, 4, 2.6, (196, 48, 40))
        c.put(x - 2, y - 1, (250, 246, 236))
        c.put(x + 1, y, (250, 246, 236))
    return c


def draw_fallen_log(rng):
    c = Canvas()
    c.ellipse(16, 24, 15, 4, (0, 0, 0, 60))
    c.rect(2, 13, 28, 22, (116, 78, 44))
    c.rect(2, 13, 28, 14, (146, 104, 62))
    c.rect(2, 21, 28, 22, (86, 56, 30))
    for _ in range(6):
        x = rng.randint(4, 24)
        c.rect(x, 16, x + 3, 16, (92, 60, 34))
    c.ellipse(28, 17.5, 3.5, 5, (176, 136, 88))
    c.ellipse(28, 17.5, 1.5, 2.5, (140, 100, 60))
    c.speckle(rng, [(70, 130, 60), (90, 150, 70)], 12, (4, 12, 24, 14))
    return c


def draw_tent(rng):
    c = Canvas()
    c.ellipse(16, 28, 14, 3, (0, 0, 0, 70))
    for y in range(4, 29):
        half = (y - 4) * 14 // 24
        for x in range(16 - half, 16 + half + 1):
            light = x < 16
            c.put(x, y, (148, 120, 78) if light else (118, 92, 58))
    for y in range(16, 29):
        half = (y - 16) * 5 // 12
        c.rect(16 - half, y, 16 + half, y, (40, 30, 22))
    c.rect(15, 2, 16, 5, (90, 60, 32))
    return c


def draw_campfire(rng):
    c = Canvas()
    c.ellipse(16, 18, 13, 12, (255, 150, 40, 40))
    for angle in range(0, 360, 40):
        x = 16 + 10 * math.cos(math.radians(angle))
        y = 21 + 5 * math.sin(math.radians(angle))
        c.ellipse(x, y, 2.5, 2, (120, 116, 110))
    c.rect(9, 20, 23, 22, (96, 62, 32))
    c.ellipse(16, 16, 6, 8, (230, 96, 30))
    c.ellipse(16, 18, 3.5, 5, (252, 196, 64))
    c.ellipse(16, 20, 1.5, 2, (255, 240, 170))
    return c


def draw_tiles():
    rng = random.Random(SEED)
    drawers = {
        "grass": lambda: draw_grass(rng, (88, 158, 66)),
        "grass_dark": lambda: draw_grass(rng, (72, 138, 56)),
        "grass_pebbles": lambda: draw_grass(rng, (88, 158, 66), pebbles=True),
        "dirt": lambda: draw_dirt(rng),
        "sand": lambda: draw_ground(rng, (222, 204, 150), [(206, 186, 132), (236, 222, 174)], 200),
        "water": lambda: draw_water(rng),
        "bridge": lambda: draw_bridge(rng),
        "cobble": lambda: draw_bricks(rng, (150, 148, 140), (98, 96, 92), 8, 8),
        "wood_floor": lambda: draw_wood_floor(rng),
        "stone_wall": lambda: draw_bricks(rng, (128, 128, 138), (72, 72, 80), 16, 8),
        "door": lambda: draw_door(rng),
        "roof": lambda: draw_roof(rng),
        "tree": lambda: draw_tree(rng),
        "pine": lambda: draw_pine(rng),
        "bush": lambda: draw_bush(rng),
        "rock": lambda: draw_rock(rng),
        "flowers_red": lambda: draw_flowers(rng, (222, 52, 64), (250, 220, 80)),
        "flowers_yellow": lambda: draw_flowers(rng, (246, 212, 64), (196, 116, 30)),
        "tall_grass": lambda: draw_tall_grass(rng),
        "fence": lambda: draw_fence(rng),
        "well": lambda: draw_well(rng),
        "market_stall": lambda: draw_market_stall(rng),
        "barrel": lambda: draw_barrel(rng),
        "blocker": lambda: draw_blocker(rng),
        "forest_floor": lambda: draw_forest_floor(rng),
        "gate": lambda: draw_gate(rng),
        "stairs_down": lambda: draw_stairs(rng, down=True),
        "stairs_up": lambda: draw_stairs(rng, down=False),
        "dungeon_floor": lambda: draw_dungeon_floor(rng),
        "dungeon_wall": lambda: draw_dungeon_wall(rng),
        "wall_torch": lambda: draw_wall_torch(rng),
        "rubble": lambda: draw_rubble(rng),
        "cobweb": lambda: draw_cobweb(rng),
        "bones_pile": lambda: draw_bones_pile(rng),
        "crate": lambda: draw_crate(rng),
        "mushrooms": lambda: draw_mushrooms(rng),
        "fallen_log": lambda: draw_fallen_log(rng),
        "tent": lambda: draw_tent(rng),
        "campfire": lambda: draw_campfire(rng),
    }
    return [drawers[name]() for name in TILE_NAMES]


def png_bytes(tiles):
    """An RGBA PNG of the tiles, COLUMNS to a row."""
    rows_of_tiles = -(-len(tiles) // COLUMNS)
    width, height = COLUMNS * TILE, rows_of_tiles * TILE
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for x in range(width):
            index = (y // TILE) * COLUMNS + x // TILE
            raw.extend(tiles[index].px[y % TILE][x % TILE] if index < len(tiles) else (0, 0, 0, 0))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")), width, height

