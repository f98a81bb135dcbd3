"""
Fixtures for anything that needs an L{IPlayerStore}, reusable from other test
directories::

    from tests.store.conftest import any_store, store_clock, store_url  # noqa: F401

C{any_store} is a migrated store of each kind in turn (memory, SQLite in a
temporary file, PostgreSQL), on a C{task.Clock} (C{store_clock}).

PostgreSQL comes from C{RPG_TEST_DATABASE_URL}.  Without it the PostgreSQL
cases are skipped, unless C{RPG_REQUIRE_SERVICES=1}, which turns a missing or
unreachable database into a failure.  The PostgreSQL database is wiped (every
rpg table dropped) before each test that uses it.
"""

import os

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from rpg.store.migrations import TABLES
from rpg.store.urls import open_store

STORE_KINDS = ("memory", "sqlite", "postgresql")

POSTGRES_ENV = "RPG_TEST_DATABASE_URL"
REQUIRE_ENV = "RPG_REQUIRE_SERVICES"


def services_required():
    return os.environ.get(REQUIRE_ENV) == "1"


def reset_postgres(url):
    """Drop every rpg table in the PostgreSQL database at C{url}."""
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    finally:
        connection.close()


def postgres_url():
    """
    The test PostgreSQL URL, checked to answer; skips the calling test (or
    fails it, when services are required) if there is none.
    """
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        reason = f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        if services_required():
            pytest.fail(f"{REQUIRE_ENV}=1 but {reason}")
        pytest.skip(reason)
    import psycopg2

    try:
        psycopg2.connect(url, connect_timeout=5).close()
    except psycopg2.OperationalError as exc:
        reason = f"PostgreSQL at {POSTGRES_ENV} is unreachable: {str(exc).strip()}"
        if services_required():
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def store_clock():
    """The clock every store fixture runs on."""
    return Clock()


@pytest.fixture(params=STORE_KINDS)
def store_url(request, tmp_path):
    """A database URL of each kind, empty."""
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'rpg.sqlite3'}"
    url = postgres_url()
    reset_postgres(url)
    return url


@pytest_twisted.async_yield_fixture
async def any_store(store_url, store_clock):
    """A migrated store of each kind, closed afterwards."""
    store = open_store(store_url, clock=store_clock)
    await store.migrate()
    yield store
    await store.close()
