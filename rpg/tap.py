"""
``twistd rpg``: the options, and the service they make.

This is the only place configuration is read: options, the environment
(``RPG_JWT_SECRET``), the secret file, the config file, the maps and the
content files.
"""

import os
import secrets
import socket
import sys
from pathlib import Path

from twisted.python import usage

from rpg.config import ConfigError, load_server_settings, load_tunables

RUNNING_FROM_SOURCE_MAPS = Path(__file__).resolve().parent.parent / "maps"
INSTALLED_MAPS = Path(sys.prefix) / "share" / "rpg" / "maps"


def default_maps_dir():
    """The repository's maps/, or the copy installed beside the package."""
    if RUNNING_FROM_SOURCE_MAPS.is_dir():
        return RUNNING_FROM_SOURCE_MAPS
    return INSTALLED_MAPS


DEFAULT_METRICS_LISTEN = "tcp:9100:interface=127.0.0.1"
DEFAULT_LINK_LISTEN = "tcp:0:interface=127.0.0.1"


class StartupError(Exception):
    """A fault that stops start-up, told in one line."""


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = ("Serve rpg: HTTP (/auth/..., /health) and the protocol 2.0 WebSocket at /ws "
                "on one port; /metrics and the detailed /health on --metrics-listen.  "
                "Without options it runs on SQLite in the data directory with in-process "
                "presence.")
    optParameters = [
        ["listen", None, None, "Twisted endpoint to listen on [default: tcp:8000]."],
        ["database", None, None,
         "sqlite:///PATH or postgresql://user@host:port/db [default: sqlite in the data dir]"],
        ["valkey", None, None,
         "redis://host:port/db: share presence and chat with other processes [default: in-process]"],
        ["maps", None, None, "Directory of Tiled *.tmx maps [default: the repository's maps/]"],
        ["start-map", None, None,
         "Map new players start on [default: samplemap, or the only map]"],
        ["data-dir", None, None,
         "Directory for the SQLite file and the JWT secret [default: ./rpg-data]."],
        ["jwt-secret", None, None,
         "Secret for signing tokens (at least 32 bytes).  Visible to every local user in ps: "
         "prefer --jwt-secret-file or $RPG_JWT_SECRET "
         "[default: $RPG_JWT_SECRET, else one kept in the data dir]"],
        ["jwt-secret-file", None, None,
         "File holding the token secret (at least 32 bytes; mode 0600 or 0400)."],
        ["config", None, None,
         "TOML file: game tunables, and the server's settings in a [server] table, which "
         "these options override (see docs/configuration.md)."],
        ["metrics-listen", None, None,
         "Twisted endpoint for /metrics and the detailed /health, for operators; 'none' "
         "serves neither.  A port in use is logged and the game served anyway "
         f"[default: {DEFAULT_METRICS_LISTEN}]."],
        ["own-maps", None, None,
         "With --valkey: ID[,ID...] the maps this process claims at start-up; any other map "
         "it serves only once no live process does [default: every map no live process "
         "serves]."],
        ["link-listen", None, None,
         "With --valkey: Twisted endpoint where the other processes of the world connect "
         "to this one [default: tcp:0:interface=127.0.0.1, a free port on loopback]."],
        ["link-address", None, None,
         "With --valkey: the client endpoint the other processes dial to reach --link-listen, "
         "e.g. tcp:10.0.0.5:7100 [default: the address --link-listen is bound to]."],
    ]
    # What an option left out takes, after the config file's [server] table.
    # An option with a default keeps None in optParameters and its default
    # here: None is how apply_config_file knows it was left out.
    option_defaults = {"listen": "tcp:8000", "data-dir": "./rpg-data",
                       "metrics-listen": DEFAULT_METRICS_LISTEN,
                       "link-listen": DEFAULT_LINK_LISTEN}
    # Options that are not settings of a [server] table.
    not_settings = ("config", "jwt-secret")

    def __init__(self, environ=None):
        super().__init__()
        self.environ = os.environ if environ is None else environ

    @classmethod
    def server_settings(cls):
        """The keys of a [server] table: every option but --config and --jwt-secret."""
        return {name.replace("-", "_") for name, *_ in cls.optParameters
                if name not in cls.not_settings}

    def apply_config_file(self):
        """
        Fill each option left out on the command line from the config file's
        [server] table, then from L{option_defaults}: the command line wins.
        """
        try:
            settings = load_server_settings(self["config"], self.server_settings())
        except ConfigError as e:
            raise usage.UsageError(f"--config: {e}") from None
        if self["jwt-secret"] is not None:
            settings.pop("jwt_secret_file", None)  # --jwt-secret given here wins
        for key, value in settings.items():
            name = key.replace("_", "-")
            if self[name] is None:
                self[name] = value
        for name, value in self.option_defaults.items():
            if self[name] is None:
                self[name] = value

    def postOptions(self):
        from twisted.internet import endpoints, reactor

        self.apply_config_file()
        try:
            endpoints.serverFromString(reactor, self["listen"])
        except (ValueError, TypeError, KeyError) as e:
            raise usage.UsageError(f"--listen: not a valid endpoint description: {e}") from None
        if self["metrics-listen"].strip().lower() in ("", "none"):
            self["metrics-listen"] = None
        else:
            try:
                endpoints.serverFromString(reactor, self["metrics-listen"])
            except (ValueError, TypeError, KeyError) as e:
                raise usage.UsageError(
                    f"--metrics-listen: not a valid endpoint description: {e}") from None
        database = self["database"]
        if database is not None and not database.startswith(
                ("sqlite:///", "postgresql://", "postgres://", "memory:")):
            raise usage.UsageError("--database must be sqlite:///PATH or postgresql://...")
        valkey = self["valkey"]
        if valkey is not None:
            from rpg.store.valkey_link import parse_valkey_url
            try:
                parse_valkey_url(valkey)
            except ValueError as e:
                raise usage.UsageError(f"--valkey: {e}") from None
        try:
            endpoints.serverFromString(reactor, self["link-listen"])
        except (ValueError, TypeError, KeyError) as e:
            raise usage.UsageError(
                f"--link-listen: not a valid endpoint description: {e}") from None
        if self["link-address"] is not None:
            try:
                endpoints.clientFromString(reactor, self["link-address"])
            except (ValueError, TypeError, KeyError) as e:
                raise usage.UsageError(
                    f"--link-address: not a valid client endpoint description: {e}") from None
        if self["own-maps"] is not None:
            own = [m.strip() for m in self["own-maps"].split(",") if m.strip()]
            if not own:
                raise usage.UsageError("--own-maps: name at least one map id")
            self["own-maps"] = own
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
        if self["jwt-secret"] is not None and self["jwt-secret-file"] is not None:
            raise usage.UsageError("give --jwt-secret or --jwt-secret-file, not both")
        try:
            self["jwt-secret"] = self.given_secret()
            self.load_content()
        except StartupError as e:
            # A broken map or data file: one clear line, no usage text.
            print(f"rpg: {e}", file=sys.stderr)
            raise SystemExit(1) from None

    def given_secret(self):
        """
        The secret from --jwt-secret-file, --jwt-secret or $RPG_JWT_SECRET,
        checked; C{None} when none is given (one is kept in the data dir).

        @raise StartupError: empty, too short, or a file others may read.
        """
        if self["jwt-secret-file"] is not None:
            return read_secret_file(Path(self["jwt-secret-file"]), "--jwt-secret-file")
        if self["jwt-secret"] is not None:
            return check_secret(self["jwt-secret"], "--jwt-secret")
        if "RPG_JWT_SECRET" in self.environ:
            return check_secret(self.environ["RPG_JWT_SECRET"], "$RPG_JWT_SECRET")
        return None

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
        unknown = [m for m in self["own-maps"] or () if m not in maps]
        if unknown:
            raise StartupError(f"--own-maps {','.join(unknown)}: no such map in {self['maps']}")


MIN_SECRET_BYTES = 32


def check_secret(secret, source):
    """
    @return: C{secret}, stripped of surrounding white space.
    @raise StartupError: empty, or shorter than L{MIN_SECRET_BYTES}.
    """
    secret = secret.strip()
    if not secret:
        raise StartupError(f"{source}: the JWT secret is empty")
    size = len(secret.encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        raise StartupError(f"{source}: the JWT secret is {size} bytes; at least "
                           f"{MIN_SECRET_BYTES} are needed (e.g. openssl rand -base64 48)")
    return secret


def read_secret_file(path, source):
    """
    The checked secret held in C{path}.

    @raise StartupError: unreadable, readable by group or others, empty or short.
    """
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise StartupError(
                f"{source} {path} is readable by group or others (mode {mode & 0o777:04o}):"
                f" chmod 600 {path}")
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise StartupError(f"{source} {path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise StartupError(f"{source} {path}: not UTF-8 text") from None
    return check_secret(text, f"{source} {path}")


def private_data_dir(data_dir):
    """Create the data directory 0700, or make an existing one 0700."""
    data_dir = Path(data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if data_dir.stat().st_mode & 0o077:
        try:
            data_dir.chmod(0o700)
        except OSError as e:
            raise StartupError(f"--data-dir {data_dir}: cannot make it private (chmod 700):"
                               f" {e.strerror}") from None
    return data_dir


def jwt_secret(data_dir, given):
    """
    The given secret, or the one kept in the data dir, generated once and
    written atomically (a whole file with mode 0600, or none).

    @raise StartupError: the kept file is empty, short or readable by others.
    """
    if given:
        return given
    path = Path(data_dir) / "jwt-secret"
    if path.exists():
        return read_secret_file(path, "the kept secret")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    temporary = path.with_name(f".jwt-secret.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            # link, unlike rename, never replaces a secret another process
            # kept first: then that one is used.
            os.link(temporary, path)
        except FileExistsError:
            return read_secret_file(path, "the kept secret")
    finally:
        os.unlink(temporary)
    return secret


def server_id():
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def makeService(options):
    from rpg.server import RpgService

    from rpg.store.urls import default_database_url
    try:
        data_dir = private_data_dir(options["data-dir"])
        secret = jwt_secret(data_dir, options["jwt-secret"])
    except StartupError as e:
        print(f"rpg: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    database = options["database"] or default_database_url(data_dir)
    return RpgService(
        listen=options["listen"],
        database_url=database,
        valkey_url=options["valkey"],
        content=options["content"],
        start_map=options["start-map"],
        secret=secret,
        tunables=options["tunables"],
        maps_dir=options["maps"],
        server_id=server_id(),
        metrics_listen=options["metrics-listen"],
        own_maps=options["own-maps"],
        link_listen=options["link-listen"],
        link_address=options["link-address"],
    )
