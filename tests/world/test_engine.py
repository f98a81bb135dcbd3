"""
Tests for the world engine, L{rpg.world.engine}: players, movement, time and
persistence marks.
"""

import random

import pytest

from rpg.models import ItemStack
from rpg.world.engine import Engine
from rpg.world.entities import EQUIPMENT_SLOTS, NpcEntity
from rpg.world.errors import InvalidDirection, MoveBlocked, MoveRateLimited, OutOfBounds
from rpg.world.skills import new_skills, xp_for_level

from .worldmaps import ascii_map, character, open_map

ROOM = ascii_map("""
    S....
    .#...
    .....
""", map_id="room")


def make_world(**kwargs):
    kwargs.setdefault("start_map", "room")
    return Engine({"room": ROOM, "open": open_map(64, 64)}, rng=random.Random(1), **kwargs)


def world_with(x, y, map_id="room", **kwargs):
    world = make_world(**kwargs)
    world.add_player(character(1, x, y, map_id=map_id), now=0.0)
    return world


# -- entering and leaving
def test_add_player_builds_public_fields():
    """A player entity carries exactly the public fields, from its character."""
    world = make_world()
    skills = new_skills()
    skills["hitpoints"] = xp_for_level(12)
    p = world.add_player(character(7, 2, 0, map_id="room", hp=9, skills=skills,
                                   facing="east"), now=0.0)
    assert p.full() == {
        "id": "player_7", "type": "player", "player_id": 7, "username": "p7",
        "x": 2, "y": 0, "facing_direction": "east", "animation_state": "idle",
        "current_hp": 9, "max_hp": 12,
        "visual_state": {"equipment": {slot: None for slot in EQUIPMENT_SLOTS}}}


def test_visual_for_is_injected():
    """The injected visual_for turns the equipment into visual_state."""
    def visual_for(equipment):
        return {"equipment": {slot: ({"item_id": s.item_id, "sprite_id": f"s{s.item_id}"}
                                     if (s := equipment.get(slot)) else None)
                              for slot in EQUIPMENT_SLOTS}}
    world = make_world(visual_for=visual_for)
    p = world.add_player(character(1, 0, 0, map_id="room",
                                   equipment={"weapon": ItemStack(5)}), now=0.0)
    assert p.visual_state["equipment"]["weapon"] == {"item_id": 5, "sprite_id": "s5"}
    assert p.visual_state["equipment"]["body"] is None


def test_add_player_twice_refused():
    """A player already in the world cannot be added again."""
    world = world_with(0, 0)
    with pytest.raises(ValueError):
        world.add_player(character(1, 0, 0, map_id="room"), now=1.0)


@pytest.mark.parametrize("map_id, x, y", [("nowhere", 1, 1), ("room", 9, 0),
                                          ("room", 1, 1), ("room", -1, 0)])
def test_unusable_place_goes_to_spawn(map_id, x, y):
    """An unknown map, an off-map or a blocked tile puts the player at the start spawn, unsaved."""
    world = make_world()
    p = world.add_player(character(1, x, y, map_id=map_id), now=0.0)
    assert (p.map_id, p.x, p.y) == ("room", 0, 0)
    assert p.placed_at_spawn
    assert world.dirty_player_ids() == {1}


def test_usable_place_kept():
    """A valid saved place is kept and nothing is marked unsaved."""
    world = world_with(10, 20, map_id="open")
    p = world.player(1)
    assert (p.map_id, p.x, p.y, p.placed_at_spawn) == ("open", 10, 20, False)
    assert world.dirty_player_ids() == set()


def test_remove_player_returns_state():
    """remove_player returns the current state and forgets the player."""
    world = world_with(0, 0)
    world.move(1, "RIGHT", now=1.0)
    state = world.remove_player(1)
    assert (state.map_id, state.x, state.y, state.facing) == ("room", 1, 0, "east")
    assert world.player(1) is None and "player_1" not in world.entities
    assert world.dirty_player_ids() == set()


def test_character_state_is_a_copy():
    """Changing the live player afterwards leaves a taken state untouched."""
    world = make_world()
    world.add_player(character(1, 0, 0, map_id="room", skills={"attack": 5},
                               inventory={0: ItemStack(3, 2)},
                               equipment={"weapon": ItemStack(5)}), now=0.0)
    state = world.character_state(1)
    live = world.player(1)
    live.skills["attack"] = 99
    live.inventory[0].quantity = 50
    live.inventory[1] = ItemStack(4)
    live.equipment["weapon"].item_id = 6
    world.move(1, "DOWN", now=1.0)
    assert state.skills == {"attack": 5}
    assert state.inventory == {0: ItemStack(3, 2)}
    assert state.equipment == {"weapon": ItemStack(5)}
    assert (state.x, state.y) == (0, 0)


def test_added_player_does_not_alias_the_character():
    """The world copies the character it is given."""
    world = make_world()
    saved = character(1, 0, 0, map_id="room", inventory={0: ItemStack(3, 2)})
    world.add_player(saved, now=0.0)
    world.player(1).inventory[0].quantity = 9
    assert saved.inventory[0].quantity == 2


# -- movement
@pytest.mark.parametrize("direction, target, facing", [
    ("DOWN", (3, 2), "south"), ("UP", (3, 0), "north"),
    ("LEFT", (2, 1), "west"), ("RIGHT", (4, 1), "east")])
def test_move_one_tile_and_face(direction, target, facing):
    """Each direction moves one tile (y grows downward) and sets the facing."""
    world = world_with(3, 1)
    world.move(1, direction, now=1.0)
    p = world.player(1)
    assert (p.x, p.y) == target
    assert p.facing_direction == facing


def test_move_payload_as_spec():
    """A successful move returns new and old positions and no collision."""
    world = world_with(2, 1)
    assert world.move(1, "DOWN", now=12.5) == {
        "new_position": {"x": 2, "y": 2, "map_id": "room", "player_id": 1,
                         "timestamp": 12.5},
        "old_position": {"x": 2, "y": 1, "map_id": "room"},
        "collision": False}


@pytest.mark.parametrize("direction", ["up", "Up", "", "NORTH", None, 5, ["UP"], {"UP": 1}])
def test_invalid_direction(direction):
    """Anything but the four exact upper-case names is InvalidDirection."""
    world = world_with(2, 1)
    with pytest.raises(InvalidDirection):
        world.move(1, direction, now=1.0)
    assert (world.player(1).x, world.player(1).y) == (2, 1)


def test_off_the_edge_is_out_of_bounds():
    """Stepping off the map raises OutOfBounds with the current position."""
    world = world_with(0, 0)
    with pytest.raises(OutOfBounds) as caught:
        world.move(1, "UP", now=1.0)
    assert caught.value.details == {"current_position": {"x": 0, "y": 0, "map_id": "room"}}


def test_blocked_tile_is_collision():
    """A blocked tile raises MoveBlocked with reason, position and collision."""
    world = world_with(1, 0)
    with pytest.raises(MoveBlocked) as caught:
        world.move(1, "DOWN", now=1.0)
    assert caught.value.details == {
        "reason": "collision", "current_position": {"x": 1, "y": 0, "map_id": "room"},
        "collision": True}
    p = world.player(1)
    assert (p.x, p.y, p.facing_direction) == (1, 0, "south")


def test_other_entities_do_not_block():
    """A player may step onto a tile with another player or an NPC."""
    world = world_with(2, 0)
    world.add_player(character(2, 3, 0, map_id="room"), now=0.0)
    world.add_entity(NpcEntity(1, "goblin", "Goblin", "room", 3, 1, max_hp=5))
    world.move(1, "RIGHT", now=1.0)
    world.move(1, "DOWN", now=2.0)
    assert (world.player(1).x, world.player(1).y) == (3, 1)


def test_cooldown_with_retry_after():
    """A move within the cooldown is refused with the whole ms left, rounded up."""
    world = world_with(2, 1)
    world.move(1, "RIGHT", now=10.0)
    with pytest.raises(MoveRateLimited) as caught:
        world.move(1, "RIGHT", now=10.1234)
    assert caught.value.details == {"retry_after_ms": 377}


def test_retry_after_at_least_one():
    """A fraction of a millisecond left is retry_after_ms 1."""
    world = world_with(2, 1)
    world.move(1, "RIGHT", now=10.0)
    with pytest.raises(MoveRateLimited) as caught:
        world.move(1, "RIGHT", now=10.4999)
    assert caught.value.details == {"retry_after_ms": 1}


def test_move_allowed_exactly_at_cooldown_with_epoch_times():
    """With epoch-sized clocks, a move exactly one cooldown later is allowed."""
    world = world_with(2, 1)
    start = 1706832000.123
    world.move(1, "RIGHT", now=start)
    world.move(1, "RIGHT", now=start + 0.5)
    assert world.player(1).x == 4


def test_refused_move_does_not_restart_cooldown():
    """The cooldown runs from the last successful move, not from refusals."""
    world = world_with(2, 1)
    world.move(1, "RIGHT", now=10.0)
    with pytest.raises(MoveRateLimited):
        world.move(1, "RIGHT", now=10.4)
    world.move(1, "RIGHT", now=10.5)
    assert world.player(1).x == 4


def test_blocked_move_does_not_start_cooldown():
    """A move into a wall leaves the player free to move at once."""
    world = world_with(1, 0)
    with pytest.raises(MoveBlocked):
        world.move(1, "DOWN", now=10.0)
    world.move(1, "RIGHT", now=10.01)
    assert world.player(1).x == 2


def test_cooldown_is_configurable():
    """move_cooldown_ms sets the time between moves."""
    world = world_with(2, 1, move_cooldown_ms=100)
    world.move(1, "RIGHT", now=10.0)
    with pytest.raises(MoveRateLimited) as caught:
        world.move(1, "RIGHT", now=10.05)
    assert caught.value.details == {"retry_after_ms": 50}
    world.move(1, "RIGHT", now=10.1)


def test_move_clears_attack_target_and_calls_listeners():
    """Moving sets combat_target to None and calls each move listener with the move's time."""
    world = world_with(2, 1)
    seen = []
    world.add_move_listener(lambda w, p, now: seen.append((p.player_id, p.x, now)))
    world.player(1).combat_target = "npc_1"
    world.move(1, "RIGHT", now=1.0)
    assert world.player(1).combat_target is None
    assert seen == [(1, 3, 1.0)]


def test_walking_then_idle_after_a_cooldown():
    """A move makes the player walk; a cooldown later without moving, step makes it idle."""
    world = world_with(2, 1)
    world.move(1, "RIGHT", now=10.0)
    assert world.player(1).animation_state == "walking"
    world.step(10.45)
    assert world.player(1).animation_state == "walking"
    world.step(10.5)
    assert world.player(1).animation_state == "idle"


def test_keeps_walking_while_moving():
    """A player who moved again stays walking until a cooldown after its last move."""
    world = world_with(0, 2)
    world.move(1, "RIGHT", now=10.0)
    world.move(1, "RIGHT", now=10.5)
    world.step(10.5)
    assert world.player(1).animation_state == "walking"
    world.step(11.0)
    assert world.player(1).animation_state == "idle"


# -- fields and persistence marks
def test_set_field_marks_only_real_changes():
    """set_field reports and marks a change only when the value differs."""
    world = world_with(2, 1)
    p = world.player(1)
    world.compute_updates()
    assert world.set_field(p, "current_hp", 10) is False
    assert p.changed == {}
    assert world.set_field(p, "current_hp", 7) is True
    assert list(p.changed) == ["current_hp"]


def test_moves_and_hp_mark_unsaved_until_saved():
    """Persisted changes mark the player unsaved; mark_saved clears; mark_unsaved re-marks."""
    world = world_with(2, 1)
    world.add_player(character(2, 0, 0, map_id="room"), now=0.0)
    world.move(1, "RIGHT", now=1.0)
    world.set_field(world.player(2), "current_hp", 3)
    assert world.dirty_player_ids() == {1, 2}
    world.mark_saved([1, 2])
    assert world.dirty_player_ids() == set()
    world.set_field(world.player(1), "animation_state", "attacking")
    assert world.dirty_player_ids() == set()
    world.mark_unsaved([2, 99])
    assert world.dirty_player_ids() == {2}


def test_teleport_changes_map_and_marks_unsaved():
    """teleport moves a player to another map and marks it unsaved."""
    world = world_with(2, 1)
    world.teleport(1, "open", 40, 40)
    p = world.player(1)
    assert (p.map_id, p.x, p.y, p.chunk_key) == ("open", 40, 40, ("open", 2, 2))
    assert world.dirty_player_ids() == {1}


def test_teleport_onto_a_wall_refused():
    """teleport refuses a blocked tile or an unknown map."""
    world = world_with(2, 1)
    with pytest.raises(ValueError):
        world.teleport(1, "room", 1, 1)
    with pytest.raises(ValueError):
        world.teleport(1, "nowhere", 0, 0)


def test_unknown_start_map_refused():
    """A world whose start map is not loaded cannot be built."""
    with pytest.raises(ValueError):
        Engine({"room": ROOM}, start_map="elsewhere")


def test_players_near_and_observers_of_tile():
    """players_near and observers_of_tile find players by chunk distance on the map."""
    world = make_world()
    world.add_player(character(1, 0, 0), now=0.0)
    world.add_player(character(2, 20, 0), now=0.0)
    world.add_player(character(3, 50, 0), now=0.0)
    assert sorted(world.players_near(1, 1)) == [1, 2]
    assert sorted(world.players_near(1, 3)) == [1, 2, 3]
    assert sorted(world.observers_of_tile("open", 40, 0)) == [2, 3]


def test_cooldown_runs_on_arrival_times_not_tick_times():
    """received_at, not the tick's now, is what the cooldown measures."""
    world = world_with(2, 1)
    world.move(1, "RIGHT", now=10.05, received_at=10.0)
    world.move(1, "LEFT", now=10.50, received_at=10.5)
    with pytest.raises(MoveRateLimited) as caught:
        world.move(1, "RIGHT", now=11.10, received_at=10.9)
    assert caught.value.details == {"retry_after_ms": 100}


def test_an_early_move_within_the_tolerance_passes_and_keeps_the_schedule():
    """With a 50 ms tolerance a move 460 ms after the last passes, and the next is due 500 ms after 460 ms's due time."""
    world = world_with(2, 1, move_cooldown_tolerance_ms=50)
    world.move(1, "RIGHT", now=10.0)
    world.move(1, "LEFT", now=10.46)
    with pytest.raises(MoveRateLimited) as caught:
        world.move(1, "RIGHT", now=10.90)
    assert caught.value.details == {"retry_after_ms": 50}  # due 11.0, 50 ms early is 10.95
    world.move(1, "RIGHT", now=10.95)
