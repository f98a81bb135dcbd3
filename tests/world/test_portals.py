"""
Tests for portals and map changes in the running world: the portal move, what
the traveller and both maps' players are told and in which order, fights,
ground items, chat neighbours, respawns and saves across a change.
"""

import dataclasses
import random
from pathlib import Path

import pytest

from rpg.config import Tunables
from rpg.content import Content
from rpg.content.tables import load_items, load_npcs
from rpg.models import ItemStack
from rpg.world.errors import MoveRateLimited
from rpg.world.game import GameWorld
from rpg.world.maps import NpcSpawn, Portal
from rpg.world.skills import new_skills, xp_for_level

from .worldmaps import ascii_map, character

REPO_MAPS = Path(__file__).resolve().parents[2] / "maps"
ITEMS = load_items(REPO_MAPS / "items.toml")
NPCS = load_npcs(REPO_MAPS / "npcs.toml", {item.key for item in ITEMS.all()})
TICK = 0.05


def make_game(cave_spawn=True, pvp=False, npcs=(), **tunables):
    """
    Two 40x20 maps: the town (start map, spawn (0, 0)) has a portal at
    (10, 5) to the cave's (3, 3); the cave (spawn (1, 1), or none) has one at
    (3, 10) back to the town's (10, 6).  C{npcs}: (npc, map id, x, y).
    """
    row = "." * 40
    town = ascii_map("\n".join([row] * 20), map_id="town", spawn=(0, 0))
    cave = ascii_map("\n".join([row] * 20), map_id="cave", spawn=(1, 1))
    cave.has_player_spawn = cave_spawn
    town.portals[(10, 5)] = Portal("portal object 1 'down'", "cave", 3, 3)
    cave.portals[(3, 10)] = Portal("portal object 1 'up'", "town", 10, 6)
    maps = {"town": town, "cave": cave}
    for npc, map_id, x, y in npcs:
        maps[map_id].npc_spawns.append(NpcSpawn(npc, x, y))
    for game_map in maps.values():
        game_map.pvp = pvp
    content = Content(maps, ITEMS, NPCS)
    return GameWorld(content, "town", dataclasses.replace(Tunables(), **tunables),
                     rng=random.Random(1))


def enter(game, player_id, x, y, map_id="town", now=0.0, **fields):
    fields.setdefault("skills", new_skills())
    game.add_player(character(player_id, x, y, map_id=map_id, **fields), now)
    game.welcome_messages(player_id)
    return game.player(player_id)


def tick(game, now):
    """
    One tick's world part as the world service sends it: the step's events,
    the game updates, then the queued events.

    @return: a list of C{(player_ids, message_type, payload)} in send order.
    """
    sent = list(game.step(now))
    sent.extend((ids, "event_game_update", payload) for ids, payload in game.compute_updates())
    sent.extend(game.drain_events())
    return sent


def to(player_id, sent):
    """The C{(message_type, payload)} sent to one player, in order."""
    return [(kind, payload) for ids, kind, payload in sent if player_id in ids]


def entity_ids(payload):
    return sorted(entity["id"] for entity in payload["entities"])


def strong_skills():
    skills = new_skills()
    skills.update(attack=xp_for_level(99), strength=xp_for_level(99),
                  defense=xp_for_level(99), hitpoints=xp_for_level(99))
    return skills


# -- the move
def test_a_move_onto_a_portal_lands_on_its_target():
    """The reply's new_position is the portal's target with its map, old_position the tile
    left; the player faces the way it stepped and stands on the target."""
    game = make_game()
    player = enter(game, 1, 10, 4)
    tick(game, 0.0)
    reply = game.move(1, "DOWN", 1.0)
    assert reply == {
        "new_position": {"x": 3, "y": 3, "map_id": "cave", "player_id": 1, "timestamp": 1.0},
        "old_position": {"x": 10, "y": 4, "map_id": "town"},
        "collision": False}
    assert (player.map_id, player.x, player.y) == ("cave", 3, 3)
    assert (player.facing_direction, player.animation_state) == ("south", "walking")


def test_a_portal_move_keeps_the_move_cooldown():
    """A crossing is a move: the next one within the cooldown is refused."""
    game = make_game()
    enter(game, 1, 10, 4)
    game.move(1, "DOWN", 1.0)
    with pytest.raises(MoveRateLimited):
        game.move(1, "UP", 1.2)
    assert game.move(1, "UP", 1.5)["new_position"]["map_id"] == "cave"


def test_a_walk_past_a_portals_neighbour_stays_on_the_map():
    """Only a move that ends on the portal tile crosses."""
    game = make_game()
    enter(game, 1, 9, 4)
    reply = game.move(1, "DOWN", 1.0)
    assert reply["new_position"] == {"x": 9, "y": 5, "map_id": "town", "player_id": 1,
                                     "timestamp": 1.0}


# -- what each one is told, and in which order
def test_a_crossing_tells_the_old_map_the_traveller_and_the_new_map_in_order():
    """Old-map players get the traveller in removed_entities; the traveller gets one
    event_game_update with the new map_id, itself and the new map's entities in full and
    nothing of the old map, then event_ground_items_update with the new map's items."""
    game = make_game(npcs=[("guard", "town", 11, 4), ("guard", "cave", 4, 4)])
    enter(game, 1, 10, 4)
    enter(game, 2, 12, 4)
    enter(game, 3, 2, 2, map_id="cave")
    game.ground.drop_stacks("town", 10, 4, [ItemStack(ITEMS.by_key("bones").item_id, 1)],
                            None, 0.0)
    game.ground.drop_stacks("cave", 3, 4, [ItemStack(ITEMS.by_key("coins").item_id, 7)],
                            None, 0.0)
    tick(game, 0.0)
    game.move(1, "DOWN", 1.0)
    sent = tick(game, 1.0)
    assert [kind for kind, _ in to(1, sent)] == ["event_game_update",
                                                 "event_ground_items_update"]
    (_, view), (_, ground) = to(1, sent)
    cave_guard = next(e.id for e in game.engine.entities.values()
                      if e.type == "npc" and e.map_id == "cave")
    assert view["map_id"] == "cave" and view["removed_entities"] == []
    assert entity_ids(view) == sorted(["player_1", "player_3", cave_guard])
    assert {e["id"]: e for e in view["entities"]}["player_1"] == game.player(1).full()
    assert [(e["item_id"], e["map_id"]) for e in ground["added"]] == [
        (ITEMS.by_key("coins").item_id, "cave")]
    assert ground["removed"] == []
    old_map = dict(to(2, sent))["event_game_update"]
    assert old_map["removed_entities"] == [1] and old_map["map_id"] == "town"
    new_map = dict(to(3, sent))["event_game_update"]
    assert new_map["entities"] == [game.player(1).full()]


def test_a_crossing_to_a_map_without_items_sends_an_empty_list():
    """The traveller gets event_ground_items_update even when it sees no item there,
    as in its welcome: its client knows the old map's items are gone."""
    game = make_game()
    enter(game, 1, 10, 4)
    game.ground.drop_stacks("town", 10, 4, [ItemStack(ITEMS.by_key("bones").item_id, 1)],
                            None, 0.0)
    tick(game, 0.0)
    game.move(1, "DOWN", 1.0)
    assert dict(to(1, tick(game, 1.0)))["event_ground_items_update"] == {
        "added": [], "removed": []}


def test_there_and_back_in_one_tick_shows_the_map_from_scratch():
    """Two crossings between two diffs still show the map in full, nothing removed."""
    game = make_game(move_cooldown_ms=0)
    enter(game, 1, 3, 9, map_id="cave")
    enter(game, 2, 12, 6)
    tick(game, 0.0)
    maps = [game.move(1, step, 1.0)["new_position"]["map_id"]
            for step in ("DOWN", "LEFT", "UP", "RIGHT", "DOWN")]
    assert maps == ["town", "town", "town", "cave", "cave"]
    view = dict(to(1, tick(game, 1.0)))["event_game_update"]
    assert view["map_id"] == "cave" and view["removed_entities"] == []
    assert view["entities"] == [game.player(1).full()]


def test_the_traveller_is_not_sent_its_view_twice():
    """After the crossing's update, the next tick sends the traveller nothing new."""
    game = make_game()
    enter(game, 1, 10, 4)
    tick(game, 0.0)
    game.move(1, "DOWN", 1.0)
    tick(game, 1.0)
    assert to(1, tick(game, 1.05)) == []


# -- everything that holds a map
def test_crossing_ends_the_travellers_fight_and_the_npcs_chase():
    """A player fighting an NPC crosses: its target is cleared and the NPC walks home."""
    game = make_game(npcs=[("goblin", "town", 10, 3)])
    player = enter(game, 1, 10, 4, hp=10)
    game.fights.attack(1, "npc_1", "npc", 0.0)
    now = 0.0
    for _ in range(80):
        now += TICK
        tick(game, now)
    goblin = game.fights.npcs.states["npc_1"]
    assert goblin.target == "player_1"
    game.move(1, "DOWN", now)
    assert player.combat_target is None
    assert goblin.target is None and goblin.state != "in_combat"
    assert "npc_1" not in game.fights.active and "player_1" not in game.fights.active


def test_crossing_stops_a_player_attacking_the_traveller():
    """On a pvp map, a player attacking the traveller stops when it leaves the map."""
    game = make_game(pvp=True)
    attacker = enter(game, 1, 11, 4, skills=strong_skills(), hp=99)
    enter(game, 2, 10, 4, skills=strong_skills(), hp=99)
    game.fights.set_auto_retaliate(2, False)
    game.fights.attack(1, 2, "player", 0.0)
    game.move(2, "DOWN", 0.0)
    tick(game, TICK)
    assert attacker.combat_target is None and attacker.animation_state == "idle"
    assert "player_1" not in game.fights.active


def test_local_chat_neighbours_are_on_the_same_map_only():
    """After a crossing the traveller's chat neighbours are the new map's players."""
    game = make_game()
    enter(game, 1, 10, 4)
    enter(game, 2, 11, 4)
    enter(game, 3, 3, 4, map_id="cave")
    game.move(1, "DOWN", 1.0)
    assert sorted(game.players_near(1, 3)) == [1, 3]
    assert sorted(game.players_near(2, 3)) == [2]


def test_a_crossing_is_saved_with_the_map():
    """A crossing marks the player unsaved and its saved state names the new map."""
    game = make_game()
    enter(game, 1, 10, 4)
    game.mark_saved([1])
    game.move(1, "DOWN", 1.0)
    assert 1 in game.dirty_player_ids()
    state = game.character_state(1)
    assert (state.map_id, state.x, state.y) == ("cave", 3, 3)


# -- respawns
def kill(game, player_id, now):
    player = game.player(player_id)
    game.fights.deaths.player_died(player, None, now)


def test_a_player_respawns_at_its_own_maps_spawn():
    """A player who dies in the cave comes back at the cave's player_spawn."""
    game = make_game(respawn_delay_s=1.0)
    player = enter(game, 1, 5, 5, map_id="cave")
    kill(game, 1, 0.0)
    tick(game, 0.0)
    sent = tick(game, 1.0)
    assert (player.map_id, player.x, player.y) == ("cave", 1, 1)
    respawned = dict(to(1, sent))["event_player_respawned"]
    assert respawned["spawn_position"] == {"x": 1, "y": 1, "map_id": "cave"}


def test_a_map_without_spawn_respawns_at_the_start_maps_and_shows_it():
    """Dying on a map without player_spawn respawns at the start map's spawn; the player
    is shown the start map as after a portal, and the cave's players see it removed."""
    game = make_game(cave_spawn=False, respawn_delay_s=1.0)
    player = enter(game, 1, 5, 5, map_id="cave")
    enter(game, 2, 6, 5, map_id="cave")
    enter(game, 3, 1, 1)
    kill(game, 1, 0.0)
    tick(game, 0.0)
    sent = tick(game, 1.0)
    assert (player.map_id, player.x, player.y) == ("town", 0, 0)
    kinds = [kind for kind, _ in to(1, sent)]
    assert kinds == ["event_player_respawned", "event_game_update",
                     "event_ground_items_update"]
    got = dict(to(1, sent))
    assert got["event_player_respawned"]["spawn_position"] == {"x": 0, "y": 0,
                                                               "map_id": "town"}
    assert got["event_game_update"]["map_id"] == "town"
    assert got["event_game_update"]["removed_entities"] == []
    assert entity_ids(got["event_game_update"]) == ["player_1", "player_3"]
    assert dict(to(2, sent))["event_game_update"]["removed_entities"] == [1]


def test_a_player_saved_dead_on_a_map_without_spawn_enters_at_the_start_maps():
    """A character saved at 0 HP on a map without player_spawn enters alive at the start
    map's spawn, its welcome showing that map."""
    game = make_game(cave_spawn=False)
    game.add_player(character(1, 5, 5, map_id="cave", hp=0, skills=new_skills()), 0.0)
    view = dict(game.welcome_messages(1))["event_game_update"]
    player = game.player(1)
    assert (player.map_id, player.x, player.y, player.current_hp) == ("town", 0, 0, 10)
    assert view["map_id"] == "town" and view["entities"][0] == player.full()


def test_an_arrival_from_another_process_looks_like_a_crossing_here():
    """
    A player that crossed to the cave on another process (saved there, put
    in here with GameWorld.arrive and its walk) is told exactly what a
    crossing in this world tells the traveller, with the same walk.
    """
    here = make_game()
    enter(here, 1, 9, 5)
    enter(here, 2, 4, 4, map_id="cave")
    here.move(1, "RIGHT", 1.0)
    walk = here.engine.walk_state(1, 1.0)
    assert walk == {"walking": True, "next_move_in_s": 0.5}
    crossed = to(1, tick(here, 1.0))
    saved = here.character_state(1)
    there = make_game()
    enter(there, 2, 4, 4, map_id="cave")
    tick(there, 0.95)
    there.arrive(saved, 1.0, walk)
    arrived = to(1, tick(there, 1.0))
    assert arrived == crossed
    assert [kind for kind, _ in arrived] == ["event_game_update", "event_ground_items_update"]
    me = next(e for e in arrived[0][1]["entities"] if e["id"] == "player_1")
    assert me["animation_state"] == "walking"
    with pytest.raises(MoveRateLimited):
        there.move(1, "DOWN", 1.2)
    assert there.move(1, "DOWN", 1.5)["new_position"]["map_id"] == "cave"
