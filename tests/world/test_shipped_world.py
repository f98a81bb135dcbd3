"""
Tests for the shipped world: every map in maps/, the portals that join them,
and the NPCs placed on them.  Portals are read from the TMX files themselves,
as a map author sees them in Tiled.
"""

import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path

import pytest

from rpg.content.tables import load_npcs
from rpg.content.tiled import load_maps

ROOT = Path(__file__).resolve().parents[2]
MAPS = ROOT / "maps"


@pytest.fixture(scope="module")
def world():
    return load_maps(MAPS)


def portals_of(map_id):
    """[(name, tiles, target_map, (target_x, target_y))] of a map's portal objects."""
    root = ET.parse(MAPS / f"{map_id}.tmx").getroot()
    tile_w, tile_h = int(root.get("tilewidth")), int(root.get("tileheight"))
    found = []
    for obj in root.iter("object"):
        if (obj.get("type") or obj.get("class")) != "portal":
            continue
        props = {p.get("name"): p.get("value") for p in obj.iter("property")}
        x0, y0 = int(float(obj.get("x"))) // tile_w, int(float(obj.get("y"))) // tile_h
        x1 = (int(float(obj.get("x"))) + int(float(obj.get("width", 0))) - 1) // tile_w
        y1 = (int(float(obj.get("y"))) + int(float(obj.get("height", 0))) - 1) // tile_h
        tiles = {(x, y) for y in range(y0, max(y0, y1) + 1) for x in range(x0, max(x0, x1) + 1)}
        found.append((obj.get("name"), tiles, props["target_map"],
                      (int(props["target_x"]), int(props["target_y"]))))
    return found


def reachable_from(game_map, start, avoid=frozenset()):
    seen, queue = {start}, deque([start])
    while queue:
        x, y = queue.popleft()
        for cell in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if cell not in seen and not game_map.is_blocked(*cell):
                seen.add(cell)
                if cell not in avoid:
                    queue.append(cell)
    return seen


def test_three_maps_are_shipped(world):
    """maps/ holds the town (samplemap), the forest and the cellar, each with a display name."""
    assert set(world) == {"samplemap", "forest", "cellar"}
    assert {m: world[m].properties["name"] for m in world} == {
        "samplemap": "Millbrook", "forest": "The Darkwood", "cellar": "Millbrook Cellars"}


@pytest.mark.parametrize("map_id", ["forest", "cellar"])
def test_spawn_walkable_and_every_walkable_tile_reachable(world, map_id):
    """Each new map has its own player_spawn, from which every walkable tile can be reached."""
    game_map = world[map_id]
    walkable = {(x, y) for y in range(game_map.height) for x in range(game_map.width)
                if not game_map.is_blocked(x, y)}
    assert game_map.player_spawn in walkable
    assert reachable_from(game_map, game_map.player_spawn) == walkable


@pytest.mark.parametrize("map_id", ["samplemap", "forest", "cellar"])
def test_portals_lead_to_open_tiles_that_are_not_portals(world, map_id):
    """Every portal's tiles are walkable, and its target is a walkable tile, on a known map, off any portal."""
    portals = portals_of(map_id)
    assert portals
    for name, tiles, target_map, target in portals:
        assert all(not world[map_id].is_blocked(*tile) for tile in tiles), name
        assert target_map in world, name
        assert not world[target_map].is_blocked(*target), name
        assert all(target not in other_tiles for _, other_tiles, _, _ in portals_of(target_map)), name


@pytest.mark.parametrize("map_id", ["samplemap", "forest", "cellar"])
def test_every_portal_has_a_way_back_next_to_its_arrival(world, map_id):
    """Arriving through a portal, a player stands next to a portal that leads back to the tile beside the first."""
    for name, tiles, target_map, (tx, ty) in portals_of(map_id):
        back = [(other_tiles, dest) for _, other_tiles, dest_map, dest in portals_of(target_map)
                if dest_map == map_id and any(abs(tx - x) + abs(ty - y) == 1 for x, y in other_tiles)]
        assert len(back) == 1, name
        (x, y) = back[0][1]
        assert any(abs(x - px) + abs(y - py) == 1 for px, py in tiles), name


@pytest.mark.parametrize("map_id", ["samplemap", "forest", "cellar"])
def test_portals_and_npcs_reachable_from_the_spawn_without_crossing_a_portal(world, map_id):
    """From its spawn, a map's portals and NPC spawns can be walked to without stepping on another portal."""
    game_map = world[map_id]
    portal_tiles = set().union(*(tiles for _, tiles, _, _ in portals_of(map_id)))
    reachable = reachable_from(game_map, game_map.player_spawn, avoid=portal_tiles)
    assert portal_tiles <= reachable
    assert all((s.x, s.y) in reachable for s in game_map.npc_spawns)


def test_every_map_reachable_from_the_town_through_portals():
    """Following portals from the town reaches every shipped map."""
    seen, queue = {"samplemap"}, deque(["samplemap"])
    while queue:
        for _, _, target_map, _ in portals_of(queue.popleft()):
            if target_map not in seen:
                seen.add(target_map)
                queue.append(target_map)
    assert seen == {p.stem for p in MAPS.glob("*.tmx")}


def test_npcs_of_the_new_maps(world):
    """The forest has goblins and wolves, the cellar giant rats and skeletons; all defined with loot."""
    npcs = load_npcs(MAPS / "npcs.toml")
    kinds = {m: {s.npc for s in world[m].npc_spawns} for m in ("forest", "cellar")}
    assert kinds == {"forest": {"goblin", "wolf"}, "cellar": {"giant_rat", "skeleton"}}
    for kind in ("wolf", "skeleton"):
        assert npcs[kind].attackable and npcs[kind].aggressive and npcs[kind].loot


@pytest.mark.parametrize("map_id", ["samplemap", "forest", "cellar"])
def test_the_loader_reads_the_same_portals(world, map_id):
    """The server's loader finds the portals these tests read from the TMX, tile for tile and target for target."""
    expected = {tile: (target_map, target) for _, tiles, target_map, target in portals_of(map_id) for tile in tiles}
    loaded = {tile: (p.target_map, (p.target_x, p.target_y)) for tile, p in world[map_id].portals.items()}
    assert loaded == expected
