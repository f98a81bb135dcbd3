"""Black box: cmd_attack, fights, death and respawn, HP regeneration, skills
(clarifications, "Combat, skills, death"; spec, "Combat", "EVENT_SKILLS")."""

import re

import pytest
import pytest_twisted
from twisted.internet import reactor, task

from tests.e2e.proc import REPO
from tests.e2e.tmx import open_field

from .harness import SKILL_NAMES, fresh, reply_error, reply_ok

GOBLIN_ROW = [(10 + 4 * i, 30) for i in range(8)]
PAIR = [(20, 40), (22, 40)]
ARENA = open_field(width=48, height=48, spawn=(5, 5),
                   npcs=[("G", 5, 4), ("g", 30, 5), *[("g", x, y) for x, y in GOBLIN_ROW + PAIR]])
RATS = [(12 + dx, 12 + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
PIT = open_field(width=24, height=24, spawn=(2, 2), npcs=[("r", x, y) for x, y in RATS])
# Goblins come back after 1 s here (the repository's definitions, respawn_s changed).
NPCS = (REPO / "maps" / "npcs.toml").read_text().replace(
    "respawn_s = 30", "respawn_s = 1", 1)

SERVER = dict(maps={"arena": ARENA, "pit": PIT,
                    "duel": (open_field(width=16, height=16, spawn=(3, 3)), True)},
              start_map="arena", files={"maps/npcs.toml": NPCS},
              config={"respawn_delay_s": 0.5, "hp_regen_interval_s": 0.5})

NPC_FIELDS = {"id", "type", "npc_type", "name", "x", "y", "facing_direction", "current_hp",
              "max_hp", "combat_state"}
XP_99 = 13_034_431


def xp_table():
    """The canonical RuneScape table, computed here independently of the server."""
    table, points = [0, 0], 0
    for level in range(1, 99):
        points += int(level + 300 * 2 ** (level / 7))
        table.append(points // 4)
    return table


XP = xp_table()


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


def npc_at(client, x, y):
    for message in client.frames:
        if message["type"] == "event_game_update":
            for entity in message["payload"]["entities"]:
                if entity.get("type") == "npc" and (entity["x"], entity["y"]) == (x, y):
                    return entity
    raise AssertionError(f"no NPC seen at {(x, y)}")


async def veteran(server, x, y, map_id=None, **kwargs):
    return await server.placed(x, y, map_id=map_id, hp=99,
                               xp={"attack": XP_99, "strength": XP_99, "defense": XP_99,
                                   "hitpoints": XP_99}, **kwargs)


# -- entities

@pytest_twisted.ensureDeferred
async def test_npc_entity_fields(server):
    """An NPC enters the view with exactly the clarified NPC fields."""
    client = await server.placed(5, 5)
    goblin = npc_at(client, 30, 5)
    assert set(goblin) == NPC_FIELDS
    assert re.fullmatch(r"npc_\d+", goblin["id"]) and goblin["type"] == "npc"
    assert (goblin["npc_type"], goblin["name"]) == ("goblin", "Goblin")
    assert (goblin["current_hp"], goblin["max_hp"], goblin["combat_state"]) == (5, 5, "idle")
    assert goblin["facing_direction"] in ("north", "south", "east", "west")


# -- cmd_attack errors

@pytest.mark.parametrize("target_type", ["dragon", "", None, "NPC", "MISSING"])
@pytest_twisted.ensureDeferred
async def test_attack_bad_target_type(server, target_type):
    """A target_type other than npc/player is COMBAT_INVALID_TARGET."""
    client = await server.placed(29, 5)
    payload = {"target_id": npc_at(client, 30, 5)["id"]}
    if target_type != "MISSING":
        payload["target_type"] = target_type
    assert (await reply_error(client, "cmd_attack", payload))["error_code"] == \
        "COMBAT_INVALID_TARGET"


@pytest_twisted.ensureDeferred
async def test_attack_non_attackable_npc(server):
    """Attacking a guard (not attackable) is COMBAT_INVALID_TARGET."""
    client = await server.placed(5, 5)
    guard = npc_at(client, 5, 4)
    assert (await reply_error(client, "cmd_attack", {"target_id": guard["id"],
                                                    "target_type": "npc"}))["error_code"] == \
        "COMBAT_INVALID_TARGET"


@pytest.mark.parametrize("target", ["self", "other"])
@pytest_twisted.ensureDeferred
async def test_attack_players_off_pvp_maps(server, target):
    """Attacking oneself, or a player on a map without pvp, is COMBAT_INVALID_TARGET."""
    other = await server.placed(40, 40)
    client = await server.placed(41, 40)
    target_id = client.entity_id if target == "self" else other.entity_id
    assert (await reply_error(client, "cmd_attack", {"target_id": target_id,
                                                    "target_type": "player"}))["error_code"] == \
        "COMBAT_INVALID_TARGET"


@pytest.mark.parametrize("target_id", ["npc_999999", "npc_x", "goblin", "player_1"])
@pytest_twisted.ensureDeferred
async def test_attack_nothing(server, target_id):
    """No such target is COMBAT_TARGET_NOT_FOUND."""
    client = await server.placed(5, 5)
    assert (await reply_error(client, "cmd_attack", {"target_id": target_id,
                                                    "target_type": "npc"}))["error_code"] == \
        "COMBAT_TARGET_NOT_FOUND"


@pytest_twisted.ensureDeferred
async def test_attack_out_of_range(server):
    """A goblin two tiles away is COMBAT_OUT_OF_RANGE."""
    client = await server.placed(28, 5)
    assert (await reply_error(client, "cmd_attack", {"target_id": npc_at(client, 30, 5)["id"],
                                                    "target_type": "npc"}))["error_code"] == \
        "COMBAT_OUT_OF_RANGE"


@pytest_twisted.ensureDeferred
async def test_attack_npc_on_another_map_is_not_found(server):
    """An NPC that lives on another map is COMBAT_TARGET_NOT_FOUND."""
    watcher = await server.placed(12, 12, map_id="pit", hp=99,
                                  xp={"hitpoints": XP_99, "defense": XP_99})
    rat = npc_at(watcher, 11, 11)["id"]
    client = await server.placed(5, 5)
    assert (await reply_error(client, "cmd_attack", {"target_id": rat, "target_type": "npc"}))[
        "error_code"] == "COMBAT_TARGET_NOT_FOUND"


# -- pvp

@pytest_twisted.ensureDeferred
async def test_pvp_map_allows_attacking_a_player(server):
    """On a map with pvp = true a player may attack a player beside it."""
    victim = await server.placed(8, 8, map_id="duel")
    client = await server.placed(9, 8, map_id="duel")
    await reply_ok(client, "cmd_set_auto_retaliate", {"enabled": False})
    await reply_ok(victim, "cmd_set_auto_retaliate", {"enabled": False})
    payload = await reply_ok(client, "cmd_attack", {"target_id": victim.entity_id,
                                                    "target_type": "player"})
    assert payload == {"combat_started": True,
                       "target": {"id": victim.entity_id, "name": victim.username,
                                  "current_hp": 10, "max_hp": 10}}


@pytest_twisted.ensureDeferred
async def test_pvp_map_still_refuses_oneself(server):
    """Even on a pvp map, attacking oneself is COMBAT_INVALID_TARGET."""
    client = await server.placed(3, 8, map_id="duel")
    assert (await reply_error(client, "cmd_attack", {"target_id": client.entity_id,
                                                    "target_type": "player"}))["error_code"] == \
        "COMBAT_INVALID_TARGET"


@pytest_twisted.ensureDeferred
async def test_pvp_unknown_player_is_not_found(server):
    """On a pvp map an unknown player id is COMBAT_TARGET_NOT_FOUND."""
    client = await server.placed(3, 12, map_id="duel")
    assert (await reply_error(client, "cmd_attack", {"target_id": "player_999999",
                                                    "target_type": "player"}))["error_code"] == \
        "COMBAT_TARGET_NOT_FOUND"


# -- fights

@pytest_twisted.ensureDeferred
async def test_already_in_combat_and_moving_clears_the_target(server):
    """Attacking a second goblin in range while attacking one is COMBAT_ALREADY_IN_COMBAT; after
    a move (which clears the attacker's own target) the same attack is accepted."""
    client = await server.placed(21, 41)       # next to both goblins of the pair
    await reply_ok(client, "cmd_set_auto_retaliate", {"enabled": False})
    goblin_a = npc_at(client, *PAIR[0])["id"]
    goblin_b = npc_at(client, *PAIR[1])["id"]
    payload = await reply_ok(client, "cmd_attack", {"target_id": goblin_a, "target_type": "npc"})
    assert payload["combat_started"] is True
    assert set(payload["target"]) == {"id", "name", "current_hp", "max_hp"}
    error = await reply_error(client, "cmd_attack", {"target_id": goblin_b, "target_type": "npc"})
    assert error["error_code"] == "COMBAT_ALREADY_IN_COMBAT"
    await reply_ok(client, "cmd_move", {"direction": "UP"})   # (21, 40): still next to both
    payload = await reply_ok(client, "cmd_attack", {"target_id": goblin_b, "target_type": "npc"})
    assert payload["target"]["id"] == goblin_b


@pytest_twisted.ensureDeferred
async def test_npc_damage_reaches_observers_as_id_plus_changed_fields(server):
    """A weak hit on a goblin reaches the attacker and a watcher as {id, current_hp, ...changed}.

    Strength 1 means a max hit of 1, and a roll of 0 is as likely as a roll of 1, so
    the first damaging swing may take a few 2.4 s swings: the wait allows 13 of them
    (all missing: about 1 in 5,000), and the player is sturdy enough to outlast them."""
    x, y = GOBLIN_ROW[2]
    watcher = await server.placed(x + 3, y)
    client = await server.placed(x, y + 1, hp=99, xp={"attack": XP_99, "defense": XP_99,
                                                      "hitpoints": XP_99})
    goblin = npc_at(client, x, y)["id"]
    await reply_ok(client, "cmd_attack", {"target_id": goblin, "target_type": "npc"})
    for observer in (client, watcher):
        update = await observer.wait_for_event(
            "event_game_update", timeout=32, include_past=True,
            predicate=lambda p: any(e["id"] == goblin and e.get("current_hp", 5) < 5
                                    for e in p["entities"]))
        change = next(e for e in update["payload"]["entities"] if e["id"] == goblin)
        assert change["current_hp"] == 4
        assert not ({"type", "name", "npc_type", "max_hp", "x", "y"} & set(change))
        assert change.get("combat_state", "in_combat") == "in_combat"


@pytest_twisted.ensureDeferred
async def test_kill_a_goblin(server):
    """A veteran kills a goblin: the goblin leaves the view as its string id, XP is 4 per point of damage with event_skills, loot is owned by the killer."""
    x, y = GOBLIN_ROW[3]
    client = await veteran(server, x, y + 1)
    goblin = npc_at(client, x, y)["id"]
    await reply_ok(client, "cmd_attack", {"target_id": goblin, "target_type": "npc"})
    await client.wait_for_event("event_game_update", timeout=20, include_past=True,
                                predicate=lambda p: goblin in p["removed_entities"])
    removal = next(m for m in client.frames if m["type"] == "event_game_update"
                   and goblin in m["payload"]["removed_entities"])
    assert all(type(r) is str for r in removal["payload"]["removed_entities"]
               if str(r).startswith("npc_"))
    skills = client.events_of("event_skills")[-1]["skills"]
    assert skills[0]["name"] == "attack" and skills[0]["current_xp"] == XP_99 + 20
    assert skills[3]["current_xp"] - XP_99 in (6, 7)   # 4/3 per point of 5 damage
    loot = await client.wait_for_event("event_ground_items_update", include_past=True,
                                       predicate=lambda p: any(i["x"] == x for i in p["added"]))
    for item in loot["payload"]["added"]:
        assert (item["x"], item["y"]) == (x, y) and item["owner_id"] == client.player_id


@pytest_twisted.ensureDeferred
async def test_a_killed_goblin_respawns_at_its_spawn(server):
    """After its respawn time the goblin reappears at its spawn with full HP."""
    x, y = GOBLIN_ROW[4]
    client = await veteran(server, x, y + 1)
    goblin = npc_at(client, x, y)["id"]
    await reply_ok(client, "cmd_attack", {"target_id": goblin, "target_type": "npc"})
    await client.wait_for_event("event_game_update", timeout=20, include_past=True,
                                predicate=lambda p: goblin in p["removed_entities"])
    back = await client.wait_for_event(
        "event_game_update", timeout=5,
        predicate=lambda p: any(e.get("type") == "npc" and (e["x"], e["y"]) == (x, y)
                                for e in p["entities"]))
    entity = next(e for e in back["payload"]["entities"] if (e.get("x"), e.get("y")) == (x, y))
    assert entity["current_hp"] == entity["max_hp"] == 5
    assert entity["combat_state"] == "idle"


@pytest_twisted.ensureDeferred
async def test_player_dies_and_respawns(server):
    """A 1-HP player among rats: event_player_died to it and a watcher, inventory dropped
    at the death tile owned by it, event_player_respawned at the spawn with full HP."""
    watcher = await server.placed(16, 12, map_id="pit", hp=99,
                                  xp={"hitpoints": XP_99, "defense": XP_99})
    victim = await server.placed(12, 12, map_id="pit", hp=1, inventory={0: ("bones", 1)})
    died = await victim.wait_for_event("event_player_died", timeout=20, include_past=True)
    payload = died["payload"]
    assert died["id"] is None and died["version"] == "2.0"
    assert set(payload) == {"player_id", "username", "death_position", "killer"}
    assert (payload["player_id"], payload["username"]) == (victim.player_id, victim.username)
    assert payload["death_position"] == {"x": 12, "y": 12, "map_id": "pit"}
    assert set(payload["killer"]) == {"id", "name", "type"}
    assert payload["killer"]["type"] == "npc" and payload["killer"]["name"] == "Giant rat"
    seen = await watcher.wait_for_event("event_player_died", include_past=True,
                                        predicate=lambda p: p["player_id"] == victim.player_id)
    assert seen["payload"] == payload
    drop = await victim.wait_for_event(
        "event_ground_items_update", include_past=True,
        predicate=lambda p: any((i["x"], i["y"]) == (12, 12) for i in p["added"]))
    item = next(i for i in drop["payload"]["added"] if (i["x"], i["y"]) == (12, 12))
    assert item["owner_id"] == victim.player_id
    respawned = await victim.wait_for_event("event_player_respawned", timeout=5,
                                            include_past=True)
    assert respawned["payload"] == {"player_id": victim.player_id, "username": victim.username,
                                    "spawn_position": {"x": 2, "y": 2, "map_id": "pit"},
                                    "current_hp": 10, "max_hp": 10}


@pytest_twisted.ensureDeferred
async def test_hp_regenerates_out_of_combat(server):
    """Out of combat a hurt player regains 1 HP per hp_regen_interval_s."""
    client = await server.placed(44, 44, hp=4)
    update = await client.wait_for_event(
        "event_game_update", timeout=3,
        predicate=lambda p: any(e["id"] == client.entity_id and e.get("current_hp") == 5
                                for e in p["entities"]))
    assert update["payload"]["map_id"] == "arena"


# -- skills

@pytest.mark.parametrize("skill, xp, level, target", [
    ("attack", 0, 1, 83), ("attack", 82, 1, 83), ("strength", 83, 2, 174),
    ("defense", 173, 2, 174), ("ranged", 174, 3, 276), ("magic", 1153, 9, 1154),
    ("prayer", 1154, 10, 1358), ("woodcutting", 13_034_430, 98, 13_034_431),
    ("mining", 737_627, 70, 814_445),
])
@pytest_twisted.ensureDeferred
async def test_target_xp_at_level_boundaries(server, skill, xp, level, target):
    """current_level follows the RuneScape table and target_xp is the next level's total XP."""
    assert XP[level] <= xp < XP[level + 1] and XP[level + 1] == target
    client = await server.placed(44, 2, xp={skill: xp})
    skills = client.frames[2]["payload"]["skills"]
    row = skills[SKILL_NAMES.index(skill)]
    assert row == {"skill_id": SKILL_NAMES.index(skill) + 1, "name": skill,
                   "current_level": level, "current_xp": xp, "target_xp": target}


@pytest_twisted.ensureDeferred
async def test_max_hp_is_the_hitpoints_level(server):
    """Max HP equals the hitpoints level (here 20)."""
    client = await server.placed(44, 3, xp={"hitpoints": XP[20]}, hp=20)
    welcome = client.welcome["payload"]
    assert (welcome["current_hp"], welcome["max_hp"]) == (20, 20)
    assert client.frames[2]["payload"]["skills"][3]["current_level"] == 20


@pytest_twisted.ensureDeferred
async def test_level_99(server):
    """At 13,034,431 XP a skill is level 99."""
    client = await server.placed(44, 4, xp={"mining": XP_99})
    row = client.frames[2]["payload"]["skills"][8]
    assert (row["current_level"], row["current_xp"]) == (99, XP_99)
