"""End to end: dropping and picking up ground items over a real WebSocket."""

import pytest_twisted
from twisted.internet import reactor, task

from rpg.services import commands

from .server import running_server


async def round_trip(client):
    """Wait until every event of the ticks before now has reached C{client}."""
    reply = await client.request("query_inventory")
    assert reply["type"] == "resp_success"
    return reply


def ground_events(client):
    return client.events_of("event_ground_items_update")


async def wait_until(condition, timeout=5.0):
    waited = 0.0
    while not await condition():
        assert waited < timeout, "condition not met in time"
        await task.deferLater(reactor, 0.05, lambda: None)
        waited += 0.05


@pytest_twisted.ensureDeferred
async def test_drop_is_private_then_public_then_picked_up(tmp_path, db_url):
    """A drop is shown to its owner only, reaches others when public, and one pickup takes it."""
    async with running_server(tmp_path, database_url=db_url,
                              ground_item_private_s=1.0) as server:
        owner = await server.player("olga_1")
        other = await server.player("otto_2")
        owner_id = owner.welcome["payload"]["player_id"]
        reply = await owner.request("cmd_inventory_drop", {"slot": 0})
        assert reply["type"] == "resp_success"
        assert reply["payload"] == {"ground_item_id": reply["payload"]["ground_item_id"],
                                    "item_id": 5, "quantity": 1}
        gid = reply["payload"]["ground_item_id"]
        assert gid.startswith("ground_item_")
        update = await owner.wait_for_event("event_inventory_update", include_past=True,
                                            predicate=lambda p: p["inventory"] == {"0": None})
        assert update["payload"] == {"inventory": {"0": None}}
        seen = await owner.wait_for_event("event_ground_items_update", include_past=True,
                                          predicate=lambda p: p["added"])
        entry = seen["payload"]["added"][0]
        assert {k: entry[k] for k in ("ground_item_id", "item_id", "quantity", "x", "y",
                                      "map_id", "owner_id")} == {
            "ground_item_id": gid, "item_id": 5, "quantity": 1, "x": 5, "y": 5,
            "map_id": "field", "owner_id": owner_id}
        assert isinstance(entry["despawn_time"], float)

        refused = await other.request("cmd_pickup_item", {"ground_item_id": gid})
        assert refused["payload"]["error_code"] == "INVENTORY_ITEM_NOT_FOUND"
        assert all(not p["added"] for p in ground_events(other))

        public = await other.wait_for_event("event_ground_items_update",
                                            predicate=lambda p: p["added"])
        assert public["payload"]["added"][0]["owner_id"] is None
        taken = await other.request("cmd_pickup_item", {"ground_item_id": gid})
        assert taken["payload"] == {"item": {"item_id": 5, "quantity": 1, "name": "Bronze sword"},
                                    "inventory_slot": 5}
        gone = await owner.wait_for_event("event_ground_items_update",
                                          predicate=lambda p: p["removed"])
        assert gone["payload"] == {"added": [], "removed": [gid]}
        again = await owner.request("cmd_pickup_item", {"ground_item_id": gid})
        assert again["payload"]["error_code"] == "INVENTORY_ITEM_NOT_FOUND"
        await owner.close()
        await other.close()


@pytest_twisted.ensureDeferred
async def test_pickup_errors(tmp_path):
    """Malformed ids are not found, a full inventory refuses and leaves the item."""
    async with running_server(tmp_path) as server:
        player = await server.player("pia_3")
        for bad in (None, 7, "ground_item_999", "x"):
            reply = await player.request("cmd_pickup_item", {"ground_item_id": bad})
            assert reply["payload"]["error_code"] == "INVENTORY_ITEM_NOT_FOUND", bad
        bad_slot = await player.request("cmd_inventory_drop", {"slot": 28})
        assert bad_slot["payload"]["error_code"] == "INVENTORY_INVALID_SLOT"
        empty = await player.request("cmd_inventory_drop", {"slot": 20})
        assert empty["payload"]["error_code"] == "INVENTORY_SLOT_EMPTY"
        dropped = await player.request("cmd_inventory_drop", {"slot": 0})
        gid = dropped["payload"]["ground_item_id"]
        world = server.service.world
        from rpg.models import ItemStack
        inventory = world.player(player.welcome["payload"]["player_id"]).inventory
        inventory.update({slot: ItemStack(34) for slot in range(28) if slot not in inventory})
        full = await player.request("cmd_pickup_item", {"ground_item_id": gid})
        assert full["payload"]["error_code"] == "INVENTORY_FULL"
        assert len(world.ground.items) == 1
        await player.close()


@pytest_twisted.ensureDeferred
async def test_racing_pickups_in_one_tick(tmp_path, monkeypatch):
    """Two players pick up one item in the same tick: exactly one gets it, the other NOT_FOUND."""
    async with running_server(tmp_path, ground_item_private_s=0.0) as server:
        dropper = await server.player("rex_4")
        first = await server.player("sam_5")
        second = await server.player("tia_6")
        gid = (await dropper.request("cmd_inventory_drop", {"slot": 0}))["payload"]["ground_item_id"]
        await round_trip(first)
        await round_trip(second)
        service = server.service.world_service
        real_phase = service._phase_commands
        pickup_ticks = []

        def held_phase(now):
            # Hold the queue until both pickups are in it, so one tick runs both.
            pickups = [entry[1] for entry in service.queue
                       if entry[1].type == "cmd_pickup_item"]
            if len(pickups) == 1:
                return
            real_phase(now)

        real_pickup = commands.COMMANDS.handlers["cmd_pickup_item"]

        def counted_pickup(world, client, payload, now):
            pickup_ticks.append(service.tick_number)
            return real_pickup(world, client, payload, now)

        monkeypatch.setattr(service, "_phase_commands", held_phase)
        monkeypatch.setitem(commands.COMMANDS.handlers, "cmd_pickup_item", counted_pickup)
        replies = [first.request("cmd_pickup_item", {"ground_item_id": gid}),
                   second.request("cmd_pickup_item", {"ground_item_id": gid})]
        a, b = await replies[0], await replies[1]
        assert len(pickup_ticks) == 2 and pickup_ticks[0] == pickup_ticks[1]
        outcomes = sorted([a["type"], b["type"]])
        assert outcomes == ["resp_error", "resp_success"]
        loser = a if a["type"] == "resp_error" else b
        assert loser["payload"]["error_code"] == "INVENTORY_ITEM_NOT_FOUND"
        for client in (dropper, first, second):
            await client.close()


@pytest_twisted.ensureDeferred
async def test_ground_items_survive_restart_and_ids_continue(tmp_path, db_url):
    """A dropped item is in the welcome after a restart, and new ids continue after it."""
    async with running_server(tmp_path, database_url=db_url, ground_item_private_s=0.0,
                              snapshot_interval_s=0.2) as server:
        player = await server.player("uma_7")
        gid = (await player.request("cmd_inventory_drop", {"slot": 2}))["payload"]["ground_item_id"]

        async def saved():
            return bool(await server.service.store.load_ground_items())
        await wait_until(saved)
        await player.close()
    async with running_server(tmp_path, database_url=db_url) as server:
        newcomer = await server.player("vic_8")
        welcome_ground = newcomer.events_of("event_ground_items_update")[0]
        assert [e["ground_item_id"] for e in welcome_ground["added"]] == [gid]
        assert welcome_ground["added"][0]["item_id"] == 34
        inventory = (await round_trip(newcomer))["payload"]["inventory"]
        assert len(inventory) == 5
        player = await server.player("uma_7")
        inventory = (await round_trip(player))["payload"]["inventory"]
        assert "2" not in inventory and len(inventory) == 4
        nxt = (await player.request("cmd_inventory_drop", {"slot": 0}))["payload"]["ground_item_id"]
        assert int(nxt.rsplit("_", 1)[1]) > int(gid.rsplit("_", 1)[1])
        await newcomer.close()
        await player.close()


@pytest_twisted.ensureDeferred
async def test_logout_saves_the_drop_with_the_inventory(tmp_path):
    """A player who drops and logs out is saved in one cut with the ground item."""
    async with running_server(tmp_path, snapshot_interval_s=3600.0) as server:
        player = await server.player("wes_9")
        player_id = player.welcome["payload"]["player_id"]
        await player.request("cmd_inventory_drop", {"slot": 1})
        await player.close()
        store = server.service.store

        async def saved():
            character = await store.load_character(player_id)
            return 1 not in character.inventory
        await wait_until(saved)
        items = await store.load_ground_items()
        assert [(g.item_id, g.owner_id) for g in items] == [(14, player_id)]
