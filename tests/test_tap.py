"""``twistd rpg``: its options, its errors, and a real start and stop."""

import json
import subprocess
import urllib.request

import pytest
from twisted.python import usage

from rpg.tap import Options, jwt_secret
from tests.e2e.proc import TwistdServer, environment, twistd_command
from tests.e2e.tmx import open_field, write_map


@pytest.fixture
def maps_dir(tmp_path):
    return write_map(tmp_path / "maps", "meadow", open_field(width=32, height=32))


def parse(*args, environ=None):
    options = Options(environ=environ or {})
    options.parseOptions(list(args))
    return options


def test_defaults(maps_dir):
    """With no options: tcp:8000, ./rpg-data, the only map as start map, default tunables."""
    options = parse("--maps", str(maps_dir))
    assert options["listen"] == "tcp:8000"
    assert str(options["data-dir"]) == "rpg-data"
    assert options["start-map"] == "meadow"
    assert options["database"] is None and options["valkey"] is None
    assert options["tunables"].tick_rate == 20


@pytest.mark.parametrize("args,fragment", [
    (["--listen", "nonsense:1"], "--listen"),
    (["--database", "mysql://x"], "--database"),
    (["--valkey", "http://x"], "--valkey"),
    (["--maps", "/nonexistent/maps"], "--maps"),
])
def test_bad_values_are_usage_errors(maps_dir, args, fragment):
    """A bad option value is a UsageError naming the option."""
    if "--maps" not in args:
        args = args + ["--maps", str(maps_dir)]
    with pytest.raises(usage.UsageError, match=fragment):
        parse(*args)


def test_bad_config_is_a_usage_error(maps_dir, tmp_path):
    """An unknown tunable or a value of the wrong type is refused."""
    config = tmp_path / "game.toml"
    config.write_text("tick_rate = 'fast'\n")
    with pytest.raises(usage.UsageError, match="tick_rate"):
        parse("--maps", str(maps_dir), "--config", str(config))
    config.write_text("no_such_key = 1\n")
    with pytest.raises(usage.UsageError, match="no_such_key"):
        parse("--maps", str(maps_dir), "--config", str(config))


def test_config_sets_tunables(maps_dir, tmp_path):
    """Tunables come from the TOML file, flat or under [game]."""
    config = tmp_path / "game.toml"
    config.write_text("[game]\nmove_cooldown_ms = 250\ntick_rate = 10\n")
    options = parse("--maps", str(maps_dir), "--config", str(config))
    assert (options["tunables"].move_cooldown_ms, options["tunables"].tick_rate) == (250, 10)


def test_unknown_start_map_stops_with_one_line(maps_dir, capsys):
    """A start map that is not in the directory stops start-up with one line."""
    with pytest.raises(SystemExit):
        parse("--maps", str(maps_dir), "--start-map", "nowhere")
    assert capsys.readouterr().err.strip().count("\n") == 0


S3, S4 = "3" * 32, "4" * 40


def test_jwt_secret_from_environment(maps_dir):
    """RPG_JWT_SECRET is used when --jwt-secret is not given."""
    assert parse("--maps", str(maps_dir), environ={"RPG_JWT_SECRET": S3})["jwt-secret"] == S3
    assert parse("--maps", str(maps_dir), "--jwt-secret", S4,
                 environ={"RPG_JWT_SECRET": S3})["jwt-secret"] == S4


def test_jwt_secret_file(maps_dir, tmp_path):
    """--jwt-secret-file reads the secret (stripped) from a file only its owner can read."""
    path = tmp_path / "secret"
    path.write_text(S4 + "\n")
    path.chmod(0o600)
    assert parse("--maps", str(maps_dir), "--jwt-secret-file", str(path),
                 environ={"RPG_JWT_SECRET": S3})["jwt-secret"] == S4
    with pytest.raises(usage.UsageError, match="not both"):
        parse("--maps", str(maps_dir), "--jwt-secret-file", str(path), "--jwt-secret", S3)


@pytest.mark.parametrize("args, environ, mode, fragment", [
    (["--jwt-secret", "abc"], {}, None, "--jwt-secret: the JWT secret is 3 bytes; at least 32"),
    ([], {"RPG_JWT_SECRET": ""}, None, "$RPG_JWT_SECRET: the JWT secret is empty"),
    (["--jwt-secret-file", "{secret}"], {}, 0o644,
     "is readable by group or others (mode 0644): chmod 600"),
    (["--jwt-secret-file", "{secret}"], {}, 0o640, "(mode 0640)"),
    (["--jwt-secret-file", "{empty}"], {}, 0o600, "the JWT secret is empty"),
    (["--jwt-secret-file", "{missing}"], {}, None, "cannot read: No such file"),
])
def test_bad_secrets_stop_startup_with_one_line(maps_dir, tmp_path, capsys, args, environ,
                                                mode, fragment):
    """A short or empty secret, or a secret file others may read, stops start-up with one line."""
    files = {"secret": tmp_path / "secret", "empty": tmp_path / "empty",
             "missing": tmp_path / "missing"}
    files["secret"].write_text(S4)
    files["empty"].write_text("\n")
    for path in files.values():
        if mode is not None and path.exists():
            path.chmod(mode)
    args = [a.format(**files) for a in args]
    with pytest.raises(SystemExit) as exited:
        parse("--maps", str(maps_dir), *args, environ=environ)
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("rpg: ") and err.count("\n") == 1 and fragment in err, err


def test_generated_secret_is_kept(tmp_path):
    """Without a secret, one is generated once, atomically, 0600, and reused."""
    first = jwt_secret(tmp_path, None)
    assert len(first) >= 32 and jwt_secret(tmp_path, None) == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jwt-secret"]  # no temporary left


def test_a_kept_secret_that_is_empty_stops_startup(tmp_path):
    """An empty kept secret (a crash of an older version) is refused, not served with."""
    from rpg.tap import StartupError
    (tmp_path / "jwt-secret").write_text("")
    (tmp_path / "jwt-secret").chmod(0o600)
    with pytest.raises(StartupError, match="the JWT secret is empty"):
        jwt_secret(tmp_path, None)


def test_data_dir_and_sqlite_files_are_private(tmp_path):
    """The data directory is made 0700, the SQLite database 0600 (it holds password hashes)."""
    from rpg.store.sql import SQLPlayerStore
    from rpg.tap import private_data_dir
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    assert private_data_dir(loose).stat().st_mode & 0o777 == 0o700
    assert private_data_dir(tmp_path / "new" / "data").stat().st_mode & 0o777 == 0o700
    database = loose / "rpg.sqlite3"
    SQLPlayerStore.for_sqlite(str(database))
    assert database.stat().st_mode & 0o777 == 0o600
    database.chmod(0o644)
    SQLPlayerStore.for_sqlite(str(database))
    assert database.stat().st_mode & 0o777 == 0o600


def test_broken_map_stops_startup_with_one_line(tmp_path):
    """A broken map stops twistd with one line naming the file, and no traceback."""
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "broken.tmx").write_text("<map><oops")
    result = subprocess.run(twistd_command("--maps", str(maps)), cwd=tmp_path,
                            env=environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    assert "broken.tmx" in output and "Traceback" not in output
    assert len(output.splitlines()) == 1


def test_help_lists_every_option():
    """twistd rpg --help lists the operator options."""
    result = subprocess.run(twistd_command("--help"), env=environment(), capture_output=True,
                            text=True, timeout=60)
    for option in ("--listen", "--database", "--valkey", "--maps", "--start-map",
                   "--data-dir", "--jwt-secret", "--jwt-secret-file", "--config"):
        assert option in result.stdout


def test_short_secret_stops_twistd_with_one_line(tmp_path):
    """twistd rpg --jwt-secret abc exits with one line saying why, and no traceback."""
    result = subprocess.run(twistd_command("--jwt-secret", "abc", "--data-dir", str(tmp_path)),
                            cwd=tmp_path, env=environment(), capture_output=True, text=True,
                            timeout=60)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0 and "Traceback" not in output
    assert output.splitlines() == ["rpg: --jwt-secret: the JWT secret is 3 bytes; at least 32 "
                                   "are needed (e.g. openssl rand -base64 48)"]


def test_bad_option_value_has_no_traceback():
    """A bad option value ends with a usage error line, not a traceback."""
    result = subprocess.run(twistd_command("--listen", "nonsense:1"), env=environment(),
                            capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output and "--listen" in output.splitlines()[-1]


def test_twistd_serves_and_stops(tmp_path, maps_dir):
    """twistd rpg starts on SQLite in the data dir, answers HTTP, and stops cleanly."""
    server = TwistdServer(tmp_path, "--maps", str(maps_dir), "--data-dir", str(tmp_path / "data"))
    try:
        server.wait_ready()
        request = urllib.request.Request(
            server.base_url + "/auth/register", method="POST",
            data=json.dumps({"username": "twist_1", "password": "password123"}).encode(),
            headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.status == 201
        assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
        for name in ("rpg.sqlite3", "rpg.sqlite3-wal", "jwt-secret"):
            assert (tmp_path / "data" / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        code = server.stop()
    # twistd re-raises the SIGTERM it handled once it has shut down cleanly.
    assert code in (0, -15), server.log()
    assert "stopped" in server.log() and "Traceback" not in server.log()


def test_server_table_of_the_config_file(maps_dir, tmp_path):
    """[server] settings fill the options left out (relative paths from the file's
    directory); options on the command line win; tunables still come from the same file."""
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "rpg.toml").write_text(
        '[server]\nlisten = "tcp:9000"\nmaps = "../maps"\ndata_dir = "state"\n'
        'metrics_listen = "none"\n\n[game]\ntick_rate = 10\n')
    options = parse("--config", str(etc / "rpg.toml"))
    assert options["listen"] == "tcp:9000" and options["maps"].resolve() == maps_dir.resolve()
    assert options["data-dir"] == etc / "state" and options["metrics-listen"] is None
    assert options["tunables"].tick_rate == 10
    options = parse("--config", str(etc / "rpg.toml"), "--listen", "tcp:9001")
    assert options["listen"] == "tcp:9001"
    secret = etc / "jwt-secret"
    secret.write_text(S4)
    secret.chmod(0o600)
    (etc / "rpg.toml").write_text(
        '[server]\nmaps = "../maps"\njwt_secret_file = "jwt-secret"\n')
    assert parse("--config", str(etc / "rpg.toml"))["jwt-secret"] == S4
    assert parse("--config", str(etc / "rpg.toml"), "--jwt-secret", S3)["jwt-secret"] == S3


@pytest.mark.parametrize("table, fragment", [
    ('[server]\nlistn = "tcp:1"\n', "unknown key 'listn'"),
    ('[server]\njwt_secret = "x"\n', "jwt_secret_file"),
    ('[server]\nlisten = 8000\n', "listen must be a string"),
    ('server = 3\n', "server must be a table"),
])
def test_bad_server_table_is_a_usage_error(maps_dir, tmp_path, table, fragment):
    """Unknown keys, a secret in the file, or values that are not strings are refused."""
    config = tmp_path / "rpg.toml"
    config.write_text(table)
    with pytest.raises(usage.UsageError, match=fragment):
        parse("--maps", str(maps_dir), "--config", str(config))


def test_allowed_origins_is_a_list_of_strings(tmp_path):
    """allowed_origins takes a TOML list of strings; anything else is refused."""
    from rpg.config import ConfigError, load_tunables
    good = tmp_path / "good.toml"
    good.write_text('allowed_origins = ["https://play.example", "http://localhost:5173"]\n')
    assert load_tunables(good).allowed_origins == ("https://play.example",
                                                   "http://localhost:5173")
    for value in ('"https://play.example"', "[1]"):
        bad = tmp_path / "bad.toml"
        bad.write_text(f"allowed_origins = {value}\n")
        with pytest.raises(ConfigError, match="list of strings"):
            load_tunables(bad)


def test_allowed_origins_may_sit_in_the_server_table(maps_dir, tmp_path):
    """[server] allowed_origins = [...] sets the tunable, as a top-level key does."""
    config = tmp_path / "rpg.toml"
    config.write_text('[server]\nallowed_origins = ["https://play.example"]\n')
    options = parse("--maps", str(maps_dir), "--config", str(config))
    assert options["tunables"].allowed_origins == ("https://play.example",)
