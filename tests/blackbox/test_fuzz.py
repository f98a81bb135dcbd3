"""
Black box: a seeded fuzz of the WebSocket API.  Bad input gets a documented
error code and changes nothing; the server never crashes, never stalls a
tick, never loses or duplicates a player's items.

The seed is C{RPG_FUZZ_SEED} (default fixed) and every failure message
starts with it: C{RPG_FUZZ_SEED=<seed> pytest tests/blackbox/test_fuzz.py}
makes the same random draws again.  The frames also use what the server told
the players (ground item ids, their inventory), and two players fuzz at once,
so a failure that hangs on timing may take a few replays.
C{RPG_FUZZ_MESSAGES} sets the size of the main run.  The frames, and the
oracle that judges the replies, are in L{fuzzing}.
"""

import os
import random
import re
from collections import Counter

import msgpack
import pytest_twisted
from twisted.internet import defer, reactor, task

from tests.e2e.client import http
from tests.e2e.proc import REPO

from .fuzzing import (
    AUTH_CODES, AUTHENTICATED_CODES, IMF, VERSION, Fuzzer, Verdict, documented_error_codes,
    verdict)
from .harness import EQUIPMENT_SLOTS, field, fresh, item_id, reply_ok

SEED = int(os.environ.get("RPG_FUZZ_SEED", "20250611"))
MESSAGES = int(os.environ.get("RPG_FUZZ_MESSAGES", "3000"))
BATCH = 40
PAUSE = 0.1
MAX_BYTES = 16384
MAX_MISSED_TICKS = 20   # over the whole module: one second of ticks

# Goblins that cannot hurt (one swing per 600 s), die quickly, drop nothing and
# come back after a second: the fuzz can start, win and lose fights while
# every item stays the fuzzing player's own.
NPCS = re.sub(r"\[goblin\].*?\n(?=\[)", "", (REPO / "maps" / "npcs.toml").read_text(),
              flags=re.DOTALL) + """
[goblin]
name = "Goblin"
attackable = true
hitpoints = 3
respawn_s = 1
attack_speed = 1000
loot = []
"""
# Every weapon swings each game tick (0.6 s), so fights end within the fuzz.
ITEMS_TOML = re.sub(r"^attack_speed = \d+$", "attack_speed = 1",
                    (REPO / "maps" / "items.toml").read_text(), flags=re.MULTILINE)
# The fuzzing players share a pen of 6 x 6 tiles in the map's corner with
# three goblins, so they stay within reach of them and of each other.
PEN = 6
GOBLINS = [(5, 1), (1, 5), (4, 4)]
PEN_WALLS = [(PEN, y) for y in range(PEN + 1)] + [(x, PEN) for x in range(PEN)]
# The bystander stands walled in elsewhere: nobody can reach it to fight.
BYSTANDER = (14, 14)
BYSTANDER_WALLS = [(BYSTANDER[0] + dx, BYSTANDER[1] + dy)
                   for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
FUZZ_BUCKETS = ("general", "move", "chat", "item", "combat", "query", "chunks")
SERVER = dict(
    maps={"field": (field(width=40, height=40, spawn=(2, 3), walls=PEN_WALLS + BYSTANDER_WALLS,
                          water=[(3, 5)], npcs=[("G", 0, 0), *[("g", x, y) for x, y in GOBLINS]]),
                    True)},
    start_map="field", files={"maps/npcs.toml": NPCS, "maps/items.toml": ITEMS_TOML},
    config={"move_cooldown_ms": 100, "chat_cooldown_ms": 200, "ground_item_private_s": 2.0,
            "respawn_delay_s": 1.0, "despawn_common_s": 3600.0, "despawn_uncommon_s": 3600.0,
            "despawn_rare_s": 3600.0,
            # The game fuzz sends far faster than any player: its budget is
            # wide open here, and the flood tests meet the default one.
            **{f"rate_{kind}_per_s": 100000.0 for kind in FUZZ_BUCKETS},
            **{f"rate_{kind}_burst": 100000 for kind in FUZZ_BUCKETS}})

# 26 of 28 slots used: drops free slots, pickups and unequips fill them, and
# a full inventory is within reach.  Bread is the only food, so every
# "consumed" reply is one bread.
INVENTORY = {0: ("bronze_sword", 1), 1: ("wooden_shield", 1), 2: ("bread", 1), 3: ("bread", 1),
             4: ("bread", 1), 5: ("coins", 500), 6: ("bronze_arrow", 100),
             7: ("bronze_2h_sword", 1), 8: ("bronze_helm", 1), 9: ("steel_sword", 1),
             10: ("logs", 1), 11: ("iron_arrow", 50), 12: ("gold_ring", 1),
             13: ("leather_body", 1), 14: ("shortbow", 1), 15: ("red_cape", 1),
             **{slot: ("bones", 1) for slot in range(16, 26)}}
EQUIPMENT = {"weapon": ("iron_sword", 1), "ammo": ("bronze_arrow", 20),
             "feet": ("leather_boots", 1), "neck": ("amulet_of_strength", 1)}
BYSTANDER_INVENTORY = {0: ("coins", 7), 1: ("bread", 1), 2: ("bronze_dagger", 1)}
XP_99 = 13_034_431

DOCUMENTED = documented_error_codes()


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


def say(seed, text):
    return f"RPG_FUZZ_SEED={seed}: {text}"


def totals(*stack_lists):
    """C{Counter} of item id -> quantity over lists of (item_id, quantity)."""
    counter = Counter()
    for stacks in stack_lists:
        for item, quantity in stacks:
            counter[item] += quantity
    return counter


def inventory_pairs(inventory):
    return [(item["item_id"], item["quantity"]) for item in inventory.values()]


def as_ids(slots):
    return [(item_id(key), quantity) for key, quantity in slots.values()]


def stored_items(server, username):
    """C{(player_id, items)}: an offline player's id, and the item id ->
    quantity of its saved inventory and equipment."""
    with server.database() as db:
        (player_id,) = db.execute("SELECT player_id FROM accounts WHERE username = ?",
                                  (username,)).fetchone()
        items = totals(*(db.execute(f"SELECT item_id, quantity FROM {table}"
                                    " WHERE player_id = ?", (player_id,)).fetchall()
                         for table in ("inventory", "equipment")))
    db.close()
    return player_id, items


def stored_ground_items(server):
    """Every saved ground item, as C{(item_id, quantity, owner_id)}."""
    with server.database() as db:
        ground = db.execute("SELECT item_id, quantity, owner_id FROM ground_items").fetchall()
    db.close()
    return ground


async def metrics(server):
    """C{{sample: value}} from one scrape of /metrics."""
    status, text, _ = await http("GET", server.metrics_url + "/metrics")
    assert status == 200
    text = text.decode() if isinstance(text, bytes) else text
    return {name: float(value) for name, value in
            re.findall(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", text, re.MULTILINE)}


async def assert_server_healthy(server, seed):
    """/health answers ok, a new player logs in and moves, no tick took a
    second or more nor were a second's worth missed, and the log holds no
    traceback."""
    status, body, _ = await http("GET", server.base_url + "/health")
    assert status == 200 and body["status"] == "ok", say(seed, f"/health: {status} {body}")
    newcomer = await server.placed(20, 20)   # far from the fuzz
    moved = await reply_ok(newcomer, "cmd_move", {"direction": "DOWN"})
    assert moved["new_position"]["y"] == 21, say(seed, moved)
    await newcomer.close()
    scrape = await metrics(server)
    ticks = scrape["rpg_tick_seconds_count"]
    quick = scrape['rpg_tick_seconds_bucket{le="1.0"}']
    assert ticks > 0 and quick == ticks, say(seed, f"{ticks - quick} ticks took over 1 s")
    # A reactor held up for a second (outside the tick too) misses 20 ticks;
    # a busy machine may make the loop miss a few.
    missed = scrape["rpg_ticks_missed_total"]
    assert missed < MAX_MISSED_TICKS, say(seed, f"{missed} ticks missed")
    log = server.log()
    for sign in ("Traceback", "Unhandled"):
        assert sign not in log, say(seed, f"{sign} in the server log:\n{log[-6000:]}")


class Replies:
    """A client's replies as they arrive from its frame number C{start} on:
    by request id, and those with id null."""

    def __init__(self, client, start):
        self.client = client
        self.seen = start
        self.by_id = {}
        self.null = []
        self.events = []
        self.sent_ids = set()

    def collect(self):
        for message in self.client.frames[self.seen:]:
            if message["type"].startswith("event_") and message["id"] is None:
                self.events.append(message)
            elif message["id"] is None:
                self.null.append(message)
            else:
                assert message["id"] not in self.by_id, message
                self.by_id[message["id"]] = message
        self.seen = len(self.client.frames)

    async def check(self, batch, seed, timeout=5.0):
        """
        Wait for the replies to C{batch}, a list of C{(data, is_binary,
        verdict)} already sent, and check each against its verdict.

        @return: C{[(data, reply)]} for the frames with a usable id.
        """
        wanted = {v.reply_id for *_, v in batch if v.reply_id is not None}
        self.sent_ids |= wanted
        anonymous = sum(1 for *_, v in batch if v.reply_id is None)
        nulls = len(self.null) + anonymous
        for _ in range(int(timeout / 0.005)):
            self.collect()
            if wanted <= set(self.by_id) and len(self.null) >= nulls:
                break
            assert not self.client.closed.called, \
                say(seed, f"closed: {self.client.close_code} {self.client.close_reason}")
            await sleep(0.005)
        assert set(self.by_id) <= self.sent_ids, say(seed, set(self.by_id) - self.sent_ids)
        missing = wanted - set(self.by_id)
        assert not missing, say(seed, f"no reply within {timeout} s: "
                                      f"{[b for b in batch if b[2].reply_id in missing]}")
        assert len(self.null) == nulls, \
            say(seed, f"{len(self.null)} null-id replies, expected {nulls}")
        for message in self.null[nulls - anonymous:]:
            check_reply(seed, "a frame without a usable id", Verdict(None, frozenset({IMF})),
                        message)
        answered = []
        for data, is_binary, expected in batch:
            if expected.reply_id is not None:
                reply = self.by_id[expected.reply_id]
                check_reply(seed, (data[:200], is_binary), expected, reply)
                answered.append((data, reply))
        return answered


def check_reply(seed, sent, expected, reply):
    """One reply: a full 2.0 envelope, success or a documented error the verdict allows."""
    where = say(seed, f"{sent!r} -> {reply!r}")
    assert set(reply) == {"id", "type", "payload", "version"}, where
    assert reply["version"] == VERSION and isinstance(reply["payload"], dict), where
    if reply["type"] == "resp_success":
        assert expected.success, where
        return
    assert reply["type"] == "resp_error", where
    payload = reply["payload"]
    assert set(payload) == {"error_code", "message", "details"}, where
    assert isinstance(payload["message"], str) and isinstance(payload["details"], dict), where
    assert payload["error_code"] != "INTERNAL_SERVER_ERROR", where
    assert payload["error_code"] in DOCUMENTED, where
    assert payload["error_code"] in expected.codes, where


def learn(pools, message):
    """Ids worth trying that a server message reveals, and the player's inventory."""
    payload = message["payload"]
    if message["type"] == "event_inventory_update":
        for slot, item in payload["inventory"].items():
            if item is None:
                pools["inventory"].pop(int(slot), None)
            else:
                pools["inventory"][int(slot)] = item["item_id"]
    if message["type"] == "event_game_update":
        for entity in payload["entities"]:
            if entity.get("type") == "npc" and entity["id"] not in pools["npc_ids"]:
                pools["npc_ids"].append(entity["id"])
    elif message["type"] == "event_ground_items_update":
        for item in payload["added"]:
            if item["ground_item_id"] not in pools["ground_item_ids"]:
                pools["ground_item_ids"].append(item["ground_item_id"])


async def fuzz(client, fuzzer, count, seed):
    """
    Send C{count} frames in batches; after each batch wait for every reply
    and check it against its verdict.

    @return: C{(Counter of reply codes, breads eaten)}.
    """
    replies = Replies(client, len(client.frames))
    codes = Counter()
    eaten = sent = 0
    while sent < count:
        batch = []
        for _ in range(min(BATCH, count - sent)):
            data, is_binary = fuzzer.frame()
            batch.append((data, is_binary, verdict(data, is_binary, authenticated=True)))
            client.send_raw(data, is_binary=is_binary)
        sent += len(batch)
        for _, reply in await replies.check(batch, seed):
            codes[reply["payload"].get("error_code", reply["type"])] += 1
            if reply["type"] == "resp_success" and reply["payload"].get("result") == "consumed":
                eaten += 1
        for message in replies.events:
            learn(fuzzer.pools, message)
        replies.events.clear()
        await sleep(PAUSE)   # the ticks between batches run fights, deaths and respawns
    assert not client.closed.called, say(seed, "the server closed a fuzzed connection")
    return codes, eaten


def eats(data):
    """Whether a frame may be a cmd_inventory_use (the one request that destroys an item)."""
    try:
        message = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return False
    return isinstance(message, dict) and message.get("type") == "cmd_inventory_use"


async def own_items(client, seed):
    """The player's inventory and equipment as queried, checked against
    what its inventory and equipment events added up to."""
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    equipment = (await reply_ok(client, "query_equipment", {}))["equipment"]
    assert set(equipment) == set(EQUIPMENT_SLOTS), say(seed, equipment)
    seen_inventory, seen_equipment = {}, {}
    for message in client.frames:
        if message["type"] == "event_inventory_update":
            seen_inventory.update(message["payload"]["inventory"])
        elif message["type"] == "event_equipment_update":
            seen_equipment.update(message["payload"]["equipment"])
    assert {s: i for s, i in seen_inventory.items() if i is not None} == inventory, \
        say(seed, f"{client.username}'s inventory events do not add up to query_inventory")
    assert {s: i and i["item_id"] for s, i in seen_equipment.items()} == \
        {s: i and i["item_id"] for s, i in equipment.items()}, \
        say(seed, f"{client.username}'s equipment events do not add up to query_equipment")
    return totals(inventory_pairs(inventory),
                  [(i["item_id"], i.get("quantity", 1)) for i in equipment.values() if i])


def test_the_expected_codes_are_documented():
    """Every code the fuzz's oracle accepts is in docs/protocol.md's error table."""
    assert len(DOCUMENTED) >= 35 and "INTERNAL_SERVER_ERROR" in DOCUMENTED
    for codes in [*AUTHENTICATED_CODES.values(), AUTH_CODES]:
        assert codes <= DOCUMENTED - {"INTERNAL_SERVER_ERROR"}, codes - DOCUMENTED


@pytest_twisted.ensureDeferred
async def test_fuzzed_requests_get_documented_errors_and_keep_items(server):
    """Two players side by side on a pvp map send a few thousand random
    frames at once: each frame gets exactly one reply, a full 2.0 envelope
    with the request's id (null when the id was unusable), resp_success or a
    documented code the protocol allows for that frame, never
    INTERNAL_SERVER_ERROR; the connections stay open; and afterwards every
    item is where the protocol may have put it.  Then one of them loses its
    connection in the middle of a burst, logs back in and fuzzes on.

    Item conservation is exact: after both log out, their saved inventories
    and equipment and the saved ground items (the goblins drop nothing and the
    walled-in bystander never drops, so the map has no other source) hold as
    much of each item as they started with, less one bread per "consumed"
    reply.  Drops, pickups (racing ones too, once items turn public), deaths
    and their drops may move items but never make or destroy one.  Each
    player's inventory and equipment events must add up to its final
    queries, what was saved for the one that left quietly must be what it
    last held, and the bystander keeps its items.  The frames follow from
    the seed; the interleaving of the two players' frames on the server does
    not."""
    seed = SEED
    bystander = await server.placed(*BYSTANDER, inventory=BYSTANDER_INVENTORY, prefix="by")
    # Strong and frail: every blow that lands kills, so deaths come often.
    players = [await server.placed(x, 2, inventory=INVENTORY, equipment=EQUIPMENT, hp=1,
                                   xp={"strength": XP_99, "hitpoints": 0}, prefix="fz")
               for x in (3, 4)]
    pools = {"npc_ids": [], "ground_item_ids": [], "map_ids": ["field"],
             "usernames": [bystander.username] + [p.username for p in players],
             "entity_ids": [bystander.entity_id] + [p.entity_id for p in players]}
    fuzzers = []
    for index, client in enumerate(players):
        own = {**pools, "tokens": [server.token(client.username)], "inventory": {},
               "opponents": [p.entity_id for p in players if p is not client]}
        for message in client.frames:
            learn(own, message)
        fuzzers.append(Fuzzer(random.Random(f"{seed}:player {index}"), own))
    assert pools["npc_ids"] and fuzzers[0].pools["inventory"], say(seed, "nothing in view")
    outcomes = await defer.DeferredList(
        [defer.ensureDeferred(fuzz(client, fuzzer, MESSAGES // 2, seed))
         for client, fuzzer in zip(players, fuzzers)], consumeErrors=True)
    for ok, outcome in outcomes:
        if not ok:
            outcome.raiseException()
    codes = sum((c for _, (c, _) in outcomes), Counter())
    eaten = sum(e for _, (_, e) in outcomes)
    # The fuzz reached the game, not only the envelope checks.
    assert codes["resp_success"] >= MESSAGES // 20 and len(codes) >= 25, say(seed, codes)

    stayer, quitter = players
    held = await own_items(stayer, seed)
    await own_items(quitter, seed)
    await stayer.close()
    # The second player's connection drops in the middle of a burst and it
    # logs straight back in: what of the burst the server applied is kept,
    # the rest is lost whole, and the new session goes on from there.  (No
    # eating in the burst: without the replies the bread eaten is unknown.)
    for _ in range(BATCH):
        data, is_binary = fuzzers[1].frame()
        if not eats(data):
            quitter.send_raw(data, is_binary=is_binary)
    quitter.protocol.dropConnection(abort=True)
    again = await server.player(quitter.username, register=False)
    fuzzers[1].pools["inventory"] = {}
    for message in again.frames:
        learn(fuzzers[1].pools, message)
    more, eaten_again = await fuzz(again, fuzzers[1], BATCH * 5, seed)
    codes += more
    eaten += eaten_again
    await own_items(again, seed)
    for client in [again, stayer, bystander]:
        await client.close()
        await server.offline(client.username)
    before = totals(*[as_ids(INVENTORY), as_ids(EQUIPMENT)] * len(players))
    before[item_id("bread")] -= eaten
    ground = stored_ground_items(server)
    after = totals([(item, quantity) for item, quantity, _ in ground])
    player_ids = set()
    for client in players:
        player_id, items = stored_items(server, client.username)
        after += items
        player_ids.add(player_id)
    assert +after == +before, say(seed, f"items before (less {eaten} eaten) {dict(+before)}, "
                                        f"after {dict(+after)}; replies {dict(codes)}")
    assert {owner for *_, owner in ground} <= player_ids | {None}, say(seed, ground)
    _, items = stored_items(server, stayer.username)
    assert items == held, say(seed, f"{stayer.username}: saved {items}, last held {held}")
    _, items = stored_items(server, bystander.username)
    assert items == totals(as_ids(BYSTANDER_INVENTORY)), say(seed, "the bystander's items changed")
    await assert_server_healthy(server, seed)


async def next_frame(client, index, seed, timeout=5.0):
    """The client's frame number C{index}, once it has arrived."""
    for _ in range(int(timeout / 0.005)):
        if len(client.frames) > index:
            return client.frames[index]
        if client.closed.called:
            break
        await sleep(0.005)
    raise AssertionError(say(seed, f"no frame {index}; closed: {client.close_code}"))


@pytest_twisted.ensureDeferred
async def test_fuzzed_frames_before_authentication(server):
    """Random frames and tokens before authentication, a few at a time: the
    replies come in order, each the documented one (envelope codes, then
    AUTHENTICATION_FAILED, or for cmd_authenticate the code its token calls
    for); the fifth failed cmd_authenticate closes the connection with 1008
    and nothing sent after it is answered.  Then a good token still logs in."""
    seed = SEED
    rng = random.Random(f"{seed}:before authentication")
    ghost = fresh("ghost")   # never registered: its tokens name nobody
    pools = {"npc_ids": ["npc_1"], "ground_item_ids": [], "map_ids": ["field"],
             "usernames": [ghost], "entity_ids": [], "opponents": [], "tokens": [],
             "inventory": {}}
    fuzzer = Fuzzer(rng, pools)
    for _ in range(12):
        client = await server.connect()
        failures = answered = 0
        while failures < 5:
            burst = []
            for _ in range(rng.randint(1, 6)):
                pools["tokens"][:] = [fuzzer.token(ghost)]
                if rng.random() < 0.3:
                    message = {"id": fuzzer.request_id(), "type": "cmd_authenticate",
                               "payload": {"token": fuzzer.pick(pools["tokens"])},
                               "version": VERSION}
                    data, is_binary = fuzzer.pack(message), True
                else:
                    data, is_binary = fuzzer.frame()
                burst.append((data, is_binary, verdict(data, is_binary, authenticated=False)))
                client.send_raw(data, is_binary=is_binary)
            for data, is_binary, expected in burst:
                if failures == 5:
                    break
                reply = await next_frame(client, answered, seed)
                answered += 1
                assert reply["id"] == expected.reply_id, say(seed, f"{data[:200]!r}: {reply}")
                check_reply(seed, (data[:200], is_binary), expected, reply)
                failures += expected.authenticate
        code, _ = await client.wait_closed()
        assert code == 1008, say(seed, f"closed with {code} after 5 failed authentications")
        assert len(client.frames) == answered, \
            say(seed, f"answered after the fifth failure: {client.frames[answered:]}")
    # A good token in the middle of a burst: what comes before it is answered
    # in order as before, what comes after it as from a player.
    client = await server.connect()
    name = fresh("late")
    await server.register(name)
    before = [fuzzer.frame() for _ in range(3)]
    login = fuzzer.pack({"id": "login", "type": "cmd_authenticate", "version": VERSION,
                         "payload": {"token": server.token(name)}})
    after = [fuzzer.frame() for _ in range(BATCH)]
    for data, is_binary in before + [(login, True)] + after:
        client.send_raw(data, is_binary=is_binary)
    for index, (data, is_binary) in enumerate(before):
        expected = verdict(data, is_binary, authenticated=False)
        reply = await next_frame(client, index, seed)
        assert reply["id"] == expected.reply_id, say(seed, f"{data[:200]!r}: {reply}")
        check_reply(seed, (data[:200], is_binary), expected, reply)
    welcome = await next_frame(client, len(before), seed)
    assert (welcome["type"], welcome["id"]) == ("event_welcome", "login"), say(seed, welcome)
    replies = Replies(client, len(before) + 1)
    await replies.check([(data, is_binary, verdict(data, is_binary, authenticated=True))
                         for data, is_binary in after], seed)
    await assert_server_healthy(server, seed)


@pytest_twisted.ensureDeferred
async def test_fuzzed_message_sizes(server):
    """Messages of random sizes around the 16 KiB limit, whole or in random
    fragments: up to the limit they are answered, over it the connection
    closes with 1009 (docs/protocol.md, "Close codes"), and nothing else."""
    seed = SEED
    rng = random.Random(f"{seed}:sizes")
    sizes = [MAX_BYTES, MAX_BYTES + 1] + [MAX_BYTES + rng.randint(-300, 300) for _ in range(6)]
    for size in sizes:
        client = await server.connect()
        message = {"id": "big", "type": "cmd_chat_send", "version": VERSION,
                   "payload": {"channel": "local", "message": ""}}
        overhead = len(msgpack.packb(message)) - 1 + 3   # a str 16 header, not a fixstr
        message["payload"]["message"] = "x" * (size - overhead)
        data = msgpack.packb(message)
        assert len(data) == size
        fragment = rng.choice((None, 1000, 4096, 9000))
        if fragment:
            client.protocol.sendMessage(data, isBinary=True, fragmentSize=fragment)
        else:
            client.send_raw(data)
        expected = verdict(data, True, authenticated=False, max_bytes=MAX_BYTES)
        if expected.close is None:
            reply = await client.wait_for(lambda m: m["id"] == "big")
            check_reply(seed, size, expected, reply)
            await client.close()
        else:
            code, _ = await client.wait_closed()
            assert code == expected.close, \
                say(seed, f"{size} bytes in fragments of {fragment}: closed with {code}")
    await assert_server_healthy(server, seed)
