"""
Crash test for items: no item is ever duplicated or lost across a SIGKILL.

Starts the real server (``python -m twisted rpg``, the ``twist`` runner) on a
small test map, logs a few players in, and has them drop and pick up items as
fast as the protocol lets them.  At a random moment the server is killed with
SIGKILL, restarted on the same database, everyone logs in again, and every
item is counted: inventories, equipment and ground items.  Drops and pickups
only move items, and each move is saved in one transaction with the
inventory it changed, so each item kind's total must equal the starting
total exactly.  Loopback only; stops by itself after ``--rounds`` kills.

    .venv/bin/python tools/crash_items.py --rounds 10
    .venv/bin/python tools/crash_items.py --rounds 5 --backend postgresql \\
        --postgresql-url postgresql://postgres@127.0.0.1:5432/test

The PostgreSQL database is wiped (every rpg table dropped) before the run.
Exit status 0 when every count matched, 1 otherwise.
"""

import argparse
import collections
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# a plain script: find the rpg package (and the test client) of this checkout
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twisted.internet import defer, task  # noqa: E402

from tests.e2e.client import GameClient, http  # noqa: E402
from tests.e2e.tmx import open_field, write_map  # noqa: E402

PASSWORD = "password123"
CONFIG = """\
snapshot_interval_s = 0.5
shutdown_grace_s = 0
ground_item_private_s = {private}
despawn_common_s = 86400.0
despawn_uncommon_s = 86400.0
despawn_rare_s = 86400.0
login_attempts_per_minute = 10000
login_failures_per_address_per_minute = 10000
"""
_PORT = re.compile(r"serving on .*?port[=:]\s*(\d+)")


class CountMismatch(AssertionError):
    """Some item kind's total changed across a crash."""


# -- the server process
class Server:
    def __init__(self, workdir, database_url):
        self.workdir = Path(workdir)
        self.database_url = database_url
        self.process = None
        self.port = None
        self.starts = 0
        self.maps = self.workdir / "maps"
        write_map(self.maps, "field", open_field(width=32, height=32))
        self.config = self.workdir / "config.toml"

    def configure(self, private_s):
        self.config.write_text(CONFIG.format(private=float(private_s)))

    async def start(self, reactor, timeout=30.0):
        self.starts += 1
        self.log_path = self.workdir / f"server-{self.starts}.log"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "twisted", "--log-format=text", "rpg",
                 "--listen", "tcp:0:interface=127.0.0.1", "--database", self.database_url,
                 "--maps", str(self.maps), "--data-dir", str(self.workdir / "data"),
                 "--config", str(self.config)],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while True:
            match = _PORT.search(self.log_path.read_text(errors="replace"))
            if match:
                self.port = int(match.group(1))
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {self.log_path}")
            await task.deferLater(reactor, 0.05, lambda: None)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"


# -- one player
class Player:
    """A logged-in client plus what its events say it holds and sees."""

    def __init__(self, username):
        self.username = username
        self.client = None
        self.inventory = {}  # slot -> {item_id, quantity, ...}
        self.equipment = {}
        self.ground = {}  # ground item id -> added entry
        self.moved = 0  # successful drops and pickups
        self._seen = 0

    async def login(self, server):
        status, body, _ = await http("POST", server.base_url + "/auth/register",
                                     {"username": self.username, "password": PASSWORD})
        assert status in (201, 409), (status, body)
        status, body, _ = await http("POST", server.base_url + "/auth/login",
                                     {"username": self.username, "password": PASSWORD})
        assert status == 200, (status, body)
        self.client = await GameClient.connect(server.base_url.replace("http", "ws") + "/ws")
        welcome = await self.client.request("cmd_authenticate", {"token": body["access_token"]})
        assert welcome["type"] == "event_welcome", welcome
        await self.client.wait_for_event("event_ground_items_update", include_past=True)
        self.inventory, self.equipment, self.ground, self._seen = {}, {}, {}, 0
        self.catch_up()

    def catch_up(self):
        """Apply the events received since the last call."""
        events = self.client.events
        for message in events[self._seen:]:
            payload = message["payload"]
            if message["type"] == "event_inventory_update":
                for slot, item in payload["inventory"].items():
                    if item is None:
                        self.inventory.pop(int(slot), None)
                    else:
                        self.inventory[int(slot)] = item
            elif message["type"] == "event_equipment_update":
                for slot, item in payload["equipment"].items():
                    if item is None:
                        self.equipment.pop(slot, None)
                    else:
                        self.equipment[slot] = item
            elif message["type"] == "event_ground_items_update":
                for entry in payload["added"]:
                    self.ground[entry["ground_item_id"]] = entry
                for gid in payload["removed"]:
                    self.ground.pop(gid, None)
        self._seen = len(events)

    async def play(self, rng, stopping):
        """Drop and pick up until C{stopping()} or the connection dies."""
        try:
            while not stopping():
                self.catch_up()
                if self.ground and (rng.random() < 0.5 or not self.inventory):
                    gid = rng.choice(sorted(self.ground))
                    reply = await self.client.request("cmd_pickup_item", {"ground_item_id": gid})
                    self.moved += reply["type"] == "resp_success"
                elif self.inventory:
                    slot = rng.choice(sorted(self.inventory))
                    stack = self.inventory[slot]
                    payload = {"slot": slot}
                    if stack["quantity"] > 1:
                        payload["quantity"] = rng.randint(1, stack["quantity"])
                    reply = await self.client.request("cmd_inventory_drop", payload)
                    self.moved += reply["type"] == "resp_success"
                else:
                    await task.deferLater(self.client_reactor(), 0.05, lambda: None)
        except (ConnectionError, defer.TimeoutError, defer.CancelledError):
            pass  # the server was killed under us

    @staticmethod
    def client_reactor():
        from twisted.internet import reactor
        return reactor


# -- counting
def count(players):
    """Item id -> total quantity over every inventory, equipment and ground item."""
    totals = collections.Counter()
    ground = {}
    for player in players:
        player.catch_up()
        for item in player.inventory.values():
            totals[item["item_id"]] += item["quantity"]
        for item in player.equipment.values():
            totals[item["item_id"]] += item.get("quantity", 1)
        ground.update(player.ground)
    for entry in ground.values():
        totals[entry["item_id"]] += entry["quantity"]
    return dict(totals), len(ground)


async def run_backend(reactor, name, database_url, rounds, players, rng, private_s,
                      min_run, max_run, workdir, say):
    server = Server(workdir, database_url)
    server.configure(private_s)
    people = [Player(f"crash_{i}") for i in range(players)]
    try:
        await server.start(reactor)
        for person in people:
            await person.login(server)
        initial, _ = count(people)
        say(f"[{name}] start: {sum(initial.values())} items of {len(initial)} kinds")
        for number in range(1, rounds + 1):
            stop = {"now": False}
            games = [defer.ensureDeferred(p.play(random.Random(rng.random()), lambda: stop["now"]))
                     for p in people]
            await task.deferLater(reactor, rng.uniform(min_run, max_run), lambda: None)
            stop["now"] = True
            server.kill()
            await defer.DeferredList(games)
            for person in people:
                if person.client.protocol is not None:
                    person.client.protocol.transport.abortConnection()
            await server.start(reactor)
            for person in people:
                await person.login(server)
            totals, on_ground = count(people)
            moved = sum(p.moved for p in people)
            for person in people:
                person.moved = 0
            say(f"[{name}] round {number}: {moved} drops and pickups, killed, restarted; "
                f"{sum(totals.values())} items, {on_ground} on the ground")
            if totals != initial:
                raise CountMismatch(f"[{name}] round {number}: counts {totals} != {initial}; "
                                    f"server logs in {workdir}")
        for person in people:
            await person.client.close()
    finally:
        server.stop()


def reset_postgres(url):
    from tests.store.conftest import reset_postgres as reset
    reset(url)


async def main(reactor, args):
    rng = random.Random(args.seed)
    started = time.monotonic()

    def say(text):
        print(f"{time.monotonic() - started:7.2f}s {text}", flush=True)
    say(f"crash_items: seed {args.seed}, {args.rounds} rounds, {args.players} players")
    for backend in args.backend:
        with tempfile.TemporaryDirectory(prefix=f"crash-{backend}-") as workdir:
            if backend == "sqlite":
                url = f"sqlite:///{workdir}/rpg.sqlite3"
            else:
                url = args.postgresql_url
                if not url:
                    raise SystemExit("--postgresql-url (or RPG_TEST_DATABASE_URL) is needed")
                reset_postgres(url)
            keep = args.keep_logs
            try:
                await run_backend(reactor, backend, url, args.rounds, args.players, rng,
                                  args.private_s, args.min_run, args.max_run, workdir, say)
            except BaseException:
                if keep:
                    for log in Path(workdir).glob("server-*.log"):
                        (Path(keep) / f"{backend}-{log.name}").write_bytes(log.read_bytes())
                raise
    say("crash_items: every count matched")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="kills per backend")
    parser.add_argument("--players", type=int, default=4)
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"),
                        help="repeatable [default: sqlite]")
    parser.add_argument("--postgresql-url", default=os.environ.get("RPG_TEST_DATABASE_URL"))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--private-s", type=float, default=1.0,
                        help="ground_item_private_s for the run")
    parser.add_argument("--min-run", type=float, default=0.3,
                        help="least seconds of play before a kill")
    parser.add_argument("--max-run", type=float, default=2.0,
                        help="most seconds of play before a kill")
    parser.add_argument("--keep-logs", metavar="DIR",
                        help="copy the server logs here when a round fails")
    args = parser.parse_args(argv)
    args.backend = args.backend or ["sqlite"]
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2 ** 32)
    if args.rounds < 1 or args.players < 1 or not 0 <= args.min_run <= args.max_run:
        parser.error("--rounds and --players must be positive, and --min-run <= --max-run")
    return args


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    task.react(lambda reactor: defer.ensureDeferred(main(reactor, arguments)))
