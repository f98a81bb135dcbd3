"""
What only the SQL store promises: SQLite settings, the schema_version
table, placeholder translation and concurrent migrations.
"""

import sqlite3

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from rpg.models import CharacterState
from rpg.store.migrations import LATEST_VERSION, MIGRATIONS, POSTGRESQL, SQLITE
from rpg.store.sql import SQLPlayerStore
from tests.store.conftest import postgres_url, reset_postgres


def test_postgresql_placeholders_are_translated():
    """The one SQL text serves both drivers: ? becomes %s for psycopg2."""
    statement = "SELECT a FROM t WHERE b = ? AND c = ?"
    assert POSTGRESQL.sql(statement) == "SELECT a FROM t WHERE b = %s AND c = %s"
    assert SQLITE.sql(statement) == statement


def test_serial_key_per_dialect():
    """The account key is AUTOINCREMENT on SQLite and SERIAL on PostgreSQL."""
    statement = "player_id {serial_primary_key}"
    assert SQLITE.ddl(statement) == "player_id INTEGER PRIMARY KEY AUTOINCREMENT"
    assert POSTGRESQL.ddl(statement) == "player_id SERIAL PRIMARY KEY"


def test_migration_versions_are_consecutive():
    """Steps are numbered 1, 2, 3... in order."""
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


@pytest_twisted.ensureDeferred
async def test_sqlite_file_settings(tmp_path):
    """An SQLite store runs in WAL mode and records each applied step."""
    path = str(tmp_path / "rpg.sqlite3")
    store = SQLPlayerStore.for_sqlite(path, clock=Clock())
    try:
        assert await store.migrate() == LATEST_VERSION
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        versions = connection.execute("SELECT version FROM schema_version").fetchall()
    finally:
        connection.close()
    assert versions == [(m.version,) for m in MIGRATIONS]


@pytest_twisted.ensureDeferred
async def test_sqlite_data_survives_reopen(tmp_path):
    """What one store wrote, a new store on the same file reads."""
    path = str(tmp_path / "rpg.sqlite3")
    first = SQLPlayerStore.for_sqlite(path, clock=Clock())
    await first.migrate()
    account = await first.create_account(
        "Alice", "h", CharacterState(0, "", "town", 1, 2)
    )
    await first.close()
    second = SQLPlayerStore.for_sqlite(path, clock=Clock())
    try:
        await second.migrate()
        assert (await second.load_character(account.player_id)).x == 1
    finally:
        await second.close()


@pytest_twisted.ensureDeferred
async def test_newer_schema_is_refused(tmp_path):
    """A database migrated by newer code is not touched by older code."""
    path = str(tmp_path / "rpg.sqlite3")
    store = SQLPlayerStore.for_sqlite(path, clock=Clock())
    try:
        await store.migrate()
        connection = sqlite3.connect(path)
        with connection:
            connection.execute(
                "INSERT INTO schema_version VALUES (?, 'future', 0)",
                (LATEST_VERSION + 1,),
            )
        connection.close()
        with pytest.raises(RuntimeError, match="newer"):
            await store.migrate()
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_postgresql_concurrent_migrations():
    """Two processes migrating one empty database at once both succeed, once each step."""
    url = postgres_url()
    reset_postgres(url)
    stores = [SQLPlayerStore.for_postgresql(url, clock=Clock()) for _ in range(3)]
    try:
        from twisted.internet.defer import gatherResults

        versions = await gatherResults([s.migrate() for s in stores], consumeErrors=True)
        assert versions == [LATEST_VERSION] * 3
    finally:
        for store in stores:
            await store.close()
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version FROM schema_version ORDER BY version")
            assert cursor.fetchall() == [(m.version,) for m in MIGRATIONS]
    finally:
        connection.close()
