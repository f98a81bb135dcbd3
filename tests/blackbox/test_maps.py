"""Black box: how Tiled maps are read (clarifications, "Maps (Tiled)", "World")."""

import pytest_twisted

from tests.e2e.tmx import open_field

from .harness import reply_error, reply_ok


def csv(width, height, cells=None):
    """Every cell 1, or (with C{cells}) 2 on those cells and 0 elsewhere."""
    def cell(x, y):
        if cells is None:
            return "1"
        return "2" if (x, y) in cells else "0"
    return ",\n".join(",".join(cell(x, y) for x in range(width)) for y in range(height))


# Tiled 1.9 style: objects carry `class`, off-grid pixel positions; the blocking layer is
# called "walls" and carries the boolean property collision = true.
OLD_TMX = f"""<?xml version="1.0" encoding="UTF-8"?>
<map version="1.9" tiledversion="1.9.2" orientation="orthogonal" renderorder="right-down" width="20" height="20" tilewidth="32" tileheight="32" infinite="0" nextlayerid="4" nextobjectid="3">
 <tileset firstgid="1" source="test.tsx"/>
 <layer id="1" name="ground" width="20" height="20"><data encoding="csv">
{csv(20, 20, None)}
</data></layer>
 <layer id="2" name="walls" width="20" height="20">
  <properties><property name="collision" type="bool" value="true"/></properties>
  <data encoding="csv">
{csv(20, 20, {(4, 4)})}
</data></layer>
 <objectgroup id="3" name="objects">
  <object id="1" class="player_spawn" x="127" y="159"/>
  <object id="2" class="npc_spawn" x="270" y="287"><properties><property name="npc" value="goblin"/></properties></object>
 </objectgroup>
</map>
"""

SERVER = dict(maps={"arena": open_field(width=20, height=20, spawn=(2, 2))},
              files={"maps/old.tmx": OLD_TMX}, start_map="old")


@pytest_twisted.ensureDeferred
async def test_class_attribute_spawn_and_pixel_division(server):
    """A player_spawn given by `class` at pixel (127, 159) puts new players on tile (3, 4)."""
    client = await server.player()
    welcome = client.welcome["payload"]
    assert (welcome["x"], welcome["y"], welcome["map_id"]) == (3, 4, "old")


@pytest_twisted.ensureDeferred
async def test_class_attribute_npc_spawn(server):
    """An npc_spawn given by `class` at pixel (270, 287) places a goblin on tile (8, 8)."""
    client = await server.player()
    npcs = [e for e in client.frames[5]["payload"]["entities"] if e["type"] == "npc"]
    assert [(e["npc_type"], e["x"], e["y"]) for e in npcs] == [("goblin", 8, 8)]


@pytest_twisted.ensureDeferred
async def test_layer_with_collision_property_blocks(server):
    """A tile on a layer with collision = true (not named collision) blocks movement."""
    client = await server.player()
    error = await reply_error(client, "cmd_move", {"direction": "RIGHT"})
    assert error["error_code"] == "MOVEMENT_BLOCKED"
    chunk = (await reply_ok(client, "query_chunks", {"map_id": "old", "chunk_x": 0,
                                                     "chunk_y": 0, "radius": 0}))["chunks"][0]
    assert chunk["collision"][4][4] is True and chunk["collision"][4][3] is False
    assert chunk["tiles"][4][4] == 1   # tiles come from the first tile layer


@pytest_twisted.ensureDeferred
async def test_map_id_is_the_file_stem(server):
    """Every .tmx of --maps is a map named by its file stem."""
    client = await server.player()
    for map_id in ("old", "arena"):
        await reply_ok(client, "query_chunks", {"map_id": map_id, "chunk_x": 0, "chunk_y": 0,
                                                "radius": 0})
