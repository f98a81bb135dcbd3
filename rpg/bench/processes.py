"""
The spawned server as one or several processes of one world
(C{rpg-bench --server-processes N}): process 0 owns the bench map, the
others are edges that own only a small map of their own, so the bots they
serve play on a map owned elsewhere; and what each process did, from its
C{/metrics} and C{/proc}.
"""

import os
from pathlib import Path

from rpg.bench import report
from rpg.bench.server import SpawnedServer, process_usage, scrape

EDGE_MAP_SIDE = 48  # tiles: three chunks, the smallest map the bench writes


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
    map_id} and answers C{/health} (so it serves the map) before the edges
    start with C{--own-maps edge_map_id}: without it each would claim every
    map no live process serves.
    """

    def __init__(self, workdir, maps_dir, secret, count, map_id, edge_map_id=None,
                 database=None, valkey=None, python=None, extra_args=(), owner_cpus=None,
                 edge_cpus=None):
        workdir = Path(workdir)
        self.servers = []
        for index in range(count):
            owner = index == 0
            own_maps = None
            if count > 1:
                own_maps = [map_id] if owner else [edge_map_id]
            name = "data" if count == 1 else f"data-{index}"
            kwargs = {"python": python} if python else {}
            self.servers.append(SpawnedServer(
                workdir / name, maps_dir, secret, start_map=map_id, extra_args=extra_args,
                cpus=owner_cpus if owner else edge_cpus, database=database, valkey=valkey,
                own_maps=own_maps, **kwargs))

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
            for server in self.servers:
                server.start()
                started.append(server)
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
                        duration):
    """
    One row per process: its role, cores, CPU, players in its world and bots
    connected to it, link traffic, and its tick (every process ticks; the
    owner's tick is the world's).
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
            "role": "owner" if index == 0 else "edge",
            "own_maps": server.own_maps,
            "cpus": server.cpus,
            "cpu_percent": cpu,
            "rss_mb": (round(usage_after[index][1] / 1048576, 1)
                       if usage_after[index] else None),
            "players_online": int(report.metric(a, "rpg_players_online")),
            "bots_connected": bots_by_process[index],
            "maps_owned": int(report.metric(a, "rpg_maps_owned")),
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
