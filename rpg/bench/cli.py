"""
``rpg-bench``: N bots against one server; tick, latency, traffic, CPU and
memory, as a table and as JSON.

    rpg-bench --spawn-server --bots 1000 --duration 60 --json out.json
    rpg-bench --spawn-server --curve 100,250,500,1000,2000 --duration 30
    rpg-bench --url http://127.0.0.1:8000 --database sqlite:///rpg-data/rpg.sqlite3 \\
        --jwt-secret S --map samplemap --bots 50
    rpg-bench --pin-server 0 --curve 1000,2000,3000,5000 --fighters 0 --npcs-per-chunk 0
    rpg-bench --crowd --bots 500
    rpg-bench --server-processes 3 --database postgresql://postgres@127.0.0.1/bench \\
        --valkey redis://127.0.0.1:6379/0 --bots 1000 --pin-server 0 --pin-edges 1,2
    rpg-bench --server-processes 8 --map-per-process --database postgresql://... \\
        --valkey redis://... --bots 8000 --pin-processes 0,1,2,3,4,5,6,7

With C{--spawn-server} (the default when no C{--url} is given) each run
gets a fresh server on a generated open map sized for C{--density} bots per
chunk, with C{--npcs-per-chunk} goblins and giant rats, and accounts made
straight in its database.  A C{--fighters} share of the bots fight those
NPCs; the others walk at random.  Bots run in
C{--processes} worker processes (one reactor each); everything stays on
loopback.  C{--crowd} starts every bot within one chunk of the spawn (all in
each other's view); C{--pin-server CPU[,CPU]} runs the spawned server on
those cores and the bots on the others.  Logins the server refuses
(C{SERVER_FULL}) are counted and reported as refused.

C{--server-processes N} spawns one world of N processes on C{--database}
(PostgreSQL) and C{--valkey}: process 0 owns the bench map, the others are
edges, and the bots are spread round-robin over all of them, so most play
on a map owned by a process other than the one they are connected to
(L{rpg.bench.processes}).  The report adds one row per process.  With
C{--map-per-process} the world has one bench map per process instead, each
owned by its process and holding its share of the bots, and each bot
connects to the process after its map's owner; the report adds a line for
the whole world.  C{--pin-processes CPU,...} puts process C{i} alone on the
C{i}th core.
"""

import argparse
import json
import math
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rpg.bench import report
from rpg.bench.flood import RegistrationFlood
from rpg.bench.processes import (
    EDGE_MAP_SIDE, ServerProcesses, share_ranges, summarise_processes, summarise_world,
    world_options_fault)
from rpg.bench.server import (
    REPO_ROOT, machine_busy, map_side_for, other_cpus, pinned_to, prepare_accounts, process_usage,
    python_env, scrape, write_open_map)
from rpg.bench.wsclient import CLIENTS

TARGETS = {"tick_p99_ms": 25.0, "missed": 0, "move_p99_ms": 100.0, "rss_kb_per_player": 100.0}


class BenchError(Exception):
    """A run that could not be made, told in one line."""


class Workers:
    """The bot worker processes and their JSON lines."""

    def __init__(self, ws_urls, bots, processes, secret, connect_rate, chat_every, seed,
                 prefix="bench", fighters=0.0, fight_timeout=60.0, cpus=None, across=False,
                 client="lean"):
        self.lines = queue.Queue()
        self.processes = []
        per = math.ceil(bots / processes)
        first = 0
        for _ in range(processes):
            count = min(per, bots - first)
            if count <= 0:
                break
            command = [sys.executable, "-m", "rpg.bench.bot",
                       *(arg for url in ws_urls for arg in ("--ws-url", url)),
                       "--first", str(first), "--count", str(count), "--prefix", prefix,
                       "--connect-rate", str(connect_rate / processes),
                       "--connect-timeout", str(30 + bots / connect_rate),
                       "--chat-every", str(chat_every), "--seed", str(seed),
                       "--fighters", str(fighters), "--fight-timeout", str(fight_timeout),
                       "--client", client,
                       *(["--across", str(bots)] if across else [])]
            process = subprocess.Popen(command, env=python_env(RPG_JWT_SECRET=secret),
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       preexec_fn=pinned_to(cpus))
            self.processes.append(process)
            threading.Thread(target=self._read, args=(len(self.processes) - 1, process),
                             daemon=True).start()
            first += count

    def _read(self, index, process):
        for line in process.stdout:
            try:
                self.lines.put((index, json.loads(line)))
            except ValueError:
                continue
        self.lines.put((index, {"event": "exit"}))

    def collect(self, event, timeout):
        """One record of C{event} from every worker."""
        found = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(self.processes):
            try:
                index, record = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise BenchError(f"bot workers gave no {event!r} within {timeout:.0f} s") from None
            if record.get("event") == "exit" and index not in found:
                raise BenchError(f"bot worker {index} exited before {event!r}")
            if record.get("event") == event:
                found[index] = record
        return [found[i] for i in sorted(found)]

    def tell(self, line):
        for process in self.processes:
            try:
                process.stdin.write(line.encode() + b"\n")
                process.stdin.flush()
            except OSError:
                pass

    def cpu_seconds(self):
        total = 0.0
        for process in self.processes:
            usage = process_usage(process.pid)
            if usage is not None:
                total += usage[0]
        return total

    def stop(self):
        self.tell("stop")
        for process in self.processes:
            try:
                process.stdin.close()
            except OSError:
                pass
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def default_processes(bots):
    return max(1, min(4, math.ceil(bots / 250)))


def run_point(options, bots, log=print):
    """One measured run with C{bots} bots; returns its result dict."""
    secret = options.jwt_secret or secrets.token_urlsafe(32)
    server = None
    workdir = None
    npcs = None
    prefix = "bench"
    if options.url is None:
        workdir = tempfile.TemporaryDirectory(prefix="rpg-bench-")
        side = options.map_size or map_side_for(bots, options.density)
        map_id = "bench"
        if options.database:
            # A database given is shared with earlier runs (and a Valkey with
            # their leases): fresh map and account names keep each run's
            # world its own.
            tag = secrets.token_hex(3)
            map_id, prefix = f"bench{tag}", f"b{tag}_"
        count = options.server_processes
        maps = [(map_id, 0, bots)]
        if options.map_per_process:
            # One map per process, each sized for its share of the bots.
            maps = [(f"{map_id}m{i}", first, share)
                    for i, (first, share) in enumerate(share_ranges(bots, count))]
            side = options.map_size or map_side_for(max(1, math.ceil(bots / count)),
                                                    options.density)
        maps_dir, npcs = Path(workdir.name) / "maps", 0
        for i, (one_map, _, _) in enumerate(maps):
            npcs += write_open_map(maps_dir, one_map, side, side, options.npcs_per_chunk,
                                   options.seed + i)[1]
        edge_map_id = f"{map_id}edge"
        if count > 1 and not options.map_per_process:
            write_open_map(maps_dir, edge_map_id, EDGE_MAP_SIDE, EDGE_MAP_SIDE)
        server = ServerProcesses(
            workdir.name, maps_dir, secret, count, maps[0][0], edge_map_id,
            database=options.database, valkey=options.valkey,
            python=options.server_python or sys.executable, extra_args=options.server_arg,
            owner_cpus=options.pin_server, edge_cpus=options.pin_edges,
            map_ids=[m for m, _, _ in maps] if options.map_per_process else None,
            cpus_each=options.pin_processes)
        log(f"[{bots} bots] {len(maps)} map(s) of {side}x{side} with {npcs} NPCs in all,"
            " preparing accounts" + (" (a crowd at the spawn)" if options.crowd else ""))
        for one_map, first, share in maps:
            prepare_accounts(server.database_url, share, one_map, side, side, prefix=prefix,
                             seed=options.seed + first, first=first,
                             crowd_around=(side // 2, side // 2) if options.crowd else None)
        if options.map_per_process:
            log(f"[{bots} bots] starting {count} processes, each the owner of its map")
        elif count > 1:
            log(f"[{bots} bots] starting {count} processes: the owner of"
                f" {map_id}, then {count - 1} edges")
        server.start()
        base_url, ws_urls, pid = server.owner.base_url, server.ws_urls, server.owner.pid
        metrics_url = server.owner.metrics_url
    else:
        base_url = options.url.rstrip("/")
        ws_urls = [base_url.replace("http", "ws", 1) + "/ws"]
        pid = options.server_pid
        metrics_url = options.metrics_url.rstrip("/")
        if options.database:
            size = options.map_size or 64
            prepare_accounts(options.database, bots, options.map, size, size, seed=options.seed,
                             crowd_around=(size // 2, size // 2) if options.crowd else None)
    workers = flood = None
    try:
        idle = process_usage(pid) if pid else None
        processes = options.processes or default_processes(bots)
        log(f"[{bots} bots] connecting in {processes} processes")
        connect_started = time.monotonic()
        workers = Workers(ws_urls, bots, processes, secret, options.connect_rate,
                          options.chat_every, options.seed, prefix=prefix,
                          fighters=options.fighters, fight_timeout=options.fight_timeout,
                          cpus=other_cpus((options.pin_server or []) + (options.pin_edges or [])
                                          + (options.pin_processes or [])),
                          across=options.map_per_process, client=options.client)
        ready = workers.collect("ready", 60 + bots / options.connect_rate)
        connected = sum(r["connected"] for r in ready)
        log(f"[{bots} bots] {connected} in after {time.monotonic() - connect_started:.1f} s;"
            f" warm-up {options.warmup} s, measuring {options.duration} s")
        start = time.time() + options.warmup
        end = start + options.duration
        workers.tell(f"window {start} {end}")
        time.sleep(max(0.0, start - time.time()))
        per_process = server is not None and (options.server_processes > 1 or options.valkey)
        if per_process:
            # The run's own numbers are the owner's, from the same scrape.
            all_before, all_usage_before = server.scrape(), server.usage()
            before, usage_before = all_before[0], all_usage_before[0]
        else:
            before = report.parse_metrics(scrape(metrics_url))
            usage_before = process_usage(pid) if pid else None
        bots_cpu_before = workers.cpu_seconds()
        machine_before = machine_busy()
        if options.register_flood:
            flood = RegistrationFlood(base_url, options.register_flood)
            flood.start()
        rss_peak = 0
        while time.time() < end:
            time.sleep(min(1.0, max(0.0, end - time.time())))
            usage = process_usage(pid) if pid else None
            if usage:
                rss_peak = max(rss_peak, usage[1])
        if per_process:
            all_after, all_usage_after = server.scrape(), server.usage()
            maps_served = server.maps_served()
            after, usage_after = all_after[0], all_usage_after[0]
        else:
            after = report.parse_metrics(scrape(metrics_url))
        if flood is not None:
            flood.stop()
        if not per_process:
            usage_after = process_usage(pid) if pid else None
        bots_cpu = workers.cpu_seconds() - bots_cpu_before
        machine_after = machine_busy()
        results = workers.collect("result", 30)
    finally:
        if workers is not None:
            workers.stop()
        if server is not None:
            server.stop()
        if workdir is not None:
            if options.keep_logs and server is not None:
                Path(options.keep_logs).mkdir(parents=True, exist_ok=True)
                for suffix, log_path in server.logs():
                    if log_path.exists():
                        target = Path(options.keep_logs) / f"server-{bots}{suffix}.log"
                        target.write_bytes(log_path.read_bytes())
            workdir.cleanup()
    result = summarise(bots, processes, ready, results, before, after, idle, usage_before,
                       usage_after, rss_peak, bots_cpu, options)
    result["combat"]["npcs"] = npcs
    result["crowd"] = options.crowd
    result["server"]["cpus"] = (options.pin_server if options.pin_processes is None
                                else options.pin_processes[:1])
    if server is not None:
        result["world"] = {"server_processes": options.server_processes,
                           "valkey": bool(options.valkey),
                           "database": (options.database or "sqlite").split(":", 1)[0]}
        if options.map_per_process:
            result["world"]["map_per_process"] = True
    if per_process:
        by_process = [sum(r.get("connected_by_url", [0] * len(ws_urls))[i] for r in ready)
                      for i in range(len(ws_urls))]
        rows = summarise_processes(server, all_before, all_after, all_usage_before,
                                   all_usage_after, by_process, options.duration,
                                   maps_served)
        result["processes"] = rows
        if options.map_per_process:
            result["world"].update(summarise_world(rows))
    if flood is not None:
        result["register_flood"] = flood.summary(options.duration)
    busy = machine_after[0] - machine_before[0]
    total = machine_after[1] - machine_before[1]
    cores = os.cpu_count() or 1
    result["machine"] = {"cores": cores,
                         "busy_percent": round(100 * cores * busy / total, 1) if total else None}
    return result


def summarise(bots, processes, ready, results, before, after, idle, usage_before,
              usage_after, rss_peak, bots_cpu, options):
    duration = options.duration
    connected = sum(r["connected"] for r in ready)
    failed = {}
    login = report.LatencyHistogram()
    for r in ready:
        for reason, n in r["failed"].items():
            failed[reason] = failed.get(reason, 0) + n
        if "login_rtt" in r:
            login.merge(report.LatencyHistogram.from_json(r["login_rtt"]))
    rtt = report.LatencyHistogram()
    move_errors, chat_errors = {}, {}
    chat_sent = bytes_in = frames_in = closed_early = 0
    for r in results:
        stats = r["stats"]
        rtt.merge(report.LatencyHistogram.from_json(stats["move_rtt"]))
        for code, n in stats["move_errors"].items():
            move_errors[code] = move_errors.get(code, 0) + n
        for code, n in stats["chat_errors"].items():
            chat_errors[code] = chat_errors.get(code, 0) + n
        chat_sent += stats["chat_sent"]
        bytes_in += stats["bytes_in"]
        frames_in += stats["frames_in"]
        closed_early += stats["closed_early"]
    combat = summarise_combat(results, duration)
    tick = report.summarise_tick(before, after)
    tick["missed"] = (report.metric(after, "rpg_ticks_missed_total")
                      - report.metric(before, "rpg_ticks_missed_total"))
    phases = sorted(report.labelled(after, "rpg_tick_phase_seconds_count", "phase"))
    tick["phases"] = {p: report.summarise_tick(before, after, "rpg_tick_phase_seconds", phase=p)
                      for p in phases}
    players = connected or None
    server_bytes = (report.metric(after, "rpg_bytes_out_total")
                    - report.metric(before, "rpg_bytes_out_total"))
    cpu = rss_start = rss_end = rss_per_player = None
    if usage_before and usage_after:
        cpu = (usage_after[0] - usage_before[0]) / duration
        rss_end = max(rss_peak, usage_after[1])
    if idle:
        rss_start = idle[1]
        if rss_end is not None and players:
            rss_per_player = (rss_end - rss_start) / players / 1024
    ticks = tick["count"] or None
    result = {
        "bots": {"requested": bots, "connected": connected, "failed": failed,
                 "refused": failed.get("SERVER_FULL", 0),
                 "login_answer_p50_ms": _ms(login.percentile(0.5)),
                 "login_answer_p99_ms": _ms(login.percentile(0.99)),
                 "login_answer_max_ms": _ms(login.maximum if login.count else None),
                 "processes": processes, "closed_early": closed_early,
                 "cpu_percent": round(100 * bots_cpu / duration, 1)},
        "duration_s": duration, "warmup_s": options.warmup,
        "tick": tick,
        "move": {"count": rtt.count, "per_second": rtt.count / duration,
                 "rtt_p50_ms": _ms(rtt.percentile(0.5)), "rtt_p99_ms": _ms(rtt.percentile(0.99)),
                 "rtt_max_ms": _ms(rtt.maximum if rtt.count else None),
                 "rtt_mean_ms": _ms(rtt.mean()), "errors": move_errors},
        "chat": {"sent": chat_sent, "errors": chat_errors},
        "combat": combat,
        "traffic": {
            "bytes_per_player_s": bytes_in / players / duration if players else None,
            "server_bytes_per_player_s": (server_bytes / players / duration
                                          if players and server_bytes else None),
            "frames_per_player_s": frames_in / players / duration if players else None},
        "server": {
            "cpu_percent": round(cpu * 100, 1) if cpu is not None else None,
            "rss_mb_start": _mb(rss_start), "rss_mb_end": _mb(rss_end),
            "rss_kb_per_player": round(rss_per_player, 1) if rss_per_player else None},
        "cost": {
            "tick_us_per_player": (tick["mean_ms"] * 1000 / players
                                   if players and tick["mean_ms"] else None),
            "cpu_us_per_player_tick": (cpu * duration / ticks / players * 1e6
                                       if cpu is not None and ticks and players else None)},
    }
    result["targets"] = check_targets(result)
    return result


def summarise_combat(results, duration):
    """The fighters' numbers, merged across workers."""
    rtt = report.LatencyHistogram()
    errors = {}
    fighters = attacks = kills = deaths = 0
    for r in results:
        stats = r["stats"]
        rtt.merge(report.LatencyHistogram.from_json(stats["attack_rtt"]))
        for code, n in stats["attack_errors"].items():
            errors[code] = errors.get(code, 0) + n
        fighters += stats["fighters"]
        attacks += stats["attacks_sent"]
        kills += stats["kills"]
        deaths += stats["deaths"]
    return {"fighters": fighters, "attacks_sent": attacks, "attack_errors": errors,
            "attacks_per_second": attacks / duration,
            "attack_rtt_p50_ms": _ms(rtt.percentile(0.5)),
            "attack_rtt_p99_ms": _ms(rtt.percentile(0.99)),
            "kills_observed": kills, "fighter_deaths": deaths}


def check_targets(result):
    tick, move, server = result["tick"], result["move"], result["server"]

    def at_most(value, limit):
        return value is not None and value <= limit
    return {
        "tick p99 <= 25 ms": at_most(tick["p99_ms"], TARGETS["tick_p99_ms"]),
        "no missed tick": tick["missed"] == 0,
        "move p99 <= 100 ms": at_most(move["rtt_p99_ms"], TARGETS["move_p99_ms"]),
        "<= 100 KB/player": at_most(server["rss_kb_per_player"], TARGETS["rss_kb_per_player"]),
    }


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 3)


def _mb(n):
    return None if n is None else round(n / 1048576, 1)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="rpg-bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bots", type=int, default=100)
    parser.add_argument("--curve", default=None,
                        help="comma-separated bot counts, one fresh server each: 100,250,500")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds between the last bot in and the measurement")
    parser.add_argument("--processes", type=int, default=0,
                        help="bot worker processes [default: one per 250 bots, at most 4]")
    parser.add_argument("--connect-rate", type=float, default=200.0,
                        help="bot connections per second, all workers together")
    parser.add_argument("--chat-every", type=float, default=30.0,
                        help="mean seconds between a bot's local chat lines (0: never)")
    parser.add_argument("--url", default=None,
                        help="an already running server (http://host:port); default: spawn one")
    parser.add_argument("--spawn-server", action="store_true",
                        help="start a fresh server for each run (the default without --url)")
    parser.add_argument("--metrics-url", default="http://127.0.0.1:9100",
                        help="with --url: the server's --metrics-listen, where /metrics is"
                             " read (default: http://127.0.0.1:9100, the server's default)")
    parser.add_argument("--server-pid", type=int, default=None,
                        help="with --url: the server's pid, for CPU and memory")
    parser.add_argument("--database", default=None,
                        help="with --url: the server's database, to make bench accounts in;"
                             " spawned: the database the server uses (fresh map and account"
                             " names each run) [default: SQLite in a temporary directory]")
    parser.add_argument("--valkey", default=None, metavar="URL",
                        help="spawned: start the server with --valkey URL (redis://host:port/db);"
                             " needs --database postgresql://...")
    parser.add_argument("--server-processes", type=int, default=1, metavar="N",
                        help="spawn one world of N server processes (process 0 owns the bench"
                             " map, the others are edges; bots spread round-robin over all);"
                             " N >= 2 needs --database postgresql://... and --valkey")
    parser.add_argument("--map-per-process", action="store_true",
                        help="with --server-processes N: N bench maps, process i the owner of"
                             " map i, each sized for and holding 1/N of the bots; each bot"
                             " connects to the process after its map's owner")
    parser.add_argument("--map", default="samplemap", help="with --url: the map bots start on")
    parser.add_argument("--map-size", type=int, default=None,
                        help="tiles per side of the map [default: sized for --density]")
    parser.add_argument("--density", type=float, default=4.0, help="bots per 16x16 chunk")
    parser.add_argument("--jwt-secret", default=None,
                        help="the server's token secret (with --url); spawned: a fresh one")
    parser.add_argument("--server-python", default=None,
                        help="Python to run the spawned server with (e.g. under py-spy)")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="an extra option for the spawned server's 'rpg' (repeatable)")
    parser.add_argument("--keep-logs", default=None, help="copy server logs to this directory")
    parser.add_argument("--npcs-per-chunk", type=float, default=0.5,
                        help="NPCs (goblins, a quarter giant rats) per 16x16 chunk of the"
                             " generated map")
    parser.add_argument("--fighters", type=float, default=0.2,
                        help="share of the bots that fight NPCs (0-1; 0: none)")
    parser.add_argument("--fight-timeout", type=float, default=60.0,
                        help="seconds a fighter keeps at one NPC before it walks on")
    parser.add_argument("--register-flood", type=float, default=0.0, metavar="RATE",
                        help="also register RATE new accounts a second over HTTP while"
                             " measuring (each one a password hash on the server)")
    parser.add_argument("--crowd", action="store_true",
                        help="start every bot within one chunk of the spawn (all in view)")
    parser.add_argument("--pin-server", type=_cpus, default=None, metavar="CPU[,CPU]",
                        help="run the spawned server (with --server-processes: process 0, the"
                             " map's owner) on these cores, the bots on the others")
    parser.add_argument("--pin-edges", type=_cpus, default=None, metavar="CPU[,CPU]",
                        help="with --server-processes: run the edge processes (1..N-1) on these"
                             " cores, the bots on the cores left")
    parser.add_argument("--pin-processes", type=_cpus_in_order, default=None,
                        metavar="CPU,CPU,...",
                        help="with --server-processes N: one core per process, process i alone"
                             " on the i-th; the bots on the cores left")
    parser.add_argument("--client", choices=CLIENTS, default="lean",
                        help="the bots' WebSocket client: the bench's own lean one (the"
                             " default: it keeps up where Autobahn's falls behind) or"
                             " Autobahn's")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default=None, help="write the results here as JSON")
    options = parser.parse_args(argv)
    if options.pin_server is not None:
        if options.url is not None:
            parser.error("--pin-server pins the spawned server; pin one given by --url yourself"
                         " (taskset)")
        unknown = set(options.pin_server) - os.sched_getaffinity(0)
        if unknown:
            parser.error(f"--pin-server: no such core here: {sorted(unknown)}")
    world_fault = world_options_fault(options)
    if world_fault:
        parser.error(world_fault)
    if options.url is not None and options.spawn_server:
        parser.error("--url and --spawn-server exclude each other")
    if options.url is not None and options.jwt_secret is None:
        parser.error("--url needs --jwt-secret (the server's) to mint bot tokens")
    if options.duration <= 0 or options.bots <= 0:
        parser.error("--duration and --bots must be positive")
    if not 0 <= options.fighters <= 1:
        parser.error("--fighters is a share between 0 and 1")
    if options.register_flood < 0:
        parser.error("--register-flood is a rate of registrations a second, not negative")
    if options.npcs_per_chunk < 0 or options.fight_timeout <= 0:
        parser.error("--npcs-per-chunk must not be negative, --fight-timeout must be positive")
    options.points = ([int(n) for n in options.curve.split(",")] if options.curve
                      else [options.bots])
    return options


def _cpus(text):
    try:
        cpus = sorted({int(v) for v in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of core numbers: {text!r}") from None
    if not cpus or cpus[0] < 0:
        raise argparse.ArgumentTypeError(f"not a list of core numbers: {text!r}")
    return cpus


def _cpus_in_order(text):
    try:
        cpus = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of core numbers: {text!r}") from None
    if not cpus or min(cpus) < 0 or len(set(cpus)) != len(cpus):
        raise argparse.ArgumentTypeError(f"not a list of distinct core numbers: {text!r}")
    return cpus


def main(argv=None):
    options = parse_args(argv)
    results = []

    def log(message):
        print(message, file=sys.stderr, flush=True)
    # Servers and bots run the rpg this runs: an installed copy (make setup's,
    # .venv/bin/rpg-bench) does not follow later edits of the checkout.
    log(f"rpg-bench: server and bots run the code in {REPO_ROOT}")
    try:
        for bots in options.points:
            result = run_point(options, bots, log)
            results.append(result)
            print(report.run_table(result), flush=True)
            print(flush=True)
    except BenchError as e:
        log(f"rpg-bench: {e}")
        return 1
    if len(results) > 1:
        print(report.curve_table(results))
    if options.json:
        with open(options.json, "w") as f:
            json.dump({"runs": results, "argv": sys.argv[1:], "code": str(REPO_ROOT)}, f,
                      indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
