"""
rpg-admin: change accounts and characters in the database from the shell.

Every change refuses a player who is online (on any server process sharing
the database).  Character changes go through
L{IPlayerStore.update_offline_character}, which checks and writes in one
transaction.  The commands are in L{COMMANDS}; a new one is added with
L{admin_command} (see docs/admin.md).

Exit codes: 0 done, 1 refused or failed (one line on stderr), 2 bad usage.
"""

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

from twisted.internet.defer import Deferred
from twisted.internet.task import react

from rpg.interfaces import PlayerOnline, UnknownAccount
from rpg.models import ROLES
from rpg.store.urls import default_database_url, describe_database_url, open_store

DEFAULT_DATA_DIR = "./rpg-data"


class AdminError(Exception):
    """A refused command; the message is the one line shown to the operator."""


@dataclass(frozen=True)
class AdminCommand:
    """
    One subcommand.

    @ivar configure: adds the subcommand's own arguments to its parser.
    @ivar run: C{async run(args, store)} returning the success line, or
        raising L{AdminError} (or a store error) to refuse.
    """

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[..., Awaitable[str]]
    needs_store: bool = True


COMMANDS = {}


def admin_command(name, help, configure=lambda parser: None, needs_store=True):
    """Register the decorated C{async run(args, store)} as subcommand C{name}
    (C{store} is C{None} for a command that C{needs_store=False})."""

    def register(run):
        COMMANDS[name] = AdminCommand(name, help, configure, run, needs_store)
        return run

    return register


def _add_common_options(parser, suppress):
    """
    Options accepted both before and after the subcommand.  On the
    subcommand's copy the defaults are suppressed, so that an option given
    before the subcommand is not overwritten by the subcommand's default.
    """

    def default(value):
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--database",
        metavar="URL",
        default=default(None),
        help="sqlite:///PATH, postgresql://... or memory:"
        " (default: sqlite file rpg.sqlite3 in --data-dir)",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default(DEFAULT_DATA_DIR),
        help=f"the server's data directory (default: {DEFAULT_DATA_DIR})",
    )


def build_parser():
    """The argument parser, with one subparser per entry of L{COMMANDS}."""
    parser = argparse.ArgumentParser(
        prog="rpg-admin",
        description="Change accounts and offline characters of an rpg server.",
        allow_abbrev=False,
    )
    _add_common_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _add_common_options(common, suppress=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        subparser = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            parents=[common],
            allow_abbrev=False,
        )
        command.configure(subparser)
    return parser


def database_url(args):
    return args.database or default_database_url(args.data_dir)


async def require_offline(store, username):
    """
    The account of an offline player.

    @raise AdminError: no such user, or the player is online.
    """
    account = await store.get_account(username)
    if account is None:
        raise AdminError(f"no such user: {username}")
    server_id = await store.online_server(account.player_id)
    if server_id is not None:
        raise AdminError(
            f"{account.username} is online (on {server_id}): try again once they log out"
        )
    return account


# -- the commands


@admin_command("migrate", "create or upgrade the database schema")
async def migrate_command(args, store):
    version = await store.migrate()
    return f"database {describe_database_url(database_url(args))} is at schema version {version}"


def _configure_set_role(parser):
    parser.add_argument("username", metavar="USER")
    parser.add_argument("role", metavar="ROLE", choices=ROLES, help=" | ".join(ROLES))


@admin_command("set-role", "give a player the role player, moderator or admin", _configure_set_role)
async def set_role_command(args, store):
    account = await require_offline(store, args.username)
    await store.set_role(account.username, args.role)
    return f"{account.username} is now {args.role}"


def _configure_user(parser):
    parser.add_argument("username", metavar="USER")


@admin_command("ban", "ban a player: they can no longer log in", _configure_user)
async def ban_command(args, store):
    account = await require_offline(store, args.username)
    await store.set_banned(account.username, True)
    return f"{account.username} is banned"


@admin_command("unban", "lift a player's ban", _configure_user)
async def unban_command(args, store):
    account = await require_offline(store, args.username)
    await store.set_banned(account.username, False)
    return f"{account.username} is no longer banned"


def _configure_teleport(parser):
    parser.add_argument("username", metavar="USER")
    parser.add_argument("x", metavar="X", type=int)
    parser.add_argument("y", metavar="Y", type=int)
    parser.add_argument(
        "--map", metavar="ID", dest="map_id", help="destination map (default: the player's map)"
    )
    parser.add_argument(
        "--maps",
        metavar="DIR",
        help="the server's directory of *.tmx maps"
        " (default: the server's own default, the repository's maps/)",
    )


def load_game_maps(directory):
    """
    The server's maps, {map_id: GameMap}, from C{directory} or, when it is
    C{None}, from where C{twistd rpg} finds them by default.
    """
    from rpg.world.maps import MapError, load_maps

    if directory is None:
        from rpg.tap import default_maps_dir

        directory = default_maps_dir()
    try:
        return load_maps(directory)
    except MapError as exc:
        raise AdminError(f"cannot load maps: {exc}") from None


def check_destination(maps, map_id, x, y):
    """
    @raise AdminError: unknown map, off the map, or a blocked tile.
    """
    game_map = maps.get(map_id)
    if game_map is None:
        raise AdminError(f"unknown map: {map_id} (known: {', '.join(sorted(maps))})")
    if not game_map.in_bounds(x, y):
        raise AdminError(
            f"({x}, {y}) is outside map {map_id} ({game_map.width}x{game_map.height})"
        )
    if game_map.is_blocked(x, y):
        raise AdminError(f"({x}, {y}) on map {map_id} is blocked")


@admin_command("teleport", "move an offline player to a tile", _configure_teleport)
async def teleport_command(args, store):
    maps = load_game_maps(args.maps)
    await require_offline(store, args.username)

    def teleport(character):
        # Runs inside the store's transaction: a refusal leaves no trace.
        map_id = args.map_id or character.map_id
        check_destination(maps, map_id, args.x, args.y)
        character.map_id, character.x, character.y = map_id, args.x, args.y

    character = await store.update_offline_character(args.username, teleport)
    return f"{character.username} is now at ({character.x}, {character.y}) on {character.map_id}"


def _configure_give(parser):
    parser.add_argument("username", metavar="USER")
    parser.add_argument("item", metavar="ITEM", help="an item key (bronze_sword) or id (5)")
    parser.add_argument("quantity", metavar="QTY", type=int, nargs="?", default=1)
    parser.add_argument(
        "--maps",
        metavar="DIR",
        help="the server's maps directory, whose items.toml defines the items"
        " (default: the server's own default)",
    )


def load_catalog(directory):
    """The item catalog the server uses with maps directory C{directory}."""
    from rpg.tap import default_maps_dir
    from rpg.world.items import ContentError, load_items

    fallback = default_maps_dir()
    path = Path(directory or fallback) / "items.toml"
    if not path.exists():
        path = fallback / "items.toml"
    try:
        return load_items(path)
    except ContentError as exc:
        raise AdminError(f"cannot load items: {exc}") from None


@admin_command("give", "put items into an offline player's inventory", _configure_give)
async def give_command(args, store):
    from rpg.world.errors import GameError
    from rpg.world.inventory import add_item

    catalog = load_catalog(args.maps)
    try:
        item = catalog.resolve(args.item)
    except GameError:
        raise AdminError(f"unknown item: {args.item}") from None
    if args.quantity < 1:
        raise AdminError("QTY must be at least 1")
    await require_offline(store, args.username)

    def give(character):
        # Runs inside the store's transaction: a full inventory changes nothing.
        try:
            add_item(character.inventory, item, args.quantity)
        except GameError:
            raise AdminError(
                f"{character.username}'s inventory has no room for {args.quantity} x {item.key}"
            ) from None

    character = await store.update_offline_character(args.username, give)
    return f"gave {args.quantity} x {item.key} (item {item.item_id}) to {character.username}"


def _configure_broadcast(parser):
    parser.add_argument("message", metavar="MESSAGE")
    parser.add_argument(
        "--valkey",
        metavar="URL",
        help="the redis://host:port/db the servers share (required: only Valkey reaches them)",
    )


@admin_command("broadcast", "send a System chat message to every player on every server",
               _configure_broadcast, needs_store=False)
async def broadcast_command(args, store):
    import msgpack

    from rpg.services.chat import SYSTEM_CHANNEL, system_event
    from rpg.store.valkey import connect_valkey

    if not args.valkey:
        raise AdminError(
            "cannot reach a running server: broadcast needs --valkey URL (servers started "
            "without --valkey share nothing another process can reach)")
    if not args.message.strip():
        raise AdminError("the message is empty")
    try:
        connection = await connect_valkey(args.valkey)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    except Exception as exc:
        raise AdminError(f"cannot reach Valkey at {args.valkey}: {_one_line(exc)}") from None
    try:
        message = msgpack.packb({"origin": "rpg-admin",
                                 "event": system_event(args.message, time.time())})
        receivers = await connection.execute(
            "PUBLISH", connection.bus.channel_key(SYSTEM_CHANNEL), message)
    finally:
        await connection.close()
    if not receivers:
        raise AdminError(f"no running server is listening on {args.valkey}")
    return f"broadcast delivered to {receivers} server process(es)"


# -- running


def _one_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def run(args, clock=None, out=None, err=None):
    """
    Run the parsed command against the database it names (if it needs one).

    @param clock: the stores' clock (for online-record expiry); the reactor
        by default.
    @return: the exit code, 0 or 1; the outcome is printed as one line.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    command = COMMANDS[args.command]
    store = None
    try:
        if command.needs_store:
            try:
                store = open_store(database_url(args), clock=clock)
            except (ValueError, OSError) as exc:
                raise AdminError(_one_line(exc)) from None
            if command.name != "migrate":
                await store.migrate()
        message = await command.run(args, store)
    except AdminError as exc:
        print(f"rpg-admin: {exc}", file=err)
        return 1
    except UnknownAccount as exc:
        print(f"rpg-admin: no such user: {exc}", file=err)
        return 1
    except PlayerOnline as exc:
        print(f"rpg-admin: {_one_line(exc)}: try again once they log out", file=err)
        return 1
    except Exception as exc:
        print(f"rpg-admin: {type(exc).__name__}: {_one_line(exc)}", file=err)
        return 1
    finally:
        if store is not None:
            await store.close()
    print(message, file=out)
    return 0


def main(argv=None):
    """The C{rpg-admin} console script; exits with the command's code."""
    args = build_parser().parse_args(argv)

    async def react_main(reactor):
        code = await run(args, clock=reactor)
        if code:
            raise SystemExit(code)

    react(lambda reactor: Deferred.fromCoroutine(react_main(reactor)))


if __name__ == "__main__":
    main()
