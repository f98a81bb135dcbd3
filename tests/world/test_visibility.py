"""
Tests for what players see: L{Engine.initial_view} and L{Engine.compute_updates}.
"""

import random

from rpg.world.engine import Engine
from rpg.world.entities import NpcEntity

from .worldmaps import character, open_map


def make_world(view_radius=1):
    maps = {"open": open_map(256, 256), "cave": open_map(64, 64, map_id="cave")}
    return Engine(maps, start_map="open", view_radius=view_radius, rng=random.Random(1))


def enter(world, player_id, x, y, map_id="open"):
    """Add a player and send it its initial view."""
    world.add_player(character(player_id, x, y, map_id=map_id), now=0.0)
    return world.initial_view(player_id)


def updates_by_player(updates):
    """player id -> payload, checking that nobody appears twice."""
    found = {}
    for player_ids, payload in updates:
        for player_id in player_ids:
            assert player_id not in found, f"player {player_id} got two updates"
            found[player_id] = payload
    return found


def ids(payload):
    return sorted(entity["id"] for entity in payload["entities"])


def test_initial_view_lists_every_visible_entity_self_first():
    """The initial view carries the player itself first, then all it sees, in full."""
    world = make_world()
    world.add_entity(NpcEntity(1, "goblin", "Goblin", "open", 20, 20, max_hp=5))
    world.add_player(character(2, 30, 30), now=0.0)
    world.add_player(character(3, 100, 100), now=0.0)
    view = enter(world, 1, 5, 5)
    assert view["entities"][0]["id"] == "player_1"
    assert ids(view) == ["npc_1", "player_1", "player_2"]
    assert view["removed_entities"] == [] and view["map_id"] == "open"
    npc = next(e for e in view["entities"] if e["id"] == "npc_1")
    assert npc == {"id": "npc_1", "type": "npc", "npc_type": "goblin", "name": "Goblin",
                   "x": 20, "y": 20, "facing_direction": "south", "current_hp": 5,
                   "max_hp": 5, "combat_state": "idle"}


def test_nothing_changed_nothing_sent():
    """With no change since the last call, compute_updates returns nothing."""
    world = make_world()
    enter(world, 1, 5, 5)
    enter(world, 2, 6, 5)
    world.compute_updates()
    assert world.compute_updates() == []


def test_own_initial_view_not_repeated():
    """A player that just got its initial view is not sent itself again."""
    world = make_world()
    enter(world, 1, 5, 5)
    assert world.compute_updates() == []


def test_players_see_each_other_enter_in_full():
    """An arriving player is sent in full to those who see it."""
    world = make_world()
    enter(world, 1, 5, 5)
    world.compute_updates()
    enter(world, 2, 20, 5)
    got = updates_by_player(world.compute_updates())
    assert set(got) == {1}
    assert got[1]["entities"] == [world.player(2).full()]
    assert got[1]["removed_entities"] == [] and got[1]["map_id"] == "open"


def test_move_sent_as_id_and_changed_fields():
    """A move reaches observers and the mover as id plus the changed fields only."""
    world = make_world()
    enter(world, 1, 5, 5)
    enter(world, 2, 6, 5)
    world.compute_updates()
    world.move(2, "DOWN", now=1.0)
    got = updates_by_player(world.compute_updates())
    expected = {"id": "player_2", "y": 6, "animation_state": "walking"}
    assert got[1]["entities"] == [expected]
    assert got[2]["entities"] == [expected]
    assert got[1]["removed_entities"] == []


def test_animation_idle_reaches_observers():
    """Going idle after a move is sent as a change of animation_state."""
    world = make_world()
    enter(world, 1, 5, 5)
    enter(world, 2, 6, 5)
    world.move(2, "UP", now=1.0)
    world.compute_updates()
    world.step(1.5)
    got = updates_by_player(world.compute_updates())
    assert got[1]["entities"] == [{"id": "player_2", "animation_state": "idle"}]


def test_leaving_the_view_by_walking():
    """Walking out of an observer's 3x3 chunks removes it there (as an int)."""
    world = make_world()
    enter(world, 1, 0, 0)
    enter(world, 2, 31, 0)  # chunk 1: seen from chunk 0
    world.compute_updates()
    world.move(2, "RIGHT", now=1.0)  # chunk 2: out of player 1's view
    got = updates_by_player(world.compute_updates())
    assert got[1]["removed_entities"] == [2]
    assert got[1]["entities"] == []
    assert got[2]["removed_entities"] == [1]


def test_walking_into_view_brings_newcomers_in_full():
    """A player crossing into a chunk sees what is newly in view, in full."""
    world = make_world()
    enter(world, 1, 32, 0)  # chunk 2
    enter(world, 2, 0, 0)  # chunk 0
    world.compute_updates()
    world.move(1, "LEFT", now=1.0)  # chunk 2 -> 1: now sees chunk 0
    got = updates_by_player(world.compute_updates())
    assert got[2]["entities"] == [world.player(1).full()]
    assert ids(got[1]) == ["player_1", "player_2"]
    mine = next(e for e in got[1]["entities"] if e["id"] == "player_1")
    assert mine == {"id": "player_1", "x": 31, "facing_direction": "west",
                    "animation_state": "walking"}


def test_four_chunks_away_sees_nothing():
    """A player four chunks away gets nothing about the other's arrival or moves."""
    world = make_world()
    enter(world, 1, 0, 0)
    world.compute_updates()
    enter(world, 2, 64, 0)
    world.move(2, "DOWN", now=1.0)
    got = updates_by_player(world.compute_updates())
    assert 1 not in got
    assert ids(world.initial_view(1)) == ["player_1"]


def test_other_map_invisible():
    """A player at the same coordinates on another map is not seen."""
    world = make_world()
    enter(world, 1, 5, 5)
    world.compute_updates()
    enter(world, 2, 5, 5, map_id="cave")
    assert 1 not in updates_by_player(world.compute_updates())


def test_removed_player_listed_as_int():
    """A player leaving the world is removed for observers by its integer id."""
    world = make_world()
    enter(world, 1, 5, 5)
    enter(world, 2, 6, 5)
    world.compute_updates()
    world.remove_player(2)
    got = updates_by_player(world.compute_updates())
    assert got == {1: {"entities": [], "removed_entities": [2], "map_id": "open"}}


def test_removed_npc_listed_by_string_id():
    """An NPC leaving the world is removed by its string id."""
    world = make_world()
    world.add_entity(NpcEntity(4, "goblin", "Goblin", "open", 6, 6, max_hp=5))
    enter(world, 1, 5, 5)
    world.remove_entity("npc_4")
    got = updates_by_player(world.compute_updates())
    assert got[1]["removed_entities"] == ["npc_4"]


def test_npc_field_change_sent_as_delta():
    """An NPC's changed field reaches observers as id plus that field."""
    world = make_world()
    goblin = world.add_entity(NpcEntity(4, "goblin", "Goblin", "open", 6, 6, max_hp=5))
    enter(world, 1, 5, 5)
    world.set_field(goblin, "current_hp", 2)
    world.set_field(goblin, "combat_state", "in_combat")
    got = updates_by_player(world.compute_updates())
    assert got[1]["entities"] == [{"id": "npc_4", "current_hp": 2, "combat_state": "in_combat"}]


def test_entity_back_in_the_same_tick_sent_whole():
    """An entity removed and re-added before the diff is sent with all its fields."""
    world = make_world()
    world.add_entity(NpcEntity(4, "goblin", "Goblin", "open", 6, 6, max_hp=5))
    enter(world, 1, 5, 5)
    world.remove_entity("npc_4")
    world.add_entity(NpcEntity(4, "goblin", "Goblin", "open", 8, 8, max_hp=5))
    got = updates_by_player(world.compute_updates())
    (delta,) = got[1]["entities"]
    assert delta["x"] == 8 and delta["max_hp"] == 5 and delta["id"] == "npc_4"
    assert got[1]["removed_entities"] == []


def test_change_marks_cleared_after_diff():
    """A change is sent once; the next call sends nothing."""
    world = make_world()
    enter(world, 1, 5, 5)
    enter(world, 2, 6, 5)
    world.move(2, "DOWN", now=1.0)
    assert world.compute_updates() != []
    assert world.compute_updates() == []
    assert world.player(2).changed == {}


def test_identical_diffs_grouped_into_one_payload():
    """Two players in one chunk with the same knowledge share one group and payload."""
    world = make_world()
    enter(world, 1, 5, 5)
    enter(world, 2, 6, 5)
    world.compute_updates()
    enter(world, 3, 20, 5)
    updates = world.compute_updates()
    group = [entry for entry in updates if 1 in entry[0]]
    assert len(group) == 1 and sorted(group[0][0]) == [1, 2]
    assert group[0][1]["entities"] == [world.player(3).full()]


def test_grouped_field_changes_share_one_payload():
    """A move seen by a crowd in one chunk becomes a single (players, payload) entry."""
    world = make_world()
    for player_id in range(1, 6):
        enter(world, player_id, player_id, 1)
    world.compute_updates()
    world.move(3, "DOWN", now=1.0)
    updates = world.compute_updates()
    assert len(updates) == 1
    assert sorted(updates[0][0]) == [1, 2, 3, 4, 5]


def test_a_change_is_one_record_shared_by_every_payload_showing_it():
    """A move seen from several chunks is one delta dict in each of their payloads."""
    world = make_world()
    enter(world, 1, 15, 5)   # chunk (0, 0)
    enter(world, 2, 17, 5)   # chunk (1, 0)
    enter(world, 3, 33, 5)   # chunk (2, 0): sees 2, not 1
    enter(world, 4, 17, 20)  # chunk (1, 1)
    world.compute_updates()
    world.move(2, "DOWN", now=1.0)
    updates = world.compute_updates()
    records = [entity for _, payload in updates for entity in payload["entities"]]
    assert len(updates) == 4
    assert all(record is records[0] for record in records)
    assert records[0] == {"id": "player_2", "y": 6, "animation_state": "walking"}


def test_view_radius_configurable():
    """With radius 2 a player two chunks away is seen; with radius 0 only the own chunk."""
    wide = make_world(view_radius=2)
    enter(wide, 2, 40, 0)
    assert ids(enter(wide, 1, 0, 0)) == ["player_1", "player_2"]
    narrow = make_world(view_radius=0)
    enter(narrow, 2, 16, 0)
    assert ids(enter(narrow, 1, 15, 0)) == ["player_1"]


def test_map_change_shows_the_new_map_and_nothing_of_the_old():
    """A player changing map gets the new map and itself in full, nothing of the old map
    (not even in removed_entities); the old map's players see it removed."""
    world = make_world()
    enter(world, 1, 5, 5)
    enter(world, 2, 6, 5)
    world.add_entity(NpcEntity(1, "rat", "Rat", "open", 7, 7, max_hp=2))
    enter(world, 3, 1, 1, map_id="cave")
    world.compute_updates()
    world.teleport(1, "cave", 2, 2)
    got = updates_by_player(world.compute_updates())
    assert got[1]["map_id"] == "cave"
    assert got[1]["removed_entities"] == []
    assert ids(got[1]) == ["player_1", "player_3"]
    assert all(len(e) == len(world.player(1).full()) for e in got[1]["entities"])
    assert got[2]["removed_entities"] == [1]
    assert got[3]["entities"] == [world.player(1).full()]


def test_player_without_initial_view_gets_no_diff():
    """A player is not sent diffs before its initial view."""
    world = make_world()
    world.add_player(character(1, 5, 5), now=0.0)
    enter(world, 2, 6, 5)
    assert 1 not in updates_by_player(world.compute_updates())


def test_a_late_initial_view_joins_the_diffs_of_an_unchanged_view():
    """A player whose initial view comes ticks after it entered gets the next move near it."""
    world = make_world()
    world.add_player(character(1, 5, 5), now=0.0)
    enter(world, 2, 6, 5)
    world.compute_updates()
    world.move(2, "RIGHT", now=1.0)
    world.compute_updates()
    world.initial_view(1)  # its chunk's view is unchanged since the last diff
    world.move(2, "RIGHT", now=2.0)
    seen = updates_by_player(world.compute_updates())
    assert seen[1]["entities"] == [{"id": "player_2", "x": 8}]
    assert seen[1] is seen[2]


def test_unchanged_views_get_the_same_diffs_as_changed_ones():
    """Over many ticks of walkers crossing chunks, every player's diff equals one made from
    its known set alone (a world that keeps no view between ticks)."""
    rng = random.Random(3)
    worlds = [make_world(), make_world()]
    for world in worlds:
        for player_id in range(1, 41):
            enter(world, player_id, 10 + (player_id * 7) % 60, 10 + (player_id * 13) % 60)
        world.compute_updates()
    for tick in range(200):
        moves = [(p, rng.choice(["UP", "DOWN", "LEFT", "RIGHT"])) for p in range(1, 41)
                 if rng.random() < 0.2]
        results = []
        for forgetful, world in enumerate(worlds):
            for player_id, direction in moves:
                try:
                    world.move(player_id, direction, now=tick * 0.6)
                except Exception:
                    pass
            world.step(tick * 0.6)
            if forgetful:
                world._settled.clear()
            results.append(updates_by_player(world.compute_updates()))
        assert results[0] == results[1]


def test_diff_work_skips_quiet_neighbourhoods():
    """Players whose 3x3 chunks saw no change are not looked at (their known set stays)."""
    world = make_world()
    enter(world, 1, 0, 0)
    enter(world, 2, 200, 200)
    world.compute_updates()
    far_known = world.player(2).known
    world.move(1, "RIGHT", now=1.0)
    got = updates_by_player(world.compute_updates())
    assert set(got) == {1}
    assert world.player(2).known is far_known


def test_clients_applying_diffs_match_the_world():
    """Over a seeded random run (moves, teleports, leaves, NPC changes), every client's
    picture built from the diffs equals a from-scratch view of the world."""
    rng = random.Random(7)
    maps = {"open": open_map(96, 96), "cave": open_map(40, 40, map_id="cave")}
    world = Engine(maps, start_map="open", rng=random.Random(1))
    clients = {}

    client_map = {}

    def join(player_id):
        world.add_player(character(player_id, rng.randrange(96), rng.randrange(96)), now=0.0)
        view = world.initial_view(player_id)
        clients[player_id] = {e["id"]: dict(e) for e in view["entities"]}
        client_map[player_id] = view["map_id"]

    for player_id in range(1, 16):
        join(player_id)
    for n in range(5):
        world.add_entity(NpcEntity(n, "rat", "Rat", "open", rng.randrange(96),
                                   rng.randrange(96), max_hp=3))
    now = 0.0
    for tick in range(300):
        now += 0.05
        for player_id in list(world.players):
            roll = rng.random()
            if roll < 0.3:
                try:
                    world.move(player_id, rng.choice(["UP", "DOWN", "LEFT", "RIGHT"]), now)
                except Exception:
                    pass
            elif roll < 0.305:
                world.teleport(player_id, rng.choice(["open", "cave"]), rng.randrange(40),
                               rng.randrange(40))
            elif roll < 0.308:
                world.remove_player(player_id)
                del clients[player_id]
        if rng.random() < 0.1:
            join(max(clients, default=0) + 1)
        npc = world.entities.get(f"npc_{rng.randrange(5)}")
        if npc is not None:
            world.set_field(npc, "current_hp", rng.randrange(4))
            world.place(npc, "open", rng.randrange(96), rng.randrange(96))
        world.step(now)
        for player_ids, payload in world.compute_updates():
            for player_id in player_ids:
                seen = clients[player_id]
                if payload["map_id"] != client_map.get(player_id):
                    seen.clear()  # a client drops the old map when the map changes
                    client_map[player_id] = payload["map_id"]
                for removed in payload["removed_entities"]:
                    del seen[removed if isinstance(removed, str) else f"player_{removed}"]
                for entity in payload["entities"]:
                    seen.setdefault(entity["id"], {}).update(entity)
        for player_id, seen in clients.items():
            player = world.player(player_id)
            truth = {e.id: e.full() for e in world.entities.values()
                     if e.map_id == player.map_id
                     and abs(e.chunk_key[1] - player.chunk_key[1]) <= 1
                     and abs(e.chunk_key[2] - player.chunk_key[2]) <= 1}
            assert seen == truth, f"tick {tick}, player {player_id}"
