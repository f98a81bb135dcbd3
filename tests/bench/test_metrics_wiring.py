"""
The counters the bench reads: wired at the edge, the session, the hub and
the world service; and the edge's own framing.
"""

import pytest
import pytest_twisted
from autobahn.twisted.websocket import WebSocketServerFactory

from rpg.bench import report
from rpg.web.ws import binary_frame
from tests.e2e.client import http
from tests.e2e.server import running_server


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_binary_frame_is_what_autobahn_frames(size):
    """The edge's own framing gives the bytes Autobahn's prepared message holds."""
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    prepared = WebSocketServerFactory().prepareMessage(payload, isBinary=True)
    assert binary_frame(payload) == prepared.payloadHybi


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
