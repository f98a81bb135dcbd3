"""The registries where item effects and NPC behaviours plug in, and the content that names them."""

import pytest

from rpg.config import Tunables
from rpg.content import Content
from rpg.world.game import GameWorld
from rpg.world.items import ItemCatalog, ItemDef, _parse_items
from rpg.world.npc_definitions import NpcContentError, parse_npcs
from rpg.world.plugins import ITEM_EFFECTS, NPC_BEHAVIOURS, Registry
from tests.world.worldmaps import open_map


def test_a_name_is_registered_once():
    """Registering a taken name is refused; a decorator registers and returns the function."""
    registry = Registry("thing")

    @registry.register("a")
    def a():
        pass
    assert registry["a"] is a and "a" in registry and list(registry) == ["a"]
    with pytest.raises(ValueError, match="thing 'a' is registered already"):
        registry.register("a", a)


def test_a_copy_leaves_the_original_alone():
    """What a game adds to a copy does not reach the server's own registry."""
    copy = NPC_BEHAVIOURS.copy()
    copy.register("stand", lambda npc, now, rng, is_walkable: False)
    assert "stand" in copy and "stand" not in NPC_BEHAVIOURS
    assert list(NPC_BEHAVIOURS) == ["wander"] and list(ITEM_EFFECTS) == []


def test_an_item_effect_is_a_name_and_never_food_or_equipment():
    """effect is read from items.toml; with heal or an equipment slot it is refused."""
    catalog = _parse_items({"items": [{"item_id": 1, "key": "tonic", "name": "Tonic",
                                       "effect": "glow"}]})
    assert catalog.get(1).effect == "glow"
    for extra in ({"heal": 3}, {"equipment_slot": "head"}, {"effect": "Glow!"}):
        row = {"item_id": 1, "key": "tonic", "name": "Tonic", "effect": "glow", **extra}
        with pytest.raises(Exception, match="tonic"):
            _parse_items({"items": [row]})


def test_an_npc_behaviour_is_a_name_defaulting_to_wander():
    """behaviour is read from npcs.toml (wander when absent); a non-name is refused."""
    npcs = parse_npcs({"imp": {"name": "Imp", "attackable": True, "hitpoints": 3,
                               "behaviour": "pace"},
                       "rat": {"name": "Rat", "attackable": True, "hitpoints": 3}})
    assert (npcs["imp"].behaviour, npcs["rat"].behaviour) == ("pace", "wander")
    with pytest.raises(NpcContentError, match="behaviour must be a name"):
        parse_npcs({"imp": {"name": "Imp", "attackable": True, "hitpoints": 3,
                            "behaviour": 5}})


def test_unknown_names_stop_the_world_being_built():
    """An item effect or NPC behaviour nobody registered is refused when the world is built."""
    maps = {"m": open_map(8, 8, map_id="m")}
    items = ItemCatalog([ItemDef(1, "tonic", "Tonic", effect="glow")])
    with pytest.raises(ValueError, match="item 'tonic': unknown item effect 'glow'"):
        GameWorld(Content(maps, items, {}), "m", Tunables())
    effects = ITEM_EFFECTS.copy()
    effects.register("glow", lambda world, player, item, now: "glowing")
    GameWorld(Content(maps, items, {}), "m", Tunables(), effects=effects)
    npcs = parse_npcs({"imp": {"name": "Imp", "attackable": True, "hitpoints": 3,
                               "behaviour": "pace"}})
    with pytest.raises(ValueError, match="NPC 'imp': unknown NPC behaviour 'pace'"):
        GameWorld(Content(maps, items, npcs), "m", Tunables(), effects=effects)


def test_content_naming_an_unknown_effect_or_behaviour_is_a_fault_of_its_file(tmp_path):
    """load_content refuses, in one line naming the file, a name its registries lack."""
    from rpg.content import ContentFaultError, load_content
    from rpg.tap import default_maps_dir
    from rpg.testing import shipped_content, write_map
    write_map(tmp_path, "field", "S..")
    (tmp_path / "items.toml").write_text(shipped_content("items.toml") + """
[[items]]
item_id = 500
key = "tonic"
name = "Tonic"
effect = "glow"
""")
    with pytest.raises(ContentFaultError) as fault:
        load_content(tmp_path, default_maps_dir())
    assert str(fault.value) == (f"{tmp_path / 'items.toml'}: item 'tonic': unknown item "
                                "effect 'glow' (known: none)")
    effects = ITEM_EFFECTS.copy()
    effects.register("glow", lambda world, player, item, now: "glowing")
    (tmp_path / "npcs.toml").write_text(shipped_content("npcs.toml").replace(
        "[goblin]\n", "[goblin]\nbehaviour = \"sneak\"\n"))
    with pytest.raises(ContentFaultError, match=r"npcs.toml: NPC 'goblin': unknown NPC "
                                                r"behaviour 'sneak' \(known: wander\)"):
        load_content(tmp_path, default_maps_dir(), effects=effects)


def test_heal_restores_up_to_the_maximum_and_never_raises_the_dead():
    """GameWorld.heal, for item effects: capped at max_hp, and 0 for a dead player."""
    from rpg.testing import GameHarness
    harness = GameHarness(seed=1)
    alice = harness.connect("alice")
    player = harness.world.player(alice.player_id)
    player.current_hp = 4
    assert harness.world.heal(alice.player_id, 3) == 3 and player.current_hp == 7
    assert harness.world.heal(alice.player_id, 50) == 3 and player.current_hp == 10
    harness.world.fights.record(alice.player_id).dead = True
    player.current_hp = 0
    assert harness.world.heal(alice.player_id, 5) == 0 and player.current_hp == 0
    harness.close()
