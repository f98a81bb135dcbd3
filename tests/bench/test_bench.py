"""
rpg-bench: its arithmetic, and one short real run against a spawned server.

The run checks that the bench works and reports sane numbers; it asserts no
timing target (those are checked by running the bench, not in CI).
"""

import json
import random
import subprocess
import sys

import pytest

from rpg.bench import report
from rpg.bench.server import REPO_ROOT, map_side_for, npc_spawns_for, python_env, write_open_map
from rpg.content.tiled import load_maps

METRICS_BEFORE = """\
# HELP rpg_tick_seconds Duration of a whole tick
# TYPE rpg_tick_seconds histogram
rpg_tick_seconds_bucket{le="0.001"} 10.0
rpg_tick_seconds_bucket{le="0.01"} 10.0
rpg_tick_seconds_bucket{le="+Inf"} 10.0
rpg_tick_seconds_count 10.0
rpg_tick_seconds_sum 0.005
rpg_ticks_missed_total 1.0
"""

METRICS_AFTER = """\
rpg_tick_seconds_bucket{le="0.001"} 10.0
rpg_tick_seconds_bucket{le="0.01"} 110.0
rpg_tick_seconds_bucket{le="+Inf"} 110.0
rpg_tick_seconds_count 110.0
rpg_tick_seconds_sum 0.505
rpg_ticks_missed_total 3.0
rpg_tick_phase_seconds_count{phase="visibility"} 4.0
"""


def test_tick_quantiles_come_from_the_buckets_observed_between_two_scrapes():
    """Only the 100 ticks between the scrapes count, interpolated within their bucket."""
    before = report.parse_metrics(METRICS_BEFORE)
    after = report.parse_metrics(METRICS_AFTER)
    summary = report.summarise_tick(before, after)
    assert summary["count"] == 100
    assert summary["p50_ms"] == pytest.approx(5.5)
    assert summary["mean_ms"] == pytest.approx(5.0)


def test_a_quantile_in_the_infinite_bucket_is_the_highest_finite_bound():
    """Like PromQL, a quantile beyond the last bound reports that bound."""
    assert report.bucket_quantile(0.99, [(0.01, 1.0), (float("inf"), 100.0)]) == 0.01


def test_labelled_metrics_are_read_by_label():
    """parse_metrics keeps labels, so per-phase series can be told apart."""
    samples = report.parse_metrics(METRICS_AFTER)
    assert report.labelled(samples, "rpg_tick_phase_seconds_count", "phase") == {"visibility": 4.0}
    assert report.metric(samples, "rpg_ticks_missed_total") == 3.0


def test_latency_histograms_merge_across_workers():
    """Merged histograms give the percentiles of all samples, to within 2 %."""
    a, b = report.LatencyHistogram(), report.LatencyHistogram()
    for _ in range(99):
        a.add(0.010)
    b.add(0.500)
    merged = report.LatencyHistogram.from_json(a.to_json())
    merged.merge(b)
    assert merged.count == 100
    assert merged.percentile(0.5) == pytest.approx(0.010, rel=0.02)
    assert merged.percentile(1.0) == pytest.approx(0.500, rel=0.02)
    assert merged.maximum == 0.5


def test_the_map_grows_with_the_bots_at_constant_density():
    """Four times the bots at the same density: twice the side."""
    assert map_side_for(1024, 4) == 2 * map_side_for(256, 4)


def test_npcs_are_placed_at_the_asked_density_mostly_goblins():
    """Half an NPC per chunk on 16 chunks: 8 NPCs on distinct tiles, goblins and rats only."""
    spawns = npc_spawns_for(64, 64, 0.5, random.Random(3), avoid=[(32, 32)])
    assert len(spawns) == 8
    assert len({(x, y) for _, x, y, _ in spawns}) == 8
    assert (32, 32) not in {(x, y) for _, x, y, _ in spawns}
    assert {npc for npc, _, _, _ in spawns} <= {"goblin", "giant_rat"}
    assert sum(npc == "goblin" for npc, _, _, _ in spawns) > 4


def test_the_generated_map_loads_with_its_npc_spawns(tmp_path):
    """The server's own map loader reads the bench map's NPC spawns and wander radii."""
    directory, count = write_open_map(tmp_path, "bench", 48, 48, npcs_per_chunk=1.0)
    game_map = load_maps(directory)["bench"]
    assert count == 9 == len(game_map.npc_spawns)
    assert game_map.player_spawn == (24, 24)
    assert {(s.npc, s.wander_radius) for s in game_map.npc_spawns} <= {("goblin", 4),
                                                                         ("giant_rat", 3)}


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "run.json"
    completed = subprocess.run(
        [sys.executable, "-m", "rpg.bench.cli", "--bots", "5", "--duration", "3",
         "--warmup", "0.5", "--chat-every", "1", "--register-flood", "3", "--json", str(out)],
        env=python_env(), cwd=str(REPO_ROOT), capture_output=True, timeout=60)
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    return json.loads(out.read_text())["runs"][0], completed.stdout.decode()


def test_a_short_run_connects_every_bot_and_measures_moves(short_run):
    """Five bots against a spawned server: all in, moving, with positive round trips."""
    result, _ = short_run
    assert result["bots"]["connected"] == 5
    assert result["bots"]["failed"] == {}
    assert result["move"]["count"] > 5
    assert 0 < result["move"]["rtt_p50_ms"] <= result["move"]["rtt_p99_ms"]
    assert result["chat"]["sent"] > 0


def test_a_short_run_with_a_registration_flood_registers_accounts(short_run):
    """--register-flood 3 posts about 3 registrations a second, all created (201)."""
    result, table = short_run
    flood = result["register_flood"]
    assert 3 <= flood["registered"] <= 12
    assert flood["statuses"] == {"201": flood["registered"]}
    assert 0 < flood["p50_ms"] <= flood["p99_ms"]
    assert "registrations" in table


def test_a_short_run_reads_the_server_side_numbers(short_run):
    """Ticks, traffic, CPU and memory come back from /metrics and /proc."""
    result, table = short_run
    assert 40 <= result["tick"]["count"] <= 70  # 3 s at 20 TPS
    assert result["tick"]["p50_ms"] > 0
    assert result["traffic"]["bytes_per_player_s"] > 0
    assert result["server"]["rss_mb_end"] > 0
    assert result["server"]["cpu_percent"] is not None
    assert "tick" in table and "move" in table


def test_bots_on_autobahns_client_walk_as_the_lean_ones_do(tmp_path):
    """--client autobahn: the bots log in and move over Autobahn's client instead."""
    out = tmp_path / "autobahn.json"
    completed = subprocess.run(
        [sys.executable, "-m", "rpg.bench.cli", "--bots", "3", "--duration", "2",
         "--warmup", "0.5", "--fighters", "0", "--client", "autobahn", "--json", str(out)],
        env=python_env(), cwd=str(REPO_ROOT), capture_output=True, timeout=60)
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    result = json.loads(out.read_text())["runs"][0]
    assert result["bots"]["connected"] == 3
    assert result["move"]["count"] > 3


@pytest.fixture(scope="module")
def fighting_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "fight.json"
    completed = subprocess.run(
        [sys.executable, "-m", "rpg.bench.cli", "--bots", "4", "--fighters", "1",
         "--npcs-per-chunk", "8", "--duration", "3", "--warmup", "0", "--chat-every", "0",
         "--json", str(out)],
        env=python_env(), cwd=str(REPO_ROOT), capture_output=True, timeout=60)
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    return json.loads(out.read_text())["runs"][0], completed.stdout.decode()


def test_a_short_run_with_fighters_attacks_npcs(fighting_run):
    """Four fighting bots on a map thick with NPCs walk up to them and attack."""
    result, table = fighting_run
    combat = result["combat"]
    assert combat["fighters"] == 4
    assert combat["npcs"] == 72  # 9 chunks x 8
    assert combat["attacks_sent"] > 0
    assert combat["attack_rtt_p50_ms"] > 0
    assert "attacks sent" in table


def test_by_default_a_fifth_of_the_bots_fight(short_run):
    """The default run has fighters (one of five bots) and NPCs on its map."""
    result, _ = short_run
    assert result["combat"]["fighters"] == 1
    assert result["combat"]["npcs"] > 0


def test_crowd_accounts_start_within_one_chunk_of_the_spawn():
    """python -m rpg.bench.accounts --crowd-around X,Y places every character within 16 tiles of X,Y."""
    from twisted.internet import defer, task

    from rpg.bench.accounts import create_accounts
    from rpg.store.memory import MemoryPlayerStore
    store = MemoryPlayerStore(clock=task.Clock())
    d = defer.ensureDeferred(create_accounts(store, "c", 200, "bench", 256, 256,
                                             around=(128, 100)))
    assert d.result == 200
    places = []
    for n in range(200):
        account = store.get_account(f"c{n}").result
        character = store.load_character(account.player_id).result
        places.append((character.x, character.y))
    assert all(abs(x - 128) <= 16 and abs(y - 100) <= 16 for x, y in places)
    assert len(set(places)) > 100  # spread over the chunk, not stacked


def test_pinned_children_run_on_the_given_cores_and_the_rest_elsewhere():
    """--pin-server's helpers: the server's child sees only its cores; the bots get the others."""
    from rpg.bench.server import other_cpus, pinned_to
    core = min(__import__("os").sched_getaffinity(0))
    seen = subprocess.run(
        [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
        preexec_fn=pinned_to([core]), capture_output=True, text=True, check=True).stdout
    assert seen.strip() == f"[{core}]"
    rest = other_cpus([core])
    assert rest is None or core not in rest


@pytest.fixture(scope="module")
def crowd_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bench")
    out = directory / "crowd.json"
    config = directory / "full.toml"
    config.write_text("max_players = 3\n")
    completed = subprocess.run(
        [sys.executable, "-m", "rpg.bench.cli", "--bots", "5", "--crowd", "--duration", "2",
         "--warmup", "0.5", "--chat-every", "0", "--fighters", "0", "--npcs-per-chunk", "0",
         f"--server-arg=--config={config}", "--json", str(out)],
        env=python_env(), cwd=str(REPO_ROOT), capture_output=True, timeout=60)
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    return json.loads(out.read_text())["runs"][0], completed.stdout.decode()


def test_a_crowd_run_past_max_players_counts_the_refusals(crowd_run):
    """--crowd with five bots against max_players = 3: three in and moving, two refused SERVER_FULL, all answered."""
    result, table = crowd_run
    assert result["crowd"] is True
    assert result["bots"]["connected"] == 3
    assert result["bots"]["refused"] == 2
    assert result["bots"]["failed"] == {"SERVER_FULL": 2}
    assert result["bots"]["login_answer_max_ms"] > 0
    assert result["move"]["count"] > 3
    assert "2 refused SERVER_FULL" in table and "a crowd at the spawn" in table


def test_the_spawned_server_lifts_the_limits_that_thousands_of_loopback_bots_would_meet(tmp_path):
    """Every bot connects from 127.0.0.1: the bench's server has no connection caps."""
    from rpg.bench.server import SpawnedServer
    from rpg.config import load_tunables
    server = SpawnedServer(tmp_path, tmp_path, "secret")
    tmp_path.mkdir(exist_ok=True)
    tunables = load_tunables(server.write_config())
    assert tunables.max_connections_per_address == 0 and tunables.max_connections == 0
    assert tunables.registrations_overall == 0
