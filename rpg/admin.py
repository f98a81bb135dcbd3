"""
rpg-admin: change accounts and characters in the database from the shell.

Account commands (kick, ban, unban, set-role, revoke, set-password) work on
online players too: each is one transaction through
L{IAccountAdmin.change_account}, which also queues the order (kick, or
re-read the account) for the server process holding the player; every server
polls that queue (L{rpg.services.operators}).  Character changes (teleport,
give) refuse a player who is online (on any server process sharing the
database) and go through L{IPlayerStore.update_offline_character}, which
checks and writes in one transaction.  C{maps} changes nothing: it shows each
map's owner process (from the leases in Valkey) and its online players.  The
commands are in L{COMMANDS}; a new one is added with L{admin_command} (see
docs/admin.md).

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
        default=default(None),
        help=f"the server's data directory (default: {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=default(None),
        help="the server's TOML configuration: its [server] table gives database, data_dir,"
        " maps, valkey and jwt_secret_file unless given here",
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


def apply_config(args):
    """
    Fill the options left out from the C{--config} file's [server] table
    (as C{twistd rpg --config} reads it), then from the server's defaults.

    @raise AdminError: the file cannot be read or holds a bad [server] table.
    """
    from rpg.config import ConfigError, load_server_settings
    from rpg.tap import Options

    try:
        settings = load_server_settings(args.config, Options.server_settings())
    except ConfigError as exc:
        raise AdminError(str(exc)) from None
    for option, key in (("database", "database"), ("data_dir", "data_dir"),
                        ("maps", "maps"), ("valkey", "valkey"),
                        ("jwt_secret_file", "jwt_secret_file")):
        if getattr(args, option, None) is None and key in settings:
            setattr(args, option, settings[key])
    if args.data_dir is None:
        args.data_dir = DEFAULT_DATA_DIR


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


async def queue_order(args, change, what, require_online=False):
    """
    Apply an account change (one transaction, queuing an order for the
    server holding the player) and, unless C{--wait 0}, wait until that
    server has saved the player and closed its connection.

    @param change: keyword arguments for L{IAccountAdmin.change_account}.
    @param what: the success line's start (C{"Alice is banned"}, with
        C{{name}} for the account's username).
    @param require_online: refuse (changing nothing) when the player is
        not online.
    @return: the success line.
    @raise AdminError: the server did not let the player go in time.
    """
    from twisted.internet import task

    account, server_id = await args.store.change_account(args.username, **change)
    line = what.format(name=account.username)
    if require_online and server_id is None:
        raise AdminError(f"{account.username} is not online")
    if server_id is None or change.get("action") != "kick":
        return line
    if not args.wait:
        return f"{line}; kick sent to {server_id}"
    deadline = args.clock.seconds() + args.wait
    while True:
        holder = await args.store.online_server(account.player_id)
        if holder != server_id:
            return f"{line}; saved and disconnected from {server_id}"
        if args.clock.seconds() >= deadline:
            raise AdminError(
                f"{line}, but {server_id} has not disconnected them within {args.wait:g} s"
                " (is it running? its online record lapses within 30 s)")
        await task.deferLater(args.clock, KICK_POLL_S, lambda: None)


KICK_POLL_S = 0.1
# A WebSocket close reason is at most 123 bytes.
MAX_REASON_BYTES = 120


def _reason(text):
    if len(text.encode("utf-8")) > MAX_REASON_BYTES:
        raise argparse.ArgumentTypeError(f"at most {MAX_REASON_BYTES} bytes of UTF-8")
    return text


def _configure_kick(parser, default_reason):
    parser.add_argument("username", metavar="USER")
    parser.add_argument("--reason", metavar="TEXT", type=_reason, default=default_reason,
                        help=f"the close reason shown to the player (default: {default_reason})")
    _configure_wait(parser)


def _configure_wait(parser):
    parser.add_argument(
        "--wait", metavar="SECONDS", type=float, default=10.0,
        help="how long to wait for the server to save and disconnect an online player"
        " (default: 10; 0: do not wait)")


# -- the commands


@admin_command("migrate", "create or upgrade the database schema")
async def migrate_command(args, store):
    version = await store.migrate()
    return f"database {describe_database_url(database_url(args))} is at schema version {version}"


def _configure_set_role(parser):
    parser.add_argument("username", metavar="USER")
    parser.add_argument("role", metavar="ROLE", choices=ROLES, help=" | ".join(ROLES))


@admin_command("set-role", "give a player the role player, moderator or admin"
               " (at once, even online)", _configure_set_role)
async def set_role_command(args, store):
    return await queue_order(args, {"role": args.role, "action": "refresh"},
                             f"{{name}} is now {args.role}")


def _configure_user(parser):
    parser.add_argument("username", metavar="USER")


@admin_command("kick", "save an online player and close its connection (close 4003)",
               lambda parser: _configure_kick(parser, "kicked by an operator"))
async def kick_command(args, store):
    return await queue_order(args, {"action": "kick", "reason": args.reason},
                             "{name} is kicked", require_online=True)


@admin_command("ban", "ban a player: no login, no token; an online player is kicked",
               lambda parser: _configure_kick(parser, "banned"))
async def ban_command(args, store):
    return await queue_order(args, {"banned": True, "action": "kick", "reason": args.reason},
                             "{name} is banned")


@admin_command("unban", "lift a player's ban", _configure_user)
async def unban_command(args, store):
    return await queue_order(args, {"banned": False}, "{name} is no longer banned")


@admin_command("revoke", "refuse every token issued to a player so far, and kick it",
               lambda parser: _configure_kick(parser, "session revoked"))
async def revoke_command(args, store):
    return await queue_order(args, {"bump_token": True, "action": "kick",
                                    "reason": args.reason},
                             "{name}'s tokens are revoked")


def _configure_set_password(parser):
    parser.add_argument("username", metavar="USER")
    _configure_wait(parser)


def read_new_password(stdin=None):
    """
    The new password: from a prompt (typed twice) on a terminal, else the
    first line of standard input.  Never from the command line, where every
    local user could read it in C{ps}.
    """
    import getpass

    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise AdminError("the passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


@admin_command("set-password", "set a player's password (read from standard input or a"
               " prompt); its tokens are revoked and it is kicked", _configure_set_password)
async def set_password_command(args, store):
    from argon2 import PasswordHasher
    from twisted.internet import threads

    from rpg.services.auth import PASSWORD_MAX, PASSWORD_MIN

    password = read_new_password(args.stdin)
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise AdminError(f"the password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    if await store.get_account(args.username) is None:
        raise AdminError(f"no such user: {args.username}")
    password_hash = await threads.deferToThread(PasswordHasher().hash, password)
    return await queue_order(args, {"password_hash": password_hash, "bump_token": True,
                                    "action": "kick", "reason": "password changed"},
                             "{name}'s password is set and their tokens are revoked")


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
    from rpg.content.tiled import load_maps
    from rpg.world.maps import MapError

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
    from rpg.content.tables import load_items
    from rpg.world.items import ContentError

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
    parser.add_argument(
        "--jwt-secret-file",
        metavar="PATH",
        help="the servers' secret, which signs bus messages (default: $RPG_JWT_SECRET, the"
        " --config file's jwt_secret_file, else the one kept in the data directory)",
    )


def servers_secret(args, environ=None):
    """
    The servers' secret, found as C{twistd rpg} finds it: a secret file,
    C{$RPG_JWT_SECRET}, else the one kept in the data directory.

    @raise AdminError: none found, or one the server would refuse.
    """
    import os

    from rpg.tap import StartupError, check_secret, read_secret_file

    environ = os.environ if environ is None else environ
    try:
        if args.jwt_secret_file:
            return read_secret_file(Path(args.jwt_secret_file), "--jwt-secret-file")
        if environ.get("RPG_JWT_SECRET"):
            return check_secret(environ["RPG_JWT_SECRET"], "$RPG_JWT_SECRET")
        kept = Path(args.data_dir) / "jwt-secret"
        if kept.exists():
            return read_secret_file(kept, "the kept secret")
    except StartupError as exc:
        raise AdminError(str(exc)) from None
    raise AdminError("the servers' secret signs bus messages: give --jwt-secret-file PATH, "
                     f"$RPG_JWT_SECRET, or a --data-dir holding it (no {kept})")


# The namespace the servers' keys live under (rpg.server connects with
# connect_valkey's default).
VALKEY_NAMESPACE = "rpg"


def check_valkey_url(url):
    """
    The parsed address of C{--valkey URL}.

    @raise AdminError: a URL C{twistd rpg --valkey} would refuse too.
    """
    from rpg.store.valkey_link import parse_valkey_url

    try:
        return parse_valkey_url(url)
    except ValueError as exc:
        raise AdminError(str(exc)) from None


async def open_valkey(url, bus_secret=None):
    """
    A connection to the servers' Valkey (see L{rpg.store.valkey.connect_valkey}).

    @raise AdminError: a bad URL, or Valkey cannot be reached (the message
        never shows the URL's password).
    """
    from rpg.store.valkey import connect_valkey
    from rpg.store.valkey_link import redact_url

    address = check_valkey_url(url)
    try:
        return await connect_valkey(url, namespace=VALKEY_NAMESPACE, bus_secret=bus_secret)
    except Exception as exc:
        raise AdminError(f"cannot reach Valkey at {address}: "
                         f"{_one_line(exc).replace(url, redact_url(url))}") from None


@admin_command("broadcast", "send a System chat message to every player on every server",
               _configure_broadcast, needs_store=False)
async def broadcast_command(args, store):
    from rpg.protocol.bus import ADMIN_ORIGIN, SYSTEM_CHANNEL, broadcast_message, system_event

    if not args.valkey:
        raise AdminError(
            "cannot reach a running server: broadcast needs --valkey URL (servers started "
            "without --valkey share nothing another process can reach)")
    if not args.message.strip():
        raise AdminError("the message is empty")
    address = check_valkey_url(args.valkey)
    secret = servers_secret(args)
    connection = await open_valkey(args.valkey, bus_secret=secret)
    try:
        message = broadcast_message(ADMIN_ORIGIN, system_event(args.message, time.time()))
        receivers = await connection.execute(
            "PUBLISH", connection.bus.channel_key(SYSTEM_CHANNEL),
            connection.bus.signed(SYSTEM_CHANNEL, message))
    finally:
        await connection.close()
    if not receivers:
        raise AdminError(f"no running server is listening on {address}")
    return f"broadcast delivered to {receivers} server process(es)"


def _configure_maps(parser):
    parser.add_argument(
        "--maps", metavar="DIR",
        help="the server's directory of *.tmx maps (default: the server's own default)")
    parser.add_argument(
        "--valkey", metavar="URL",
        help="the redis://host:port/db the servers share, where each map's owner holds its"
        " lease (without it: one process serves every map, and no owner is shown)")
    parser.add_argument("--players", action="store_true",
                        help="name each map's online players, not only count them")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of the table")


@dataclass(frozen=True)
class MapRow:
    """
    One line of C{rpg-admin maps}.

    @ivar owner: the map's live L{rpg.models.MapLease}, or C{None}.
    @ivar usernames: the online players whose character is on the map.
    @ivar in_maps_dir: whether the maps directory has the map (a lease or a
        character may name one that it does not).
    """

    map_id: str
    owner: object
    usernames: tuple
    in_maps_dir: bool


NO_VALKEY_NOTE = ("no --valkey: without Valkey one process serves every map, so no map has an"
                  " owner to show; players online by map, from the database:")


def _text_table(rows):
    """Rows of cells as lines of left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in rows]


def maps_text(rows, with_owners, with_players):
    """The table C{rpg-admin maps} prints (see docs/admin.md)."""
    lines = [] if with_owners else [NO_VALKEY_NOTE]
    table = [["MAP", "OWNER", "EPOCH", "LINK", "PLAYERS"] if with_owners else ["MAP", "PLAYERS"]]
    for row in rows:
        players = str(len(row.usernames))
        if with_players and row.usernames:
            players += ": " + ", ".join(row.usernames)
        if not with_owners:
            table.append([row.map_id, players])
        elif row.owner is None:
            table.append([row.map_id, "no owner", "-", "-", players])
        else:
            table.append([row.map_id, row.owner.server_id, str(row.owner.epoch),
                          row.owner.address or "-", players])
    lines += _text_table(table)
    summary = f"{len(rows)} maps"
    if with_owners:
        unowned = sum(row.owner is None for row in rows)
        summary += f", {unowned} without an owner"
    summary += f"; {sum(len(row.usernames) for row in rows)} players online"
    strays = [row.map_id for row in rows if not row.in_maps_dir]
    if strays:
        summary += f"; not in the maps directory: {', '.join(strays)}"
    return "\n".join(lines + [summary])


def maps_json(rows, with_owners, with_players):
    """The object C{rpg-admin maps --json} prints (see docs/admin.md)."""
    maps = []
    for row in rows:
        entry = {"map_id": row.map_id, "in_maps_dir": row.in_maps_dir}
        if with_owners:
            entry["owner"] = None if row.owner is None else {
                "server_id": row.owner.server_id, "epoch": row.owner.epoch,
                "address": row.owner.address}
        entry["players"] = len(row.usernames)
        if with_players:
            entry["usernames"] = list(row.usernames)
        maps.append(entry)
    return {"valkey": with_owners, "maps": maps,
            "players_online": sum(len(row.usernames) for row in rows)}


@admin_command("maps", "list each map with its owner process (from Valkey) and its online"
               " players (from the database)", _configure_maps)
async def maps_command(args, store):
    import json

    map_ids = set(load_game_maps(args.maps))
    online = await store.online_players_by_map()
    owners = None
    if args.valkey:
        connection = await open_valkey(args.valkey)
        try:
            owners = await connection.leases.owners()
        finally:
            await connection.close()
    shown = sorted(map_ids | set(online) | set(owners or ()))
    rows = [MapRow(map_id, (owners or {}).get(map_id), tuple(online.get(map_id, ())),
                   map_id in map_ids) for map_id in shown]
    if args.json:
        return json.dumps(maps_json(rows, owners is not None, args.players), sort_keys=True)
    return maps_text(rows, owners is not None, args.players)


# -- running


def _one_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def run(args, clock=None, out=None, err=None, stdin=None):
    """
    Run the parsed command against the database it names (if it needs one).

    @param clock: the stores' clock (for online-record expiry); the reactor
        by default.
    @return: the exit code, 0 or 1; the outcome is printed as one line.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if clock is None:
        from twisted.internet import reactor as clock
    args.clock, args.stdin, args.store = clock, stdin, None
    command = COMMANDS[args.command]
    store = None
    try:
        apply_config(args)
        if command.needs_store:
            try:
                store = open_store(database_url(args), clock=clock)
            except (ValueError, OSError) as exc:
                raise AdminError(_one_line(exc)) from None
            if command.name != "migrate":
                await store.migrate()
            args.store = store
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
