"""
NPC definitions: what every kind of NPC is, built from a TOML content file
(read by L{rpg.content.tables.load_npcs}), and the loot a kill of one drops.

Definitions are immutable; the behaviour of the NPCs in the world is in
L{rpg.world.npcs}.  The file format is described in ``docs/combat.md``.
"""

import re
from dataclasses import dataclass, field

from rpg.world.combat import BONUS_KEYS, MELEE_STYLES, Fighter

_KEY_PATTERN = re.compile(r"[a-z0-9_]+\Z")
_DEFAULTS = {
    "aggressive": False,
    "aggression_radius": 0,
    "leash_distance": 8,
    "wander_radius": 0,
    "respawn_s": 30.0,
    "attack": 1,
    "strength": 1,
    "defense": 1,
    "stats": {},
    "attack_speed": 4,
    "attack_style": "crush",
    "move_interval_s": 3.0,
    "chase_interval_s": 0.6,
    "loot": [],
    "behaviour": "wander",
}
_REQUIRED = ("name", "attackable", "hitpoints")
_FIELDS = frozenset(_DEFAULTS) | frozenset(_REQUIRED)
_LOOT_FIELDS = frozenset(("item", "quantity", "chance"))


class NpcContentError(Exception):
    """An NPC file that cannot be used; one line per fault, each naming the file."""

    def __init__(self, faults):
        super().__init__("\n".join(faults))
        self.faults = list(faults)


@dataclass(frozen=True)
class LootEntry:
    """C{chance} (0-1) of dropping between C{min_quantity} and C{max_quantity} of C{item}."""

    item: str
    min_quantity: int = 1
    max_quantity: int = 1
    chance: float = 1.0


@dataclass(frozen=True)
class NpcDef:
    """One kind of NPC, as the content file defines it."""

    key: str
    name: str
    attackable: bool
    hitpoints: int
    aggressive: bool = False
    aggression_radius: int = 0
    leash_distance: int = 8
    wander_radius: int = 0
    respawn_s: float = 30.0
    attack: int = 1
    strength: int = 1
    defense: int = 1
    stats: dict = field(default_factory=dict)
    attack_speed: int = 4
    attack_style: str = "crush"
    move_interval_s: float = 3.0
    chase_interval_s: float = 0.6
    loot: tuple = ()
    # How it moves while idle: a name in rpg.world.plugins.NPC_BEHAVIOURS.
    behaviour: str = "wander"

    def __hash__(self):
        return hash(self.key)

    def fighter(self):
        """The L{Fighter} this NPC fights as."""
        return Fighter(attack=self.attack, strength=self.strength, defense=self.defense,
                       stats=self.stats, attack_speed_ticks=self.attack_speed,
                       style=self.attack_style)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_loot(where, entries, known_item_keys, faults):
    loot = []
    if not isinstance(entries, list):
        faults.append(f"{where}: loot must be a list of tables")
        return loot
    for index, entry in enumerate(entries):
        at = f"{where}: loot[{index}]"
        if not isinstance(entry, dict):
            faults.append(f"{at} must be a table")
            continue
        for name in sorted(set(entry) - _LOOT_FIELDS):
            faults.append(f"{at}: unknown field {name!r}")
        item = entry.get("item")
        if not isinstance(item, str) or not item:
            faults.append(f"{at}: item must be an item key")
        elif known_item_keys is not None and item not in known_item_keys:
            faults.append(f"{at}: unknown item {item!r}")
        quantity = entry.get("quantity", 1)
        if _is_int(quantity):
            low = high = quantity
        elif (isinstance(quantity, list) and len(quantity) == 2
              and all(_is_int(q) for q in quantity)):
            low, high = quantity
        else:
            faults.append(f"{at}: quantity must be an integer or [min, max]")
            continue
        if not 1 <= low <= high:
            faults.append(f"{at}: quantity must be at least 1, and min <= max")
        chance = entry.get("chance", 1.0)
        if not _is_number(chance) or not 0 <= chance <= 1:
            faults.append(f"{at}: chance must be a number from 0 to 1")
            continue
        loot.append(LootEntry(item, low, high, float(chance)))
    return tuple(loot)


def _check_npc(where, key, table, known_item_keys, faults):
    before = len(faults)
    if not _KEY_PATTERN.match(key):
        faults.append(f"{where}: key must be lowercase letters, digits and _")
    if not isinstance(table, dict):
        faults.append(f"{where}: must be a table")
        return None
    for name in sorted(set(table) - _FIELDS):
        faults.append(f"{where}: unknown field {name!r}")
    for name in _REQUIRED:
        if name not in table:
            faults.append(f"{where}: missing {name}")
    values = {**_DEFAULTS, **table}
    if "name" in table and (not isinstance(values["name"], str) or not values["name"]):
        faults.append(f"{where}: name must be a non-empty string")
    for name in ("attackable", "aggressive"):
        if name in values and not isinstance(values[name], bool):
            faults.append(f"{where}: {name} must be true or false")
    if "hitpoints" in table and (not _is_int(values["hitpoints"]) or values["hitpoints"] < 1):
        faults.append(f"{where}: hitpoints must be an integer of at least 1")
    for name in ("aggression_radius", "leash_distance", "wander_radius"):
        if not _is_int(values[name]) or values[name] < 0:
            faults.append(f"{where}: {name} must be an integer >= 0")
    for name in ("attack", "strength", "defense"):
        if not _is_int(values[name]) or not 1 <= values[name] <= 99:
            faults.append(f"{where}: {name} must be a level from 1 to 99")
    if not _is_int(values["attack_speed"]) or values["attack_speed"] < 1:
        faults.append(f"{where}: attack_speed must be an integer of at least 1 (game ticks)")
    if values["attack_style"] not in MELEE_STYLES:
        faults.append(f"{where}: attack_style must be one of {', '.join(MELEE_STYLES)}")
    if not _is_number(values["respawn_s"]) or values["respawn_s"] < 0:
        faults.append(f"{where}: respawn_s must be a number >= 0")
    for name in ("move_interval_s", "chase_interval_s"):
        if not _is_number(values[name]) or values[name] <= 0:
            faults.append(f"{where}: {name} must be a number > 0")
    stats = values["stats"]
    if not isinstance(stats, dict):
        faults.append(f"{where}: stats must be a table")
        stats = {}
    for name, bonus in stats.items():
        if name not in BONUS_KEYS:
            faults.append(f"{where}: unknown stat {name!r}")
        elif not _is_int(bonus):
            faults.append(f"{where}: stat {name} must be an integer")
    if (values["aggressive"] is True and _is_int(values["aggression_radius"])
            and values["aggression_radius"] < 1):
        faults.append(f"{where}: an aggressive NPC needs aggression_radius >= 1")
    if not isinstance(values["behaviour"], str) or not _KEY_PATTERN.match(values["behaviour"]):
        faults.append(f"{where}: behaviour must be a name of a-z, 0-9 and _")
    loot = _check_loot(where, values["loot"], known_item_keys, faults)
    if len(faults) > before:
        return None
    return NpcDef(
        key=key, name=values["name"], attackable=values["attackable"],
        hitpoints=values["hitpoints"], aggressive=values["aggressive"],
        aggression_radius=values["aggression_radius"],
        leash_distance=values["leash_distance"], wander_radius=values["wander_radius"],
        respawn_s=float(values["respawn_s"]), attack=values["attack"],
        strength=values["strength"], defense=values["defense"],
        stats={name: stats.get(name, 0) for name in BONUS_KEYS},
        attack_speed=values["attack_speed"], attack_style=values["attack_style"],
        move_interval_s=float(values["move_interval_s"]),
        chase_interval_s=float(values["chase_interval_s"]), loot=loot,
        behaviour=values["behaviour"])


def parse_npcs(data, source="npcs", known_item_keys=None):
    """
    NPC definitions from an already parsed TOML document (one table per NPC).

    @raise NpcContentError: listing every fault, one line each.
    """
    faults = []
    npcs = {}
    if not data:
        faults.append(f"{source}: defines no NPC")
    for key, table in data.items():
        npc = _check_npc(f"{source}: [{key}]", key, table, known_item_keys, faults)
        if npc is not None:
            npcs[key] = npc
    if faults:
        raise NpcContentError(faults)
    return npcs


def roll_loot(npc_def, rng):
    """
    What one kill drops: each loot entry, in order, drops when
    C{rng.random() < chance}, its quantity drawn with C{rng.randint(min, max)}.

    @return: a list of C{(item_key, quantity)}.
    """
    drops = []
    for entry in npc_def.loot:
        if rng.random() >= entry.chance:
            continue
        quantity = entry.min_quantity
        if entry.max_quantity > entry.min_quantity:
            quantity = rng.randint(entry.min_quantity, entry.max_quantity)
        drops.append((entry.item, quantity))
    return drops
