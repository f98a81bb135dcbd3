"""
The server under test: an open map made for the bench, the server spawned
as C{twistd -n rpg}, and what it costs as read from C{/proc} and
C{/metrics}.
"""

import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import rpg

REPO_ROOT = Path(rpg.__file__).resolve().parent.parent
CHUNK_TILES = 16
# What the bench map's NPCs are: mostly goblins, some aggressive rats; each
# wanders as far as maps/npcs.toml suggests for its kind.
RAT_SHARE = 0.25
WANDER_RADIUS = {"goblin": 4, "giant_rat": 3}

TSX = """<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" tiledversion="1.10.2" name="bench" tilewidth="32" tileheight="32" tilecount="4" columns="4">
 <image source="bench.png" width="128" height="32"/>
</tileset>
"""


def map_side_for(bots, density):
    """Tiles per side of a square map holding C{density} bots per chunk."""
    chunks = max(1.0, bots / density)
    side_chunks = max(3, round(chunks ** 0.5))
    return side_chunks * CHUNK_TILES


def npc_spawns_for(width, height, npcs_per_chunk, rng, avoid=(), rat_share=RAT_SHARE):
    """
    C{[(npc, x, y, wander_radius)]}: C{npcs_per_chunk} NPCs per 16x16 chunk
    on average (rounded to a whole number for the map), at distinct random
    tiles other than those in C{avoid}; a C{rat_share} of them giant rats,
    the rest goblins.
    """
    chunks = (width / CHUNK_TILES) * (height / CHUNK_TILES)
    count = min(round(npcs_per_chunk * chunks), width * height - len(set(avoid)))
    taken = set(avoid)
    spawns = []
    while len(spawns) < count:
        x, y = rng.randrange(width), rng.randrange(height)
        if (x, y) in taken:
            continue
        taken.add((x, y))
        npc = "giant_rat" if rng.random() < rat_share else "goblin"
        spawns.append((npc, x, y, WANDER_RADIUS[npc]))
    return spawns


def _npc_object(object_id, npc, x, y, wander_radius):
    return (f'<object id="{object_id}" type="npc_spawn" x="{x * 32}" y="{y * 32}">'
            f'<properties><property name="npc" value="{npc}"/>'
            f'<property name="wander_radius" type="int" value="{wander_radius}"/>'
            f'</properties></object>')


def write_open_map(directory, name, width, height, npcs_per_chunk=0.0, seed=1):
    """
    An open field of C{width} x C{height} tiles, the spawn in the middle, and
    C{npcs_per_chunk} NPCs per chunk (L{npc_spawns_for}).

    @return: C{(directory, number of NPC spawns)}.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    row = ",".join(["1"] * width)
    ground = ",\n".join([row] * height)
    row0 = ",".join(["0"] * width)
    collision = ",\n".join([row0] * height)
    spawn_xy = (width // 2, height // 2)
    objects = [f'<object id="1" type="player_spawn" x="{spawn_xy[0] * 32}"'
               f' y="{spawn_xy[1] * 32}"/>']
    npcs = npc_spawns_for(width, height, npcs_per_chunk, random.Random(seed), avoid=[spawn_xy])
    for number, spawn in enumerate(npcs, start=2):
        objects.append(_npc_object(number, *spawn))
    body = "\n  ".join(objects)
    tmx = f"""<?xml version="1.0" encoding="UTF-8"?>
<map version="1.10" tiledversion="1.10.2" orientation="orthogonal" renderorder="right-down" width="{width}" height="{height}" tilewidth="32" tileheight="32" infinite="0" nextlayerid="4" nextobjectid="{len(objects) + 1}">
 <tileset firstgid="1" source="bench.tsx"/>
 <layer id="1" name="ground" width="{width}" height="{height}"><data encoding="csv">
{ground}
</data></layer>
 <layer id="2" name="collision" width="{width}" height="{height}"><data encoding="csv">
{collision}
</data></layer>
 <objectgroup id="3" name="objects">
  {body}
 </objectgroup>
</map>
"""
    (directory / "bench.tsx").write_text(TSX)
    (directory / f"{name}.tmx").write_text(tmx)
    return directory, len(npcs)


def python_env(**extra):
    """The environment for our child processes: this checkout importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_accounts(database_url, count, map_id, width, height, prefix="bench", seed=1,
                     crowd_around=None, first=0):
    crowd = ["--crowd-around", "{},{}".format(*crowd_around)] if crowd_around else []
    if first:
        crowd += ["--first", str(first)]
    subprocess.run(
        [sys.executable, "-m", "rpg.bench.accounts", "--database", database_url,
         "--count", str(count), "--prefix", prefix, "--map", map_id,
         "--width", str(width), "--height", str(height), "--seed", str(seed), *crowd],
        check=True, env=python_env(), stdout=subprocess.DEVNULL)


def pinned_to(cpus):
    """A C{preexec_fn} that runs the child on C{cpus} only (None: anywhere)."""
    if not cpus:
        return None
    cpus = set(cpus)
    return lambda: os.sched_setaffinity(0, cpus)


def other_cpus(cpus):
    """The cores this process may use that are not in C{cpus}; None when
    there are none left (then the bots run anywhere)."""
    if not cpus:
        return None
    rest = os.sched_getaffinity(0) - set(cpus)
    return sorted(rest) or None


class SpawnedServer:
    """C{twistd -n rpg} in a child process, on a free loopback port."""

    def __init__(self, data_dir, maps_dir, secret, start_map="bench", port=None,
                 python=sys.executable, extra_args=(), cpus=None, database=None, valkey=None,
                 own_maps=None, tunables=None):
        self.tunables = dict(tunables or {})  # more lines for bench.toml
        self.data_dir = Path(data_dir)
        self.database = database  # None: SQLite in the data directory
        self.valkey = valkey
        self.own_maps = own_maps
        self.maps_dir = Path(maps_dir)
        self.secret = secret
        self.start_map = start_map
        self.port = port or free_port()
        self.metrics_port = free_port()
        self.python = python
        self.extra_args = list(extra_args)
        self.cpus = cpus  # the cores the server runs on; None: any
        self.process = None
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}"
        self.log_path = self.data_dir / "server.log"

    def write_config(self):
        """
        Tunables for a bench: every bot connects from 127.0.0.1, thousands of
        them, and the registration flood comes from there too, so the
        connection caps and the overall registration limit are lifted.
        """
        path = self.data_dir / "bench.toml"
        path.write_text("max_connections_per_address = 0\nmax_connections = 0\n"
                        "registrations_overall = 0\n"
                        + "".join(f"{name} = {value!r}\n" for name, value in self.tunables.items()))
        return path

    @property
    def database_url(self):
        return self.database or f"sqlite:///{self.data_dir / 'rpg.sqlite3'}"

    def world_args(self):
        """The options that put this process in a world shared with others."""
        args = []
        if self.database:
            args += ["--database", self.database]
        if self.valkey:
            args += ["--valkey", self.valkey]
        if self.own_maps:
            args += ["--own-maps", ",".join(self.own_maps)]
        return args

    def start(self, timeout=30.0):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        extra_args = self.extra_args
        if "--config" not in extra_args:
            extra_args = ["--config", str(self.write_config()), *extra_args]
        command = [self.python, "-c", "from twisted.scripts.twistd import run; run()",
                   "-n", "--pidfile=", "--logfile", str(self.log_path), "rpg",
                   "--listen", f"tcp:{self.port}:interface=127.0.0.1",
                   "--data-dir", str(self.data_dir), "--maps", str(self.maps_dir),
                   "--start-map", self.start_map,
                   "--metrics-listen", f"tcp:{self.metrics_port}:interface=127.0.0.1",
                   *self.world_args(), *extra_args]
        self.process = subprocess.Popen(
            command, env=python_env(RPG_JWT_SECRET=self.secret), cwd=str(self.data_dir),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=pinned_to(self.cpus))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}): "
                                   f"{self.process.stderr.read().decode()[-2000:]}"
                                   f" -- see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer /health in {timeout} s")

    def maps_served(self):
        """The maps this process serves now: C{maps_owned} of its detailed C{/health}."""
        with urllib.request.urlopen(self.metrics_url + "/health", timeout=2) as response:
            return json.loads(response.read())["maps_owned"]

    def wait_serving(self, map_ids, timeout=30.0):
        """Wait until this process serves every map of C{map_ids}."""
        deadline = time.monotonic() + timeout
        served = []
        while time.monotonic() < deadline:
            try:
                served = self.maps_served()
            except (OSError, ValueError, KeyError):
                served = []
            if set(map_ids) <= set(served):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the server on {self.base_url} did not serve {sorted(map_ids)} within"
                           f" {timeout} s (it serves {served}; another process may have adopted"
                           f" them first: see map_adopt_after_s) -- see {self.log_path}")

    @property
    def pid(self):
        return self.process.pid

    def stop(self, timeout=30.0):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def process_usage(pid):
    """C{(cpu seconds, rss bytes)} of a process, from C{/proc}; C{None} if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    # utime and stime are fields 14 and 15; fields[0] here is field 3
    return (int(fields[11]) + int(fields[12])) / ticks, rss


def machine_busy():
    """C{(busy, total)} CPU jiffies of the whole machine, from C{/proc/stat}."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def scrape(metrics_url, timeout=5.0):
    """The server's Prometheus text, from its operators' endpoint (--metrics-listen)."""
    with urllib.request.urlopen(metrics_url + "/metrics", timeout=timeout) as response:
        return response.read().decode()
