"""
Write small Tiled maps for tests from ASCII pictures.

'.' open ground, '#' a wall (on a layer named ``collision``), '~' water (a
tile whose tileset property ``walkable`` is false), 'S' the player spawn,
'g' a goblin spawn, 'r' a giant rat spawn, 'G' a guard spawn.  Portals
are given apart, as C{(x, y, target_map, target_x, target_y)} for a point
object, or with a sixth and seventh item C{(width, height)} in tiles for a
rectangle.
"""

from pathlib import Path

TSX = """<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" tiledversion="1.10.2" name="test" tilewidth="32" tileheight="32" tilecount="4" columns="4">
 <image source="test.png" width="128" height="32"/>
 <tile id="2"><properties><property name="walkable" type="bool" value="false"/></properties></tile>
</tileset>
"""

NPC_LETTERS = {"g": "goblin", "r": "giant_rat", "G": "guard"}


def portal_object(object_id, x, y, target_map, target_x, target_y, width=0, height=0,
                  properties=None):
    """The XML of a portal object at tile (x, y); C{properties} replaces the
    three target properties (to write broken ones)."""
    if properties is None:
        properties = (f'<property name="target_map" value="{target_map}"/>'
                      f'<property name="target_x" type="int" value="{target_x}"/>'
                      f'<property name="target_y" type="int" value="{target_y}"/>')
    shape = (f' width="{width * 32}" height="{height * 32}"' if width else "")
    point = "" if width else "<point/>"
    return (f'<object id="{object_id}" name="to {target_map}" type="portal" x="{x * 32}"'
            f' y="{y * 32}"{shape}><properties>{properties}</properties>{point}</object>')


def write_map(directory, name, picture, pvp=False, wander_radius=0, portals=()):
    rows = [line for line in picture.strip().splitlines()]
    height, width = len(rows), len(rows[0])
    assert all(len(row) == width for row in rows), "ragged picture"
    ground = []
    collision = []
    objects = []
    next_id = 1
    for y, row in enumerate(rows):
        for x, cell in enumerate(row):
            ground.append("3" if cell == "~" else "1")
            collision.append("2" if cell == "#" else "0")
            if cell == "S":
                objects.append(f'<object id="{next_id}" type="player_spawn" x="{x * 32}" y="{y * 32}"/>')
                next_id += 1
            elif cell in NPC_LETTERS:
                objects.append(
                    f'<object id="{next_id}" type="npc_spawn" x="{x * 32}" y="{y * 32}">'
                    f'<properties><property name="npc" value="{NPC_LETTERS[cell]}"/>'
                    f'<property name="wander_radius" type="int" value="{wander_radius}"/>'
                    f'</properties></object>')
                next_id += 1

    for portal in portals:
        objects.append(portal_object(next_id, *portal))
        next_id += 1

    def csv(cells):
        return ",\n".join(",".join(cells[y * width:(y + 1) * width]) for y in range(height))

    tmx = f"""<?xml version="1.0" encoding="UTF-8"?>
<map version="1.10" tiledversion="1.10.2" orientation="orthogonal" renderorder="right-down" width="{width}" height="{height}" tilewidth="32" tileheight="32" infinite="0" nextlayerid="4" nextobjectid="{next_id}">
 <properties><property name="pvp" type="bool" value="{'true' if pvp else 'false'}"/></properties>
 <tileset firstgid="1" source="test.tsx"/>
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
    (directory / "test.tsx").write_text(TSX)
    (directory / f"{name}.tmx").write_text(tmx)
    return directory


def open_field(width=64, height=64, spawn=(5, 5), walls=(), water=(), npcs=()):
    """A picture of an open field with a few features; npcs are (letter, x, y);
    C{spawn=None}: no player_spawn."""
    grid = [["."] * width for _ in range(height)]
    for x, y in walls:
        grid[y][x] = "#"
    for x, y in water:
        grid[y][x] = "~"
    for letter, x, y in npcs:
        grid[y][x] = letter
    if spawn is not None:
        grid[spawn[1]][spawn[0]] = "S"
    return "\n".join("".join(row) for row in grid)
