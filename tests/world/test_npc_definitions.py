"""
Tests for L{rpg.world.npc_definitions}: loading NPC definitions, and loot.
"""

import pathlib
import random
import tomllib
from collections import Counter

import pytest

from rpg.content.tables import load_npcs
from rpg.world.npc_definitions import LootEntry, NpcContentError, NpcDef, parse_npcs, roll_loot

ROOT = pathlib.Path(__file__).resolve().parents[2]
NPCS_FILE = ROOT / "maps" / "npcs.toml"
ITEMS_FILE = ROOT / "maps" / "items.toml"


# -- loading

def write(tmp_path, text):
    path = tmp_path / "npcs.toml"
    path.write_text(text)
    return path


def faults_of(tmp_path, text, known=None):
    with pytest.raises(NpcContentError) as info:
        load_npcs(write(tmp_path, text), known)
    return info.value.faults


def test_shipped_file_loads_against_shipped_items():
    """maps/npcs.toml loads, its loot naming only items of maps/items.toml."""
    with open(ITEMS_FILE, "rb") as f:
        keys = {item["key"] for item in tomllib.load(f)["items"]}
    npcs = load_npcs(NPCS_FILE, keys)
    assert {"goblin", "giant_rat", "guard"} <= set(npcs)
    assert npcs["goblin"].attackable and not npcs["goblin"].aggressive
    assert npcs["giant_rat"].aggressive and npcs["giant_rat"].aggression_radius == 3
    assert not npcs["guard"].attackable


def test_defaults_and_normalised_stats(tmp_path):
    """Absent fields take their defaults; stats hold all ten keys, absent ones 0."""
    npcs = load_npcs(write(tmp_path, """
[imp]
name = "Imp"
attackable = true
hitpoints = 3
stats = { strength_bonus = 2 }
loot = [{ item = "coins", quantity = [2, 9], chance = 0.5 }, { item = "bones" }]
"""))
    imp = npcs["imp"]
    assert (imp.aggressive, imp.wander_radius, imp.attack_speed, imp.attack_style) == (
        False, 0, 4, "crush")
    assert len(imp.stats) == 10 and imp.stats["strength_bonus"] == 2
    assert imp.stats["defence_bonus_crush"] == 0
    assert imp.loot == (LootEntry("coins", 2, 9, 0.5), LootEntry("bones", 1, 1, 1.0))
    assert imp.fighter().strength == 1 and imp.fighter().stats["strength_bonus"] == 2


def test_every_fault_listed_one_line_each(tmp_path):
    """A broken file lists every fault, each on its own line naming the file and the NPC."""
    path = write(tmp_path, """
[Bad-Key]
name = "x"
attackable = true
hitpoints = 1

[rat]
name = ""
attackable = "yes"
hitpoints = 0
attack = 100
attack_style = "magic"
attack_speed = 0
move_interval_s = 0
respawn_s = -1
aggressive = true
aggression_radius = 0
leash_distance = -2
colour = "grey"
stats = { luck = 3, strength_bonus = 1.5 }
loot = [{ item = "cake", quantity = [5, 2], chance = 2 }, { item = "coins", quantity = "lots" }, "x"]

[ghost]
attackable = false
""")
    with pytest.raises(NpcContentError) as info:
        load_npcs(path, known_item_keys={"coins"})
    faults = info.value.faults
    assert str(info.value) == "\n".join(faults)
    assert all(line.startswith(f"{path}: [") for line in faults)
    text = str(info.value)
    for expected in ["[Bad-Key]: key must be", "name must be a non-empty string",
                     "attackable must be true or false", "hitpoints must be an integer",
                     "attack must be a level", "attack_style must be one of",
                     "attack_speed must be", "move_interval_s must be",
                     "respawn_s must be", "needs aggression_radius",
                     "leash_distance must be", "unknown field 'colour'",
                     "unknown stat 'luck'", "stat strength_bonus must be an integer",
                     "loot[0]: unknown item 'cake'", "loot[0]: quantity must be at least 1",
                     "loot[0]: chance must be", "loot[1]: quantity must be an integer",
                     "loot[2] must be a table", "[ghost]: missing name",
                     "[ghost]: missing hitpoints"]:
        assert expected in text, expected


def test_unknown_loot_items_pass_without_known_keys(tmp_path):
    """Without a set of known item keys, loot item keys are not checked."""
    npcs = load_npcs(write(tmp_path, """
[imp]
name = "Imp"
attackable = true
hitpoints = 3
loot = [{ item = "cake" }]
"""))
    assert npcs["imp"].loot[0].item == "cake"


def test_unreadable_and_invalid_files(tmp_path):
    """A missing file, bad TOML, or an empty file each give one line naming the file."""
    missing = tmp_path / "none.toml"
    with pytest.raises(NpcContentError) as info:
        load_npcs(missing)
    assert str(info.value).startswith(f"{missing}: cannot read")
    bad = faults_of(tmp_path, "[rat\n")
    assert len(bad) == 1 and bad[0].startswith(f"{tmp_path / 'npcs.toml'}: not valid TOML")
    assert faults_of(tmp_path, "") == [f"{tmp_path / 'npcs.toml'}: defines no NPC"]


def test_parse_npcs_from_data():
    """parse_npcs takes an already parsed document and names the given source."""
    with pytest.raises(NpcContentError) as info:
        parse_npcs({"rat": {"name": "Rat"}}, source="inline")
    assert info.value.faults == ["inline: [rat]: missing attackable",
                                 "inline: [rat]: missing hitpoints"]


# -- loot

def test_loot_always_and_never():
    """Chance 1 always drops, chance 0 never; a fixed quantity is used as is."""
    npc = NpcDef(key="x", name="X", attackable=True, hitpoints=1,
                 loot=(LootEntry("bones", 1, 1, 1.0), LootEntry("rune_sword", 1, 1, 0.0)))
    rng = random.Random(4)
    for _ in range(200):
        assert roll_loot(npc, rng) == [("bones", 1)]


def test_loot_chances_and_quantities_with_seed():
    """Over seeded kills, drop rates follow the chances and quantities stay in range."""
    npc = NpcDef(key="x", name="X", attackable=True, hitpoints=1,
                 loot=(LootEntry("coins", 1, 15, 0.6), LootEntry("bread", 1, 1, 0.1)))
    rng = random.Random(11)
    counts = Counter()
    for _ in range(10000):
        for item, quantity in roll_loot(npc, rng):
            counts[item] += 1
            if item == "coins":
                assert 1 <= quantity <= 15
                counts[quantity] += 1
    assert counts["coins"] / 10000 == pytest.approx(0.6, abs=0.02)
    assert counts["bread"] / 10000 == pytest.approx(0.1, abs=0.01)
    assert counts[1] and counts[15]


def test_loot_reproducible():
    """The same seed gives the same drops."""
    npc = NpcDef(key="x", name="X", attackable=True, hitpoints=1,
                 loot=(LootEntry("coins", 1, 15, 0.6), LootEntry("bread", 1, 1, 0.5)))
    def kills(seed):
        rng = random.Random(seed)
        return [roll_loot(npc, rng) for _ in range(50)]
    assert kills(8) == kills(8)
    assert kills(8) != kills(9)
