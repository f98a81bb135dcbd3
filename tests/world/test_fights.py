"""
Tests for combat in the running world, L{rpg.world.fights}: whole fights
through L{GameWorld}, with a seeded random generator and explicit times.
"""

import dataclasses
import random
from pathlib import Path

import pytest

from rpg.config import Tunables
from rpg.content import Content
from rpg.content.tables import load_items, load_npcs
from rpg.models import ItemStack
from rpg.world.errors import (AlreadyInCombat, InvalidMessageFormat, InvalidTarget,
                              MoveBlocked, TargetNotFound, TargetOutOfRange)
from rpg.world.game import GameWorld
from rpg.world.maps import NpcSpawn
from rpg.world.skills import new_skills, xp_for_level

from .worldmaps import ListedNumbers, ascii_map, character

REPO_MAPS = Path(__file__).resolve().parents[2] / "maps"
ITEMS = load_items(REPO_MAPS / "items.toml")
NPCS = load_npcs(REPO_MAPS / "npcs.toml", {item.key for item in ITEMS.all()})
LETTERS = {"g": "goblin", "r": "giant_rat", "G": "guard"}
TICK = 0.05


def make_game(picture, pvp=False, seed=1, wander_radius=0, numbers=None, **tunables):
    """A game on one map drawn in ASCII; g, r and G are NPC spawns."""
    rows = [line.strip() for line in picture.strip().splitlines()]
    spawns = [NpcSpawn(LETTERS[cell], x, y, wander_radius)
              for y, row in enumerate(rows) for x, cell in enumerate(row) if cell in LETTERS]
    plain = "\n".join("".join("." if c in LETTERS else c for c in row) for row in rows)
    game_map = ascii_map(plain, map_id="arena")
    game_map.npc_spawns.extend(spawns)
    game_map.pvp = pvp
    content = Content({"arena": game_map}, ITEMS, NPCS)
    return GameWorld(content, "arena", dataclasses.replace(Tunables(), **tunables),
                     rng=random.Random(seed), ground_item_numbers=numbers)


def strong_skills():
    skills = new_skills()
    skills.update(attack=xp_for_level(99), strength=xp_for_level(99),
                  defense=xp_for_level(99), hitpoints=xp_for_level(99))
    return skills


def enter(game, player_id, x, y, now=0.0, **fields):
    fields.setdefault("skills", new_skills())
    game.add_player(character(player_id, x, y, map_id="arena", **fields), now)
    game.welcome_messages(player_id)
    return game.player(player_id)


class Clock:
    """Runs the game's tick as the world service does, collecting what it sends."""

    def __init__(self, game, now=0.0):
        self.game = game
        self.now = now
        self.events = []
        self.updates = []

    def run(self, seconds):
        for _ in range(round(seconds / TICK)):
            self.now += TICK
            self.events.extend(self.game.step(self.now))
            self.updates.extend(self.game.compute_updates())
            self.events.extend(self.game.drain_events())

    def run_until(self, condition, limit=120.0):
        end = self.now + limit
        while not condition():
            assert self.now < end, "condition not met in time"
            self.run(TICK)

    def of(self, message_type, player_id=None):
        return [payload for ids, kind, payload in self.events
                if kind == message_type and (player_id is None or player_id in ids)]

    def removed(self, player_id):
        return [key for ids, payload in self.updates if player_id in ids
                for key in payload["removed_entities"]]


def npc_id_at(game, x, y):
    return next(i for i, npc in game.fights.npcs.states.items() if npc.spawn == (x, y))


# -- NPCs in the world
def test_npcs_spawn_from_the_map():
    """Each npc_spawn becomes an NPC entity npc_<n>, at full HP and idle."""
    game = make_game("""
        S.g..
        .....
        ....r
    """)
    entities = {e.id: e for e in game.engine.entities.values() if e.type == "npc"}
    assert sorted(entities) == ["npc_1", "npc_2"]
    goblin = entities["npc_1"].full()
    assert goblin == {"id": "npc_1", "type": "npc", "npc_type": "goblin", "name": "Goblin",
                      "x": 2, "y": 0, "facing_direction": "south", "current_hp": 5,
                      "max_hp": 5, "combat_state": "idle"}
    assert entities["npc_2"].npc_type == "giant_rat"


def test_idle_npcs_without_work_are_off_the_schedule():
    """A still, peaceful NPC, and an aggressive one with no player near, are not stepped."""
    game = make_game("." * 80 + "\n" + "g" + "." * 78 + "r")
    clock = Clock(game)
    clock.run(1.0)
    assert game.fights.npcs.scheduled_at("npc_1") is None
    assert game.fights.npcs.scheduled_at("npc_2") is None


def test_ticks_step_only_the_npcs_that_are_due():
    """Among fifty still goblins and one wanderer, only the wanderer steps after the first tick."""
    game = make_game("g" * 50 + "\n" + "." * 50)
    wanderer = game.fights.npcs.states["npc_50"]
    wanderer.wander_radius = 1
    game.fights.npcs.schedule("npc_50", wanderer.next_move_at)
    clock = Clock(game)
    clock.run(TICK)
    stepped = []
    step = game.fights.npcs.step

    def counting_step(npc_id, *args):
        stepped.append(npc_id)
        return step(npc_id, *args)
    game.fights.npcs.step = counting_step
    clock.run(10.0)
    assert stepped and set(stepped) == {"npc_50"}
    assert len(stepped) <= 4  # one step per 3 s move interval


def test_wandering_npc_is_scheduled_by_its_move_interval():
    """A wandering NPC is due again one move interval after its step."""
    game = make_game("""
        S....
        ..g..
        .....
    """, wander_radius=2)
    clock = Clock(game)
    npc = game.fights.npcs.states["npc_1"]
    assert game.fights.npcs.scheduled_at("npc_1") == 3.0
    clock.run(3.1)
    assert npc.next_move_at == pytest.approx(6.0, abs=TICK)
    assert game.fights.npcs.scheduled_at("npc_1") == npc.next_move_at


# -- cmd_attack
ROOM = """
    GS.g......
    ..........
    ..........
    ..........
    .........g
"""


def test_attack_reply_names_the_target():
    """A valid attack replies combat_started with the target's id, name and HP."""
    game = make_game(ROOM)
    enter(game, 1, 2, 0)
    reply = game.fights.attack(1, npc_id_at(game, 3, 0), "npc", 0.0)
    assert reply == {"combat_started": True,
                     "target": {"id": npc_id_at(game, 3, 0), "name": "Goblin",
                                "current_hp": 5, "max_hp": 5}}
    assert game.player(1).combat_target == npc_id_at(game, 3, 0)
    assert game.player(1).animation_state == "attacking"


@pytest.mark.parametrize("target_type, target, error", [
    ("monster", "npc_1", InvalidTarget),
    ("npc", "guard", InvalidTarget),
    ("player", "player_1", InvalidTarget),
    ("player", "player_2", InvalidTarget),  # no pvp on this map
    ("npc", "npc_99", TargetNotFound),
    ("npc", "far_goblin", TargetOutOfRange),
])
def test_attack_is_validated(target_type, target, error):
    """cmd_attack refuses bad types, oneself, guards, PvP off, unknown and far targets."""
    game = make_game(ROOM)
    enter(game, 1, 1, 0)
    enter(game, 2, 2, 0)
    names = {"guard": npc_id_at(game, 0, 0), "far_goblin": npc_id_at(game, 9, 4)}
    with pytest.raises(error):
        game.fights.attack(1, names.get(target, target), target_type, 0.0)


def test_attacking_another_target_is_already_in_combat():
    """While attacking one goblin, attacking another is COMBAT_ALREADY_IN_COMBAT."""
    game = make_game("""
        g.g
        .S.
    """)
    enter(game, 1, 1, 1)
    game.fights.attack(1, "npc_1", "npc", 0.0)
    game.fights.attack(1, "npc_1", "npc", 0.0)  # the same one again is fine
    with pytest.raises(AlreadyInCombat):
        game.fights.attack(1, "npc_2", "npc", 0.0)


def test_set_auto_retaliate_needs_a_bool():
    """cmd_set_auto_retaliate takes a bool and answers with the new setting."""
    game = make_game(ROOM)
    enter(game, 1, 2, 0)
    assert game.fights.set_auto_retaliate(1, False) == {"auto_retaliate": False}
    with pytest.raises(InvalidMessageFormat):
        game.fights.set_auto_retaliate(1, "no")


# -- a whole fight against a goblin
def test_whole_fight_to_loot_and_respawn():
    """A strong player kills a goblin: HP drops, it fights back, dies, drops loot, respawns."""
    game = make_game("""
        S.g..
        .....
    """)
    player = enter(game, 1, 1, 0, skills=strong_skills(), hp=99)
    clock = Clock(game)
    goblin = game.engine.entities["npc_1"]
    game.fights.attack(1, "npc_1", "npc", 0.0)
    clock.run_until(lambda: goblin.current_hp < 5 or goblin.chunk_key is None)
    clock.run_until(lambda: goblin.chunk_key is None)
    assert "npc_1" not in game.engine.entities
    assert "npc_1" in clock.removed(1)
    assert game.fights.npcs.states["npc_1"].state == "dead"
    assert player.combat_target is None and player.animation_state == "idle"
    loot = list(game.ground.items.values())
    assert loot and all((i.x, i.y, i.owner_id) == (2, 0, 1) for i in loot)
    assert ITEMS.by_key("bones").item_id in [i.item_id for i in loot]
    died_at = clock.now
    clock.run(29.0)
    assert "npc_1" not in game.engine.entities
    clock.run(1.5)
    back = game.engine.entities["npc_1"]
    assert (back.x, back.y, back.current_hp, back.combat_state) == (2, 0, 5, "idle")
    assert clock.now - died_at >= 30.0


def test_goblin_fights_back():
    """A goblin that is hit retaliates: it shows in_combat and swings at the player."""
    game = make_game("""
        S.g..
        .....
    """, seed=3)
    enter(game, 1, 1, 0, hp=10)
    clock = Clock(game)
    game.fights.attack(1, "npc_1", "npc", 0.0)
    clock.run(0.1)
    npc = game.fights.npcs.states["npc_1"]
    assert npc.state == "in_combat" and npc.target == "player_1"
    assert game.engine.entities["npc_1"].combat_state == "in_combat"
    clock.run(3.0)
    assert npc.last_swing_at is not None


def test_damage_gives_xp_with_carry():
    """Damage gives 4 XP a point to attack and 4/3 to hitpoints, exact over the fight."""
    game = make_game("""
        S.g..
        .....
    """)
    skills = strong_skills()
    player = enter(game, 1, 1, 0, skills=dict(skills), hp=99)
    clock = Clock(game)
    game.fights.attack(1, "npc_1", "npc", 0.0)
    clock.run_until(lambda: "npc_1" not in game.engine.entities)
    gained_attack = player.skills["attack"] - skills["attack"]
    gained_hp = player.skills["hitpoints"] - skills["hitpoints"]
    assert gained_attack == 4 * 5  # the goblin's five hit points
    assert gained_hp == (4 * 5) // 3
    sent = clock.of("event_skills", 1)
    assert sent and sent[-1]["skills"][0]["current_xp"] == player.skills["attack"]
    assert 1 in game.dirty_player_ids()


def test_hitpoints_level_up_raises_max_hp():
    """Crossing a hitpoints level raises max_hp (and heals the point it adds)."""
    game = make_game("""
        S.g..
        .....
    """)
    skills = strong_skills()
    skills["hitpoints"] = xp_for_level(11) - 1
    player = enter(game, 1, 1, 0, skills=skills, hp=10)
    clock = Clock(game)
    game.fights.attack(1, "npc_1", "npc", 0.0)
    clock.run_until(lambda: player.skills["hitpoints"] >= xp_for_level(11))
    assert player.max_hp == 11


def test_moving_breaks_the_movers_combat():
    """A player who moves stops attacking: no more swings of its own."""
    game = make_game("""
        S.g..
        .....
    """)
    player = enter(game, 1, 1, 0, skills=strong_skills(), hp=99)
    clock = Clock(game)
    game.fights.set_auto_retaliate(1, False)
    game.fights.attack(1, "npc_1", "npc", 0.0)
    clock.run(0.1)
    game.move(1, "LEFT", clock.now)
    swung_at = game.fights.record(1).last_swing_at
    clock.run(10.0)
    assert player.combat_target is None
    assert game.fights.record(1).last_swing_at == swung_at
    assert "player_1" not in game.fights.active


def test_no_retaliation_when_turned_off():
    """With auto-retaliation off, a player hit by a rat takes no target."""
    game = make_game("""
        S.r..
        .....
    """)
    player = enter(game, 1, 0, 0, hp=10)
    game.fights.set_auto_retaliate(1, False)
    clock = Clock(game)
    clock.run_until(lambda: player.current_hp < 10)
    assert player.combat_target is None


def test_player_retaliates_by_default():
    """A player hit while idle takes its attacker as target."""
    game = make_game("""
        S.r..
        .....
    """)
    player = enter(game, 1, 0, 0, hp=10)
    clock = Clock(game)
    clock.run_until(lambda: player.current_hp < 10)
    clock.run(3.0)
    assert player.combat_target == "npc_1"


# -- aggression, chase, leash
def test_aggressive_rat_chases_and_leashes_home():
    """A rat engages a player in range, chases, gives up beyond its leash, walks home and heals."""
    game = make_game("..r" + "." * 27 + "\n" + "." * 30)
    enter(game, 1, 4, 0, hp=10)
    game.fights.set_auto_retaliate(1, False)
    clock = Clock(game)
    rat = game.fights.npcs.states["npc_1"]
    clock.run(0.1)
    assert rat.state == "in_combat" and rat.target == "player_1"
    clock.run(1.5)
    assert (rat.x, rat.y) == (3, 0)
    rat.hp = 3  # as if the player had hit it
    for step in range(10):
        clock.run(0.5)
        game.move(1, "RIGHT", clock.now)
    clock.run_until(lambda: rat.state == "idle")
    assert (rat.x, rat.y, rat.hp) == (2, 0, 5)
    assert game.engine.entities["npc_1"].current_hp == 5


def test_sleeping_aggressive_npc_wakes_when_a_player_comes_near():
    """An idle rat off the schedule is woken by a player moving into its neighbourhood."""
    game = make_game("." * 60 + "\n" + "r" + "." * 59)
    enter(game, 1, 40, 0, hp=10)
    clock = Clock(game)
    clock.run(1.0)
    assert game.fights.npcs.scheduled_at("npc_1") is None
    player_x = 40
    while player_x > 3:
        game.move(1, "LEFT", clock.now)
        player_x -= 1
        clock.run(0.5)
    clock.run(1.0)
    assert game.fights.npcs.states["npc_1"].target == "player_1"


# -- death and respawn
def test_player_death_drops_inventory_and_respawns():
    """Rats kill a player: died event, inventory on the ground, no moving, respawn at the spawn."""
    game = make_game("""
        rrr...
        r.r...
        rrr..S
    """, respawn_delay_s=5.0)
    inventory = {0: ItemStack(ITEMS.by_key("bread").item_id, 1),
                 3: ItemStack(ITEMS.by_key("coins").item_id, 40)}
    player = enter(game, 1, 1, 1, hp=1, inventory=inventory)
    clock = Clock(game)
    clock.run_until(lambda: clock.of("event_player_died"))
    died = clock.of("event_player_died", 1)[0]
    assert died["player_id"] == 1 and died["username"] == "p1"
    assert died["death_position"] == {"x": 1, "y": 1, "map_id": "arena"}
    assert died["killer"]["type"] == "npc" and died["killer"]["name"] == "Giant rat"
    assert died["killer"]["id"].startswith("npc_")
    assert player.animation_state == "dead" and player.current_hp == 0
    assert player.inventory == {}
    assert clock.of("event_inventory_update", 1) == [{"inventory": {"0": None, "3": None}}]
    dropped = sorted((i.item_id, i.quantity, i.owner_id, i.x, i.y)
                     for i in game.ground.items.values())
    assert dropped == sorted([(ITEMS.by_key("bread").item_id, 1, 1, 1, 1),
                              (ITEMS.by_key("coins").item_id, 40, 1, 1, 1)])
    assert all(npc.target is None for npc in game.fights.npcs.states.values())
    with pytest.raises(MoveBlocked) as refused:
        game.move(1, "UP", clock.now)
    assert refused.value.details["reason"] == "dead"
    with pytest.raises(InvalidTarget):
        game.fights.attack(1, "npc_1", "npc", clock.now)
    clock.run(4.5)
    assert not clock.of("event_player_respawned")
    clock.run(0.6)
    respawned = clock.of("event_player_respawned", 1)
    assert respawned == [{"player_id": 1, "username": "p1",
                          "spawn_position": {"x": 5, "y": 2, "map_id": "arena"},
                          "current_hp": 10, "max_hp": 10}]
    assert (player.x, player.y, player.current_hp, player.animation_state) == (5, 2, 10, "idle")


def test_player_death_without_ground_item_numbers_keeps_the_inventory():
    """No ground item number at hand when a player dies: it keeps its inventory, nothing drops."""
    game = make_game("""
        rrr...
        r.r...
        rrr..S
    """, numbers=ListedNumbers([1]), respawn_delay_s=5.0)
    inventory = {0: ItemStack(ITEMS.by_key("bread").item_id, 1),
                 3: ItemStack(ITEMS.by_key("coins").item_id, 40)}
    player = enter(game, 1, 1, 1, hp=1, inventory=inventory)
    clock = Clock(game)
    clock.run_until(lambda: clock.of("event_player_died"))
    assert player.inventory == inventory and game.ground.items == {}
    assert not clock.of("event_inventory_update", 1)


def test_item_events_of_a_command_come_before_a_death_in_the_same_tick():
    """A player who takes off a ring and is killed in the same tick gets the
    inventory updates in that order, so its view ends empty like the server's
    inventory (the death's update used to come first, and the ring seemed kept)."""
    game = make_game("""
        S.....
        ......
    """, pvp=True)
    enter(game, 1, 0, 0, skills=strong_skills(), hp=99)
    ring = ITEMS.by_key("gold_ring").item_id
    victim = enter(game, 2, 1, 0, hp=1, equipment={"ring": ItemStack(ring, 1)})
    game.fights.set_auto_retaliate(2, False)
    game.fights.attack(1, 2, "player", 0.0)
    game.unequip(2, "ring")                  # the commands phase of the next tick
    events = game.step(TICK)                 # its world phase: the killing blow
    game.compute_updates()
    events += game.drain_events()
    assert victim.animation_state == "dead" and victim.inventory == {}
    seen = {}
    for player_ids, message_type, payload in events:
        if message_type == "event_inventory_update" and 2 in player_ids:
            seen.update(payload["inventory"])
    assert seen == {"0": None}


def test_observers_of_the_tile_see_a_death():
    """event_player_died goes to the players who see the death tile too."""
    game = make_game("""
        rrr...
        r.r...
        rrr..S
    """)
    enter(game, 1, 1, 1, hp=1)
    enter(game, 2, 5, 2)
    game.fights.set_auto_retaliate(2, False)
    clock = Clock(game)
    clock.run_until(lambda: clock.of("event_player_died"))
    assert clock.of("event_player_died", 2)[0]["player_id"] == 1


def test_leaving_while_dead_saves_alive_at_the_spawn():
    """A player who leaves while dead is saved with full HP at the spawn."""
    game = make_game("""
        rrr...
        r.r...
        rrr..S
    """)
    enter(game, 1, 1, 1, hp=1)
    clock = Clock(game)
    clock.run_until(lambda: clock.of("event_player_died"))
    state = game.remove_player(1)
    assert (state.x, state.y, state.hp) == (5, 2, 10)


def test_pvp_only_on_pvp_maps():
    """On a pvp map players fight each other; the killer is named as a player."""
    game = make_game("""
        S.....
        ......
    """, pvp=True)
    enter(game, 1, 0, 0, skills=strong_skills(), hp=99)
    victim = enter(game, 2, 1, 0, hp=3)
    game.fights.set_auto_retaliate(2, False)
    reply = game.fights.attack(1, 2, "player", 0.0)
    assert reply["target"]["name"] == "p2"
    clock = Clock(game)
    clock.run_until(lambda: clock.of("event_player_died"))
    killer = clock.of("event_player_died", 2)[0]["killer"]
    assert killer == {"id": "player_1", "name": "p1", "type": "player"}
    assert victim.animation_state == "dead"
    with pytest.raises(TargetNotFound):
        game.fights.attack(1, 2, "player", clock.now)


# -- regeneration
def test_hp_regenerates_out_of_combat():
    """Out of combat a player regains one HP every hp_regen_interval_s."""
    game = make_game("""
        S....
    """, hp_regen_interval_s=10.0)
    player = enter(game, 1, 0, 0, hp=7)
    clock = Clock(game)
    clock.run(9.9)
    assert player.current_hp == 7
    clock.run(0.2)
    assert player.current_hp == 8
    clock.run(30.0)
    assert player.current_hp == 10
    assert game.fights.recovery.due_at(1) is None
