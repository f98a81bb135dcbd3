"""
Black box: the seeded fuzz's hostile patterns, against the default message
budget -- floods, huge and deep values, and a client that does not read.

Same seed as L{test_fuzz} (C{RPG_FUZZ_SEED}); every failure message starts
with it.  Replies are judged by the same oracle, with C{RATE_LIMITED} allowed
on top of what it allows, since a flood may meet the budget anywhere.
"""

import random
import socket
import time

import pytest_twisted
from twisted.internet import reactor, task

from .fuzzing import IMF, VERSION, Fuzzer, verdict
from .harness import field, reply_ok
from .test_fuzz import DOCUMENTED, SEED, assert_server_healthy, say

RATE_LIMITED = "RATE_LIMITED"
SERVER = dict(
    # 11 x 11 chunks: a radius-5 square is 121 chunks, some 180 KB.
    maps={"field": field(width=176, height=176, spawn=(5, 5), npcs=[("g", 8, 8)])},
    start_map="field",
    # A small output cap and grace, so a client that does not read is closed quickly, and
    # room for chunk squares, so that it can ask for more than the kernel's socket buffers hold.
    config={"output_buffer_max_bytes": 65536, "output_buffer_grace_s": 1.0,
            "rate_chunks_per_s": 100000.0, "rate_chunks_burst": 100000})


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


def fuzzer_for(client, label):
    pools = {"npc_ids": [], "ground_item_ids": [], "map_ids": ["field"],
             "usernames": [client.username], "entity_ids": [client.entity_id],
             "opponents": [], "tokens": [], "inventory": {}}
    return Fuzzer(random.Random(f"{SEED}:{label}"), pools)


def assert_small(seed, value, depth=0):
    """Error details hold only small, plain values (docs/protocol.md, "Error codes")."""
    if isinstance(value, str):
        assert len(value) <= 128, say(seed, f"a detail string of {len(value)} characters")
    elif isinstance(value, (list, dict)):
        assert depth < 2 and len(value) <= 16, say(seed, f"a detail too deep or long: {value!r}"[:300])
        for item in (value.values() if isinstance(value, dict) else value):
            assert_small(seed, item, depth + 1)
    else:
        assert value is None or isinstance(value, (bool, int, float)), say(seed, repr(value)[:200])


def judge(seed, sent, reply):
    """One reply: a full envelope; success or a code its verdict allows, or RATE_LIMITED."""
    data, is_binary, expected = sent
    where = say(seed, f"{data[:120]!r} -> {reply!r}"[:600])
    assert set(reply) == {"id", "type", "payload", "version"} and reply["version"] == VERSION, where
    if reply["type"] == "resp_success":
        assert expected.success, where
        return None
    assert reply["type"] == "resp_error", where
    payload = reply["payload"]
    code = payload["error_code"]
    assert code in DOCUMENTED and code != "INTERNAL_SERVER_ERROR", where
    assert code in expected.codes | {RATE_LIMITED}, where
    assert isinstance(payload["details"], dict) and len(payload["details"]) <= 16, where
    for value in payload["details"].values():   # lists and maps at most two levels deep
        assert_small(seed, value)
    if code == RATE_LIMITED:
        assert set(payload["details"]) == {"retry_after_ms"}, where
        assert isinstance(payload["details"]["retry_after_ms"], int), where
        assert payload["details"]["retry_after_ms"] > 0, where
    return code


def frames(fuzzer, count, hostile_share):
    out = []
    for _ in range(count):
        if fuzzer.rng.random() < hostile_share:
            data, is_binary = fuzzer.pack(fuzzer.hostile_envelope()), True
            if len(data) > 16000:
                data, is_binary = fuzzer.frame()
        else:
            data, is_binary = fuzzer.frame()
        out.append((data, is_binary, verdict(data, is_binary, authenticated=True)))
    return out


def replies_by_id(client, start):
    by_id, nulls = {}, []
    for message in client.frames[start:]:
        if message["type"].startswith("event_"):
            continue
        if message["id"] is None:
            nulls.append(message)
        else:
            assert message["id"] not in by_id, message
            by_id[message["id"]] = message
    return by_id, nulls


@pytest_twisted.ensureDeferred
async def test_a_flood_meets_rate_limited_and_sustained_excess_closes_1008(server):
    """800 random frames (a fifth with hostile values) at once: every reply that comes is the
    documented one or RATE_LIMITED {retry_after_ms}, never INTERNAL_SERVER_ERROR; the
    connection is closed with 1008; the server stays healthy."""
    seed = SEED
    client = await server.player()
    fuzzer = fuzzer_for(client, "flood")
    start = len(client.frames)
    batch = frames(fuzzer, 800, 0.2)
    for data, is_binary, _ in batch:
        client.send_raw(data, is_binary=is_binary)
    code, _ = await client.wait_closed(timeout=10)
    assert code == 1008, say(seed, f"closed with {code}")
    by_id, nulls = replies_by_id(client, start)
    codes = [judge(seed, sent, by_id[sent[2].reply_id]) for sent in batch
             if sent[2].reply_id is not None and sent[2].reply_id in by_id]
    for message in nulls:
        assert message["payload"]["error_code"] in (IMF, RATE_LIMITED), say(seed, message)
    assert codes.count(RATE_LIMITED) >= 50, say(seed, f"{codes.count(RATE_LIMITED)} refusals")
    await assert_server_healthy(server, seed)


@pytest_twisted.ensureDeferred
async def test_huge_and_deep_values_get_documented_small_replies(server):
    """Batches of frames with deep arrays and maps, long arrays, huge strings and bytes,
    extension types and 64-bit edge integers, at a pace within the budget: each is answered,
    as documented (RATE_LIMITED allowed), with small details; the connection stays open."""
    seed = SEED
    client = await server.player()
    fuzzer = fuzzer_for(client, "hostile values")
    for _ in range(6):
        start = len(client.frames)
        batch = frames(fuzzer, 30, 1.0)
        for data, is_binary, _ in batch:
            client.send_raw(data, is_binary=is_binary)
        wanted = {v.reply_id for *_, v in batch if v.reply_id is not None}
        for _ in range(1000):
            by_id, nulls = replies_by_id(client, start)
            if wanted <= set(by_id) or client.closed.called:
                break
            await sleep(0.005)
        assert not client.closed.called, say(seed, f"closed: {client.close_code}")
        assert wanted <= set(by_id), say(seed, f"unanswered: {wanted - set(by_id)}")
        for sent in batch:
            if sent[2].reply_id is not None:
                judge(seed, sent, by_id[sent[2].reply_id])
        await sleep(0.5)
    await assert_server_healthy(server, seed)


@pytest_twisted.ensureDeferred
async def test_a_client_that_does_not_read_is_closed_and_slows_nobody(server):
    """A player that stops reading and keeps asking for radius-5 chunk squares (and sends random
    frames) within its general budget: a bystander's moves are answered promptly throughout,
    the reader is disconnected once its unsent output stays over the cap (its queries are
    refused while it is over), and the server stays healthy.  The queries are spaced out so
    that the kernel's socket buffers fill first, as they would over minutes on a real link."""
    seed = SEED
    bystander = await server.player()
    hog = await server.player()
    fuzzer = fuzzer_for(hog, "no reader")
    hog.protocol.transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.protocol.transport.pauseProducing()
    slowest = 0.0
    for step in range(16):   # up to 160 squares of some 75 KB: more than the kernel holds
        for _ in range(10):
            hog.send("query_chunks", {"map_id": "field", "chunk_x": 5, "chunk_y": 5,
                                      "radius": 5})
            data, is_binary = fuzzer.frame()
            hog.send_raw(data, is_binary=is_binary)
            await sleep(0.05)
        started = time.monotonic()
        await reply_ok(bystander, "cmd_move", {"direction": "DOWN" if step % 2 else "UP"})
        slowest = max(slowest, time.monotonic() - started)
        if "not reading" in server.log():
            break
    assert slowest < 1.0, say(seed, f"a bystander's move took {slowest:.3f} s")
    hog.protocol.transport.resumeProducing()
    code, _ = await hog.wait_closed(timeout=10)
    assert code in (1006, 1008), say(seed, f"the reader was closed with {code}")
    assert "not reading" in server.log(), say(seed, "closed, but not for its unsent output")
    assert not bystander.closed.called
    await assert_server_healthy(server, seed)
