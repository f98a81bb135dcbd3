"""Black box: drops, ground items and pickups (clarifications, "Items", "Ground items")."""

import re

import pytest
import pytest_twisted
from twisted.internet import reactor, task

from .harness import field, item_id, reply_error, reply_ok

PRIVATE_S = 1.0
SERVER = dict(maps={"field": field(width=64, height=32)}, start_map="field",
              config={"ground_item_private_s": PRIVATE_S, "despawn_common_s": 2.5,
                      "move_cooldown_ms": 100})
ADDED_FIELDS = {"ground_item_id", "item_id", "quantity", "x", "y", "map_id", "owner_id",
                "despawn_time"}


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


def ground_events(client):
    return [m for m in client.frames[7:] if m["type"] == "event_ground_items_update"]


async def ground_added(client, ground_item_id, timeout=5.0):
    for message in ground_events(client):
        for item in message["payload"]["added"]:
            if item["ground_item_id"] == ground_item_id:
                return item
    message = await client.wait_for_event(
        "event_ground_items_update", timeout=timeout,
        predicate=lambda p: any(i["ground_item_id"] == ground_item_id for i in p["added"]))
    return next(i for i in message["payload"]["added"] if i["ground_item_id"] == ground_item_id)


async def ground_removed(client, ground_item_id, timeout=5.0):
    if any(ground_item_id in m["payload"]["removed"] for m in ground_events(client)):
        return
    await client.wait_for_event("event_ground_items_update", timeout=timeout,
                                predicate=lambda p: ground_item_id in p["removed"])


@pytest_twisted.ensureDeferred
async def test_drop_reply_event_and_inventory_update(server):
    """A drop answers {ground_item_id, item_id, quantity}, empties the slot and shows the item to its owner."""
    client = await server.placed(10, 10, inventory={4: ("bones", 1)})
    reply = await reply_ok(client, "cmd_inventory_drop", {"slot": 4})
    assert set(reply) == {"ground_item_id", "item_id", "quantity"}
    assert re.fullmatch(r"ground_item_\d+", reply["ground_item_id"])
    assert (reply["item_id"], reply["quantity"]) == (item_id("bones"), 1)
    added = await ground_added(client, reply["ground_item_id"])
    assert ADDED_FIELDS <= set(added)
    assert (added["x"], added["y"], added["map_id"]) == (10, 10, "field")
    assert added["owner_id"] == client.player_id
    assert (added["item_id"], added["quantity"]) == (item_id("bones"), 1)
    assert isinstance(added["despawn_time"], float)
    update = next(m for m in client.frames[7:] if m["type"] == "event_inventory_update")
    assert update["payload"] == {"inventory": {"4": None}}
    message = next(m for m in ground_events(client))
    assert message["id"] is None and set(message["payload"]) == {"added", "removed"}


@pytest_twisted.ensureDeferred
async def test_drop_part_of_a_stack(server):
    """Dropping quantity 30 of 100 coins leaves 70 in the slot."""
    client = await server.placed(10, 10, inventory={0: ("coins", 100)})
    reply = await reply_ok(client, "cmd_inventory_drop", {"slot": 0, "quantity": 30})
    assert reply["quantity"] == 30
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    assert inventory["0"]["quantity"] == 70


@pytest.mark.parametrize("quantity", [0, -1, 101, 1.5, "3"])
@pytest_twisted.ensureDeferred
async def test_drop_bad_quantity_is_refused(server, quantity):
    """A drop quantity that is not an integer from 1 to the stack's size is refused."""
    client = await server.placed(10, 10, inventory={0: ("coins", 100)})
    payload = await reply_error(client, "cmd_inventory_drop", {"slot": 0, "quantity": quantity})
    assert payload["error_code"] == "INVENTORY_INVALID_QUANTITY"


@pytest_twisted.ensureDeferred
async def test_private_then_public(server):
    """Only the owner sees a fresh drop; after ground_item_private_s others get it with owner_id null."""
    owner = await server.placed(20, 10, inventory={0: ("bones", 1)})
    other = await server.placed(21, 10)
    reply = await reply_ok(owner, "cmd_inventory_drop", {"slot": 0})
    gid = reply["ground_item_id"]
    await ground_added(owner, gid)
    refused = await reply_error(other, "cmd_pickup_item", {"ground_item_id": gid})
    assert refused["error_code"] == "INVENTORY_ITEM_NOT_FOUND"
    assert not any(i["ground_item_id"] == gid for m in ground_events(other)
                   for i in m["payload"]["added"])
    public = await ground_added(other, gid, timeout=PRIVATE_S + 3)
    assert public["owner_id"] is None
    taken = await reply_ok(other, "cmd_pickup_item", {"ground_item_id": gid})
    assert taken["item"]["item_id"] == item_id("bones")


@pytest_twisted.ensureDeferred
async def test_pickup_reply_and_removal_for_everyone_who_saw_it(server):
    """Pickup answers {item {item_id, quantity, name}, inventory_slot}; watchers get it in removed."""
    owner = await server.placed(30, 10, inventory={3: ("coins", 40)})
    gid = (await reply_ok(owner, "cmd_inventory_drop", {"slot": 3}))["ground_item_id"]
    await ground_added(owner, gid)
    taken = await reply_ok(owner, "cmd_pickup_item", {"ground_item_id": gid})
    assert taken == {"item": {"item_id": item_id("coins"), "quantity": 40, "name": "Coins"},
                     "inventory_slot": 0}
    await ground_removed(owner, gid)
    message = next(m for m in ground_events(owner) if gid in m["payload"]["removed"])
    assert message["payload"]["added"] == []
    update = [m for m in owner.frames[7:] if m["type"] == "event_inventory_update"][-1]
    assert update["payload"]["inventory"]["0"]["quantity"] == 40


@pytest.mark.parametrize("dx, dy, ok", [(1, 1, True), (-1, 0, True), (2, 0, False),
                                        (2, 2, False), (0, -2, False)])
@pytest_twisted.ensureDeferred
async def test_pickup_range_is_chebyshev_1(server, dx, dy, ok):
    """Pickup works on the tile or next to it (diagonals too); farther is PICKUP_OUT_OF_RANGE."""
    client = await server.placed(40, 10, inventory={0: ("bones", 1)})
    gid = (await reply_ok(client, "cmd_inventory_drop", {"slot": 0}))["ground_item_id"]
    # walk away, one move per cooldown
    for step_x, step_y in [(dx, 0), (0, dy)]:
        for _ in range(abs(step_x) + abs(step_y)):
            direction = ("RIGHT" if step_x > 0 else "LEFT") if step_x else \
                ("DOWN" if step_y > 0 else "UP")
            while True:
                reply = await client.request("cmd_move", {"direction": direction})
                if reply["type"] == "resp_success":
                    break
                assert reply["payload"]["error_code"] == "MOVEMENT_RATE_LIMITED"
                await sleep(reply["payload"]["details"]["retry_after_ms"] / 1000 + 0.02)
    reply = await client.request("cmd_pickup_item", {"ground_item_id": gid})
    if ok:
        assert reply["type"] == "resp_success", reply
    else:
        assert reply["payload"]["error_code"] == "PICKUP_OUT_OF_RANGE", reply


@pytest.mark.parametrize("gid", ["ground_item_999999", "ground_item_x", "", None, 7, "MISSING"])
@pytest_twisted.ensureDeferred
async def test_pickup_of_nothing(server, gid):
    """An unknown or malformed ground item id is INVENTORY_ITEM_NOT_FOUND."""
    client = await server.placed(10, 20)
    payload = {} if gid == "MISSING" else {"ground_item_id": gid}
    assert (await reply_error(client, "cmd_pickup_item", payload))["error_code"] == \
        "INVENTORY_ITEM_NOT_FOUND"


@pytest_twisted.ensureDeferred
async def test_pickup_into_a_full_inventory(server):
    """Picking up with no free slot (and no stack to merge into) is INVENTORY_FULL."""
    slots = {slot: ("bones", 1) for slot in range(28)}
    slots[0] = ("logs", 1)
    client = await server.placed(50, 20, inventory=slots)
    gid = (await reply_ok(client, "cmd_inventory_drop", {"slot": 0}))["ground_item_id"]
    await client.close()
    await server.offline(client.username)
    server.set_inventory(client.username, {slot: ("bones", 1) for slot in range(28)})
    again = await server.player(client.username, register=False)
    assert (await reply_error(again, "cmd_pickup_item", {"ground_item_id": gid}))[
        "error_code"] == "INVENTORY_FULL"


@pytest_twisted.ensureDeferred
async def test_stackable_pickup_merges_into_a_full_inventory(server):
    """Coins picked up merge into an existing stack even when no slot is free."""
    client = await server.placed(55, 20, inventory={0: ("coins", 10)})
    gid = (await reply_ok(client, "cmd_inventory_drop", {"slot": 0, "quantity": 4}))[
        "ground_item_id"]
    await client.close()
    await server.offline(client.username)
    slots = {slot: ("bones", 1) for slot in range(28)}
    slots[5] = ("coins", 6)
    server.set_inventory(client.username, slots)
    again = await server.player(client.username, register=False)
    taken = await reply_ok(again, "cmd_pickup_item", {"ground_item_id": gid})
    assert taken["inventory_slot"] == 5
    inventory = (await reply_ok(again, "query_inventory", {}))["inventory"]
    assert inventory["5"]["quantity"] == 10


@pytest_twisted.ensureDeferred
async def test_two_pickups_race_one_wins(server):
    """When two players race for a public item, one gets it and the other INVENTORY_ITEM_NOT_FOUND."""
    owner = await server.placed(60, 28, inventory={0: ("bones", 1)})
    rival = await server.placed(60, 28)
    gid = (await reply_ok(owner, "cmd_inventory_drop", {"slot": 0}))["ground_item_id"]
    await ground_added(rival, gid, timeout=PRIVATE_S + 3)
    replies = [owner.request("cmd_pickup_item", {"ground_item_id": gid}),
               rival.request("cmd_pickup_item", {"ground_item_id": gid})]
    results = [await d for d in replies]
    assert sorted(r["type"] for r in results) == ["resp_error", "resp_success"]
    loser = next(r for r in results if r["type"] == "resp_error")
    assert loser["payload"]["error_code"] == "INVENTORY_ITEM_NOT_FOUND"


@pytest_twisted.ensureDeferred
async def test_despawn_removes_the_item(server):
    """A common item despawns after despawn_common_s: removed is sent and pickup is NOT_FOUND."""
    client = await server.placed(5, 28, inventory={0: ("bones", 1)})
    gid = (await reply_ok(client, "cmd_inventory_drop", {"slot": 0}))["ground_item_id"]
    await ground_removed(client, gid, timeout=6.0)
    assert (await reply_error(client, "cmd_pickup_item", {"ground_item_id": gid}))[
        "error_code"] == "INVENTORY_ITEM_NOT_FOUND"


@pytest_twisted.ensureDeferred
async def test_ground_items_reach_only_players_who_see_the_tile(server):
    """A public item's update goes to players whose view covers the tile, not to those far away."""
    owner = await server.placed(2, 2, inventory={0: ("bones", 1)})
    near = await server.placed(3, 3)
    far = await server.placed(60, 2)   # 3 chunks away: outside a 3x3 view
    gid = (await reply_ok(owner, "cmd_inventory_drop", {"slot": 0}))["ground_item_id"]
    await ground_added(near, gid, timeout=PRIVATE_S + 3)
    await sleep(0.2)
    assert not any(i["ground_item_id"] == gid for m in ground_events(far)
                   for i in m["payload"]["added"])


@pytest_twisted.ensureDeferred
async def test_welcome_lists_visible_ground_items(server):
    """A player logging in beside a public item gets it in its welcome ground items update."""
    owner = await server.placed(12, 28, inventory={0: ("logs", 1)})
    gid = (await reply_ok(owner, "cmd_inventory_drop", {"slot": 0}))["ground_item_id"]
    await sleep(PRIVATE_S + 0.2)
    newcomer = await server.placed(13, 28)
    ground = newcomer.frames[6]
    assert ground["type"] == "event_ground_items_update"
    assert gid in [i["ground_item_id"] for i in ground["payload"]["added"]]
    assert ground["payload"]["removed"] == []
