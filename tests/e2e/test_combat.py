"""End to end: attacking NPCs, loot, XP, dying and respawning over a real WebSocket."""

import pytest_twisted

from rpg.world.skills import xp_for_level

from .server import running_server
from .tmx import open_field, write_map


def arena(tmp_path, name, npcs, spawn=(5, 5)):
    """A maps directory holding one open field with these NPC spawns."""
    directory = tmp_path / name
    write_map(directory, name, open_field(width=40, height=40, spawn=spawn, npcs=npcs))
    return directory


async def veteran(server, username, **character):
    """A player made strong in the store before it logs in."""
    await server.register(username)

    def change(state):
        state.skills.update(attack=xp_for_level(99), strength=xp_for_level(99),
                            defense=xp_for_level(99), hitpoints=xp_for_level(99))
        state.hp = 99
        for name, value in character.items():
            setattr(state, name, value)
    await server.service.store.update_offline_character(username, change)
    return await server.player(username)


def npc_at(client, x, y):
    """The id of the NPC the welcome showed at (x, y)."""
    update = next(m["payload"] for m in client.frames if m["type"] == "event_game_update")
    return next(e["id"] for e in update["entities"]
                if e["type"] == "npc" and (e["x"], e["y"]) == (x, y))


@pytest_twisted.ensureDeferred
async def test_kill_a_goblin_gain_xp_and_take_its_loot(tmp_path):
    """A player kills the goblin beside it, sees it leave the view, gains XP and picks up the bones."""
    maps = arena(tmp_path, "goblins", [("g", 6, 5)])
    async with running_server(tmp_path, maps_dir=maps) as server:
        client = await veteran(server, "slayer_1")
        goblin = npc_at(client, 6, 5)
        reply = await client.request("cmd_attack", {"target_id": goblin, "target_type": "npc"})
        assert reply["type"] == "resp_success", reply
        assert reply["payload"] == {"combat_started": True,
                                    "target": {"id": goblin, "name": "Goblin",
                                               "current_hp": 5, "max_hp": 5}}
        await client.wait_for_event("event_game_update", timeout=30.0, include_past=True,
                                    predicate=lambda p: goblin in p["removed_entities"])
        # every blow's XP came before the update that removed the goblin
        attack, _, _, hitpoints = client.events_of("event_skills")[-1]["skills"][:4]
        assert attack["name"] == "attack" and hitpoints["name"] == "hitpoints"
        assert attack["current_xp"] - xp_for_level(99) == 4 * 5  # its five hit points
        assert hitpoints["current_xp"] - xp_for_level(99) == 4 * 5 // 3
        loot = await client.wait_for_event("event_ground_items_update", include_past=True,
                                           predicate=lambda p: p["added"])
        bones = next(item for item in loot["payload"]["added"] if item["name"] == "Bones")
        assert (bones["x"], bones["y"]) == (6, 5)
        assert bones["owner_id"] == client.welcome["payload"]["player_id"]
        taken = await client.request("cmd_pickup_item",
                                     {"ground_item_id": bones["ground_item_id"]})
        assert taken["type"] == "resp_success", taken
        assert taken["payload"]["item"]["name"] == "Bones"
        await client.close()


@pytest_twisted.ensureDeferred
async def test_surrounded_by_rats_the_player_dies_and_respawns(tmp_path):
    """Rats around a weak player kill it: it sees event_player_died, then event_player_respawned."""
    rats = [("r", 5 + dx, 5 + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
    maps = arena(tmp_path, "ratpit", rats)
    async with running_server(tmp_path, maps_dir=maps, respawn_delay_s=0.5) as server:
        await server.register("victim_1")

        def weaken(state):
            state.hp = 1
        await server.service.store.update_offline_character("victim_1", weaken)
        client = await server.player("victim_1")
        player_id = client.welcome["payload"]["player_id"]
        died = await client.wait_for_event("event_player_died", timeout=30.0, include_past=True)
        payload = died["payload"]
        assert payload["player_id"] == player_id and payload["username"] == "victim_1"
        assert payload["death_position"] == {"x": 5, "y": 5, "map_id": "ratpit"}
        assert payload["killer"]["type"] == "npc" and payload["killer"]["name"] == "Giant rat"
        refused = await client.request("cmd_move", {"direction": "UP"})
        assert refused["type"] == "resp_error"
        assert refused["payload"]["error_code"] == "MOVEMENT_BLOCKED"
        assert refused["payload"]["details"]["reason"] == "dead"
        respawned = await client.wait_for_event("event_player_respawned", timeout=5.0,
                                                include_past=True)
        assert respawned["payload"] == {
            "player_id": player_id, "username": "victim_1",
            "spawn_position": {"x": 5, "y": 5, "map_id": "ratpit"},
            "current_hp": 10, "max_hp": 10}
        await client.close()


@pytest_twisted.ensureDeferred
async def test_attack_errors(tmp_path):
    """A guard is COMBAT_INVALID_TARGET, a far goblin COMBAT_OUT_OF_RANGE, an unknown id NOT_FOUND."""
    maps = arena(tmp_path, "town", [("G", 4, 5), ("g", 12, 12)])
    async with running_server(tmp_path, maps_dir=maps) as server:
        client = await server.player("tourist_1")
        cases = [
            ({"target_id": npc_at(client, 4, 5), "target_type": "npc"}, "COMBAT_INVALID_TARGET"),
            ({"target_id": npc_at(client, 12, 12), "target_type": "npc"}, "COMBAT_OUT_OF_RANGE"),
            ({"target_id": "npc_999", "target_type": "npc"}, "COMBAT_TARGET_NOT_FOUND"),
            ({"target_id": "npc_1", "target_type": "dragon"}, "COMBAT_INVALID_TARGET"),
        ]
        for payload, code in cases:
            reply = await client.request("cmd_attack", payload)
            assert reply["type"] == "resp_error", (payload, reply)
            assert reply["payload"]["error_code"] == code, (payload, reply)
        reply = await client.request("cmd_set_auto_retaliate", {"enabled": False})
        assert reply["type"] == "resp_success"
        assert reply["payload"] == {"auto_retaliate": False}
        await client.close()
