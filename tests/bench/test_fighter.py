"""
The fighting bot's plan (L{rpg.bench.fighter.Hunter}): what it sees in
C{event_game_update} and what it does next.
"""

import random

from rpg.bench.bot import is_fighter
from rpg.bench.fighter import Hunter, step_toward


def goblin(npc_id, x, y, npc_type="goblin"):
    return {"id": npc_id, "type": "npc", "npc_type": npc_type, "name": "Goblin", "x": x, "y": y,
            "current_hp": 5, "max_hp": 5, "combat_state": "idle"}


def hunter_at(x, y, now=0.0, **kwargs):
    return Hunter("player_7", x, y, random.Random(1), now, **kwargs)


def test_without_an_npc_in_sight_the_bot_walks_at_random():
    """No NPC in view: the hunter leaves the walking to the bot."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 40, 40)], "removed_entities": []}, 0.0)
    assert hunter.next_action(1.0) is None


def test_it_steps_toward_the_nearest_attackable_npc():
    """Of two goblins in sight, the nearer one is the target, along the longer axis."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 16, 10), goblin("npc_2", 10, 7)]}, 0.0)
    assert hunter.next_action(1.0) == ("move", "UP")
    assert hunter.target == "npc_2"


def test_guards_are_not_hunted():
    """An NPC kind that cannot be attacked is never chosen."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 11, 10, npc_type="guard")]}, 0.0)
    assert hunter.next_action(1.0) is None


def test_next_to_the_target_it_attacks_then_waits_for_the_reply():
    """Chebyshev 1 (a diagonal too) is melee range: attack, then wait."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 11, 11)]}, 0.0)
    assert hunter.next_action(1.0) == ("attack", "npc_1")
    assert hunter.next_action(1.5) == ("wait", None)


def test_its_own_position_follows_its_entity_and_move_replies():
    """Deltas of the bot's own entity and move replies move the hunter."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [{"id": "player_7", "x": 12}]}, 0.0)
    assert (hunter.x, hunter.y) == (12, 10)
    hunter.moved(12, 11)
    assert (hunter.x, hunter.y) == (12, 11)


def test_an_npc_leaving_the_view_while_fought_is_a_kill():
    """After an accepted attack, the target's removal counts one kill and the bot walks on."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 11, 10)]}, 0.0)
    hunter.next_action(1.0)
    hunter.attack_answered(None, 1.05)
    assert hunter.update({"entities": [], "removed_entities": ["npc_1", 42]}, 20.0) == 1
    assert (hunter.kills, hunter.state, hunter.target) == (1, "walk", None)


def test_an_npc_leaving_the_view_while_only_hunted_is_no_kill():
    """Losing sight of a target not yet attacked counts nothing."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 15, 10)]}, 0.0)
    hunter.next_action(1.0)
    assert hunter.update({"removed_entities": ["npc_1"]}, 2.0) == 0
    assert (hunter.kills, hunter.state) == (0, "walk")


def test_a_fight_that_takes_too_long_is_given_up_and_the_npc_ignored():
    """Past the fight timeout the bot walks on and does not pick that NPC again at once."""
    hunter = hunter_at(10, 10, fight_timeout=30.0, rest=(0.0, 0.0))
    hunter.update({"entities": [goblin("npc_1", 11, 10)]}, 0.0)
    hunter.next_action(1.0)
    hunter.attack_answered(None, 1.0)
    assert hunter.next_action(20.0) == ("wait", None)
    assert hunter.next_action(31.5) is None
    assert hunter.next_action(32.0) is None


def test_a_refused_attack_is_given_up_but_out_of_range_is_retried():
    """COMBAT_OUT_OF_RANGE sends the bot back to approach; another code makes it walk."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 11, 10), goblin("npc_2", 30, 30)]}, 0.0)
    hunter.next_action(1.0)
    hunter.attack_answered("COMBAT_OUT_OF_RANGE", 1.0)
    assert hunter.next_action(1.5) == ("attack", "npc_1")
    hunter.attack_answered("COMBAT_ALREADY_IN_COMBAT", 1.6)
    assert (hunter.state, hunter.target) == ("walk", None)


def test_a_target_that_moves_off_is_followed():
    """While fighting, an NPC that is no longer adjacent is approached again."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 11, 10)]}, 0.0)
    hunter.next_action(1.0)
    hunter.attack_answered(None, 1.0)
    hunter.update({"entities": [{"id": "npc_1", "x": 13}]}, 2.0)
    assert hunter.next_action(2.5) == ("move", "RIGHT")


def test_a_dead_bot_drops_its_target_and_waits_until_it_is_back():
    """Its own animation_state 'dead' counts a death; the bot waits until it respawns."""
    hunter = hunter_at(10, 10)
    hunter.update({"entities": [goblin("npc_1", 11, 10)]}, 0.0)
    hunter.next_action(1.0)
    hunter.attack_answered(None, 1.0)
    hunter.update({"entities": [{"id": "player_7", "animation_state": "dead"}]}, 5.0)
    assert (hunter.deaths, hunter.target) == (1, None)
    assert hunter.next_action(6.0) == ("wait", None)
    hunter.update({"entities": [{"id": "player_7", "x": 24, "y": 24,
                                 "animation_state": "idle"}]}, 10.0)
    assert hunter.state == "walk"
    assert hunter.update({"removed_entities": ["npc_1"]}, 10.0) == 0


def test_step_toward_prefers_the_longer_axis():
    """x on a tie, the longer axis otherwise, nothing on the spot."""
    assert step_toward(0, 0, 3, -3) == "RIGHT"
    assert step_toward(0, 0, -1, 4) == "DOWN"
    assert step_toward(2, 2, 2, 2) is None


def test_the_fighters_are_an_exact_share_spread_over_the_bot_numbers():
    """A share of 0.2 makes every fifth bot a fighter; 0 none, 1 all."""
    assert [i for i in range(10) if is_fighter(i, 0.2)] == [4, 9]
    assert not any(is_fighter(i, 0.0) for i in range(10))
    assert all(is_fighter(i, 1.0) for i in range(10))
