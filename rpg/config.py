"""
Game tunables: their names, defaults and validation.

Read once, from the operator's ``--config FILE.toml`` (a flat table of these
keys, or a ``[game]`` table), in L{rpg.tap.Options.postOptions}; then handed
to the services.  The same file may hold the server's settings in a
``[server]`` table (L{load_server_settings}), read by the server and by
``rpg-admin``.  Every key is documented in ``docs/configuration.md``.
"""

import dataclasses
import tomllib


@dataclasses.dataclass(frozen=True)
class Tunables:
    # the tick
    tick_rate: int = 20
    # movement and view
    move_cooldown_ms: int = 500
    view_radius_chunks: int = 1
    # persistence
    snapshot_interval_s: float = 10.0
    online_ttl_s: float = 30.0
    # several processes, one world (docs/scaling.md)
    map_lease_ttl_s: float = 10.0
    map_adopt_after_s: float = 5.0
    link_heartbeat_s: float = 1.0
    link_timeout_s: float = 5.0
    # websocket and session
    max_message_bytes: int = 16384
    max_frame_bytes: int = 16384
    auth_timeout_s: float = 10.0
    max_auth_failures: int = 5
    open_handshake_timeout_s: float = 10.0
    auto_ping_interval_s: float = 20.0
    auto_ping_timeout_s: float = 20.0
    shutdown_grace_s: float = 1.0
    # accounts
    token_ttl_s: int = 86400
    login_attempts_per_minute: int = 10
    login_failures_per_address_per_minute: int = 100
    password_hash_threads: int = 0
    # chat
    chat_cooldown_ms: int = 1000
    chat_max_length: int = 256
    chat_local_radius_chunks: int = 3
    profanity_words_file: str = ""
    # items
    ground_item_private_s: float = 60.0
    despawn_common_s: float = 120.0
    despawn_uncommon_s: float = 180.0
    despawn_rare_s: float = 300.0
    # combat and death
    respawn_delay_s: float = 5.0
    hp_regen_interval_s: float = 10.0
    # capacity and the move cooldown on arrival times
    max_players: int = 1500
    max_logins_in_flight: int = 200
    server_full_retry_after_ms: int = 10000
    tick_behind_window_s: float = 5.0
    tick_behind_late_ticks: int = 10
    tick_behind_load: float = 0.8
    tick_behind_min_load: float = 0.25
    tick_recovered_load: float = 0.6
    move_cooldown_tolerance_ms: int = 50
    move_reply_at_once: bool = False
    # HTTP limits and the password endpoints (hostile clients)
    http_max_body_bytes: int = 16384
    http_request_deadline_s: float = 30.0
    max_connections_per_address: int = 256
    max_connections: int = 10000
    registrations_per_address: int = 60
    registrations_overall: int = 1000
    registration_window_s: float = 600.0
    registration_limit_loopback: bool = False
    password_queue_max: int = 128
    login_max_delay_s: float = 900.0
    login_failure_memory_s: float = 3600.0
    login_throttle_max_keys: int = 100000
    # operators: how often each server reads rpg-admin's queue (kick, ban, revoke, role)
    admin_poll_s: float = 1.0
    # hostile clients on the WebSocket: the message budget (token buckets per
    # kind of message, rate a second and burst; a burst holds the 64
    # messages that may wait for a login), its close on sustained excess,
    # and the cap on a connection's unsent output
    rate_general_per_s: float = 50.0
    rate_general_burst: int = 200
    rate_move_per_s: float = 10.0
    rate_move_burst: int = 100
    rate_chat_per_s: float = 5.0
    rate_chat_burst: int = 100
    rate_item_per_s: float = 20.0
    rate_item_burst: int = 100
    rate_combat_per_s: float = 10.0
    rate_combat_burst: int = 100
    rate_query_per_s: float = 10.0
    rate_query_burst: int = 100
    rate_chunks_per_s: float = 300.0
    rate_chunks_burst: int = 1500
    rate_limit_close_strikes: int = 100
    rate_limit_forgive_per_s: float = 10.0
    output_buffer_max_bytes: int = 1048576
    output_buffer_grace_s: float = 5.0
    # chat text: combining marks kept after one base character
    chat_max_combining_marks: int = 4
    # /ws origins: browser origins accepted besides the server's own
    # ("scheme://host[:port]", or "*" for any)
    allowed_origins: tuple = ()
    # ground item numbers: how many each reservation from the database
    # takes (the next is reserved when half of one block is used)
    ground_item_number_block: int = 1000


class ConfigError(ValueError):
    """The configuration file is unreadable or holds a bad key or value."""


def load_tunables(path=None, base=None):
    """
    Read tunables from a TOML file (keys may also sit under a ``[game]``
    table; a ``[server]`` table is left to L{load_server_settings}).
    Unknown keys and values of the wrong type are refused.
    """
    base = base or Tunables()
    if path is None:
        return base
    data = read_toml(path)
    server = data.pop("server", None)
    if isinstance(server, dict):
        # Settings of the server that are tunables may sit in [server] too.
        data.update({k: v for k, v in server.items() if k in SERVER_TUNABLES})
    if isinstance(data.get("game"), dict):
        data = {**{k: v for k, v in data.items() if k != "game"}, **data["game"]}
    return apply_overrides(base, data, source=path)


def read_toml(path):
    """@return: the TOML file's table; @raise ConfigError: unreadable or not TOML."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


# Server settings whose relative paths are read from the configuration
# file's directory, so that the server and rpg-admin, started from anywhere
# with the same file, find the same files.
PATH_SETTINGS = ("maps", "data_dir", "jwt_secret_file")
# Tunables that a [server] table may also hold (they are read as tunables).
SERVER_TUNABLES = ("allowed_origins",)


def load_server_settings(path, known):
    """
    The ``[server]`` table of a TOML configuration file: C{{key: str}}.

    @param known: the keys allowed (the server's option names with C{_} for
        C{-}); any other is refused, and so is C{jwt_secret} (a secret
        belongs in C{jwt_secret_file}).
    @return: the settings; a list of strings (C{own_maps = ["a", "b"]}) is
        joined with commas, as on the command line; relative paths in
        L{PATH_SETTINGS} are taken from the file's directory.
    @raise ConfigError: a bad key or value.
    """
    from pathlib import Path

    if path is None:
        return {}
    table = read_toml(path).get("server", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: server must be a table ([server])")
    settings = {}
    for key, value in table.items():
        if key in SERVER_TUNABLES:
            continue  # read by load_tunables
        if key == "jwt_secret":
            raise ConfigError(f"{path}: [server] jwt_secret is refused: put the secret in a "
                              "file only the server can read and name it in jwt_secret_file")
        if key not in known:
            raise ConfigError(f"{path}: [server] unknown key {key!r} (known: "
                              f"{', '.join(sorted(known))})")
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ",".join(value)
        if not isinstance(value, str):
            raise ConfigError(f"{path}: [server] {key} must be a string, not {value!r}")
        if key in PATH_SETTINGS and value:
            value = str(Path(path).resolve().parent / Path(value).expanduser())
        settings[key] = value
    return settings


def apply_overrides(base, data, source="config"):
    fields = {f.name: f for f in dataclasses.fields(Tunables)}
    changes = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{source}: unknown key {key!r}")
        default = getattr(base, key)
        if isinstance(default, tuple):
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            value = tuple(value) if ok else value
        elif isinstance(default, bool) or isinstance(value, bool):
            ok = isinstance(value, bool) and isinstance(default, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float))
            value = float(value) if ok else value
        else:
            ok = isinstance(value, str)
        if not ok:
            kind = "list of strings" if isinstance(default, tuple) else type(default).__name__
            raise ConfigError(f"{source}: {key} must be a {kind}, not {value!r}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{source}: {key} must not be negative")
        changes[key] = value
    tunables = dataclasses.replace(base, **changes)
    if tunables.tick_rate < 1 or tunables.tick_rate > 1000:
        raise ConfigError(f"{source}: tick_rate must be between 1 and 1000")
    if tunables.online_ttl_s < 1:
        raise ConfigError(f"{source}: online_ttl_s must be at least 1 (records are refreshed "
                          "every third of it)")
    if tunables.max_logins_in_flight < 1:
        raise ConfigError(f"{source}: max_logins_in_flight must be at least 1")
    if tunables.tick_behind_window_s <= 0 or tunables.tick_behind_late_ticks < 1:
        raise ConfigError(f"{source}: tick_behind_window_s and tick_behind_late_ticks"
                          " must be positive")
    if not tunables.tick_recovered_load <= tunables.tick_behind_load:
        raise ConfigError(f"{source}: tick_recovered_load must not exceed tick_behind_load")
    if tunables.move_cooldown_tolerance_ms > tunables.move_cooldown_ms:
        raise ConfigError(f"{source}: move_cooldown_tolerance_ms must not exceed"
                          " move_cooldown_ms")
    if tunables.map_lease_ttl_s < 1:
        raise ConfigError(f"{source}: map_lease_ttl_s must be at least 1 (leases are renewed "
                          "every third of it)")
    if not 0 < tunables.link_heartbeat_s < tunables.link_timeout_s:
        raise ConfigError(f"{source}: link_heartbeat_s must be above 0 and below"
                          " link_timeout_s")
    if tunables.admin_poll_s <= 0:
        raise ConfigError(f"{source}: admin_poll_s must be above 0")
    for name in ("general", "move", "chat", "item", "combat", "query", "chunks"):
        if getattr(tunables, f"rate_{name}_burst") < 1:
            raise ConfigError(f"{source}: rate_{name}_burst must be at least 1")
    if tunables.ground_item_number_block < 2:
        raise ConfigError(f"{source}: ground_item_number_block must be at least 2")
    if tunables.max_message_bytes < 256:
        raise ConfigError(f"{source}: max_message_bytes must be at least 256")
    if tunables.http_max_body_bytes < 1024:
        raise ConfigError(f"{source}: http_max_body_bytes must be at least 1024")
    return tunables
