"""
Tests for the chunk index, L{rpg.world.spatial}.
"""

import pytest

from rpg.world.entities import NpcEntity, PlayerEntity
from rpg.world.spatial import SpatialIndex, chunk_key


def player(player_id, x=0, y=0, map_id="m"):
    return PlayerEntity(player_id, f"p{player_id}", map_id, x, y)


def npc(number, x=0, y=0, map_id="m"):
    return NpcEntity(number, "goblin", "Goblin", map_id, x, y, max_hp=5)


def test_chunk_key_divides_by_sixteen():
    """A tile's chunk is (x // 16, y // 16) on its map."""
    assert chunk_key("m", 15, 16) == ("m", 0, 1)
    assert chunk_key("m", 33, 0) == ("m", 2, 0)


def test_neighbourhood_is_the_square_of_the_radius():
    """Radius 1 covers 3x3 chunks, radius 2 covers 5x5, both centred on the chunk."""
    assert set(SpatialIndex(1).neighbourhood(("m", 5, 5))) == {
        ("m", x, y) for x in (4, 5, 6) for y in (4, 5, 6)}
    assert len(SpatialIndex(2).neighbourhood(("m", 5, 5))) == 25
    assert SpatialIndex(0).neighbourhood(("m", 5, 5)) == (("m", 5, 5),)


def test_negative_radius_refused():
    """A negative view radius is a ValueError."""
    with pytest.raises(ValueError):
        SpatialIndex(-1)


def test_insert_indexes_entity_and_viewers():
    """Players are members and viewers of their chunk; NPCs only members."""
    index = SpatialIndex()
    p, n = player(1), npc(1)
    index.insert(p, ("m", 0, 0))
    index.insert(n, ("m", 0, 0))
    assert index.members[("m", 0, 0)] == {"player_1", "npc_1"}
    assert index.viewers[("m", 0, 0)] == {"player_1"}
    assert p.chunk_key == ("m", 0, 0)


def test_relocate_moves_between_chunks_and_marks_both_dirty():
    """Relocating leaves the old chunk (emptied chunks vanish) and dirties both."""
    index = SpatialIndex()
    p = player(1)
    index.insert(p, ("m", 0, 0))
    index.dirty.clear()
    index.relocate(p, ("m", 1, 0))
    assert ("m", 0, 0) not in index.members
    assert index.viewers[("m", 1, 0)] == {"player_1"}
    assert index.dirty == {("m", 0, 0), ("m", 1, 0)}


def test_remove_takes_entity_out():
    """A removed entity is in no chunk and has no chunk key."""
    index = SpatialIndex()
    p = player(1)
    index.insert(p, ("m", 0, 0))
    index.remove(p)
    assert index.members == {} and index.viewers == {}
    assert p.chunk_key is None


def test_visible_unions_the_neighbourhood():
    """What a chunk sees is everyone within the radius on the same map only."""
    index = SpatialIndex()
    index.insert(player(1), ("m", 0, 0))
    index.insert(npc(1), ("m", 1, 1))
    index.insert(player(2), ("m", 2, 0))
    index.insert(player(3, map_id="other"), ("other", 0, 0))
    assert index.visible(("m", 0, 0)) == {"player_1", "npc_1"}


def test_visible_keeps_identity_until_membership_changes():
    """The visible set is the same object until an entity enters or leaves the view."""
    index = SpatialIndex()
    index.insert(player(1), ("m", 0, 0))
    first = index.visible(("m", 0, 0))
    index.touch(("m", 0, 0))
    assert index.visible(("m", 0, 0)) is first
    index.insert(npc(1), ("m", 1, 1))
    second = index.visible(("m", 0, 0))
    assert second is not first and "npc_1" in second


def test_affected_centres_are_the_neighbourhoods_of_dirty_chunks():
    """A dirty chunk affects exactly the centres within the radius."""
    index = SpatialIndex()
    index.touch(("m", 3, 3))
    assert index.affected_centres() == set(index.neighbourhood(("m", 3, 3)))


def test_viewers_within_any_radius():
    """viewers_within finds the players in the square of the given radius."""
    index = SpatialIndex()
    index.insert(player(1), ("m", 0, 0))
    index.insert(player(2), ("m", 3, 0))
    index.insert(npc(1), ("m", 0, 0))
    assert sorted(index.viewers_within(("m", 0, 0), 1)) == ["player_1"]
    assert sorted(index.viewers_within(("m", 0, 0), 3)) == ["player_1", "player_2"]


def test_entered_lists_only_the_chunks_an_entity_came_into():
    """A relocation marks the new chunk entered (and both dirty); a touch marks nothing entered."""
    index = SpatialIndex(1)
    walker = player(1)
    index.insert(walker, ("m", 0, 0))
    index.dirty, index.entered = set(), set()
    index.touch(("m", 0, 0))
    assert index.entered == set()
    index.relocate(walker, ("m", 1, 0))
    assert index.entered == {("m", 1, 0)}
    assert index.dirty == {("m", 0, 0), ("m", 1, 0)}
