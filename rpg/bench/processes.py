"""
The spawned server as one or several processes of one world
(C{rpg-bench --server-processes N}): process 0 owns the bench map, the
others are edges that own only a small map of their own, so the bots they
serve play on a map owned elsewhere; or, with C{--map-per-process}, one
bench map per process, each owned by its process, the bots cut into one
run per map and each connected to the process after its map's owner
(L{rpg.bench.bot.map_share}); and what each process did, from its
C{/metrics} and C{/proc}.
"""

import os
from pathlib import Path

from rpg.bench import report
from rpg.bench.server import SpawnedServer, process_usage, scrape

EDGE_MAP_SIDE = 48  # tiles: three chunks, the smallest map the bench writes
# With one map per process, no process adopts another's map while the
# processes start one after the other (map_adopt_after_s is 5 s by default,
# less than it takes to start eight processes on a busy machine).
MAP_PER_PROCESS_TUNABLES = {"map_adopt_after_s": 600.0}


def share_ranges(total, shares):
    """
    C{[(first, count)]}: the run of bot numbers on each of C{shares} maps,
    the inverse of L{rpg.bench.bot.map_share}.
    """
    firsts = [-(-m * total // shares) for m in range(shares + 1)]
    return [(firsts[m], firsts[m + 1] - firsts[m]) for m in range(shares)]


def world_options_fault(options):
    """
    What is wrong with C{--server-processes}, C{--valkey} and C{--pin-edges}
    together with C{--url} and C{--database}, in one line; C{None} if nothing.
    """
    processes = options.server_processes
    if processes < 1:
        return "--server-processes must be at least 1"
    if options.url is not None and (processes > 1 or options.valkey):
        return "--server-processes and --valkey start the servers themselves; leave out --url"
    postgresql = (options.database or "").startswith(("postgresql://", "postgres://"))
    if processes > 1 and not (options.valkey and postgresql):
        return ("--server-processes N (N >= 2) forms one world: it needs --database"
                " postgresql://... and --valkey redis://host:port/db, shared by every process")
    if options.valkey and not postgresql:
        return ("--valkey needs --database postgresql://... (the processes of one world share"
                " PostgreSQL)")
    if options.map_per_process and processes < 2:
        return "--map-per-process spreads the world over --server-processes N (N >= 2)"
    if options.pin_processes is not None:
        if options.pin_server is not None or options.pin_edges is not None:
            return "--pin-processes pins every process: leave out --pin-server and --pin-edges"
        if len(options.pin_processes) != processes:
            return (f"--pin-processes names one core per process: {processes} expected,"
                    f" {len(options.pin_processes)} given")
        unknown = set(options.pin_processes) - os.sched_getaffinity(0)
        if unknown:
            return f"--pin-processes: no such core here: {sorted(unknown)}"
    if options.pin_edges is not None:
        if processes < 2:
            return "--pin-edges pins the edge processes of --server-processes N (N >= 2)"
        unknown = set(options.pin_edges) - os.sched_getaffinity(0)
        if unknown:
            return f"--pin-edges: no such core here: {sorted(unknown)}"
    return None


class ServerProcesses:
    """
    C{count} spawned C{twistd rpg} processes on one database, Valkey, maps
    directory and JWT secret, each on its own ports.

    With one process and no Valkey this is exactly the bench's single
    server.  With several, process 0 is started first with C{--own-maps
    map_id} and serves it (its detailed C{/health} says so) before the
    edges start with C{--own-maps edge_map_id}: without it each would claim
    every map no live process serves.

    With C{map_ids} (one per process) every process is an owner: process
    C{i} starts with C{--own-maps map_ids[i]}, in order, each serving its
    map before the next starts.  C{cpus_each} pins process C{i} alone on
    core C{cpus_each[i]}.
    """

    def __init__(self, workdir, maps_dir, secret, count, map_id, edge_map_id=None,
                 database=None, valkey=None, python=None, extra_args=(), owner_cpus=None,
                 edge_cpus=None, map_ids=None, cpus_each=None):
        workdir = Path(workdir)
        self.servers = []
        self.roles = []
        self.serving = []  # the maps each process must serve before the next starts
        for index in range(count):
            owner = index == 0 or map_ids is not None
            own_maps = None
            if map_ids is not None:
                own_maps = [map_ids[index]]
            elif count > 1:
                own_maps = [map_id] if owner else [edge_map_id]
            cpus = owner_cpus if index == 0 else edge_cpus
            if cpus_each is not None:
                cpus = [cpus_each[index]]
            name = "data" if count == 1 else f"data-{index}"
            kwargs = {"python": python} if python else {}
            self.servers.append(SpawnedServer(
                workdir / name, maps_dir, secret, start_map=map_id, extra_args=extra_args,
                cpus=cpus, database=database, valkey=valkey, own_maps=own_maps,
                tunables=MAP_PER_PROCESS_TUNABLES if map_ids is not None else None, **kwargs))
            self.roles.append("owner" if owner else "edge")
            self.serving.append(own_maps if owner and own_maps else [])

    @property
    def owner(self):
        return self.servers[0]

    @property
    def ws_urls(self):
        return [server.ws_url for server in self.servers]

    @property
    def database_url(self):
        return self.owner.database_url

    def start(self):
        started = []
        try:
            for server, maps in zip(self.servers, self.serving):
                server.start()
                started.append(server)
                if maps:
                    server.wait_serving(maps)
        except Exception:
            for server in reversed(started):
                server.stop()
            raise
        return self

    def stop(self):
        for server in reversed(self.servers):
            server.stop()

    def scrape(self):
        """Each process's metrics, parsed (L{report.parse_metrics})."""
        return [report.parse_metrics(scrape(server.metrics_url)) for server in self.servers]

    def maps_served(self):
        """Each process's served maps (its detailed C{/health}), or C{None} where unreadable."""
        served = []
        for server in self.servers:
            try:
                served.append(server.maps_served())
            except (OSError, ValueError, KeyError):
                served.append(None)
        return served

    def usage(self):
        """Each process's C{(cpu seconds, rss bytes)}, or C{None} for one gone."""
        return [process_usage(server.pid) for server in self.servers]

    def logs(self):
        """C{(name, path)} of each process's log."""
        if len(self.servers) == 1:
            return [("", self.owner.log_path)]
        return [(f"-{i}", server.log_path) for i, server in enumerate(self.servers)]


def link_totals(before, after, name):
    """C{{direction: count}} of a link counter between two scrapes, summed over kinds."""
    totals = {"in": 0.0, "out": 0.0}
    for (n, labels), value in after.items():
        if n != name:
            continue
        direction = dict(labels).get("direction")
        if direction in totals:
            totals[direction] += value - before.get((n, labels), 0.0)
    return {d: int(v) for d, v in totals.items()}


def summarise_processes(servers, before, after, usage_before, usage_after, bots_by_process,
                        duration, maps_served=None):
    """
    One row per process: its role, cores, CPU, players in its world and bots
    connected to it, link traffic, and its tick (every process ticks; an
    owner's tick is that of the players on its maps).
    """
    rows = []
    for index, server in enumerate(servers.servers):
        b, a = before[index], after[index]
        tick = report.summarise_tick(b, a)
        tick["missed"] = int(report.metric(a, "rpg_ticks_missed_total")
                             - report.metric(b, "rpg_ticks_missed_total"))
        cpu = None
        if usage_before[index] and usage_after[index]:
            cpu = round(100 * (usage_after[index][0] - usage_before[index][0]) / duration, 1)
        rows.append({
            "index": index,
            "role": servers.roles[index],
            "own_maps": server.own_maps,
            "cpus": server.cpus,
            "cpu_percent": cpu,
            "rss_mb": (round(usage_after[index][1] / 1048576, 1)
                       if usage_after[index] else None),
            "players_online": int(report.metric(a, "rpg_players_online")),
            "bots_connected": bots_by_process[index],
            "maps_owned": int(report.metric(a, "rpg_maps_owned")),
            "maps_served": maps_served[index] if maps_served else None,
            "link_messages": link_totals(b, a, "rpg_link_messages_total"),
            "link_bytes": link_totals(b, a, "rpg_link_bytes_total"),
            # The owner counts the frames of every player in its world (those it
            # relays to edges too), an edge those it writes to its own sockets.
            "bytes_out": int(report.metric(a, "rpg_bytes_out_total")
                             - report.metric(b, "rpg_bytes_out_total")),
            "bytes_out_per_s": round((report.metric(a, "rpg_bytes_out_total")
                                      - report.metric(b, "rpg_bytes_out_total")) / duration),
            "tick": tick,
        })
    return rows


def summarise_world(rows):
    """
    The world of several owners (C{--map-per-process}) from its rows: every
    player in it, the worst tick p99 of any owner, and the ticks missed by
    all of them.
    """
    owners = [row for row in rows if row["role"] == "owner"]
    p99s = [row["tick"]["p99_ms"] for row in owners if row["tick"]["p99_ms"] is not None]
    return {"owners": len(owners),
            "players": sum(row["players_online"] for row in owners),
            "tick_p99_ms_worst": max(p99s) if p99s else None,
            "missed_total": sum(row["tick"]["missed"] for row in owners)}
