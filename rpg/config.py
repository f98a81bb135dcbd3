"""
Game tunables: their names, defaults and validation.

Read once, from the operator's ``--config FILE.toml`` (a flat table of these
keys), in L{rpg.tap.Options.postOptions}; then handed to the services.  Every
key is documented in ``docs/configuration.md``.
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


class ConfigError(ValueError):
    """The configuration file is unreadable or holds a bad key or value."""


def load_tunables(path=None, base=None):
    """
    Read tunables from a TOML file (keys may also sit under a ``[game]``
    table).  Unknown keys and values of the wrong type are refused.
    """
    base = base or Tunables()
    if path is None:
        return base
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if isinstance(data.get("game"), dict):
        data = {**{k: v for k, v in data.items() if k != "game"}, **data["game"]}
    return apply_overrides(base, data, source=path)


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
    for name in ("general", "move", "chat", "item", "combat", "query", "chunks"):
        if getattr(tunables, f"rate_{name}_burst") < 1:
            raise ConfigError(f"{source}: rate_{name}_burst must be at least 1")
    if tunables.max_message_bytes < 256:
        raise ConfigError(f"{source}: max_message_bytes must be at least 256")
    return tunables
