"""
Item definitions: what every item is, built once from a TOML content file
(read by L{rpg.content.tables.load_items}).

The format is described in ``docs/items.md``.  Definitions are immutable; the
rules that move items around live in L{rpg.world.inventory}.
"""

import re
from dataclasses import dataclass, field
from typing import Optional

from rpg.world.errors import ItemNotFound
from rpg.world.skills import MAX_LEVEL, SKILLS

EQUIPMENT_SLOTS = ("head", "cape", "neck", "weapon", "body", "shield",
                   "legs", "hands", "feet", "ring", "ammo")
STAT_KEYS = ("attack_bonus_stab", "attack_bonus_slash", "attack_bonus_crush",
             "attack_bonus_ranged", "defence_bonus_stab", "defence_bonus_slash",
             "defence_bonus_crush", "defence_bonus_ranged", "strength_bonus",
             "ranged_strength_bonus")
RARITIES = ("common", "uncommon", "rare")
INVENTORY_SIZE = 28
MAX_STACK = 2 ** 31 - 1
# Game ticks of 0.6 s between two blows without a weapon.
UNARMED_ATTACK_SPEED = 4

_KEY_PATTERN = re.compile(r"[a-z0-9_]+\Z")
_ITEM_FIELDS = frozenset((
    "item_id", "key", "name", "stackable", "equipment_slot", "two_handed",
    "requirements", "stats", "attack_speed", "heal", "rarity", "sprite_id", "effect"))


class ContentError(Exception):
    """A content file that cannot be used; one line naming the file and the fault."""


def zero_stats():
    return {name: 0 for name in STAT_KEYS}


@dataclass(frozen=True)
class ItemDef:
    """
    One kind of item.  C{stats} always holds all of L{STAT_KEYS};
    C{requirements} maps a skill name to the level needed to equip it;
    C{heal} is above 0 for food only; C{effect} names what using a
    consumable does (L{rpg.world.plugins.ITEM_EFFECTS}), or is C{None}.
    """

    item_id: int
    key: str
    name: str
    stackable: bool = False
    equipment_slot: Optional[str] = None
    two_handed: bool = False
    requirements: dict = field(default_factory=dict)
    stats: dict = field(default_factory=zero_stats)
    attack_speed: int = UNARMED_ATTACK_SPEED
    heal: int = 0
    rarity: str = "common"
    sprite_id: str = ""
    effect: Optional[str] = None

    def __post_init__(self):
        if not self.sprite_id:
            object.__setattr__(self, "sprite_id", self.key)

    # The dict fields make the generated hash fail; an item is its id.
    def __hash__(self):
        return hash(self.item_id)

    @property
    def is_food(self):
        return self.heal > 0

    @property
    def is_equipment(self):
        return self.equipment_slot is not None


class ItemCatalog:
    """
    Every item definition, by id and by key, plus what a new character carries.
    """

    def __init__(self, items, starting=()):
        """
        @param items: L{ItemDef}s with unique ids and keys.
        @param starting: C{(key, quantity)} pairs for a new character.
        """
        self._by_id = {}
        self._by_key = {}
        for item in items:
            if item.item_id in self._by_id or item.key in self._by_key:
                raise ValueError(f"duplicate item {item.item_id} {item.key!r}")
            self._by_id[item.item_id] = item
            self._by_key[item.key] = item
        self._starting = []
        for key, quantity in starting:
            item = self._by_key.get(key)
            if item is None:
                raise ValueError(f"unknown starting item {key!r}")
            self._starting.append((item, quantity))

    def __len__(self):
        return len(self._by_id)

    def __iter__(self):
        return iter(sorted(self._by_id.values(), key=lambda item: item.item_id))

    def all(self):
        """Every L{ItemDef}, by ascending id."""
        return list(self)

    def __contains__(self, item_id):
        return item_id in self._by_id

    def get(self, item_id):
        """The L{ItemDef} with this id, or C{None}."""
        return self._by_id.get(item_id)

    def by_key(self, key):
        """The L{ItemDef} with this key, or C{None}."""
        return self._by_key.get(key)

    def resolve(self, key_or_id):
        """
        Find an item named the way a person would: C{"bronze_sword"},
        C{"5"} or C{5}.

        @raise ItemNotFound: when nothing matches.
        """
        if isinstance(key_or_id, int) and not isinstance(key_or_id, bool):
            item = self._by_id.get(key_or_id)
        elif isinstance(key_or_id, str):
            text = key_or_id.strip()
            if text.isdecimal():
                item = self._by_id.get(int(text))
            else:
                item = self._by_key.get(text)
        else:
            item = None
        if item is None:
            raise ItemNotFound(f"No item {key_or_id!r}")
        return item

    def starting_items(self):
        """
        What a new character carries: a list of C{(ItemDef, quantity)}, one
        pair per inventory slot (a non-stackable item listed with quantity
        3 comes back as three pairs of quantity 1).
        """
        pairs = []
        for item, quantity in self._starting:
            if item.stackable:
                pairs.append((item, quantity))
            else:
                pairs.extend((item, 1) for _ in range(quantity))
        return pairs


# -- wire shapes
def item_payload(defn, quantity):
    """An inventory slot: C{{item_id, quantity, name, stackable}}."""
    return {"item_id": defn.item_id, "quantity": quantity,
            "name": defn.name, "stackable": defn.stackable}


def equipment_payload(defn, quantity=1):
    """
    An equipment slot: C{{item_id, name, stats}}, plus C{quantity} for a
    stackable item (arrows).
    """
    payload = {"item_id": defn.item_id, "name": defn.name, "stats": dict(defn.stats)}
    if defn.stackable:
        payload["quantity"] = quantity
    return payload


def brief_payload(defn):
    """An item named in a reply: C{{item_id, name}}."""
    return {"item_id": defn.item_id, "name": defn.name}


def visual_payload(defn):
    """What others see worn: C{{item_id, sprite_id}}."""
    return {"item_id": defn.item_id, "sprite_id": defn.sprite_id}


# -- building
def parse_items(data, source):
    """
    Build the catalog from an item content file's parsed TOML.

    @param source: the file, named in errors.
    @return: an L{ItemCatalog}.
    @raise ContentError: with one line naming C{source} and the first fault.
    """
    try:
        return _parse_items(data)
    except _Fault as exc:
        raise ContentError(_one_line(f"{source}: {exc}")) from None


def _parse_items(data):
    """
    Build a catalog from parsed TOML; raise L{_Fault} naming the fault
    (L{parse_items} adds the file name).
    """
    unknown = set(data) - {"items", "starting_inventory"}
    if unknown:
        raise _Fault(f"unknown top-level key {sorted(unknown)[0]!r}")
    rows = data.get("items")
    if not isinstance(rows, list) or not rows:
        raise _Fault("no [[items]] defined")
    items = []
    ids, keys = set(), set()
    for index, row in enumerate(rows):
        item = _parse_item(row, index)
        if item.item_id in ids:
            raise _Fault(f"duplicate item_id {item.item_id}")
        if item.key in keys:
            raise _Fault(f"duplicate key {item.key!r}")
        ids.add(item.item_id)
        keys.add(item.key)
        items.append(item)
    starting = _parse_starting(data.get("starting_inventory", []), {i.key: i for i in items})
    return ItemCatalog(items, starting)


class _Fault(Exception):
    pass


def one_line(text):
    """C{text} with every run of white space, newlines included, one space."""
    return " ".join(text.split())


def _one_line(text):
    return " ".join(text.split())


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_item(row, index):
    if not isinstance(row, dict):
        raise _Fault(f"items[{index}] must be a table")
    where = f"items[{index}]"
    for required in ("item_id", "key", "name"):
        if required not in row:
            raise _Fault(f"{where}: missing {required}")
    key = row["key"]
    if not isinstance(key, str) or not _KEY_PATTERN.match(key):
        raise _Fault(f"{where}: key must be a string of a-z, 0-9 and _, not {key!r}")
    where = f"item {key!r}"
    extra = set(row) - _ITEM_FIELDS
    if extra:
        raise _Fault(f"{where}: unknown field {sorted(extra)[0]!r}")
    item_id = _integer(row["item_id"], "item_id", where, minimum=1)
    name = _string(row, "name", where)
    stackable = _boolean(row, "stackable", where)
    two_handed = _boolean(row, "two_handed", where)
    slot = row.get("equipment_slot")
    if slot is not None and slot not in EQUIPMENT_SLOTS:
        raise _Fault(f"{where}: unknown equipment_slot {slot!r}")
    if two_handed and slot != "weapon":
        raise _Fault(f"{where}: only a weapon can be two_handed")
    attack_speed = UNARMED_ATTACK_SPEED
    if "attack_speed" in row:
        if slot != "weapon":
            raise _Fault(f"{where}: attack_speed is for weapons only")
        attack_speed = _integer(row["attack_speed"], "attack_speed", where, minimum=1)
    heal = 0
    if "heal" in row:
        heal = _integer(row["heal"], "heal", where, minimum=0)
        if heal <= 0:
            raise _Fault(f"{where}: food must heal more than 0")
        if slot is not None:
            raise _Fault(f"{where}: food cannot be equipment")
    effect = row.get("effect")
    if effect is not None:
        if not isinstance(effect, str) or not _KEY_PATTERN.match(effect):
            raise _Fault(f"{where}: effect must be a name of a-z, 0-9 and _, not {effect!r}")
        if slot is not None or heal:
            raise _Fault(f"{where}: an item with an effect is neither equipment nor food")
    rarity = row.get("rarity", "common")
    if rarity not in RARITIES:
        raise _Fault(f"{where}: rarity must be one of {', '.join(RARITIES)}, not {rarity!r}")
    sprite_id = _string(row, "sprite_id", where) if "sprite_id" in row else key
    return ItemDef(
        item_id=item_id, key=key, name=name, stackable=stackable,
        equipment_slot=slot, two_handed=two_handed,
        requirements=_requirements(row.get("requirements", {}), where),
        stats=_stats(row.get("stats", {}), where),
        attack_speed=attack_speed, heal=heal, rarity=rarity, sprite_id=sprite_id,
        effect=effect)


def _integer(value, name, where, minimum):
    if not _is_int(value):
        raise _Fault(f"{where}: {name} must be an integer, not {value!r}")
    if value < minimum:
        raise _Fault(f"{where}: {name} must be at least {minimum}, not {value}")
    return value


def _string(row, name, where):
    value = row[name]
    if not isinstance(value, str) or not value.strip():
        raise _Fault(f"{where}: {name} must be a non-empty string, not {value!r}")
    return value


def _boolean(row, name, where):
    value = row.get(name, False)
    if not isinstance(value, bool):
        raise _Fault(f"{where}: {name} must be true or false, not {value!r}")
    return value


def _requirements(table, where):
    if not isinstance(table, dict):
        raise _Fault(f"{where}: requirements must be a table of skill = level")
    for skill, level in table.items():
        if skill not in SKILLS:
            raise _Fault(f"{where}: unknown skill {skill!r} in requirements")
        if not _is_int(level):
            raise _Fault(f"{where}: requirement {skill} must be an integer, not {level!r}")
        if not 1 <= level <= MAX_LEVEL:
            raise _Fault(f"{where}: requirement {skill} must be 1 to {MAX_LEVEL}, not {level}")
    return dict(table)


def _stats(table, where):
    if not isinstance(table, dict):
        raise _Fault(f"{where}: stats must be a table of bonus = value")
    stats = zero_stats()
    for name, value in table.items():
        if name not in stats:
            raise _Fault(f"{where}: unknown stat {name!r}")
        # Bonuses may be negative: heavy armour hinders ranged attacks.
        if not _is_int(value):
            raise _Fault(f"{where}: stat {name} must be an integer, not {value!r}")
        stats[name] = value
    return stats


def _parse_starting(rows, by_key):
    if not isinstance(rows, list):
        raise _Fault("starting_inventory must be an array of tables")
    starting = []
    slots = 0
    for index, row in enumerate(rows):
        where = f"starting_inventory[{index}]"
        if not isinstance(row, dict) or "item" not in row:
            raise _Fault(f"{where}: must be a table with an item key")
        extra = set(row) - {"item", "quantity"}
        if extra:
            raise _Fault(f"{where}: unknown field {sorted(extra)[0]!r}")
        item = by_key.get(row["item"])
        if item is None:
            raise _Fault(f"{where}: unknown item {row['item']!r}")
        quantity = _integer(row.get("quantity", 1), "quantity", where, minimum=1)
        if item.stackable and quantity > MAX_STACK:
            raise _Fault(f"{where}: quantity above the stack limit {MAX_STACK}")
        slots += 1 if item.stackable else quantity
        starting.append((item.key, quantity))
    if slots > INVENTORY_SIZE:
        raise _Fault(f"starting_inventory needs {slots} slots, more than {INVENTORY_SIZE}")
    return starting
