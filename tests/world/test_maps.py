"""
Tests for the TMX loader, L{rpg.world.maps}.
"""

import base64
import re
import zlib
from pathlib import Path

import pytest

from rpg.content.tiled import load_map, load_maps
from rpg.world.maps import MapError, NpcSpawn

FIXTURES = Path(__file__).parent / "fixtures"

TILESET = """
 <tileset firstgid="1" name="t" tilewidth="16" tileheight="16" tilecount="4" columns="2">
  <tile id="1"><properties><property name="walkable" type="bool" value="false"/></properties></tile>
 </tileset>"""

CSV_LAYER = """
 <layer id="1" name="ground" width="4" height="3">
  <data encoding="csv">1,1,1,1,
1,2,1,1,
1,1,1,1</data>
 </layer>"""


def tmx(layers=CSV_LAYER, tilesets=TILESET, objects="", attrs="", props=""):
    """A small 4x3 map of 16px tiles; gid 2 is not walkable."""
    attrs = attrs or 'orientation="orthogonal" width="4" height="3" tilewidth="16" tileheight="16"'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<map version="1.10" {attrs} infinite="0">'
        f"<properties>{props}</properties>{tilesets}{layers}"
        f'<objectgroup id="9" name="objects">{objects}</objectgroup></map>'
    )


def write(tmp_path, text, name="test.tmx"):
    path = tmp_path / name
    path.write_text(text)
    return path


def layer(data, encoding="", compression="", name="ground"):
    enc = f' encoding="{encoding}"' if encoding else ""
    comp = f' compression="{compression}"' if compression else ""
    return f'<layer id="1" name="{name}" width="4" height="3"><data{enc}{comp}>{data}</data></layer>'


def spawn(kind, x, y, props="", attr="type"):
    return f'<object id="1" {attr}="{kind}" x="{x}" y="{y}"><properties>{props}</properties></object>'


@pytest.fixture(scope="module")
def small():
    return load_map(FIXTURES / "small.tmx")


def test_size_and_id(small):
    """The map id is the file stem and the size comes from the map element."""
    assert (small.map_id, small.width, small.height, small.tile_width) == ("small", 20, 18, 32)


def test_layers_in_document_order_with_groups_flattened(small):
    """Every tile layer, collision ones and those inside groups included, is kept in order."""
    assert [name for name, _ in small.layers] == ["ground", "detail", "Collision", "marks", "roof"]


def test_csv_layer(small):
    """A CSV layer is read row by row as rows[y][x]."""
    rows = dict(small.layers)["ground"]
    assert (rows[0][0], rows[5][5], len(rows), len(rows[0])) == (1, 3, 18, 20)


def test_base64_zlib_layer(small):
    """A base64 zlib layer decodes to its gids."""
    rows = dict(small.layers)["detail"]
    assert (rows[2][2], rows[2][3], sum(map(sum, rows))) == (5, 6, 11)


def test_base64_gzip_layer(small):
    """A base64 gzip layer decodes to its gids."""
    rows = dict(small.layers)["Collision"]
    assert (rows[10][10], sum(map(sum, rows))) == (1, 1)


def test_base64_uncompressed_layer(small):
    """An uncompressed base64 layer decodes to its gids."""
    rows = dict(small.layers)["marks"]
    assert (rows[12][12], sum(map(sum, rows))) == (4, 4)


def test_flip_flags_masked(small):
    """The three flip bits are masked off every gid."""
    rows = dict(small.layers)["ground"]
    assert (rows[5][6], rows[5][7], rows[0][19]) == (1, 3, 4)


def test_blocked_cells(small):
    """Exactly the cells of the clarified collision rule are blocked."""
    blocked = {(x, y) for y in range(small.height) for x in range(small.width) if small.is_blocked(x, y)}
    # water (both), rock, Collision layer, marks layer; not the flower, not the roof layer
    assert blocked == {(5, 5), (7, 5), (2, 2), (10, 10), (12, 12)}


def test_off_map_is_blocked(small):
    """is_blocked is true off the map."""
    assert small.is_blocked(-1, 0) and small.is_blocked(20, 0) and small.is_blocked(0, 18)


def test_map_properties(small):
    """Map properties are typed by their Tiled type; pvp is read."""
    assert small.pvp is True
    assert small.properties == {
        "pvp": True, "difficulty": 3, "gravity": 9.5, "title": "Small", "motto": "many\nlines",
    }


def test_tilesets(small):
    """External and embedded tilesets are listed by firstgid."""
    assert [(t.firstgid, t.name, t.tile_count, t.image) for t in small.tilesets] == [
        (1, "tiny", 4, "tiny.png"), (5, "extra", 2, "extra.png"),
    ]


def test_first_player_spawn_wins(small):
    """The first player_spawn object, in tiles, is the spawn."""
    assert small.player_spawn == (1, 1)


def test_npc_spawns_by_type_and_class(small):
    """npc_spawn objects are read whether marked by type (1.10) or class (1.9)."""
    assert small.npc_spawns == [
        NpcSpawn(npc="goblin", x=8, y=8, wander_radius=3),
        NpcSpawn(npc="giant_rat", x=9, y=9, wander_radius=0),
    ]


def test_player_spawn_by_class(tmp_path):
    """A player_spawn marked with the class attribute is found."""
    game_map = load_map(write(tmp_path, tmx(objects=spawn("player_spawn", 40, 20, attr="class"))))
    assert game_map.player_spawn == (2, 1)


def test_xml_encoded_layer(tmp_path):
    """A layer of <tile gid> elements is read."""
    tiles = "".join(f'<tile gid="{gid}"/>' for gid in [1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4])
    rows = load_map(write(tmp_path, tmx(layers=layer(tiles)))).layers[0][1]
    assert rows == ((1, 0, 0, 0), (0, 3, 0, 0), (0, 0, 0, 4))


def test_missing_spawn_falls_back_to_centre(tmp_path):
    """Without a player_spawn the centre tile is the spawn when walkable."""
    assert load_map(write(tmp_path, tmx())).player_spawn == (2, 1)


def test_missing_spawn_falls_back_to_nearest_walkable(tmp_path):
    """Without a player_spawn the first walkable tile around a blocked centre is used."""
    data = "0,0,0,0,\n0,2,2,2,\n0,2,2,2"
    game_map = load_map(write(tmp_path, tmx(layers=layer(data, "csv"))))
    assert game_map.player_spawn == (1, 0)


def test_pvp_defaults_false(tmp_path):
    """A map without the pvp property does not allow pvp."""
    assert load_map(write(tmp_path, tmx())).pvp is False


def test_walkable_false_on_any_layer(tmp_path):
    """A walkable=false tile blocks its cell on a layer that is not a collision layer."""
    layers = layer("0,0,0,0,0,0,0,0,0,0,0,0", "csv") + layer("0,0,0,2,0,0,0,0,0,0,0,0", "csv", name="top")
    game_map = load_map(write(tmp_path, tmx(layers=layers)))
    assert [game_map.is_blocked(x, 0) for x in range(4)] == [False, False, False, True]


def test_load_maps_keys_by_stem(tmp_path):
    """load_maps loads every *.tmx of a directory, keyed by stem, ignoring other files."""
    write(tmp_path, tmx(), "east.tmx")
    write(tmp_path, tmx(), "west.tmx")
    write(tmp_path, "not a map", "notes.txt")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", tmx(), "deep.tmx")
    maps = load_maps(tmp_path)
    assert {k: v.map_id for k, v in maps.items()} == {"east": "east", "west": "west"}


def test_load_maps_empty_directory(tmp_path):
    """A directory without maps is refused."""
    with pytest.raises(MapError, match="no \\*.tmx"):
        load_maps(tmp_path)


def test_load_maps_missing_directory(tmp_path):
    """A missing directory is refused with its name."""
    with pytest.raises(MapError, match="nowhere"):
        load_maps(tmp_path / "nowhere")


def test_load_maps_reports_broken_map(tmp_path):
    """load_maps fails on a broken map, naming it."""
    write(tmp_path, tmx(), "good.tmx")
    write(tmp_path, "<map", "bad.tmx")
    with pytest.raises(MapError, match="bad.tmx: "):
        load_maps(tmp_path)


def test_missing_external_tileset(tmp_path):
    """A missing external tileset is named in the map's error."""
    path = write(tmp_path, tmx(tilesets='<tileset firstgid="1" source="gone.tsx"/>'))
    with pytest.raises(MapError, match=r"test.tmx: external tileset gone.tsx not found"):
        load_map(path)


def test_broken_external_tileset(tmp_path):
    """An external tileset that is not XML is named in the map's error."""
    write(tmp_path, "<tileset", "bad.tsx")
    path = write(tmp_path, tmx(tilesets='<tileset firstgid="1" source="bad.tsx"/>'))
    with pytest.raises(MapError, match=r"test.tmx: external tileset bad.tsx is not valid XML"):
        load_map(path)


def _zlib(payload):
    return base64.b64encode(zlib.compress(payload)).decode()


BROKEN = {
    "bad XML": ("<map", "not valid XML"),
    "not a map": ("<tileset/>", "not <map>"),
    "isometric": (tmx(attrs='orientation="isometric" width="4" height="3" tilewidth="16" '
                            'tileheight="16"'), "only orthogonal"),
    "infinite": (tmx().replace('infinite="0"', 'infinite="1"'), "infinite maps are not supported"),
    "no width": (tmx(attrs='orientation="orthogonal" height="3" tilewidth="16" tileheight="16"'),
                 "lacks the attribute width"),
    "bad width": (tmx(attrs='orientation="orthogonal" width="four" height="3" tilewidth="16" '
                            'tileheight="16"'), "width='four' is not an integer"),
    "zero width": (tmx(attrs='orientation="orthogonal" width="0" height="3" tilewidth="16" '
                             'tileheight="16"'), "width=0 is below 1"),
    "short csv": (tmx(layers=layer("1,1,1", "csv")), "has 3 tiles, expected 12"),
    "csv text": (tmx(layers=layer("1,a,1,1,1,1,1,1,1,1,1,1", "csv")), "not an integer"),
    "negative gid": (tmx(layers=layer("1,-1,1,1,1,1,1,1,1,1,1,1", "csv")), r"outside 0\.\.2\^32-1"),
    "unknown encoding": (tmx(layers=layer("x", "hex")), "unknown encoding 'hex'"),
    "unknown compression": (tmx(layers=layer(_zlib(bytes(48)), "base64", "zstd")),
                            "unsupported compression 'zstd'"),
    "csv compressed": (tmx(layers=layer("1", "csv", "zlib")), "compression needs base64"),
    "bad base64": (tmx(layers=layer("!!!", "base64")), "not valid base64"),
    "bad zlib": (tmx(layers=layer(base64.b64encode(b"nonsense").decode(), "base64", "zlib")),
                 "not valid zlib"),
    "bad gzip": (tmx(layers=layer(base64.b64encode(b"nonsense").decode(), "base64", "gzip")),
                 "not valid gzip"),
    "short base64": (tmx(layers=layer(_zlib(bytes(44)), "base64", "zlib")), "has 11 tiles"),
    "odd base64": (tmx(layers=layer(_zlib(bytes(46)), "base64", "zlib")), "not a multiple of 4"),
    "layer size": (tmx(layers=CSV_LAYER.replace('width="4"', 'width="5"')), "is not 4x3 like the map"),
    "no data": (tmx(layers='<layer id="1" name="ground" width="4" height="3"/>'), "has no <data>"),
    "no tile layer": (tmx(layers=""), "no tile layer"),
    "gid without tileset": (tmx(layers=layer("1,1,1,1,1,9,1,1,1,1,1,1", "csv")),
                            "gid 9 belongs to no tileset"),
    "no tilecount": (tmx(tilesets=TILESET.replace('tilecount="4"', "")),
                     "tileset 't': <tileset> lacks the attribute tilecount"),
    "walkable string": (tmx(tilesets=TILESET.replace('type="bool" ', "")),
                        "property walkable must be of type bool"),
    "collision string": (tmx(layers=CSV_LAYER.replace(
        "<data", '<properties><property name="collision" value="yes"/></properties><data')),
        "property collision must be of type bool"),
    "pvp string": (tmx(props='<property name="pvp" value="true"/>'), "pvp must be of type bool"),
    "bad bool": (tmx(props='<property name="pvp" type="bool" value="yes"/>'),
                 "bool property pvp has the value 'yes'"),
    "bad int": (tmx(props='<property name="level" type="int" value="x"/>'), "int property level"),
    "bad float": (tmx(props='<property name="g" type="float" value="x"/>'), "float property g"),
    "spawn blocked": (tmx(objects=spawn("player_spawn", 20, 20)),
                      r"player_spawn object 1 at tile \(1, 1\) is on a blocked tile"),
    "spawn outside": (tmx(objects=spawn("player_spawn", 64, 0)), "is outside the map"),
    "npc blocked": (tmx(objects=spawn("npc_spawn", 16, 16, '<property name="npc" value="rat"/>')),
                    "npc_spawn object 1 at tile \\(1, 1\\) is on a blocked tile"),
    "npc without id": (tmx(objects=spawn("npc_spawn", 0, 0)), "needs a non-empty string property npc"),
    "npc id int": (tmx(objects=spawn("npc_spawn", 0, 0, '<property name="npc" type="int" value="3"/>')),
                   "needs a non-empty string property npc"),
    "wander string": (tmx(objects=spawn("npc_spawn", 0, 0, '<property name="npc" value="rat"/>'
                                        '<property name="wander_radius" value="4"/>')),
                      "wander_radius must be a non-negative int"),
    "wander negative": (tmx(objects=spawn("npc_spawn", 0, 0, '<property name="npc" value="rat"/>'
                                          '<property name="wander_radius" type="int" value="-1"/>')),
                        "wander_radius must be a non-negative int"),
    "bad object x": (tmx(objects=spawn("player_spawn", "left", 0)), "x='left' is not a number"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_map_names_file_and_fault(tmp_path, case):
    """Each fault raises one line of MapError naming the file and the fault."""
    text, fault = BROKEN[case]
    path = write(tmp_path, text)
    with pytest.raises(MapError, match=f"^{re.escape(str(tmp_path))}/test.tmx: .*{fault}") as info:
        load_map(path)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    """A missing map file is named."""
    with pytest.raises(MapError, match="absent.tmx: map file not found"):
        load_map(tmp_path / "absent.tmx")


# -- portals
def portal(object_id=5, x=0, y=0, props=None, size="", attr="type", name="door", point=True):
    """A portal object at pixel (x, y); C{props} replaces the target properties."""
    if props is None:
        props = ('<property name="target_map" value="other"/>'
                 '<property name="target_x" type="int" value="3"/>'
                 '<property name="target_y" type="int" value="0"/>')
    shape = "<point/>" if point and not size else ""
    return (f'<object id="{object_id}" name="{name}" {attr}="portal" x="{x}" y="{y}" {size}>'
            f"<properties>{props}</properties>{shape}</object>")


def two_maps(tmp_path, here, there=""):
    """A directory with test.tmx holding the objects C{here} and other.tmx holding C{there}."""
    write(tmp_path, tmx(objects=here), "test.tmx")
    write(tmp_path, tmx(objects=there), "other.tmx")
    return tmp_path


def test_point_portal_covers_its_one_tile(tmp_path):
    """A point portal (type or class) covers the tile its pixel position falls in."""
    maps = load_maps(two_maps(tmp_path, portal(x=40, y=20) + portal(6, 8, 8, attr="class")))
    portals = maps["test"].portals
    assert sorted(portals) == [(0, 0), (2, 1)]
    assert (portals[(2, 1)].target_map, portals[(2, 1)].target_x,
            portals[(2, 1)].target_y) == ("other", 3, 0)
    assert portals[(2, 1)].label == "portal object 5 'door'"


def test_rectangle_portal_covers_every_tile_of_its_box(tmp_path):
    """A rectangle covers each tile it touches: 16,0 + 32x20 covers x 1-2, y 0-1."""
    maps = load_maps(two_maps(tmp_path, portal(x=16, y=0, size='width="32" height="20"')))
    assert sorted(maps["test"].portals) == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert len(set(maps["test"].portals.values())) == 1


@pytest.mark.parametrize("props, fault", [
    ("", "portal object 5 'door' needs a non-empty string property target_map"),
    ('<property name="target_map" value="other"/><property name="target_y" type="int" value="0"/>',
     "portal object 5 'door' needs an int property target_x"),
    ('<property name="target_map" value="other"/><property name="target_x" value="3"/>'
     '<property name="target_y" type="int" value="0"/>',
     "portal object 5 'door' needs an int property target_x"),
    ('<property name="target_map" type="int" value="1"/>',
     "portal object 5 'door' needs a non-empty string property target_map"),
    ('<property name="target_map" value="other"/><property name="target_x" type="int" value="x"/>',
     "portal object 5 'door': int property target_x has the value 'x'"),
])
def test_portal_properties_missing_or_mistyped(tmp_path, props, fault):
    """A portal without its three properties, or with the wrong types, is refused, named."""
    path = write(tmp_path, tmx(objects=portal(props=props)))
    with pytest.raises(MapError) as refused:
        load_map(path)
    assert str(refused.value) == f"{path}: {fault}"


@pytest.mark.parametrize("objects, fault", [
    (portal(x=64, y=0), "covers tile (4, 0), outside the map"),
    (portal(x=16, y=16), "covers only blocked tiles: no one can step on it"),
    (portal(x=0, y=0, size='width="32" height="16"') + portal(6, 16, 0, name="hatch"),
     "portal object 6 'hatch' overlaps portal object 5 'door' at tile (1, 0)"),
])
def test_portal_tiles_must_be_usable(tmp_path, objects, fault):
    """A portal off the map, wholly blocked, or overlapping another is refused."""
    path = write(tmp_path, tmx(objects=objects))
    with pytest.raises(MapError, match=re.escape(fault)):
        load_map(path)


@pytest.mark.parametrize("target, there, fault", [
    (("nowhere", 0, 0), "",
     "portal object 5 'door': target_map 'nowhere' is not a loaded map (known: other, test)"),
    (("other", 4, 0), "",
     "portal object 5 'door': target tile (4, 0) of map 'other' is outside the map (4x3)"),
    (("other", 1, 1), "", "portal object 5 'door': target tile (1, 1) of map 'other' is blocked"),
    (("other", 3, 0), portal(x=48, y=0, props=(
        '<property name="target_map" value="test"/><property name="target_x" type="int" value="2"/>'
        '<property name="target_y" type="int" value="2"/>')),
     "portal object 5 'door': target tile (3, 0) of map 'other' is itself a portal"),
])
def test_portal_that_leads_nowhere_stops_loading(tmp_path, target, there, fault):
    """load_maps refuses a portal whose target map is unknown, or whose target tile is
    off that map, blocked or a portal, in one line naming the file and the object."""
    target_map, x, y = target
    props = (f'<property name="target_map" value="{target_map}"/>'
             f'<property name="target_x" type="int" value="{x}"/>'
             f'<property name="target_y" type="int" value="{y}"/>')
    two_maps(tmp_path, portal(props=props), there)
    with pytest.raises(MapError) as refused:
        load_maps(tmp_path)
    assert str(refused.value) == f"{tmp_path / 'test.tmx'}: {fault}"
    assert "\n" not in str(refused.value)


def test_map_without_player_spawn_says_so(tmp_path):
    """has_player_spawn tells a declared spawn from the fallback near the centre."""
    declared = load_map(write(tmp_path, tmx(objects=spawn("player_spawn", 0, 0)), "a.tmx"))
    fallback = load_map(write(tmp_path, tmx(), "b.tmx"))
    assert declared.has_player_spawn and not fallback.has_player_spawn
