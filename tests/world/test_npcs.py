"""
Tests for L{rpg.world.npcs}: NPC behaviour.
"""

import random

from rpg.world.combat import Combatant, Fighter, resolve_swings
from rpg.world.npc_definitions import NpcDef, roll_loot
from rpg.world.npcs import (chase_step, combat_state, engage, find_aggro_target, kill,
                            npc_combatant, return_step, spawn_npc, start_return, step_npc,
                            wander_step)

RAT = NpcDef(key="rat", name="Rat", attackable=True, hitpoints=8, aggressive=True,
             aggression_radius=3, leash_distance=5, wander_radius=2, respawn_s=20.0,
             move_interval_s=2.0, chase_interval_s=0.6)
GOBLIN = NpcDef(key="goblin", name="Goblin", attackable=True, hitpoints=5,
                wander_radius=3, move_interval_s=1.0)


def open_ground(x, y):
    return 0 <= x < 50 and 0 <= y < 50


def walls(*blocked):
    blocked = set(blocked)
    return lambda x, y: open_ground(x, y) and (x, y) not in blocked


# -- wander

def test_wander_stays_in_radius_and_off_blocked_tiles():
    """Over many seeded steps a wanderer stays within its square and never enters a wall."""
    blocked = {(11, 10), (10, 12), (8, 8)}
    npc = spawn_npc("npc_1", GOBLIN, 10, 10, now=0.0)
    rng = random.Random(1)
    seen = set()
    moves = 0
    for tick in range(1, 3000):
        if wander_step(npc, tick * 0.5, rng, walls(*blocked)):
            moves += 1
        assert max(abs(npc.x - 10), abs(npc.y - 10)) <= 3
        assert (npc.x, npc.y) not in blocked
        seen.add((npc.x, npc.y))
    assert moves > 100
    assert len(seen) > 20


def test_wander_waits_for_its_interval():
    """A wanderer steps at most once per move_interval_s."""
    npc = spawn_npc("npc_1", GOBLIN, 10, 10, now=0.0)
    rng = random.Random(2)
    assert not wander_step(npc, 0.5, rng, open_ground)
    results = [wander_step(npc, t, rng, open_ground) for t in (1.0, 1.5, 1.9)]
    assert results[1:] == [False, False]
    assert npc.next_move_at == 2.0


def test_spawn_wander_radius_override_zero_stays_put():
    """A map's wander_radius of 0 overrides the definition: the NPC never moves."""
    npc = spawn_npc("npc_1", GOBLIN, 10, 10, wander_radius=0)
    rng = random.Random(3)
    assert not any(wander_step(npc, t, rng, open_ground) for t in range(1, 50))
    assert (npc.x, npc.y) == (10, 10)


# -- aggression

def test_aggro_picks_nearest_within_radius():
    """An aggressive NPC picks the nearest player within its radius."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    candidates = [("player_1", 13, 10), ("player_2", 11, 12), ("player_3", 14, 10)]
    assert find_aggro_target(npc, candidates) == "player_2"
    assert find_aggro_target(npc, [("player_3", 14, 10)]) is None


def test_aggro_tie_break_by_player_id():
    """Equally near players: the lowest player id wins, numerically (9 before 10)."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    assert find_aggro_target(npc, [("player_10", 12, 10), ("player_9", 8, 10)]) == "player_9"
    assert find_aggro_target(npc, [("player_9", 8, 10), ("player_10", 12, 10)]) == "player_9"


def test_no_aggro_when_passive_busy_or_beyond_leash():
    """Passive NPCs, NPCs already busy, and players beyond the leash are never picked."""
    goblin = spawn_npc("npc_1", GOBLIN, 10, 10)
    assert find_aggro_target(goblin, [("player_1", 10, 11)]) is None
    rat = spawn_npc("npc_2", RAT, 10, 10)
    rat.x = 14  # wandered to the edge; player 3 tiles further is 7 from spawn
    assert find_aggro_target(rat, [("player_1", 17, 10)]) is None
    rat.x = 10
    start_return(rat)
    assert find_aggro_target(rat, [("player_1", 10, 11)]) is None


def test_step_npc_aggroes():
    """An idle aggressive NPC with a player in radius goes in_combat against it."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    event = step_npc(npc, 0.1, random.Random(0), open_ground, {"player_1": (12, 11)})
    assert event == "aggro"
    assert (npc.state, npc.target, combat_state(npc)) == ("in_combat", "player_1", "in_combat")


# -- chase

def test_chase_moves_along_longer_axis_and_stops_adjacent():
    """Chasing steps along the longer axis first (x on a tie) and stops once in melee range."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    path = []
    while chase_step(npc, (14, 12), open_ground):
        path.append((npc.x, npc.y))
    assert path == [(11, 10), (12, 10), (13, 10), (13, 11)]
    assert npc.facing == "south"


def test_chase_takes_other_axis_when_blocked():
    """When the preferred tile is blocked, the chaser steps along the other axis."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    assert chase_step(npc, (14, 12), walls((11, 10)))
    assert (npc.x, npc.y, npc.facing) == (10, 11, "south")


def test_chase_stuck_and_never_onto_target():
    """Fully blocked it stays; a target straight ahead is approached but never stepped on."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    assert not chase_step(npc, (14, 10), walls((11, 10)))
    assert (npc.x, npc.y) == (10, 10)
    npc.x = 12
    assert chase_step(npc, (14, 10), open_ground)
    assert (npc.x, npc.y) == (13, 10)
    assert not chase_step(npc, (14, 10), open_ground)


def test_step_npc_chases_at_chase_interval():
    """In combat, an NPC out of range takes one chase step per chase_interval_s."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    engage(npc, "player_1")
    players = {"player_1": (13, 10)}
    rng = random.Random(0)
    npc.next_move_at = 0.0
    assert step_npc(npc, 1.0, rng, open_ground, players) == "moved"
    assert step_npc(npc, 1.3, rng, open_ground, players) is None
    assert step_npc(npc, 1.6, rng, open_ground, players) == "moved"
    assert (npc.x, npc.y) == (12, 10)
    assert step_npc(npc, 2.2, rng, open_ground, players) is None


# -- leash and return

def test_leash_when_target_leaves_range_of_spawn():
    """A target farther than leash_distance from the spawn makes the NPC give up and return."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    engage(npc, "player_1")
    event = step_npc(npc, 1.0, random.Random(0), open_ground, {"player_1": (16, 10)})
    assert event == "leashed"
    assert (npc.state, npc.target, combat_state(npc)) == ("returning", None, "idle")


def test_leash_when_target_gone():
    """A target no longer among the living players on the map ends the chase."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    engage(npc, "player_1")
    assert step_npc(npc, 1.0, random.Random(0), open_ground, {}) == "leashed"


def test_return_walks_home_and_heals():
    """A returning NPC walks back step by step, then heals to full and goes idle."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    npc.x, npc.y, npc.hp = 13, 11, 2
    npc.next_move_at = 0.0
    start_return(npc)
    rng = random.Random(0)
    events = []
    now = 0.0
    while npc.state == "returning" and now < 20:
        events.append(step_npc(npc, now, rng, open_ground, {"player_1": (12, 11)}))
        now = round(now + 0.6, 1)
    assert events == ["moved", "moved", "moved", "returned"]
    assert (npc.x, npc.y, npc.hp, npc.state) == (10, 10, RAT.hitpoints, "idle")


def test_return_stuck_is_put_back_on_spawn():
    """A returning NPC that cannot step closer is put back on its spawn, healed."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    npc.x, npc.y, npc.hp = 12, 10, 1
    start_return(npc)
    assert return_step(npc, walls((11, 10), (12, 9), (12, 11)))
    assert (npc.x, npc.y, npc.hp, npc.state) == (10, 10, RAT.hitpoints, "idle")


# -- death and respawn

def test_kill_and_respawn_after_respawn_time():
    """A killed NPC is dead until respawn_s has passed, then back at spawn at full HP."""
    npc = spawn_npc("npc_1", RAT, 10, 10)
    npc.x, npc.hp = 12, 3
    engage(npc, "player_1")
    kill(npc, 100.0)
    assert (npc.state, npc.hp, npc.target, combat_state(npc)) == ("dead", 0, None, "dead")
    assert not engage(npc, "player_2")
    rng = random.Random(0)
    assert step_npc(npc, 119.9, rng, open_ground, {}) is None
    assert step_npc(npc, 120.0, rng, open_ground, {}) == "respawned"
    assert (npc.x, npc.y, npc.hp, npc.state) == (10, 10, RAT.hitpoints, "idle")


# -- a whole encounter, replayed

def encounter(seed):
    """A rat aggroes a player, chases, and the two fight until one dies."""
    rng = random.Random(seed)
    npc = spawn_npc("npc_1", RAT, 10, 10)
    player = {"player_1": (12, 12)}
    hero = Combatant("player_1", Fighter(attack=5, strength=5, defense=5), 10, 12, 12)
    log = []
    now = 0.0
    while now < 300:
        event = step_npc(npc, now, rng, open_ground, player)
        log.append((now, event, npc.x, npc.y))
        rat = npc_combatant(npc)
        fighters = {"npc_1": rat, "player_1": hero}
        swings = resolve_swings(fighters, now, rng)
        npc.hp, npc.last_swing_at, npc.target = rat.hp, rat.last_swing_at, rat.target_id
        log.extend(swings)
        if npc.hp == 0:
            kill(npc, now)
            log.append(("loot", roll_loot(npc.definition, rng)))
            break
        if hero.hp == 0:
            break
        now = round(now + 0.05, 2)
    return log, npc.hp, hero.hp


def test_encounter_reproducible():
    """The same seed replays an aggro, chase and fight identically; someone dies."""
    first = encounter(42)
    assert first == encounter(42)
    log, rat_hp, hero_hp = first
    assert log[0] == (0.0, "aggro", 10, 10)
    assert log[1] == (0.05, "moved", 11, 10)
    attackers = {entry.attacker_id for entry in log if hasattr(entry, "attacker_id")}
    assert attackers == {"npc_1", "player_1"}
    assert rat_hp == 0 or hero_hp == 0


def test_engage_with_now_allows_an_immediate_chase():
    """An NPC attacked while waiting on its wander timer may chase at once."""
    npc = spawn_npc("npc_1", GOBLIN, 10, 10, now=0.0)
    assert npc.next_move_at == 1.0
    assert engage(npc, "player_1", now=0.2)
    assert step_npc(npc, 0.2, random.Random(0), open_ground, {"player_1": (13, 10)}) == "moved"
    assert (npc.x, npc.y) == (11, 10)
