"""query_chunks replies: built from each chunk's bytes, encoded once and reused."""

from pathlib import Path

import msgpack

from rpg.protocol import envelope
from rpg.protocol.envelope import Request
from rpg.services import hub as hub_module
from rpg.services.hub import Hub
from rpg.world.chunks import query_chunks
from rpg.content.tiled import load_map

FIXTURES = Path(__file__).parent.parent / "world" / "fixtures"


def make_hub():
    maps = {"small": load_map(FIXTURES / "small.tmx")}
    return Hub("s1", None, None, None, None, None, None, maps, None, persistence=None), maps


def test_a_reply_is_the_chunks_of_the_square_and_each_chunk_is_encoded_once(monkeypatch):
    """Two overlapping queries: the replies hold what query_chunks answers, and every chunk
    was encoded once, the second time only the new ones."""
    hub, maps = make_hub()
    encoded = []

    def counting(value):
        encoded.append((value["chunk_x"], value["chunk_y"]))
        return envelope.encode_value(value)
    monkeypatch.setattr(hub_module, "encode_value", counting)
    for request_id, payload in (("a", {"map_id": "small", "chunk_x": 0, "chunk_y": 0,
                                       "radius": 1}),
                                ("b", {"map_id": "small", "chunk_x": 1, "chunk_y": 1,
                                       "radius": 1})):
        request = Request(request_id, "query_chunks", payload)
        frame = hub._reply_frame(request, hub.encoded_chunks(payload))
        reply = msgpack.unpackb(frame, raw=False)
        assert reply["id"] == request_id and reply["type"] == "resp_success"
        expected = msgpack.unpackb(msgpack.packb(query_chunks(maps, payload)), raw=False)
        assert reply["payload"] == {"chunks": expected}
    assert len(encoded) == len(set(encoded)) == len(hub.chunk_bytes)
