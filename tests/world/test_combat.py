"""
Tests for L{rpg.world.combat}: the formulas, the swing timer, a whole fight,
and the validation of C{cmd_attack}.
"""

import math
import random

import pytest

from rpg.protocol.errors import error_code
from rpg.world import combat
from rpg.world.combat import (Combatant, Fighter, TargetView, attack_roll,
                              best_style, can_swing, combat_xp, defence_roll,
                              hit_chance, in_melee_range, max_hit,
                              resolve_swings, roll_attack, sum_bonuses,
                              swing_interval_s, validate_attack)


def formula_max_hit(strength, bonus):
    return math.floor(0.5 + (strength + 8) * (bonus + 64) / 640)


class FixedRandom:
    """A stand-in C{random.Random} that returns given values in order."""

    def __init__(self, randoms=(), randints=()):
        self.randoms = list(randoms)
        self.randints = list(randints)
        self.randint_calls = []

    def random(self):
        return self.randoms.pop(0)

    def randint(self, low, high):
        self.randint_calls.append((low, high))
        return self.randints.pop(0)


# -- formulas

def test_max_hit_level_1_unarmed():
    """Strength 1 with no bonus: floor(0.5 + 9 * 64 / 640) = floor(1.4) = 1."""
    assert max_hit(Fighter(strength=1)) == 1


def test_max_hit_level_99_unarmed():
    """Strength 99 with no bonus: floor(0.5 + 107 * 64 / 640) = floor(11.2) = 11."""
    assert max_hit(Fighter(strength=99)) == 11


def test_max_hit_level_99_plus_100():
    """Strength 99, +100: floor(0.5 + 107 * 164 / 640) = floor(27.91875) = 27."""
    assert max_hit(Fighter(strength=99, stats={"strength_bonus": 100})) == 27


def test_max_hit_rounds_half_up():
    """The + 0.5 rounds to nearest: 5.78 gives 6, 3.0 gives 3, and exactly x.5 rounds up."""
    assert max_hit(Fighter(strength=42, stats={"strength_bonus": 10})) == 6
    # 24 * 80 = 1920, 1920 / 640 = 3.0 exactly -> floor(3.5) = 3
    assert max_hit(Fighter(strength=16, stats={"strength_bonus": 16})) == 3
    # 10 * 32 = 320 -> 0.5 + 0.5 = 1.0 exactly: the half rounds up to 1
    assert max_hit(Fighter(strength=2, stats={"strength_bonus": -32})) == 1


def test_max_hit_matches_float_formula_everywhere():
    """The integer computation equals the written formula across levels and bonuses."""
    for strength in range(1, 100):
        for bonus in range(-30, 150, 7):
            expected = max(0, formula_max_hit(strength, bonus))
            assert max_hit(Fighter(strength=strength, stats={"strength_bonus": bonus})) == expected


def test_max_hit_never_negative():
    """A strength bonus of -64 or worse gives a max hit of 0, not below."""
    assert max_hit(Fighter(strength=1, stats={"strength_bonus": -100})) == 0


def test_rolls_use_style_bonus():
    """Attack and defence rolls are effective level times (style bonus + 64)."""
    fighter = Fighter(attack=10, defense=20,
                      stats={"attack_bonus_slash": 6, "defence_bonus_slash": -4,
                             "attack_bonus_stab": 100})
    assert attack_roll(fighter, "slash") == 18 * 70
    assert defence_roll(fighter, "slash") == 28 * 60
    assert attack_roll(fighter, "crush") == 18 * 64


def test_hit_chance_attacker_stronger():
    """att > def: 1 - (def + 2) / (2 * (att + 1))."""
    assert hit_chance(1000, 500) == pytest.approx(1 - 502 / 2002)


def test_hit_chance_defender_stronger_or_equal():
    """att <= def: att / (2 * (def + 1))."""
    assert hit_chance(500, 1000) == pytest.approx(500 / 2002)
    assert hit_chance(576, 576) == pytest.approx(576 / 1154)


def test_roll_attack_miss_consumes_no_damage_roll():
    """A random() at or above the hit chance is a miss: 0 damage, no damage roll."""
    rng = FixedRandom(randoms=[0.9999])
    assert roll_attack(Fighter(), Fighter(), None, rng) == 0
    assert rng.randint_calls == []


def test_roll_attack_hit_rolls_zero_to_max_hit():
    """A hit draws damage with randint(0, max_hit)."""
    rng = FixedRandom(randoms=[0.0], randints=[7])
    attacker = Fighter(strength=60, stats={"strength_bonus": 20})
    assert roll_attack(attacker, Fighter(), "crush", rng) == 7
    assert rng.randint_calls == [(0, max_hit(attacker))]


def test_roll_attack_rejects_unknown_style():
    """Only stab, slash and crush are melee styles."""
    with pytest.raises(ValueError):
        roll_attack(Fighter(), Fighter(), "magic", random.Random(1))


def test_roll_attack_hit_rate_follows_hit_chance():
    """Over many seeded rolls, the share of hits tracks hit_chance."""
    rng = random.Random(7)
    attacker = Fighter(attack=40, strength=40)
    defender = Fighter(defense=20)
    hits = sum(roll_attack(attacker, defender, None, rng) > 0 for _ in range(20000))
    chance = hit_chance(attack_roll(attacker, "crush"), defence_roll(defender, "crush"))
    mh = max_hit(attacker)
    # a hit of 0 counts as a miss here: P(>0) = chance * mh / (mh + 1)
    assert hits / 20000 == pytest.approx(chance * mh / (mh + 1), abs=0.015)


def test_sum_bonuses_and_best_style():
    """Bonuses add up per key; the best attack bonus picks the style, ties punch (crush)."""
    total = sum_bonuses([{"attack_bonus_stab": 4, "attack_bonus_slash": 2},
                         {"attack_bonus_stab": 1, "strength_bonus": 3}])
    assert total["attack_bonus_stab"] == 5 and total["strength_bonus"] == 3
    assert len(total) == len(combat.BONUS_KEYS)
    assert best_style(total) == "stab"
    assert best_style({}) == "crush"
    assert best_style({"attack_bonus_slash": 3, "attack_bonus_stab": 3}) == "slash"


# -- XP

def test_combat_xp_whole_damage():
    """3 damage: 12 XP to the combat skill and exactly 4 to hitpoints, no carry."""
    assert combat_xp(3, "strength") == ({"strength": 12, "hitpoints": 4}, 0)


def test_combat_xp_carries_thirds():
    """1 damage gives 1 hitpoints XP and carries 1/3; the next 1 damage gives 1 and carries 2/3."""
    first = combat_xp(1)
    assert first == ({"attack": 4, "hitpoints": 1}, 1)
    second = combat_xp(1, carry=first.carry)
    assert second == ({"attack": 4, "hitpoints": 1}, 2)
    third = combat_xp(1, carry=second.carry)
    assert third == ({"attack": 4, "hitpoints": 2}, 0)


def test_combat_xp_never_loses_xp_over_many_hits():
    """Summed over any run of hits, hitpoints XP is floor(4/3 * total damage)."""
    rng = random.Random(3)
    carry = 0
    total_hp_xp = total_damage = 0
    for _ in range(1000):
        damage = rng.randint(0, 20)
        gain = combat_xp(damage, "defense", carry)
        carry = gain.carry
        total_hp_xp += gain.xp["hitpoints"]
        total_damage += damage
        assert total_hp_xp == (4 * total_damage) // 3
    assert total_hp_xp * 3 + carry == 4 * total_damage


def test_combat_xp_rejects_bad_input():
    """Unknown skills, negative damage and carries outside 0-2 are refused."""
    for args in [(1, "mining"), (-1, "attack"), (1, "attack", 3)]:
        with pytest.raises(ValueError):
            combat_xp(*args)


# -- timing and range

def test_swing_interval():
    """A 4-tick weapon swings every 2.4 s, a 6-tick one every 3.6 s."""
    assert swing_interval_s(4) == pytest.approx(2.4)
    assert swing_interval_s(6) == pytest.approx(3.6)


def test_can_swing():
    """First swing is immediate; later ones wait a full interval, float ticks included."""
    assert can_swing(None, 2.4, 0.0)
    assert not can_swing(10.0, 2.4, 12.35)
    assert can_swing(10.0, 2.4, 12.4)
    assert can_swing(0.0, 2.4, sum([0.05] * 48))  # 2.4 by 48 ticks, ~2.3999999


def test_in_melee_range():
    """Melee reaches the same tile and the 8 neighbours, diagonals included."""
    assert in_melee_range(5, 5, 5, 5)
    assert in_melee_range(5, 5, 6, 6)
    assert in_melee_range(5, 5, 4, 5)
    assert not in_melee_range(5, 5, 7, 5)
    assert not in_melee_range(5, 5, 6, 7)


# -- a fight

def duel(seed):
    player = Combatant("player_1", Fighter(attack=10, strength=10, defense=5,
                                           stats={"attack_bonus_slash": 6, "strength_bonus": 5},
                                           style="slash"), hp=20, x=3, y=3,
                       target_id="npc_1")
    goblin = Combatant("npc_1", Fighter(attack=3, strength=3, defense=3), hp=12, x=4, y=3)
    fighters = {"player_1": player, "npc_1": goblin}
    rng = random.Random(seed)
    log = []
    now = 0.0
    while player.hp > 0 and goblin.hp > 0 and now < 600:
        log.extend((now, swing) for swing in resolve_swings(fighters, now, rng))
        now = round(now + 0.05, 2)
    return log, player.hp, goblin.hp


def test_fight_is_reproducible_with_a_seed():
    """Two fights with the same seed produce identical swings and outcome."""
    first = duel(1234)
    assert first == duel(1234)
    assert first[1] == 0 or first[2] == 0


def test_fight_differs_with_another_seed():
    """The seed matters: another seed gives another sequence of blows."""
    assert duel(1)[0] != duel(2)[0]


def test_fight_swings_on_weapon_timer_and_retaliation():
    """The attacker opens at 0 s, the defender retaliates 2 ticks (1.2 s) later; each swings every 2.4 s."""
    log, _, _ = duel(99)
    assert (log[0][0], log[0][1].attacker_id) == (0.0, "player_1")
    assert (log[1][0], log[1][1].attacker_id) == (1.2, "npc_1")
    for who, start in (("player_1", 0.0), ("npc_1", 1.2)):
        times = [now for now, swing in log if swing.attacker_id == who]
        assert times == [round(start + 2.4 * n, 2) for n in range(len(times))]


def test_fight_ends_with_a_kill_capped_at_remaining_hp():
    """The last blow kills: damage dealt never exceeds the HP left; the killer's target clears."""
    log, player_hp, goblin_hp = duel(5)
    swings = [swing for _, swing in log]
    last = swings[-1]
    assert last.killed and last.defender_hp == 0
    hp = {"player_1": 20, "npc_1": 12}
    for swing in swings:
        assert swing.damage == min(swing.rolled, hp[swing.defender_id])
        hp[swing.defender_id] -= swing.damage
        assert hp[swing.defender_id] == swing.defender_hp
    assert hp == {"player_1": player_hp, "npc_1": goblin_hp}


def test_swings_timing_exact():
    """A fighter swings at 0, not before 2.4, and again at 2.4."""
    a = Combatant("a", Fighter(), 10, 0, 0, target_id="b")
    b = Combatant("b", Fighter(), 10, 1, 0, retaliates=False)
    fighters = {"a": a, "b": b}
    rng = random.Random(0)
    assert [s.attacker_id for s in resolve_swings(fighters, 0.0, rng)] == ["a"]
    assert resolve_swings(fighters, 2.35, rng) == []
    assert [s.attacker_id for s in resolve_swings(fighters, 2.4, rng)] == ["a"]
    assert b.target_id is None


def test_retaliation_never_hurries_a_slow_timer():
    """A defender whose own timer is later than the retaliation delay keeps its timer."""
    a = Combatant("a", Fighter(), 10, 0, 0, target_id="b")
    b = Combatant("b", Fighter(attack_speed_ticks=6), 10, 1, 0, last_swing_at=0.0)
    rng = FixedRandom(randoms=[0.0], randints=[0])
    resolve_swings({"a": a, "b": b}, 0.6, rng)
    assert b.target_id == "a"
    assert b.last_swing_at == 0.0


def test_no_swing_out_of_range_or_without_target():
    """Out of melee range nothing is struck and the timer keeps; a gone target is cleared."""
    a = Combatant("a", Fighter(), 10, 0, 0, target_id="b")
    b = Combatant("b", Fighter(), 10, 2, 0)
    fighters = {"a": a, "b": b}
    assert resolve_swings(fighters, 0.0, random.Random(0)) == []
    assert a.last_swing_at is None and a.target_id == "b"
    del fighters["b"]
    assert resolve_swings(fighters, 1.0, random.Random(0)) == []
    assert a.target_id is None


def test_dead_fighter_does_not_swing():
    """A fighter at 0 HP strikes no blow, and a dead target is dropped."""
    a = Combatant("a", Fighter(), 0, 0, 0, target_id="b")
    b = Combatant("b", Fighter(), 10, 1, 0, target_id="c")
    c = Combatant("c", Fighter(), 0, 1, 1)
    assert resolve_swings({"a": a, "b": b, "c": c}, 0.0, random.Random(0)) == []
    assert b.target_id is None


# -- cmd_attack validation

def lookup_from(*views):
    table = {view.entity_id: view for view in views}
    return table.get


GOBLIN = TargetView("npc_1", 5, 5)
GUARD = TargetView("npc_2", 5, 6, attackable=False)
DEAD_RAT = TargetView("npc_3", 4, 5, alive=False)
FAR_GOBLIN = TargetView("npc_4", 9, 9)
OTHER = TargetView("player_2", 4, 4)
WORLD = lookup_from(GOBLIN, GUARD, DEAD_RAT, FAR_GOBLIN, OTHER)


def attack(target_type, target_id, current=None, pvp=False, xy=(4, 4)):
    return validate_attack("player_1", xy, current, target_type, target_id, WORLD, pvp)


def code_of(target_type, target_id, **kw):
    with pytest.raises(Exception) as info:
        attack(target_type, target_id, **kw)
    return error_code(info.value)


def test_validate_attack_accepts_and_returns_entity_id():
    """A living attackable NPC in reach is a valid target; an int id is taken as its number."""
    assert attack("npc", "npc_1") == "npc_1"
    assert attack("npc", 1) == "npc_1"
    assert attack("npc", "npc_1", current="npc_1") == "npc_1"
    assert attack("player", "player_2", pvp=True) == "player_2"


@pytest.mark.parametrize("target_type,target_id,kw", [
    ("monster", "npc_1", {}),
    (None, "npc_1", {}),
    ("player", "player_1", {"pvp": True}),
    ("player", 1, {"pvp": True}),
    ("player", "player_2", {}),
    ("player", "player_99", {}),
    ("npc", "npc_2", {}),
])
def test_validate_attack_invalid_target(target_type, target_id, kw):
    """Bad type, oneself, a player without pvp, a non-attackable NPC: COMBAT_INVALID_TARGET."""
    assert code_of(target_type, target_id, **kw) == "COMBAT_INVALID_TARGET"


@pytest.mark.parametrize("target_type,target_id,kw", [
    ("npc", "npc_77", {}),
    ("npc", "npc_3", {}),
    ("npc", "player_2", {}),
    ("player", "npc_1", {"pvp": True}),
    ("player", "player_99", {"pvp": True}),
    ("npc", None, {}),
    ("npc", "", {}),
    ("npc", ["npc_1"], {}),
])
def test_validate_attack_target_not_found(target_type, target_id, kw):
    """No such living target of that type on the map (or no id at all): COMBAT_TARGET_NOT_FOUND."""
    assert code_of(target_type, target_id, **kw) == "COMBAT_TARGET_NOT_FOUND"


def test_validate_attack_out_of_range():
    """A target two tiles away is beyond melee range: COMBAT_OUT_OF_RANGE."""
    assert code_of("npc", "npc_4") == "COMBAT_OUT_OF_RANGE"
    assert code_of("npc", "npc_1", xy=(3, 5)) == "COMBAT_OUT_OF_RANGE"


def test_validate_attack_already_in_combat():
    """Attacking another target while attacking one: COMBAT_ALREADY_IN_COMBAT."""
    assert code_of("npc", "npc_1", current="npc_4") == "COMBAT_ALREADY_IN_COMBAT"


def test_validate_attack_order():
    """Checks run in order: invalid before not-found before range before already-in-combat."""
    # non-attackable and far and in combat: invalid wins
    assert code_of("npc", "npc_2", current="npc_4", xy=(20, 20)) == "COMBAT_INVALID_TARGET"
    # dead, far and in combat: not found wins
    assert code_of("npc", "npc_3", current="npc_4", xy=(20, 20)) == "COMBAT_TARGET_NOT_FOUND"
    # far and in combat: out of range wins
    assert code_of("npc", "npc_4", current="npc_1") == "COMBAT_OUT_OF_RANGE"
