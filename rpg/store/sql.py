"""
L{IPlayerStore} in SQL, through adbapi: one implementation for SQLite
(sqlite3) and PostgreSQL (psycopg2).

Every method runs one C{runInteraction}, that is one transaction.  Times
(online-record expiry, creation dates) are read from the injected clock on the
reactor thread and handed to the database thread.
"""

import os

from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred, fail, succeed
from zope.interface import implementer

from rpg.interfaces import (
    IAccountAdmin, IMapStore, IPlayerStore, PlayerOnline, StaleEpoch, UnknownAccount,
    UsernameTaken)
from rpg.models import Account, AdminAction, CharacterState, GroundItemState, ItemStack
from rpg.store import fencing, migrations
from rpg.store.migrations import POSTGRESQL, SQLITE

SQLITE_BUSY_TIMEOUT_MS = 5000

_GROUND_ITEM_COLUMNS = (
    "ground_item_id, item_id, quantity, map_id, x, y, owner_id, public_at, despawn_at"
)

# The row of the C{counters} table that holds the next ground item number.
_GROUND_ITEM_COUNTER = "ground_item"

# Values bound into one C{IN (...)} list (SQLite allows 32,766 since 3.32).
_IN_CHUNK = 500


def _configure_sqlite(connection):
    """Run on every new sqlite3 connection (adbapi's C{cp_openfun})."""
    connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")


def private_sqlite_files(path):
    """
    Make the database file (created empty if missing) and its WAL and
    shared-memory files readable by their owner only: they hold password
    hashes.  SQLite gives the files it creates later the database's mode.
    A file owned by someone else is left as it is.
    """
    if path == ":memory:" or str(path).startswith("file:"):
        return
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except OSError:
            pass


def _default_clock(clock):
    if clock is None:
        from twisted.internet import reactor as clock
    return clock


# Queued operator actions older than this are deleted (every server has long
# polled them).
ADMIN_ACTION_KEEP_S = 3600.0


@implementer(IPlayerStore, IAccountAdmin, IMapStore)
class SQLPlayerStore:
    """
    Accounts and characters in an SQL database.

    @param pool: an adbapi C{ConnectionPool} for C{dialect.module}.
    @param dialect: L{migrations.SQLITE} or L{migrations.POSTGRESQL}.
    @param clock: an C{IReactorTime}; the reactor by default.
    """

    def __init__(self, pool, dialect, clock=None):
        self._pool = pool
        self._dialect = dialect
        self._clock = _default_clock(clock)
        self._dbapi = __import__(dialect.module)

    @classmethod
    def for_sqlite(cls, path, clock=None):
        """A store on the SQLite file C{path} (or C{":memory:"}), one writer."""
        private_sqlite_files(path)
        pool = adbapi.ConnectionPool(
            "sqlite3",
            path,
            check_same_thread=False,
            cp_min=1,
            cp_max=1,
            cp_openfun=_configure_sqlite,
        )
        return cls(pool, SQLITE, clock)

    @classmethod
    def for_postgresql(cls, dsn, clock=None):
        """A store on the PostgreSQL database that libpq's C{dsn} names."""
        pool = adbapi.ConnectionPool(
            "psycopg2", dsn, cp_min=1, cp_max=5, cp_reconnect=True
        )
        return cls(pool, POSTGRESQL, clock)

    @property
    def dialect(self):
        return self._dialect

    # -- helpers run in the database thread

    def _execute(self, txn, statement, args=()):
        txn.execute(self._dialect.sql(statement), args)

    def _execute_many(self, txn, statement, rows):
        if not rows:
            return
        statement = self._dialect.sql(statement)
        if self._dialect.name == "postgresql":
            from psycopg2.extras import execute_batch

            # psycopg2's executemany is one round trip per row.
            execute_batch(txn, statement, rows)
        else:
            txn.executemany(statement, rows)

    def _select_in(self, txn, statement, values, suffix=""):
        """
        Run C{statement} (ending in C{"IN"}) once per chunk of C{values}, as
        C{... IN (?, ?...)} followed by C{suffix}, and return every row.
        """
        rows = []
        values = list(values)
        for start in range(0, len(values), _IN_CHUNK):
            chunk = values[start:start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            self._execute(txn, f"{statement} ({marks}){suffix}", chunk)
            rows.extend(txn.fetchall())
        return rows

    def _lock_accounts(self, txn, player_ids):
        """
        Lock the players' account rows (PostgreSQL; SQLite's write lock is
        already database-wide), so that a login (C{mark_online}) and an
        offline change of the same player are ordered, never interleaved.
        """
        if self._dialect.name == "postgresql" and player_ids:
            txn.execute(
                "SELECT player_id FROM accounts WHERE player_id = ANY(%s)"
                " ORDER BY player_id FOR UPDATE",
                (sorted(player_ids),),
            )

    def _account_row(self, txn, username):
        self._execute(
            txn,
            "SELECT player_id, username, password_hash, role, banned, token_version"
            " FROM accounts WHERE username_lower = ?",
            (username.lower(),),
        )
        row = txn.fetchone()
        if row is None:
            return None
        player_id, name, password_hash, role, banned, token_version = row
        return Account(player_id, name, password_hash, role, bool(banned), token_version)

    def _write_characters(self, txn, characters):
        self._execute_many(
            txn,
            "INSERT INTO characters (player_id, map_id, x, y, facing, hp)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (player_id) DO UPDATE SET map_id = excluded.map_id,"
            " x = excluded.x, y = excluded.y, facing = excluded.facing,"
            " hp = excluded.hp",
            [(c.player_id, c.map_id, c.x, c.y, c.facing, c.hp) for c in characters],
        )
        owners = [(c.player_id,) for c in characters]
        for table in ("skills", "inventory", "equipment"):
            self._execute_many(txn, f"DELETE FROM {table} WHERE player_id = ?", owners)
        self._execute_many(
            txn,
            "INSERT INTO skills (player_id, skill, xp) VALUES (?, ?, ?)",
            [(c.player_id, s, xp) for c in characters for s, xp in c.skills.items()],
        )
        for table, holdings in (
            ("inventory", lambda c: c.inventory),
            ("equipment", lambda c: c.equipment),
        ):
            self._execute_many(
                txn,
                f"INSERT INTO {table} (player_id, slot, item_id, quantity)"
                " VALUES (?, ?, ?, ?)",
                [
                    (c.player_id, slot, stack.item_id, stack.quantity)
                    for c in characters
                    for slot, stack in holdings(c).items()
                ],
            )

    def _read_character(self, txn, player_id):
        self._execute(
            txn,
            "SELECT a.username, c.map_id, c.x, c.y, c.facing, c.hp"
            " FROM characters c JOIN accounts a ON a.player_id = c.player_id"
            " WHERE c.player_id = ?",
            (player_id,),
        )
        row = txn.fetchone()
        if row is None:
            return None
        username, map_id, x, y, facing, hp = row
        character = CharacterState(player_id, username, map_id, x, y, facing, hp)
        self._execute(
            txn, "SELECT skill, xp FROM skills WHERE player_id = ?", (player_id,)
        )
        character.skills = {skill: xp for skill, xp in txn.fetchall()}
        for table in ("inventory", "equipment"):
            self._execute(
                txn,
                f"SELECT slot, item_id, quantity FROM {table}"
                " WHERE player_id = ? ORDER BY slot",
                (player_id,),
            )
            setattr(
                character,
                table,
                {slot: ItemStack(item, qty) for slot, item, qty in txn.fetchall()},
            )
        return character

    def _online_server(self, txn, player_id, now):
        self._execute(
            txn,
            "SELECT server_id FROM online_players"
            " WHERE player_id = ? AND expires_at > ?",
            (player_id, now),
        )
        row = txn.fetchone()
        return None if row is None else row[0]

    # -- IPlayerStore

    def migrate(self):
        return Deferred.fromCoroutine(
            migrations.migrate(self._pool, self._dialect, self._clock)
        )

    def create_account(self, username, password_hash, character):
        return self._pool.runInteraction(
            self._create_account, username, password_hash, character,
            self._clock.seconds(),
        )

    def _create_account(self, txn, username, password_hash, character, now):
        self._dialect.begin_write(txn)
        if self._account_row(txn, username) is not None:
            raise UsernameTaken(username)
        try:
            self._execute(
                txn,
                "INSERT INTO accounts (username, username_lower, password_hash,"
                " role, banned, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                " RETURNING player_id",
                (username, username.lower(), password_hash, "player", False, now),
            )
        except self._dbapi.IntegrityError:
            # Another process registered the name since the check above.
            raise UsernameTaken(username) from None
        (player_id,) = txn.fetchone()
        character.player_id = player_id
        character.username = username
        self._write_characters(txn, [character])
        return Account(player_id, username, password_hash)

    def get_account(self, username):
        return self._pool.runInteraction(self._account_row, username)

    def set_role(self, username, role):
        return self._pool.runInteraction(self._update_account, username, "role", role)

    def set_banned(self, username, banned):
        return self._pool.runInteraction(
            self._update_account, username, "banned", bool(banned)
        )

    def _update_account(self, txn, username, column, value):
        self._execute(
            txn,
            f"UPDATE accounts SET {column} = ? WHERE username_lower = ?",
            (value, username.lower()),
        )
        if txn.rowcount == 0:
            raise UnknownAccount(username)

    def load_character(self, player_id):
        return self._pool.runInteraction(self._read_character, player_id)

    def save_snapshot(self, snapshot):
        return self._pool.runInteraction(self._save_snapshot, snapshot)

    def _save_snapshot(self, txn, snapshot):
        fencing.check_ground_items(snapshot)
        self._dialect.begin_write(txn)
        if snapshot.epochs:
            self._check_fencing(txn, snapshot)
        self._write_characters(txn, snapshot.characters)
        if snapshot.ground_items is not None:
            self._replace_ground_items(txn, snapshot.ground_item_maps, snapshot.ground_items)
        self._execute_many(
            txn,
            "DELETE FROM online_players WHERE player_id = ? AND server_id = ?",
            [(player_id, server_id) for player_id, server_id in snapshot.released],
        )

    def _check_fencing(self, txn, snapshot):
        """
        Judge a fenced snapshot inside its write transaction.  In PostgreSQL
        the characters' rows are locked (a handoff of one of them waits, or
        has committed and is seen) and the maps' epoch rows are share-locked,
        so that an C{install_epoch} waits until this transaction ends, or
        has committed and fences it out; SQLite's C{BEGIN IMMEDIATE} already
        holds the whole database.
        """
        postgresql = self._dialect.name == "postgresql"
        stored_maps = dict(self._select_in(
            txn, "SELECT player_id, map_id FROM characters WHERE player_id IN",
            sorted({c.player_id for c in snapshot.characters}),
            " ORDER BY player_id FOR UPDATE" if postgresql else ""))
        installed = dict(self._select_in(
            txn, "SELECT map_id, epoch FROM map_epochs WHERE map_id IN",
            fencing.maps_to_check(snapshot, stored_maps),
            " ORDER BY map_id FOR SHARE" if postgresql else ""))
        fencing.check_epochs(snapshot, stored_maps, installed)

    def _replace_ground_items(self, txn, map_ids, items):
        if map_ids is None:
            self._execute(txn, "DELETE FROM ground_items")
        else:
            self._execute_many(
                txn, "DELETE FROM ground_items WHERE map_id = ?",
                [(map_id,) for map_id in sorted(map_ids)])
        try:
            self._execute_many(
                txn,
                f"INSERT INTO ground_items ({_GROUND_ITEM_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (g.ground_item_id, g.item_id, g.quantity, g.map_id, g.x, g.y,
                     g.owner_id, g.public_at, g.despawn_at)
                    for g in items
                ],
            )
        except self._dbapi.IntegrityError as e:
            raise ValueError(
                f"a ground item number is held by another item: {e}".strip()) from None
        if items:
            # Numbers reserved later stay above every stored one, also when
            # the numbers saved were not reserved (one process, as before).
            after = max(g.ground_item_id for g in items) + 1
            self._execute(
                txn,
                "UPDATE counters SET next_value = ? WHERE name = ? AND next_value < ?",
                (after, _GROUND_ITEM_COUNTER, after))

    def load_ground_items(self, map_ids=None):
        return self._pool.runInteraction(self._load_ground_items, map_ids)

    def _load_ground_items(self, txn, map_ids):
        if map_ids is None:
            txn.execute(f"SELECT {_GROUND_ITEM_COLUMNS} FROM ground_items")
            rows = txn.fetchall()
        else:
            rows = self._select_in(
                txn, f"SELECT {_GROUND_ITEM_COLUMNS} FROM ground_items WHERE map_id IN",
                sorted(set(map_ids)))
        return sorted((GroundItemState(*row) for row in rows),
                      key=lambda g: g.ground_item_id)

    # -- IMapStore

    def install_epoch(self, map_id, epoch):
        return self._pool.runInteraction(
            self._install_epoch, map_id, epoch, self._clock.seconds())

    def _install_epoch(self, txn, map_id, epoch, now):
        self._dialect.begin_write(txn)
        # The row (new or not) stays locked to the end of the transaction, so
        # two owners installing at once are ordered, and the loser sees the
        # winner's epoch.
        self._execute(
            txn,
            "INSERT INTO map_epochs (map_id, epoch, installed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (map_id) DO UPDATE SET epoch = excluded.epoch,"
            " installed_at = excluded.installed_at"
            " WHERE map_epochs.epoch < excluded.epoch RETURNING epoch",
            (map_id, epoch, now))
        if txn.fetchone() is None:
            self._execute(txn, "SELECT epoch FROM map_epochs WHERE map_id = ?", (map_id,))
            (current,) = txn.fetchone()
            raise StaleEpoch(map_id, epoch, current)

    def map_epochs(self, map_ids):
        return self._pool.runInteraction(self._map_epochs, list(map_ids))

    def _map_epochs(self, txn, map_ids):
        return dict(self._select_in(
            txn, "SELECT map_id, epoch FROM map_epochs WHERE map_id IN", sorted(set(map_ids))))

    def reserve_ground_item_ids(self, count):
        if count < 1:
            return fail(ValueError(f"cannot reserve {count} ground item numbers"))
        return self._pool.runInteraction(self._reserve_ground_item_ids, count)

    def _reserve_ground_item_ids(self, txn, count):
        self._dialect.begin_write(txn)
        self._execute(
            txn,
            "UPDATE counters SET next_value = next_value + ? WHERE name = ?"
            " RETURNING next_value",
            (count, _GROUND_ITEM_COUNTER))
        (after,) = txn.fetchone()
        return range(after - count, after)

    def mark_online(self, player_ids, server_id, ttl_seconds):
        expires_at = self._clock.seconds() + ttl_seconds
        return self._pool.runInteraction(
            self._mark_online, list(player_ids), server_id, expires_at
        )

    def _mark_online(self, txn, player_ids, server_id, expires_at):
        self._dialect.begin_write(txn)
        self._lock_accounts(txn, player_ids)
        self._execute_many(
            txn,
            "INSERT INTO online_players (player_id, server_id, expires_at)"
            " VALUES (?, ?, ?) ON CONFLICT (player_id) DO UPDATE SET"
            " server_id = excluded.server_id, expires_at = excluded.expires_at",
            [(player_id, server_id, expires_at) for player_id in player_ids],
        )

    def online_server(self, player_id):
        return self._pool.runInteraction(
            self._online_server, player_id, self._clock.seconds()
        )

    def update_offline_character(self, username, change):
        """
        See L{IPlayerStore.update_offline_character}.  C{change} runs in a
        database thread, inside the transaction: it must not touch the
        reactor.
        """
        return self._pool.runInteraction(
            self._update_offline_character, username, change, self._clock.seconds()
        )

    def _update_offline_character(self, txn, username, change, now):
        self._dialect.begin_write(txn)
        account = self._account_row(txn, username)
        if account is None:
            raise UnknownAccount(username)
        self._lock_accounts(txn, [account.player_id])
        server_id = self._online_server(txn, account.player_id, now)
        if server_id is not None:
            raise PlayerOnline(f"{account.username} is online on {server_id}")
        character = self._read_character(txn, account.player_id)
        if character is None:
            raise UnknownAccount(username)
        change(character)
        character.player_id = account.player_id
        self._write_characters(txn, [character])
        return character

    # -- IAccountAdmin

    def change_account(self, username, role=None, banned=None, password_hash=None,
                       bump_token=False, action=None, reason=""):
        changes = {}
        if role is not None:
            changes["role"] = role
        if banned is not None:
            changes["banned"] = bool(banned)
        if password_hash is not None:
            changes["password_hash"] = password_hash
        return self._pool.runInteraction(
            self._change_account, username, changes, bump_token, action, reason,
            self._clock.seconds())

    def _change_account(self, txn, username, changes, bump_token, action, reason, now):
        self._dialect.begin_write(txn)
        account = self._account_row(txn, username)
        if account is None:
            raise UnknownAccount(username)
        self._lock_accounts(txn, [account.player_id])
        assignments = [f"{column} = ?" for column in changes]
        if bump_token:
            assignments.append("token_version = token_version + 1")
        if assignments:
            self._execute(
                txn,
                f"UPDATE accounts SET {', '.join(assignments)} WHERE player_id = ?",
                (*changes.values(), account.player_id),
            )
            account = self._account_row(txn, username)
        server_id = None
        if action is not None:
            server_id = self._online_server(txn, account.player_id, now)
            if server_id is not None:
                self._execute(
                    txn, "DELETE FROM admin_actions WHERE created_at < ?",
                    (now - ADMIN_ACTION_KEEP_S,))
                self._execute(
                    txn,
                    "INSERT INTO admin_actions (player_id, action, reason, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (account.player_id, action, reason, now),
                )
        return account, server_id

    def admin_actions(self, after_id):
        return self._pool.runInteraction(self._admin_actions, after_id)

    def _admin_actions(self, txn, after_id):
        self._execute(
            txn,
            "SELECT action_id, player_id, action, reason FROM admin_actions"
            " WHERE action_id > ? ORDER BY action_id",
            (after_id,),
        )
        return [AdminAction(*row) for row in txn.fetchall()]

    def last_admin_action(self):
        return self._pool.runInteraction(self._last_admin_action)

    def _last_admin_action(self, txn):
        txn.execute("SELECT MAX(action_id) FROM admin_actions")
        (last,) = txn.fetchone()
        return last or 0

    def online_players_by_map(self):
        return self._pool.runInteraction(self._online_players_by_map, self._clock.seconds())

    def _online_players_by_map(self, txn, now):
        self._execute(
            txn,
            "SELECT c.map_id, a.username FROM online_players o"
            " JOIN characters c ON c.player_id = o.player_id"
            " JOIN accounts a ON a.player_id = o.player_id"
            " WHERE o.expires_at > ? ORDER BY c.map_id, a.username_lower",
            (now,),
        )
        found = {}
        for map_id, username in txn.fetchall():
            found.setdefault(map_id, []).append(username)
        return found

    def close(self):
        self._pool.close()
        return succeed(None)
