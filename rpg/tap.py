"""
``twistd rpg``: the options, and the service they make.

This is the only place configuration is read: options, the environment
(``RPG_JWT_SECRET``), the config file, the maps and the content files.
"""

import os
import secrets
import socket
import sys
from pathlib import Path

from twisted.python import usage

from rpg.config import ConfigError, load_tunables

RUNNING_FROM_SOURCE_MAPS = Path(__file__).resolve().parent.parent / "maps"
INSTALLED_MAPS = Path(sys.prefix) / "share" / "rpg" / "maps"


def default_maps_dir():
    """The repository's maps/, or the copy installed beside the package."""
    if RUNNING_FROM_SOURCE_MAPS.is_dir():
        return RUNNING_FROM_SOURCE_MAPS
    return INSTALLED_MAPS


class StartupError(Exception):
    """A fault that stops start-up, told in one line."""


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = ("Serve rpg: HTTP (/auth/register, /auth/login, /health, /metrics) and the "
                "protocol 2.0 WebSocket at /ws on one port.  Without options it runs on "
                "SQLite in the data directory with in-process presence.")
    optParameters = [
        ["listen", None, "tcp:8000", "Twisted endpoint to listen on."],
        ["database", None, None,
         "sqlite:///PATH or postgresql://user@host:port/db [default: sqlite in the data dir]"],
        ["valkey", None, None,
         "redis://host:port/db: share presence and chat with other processes [default: in-process]"],
        ["maps", None, None, "Directory of Tiled *.tmx maps [default: the repository's maps/]"],
        ["start-map", None, None,
         "Map new players start on [default: samplemap, or the only map]"],
        ["data-dir", None, "./rpg-data", "Directory for the SQLite file and the JWT secret."],
        ["jwt-secret", None, None,
         "Secret for signing tokens [default: $RPG_JWT_SECRET, else one kept in the data dir]"],
        ["config", None, None, "TOML file of game tunables (see docs/configuration.md)."],
    ]

    def __init__(self, environ=None):
        super().__init__()
        self.environ = os.environ if environ is None else environ

    def postOptions(self):
        from twisted.internet import endpoints, reactor

        try:
            endpoints.serverFromString(reactor, self["listen"])
        except (ValueError, TypeError, KeyError) as e:
            raise usage.UsageError(f"--listen: not a valid endpoint description: {e}") from None
        database = self["database"]
        if database is not None and not database.startswith(
                ("sqlite:///", "postgresql://", "postgres://", "memory:")):
            raise usage.UsageError("--database must be sqlite:///PATH or postgresql://...")
        valkey = self["valkey"]
        if valkey is not None and not valkey.startswith(("redis://", "valkey://")):
            raise usage.UsageError("--valkey must be redis://host:port/db")
        self["data-dir"] = Path(self["data-dir"])
        if self["data-dir"].exists() and not self["data-dir"].is_dir():
            raise usage.UsageError(f"--data-dir {self['data-dir']} is not a directory")
        maps_dir = Path(self["maps"]) if self["maps"] else default_maps_dir()
        if not maps_dir.is_dir():
            raise usage.UsageError(f"--maps {maps_dir} is not a directory")
        self["maps"] = maps_dir
        try:
            self["tunables"] = load_tunables(self["config"])
        except ConfigError as e:
            raise usage.UsageError(f"--config: {e}") from None
        self["jwt-secret"] = self["jwt-secret"] or self.environ.get("RPG_JWT_SECRET") or None
        try:
            self.load_content()
        except StartupError as e:
            # A broken map or data file: one clear line, no usage text.
            print(f"rpg: {e}", file=sys.stderr)
            raise SystemExit(1) from None

    def load_content(self):
        from rpg.content import ContentFaultError, load_content
        try:
            self["content"] = load_content(self["maps"], default_maps_dir())
        except ContentFaultError as e:
            raise StartupError(str(e)) from None
        maps = self["content"].maps
        start = self["start-map"]
        if start is None:
            if "samplemap" in maps:
                start = "samplemap"
            elif len(maps) == 1:
                start = next(iter(maps))
            else:
                raise StartupError(
                    f"{self['maps']}: several maps and no samplemap; choose one with --start-map")
        elif start not in maps:
            raise StartupError(f"--start-map {start}: no such map in {self['maps']}")
        self["start-map"] = start


def jwt_secret(data_dir, given):
    """The given secret, or the one kept in the data dir (made once)."""
    if given:
        return given
    path = Path(data_dir) / "jwt-secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret


def server_id():
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def makeService(options):
    from rpg.services.app import RpgService

    data_dir = Path(options["data-dir"])
    data_dir.mkdir(parents=True, exist_ok=True)
    from rpg.store.urls import default_database_url
    database = options["database"] or default_database_url(data_dir)
    return RpgService(
        listen=options["listen"],
        database_url=database,
        valkey_url=options["valkey"],
        content=options["content"],
        start_map=options["start-map"],
        secret=jwt_secret(data_dir, options["jwt-secret"]),
        tunables=options["tunables"],
        maps_dir=options["maps"],
        server_id=server_id(),
    )
