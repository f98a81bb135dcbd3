"""
Database URLs: which L{IPlayerStore} an operator's C{--database} names.

    sqlite:///PATH          an SQLite file; PATH is exactly what follows the
                            three slashes (sqlite:////var/rpg.db is absolute,
                            sqlite:///rpg.db relative, sqlite:///:memory:)
    postgresql://...        PostgreSQL; the whole URL is handed to libpq
    postgres://...          the same
    memory:                 in this process only, lost at exit
"""

import os

SQLITE_PREFIX = "sqlite:///"
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")
MEMORY_URLS = ("memory:", "memory://")


def default_database_url(data_dir):
    """The embedded default: an SQLite file in the data directory."""
    return f"{SQLITE_PREFIX}{os.path.join(data_dir, 'rpg.sqlite3')}"


def describe_database_url(url):
    """The URL without its password, for logs and messages."""
    if url.startswith(POSTGRESQL_SCHEMES):
        scheme, _, rest = url.partition("://")
        credentials, at, location = rest.rpartition("@")
        if at and ":" in credentials:
            user = credentials.split(":", 1)[0]
            return f"{scheme}://{user}:***@{location}"
    return url


def sqlite_path(url):
    """
    The file an C{sqlite:///} URL names.

    @raise ValueError: not an SQLite URL, or no path.
    """
    if not url.startswith(SQLITE_PREFIX):
        if url.startswith("sqlite:"):
            raise ValueError(
                f"bad SQLite URL {url!r}: write sqlite:///PATH (three slashes)"
            )
        raise ValueError(f"not an SQLite URL: {url!r}")
    path = url[len(SQLITE_PREFIX):]
    if not path:
        raise ValueError(f"bad SQLite URL {url!r}: no file path after sqlite:///")
    return path


def open_store(url, clock=None):
    """
    Build the store a database URL names.  Nothing is connected yet: the
    first operation (usually C{migrate()}) connects.

    @param clock: an C{IReactorTime} for the store; the reactor by default.
    @return: an L{rpg.interfaces.IPlayerStore}.
    @raise ValueError: with a one-line message, for a URL of no known kind.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("empty database URL")
    if url in MEMORY_URLS:
        from rpg.store.memory import MemoryPlayerStore

        return MemoryPlayerStore(clock=clock)
    if url.startswith("sqlite:"):
        from rpg.store.sql import SQLPlayerStore

        path = sqlite_path(url)
        if path != ":memory:":
            parent = os.path.dirname(path)
            if parent:
                os.makedirs(parent, exist_ok=True)
        return SQLPlayerStore.for_sqlite(path, clock=clock)
    if url.startswith(POSTGRESQL_SCHEMES):
        from rpg.store.sql import SQLPlayerStore

        return SQLPlayerStore.for_postgresql(url, clock=clock)
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}:"
        " use sqlite:///PATH, postgresql://... or memory:"
    )
