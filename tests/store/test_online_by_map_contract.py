"""
The operators' view of who is online where (IAccountAdmin.online_players_by_map),
run against each store: memory, SQLite and PostgreSQL.
"""

import pytest_twisted

from rpg.models import WorldSnapshot
from tests.store.test_contract import register


@pytest_twisted.ensureDeferred
async def test_nobody_online_is_an_empty_map(any_store):
    """With no online record, no map is listed, even those characters stand on."""
    await register(any_store, "Alice")
    assert await any_store.online_players_by_map() == {}


@pytest_twisted.ensureDeferred
async def test_online_players_are_listed_by_their_characters_map(any_store):
    """Each online player is listed once, on its character's map, names sorted case-insensitively."""
    alice = await register(any_store, "alice", map_id="town")
    bob = await register(any_store, "Bob", map_id="cave")
    carol = await register(any_store, "Carol", map_id="town")
    await register(any_store, "Dave", map_id="town")  # offline
    await any_store.mark_online([carol.player_id, bob.player_id], "server-a", 30)
    await any_store.mark_online([alice.player_id], "server-b", 30)
    assert await any_store.online_players_by_map() == {
        "cave": ["Bob"], "town": ["alice", "Carol"]}


@pytest_twisted.ensureDeferred
async def test_expired_and_released_records_do_not_count(any_store, store_clock):
    """A record past its expiry, or released by a save, no longer counts the player."""
    alice = await register(any_store, "Alice")
    bob = await register(any_store, "Bob")
    carol = await register(any_store, "Carol")
    await any_store.mark_online([alice.player_id], "server-a", 10)
    await any_store.mark_online([bob.player_id, carol.player_id], "server-a", 30)
    await any_store.save_snapshot(WorldSnapshot(released=[(carol.player_id, "server-a")]))
    assert await any_store.online_players_by_map() == {"town": ["Alice", "Bob"]}
    store_clock.advance(10)
    assert await any_store.online_players_by_map() == {"town": ["Bob"]}


@pytest_twisted.ensureDeferred
async def test_a_saved_map_change_moves_the_player(any_store):
    """A snapshot that puts the character on another map lists the player there."""
    alice = await register(any_store, "Alice")
    await any_store.mark_online([alice.player_id], "server-a", 30)
    character = await any_store.load_character(alice.player_id)
    character.map_id = "cave"
    await any_store.save_snapshot(WorldSnapshot(characters=[character]))
    assert await any_store.online_players_by_map() == {"cave": ["Alice"]}


@pytest_twisted.ensureDeferred
async def test_an_online_record_without_an_account_is_not_listed(any_store):
    """Online records are presence, not player data: one for an unknown player id lists nothing."""
    await any_store.mark_online([999], "server-a", 30)
    assert await any_store.online_players_by_map() == {}
