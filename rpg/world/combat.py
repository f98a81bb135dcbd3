"""
Melee combat rules, OSRS-style: accuracy and max hit from levels and
equipment bonuses, swings on a weapon-speed timer, XP for damage dealt.

Plain data and functions: time enters as an argument (seconds, any origin),
chance as an injected C{random.Random}.  The formulas are written out in
``docs/combat.md``.
"""

import math
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Optional

from rpg.world.errors import (AlreadyInCombat, InvalidTarget, TargetNotFound,
                              TargetOutOfRange)
from rpg.world.items import STAT_KEYS

MELEE_STYLES = ("stab", "slash", "crush")
# The same ten bonuses as an item's stats.
BONUS_KEYS = STAT_KEYS
COMBAT_SKILLS = ("attack", "strength", "defense")

GAME_TICK_S = 0.6
# OSRS adds 8 to every level used in a roll, plus 0-3 for the chosen stance.
# There is no stance in protocol 2.0, so the stance bonus is always 0.
LEVEL_BONUS = 8
STANCE_BONUS = 0
UNARMED_ATTACK_SPEED = 4
UNARMED_STYLE = "crush"
MELEE_RANGE = 1
# Swing timers compare sums of float tick lengths; this absorbs their
# rounding so that a 2.4 s weapon swings on the tick at 2.4 s.
TIME_EPSILON = 1e-6
# Preferred style, in order, when attack bonuses tie (unarmed punches crush).
_STYLE_PREFERENCE = ("crush", "slash", "stab")


@dataclass(frozen=True)
class Fighter:
    """
    What the combat formulas need to know of one fighter.

    C{stats} maps any of L{BONUS_KEYS} to an integer bonus; a missing key is 0.
    C{style} is the melee attack type used (stab, slash or crush);
    C{xp_skill} the combat skill that its damage trains.
    """

    attack: int = 1
    strength: int = 1
    defense: int = 1
    stats: Mapping = field(default_factory=dict)
    attack_speed_ticks: int = UNARMED_ATTACK_SPEED
    style: str = UNARMED_STYLE
    xp_skill: str = "attack"

    def __post_init__(self):
        if self.style not in MELEE_STYLES:
            raise ValueError(f"unknown melee style {self.style!r}")
        if self.xp_skill not in COMBAT_SKILLS:
            raise ValueError(f"unknown combat skill {self.xp_skill!r}")

    def __hash__(self):
        return hash((self.attack, self.strength, self.defense,
                     self.attack_speed_ticks, self.style))

    def bonus(self, key):
        return int(self.stats.get(key, 0))


def sum_bonuses(stats_dicts):
    """The total of several bonus dicts (e.g. every equipped item's C{stats})."""
    total = {key: 0 for key in BONUS_KEYS}
    for stats in stats_dicts:
        for key in BONUS_KEYS:
            total[key] += int(stats.get(key, 0))
    return total


def best_style(stats):
    """
    The melee style with the highest attack bonus in C{stats}; ties go to
    crush, then slash, then stab (so bare hands punch).
    """
    return max(_STYLE_PREFERENCE,
               key=lambda style: (int(stats.get("attack_bonus_" + style, 0)),
                                  -_STYLE_PREFERENCE.index(style)))


def effective_level(level):
    """The level as the rolls use it: C{level + 8 + stance bonus (0)}."""
    return level + LEVEL_BONUS + STANCE_BONUS


def max_hit(fighter):
    """
    C{floor(0.5 + effective_strength * (strength_bonus + 64) / 640)}, computed
    in integers; never below 0.
    """
    product = effective_level(fighter.strength) * (fighter.bonus("strength_bonus") + 64)
    return max(0, (product + 320) // 640)


def attack_roll(fighter, style):
    """C{effective_attack * (attack_bonus_<style> + 64)}, never below 0."""
    return max(0, effective_level(fighter.attack) * (fighter.bonus("attack_bonus_" + style) + 64))


def defence_roll(fighter, style):
    """C{effective_defence * (defence_bonus_<style> + 64)}, never below 0."""
    return max(0, effective_level(fighter.defense) * (fighter.bonus("defence_bonus_" + style) + 64))


def hit_chance(attack, defence):
    """
    The chance that an attack roll beats a defence roll:
    C{1 - (def + 2) / (2 * (att + 1))} when C{att > def}, else
    C{att / (2 * (def + 1))}.
    """
    if attack > defence:
        return 1 - (defence + 2) / (2 * (attack + 1))
    return attack / (2 * (defence + 1))


def roll_attack(attacker, defender, style, rng):
    """
    One blow: a hit if C{rng.random() < hit_chance}, then damage
    C{rng.randint(0, max_hit)}.

    @param style: the melee style, or C{None} for the attacker's own.
    @return: the damage (0 for a miss or a zero hit).
    """
    style = style or attacker.style
    if style not in MELEE_STYLES:
        raise ValueError(f"unknown melee style {style!r}")
    chance = hit_chance(attack_roll(attacker, style), defence_roll(defender, style))
    if rng.random() >= chance:
        return 0
    return rng.randint(0, max_hit(attacker))


class XpGain(NamedTuple):
    """
    XP earned by one blow: C{xp} maps skill name to whole XP; C{carry} is the
    hitpoints XP remainder in thirds (0-2) to pass to the next call.
    """

    xp: dict
    carry: int


def combat_xp(damage, skill="attack", carry=0):
    """
    XP for C{damage} points of melee damage: 4 per point to C{skill}, 4/3 per
    point to hitpoints.

    XP is kept in whole points.  The hitpoints share is counted in thirds: the
    whole part is awarded, the remainder (0-2 thirds) comes back as C{carry}
    and is added to the next blow's, so no XP is lost over many hits.
    """
    if skill not in COMBAT_SKILLS:
        raise ValueError(f"unknown combat skill {skill!r}")
    if damage < 0 or not 0 <= carry < 3:
        raise ValueError("damage must be >= 0 and carry 0-2")
    thirds = 4 * damage + carry
    return XpGain({skill: 4 * damage, "hitpoints": thirds // 3}, thirds % 3)


def swing_interval_s(attack_speed_ticks):
    """Seconds between two swings of a weapon of this speed (game ticks of 0.6 s)."""
    return attack_speed_ticks * GAME_TICK_S


def can_swing(last_swing_at, interval, now):
    """True when a fighter who last swung at C{last_swing_at} (C{None}: never) may swing at C{now}."""
    return last_swing_at is None or now - last_swing_at >= interval - TIME_EPSILON


def chebyshev(ax, ay, bx, by):
    return max(abs(ax - bx), abs(ay - by))


def in_melee_range(ax, ay, bx, by):
    """True when the two tiles are the same or touch, diagonals included."""
    return chebyshev(ax, ay, bx, by) <= MELEE_RANGE


@dataclass
class Combatant:
    """
    One fighter in L{resolve_swings}: who it is, where, its HP and timer,
    and whom it attacks.  C{retaliates}: it takes up a fight when hit.
    """

    entity_id: str
    fighter: Fighter
    hp: int
    x: int
    y: int
    target_id: Optional[str] = None
    last_swing_at: Optional[float] = None
    retaliates: bool = True


@dataclass(frozen=True)
class Swing:
    """
    One blow that was struck.  C{damage} is what was dealt (the roll capped at
    the defender's HP, which is also what XP is given for); C{rolled} is the
    roll itself.
    """

    attacker_id: str
    defender_id: str
    damage: int
    rolled: int
    defender_hp: int
    killed: bool


def _retaliate(defender, attacker_id, now):
    # As in OSRS, the first blow back comes half a weapon interval (rounded
    # up to whole game ticks) after being hit, never earlier than its timer.
    ticks = defender.fighter.attack_speed_ticks
    interval = swing_interval_s(ticks)
    ready_at = now + math.ceil(ticks / 2) * GAME_TICK_S
    if defender.last_swing_at is None or defender.last_swing_at + interval < ready_at:
        defender.last_swing_at = ready_at - interval
    defender.target_id = attacker_id


def resolve_swings(combatants, now, rng):
    """
    One combat step at time C{now}.

    Combatants act in the order of the mapping (id -> L{Combatant}).  One who
    is dead, has no target, whose target is gone or dead (the target is then
    cleared), is out of melee range, or whose weapon is not ready, does not
    swing.  A swing rolls L{roll_attack}, lowers the target's HP (never below
    0) and restarts the attacker's timer.  A hit target without a target of
    its own (and with C{retaliates}) takes the attacker as its target and
    swings back C{ceil(attack_speed_ticks / 2)} game ticks later, unless its
    own timer is later still.  A killed target's attacker has its target
    cleared.

    Combatants are updated in place.

    @return: the list of L{Swing}s, in order.
    """
    swings = []
    for attacker in combatants.values():
        if attacker.hp <= 0 or attacker.target_id is None:
            continue
        defender = combatants.get(attacker.target_id)
        if defender is None or defender.hp <= 0 or defender is attacker:
            attacker.target_id = None
            continue
        if not in_melee_range(attacker.x, attacker.y, defender.x, defender.y):
            continue
        interval = swing_interval_s(attacker.fighter.attack_speed_ticks)
        if not can_swing(attacker.last_swing_at, interval, now):
            continue
        rolled = roll_attack(attacker.fighter, defender.fighter, None, rng)
        dealt = min(rolled, defender.hp)
        defender.hp -= dealt
        attacker.last_swing_at = now
        killed = defender.hp == 0
        if killed:
            attacker.target_id = None
        elif defender.target_id is None and defender.retaliates:
            _retaliate(defender, attacker.entity_id, now)
        swings.append(Swing(attacker.entity_id, defender.entity_id, dealt, rolled,
                            defender.hp, killed))
    return swings


@dataclass(frozen=True)
class TargetView:
    """What L{validate_attack} needs to know of a would-be target."""

    entity_id: str
    x: int
    y: int
    alive: bool = True
    attackable: bool = True


def target_entity_id(target_type, target_id):
    """
    The entity id that a C{cmd_attack} payload names: C{"npc_<n>"} or
    C{"player_<n>"}; a bare integer is taken as the number.  A missing,
    empty or non-string id names nothing: C{None}.

    @raise InvalidTarget: for an unknown C{target_type}.
    """
    if target_type not in ("npc", "player"):
        raise InvalidTarget("Cannot attack that target type", reason="invalid_target_type")
    if isinstance(target_id, int) and not isinstance(target_id, bool):
        return f"{target_type}_{target_id}"
    if not isinstance(target_id, str) or not target_id:
        return None
    return target_id


def validate_attack(attacker_id, attacker_xy, current_target_id, target_type,
                    target_id, lookup, pvp, attack_range=MELEE_RANGE):
    """
    Check a C{cmd_attack} in the order of the rules, first failure wins:

      1. C{InvalidTarget}: C{target_type} not C{npc}/C{player}, oneself, a player on a map without pvp, a
         non-attackable NPC;
      2. C{TargetNotFound}: no such living target of that type on the map
         (a missing, empty or non-string C{target_id} names none);
      3. C{TargetOutOfRange}: Chebyshev distance over C{attack_range};
      4. C{AlreadyInCombat}: already attacking a different target.

    @param lookup: entity id -> L{TargetView} for the entities on the
        attacker's map, or C{None}.
    @param pvp: whether the attacker's map allows player-versus-player.
    @return: the target's entity id.
    """
    entity_id = target_entity_id(target_type, target_id)
    if entity_id is None:
        raise TargetNotFound("No such target", target_id=target_id)
    if entity_id == attacker_id:
        raise InvalidTarget("You cannot attack yourself", reason="self")
    if target_type == "player" and not pvp:
        raise InvalidTarget("Player combat is not allowed here", reason="no_pvp")
    found = lookup(entity_id) if entity_id.startswith(target_type + "_") else None
    if found is not None and not found.attackable:
        raise InvalidTarget(reason="not_attackable")
    if found is None or not found.alive:
        raise TargetNotFound(target_id=entity_id)
    distance = chebyshev(attacker_xy[0], attacker_xy[1], found.x, found.y)
    if distance > attack_range:
        raise TargetOutOfRange(distance=distance, max_range=attack_range)
    if current_target_id is not None and current_target_id != entity_id:
        raise AlreadyInCombat(current_target=current_target_id)
    return entity_id
