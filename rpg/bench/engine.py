"""
Benchmark of the world engine: N players random-walking on a large open
map, one move each per cooldown, at 20 ticks/s of simulated time.

Reports the cost of compute_updates (and of the whole engine: moves, step,
diffs) in microseconds per player per tick.  Not run in CI:

    .venv/bin/python -m rpg.bench.engine --players 1000 --size 512
    .venv/bin/python -m rpg.bench.engine --players 1000 --size 64   # crowded
"""

import argparse
import random
import time

from rpg.models import CharacterState
from rpg.world.engine import Engine
from rpg.world.errors import GameError
from rpg.world.maps import GameMap

DIRECTIONS = ("UP", "DOWN", "LEFT", "RIGHT")


def build_world(players, size, view_radius, rng):
    game_map = GameMap(map_id="bench", width=size, height=size, tile_width=16,
                       tile_height=16, layers=[], blocked=bytearray(size * size),
                       player_spawn=(0, 0))
    world = Engine({"bench": game_map}, start_map="bench", view_radius=view_radius, rng=rng)
    for player_id in range(1, players + 1):
        world.add_player(CharacterState(player_id=player_id, username=f"p{player_id}",
                                        map_id="bench", x=rng.randrange(size),
                                        y=rng.randrange(size)), now=0.0)
    for player_id in range(1, players + 1):
        world.initial_view(player_id)
    world.compute_updates()
    return world


def run(players, size, ticks, tick_rate, view_radius, seed):
    rng = random.Random(seed)
    world = build_world(players, size, view_radius, rng)
    cooldown = world.move_cooldown_ms / 1000.0
    # each player moves once per cooldown, at its own phase
    next_move = {p: rng.uniform(0, cooldown) for p in range(1, players + 1)}
    dt = 1.0 / tick_rate
    diff_time = engine_time = 0.0
    messages = recipients = moves = 0
    for tick in range(1, ticks + 1):
        now = tick * dt
        started = time.perf_counter()
        for player_id, at in next_move.items():
            if at <= now:
                try:
                    world.move(player_id, rng.choice(DIRECTIONS), now)
                    moves += 1
                except GameError:
                    pass
                next_move[player_id] = at + cooldown
        world.step(now)
        diff_started = time.perf_counter()
        updates = world.compute_updates()
        ended = time.perf_counter()
        diff_time += ended - diff_started
        engine_time += ended - started
        messages += len(updates)
        recipients += sum(len(ids) for ids, _ in updates)
    per = 1e6 / (players * ticks)
    print(f"{players} players on {size}x{size} tiles, view radius {view_radius}, "
          f"{ticks} ticks at {tick_rate}/s")
    print(f"  moves per tick:                 {moves / ticks:.1f}")
    print(f"  payloads (groups) per tick:     {messages / ticks:.1f} "
          f"for {recipients / ticks:.1f} players")
    print(f"  compute_updates:                {diff_time * per:.2f} us per player per tick")
    print(f"  whole engine (move+step+diff):  {engine_time * per:.2f} us per player per tick")
    print(f"  tick budget used by the engine: {engine_time / ticks / dt * 100:.1f} %")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--size", type=int, default=512, help="map width and height in tiles")
    parser.add_argument("--ticks", type=int, default=400)
    parser.add_argument("--tick-rate", type=int, default=20)
    parser.add_argument("--view-radius", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    run(args.players, args.size, args.ticks, args.tick_rate, args.view_radius, args.seed)


if __name__ == "__main__":
    main()
