"""
Tests for L{rpg.world.items}: the definitions, the catalog, the wire shapes
and the content loader.
"""

import pathlib

import pytest

from rpg.world.errors import ItemNotFound
from rpg.content.tables import load_items
from rpg.world.items import (
    EQUIPMENT_SLOTS, STAT_KEYS, ContentError, ItemCatalog, ItemDef,
    equipment_payload, item_payload, visual_payload, zero_stats)

ITEMS_TOML = pathlib.Path(__file__).resolve().parents[2] / "maps" / "items.toml"

REQUIRED_KEYS = ("bronze_sword", "bronze_dagger", "rune_sword", "bronze_2h_sword",
                 "wooden_shield", "bronze_helm", "leather_body", "leather_boots",
                 "leather_gloves", "bronze_arrow", "coins", "bread", "cooked_shrimp")

SWORD = '''
[[items]]
item_id = 5
key = "bronze_sword"
name = "Bronze sword"
equipment_slot = "weapon"
stats = { attack_bonus_slash = 3 }
'''


def write(tmp_path, text):
    path = tmp_path / "items.toml"
    path.write_text(text)
    return path


def fault(tmp_path, text):
    """Load C{text} and return the ContentError message."""
    path = write(tmp_path, text)
    with pytest.raises(ContentError) as info:
        load_items(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    return message


@pytest.fixture(scope="module")
def catalog():
    return load_items(ITEMS_TOML)


# -- the shipped content
def test_shipped_items_hold_every_required_key(catalog):
    """maps/items.toml defines every item the rules and tests rely on."""
    missing = [key for key in REQUIRED_KEYS if catalog.by_key(key) is None]
    assert missing == []


def test_shipped_items_cover_every_equipment_slot(catalog):
    """Every one of the eleven equipment slots has at least one item."""
    slots = {item.equipment_slot for item in catalog if item.equipment_slot}
    assert slots == set(EQUIPMENT_SLOTS)


def test_shipped_items_number_at_least_thirty(catalog):
    """The content holds at least 30 items."""
    assert len(catalog) >= 30


def test_shipped_required_items_have_their_properties(catalog):
    """The required items carry the properties the items issue names."""
    assert catalog.by_key("rune_sword").requirements == {"attack": 40}
    assert catalog.by_key("bronze_2h_sword").two_handed
    arrow = catalog.by_key("bronze_arrow")
    assert (arrow.stackable, arrow.equipment_slot) == (True, "ammo")
    coins = catalog.by_key("coins")
    assert (coins.stackable, coins.equipment_slot) == (True, None)
    assert catalog.by_key("bread").heal > 0 and catalog.by_key("cooked_shrimp").heal > 0


def test_shipped_weapon_speeds_are_in_game_ticks(catalog):
    """A sword strikes every 4 ticks, a two-handed sword every 7."""
    assert catalog.by_key("bronze_sword").attack_speed == 4
    assert catalog.by_key("bronze_2h_sword").attack_speed == 7


def test_shipped_starting_items_are_sword_shield_and_three_breads(catalog):
    """A new character gets a sword, a shield and three breads, one per slot."""
    assert [(item.key, qty) for item, qty in catalog.starting_items()] == [
        ("bronze_sword", 1), ("wooden_shield", 1),
        ("bread", 1), ("bread", 1), ("bread", 1)]


# -- definitions and catalog
def test_item_stats_hold_all_ten_keys(catalog):
    """Every loaded item has every stat key, absent ones as 0."""
    helm = catalog.by_key("bronze_helm")
    assert set(helm.stats) == set(STAT_KEYS)
    assert helm.stats["strength_bonus"] == 0


def test_sprite_id_defaults_to_the_key(catalog):
    """An item without sprite_id is drawn by its key."""
    assert catalog.by_key("bronze_sword").sprite_id == "bronze_sword"


def test_item_defs_are_hashable_and_frozen():
    """Definitions can be set members and cannot be changed."""
    item = ItemDef(item_id=1, key="a", name="A")
    assert {item, item} == {item}
    with pytest.raises(AttributeError):
        item.name = "B"


@pytest.mark.parametrize("name", ["bronze_sword", "5", 5, " 5 "])
def test_resolve_accepts_key_or_id(catalog, name):
    """resolve finds an item by key, by id, or by id written as text."""
    assert catalog.resolve(name).key == "bronze_sword"


@pytest.mark.parametrize("name", ["no_such_item", "9999", 9999, True, None, 5.0])
def test_resolve_refuses_unknown_names(catalog, name):
    """resolve raises ItemNotFound for anything that names no item."""
    with pytest.raises(ItemNotFound):
        catalog.resolve(name)


def test_get_and_by_key_return_none_when_unknown(catalog):
    """The lookups answer None rather than raise."""
    assert (catalog.get(9999), catalog.by_key("nothing")) == (None, None)
    assert catalog.get(5) is catalog.by_key("bronze_sword")


def test_all_lists_every_item_by_id(catalog):
    """all() returns every definition in ascending id order."""
    ids = [item.item_id for item in catalog.all()]
    assert ids == sorted(ids) and len(ids) == len(catalog)


def test_catalog_refuses_duplicates():
    """Two definitions with one id cannot share a catalog."""
    with pytest.raises(ValueError):
        ItemCatalog([ItemDef(1, "a", "A"), ItemDef(1, "b", "B")])


def test_stackable_starting_items_stay_one_stack():
    """A stackable starting item is one pair with its full quantity."""
    catalog = ItemCatalog([ItemDef(2, "coins", "Coins", stackable=True)], [("coins", 25)])
    assert [(i.key, q) for i, q in catalog.starting_items()] == [("coins", 25)]


# -- wire shapes
def test_item_payload_is_the_inventory_slot_shape(catalog):
    """An inventory slot is {item_id, quantity, name, stackable}."""
    assert item_payload(catalog.by_key("bronze_arrow"), 15) == {
        "item_id": 1, "quantity": 15, "name": "Bronze arrow", "stackable": True}


def test_equipment_payload_is_the_equipment_slot_shape(catalog):
    """An equipment slot is {item_id, name, stats} with all ten stats."""
    payload = equipment_payload(catalog.by_key("bronze_sword"))
    assert set(payload) == {"item_id", "name", "stats"}
    assert payload["stats"] == catalog.by_key("bronze_sword").stats
    assert set(payload["stats"]) == set(STAT_KEYS)


def test_equipment_payload_counts_worn_ammunition(catalog):
    """Worn stackable ammunition also says how many are worn."""
    assert equipment_payload(catalog.by_key("bronze_arrow"), 40)["quantity"] == 40


def test_visual_payload_names_the_sprite(catalog):
    """What others see is {item_id, sprite_id}."""
    assert visual_payload(catalog.by_key("bronze_helm")) == {
        "item_id": 17, "sprite_id": "bronze_helm"}


# -- the loader, one test per fault kind
def test_loader_reads_a_minimal_file(tmp_path):
    """A single item with only the required fields loads with its defaults."""
    catalog = load_items(write(tmp_path, '[[items]]\nitem_id = 1\nkey = "bones"\nname = "Bones"\n'))
    bones = catalog.by_key("bones")
    assert (bones.stackable, bones.equipment_slot, bones.two_handed, bones.heal,
            bones.rarity, bones.attack_speed, bones.requirements, bones.stats) == (
        False, None, False, 0, "common", 4, {}, zero_stats())
    assert catalog.starting_items() == []


def test_loader_refuses_an_unreadable_file(tmp_path):
    """A missing file is a ContentError naming it."""
    with pytest.raises(ContentError, match="cannot read"):
        load_items(tmp_path / "absent.toml")


def test_loader_refuses_bad_toml(tmp_path):
    """Broken TOML is a ContentError on one line."""
    assert "not valid TOML" in fault(tmp_path, "[[items]\nitem_id = \n")


def test_loader_refuses_a_file_without_items(tmp_path):
    """A file defining no items is refused."""
    assert "no [[items]]" in fault(tmp_path, "")


def test_loader_refuses_an_unknown_top_level_key(tmp_path):
    """A misspelt section is refused rather than ignored."""
    assert "unknown top-level key 'itemz'" in fault(tmp_path, SWORD + "[[itemz]]\nx = 1\n")


def test_loader_refuses_a_missing_id(tmp_path):
    """An item without item_id is refused."""
    assert "missing item_id" in fault(tmp_path, '[[items]]\nkey = "a"\nname = "A"\n')


def test_loader_refuses_a_missing_key(tmp_path):
    """An item without key is refused."""
    assert "missing key" in fault(tmp_path, '[[items]]\nitem_id = 1\nname = "A"\n')


def test_loader_refuses_a_bad_key(tmp_path):
    """A key must be lowercase letters, digits and underscores."""
    assert "key must be" in fault(tmp_path, '[[items]]\nitem_id = 1\nkey = "Bad Key"\nname = "A"\n')


def test_loader_refuses_a_duplicate_id(tmp_path):
    """Two items with one item_id are refused."""
    text = SWORD + SWORD.replace('"bronze_sword"', '"iron_sword"')
    assert "duplicate item_id 5" in fault(tmp_path, text)


def test_loader_refuses_a_duplicate_key(tmp_path):
    """Two items with one key are refused."""
    text = SWORD + SWORD.replace("item_id = 5", "item_id = 6")
    assert "duplicate key 'bronze_sword'" in fault(tmp_path, text)


def test_loader_refuses_an_unknown_slot(tmp_path):
    """An equipment_slot outside the eleven is refused."""
    assert "unknown equipment_slot 'tail'" in fault(tmp_path, SWORD.replace('"weapon"', '"tail"'))


def test_loader_refuses_an_unknown_stat(tmp_path):
    """A stat key outside the ten bonuses is refused."""
    assert "unknown stat 'magic_bonus'" in fault(
        tmp_path, SWORD.replace("attack_bonus_slash", "magic_bonus"))


def test_loader_refuses_an_unknown_field(tmp_path):
    """A misspelt item field is refused rather than ignored."""
    assert "unknown field 'stackible'" in fault(tmp_path, SWORD + "stackible = true\n")


@pytest.mark.parametrize("line, words", [
    ('item_id = "5"', "item_id must be an integer"),
    ('name = 3', "name must be a non-empty string"),
    ('stackable = "yes"', "stackable must be true or false"),
    ('two_handed = 1', "two_handed must be true or false"),
    ('attack_speed = 4.5', "attack_speed must be an integer"),
    ('stats = { attack_bonus_slash = 2.5 }', "stat attack_bonus_slash must be an integer"),
    ('stats = 3', "stats must be a table"),
    ('requirements = { attack = "40" }', "requirement attack must be an integer"),
    ('requirements = 40', "requirements must be a table"),
    ('sprite_id = 7', "sprite_id must be a non-empty string"),
])
def test_loader_refuses_bad_types(tmp_path, line, words):
    """A field of the wrong type is refused."""
    field = line.split(" = ")[0]
    text = "\n".join(row for row in SWORD.splitlines() if not row.startswith(field + " "))
    assert words in fault(tmp_path, text + "\n" + line + "\n")


@pytest.mark.parametrize("line, words", [
    ("item_id = -5", "item_id must be at least 1"),
    ("attack_speed = -1", "attack_speed must be at least 1"),
    ("requirements = { attack = -3 }", "requirement attack must be 1 to 99"),
])
def test_loader_refuses_negative_values(tmp_path, line, words):
    """Ids, attack speeds and levels cannot be negative."""
    field = line.split(" = ")[0]
    text = "\n".join(row for row in SWORD.splitlines() if not row.startswith(field + " "))
    assert words in fault(tmp_path, text + "\n" + line + "\n")


def test_loader_refuses_negative_heal(tmp_path):
    """Food cannot heal a negative amount."""
    assert "heal must be at least 0" in fault(
        tmp_path, '[[items]]\nitem_id = 1\nkey = "a"\nname = "A"\nheal = -2\n')


def test_loader_accepts_negative_stat_bonuses(tmp_path):
    """A stat bonus may be negative (armour hinders ranged attack)."""
    catalog = load_items(write(tmp_path, SWORD.replace("attack_bonus_slash = 3", "attack_bonus_ranged = -10")))
    assert catalog.by_key("bronze_sword").stats["attack_bonus_ranged"] == -10


def test_loader_refuses_an_unknown_rarity(tmp_path):
    """Rarity must be common, uncommon or rare."""
    assert "rarity must be one of" in fault(tmp_path, SWORD + 'rarity = "legendary"\n')


def test_loader_refuses_food_that_heals_nothing(tmp_path):
    """An item declared with heal = 0 is refused."""
    assert "food must heal more than 0" in fault(
        tmp_path, '[[items]]\nitem_id = 1\nkey = "a"\nname = "A"\nheal = 0\n')


def test_loader_refuses_food_that_is_equipment(tmp_path):
    """An item cannot be both eaten and worn."""
    assert "food cannot be equipment" in fault(tmp_path, SWORD + "heal = 3\n")


def test_loader_refuses_an_unknown_skill(tmp_path):
    """A requirement on a skill outside SKILLS is refused."""
    assert "unknown skill 'cooking'" in fault(tmp_path, SWORD + "requirements = { cooking = 5 }\n")


def test_loader_refuses_a_requirement_above_99(tmp_path):
    """A requirement above the maximum level is refused."""
    assert "must be 1 to 99" in fault(tmp_path, SWORD + "requirements = { attack = 100 }\n")


def test_loader_refuses_two_handed_non_weapons(tmp_path):
    """Only a weapon can be two-handed."""
    assert "only a weapon can be two_handed" in fault(
        tmp_path, SWORD.replace('"weapon"', '"shield"') + "two_handed = true\n")


def test_loader_refuses_attack_speed_on_non_weapons(tmp_path):
    """attack_speed is meaningless off a weapon, so it is refused."""
    assert "attack_speed is for weapons only" in fault(
        tmp_path, SWORD.replace('"weapon"', '"head"') + "attack_speed = 4\n")


def test_loader_refuses_an_unknown_starting_item(tmp_path):
    """A starting item that is not defined is refused."""
    assert "unknown item 'rune_sword'" in fault(
        tmp_path, SWORD + '[[starting_inventory]]\nitem = "rune_sword"\n')


def test_loader_refuses_a_bad_starting_quantity(tmp_path):
    """A starting quantity below 1 is refused."""
    assert "quantity must be at least 1" in fault(
        tmp_path, SWORD + '[[starting_inventory]]\nitem = "bronze_sword"\nquantity = 0\n')


def test_loader_refuses_a_starting_inventory_that_does_not_fit(tmp_path):
    """Starting items needing more than 28 slots are refused."""
    assert "more than 28" in fault(
        tmp_path, SWORD + '[[starting_inventory]]\nitem = "bronze_sword"\nquantity = 29\n')


def test_loader_refuses_a_malformed_starting_entry(tmp_path):
    """A starting entry without an item is refused."""
    assert "must be a table with an item key" in fault(
        tmp_path, SWORD + '[[starting_inventory]]\nquantity = 2\n')
