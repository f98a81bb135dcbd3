"""
The whole tick in one process, no sockets: the bench's map and walking
bots against a real L{WorldService}, with the edge's own framing and
per-connection queues, on simulated time.

    python -m rpg.bench.tick_phases --players 2000 --seconds 20
    python -m rpg.bench.tick_phases --players 500 --crowd --seconds 20
    python -m rpg.bench.tick_phases --players 2000 --seconds 10 --profile 30

Each bot queues a C{cmd_move} every 500-600 ms as a session would
(C{WorldService.submit}, stamped with its arrival time); the service's
tick runs its phases (commands, world, visibility, out) and, as its
C{end_of_tick}, the edge's flush: every connection's frames are framed and
joined by the same code as on a real server (L{rpg.web.ws.GameProtocol},
L{rpg.web.ws.GameFactory.fanout}), and only the final write to a socket is
left out (each write is taken whole, as a socket with room takes it).  It reports each phase (C{send}: the flush without its syscalls)
and the bytes each player would get.

With C{--cpu-time} the phases are timed in CPU time of this thread
(C{time.thread_time}), not wall time: on a machine shared with other work
that compares two versions of the code more fairly than a whole bench run,
which is what it is for.  A whole bench run (C{rpg-bench}) is what the
targets are checked with.
"""

import argparse
import cProfile
import collections
import io
import pstats
import random
import sys
import tempfile
import time
from types import SimpleNamespace

from autobahn.websocket.protocol import WebSocketProtocol
from twisted.internet import task

from rpg.bench.accounts import CROWD_RADIUS, bench_character, tile_range
from rpg.bench.bot import DIRECTIONS, MOVE_INTERVAL
from rpg.bench.report import LatencyHistogram
from rpg.bench.server import map_side_for, write_open_map
from rpg.config import Tunables
from rpg.content import load_content
from rpg.protocol.envelope import Request
from rpg.services import world as world_service_module
from rpg.services.metrics import Metrics
from rpg.services.world import WorldService
from rpg.tap import default_maps_dir
from rpg.web import ws as ws_module
from rpg.web.fastpath import send_now
from rpg.web.ws import GameProtocol, Outbox
from rpg.world.game import GameWorld

PHASES = ("commands", "world", "visibility", "out", "send", "tick")


class _Transport:
    """Takes what a connection writes, and counts it."""

    def __init__(self):
        self.written = 0
        self.writes = 0

    def write(self, data):
        self.written += len(data)
        self.writes += 1


def _connection(factory):
    """A L{GameProtocol} in the open state on a counting transport."""
    protocol = GameProtocol.__new__(GameProtocol)
    protocol.state = WebSocketProtocol.STATE_OPEN
    protocol.send_queue = collections.deque()
    protocol._perMessageCompress = None
    protocol.factory = factory
    protocol.transport = _Transport()
    return protocol


class _Client:
    """What the world service sees of a session (L{rpg.session.Session})."""

    def __init__(self, player_id, protocol):
        self.player_id = player_id
        self.protocol = protocol
        self.state = "playing"
        self.closed = False
        self._send = protocol._send

    def send_frame(self, frame):
        if self.state != "closed":
            self._send(frame)


class _Bot:
    def __init__(self, client, player, rng):
        self.client = client
        self.player = player
        self.rng = rng
        self.direction = rng.choice(DIRECTIONS)
        self.next_at = rng.uniform(0, MOVE_INTERVAL[1])
        self.last_tile = None
        self.moves = 0


class _Timings(Metrics):
    """The server's metrics, keeping each tick's phases for the report too."""

    def __init__(self):
        super().__init__()
        self.recording = False
        self.phases = {name: LatencyHistogram() for name in PHASES}

    def observe_tick(self, timings, total):
        super().observe_tick(timings, total)
        if self.recording:
            for phase, seconds in timings.items():
                self.phases[phase].add(seconds)
            self.phases["tick"].add(total)


def build(options, workdir):
    side = map_side_for(options.players, options.density)
    maps_dir, _ = write_open_map(workdir, "bench", side, side, 0.0, options.seed)
    content = load_content(maps_dir, default_maps_dir())
    tunables = Tunables()
    game = GameWorld(content, "bench", tunables, rng=random.Random(options.seed))
    clock = task.Clock()
    metrics = _Timings()
    # the edge's own outbox, and a stand-in for its factory
    outbox = Outbox(clock, metrics)
    factory = SimpleNamespace(metrics=metrics, tunables=tunables, clock=clock, outbox=outbox,
                              flush=outbox.flush)
    service = WorldService(game, persistence=None, tunables=tunables, clock=clock,
                           metrics=metrics, fanout=outbox.fanout, end_of_tick=outbox.flush)
    rng = random.Random(options.seed)
    centre = (side // 2, side // 2) if options.crowd else (None, None)
    xs = tile_range(centre[0], side, CROWD_RADIUS)
    ys = tile_range(centre[1], side, CROWD_RADIUS)
    bots = []
    for index in range(options.players):
        character = bench_character("bench", rng.randrange(*xs), rng.randrange(*ys))
        character.player_id = index + 1
        character.username = f"bench{index}"
        client = _Client(character.player_id, _connection(factory))
        outbox.attach(client, client.protocol)
        for message_type, payload in service.enter(client, character):
            service._deliver([client.player_id], message_type, payload)
        bots.append(_Bot(client, game.player(character.player_id),
                         random.Random(options.seed * 7 + index)))
    for player_ids, payload in game.compute_updates():  # who came in after whom
        service._deliver(player_ids, "event_game_update", payload)
    factory.flush()
    return service, factory, clock, bots, side


def run(options):
    with tempfile.TemporaryDirectory(prefix="rpg-tick-phases-") as workdir:
        service, factory, clock, bots, side = build(options, workdir)
        if options.cpu_time:
            world_service_module.time = SimpleNamespace(perf_counter=time.thread_time)
        # As a server's socket usually does, the transport takes every write at once.
        ws_module.send_now = _taken_at_once
        try:
            return _run(options, service, factory, clock, bots, side)
        finally:
            world_service_module.time = time
            ws_module.send_now = send_now


def _taken_at_once(transport, data):
    transport.write(data)
    return True


def _run(options, service, factory, clock, bots, side):
    from rpg.server import tune_gc
    tune_gc()
    metrics = service.metrics
    dt = 1.0 / service.tunables.tick_rate
    ticks = int(options.seconds / dt)
    warmup = int(options.warmup / dt)
    profiler = cProfile.Profile() if options.profile else None
    request_number = 0
    written = 0
    for tick in range(1, warmup + ticks + 1):
        now = tick * dt
        measured = tick > warmup
        metrics.recording = measured
        # the moves that arrived during the tick's interval, in arrival order
        arrivals = sorted((bot.next_at, index) for index, bot in enumerate(bots)
                          if bot.next_at <= now)
        for at, index in arrivals:
            bot = bots[index]
            clock.advance(max(0.0, at - clock.seconds()))
            tile = (bot.player.x, bot.player.y)
            if tile == bot.last_tile or bot.rng.random() < 0.3:
                bot.direction = bot.rng.choice(DIRECTIONS)
            bot.last_tile = tile
            request_number += 1
            service.submit(bot.client, Request(str(request_number), "cmd_move",
                                               {"direction": bot.direction}))
            bot.moves += measured
            bot.next_at = at + bot.rng.uniform(*MOVE_INTERVAL)
        clock.advance(max(0.0, now - clock.seconds()))
        if profiler is not None and measured:
            profiler.enable()
        service.tick(1)
        if profiler is not None and measured:
            profiler.disable()
        if tick == warmup:
            written = sum(bot.client.protocol.transport.written for bot in bots)
    written = sum(bot.client.protocol.transport.written for bot in bots) - written
    seconds = ticks * dt
    moves = sum(bot.moves for bot in bots)
    clock_kind = "thread CPU time" if options.cpu_time else "wall time"
    print(f"{options.players} players{' (a crowd at the spawn)' if options.crowd else ''},"
          f" map {side}x{side}, {ticks} ticks after {warmup} warm-up ticks (simulated time),"
          f" phases in {clock_kind}")
    print(f"  {moves / seconds:.0f} moves/s, {written / options.players / seconds:.0f} bytes"
          f" per player per second")
    for name in PHASES:
        h = metrics.phases[name]
        if h.count:
            print(f"  {name:<10} mean {h.mean() * 1000:7.3f} ms  p50 {h.percentile(0.5) * 1000:7.3f}"
                  f" ms  p99 {h.percentile(0.99) * 1000:7.3f} ms  max {h.maximum * 1000:7.3f} ms")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(options.profile)
        print(out.getvalue())
    return metrics.phases, written


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="rpg.bench.tick_phases",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0, help="simulated seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="simulated seconds before")
    parser.add_argument("--density", type=float, default=4.0, help="players per chunk")
    parser.add_argument("--crowd", action="store_true",
                        help="every player starts within one chunk of the spawn")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the phases in this thread's CPU time")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N costliest functions of the tick (cProfile, own time)")
    return parser.parse_args(argv)


def main(argv=None):
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
