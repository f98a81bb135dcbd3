"""
Small Tiled maps for tests, drawn as ASCII pictures, and the shipped content
files to build on.
"""

from pathlib import Path
from xml.sax.saxutils import quoteattr

from rpg.tap import default_maps_dir

TILE = 32
TILESET = "rpg-testing.tsx"
_TSX = """<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" tiledversion="1.10.2" name="rpg-testing" tilewidth="32" tileheight="32" tilecount="4" columns="4">
 <image source="rpg-testing.png" width="128" height="32"/>
 <tile id="2"><properties><property name="walkable" type="bool" value="false"/></properties></tile>
</tileset>
"""


def shipped_content(name):
    """
    The text of a content file that ships with rpg (C{"items.toml"},
    C{"npcs.toml"}): a maps directory's own file replaces it whole, so start
    from this one and add to it.
    """
    return (Path(default_maps_dir()) / name).read_text(encoding="utf-8")


def _property(name, value):
    kind = "int" if isinstance(value, int) and not isinstance(value, bool) else \
        "bool" if isinstance(value, bool) else "string"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f'<property name={quoteattr(name)} type="{kind}" value={quoteattr(text)}/>'


def write_map(directory, map_id, picture, *, npcs=None, portals=(), pvp=False,
              wander_radius=0):
    """
    Write C{<directory>/<map_id>.tmx} (and its tileset) from a picture, one
    character a tile: C{.} open ground, C{#} a wall (the C{collision} layer),
    C{~} water (a tile its tileset marks not walkable), C{S} the player spawn,
    and any letter of C{npcs} an C{npc_spawn} of that NPC kind.

    @param npcs: letter -> NPC key, e.g. C{{"g": "goblin"}}.
    @param portals: dicts with C{x}, C{y}, C{target_map}, C{target_x},
        C{target_y}: C{portal} objects on those tiles.
    @param pvp: the map's C{pvp} property.
    @param wander_radius: every NPC spawn's C{wander_radius}.
    @return: C{directory}, as a L{Path}, to pass as C{GameHarness(maps=...)}.
    """
    npcs = dict(npcs or {})
    rows = picture.strip().splitlines()
    height, width = len(rows), len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError("every row of the picture must be as long as the first")
    ground, collision, objects = [], [], []

    def add_object(kind, x, y, properties):
        props = "".join(_property(k, v) for k, v in properties.items())
        objects.append(f'<object id="{len(objects) + 1}" type="{kind}" x="{x * TILE}" '
                       f'y="{y * TILE}"><properties>{props}</properties></object>')

    for y, row in enumerate(rows):
        for x, cell in enumerate(row):
            ground.append("3" if cell == "~" else "1")
            collision.append("2" if cell == "#" else "0")
            if cell == "S":
                add_object("player_spawn", x, y, {})
            elif cell in npcs:
                add_object("npc_spawn", x, y, {"npc": npcs[cell], "wander_radius": wander_radius})
            elif cell not in ".#~":
                raise ValueError(f"picture: {cell!r} at {x},{y} is not a tile or a letter of npcs")
    for portal in portals:
        add_object("portal", portal["x"], portal["y"], {
            "target_map": portal["target_map"], "target_x": portal["target_x"],
            "target_y": portal["target_y"]})

    def csv(cells):
        return ",\n".join(",".join(cells[y * width:(y + 1) * width]) for y in range(height))

    tmx = f"""<?xml version="1.0" encoding="UTF-8"?>
<map version="1.10" tiledversion="1.10.2" orientation="orthogonal" renderorder="right-down" width="{width}" height="{height}" tilewidth="{TILE}" tileheight="{TILE}" infinite="0" nextlayerid="4" nextobjectid="{len(objects) + 1}">
 <properties>{_property("pvp", bool(pvp))}</properties>
 <tileset firstgid="1" source="{TILESET}"/>
 <layer id="1" name="ground" width="{width}" height="{height}"><data encoding="csv">
{csv(ground)}
</data></layer>
 <layer id="2" name="collision" width="{width}" height="{height}"><data encoding="csv">
{csv(collision)}
</data></layer>
 <objectgroup id="3" name="objects">
  {"".join(objects)}
 </objectgroup>
</map>
"""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / TILESET).write_text(_TSX, encoding="utf-8")
    (directory / f"{map_id}.tmx").write_text(tmx, encoding="utf-8")
    return directory
