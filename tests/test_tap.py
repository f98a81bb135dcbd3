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


def test_jwt_secret_from_environment(maps_dir):
    """RPG_JWT_SECRET is used when --jwt-secret is not given."""
    assert parse("--maps", str(maps_dir), environ={"RPG_JWT_SECRET": "s3"})["jwt-secret"] == "s3"
    assert parse("--maps", str(maps_dir), "--jwt-secret", "s4",
                 environ={"RPG_JWT_SECRET": "s3"})["jwt-secret"] == "s4"


def test_generated_secret_is_kept(tmp_path):
    """Without a secret, one is generated once and reused (tokens survive restarts)."""
    first = jwt_secret(tmp_path, None)
    assert len(first) >= 32 and jwt_secret(tmp_path, None) == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0


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
                   "--data-dir", "--jwt-secret", "--config"):
        assert option in result.stdout


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
        assert (tmp_path / "data" / "rpg.sqlite3").exists()
        assert (tmp_path / "data" / "jwt-secret").exists()
    finally:
        code = server.stop()
    # twistd re-raises the SIGTERM it handled once it has shut down cleanly.
    assert code in (0, -15), server.log()
    assert "stopped" in server.log() and "Traceback" not in server.log()


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
