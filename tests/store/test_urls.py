"""
Database URLs: parsing, the default, and the store each one opens.
"""

import os

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from rpg.store.memory import MemoryPlayerStore
from rpg.store.migrations import POSTGRESQL, SQLITE
from rpg.store.sql import SQLPlayerStore
from rpg.store.urls import (
    default_database_url,
    describe_database_url,
    open_store,
    sqlite_path,
)


def test_sqlite_absolute_path():
    """Four slashes name an absolute path."""
    assert sqlite_path("sqlite:////tmp/x.db") == "/tmp/x.db"


def test_sqlite_relative_path():
    """Three slashes then a name is a path relative to the working directory."""
    assert sqlite_path("sqlite:///rpg.db") == "rpg.db"


def test_sqlite_memory_path():
    """sqlite:///:memory: names SQLite's in-memory database."""
    assert sqlite_path("sqlite:///:memory:") == ":memory:"


@pytest.mark.parametrize(
    "url", ["sqlite://x.db", "sqlite:///", "sqlite:x.db"]
)
def test_bad_sqlite_urls(url):
    """An SQLite URL without three slashes and a path is refused."""
    with pytest.raises(ValueError):
        open_store(url)


@pytest.mark.parametrize("url", ["", "mysql://h/db", "rpg.db", "http://x"])
def test_unknown_urls_are_refused(url):
    """Anything but sqlite, postgres(ql) and memory is a ValueError of one line."""
    with pytest.raises(ValueError) as caught:
        open_store(url)
    assert "\n" not in str(caught.value)


def test_default_database_url():
    """The default is rpg.sqlite3 in the data directory."""
    assert default_database_url("./rpg-data") == "sqlite:///./rpg-data/rpg.sqlite3"
    assert default_database_url("/var/lib/rpg") == "sqlite:////var/lib/rpg/rpg.sqlite3"


def test_password_hidden_in_description():
    """A PostgreSQL password never reaches a log line."""
    assert (
        describe_database_url("postgresql://rpg:secret@db:5432/rpg")
        == "postgresql://rpg:***@db:5432/rpg"
    )
    assert describe_database_url("sqlite:///rpg.db") == "sqlite:///rpg.db"


def test_memory_url():
    """memory: opens the in-memory store on the given clock."""
    clock = Clock()
    store = open_store("memory:", clock=clock)
    assert isinstance(store, MemoryPlayerStore)


@pytest_twisted.ensureDeferred
async def test_sqlite_url_creates_parent_directory(tmp_path):
    """Opening an SQLite file in a missing directory creates the directory."""
    path = tmp_path / "a" / "b" / "rpg.sqlite3"
    store = open_store(f"sqlite:///{path}", clock=Clock())
    try:
        assert isinstance(store, SQLPlayerStore)
        assert store.dialect == SQLITE
        await store.migrate()
    finally:
        await store.close()
    assert os.path.isfile(path)


@pytest_twisted.ensureDeferred
async def test_sqlite_in_memory_url_works():
    """sqlite:///:memory: is a working (if short-lived) store."""
    store = open_store("sqlite:///:memory:", clock=Clock())
    try:
        assert await store.migrate() >= 1
        assert await store.get_account("nobody") is None
    finally:
        await store.close()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgresql_urls(scheme):
    """Both PostgreSQL schemes open the SQL store in its PostgreSQL dialect, lazily."""
    store = open_store(f"{scheme}://rpg@127.0.0.1:1/none", clock=Clock())
    try:
        assert isinstance(store, SQLPlayerStore)
        assert store.dialect == POSTGRESQL
    finally:
        store.close()
