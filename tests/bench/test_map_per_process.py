"""
rpg-bench --server-processes N --map-per-process: one bench map per process,
each owned by its process, the bots cut into one run per map and connected
to the process after their map's owner; one row per owner and one for the
world.

Like test_processes.py, the run asserts that the mode works, not a timing
target.
"""

import pytest

from rpg.bench import cli
from rpg.bench.bot import map_share, url_index_for
from rpg.bench.processes import share_ranges
from tests.bench.test_processes import run_two_processes


@pytest.fixture(scope="module")
def two_maps(tmp_path_factory):
    return run_two_processes(tmp_path_factory.mktemp("bench"), "--map-per-process")


def test_each_map_is_served_by_its_own_process(two_maps):
    """Process 0 serves map 0 and process 1 map 1, each only its own, both owners."""
    result, _ = two_maps
    first, second = result["processes"]
    assert (first["role"], second["role"]) == ("owner", "owner")
    assert len(first["maps_served"]) == len(second["maps_served"]) == 1
    assert first["maps_served"] == first["own_maps"]
    assert second["maps_served"] == second["own_maps"]
    assert first["maps_served"] != second["maps_served"]


def test_the_players_are_split_over_both_owners_worlds(two_maps):
    """Six bots, three on each map: each owner holds three players, the world six."""
    result, _ = two_maps
    assert result["bots"]["connected"] == 6 and result["bots"]["failed"] == {}
    assert [row["players_online"] for row in result["processes"]] == [3, 3]
    world = result["world"]
    assert (world["map_per_process"], world["owners"], world["players"]) == (True, 2, 6)
    assert world["missed_total"] == sum(row["tick"]["missed"] for row in result["processes"])
    assert world["tick_p99_ms_worst"] == max(row["tick"]["p99_ms"] for row in result["processes"])


def test_every_bot_is_connected_across_to_the_other_process(two_maps):
    """Three bots connect to each process, all of them playing on the other's map, so both links carry their traffic both ways."""
    result, _ = two_maps
    assert [row["bots_connected"] for row in result["processes"]] == [3, 3]
    for row in result["processes"]:
        assert row["link_messages"]["in"] > 0 and row["link_messages"]["out"] > 0
        assert row["tick"]["count"] >= 40
    assert result["move"]["count"] > 6


def test_the_report_has_a_row_per_owner_and_one_for_the_world(two_maps):
    """The printed table has two owner rows and a world row with the six players."""
    _, table = two_maps
    lines = table.splitlines()
    assert sum(line.startswith(("| 0 | owner", "| 1 | owner")) for line in lines) == 2
    assert any(line.startswith("| world |") and "| 6 | 6 |" in line for line in lines)
    assert "world total    6 players in the 2 owners' worlds" in table


@pytest.mark.parametrize("bots, processes", [(6, 2), (100, 2), (1000, 8), (7, 3), (5, 8)])
def test_no_bot_connects_to_the_owner_of_its_map(bots, processes):
    """The runs of accounts made per map and the bots' own reckoning agree, and each bot connects to another process than its map's owner."""
    ranges = share_ranges(bots, processes)
    assert sum(count for _, count in ranges) == bots
    for owner, (first, count) in enumerate(ranges):
        for index in range(first, first + count):
            assert map_share(index, bots, processes) == owner
            assert url_index_for(index, processes, across=bots) == (owner + 1) % processes


@pytest.mark.parametrize("argv, says", [
    (["--map-per-process"], "--map-per-process spreads the world over --server-processes N"),
    (["--server-processes", "2", "--database", "postgresql://h/db", "--valkey", "redis://h/0",
      "--pin-processes", "0"], "one core per process: 2 expected, 1 given"),
    (["--server-processes", "2", "--database", "postgresql://h/db", "--valkey", "redis://h/0",
      "--pin-processes", "0,1", "--pin-server", "0"], "leave out --pin-server and --pin-edges"),
    (["--pin-processes", "0,0"], "not a list of distinct core numbers"),
])
def test_a_map_per_process_without_what_it_needs_is_refused_in_one_line(argv, says, capsys):
    """--map-per-process with one process, and --pin-processes with the wrong cores, are refused before anything starts."""
    with pytest.raises(SystemExit) as raised:
        cli.parse_args(argv)
    assert raised.value.code == 2
    assert says in capsys.readouterr().err
