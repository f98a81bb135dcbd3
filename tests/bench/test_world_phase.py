"""
The world-phase harness (L{rpg.bench.world_phase}), and the combat step as
it drives it: many fighters, most of them between two swings.
"""

import random
from pathlib import Path

from rpg.bench import world_phase
from rpg.config import Tunables
from rpg.content import Content
from rpg.content.tables import load_items, load_npcs
from rpg.world.game import GameWorld
from rpg.world.maps import NpcSpawn
from rpg.world.skills import new_skills
from tests.world.worldmaps import ascii_map, character

REPO_MAPS = Path(__file__).resolve().parents[2] / "maps"
TICK = 0.05


def goblin_between_two_players():
    """A goblin at (2, 0) with a player on each side: 1 at (1, 0), 2 at (3, 0)."""
    items = load_items(REPO_MAPS / "items.toml")
    npcs = load_npcs(REPO_MAPS / "npcs.toml", {item.key for item in items.all()})
    game_map = ascii_map("S....\n.....", map_id="arena")
    game_map.npc_spawns.append(NpcSpawn("goblin", 2, 0, 0))
    game = GameWorld(Content({"arena": game_map}, items, npcs), "arena",
                     Tunables(), rng=random.Random(4))
    for player_id, x in ((1, 1), (2, 3)):
        game.add_player(character(player_id, x, 0, map_id="arena", skills=new_skills()), 0.0)
    return game


def test_an_npc_hit_by_a_second_player_keeps_fighting_its_first():
    """A goblin fighting player 2 and hit by player 1 keeps player 2 as target until it dies."""
    game = goblin_between_two_players()
    npc = game.fights.npcs.states["npc_1"]
    now = TICK
    game.fights.attack(2, "npc_1", "npc", now)
    game.step(now)
    game.fights.attack(1, "npc_1", "npc", now + 0.5)
    states = set()
    while npc.state != "dead":
        now += TICK
        assert now < 600, "the goblin never died"
        game.step(now)
        game.compute_updates()
        states.add((npc.state, npc.target))
    assert states <= {("in_combat", "player_2"), ("dead", None)}


def test_a_short_simulation_reports_the_world_phase_and_attacks(capsys):
    """Fifty simulated bots for 20 s: world and visibility timed, attacks made."""
    options = world_phase.parse_args(["--players", "50", "--seconds", "20", "--warmup", "2",
                                      "--npcs-per-chunk", "4", "--fighters", "0.5"])
    world_times, visibility_times, counts = world_phase.run(options)
    assert world_times.count == visibility_times.count == 400
    assert world_times.mean() > 0
    assert counts["attacks"] > 0
    assert "world" in capsys.readouterr().out
