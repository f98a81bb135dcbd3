"""
The tick's C{world} phase (NPCs and combat) in one process, no sockets:
the bench's map and bots, played against a L{GameWorld} on simulated time.

    python -m rpg.bench.world_phase --players 1000 --seconds 60
    python -m rpg.bench.world_phase --players 1000 --seconds 20 --profile 25

Walkers move every 500-600 ms at random; fighters (L{Hunter}) read their
C{event_game_update} payloads and attack NPCs, as the bench's bots do.  It
times C{GameWorld.step} (the world phase) and C{compute_updates} (the
visibility phase without encoding or sending) per tick, and with
C{--profile N} prints the N costliest functions of the world phase
(cProfile, inclusive time).  On a busy machine this is steadier than a
whole bench run, so it is what a change to the world phase is measured with.
"""

import argparse
import cProfile
import io
import pstats
import random
import sys
import tempfile
import time

from rpg.bench.accounts import bench_character
from rpg.bench.bot import DIRECTIONS, MOVE_INTERVAL, is_fighter
from rpg.bench.fighter import Hunter
from rpg.bench.report import LatencyHistogram
from rpg.bench.server import map_side_for, write_open_map
from rpg.config import Tunables
from rpg.content import load_content
from rpg.protocol.errors import error_code
from rpg.tap import default_maps_dir
from rpg.world.errors import GameError
from rpg.world.game import GameWorld


class SimulatedBot:
    def __init__(self, player_id, rng, hunter=None):
        self.player_id = player_id
        self.rng = rng
        self.hunter = hunter
        self.direction = rng.choice(DIRECTIONS)
        self.next_at = rng.uniform(0, MOVE_INTERVAL[1])


def build(players, density, npcs_per_chunk, fighters, seed, workdir):
    side = map_side_for(players, density)
    maps_dir, npcs = write_open_map(workdir, "bench", side, side, npcs_per_chunk, seed)
    content = load_content(maps_dir, default_maps_dir())
    game = GameWorld(content, "bench", Tunables(), rng=random.Random(seed))
    rng = random.Random(seed)
    bots = []
    for index in range(players):
        character = bench_character("bench", rng.randrange(side), rng.randrange(side))
        character.player_id = index + 1
        character.username = f"bench{index}"
        player = game.add_player(character, 0.0)
        hunter = None
        if is_fighter(index, fighters):
            hunter = Hunter(player.id, player.x, player.y, random.Random(seed + index), 0.0)
        bots.append(SimulatedBot(player.player_id, random.Random(seed * 7 + index), hunter))
    by_id = {bot.player_id: bot for bot in bots}
    for bot in bots:
        view = game.engine.initial_view(bot.player_id)
        if bot.hunter is not None:
            bot.hunter.update(view, 0.0)
    game.compute_updates()
    return game, bots, by_id, side, npcs


def act(game, bot, now, counts):
    """One bot's turn, as the bench's bot takes it."""
    action = None if bot.hunter is None else bot.hunter.next_action(now)
    bot.next_at = now + bot.rng.uniform(*MOVE_INTERVAL)
    if action is not None and action[0] == "wait":
        return
    if action is not None and action[0] == "attack":
        counts["attacks"] += 1
        try:
            game.fights.attack(bot.player_id, action[1], "npc", now)
        except GameError as e:
            code = error_code(e)
            counts["attack_errors"][code] = counts["attack_errors"].get(code, 0) + 1
            bot.hunter.attack_answered(code, now)
        else:
            bot.hunter.attack_answered(None, now)
        return
    if action is None:
        if bot.rng.random() < 0.3:
            bot.direction = bot.rng.choice(DIRECTIONS)
        direction = bot.direction
    else:
        direction = action[1]
    try:
        reply = game.engine.move(bot.player_id, direction, now)
    except GameError:
        bot.direction = bot.rng.choice(DIRECTIONS)
    else:
        if bot.hunter is not None:
            bot.hunter.moved(reply["new_position"]["x"], reply["new_position"]["y"])


def run(options):
    with tempfile.TemporaryDirectory(prefix="rpg-world-phase-") as workdir:
        game, bots, by_id, side, npcs = build(options.players, options.density,
                                              options.npcs_per_chunk, options.fighters,
                                              options.seed, workdir)
        dt = 1.0 / Tunables().tick_rate
        world_times, visibility_times = LatencyHistogram(), LatencyHistogram()
        counts = {"attacks": 0, "attack_errors": {}, "kills": 0}
        profiler = cProfile.Profile() if options.profile else None
        ticks = int(options.seconds / dt)
        warmup = int(options.warmup / dt)
        for tick in range(1, warmup + ticks + 1):
            now = tick * dt
            measured = tick > warmup
            for bot in bots:
                if bot.next_at <= now:
                    act(game, bot, now, counts if measured else {"attacks": 0,
                                                                 "attack_errors": {}})
            started = time.perf_counter()
            if profiler is not None and measured:
                profiler.enable()
            game.step(now)
            if profiler is not None and measured:
                profiler.disable()
            stepped = time.perf_counter()
            updates = game.compute_updates()
            done = time.perf_counter()
            game.drain_events()
            for player_ids, payload in updates:
                for player_id in player_ids:
                    hunter = by_id[player_id].hunter
                    if hunter is not None:
                        kills = hunter.update(payload, now)
                        if measured:
                            counts["kills"] += kills
            if measured:
                world_times.add(stepped - started)
                visibility_times.add(done - stepped)
    fighters = sum(bot.hunter is not None for bot in bots)
    print(f"{options.players} players ({fighters} fighters), map {side}x{side} with {npcs} NPCs,"
          f" {ticks} ticks after {warmup} warm-up ticks (simulated time)")
    for name, h in (("world", world_times), ("visibility", visibility_times)):
        print(f"  {name:<11} mean {h.mean() * 1000:.3f} ms  p50 {h.percentile(0.5) * 1000:.3f} ms"
              f"  p99 {h.percentile(0.99) * 1000:.3f} ms  max {h.maximum * 1000:.3f} ms")
    print(f"  combat      {counts['attacks']} attacks, errors {counts['attack_errors'] or 'none'},"
          f" {counts['kills']} kills observed, {len(game.fights.active)} fighters active at the end")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(options.profile)
        print(out.getvalue())
    return world_times, visibility_times, counts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="rpg.bench.world_phase",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0, help="simulated seconds measured")
    parser.add_argument("--warmup", type=float, default=10.0, help="simulated seconds before")
    parser.add_argument("--density", type=float, default=4.0, help="players per chunk")
    parser.add_argument("--npcs-per-chunk", type=float, default=0.5)
    parser.add_argument("--fighters", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N costliest functions of the world phase")
    return parser.parse_args(argv)


def main(argv=None):
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
