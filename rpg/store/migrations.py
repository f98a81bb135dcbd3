"""
The SQL schema, as numbered steps, and the two dialects it is written for.

Each step is applied in its own transaction, which also records its number in
C{schema_version}; a step already recorded is never applied again.  Steps are
only ever appended: a released step is not edited, a later step alters it.
"""

from dataclasses import dataclass

from twisted.logger import Logger

log = Logger()

# Any constant shared by every rpg process: the key of the PostgreSQL advisory
# lock that serializes concurrent migrations.
_PG_MIGRATION_LOCK = 0x72_70_67_6D  # "rpgm"


@dataclass(frozen=True)
class SQLDialect:
    """
    What differs between the databases rpg speaks to.

    @ivar name: C{"sqlite"} or C{"postgresql"}.
    @ivar module: the DB-API module name handed to adbapi.
    @ivar paramstyle: C{"qmark"} (C{?}) or C{"format"} (C{%s}).
    """

    name: str
    module: str
    paramstyle: str

    def sql(self, statement):
        """
        Our SQL is written with C{?} placeholders; translate it for a
        C{%s} driver.  No statement of ours holds a literal C{?} or C{%}.
        """
        if self.paramstyle == "format":
            return statement.replace("?", "%s")
        return statement

    def begin_write(self, txn):
        """
        Start the interaction as a write transaction.

        sqlite3 opens transactions lazily, at the first write, so a read
        followed by a write would not be atomic: take the write lock at once.
        psycopg2 has already opened the transaction.
        """
        if self.name == "sqlite":
            txn.execute("BEGIN IMMEDIATE")

    def ddl(self, statement):
        """Fill the per-dialect words of a schema statement."""
        if self.name == "sqlite":
            serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
        else:
            serial = "SERIAL PRIMARY KEY"
        return statement.format(serial_primary_key=serial)


SQLITE = SQLDialect("sqlite", "sqlite3", "qmark")
POSTGRESQL = SQLDialect("postgresql", "psycopg2", "format")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple


MIGRATIONS = (
    Migration(
        1,
        "accounts, characters, skills, inventory, equipment, ground items, online players",
        (
            """CREATE TABLE accounts (
                player_id {serial_primary_key},
                username TEXT NOT NULL,
                username_lower TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL DEFAULT 'player',
                banned BOOLEAN NOT NULL DEFAULT FALSE,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE characters (
                player_id INTEGER PRIMARY KEY
                    REFERENCES accounts (player_id) ON DELETE CASCADE,
                map_id TEXT NOT NULL,
                x INTEGER NOT NULL,
                y INTEGER NOT NULL,
                facing TEXT NOT NULL,
                hp INTEGER NOT NULL
            )""",
            """CREATE TABLE skills (
                player_id INTEGER NOT NULL
                    REFERENCES characters (player_id) ON DELETE CASCADE,
                skill TEXT NOT NULL,
                xp BIGINT NOT NULL,
                PRIMARY KEY (player_id, skill)
            )""",
            """CREATE TABLE inventory (
                player_id INTEGER NOT NULL
                    REFERENCES characters (player_id) ON DELETE CASCADE,
                slot INTEGER NOT NULL CHECK (slot BETWEEN 0 AND 27),
                item_id INTEGER NOT NULL,
                quantity BIGINT NOT NULL,
                PRIMARY KEY (player_id, slot)
            )""",
            """CREATE TABLE equipment (
                player_id INTEGER NOT NULL
                    REFERENCES characters (player_id) ON DELETE CASCADE,
                slot TEXT NOT NULL,
                item_id INTEGER NOT NULL,
                quantity BIGINT NOT NULL,
                PRIMARY KEY (player_id, slot)
            )""",
            """CREATE TABLE ground_items (
                ground_item_id BIGINT PRIMARY KEY,
                item_id INTEGER NOT NULL,
                quantity BIGINT NOT NULL,
                map_id TEXT NOT NULL,
                x INTEGER NOT NULL,
                y INTEGER NOT NULL,
                owner_id INTEGER NULL,
                public_at DOUBLE PRECISION NOT NULL,
                despawn_at DOUBLE PRECISION NOT NULL
            )""",
            # No foreign key: an online record is presence, not player data.
            """CREATE TABLE online_players (
                player_id INTEGER PRIMARY KEY,
                server_id TEXT NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL
            )""",
        ),
    ),
    Migration(
        2,
        "token versions on accounts; the queue of operator actions for running servers",
        (
            "ALTER TABLE accounts ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0",
            # Written by rpg-admin, read by every server process (polled):
            # a kick or a role change reaches whichever process holds the
            # player, with or without Valkey.
            """CREATE TABLE admin_actions (
                action_id {serial_primary_key},
                player_id INTEGER NOT NULL,
                action TEXT NOT NULL,
                reason TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )""",
        ),
    ),
    Migration(
        3,
        "fencing epochs of maps; ground items loaded and replaced per map;"
        " ground item numbers reserved from the database",
        (
            # The epoch of each map's current owner (its lease's fencing
            # token): a fenced write commits only while it holds this epoch.
            """CREATE TABLE map_epochs (
                map_id TEXT PRIMARY KEY,
                epoch BIGINT NOT NULL,
                installed_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX ground_items_by_map ON ground_items (map_id)",
            # Named counters; "ground_item" is the next ground item number no
            # process has been handed yet, above every stored one.
            """CREATE TABLE counters (
                name TEXT PRIMARY KEY,
                next_value BIGINT NOT NULL
            )""",
            """INSERT INTO counters (name, next_value)
                SELECT 'ground_item', COALESCE(MAX(ground_item_id), 0) + 1
                FROM ground_items""",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version

# Every table the steps create, schema_version last: what a reset drops.
TABLES = (
    "counters",
    "map_epochs",
    "admin_actions",
    "online_players",
    "ground_items",
    "equipment",
    "inventory",
    "skills",
    "characters",
    "accounts",
    "schema_version",
)


def _lock(txn, dialect):
    """Serialize migrations across processes for this transaction."""
    if dialect.name == "postgresql":
        txn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_MIGRATION_LOCK,))
    else:
        dialect.begin_write(txn)


def current_version(txn, dialect):
    """
    Create C{schema_version} if missing and return the newest applied
    version (0 for an empty database).  Run inside C{runInteraction}.
    """
    _lock(txn, dialect)
    txn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY,"
        " description TEXT NOT NULL,"
        " applied_at DOUBLE PRECISION NOT NULL)"
    )
    txn.execute("SELECT MAX(version) FROM schema_version")
    (version,) = txn.fetchone()
    return version or 0


def apply_step(txn, dialect, migration, now):
    """
    Apply one step unless another process applied it first.  Run inside
    C{runInteraction}.

    @return: C{(version now in force, whether this call applied the step)}.
    """
    version = current_version(txn, dialect)
    if version >= migration.version:
        return version, False
    if version != migration.version - 1:
        raise RuntimeError(
            f"schema version {version} cannot take step {migration.version}"
        )
    for statement in migration.statements:
        txn.execute(dialect.ddl(statement))
    txn.execute(
        dialect.sql(
            "INSERT INTO schema_version (version, description, applied_at)"
            " VALUES (?, ?, ?)"
        ),
        (migration.version, migration.description, now),
    )
    return migration.version, True


async def migrate(pool, dialect, clock):
    """
    Apply every missing step in order, each in its own transaction.

    @param pool: an adbapi C{ConnectionPool}.
    @return: the schema version now in force.
    @raise RuntimeError: the database is newer than this code.
    """
    version = await pool.runInteraction(current_version, dialect)
    if version > LATEST_VERSION:
        raise RuntimeError(
            f"database schema version {version} is newer than this server"
            f" ({LATEST_VERSION})"
        )
    for migration in MIGRATIONS:
        if migration.version > version:
            version, applied = await pool.runInteraction(
                apply_step, dialect, migration, clock.seconds()
            )
            if applied:
                log.info(
                    "Applied schema step {version}: {description}",
                    version=migration.version,
                    description=migration.description,
                )
    return version
