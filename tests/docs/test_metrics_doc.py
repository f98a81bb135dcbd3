"""
docs/admin.md's metrics table names every metric /metrics serves, with its
type and labels, read from the server's own registry.
"""

from rpg.services.metrics import Metrics
from tests.docs.markdown import code_spans, read, section, table_rows

HEADER = ("metric", "type", "labels", "meaning")


def served():
    """{name: (type, labels)} for each metric family a fresh Metrics registers."""
    metrics = Metrics()
    found = {}
    for collector in set(metrics.registry._collector_to_names):
        found[collector._name] = (collector._type, list(collector._labelnames))
    return found


def documented():
    rows = table_rows(section(read("admin.md"), "Metrics"), HEADER)
    return {code_spans(row[0])[0]: (row[1], code_spans(row[2])) for row in rows}


def test_every_metric_is_documented_with_its_type_and_labels():
    """Each metric of the registry has one row in docs/admin.md, and each row names a metric."""
    assert documented() == served()
