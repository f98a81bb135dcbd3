"""
Bench accounts, made straight in the server's database: one password hash
computed once, characters placed at random open tiles, so that neither
argon2 nor a crowd at the spawn dominates the run.

    python -m rpg.bench.accounts --database sqlite:///d/rpg.sqlite3 \\
        --count 1000 --map bench --width 256 --height 256
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


async def create_accounts(store, prefix, count, map_id, width, height, seed=1, first=0):
    """
    Make accounts C{<prefix><first>} ... at random tiles of an open map;
    accounts that exist are kept as they are.

    @return: how many were created.
    """
    password_hash = PasswordHasher().hash(PASSWORD)
    rng = random.Random(seed)
    created = 0
    for index in range(first, first + count):
        character = bench_character(map_id, rng.randrange(1, width - 1),
                                    rng.randrange(1, height - 1))
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
                                        options.width, options.height, options.seed)
    finally:
        await defer.maybeDeferred(store.close)
    print(f"created {created} accounts")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="rpg.bench.accounts")
    parser.add_argument("--database", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--map", required=True)
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(argv)
    task.react(lambda reactor: defer.ensureDeferred(_main(reactor, options)))


if __name__ == "__main__":
    main()
