"""
The metrics of the world across processes, recorded through Metrics' small
methods and read back from the Prometheus text that /metrics serves.
"""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rpg.services.metrics import Metrics


def scrape(metrics):
    """{(sample name, sorted label pairs): value} from render()."""
    text = metrics.render().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(metrics, name, **labels):
    return scrape(metrics).get((name, tuple(sorted(labels.items()))))


def test_link_messages_are_counted_by_direction_and_kind_with_their_bytes():
    """Each link message adds one to its (direction, kind) and its bytes to its direction."""
    metrics = Metrics()
    metrics.link_message("out", "batch", 1200)
    metrics.link_message("out", "batch", 800)
    metrics.link_message("out", "command", 40)
    metrics.link_message("in", "command", 60)
    assert value(metrics, "rpg_link_messages_total", direction="out", kind="batch") == 2
    assert value(metrics, "rpg_link_messages_total", direction="out", kind="command") == 1
    assert value(metrics, "rpg_link_messages_total", direction="in", kind="command") == 1
    assert value(metrics, "rpg_link_bytes_total", direction="out") == 2040
    assert value(metrics, "rpg_link_bytes_total", direction="in") == 60


def test_a_link_direction_other_than_in_or_out_is_refused():
    """A typo in a direction fails at once instead of making a new series."""
    with pytest.raises(ValueError):
        Metrics().link_message("inbound", "batch", 10)


def test_lease_renewals_are_counted_by_outcome():
    """renewed, lost and failed each count; every outcome is shown from the start at 0."""
    metrics = Metrics()
    assert value(metrics, "rpg_lease_renewals_total", outcome="lost") == 0
    for outcome in ("renewed", "renewed", "lost", "failed"):
        metrics.lease_renewal(outcome)
    assert [value(metrics, "rpg_lease_renewals_total", outcome=o)
            for o in ("renewed", "lost", "failed")] == [2, 1, 1]
    with pytest.raises(ValueError):
        metrics.lease_renewal("expired")


def test_handoffs_are_counted_by_outcome_and_timed():
    """Each handoff counts under its outcome; its duration, when given, goes to the histogram."""
    metrics = Metrics()
    metrics.handoff("completed", 0.004)
    metrics.handoff("completed", 0.3)
    metrics.handoff("refused")
    assert value(metrics, "rpg_handoffs_total", outcome="completed") == 2
    assert value(metrics, "rpg_handoffs_total", outcome="refused") == 1
    assert value(metrics, "rpg_handoff_seconds_count") == 2
    assert value(metrics, "rpg_handoff_seconds_bucket", le="0.005") == 1
    assert value(metrics, "rpg_handoff_seconds_bucket", le="0.5") == 2
    assert value(metrics, "rpg_handoff_seconds_sum") == pytest.approx(0.304)


def test_players_by_map_follows_the_latest_counts():
    """Each map shows its latest count; a map left out of the counts disappears."""
    metrics = Metrics()
    metrics.set_players_by_map({"town": 12, "cellar": 3})
    metrics.set_players_by_map({"town": 10, "forest": 0})
    assert value(metrics, "rpg_players_by_map", map="town") == 10
    assert value(metrics, "rpg_players_by_map", map="forest") == 0
    assert value(metrics, "rpg_players_by_map", map="cellar") is None


def test_maps_owned_is_a_gauge():
    """rpg_maps_owned shows the last count set."""
    metrics = Metrics()
    assert value(metrics, "rpg_maps_owned") == 0
    metrics.set_maps_owned(3)
    metrics.set_maps_owned(2)
    assert value(metrics, "rpg_maps_owned") == 2
