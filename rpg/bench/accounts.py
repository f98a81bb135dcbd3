"""
Bench accounts, made straight in the server's database: one password hash
computed once, characters placed at random open tiles, so that neither
argon2 nor a crowd at the spawn dominates the run.

    python -m rpg.bench.accounts --database sqlite:///d/rpg.sqlite3 \\
        --count 1000 --map bench --width 256 --height 256 [--crowd-around 128,128]

C{--first N} numbers the accounts from C{<prefix>N} instead of C{<prefix>0}
(C{rpg-bench --map-per-process} makes each map's run of accounts so).

With C{--crowd-around X,Y} every character starts within one chunk (16
tiles, each way) of that tile instead: a crowd all in each other's view.
"""

import argparse
import random

from argon2 import PasswordHasher
from twisted.internet import defer, task

from rpg.interfaces import UsernameTaken
from rpg.models import CharacterState
from rpg.store.urls import open_store
from rpg.world.skills import new_skills

PASSWORD = "bench-password"


def bench_character(map_id, x, y):
    return CharacterState(player_id=0, username="", map_id=map_id, x=x, y=y,
                          facing="south", hp=10, skills=new_skills())


CROWD_RADIUS = 16  # tiles: one chunk


def tile_range(centre, size, radius):
    """The tiles within C{radius} of C{centre}, kept off the map's edge rows."""
    if centre is None:
        return 1, size - 1
    return max(1, centre - radius), min(size - 1, centre + radius + 1)


async def create_accounts(store, prefix, count, map_id, width, height, seed=1, first=0,
                          around=None):
    """
    Make accounts C{<prefix><first>} ... at random tiles of an open map (or,
    with C{around=(x, y)}, within one chunk of that tile); accounts that
    exist are kept as they are.

    @return: how many were created.
    """
    password_hash = PasswordHasher().hash(PASSWORD)
    rng = random.Random(seed)
    xs = tile_range(around and around[0], width, CROWD_RADIUS)
    ys = tile_range(around and around[1], height, CROWD_RADIUS)
    created = 0
    for index in range(first, first + count):
        character = bench_character(map_id, rng.randrange(*xs), rng.randrange(*ys))
        try:
            await store.create_account(f"{prefix}{index}", password_hash, character)
        except UsernameTaken:
            continue
        created += 1
    return created


async def _main(reactor, options):
    store = open_store(options.database, clock=reactor)
    await store.migrate()
    try:
        created = await create_accounts(store, options.prefix, options.count, options.map,
                                        options.width, options.height, options.seed,
                                        first=options.first, around=options.crowd_around)
    finally:
        await defer.maybeDeferred(store.close)
    print(f"created {created} accounts")


def _tile(text):
    try:
        x, y = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a tile X,Y: {text!r}") from None
    return x, y


def main(argv=None):
    parser = argparse.ArgumentParser(prog="rpg.bench.accounts")
    parser.add_argument("--database", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--map", required=True)
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=0,
                        help="number the accounts from <prefix>FIRST [default: 0]")
    parser.add_argument("--crowd-around", type=_tile, default=None, metavar="X,Y",
                        help="start every character within one chunk of this tile")
    options = parser.parse_args(argv)
    task.react(lambda reactor: defer.ensureDeferred(_main(reactor, options)))


if __name__ == "__main__":
    main()
