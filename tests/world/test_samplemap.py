"""
Tests for the shipped sample map, maps/samplemap.tmx, and its generator.
"""

import subprocess
import sys
from collections import Counter, deque
from pathlib import Path

import pytest

from rpg.content.tiled import load_map, load_maps

ROOT = Path(__file__).resolve().parents[2]
MAPS = ROOT / "maps"
GENERATED = ["samplemap.tmx", "forest.tmx", "cellar.tmx", "samplemap-tiles.tsx", "samplemap-tiles.png"]


@pytest.fixture(scope="module")
def sample():
    return load_map(MAPS / "samplemap.tmx")


def reachable_from(game_map, start):
    seen, queue = {start}, deque([start])
    while queue:
        x, y = queue.popleft()
        for cell in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if cell not in seen and not game_map.is_blocked(*cell):
                seen.add(cell)
                queue.append(cell)
    return seen


def test_loads_from_the_maps_directory():
    """load_maps finds the sample map under its id."""
    assert "samplemap" in load_maps(MAPS)


def test_size(sample):
    """The sample map is at least 64x64 tiles (it is 96x96) of 32px."""
    assert (sample.width, sample.height, sample.tile_width, sample.tile_height) == (96, 96, 32, 32)


def test_layers(sample):
    """The sample map has ground, detail and collision tile layers."""
    assert [name for name, _ in sample.layers] == ["ground", "detail", "collision"]


def test_no_pvp(sample):
    """The sample map sets pvp = false."""
    assert sample.properties["pvp"] is False and sample.pvp is False


def test_spawn_is_walkable(sample):
    """The player spawn is on a walkable tile in the town square."""
    assert sample.player_spawn == (31, 46)
    assert not sample.is_blocked(*sample.player_spawn)


def test_every_walkable_tile_is_reachable(sample):
    """Every walkable tile is reachable from the spawn: one connected region."""
    walkable = {(x, y) for y in range(sample.height) for x in range(sample.width) if not sample.is_blocked(x, y)}
    assert reachable_from(sample, sample.player_spawn) == walkable
    assert len(walkable) > sample.width * sample.height // 2


def test_both_collision_mechanisms_block(sample):
    """Cells are blocked both by walkable=false tiles and by the collision layer alone."""
    layers = dict(sample.layers)
    by_layer = {(x, y) for y in range(96) for x in range(96) if layers["collision"][y][x]}
    blocked = {(x, y) for y in range(96) for x in range(96) if sample.is_blocked(x, y)}
    assert by_layer and by_layer <= blocked
    assert len(blocked - by_layer) > len(by_layer)


def test_npc_spawns(sample):
    """Goblins (wander 4-6), a pack of giant rats and guards (wander 2) are placed."""
    counts = Counter(spawn.npc for spawn in sample.npc_spawns)
    assert counts["goblin"] >= 3 and 4 <= counts["giant_rat"] <= 6 and 2 <= counts["guard"] <= 3
    assert set(counts) == {"goblin", "giant_rat", "guard"}
    assert {s.wander_radius for s in sample.npc_spawns if s.npc == "goblin"} <= {4, 5, 6}
    assert {s.wander_radius for s in sample.npc_spawns if s.npc == "guard"} == {2}


def test_npc_spawns_reachable(sample):
    """Every NPC spawn stands on a walkable tile reachable from the player spawn."""
    reachable = reachable_from(sample, sample.player_spawn)
    assert all((s.x, s.y) in reachable for s in sample.npc_spawns)


def test_generator_reproduces_committed_files(tmp_path):
    """tools/make_samplemap.py regenerates the committed maps and tileset byte for byte."""
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_samplemap.py"), "--out", str(tmp_path)],
        check=True, capture_output=True,
    )
    assert [(tmp_path / name).read_bytes() == (MAPS / name).read_bytes() for name in GENERATED] == [True] * 5
