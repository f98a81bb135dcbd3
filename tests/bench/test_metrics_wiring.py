"""
The counters the bench reads: wired at the edge, the session, the hub and
the world service.
"""

import pytest_twisted

from rpg.bench import report
from tests.e2e.client import http
from tests.e2e.server import running_server


@pytest_twisted.ensureDeferred
async def test_metrics_count_players_messages_bytes_and_errors(tmp_path):
    """A move, a bad move and a login show in /metrics by type and code."""
    async with running_server(tmp_path) as server:
        client = await server.player("metrics_1")
        ok = await client.request("cmd_move", {"direction": "UP"})
        bad = await client.request("cmd_move", {"direction": "SIDEWAYS"})
        assert ok["type"] == "resp_success" and bad["type"] == "resp_error"
        _, text, _ = await http("GET", server.metrics_url + "/metrics")
        samples = report.parse_metrics(text.decode() if isinstance(text, bytes) else str(text))
        assert report.metric(samples, "rpg_players_online") == 1
        assert report.metric(samples, "rpg_messages_in_total", type="cmd_move") == 2
        assert report.metric(samples, "rpg_messages_in_total", type="cmd_authenticate") == 1
        assert report.metric(samples, "rpg_errors_total",
                             code=bad["payload"]["error_code"]) == 1
        assert report.metric(samples, "rpg_bytes_out_total") > 0
        await client.close()
