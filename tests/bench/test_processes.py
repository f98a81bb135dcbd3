"""
rpg-bench --server-processes N: one world of several spawned processes on the
test PostgreSQL and Valkey, bots spread over them, one report row each.

Like test_bench.py, the run asserts that the mode works and measures, not a
timing target.
"""

import json
import subprocess
import sys

import pytest

from rpg.bench import cli, report
from rpg.bench.processes import link_totals
from rpg.bench.server import REPO_ROOT, python_env
from tests.store.conftest import postgres_url, reset_postgres
from tests.store.test_presence_contract import valkey_url


def run_two_processes(directory, *options):
    """
    rpg-bench on two spawned processes on a fresh test database, six bots for
    three seconds, with C{options}.

    @return: the run's JSON result and the report it printed.
    """
    database = postgres_url()
    reset_postgres(database)
    out = directory / "run.json"
    completed = subprocess.run(
        [sys.executable, "-m", "rpg.bench.cli", "--server-processes", "2", *options,
         "--database", database, "--valkey", valkey_url(), "--bots", "6", "--duration", "3",
         "--warmup", "0.5", "--chat-every", "0", "--fighters", "0", "--npcs-per-chunk", "0",
         "--json", str(out)],
        env=python_env(), cwd=str(REPO_ROOT), capture_output=True, timeout=90)
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    return json.loads(out.read_text())["runs"][0], completed.stdout.decode()


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    return run_two_processes(tmp_path_factory.mktemp("bench"))


def test_bots_are_spread_over_both_processes_and_all_play_on_the_owners_map(two_processes):
    """Six bots round-robin over two processes: three connected to each, all six in the owner's world, none in the edge's."""
    result, _ = two_processes
    assert result["bots"]["connected"] == 6 and result["bots"]["failed"] == {}
    owner, edge = result["processes"]
    assert (owner["role"], edge["role"]) == ("owner", "edge")
    assert owner["bots_connected"] == edge["bots_connected"] == 3
    assert owner["players_online"] == 6
    assert edge["players_online"] == 0


def test_the_owners_tick_is_measured_and_is_the_runs_tick(two_processes):
    """The owner ticked about 20 times a second in the 3 s window; the run's tick line is its own."""
    result, _ = two_processes
    owner = result["processes"][0]
    assert 40 <= owner["tick"]["count"] <= 80
    assert owner["tick"]["p50_ms"] > 0
    assert owner["tick"]["missed"] is not None
    assert result["tick"]["count"] == owner["tick"]["count"]
    assert owner["cpu_percent"] is not None and result["processes"][1]["cpu_percent"] is not None


def test_the_edges_players_cross_the_link_both_ways(two_processes):
    """The edge forwards its bots' commands to the owner and gets their frames back, counted on both sides."""
    result, _ = two_processes
    owner, edge = result["processes"]
    assert edge["link_messages"]["out"] > 0 and edge["link_messages"]["in"] > 0
    assert owner["link_bytes"]["out"] > 0 and owner["link_bytes"]["in"] > 0
    assert result["move"]["count"] > 6
    assert result["world"] == {"server_processes": 2, "valkey": True, "database": "postgresql"}


def test_the_report_has_one_row_per_process(two_processes):
    """The table printed ends with a per-process table: an owner row and an edge row."""
    _, table = two_processes
    rows = [line for line in table.splitlines() if line.startswith("| 0 | owner")
            or line.startswith("| 1 | edge")]
    assert len(rows) == 2
    assert "2 server processes on postgresql and Valkey" in table


@pytest.mark.parametrize("argv, says", [
    (["--server-processes", "2"], "needs --database postgresql://"),
    (["--server-processes", "2", "--database", "postgresql://h/db"], "--valkey"),
    (["--valkey", "redis://h:6379/0"], "--valkey needs --database postgresql://"),
    (["--server-processes", "2", "--database", "postgresql://h/db", "--valkey", "redis://h/0",
      "--url", "http://h:8000", "--jwt-secret", "s"], "leave out --url"),
    (["--pin-edges", "0"], "--pin-edges pins the edge processes"),
    (["--server-processes", "0"], "at least 1"),
])
def test_a_world_without_what_it_needs_is_refused_in_one_line(argv, says, capsys):
    """Several processes without PostgreSQL and Valkey (or with --url) are refused before anything starts."""
    with pytest.raises(SystemExit) as raised:
        cli.parse_args(argv)
    assert raised.value.code == 2
    assert says in capsys.readouterr().err


def test_link_totals_sum_every_kind_by_direction():
    """rpg_link_messages is counted by direction and kind; the report sums the kinds per direction."""
    before = report.parse_metrics('rpg_link_messages_total{direction="in",kind="frames"} 5.0\n')
    after = report.parse_metrics(
        'rpg_link_messages_total{direction="in",kind="frames"} 15.0\n'
        'rpg_link_messages_total{direction="in",kind="command"} 2.0\n'
        'rpg_link_messages_total{direction="out",kind="frames"} 7.0\n')
    assert link_totals(before, after, "rpg_link_messages_total") == {"in": 12, "out": 7}
