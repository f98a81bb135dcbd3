"""
The contract every IPlayerStore keeps, run against each implementation.
"""

import pytest
import pytest_twisted
from zope.interface.verify import verifyObject

from rpg.interfaces import IAccountAdmin, IPlayerStore, PlayerOnline, UnknownAccount, UsernameTaken
from rpg.models import CharacterState, GroundItemState, ItemStack, WorldSnapshot
from rpg.store.migrations import LATEST_VERSION


def new_character(**changes):
    character = CharacterState(
        player_id=0,
        username="",
        map_id="town",
        x=5,
        y=7,
        facing="south",
        hp=10,
        skills={"attack": 0, "hitpoints": 1154},
        inventory={0: ItemStack(995, 25), 3: ItemStack(1277)},
        equipment={},
    )
    for name, value in changes.items():
        setattr(character, name, value)
    return character


def ground_item(ground_item_id, **changes):
    item = GroundItemState(
        ground_item_id=ground_item_id,
        item_id=526,
        quantity=1,
        map_id="town",
        x=3,
        y=4,
        owner_id=None,
        public_at=1700000000.25,
        despawn_at=1700000120.5,
    )
    for name, value in changes.items():
        setattr(item, name, value)
    return item


async def register(store, username="Alice", **changes):
    return await store.create_account(username, "hash-" + username, new_character(**changes))


def test_provides_interface(any_store):
    """The store fully implements IPlayerStore."""
    assert verifyObject(IPlayerStore, any_store)


@pytest_twisted.ensureDeferred
async def test_create_account_returns_new_account(any_store):
    """A new account is a player, not banned, with the hash it was given."""
    account = await register(any_store, "Alice")
    assert account.username == "Alice"
    assert account.password_hash == "hash-Alice"
    assert account.role == "player"
    assert account.banned is False
    assert isinstance(account.player_id, int)


@pytest_twisted.ensureDeferred
async def test_player_ids_are_distinct(any_store):
    """Each account gets its own player id."""
    alice = await register(any_store, "Alice")
    bob = await register(any_store, "Bob")
    assert alice.player_id != bob.player_id


@pytest_twisted.ensureDeferred
async def test_get_account_is_case_insensitive(any_store):
    """Lookup ignores case and returns the username as registered."""
    created = await register(any_store, "Alice")
    found = await any_store.get_account("aLICE")
    assert found == created


@pytest_twisted.ensureDeferred
async def test_get_unknown_account_is_none(any_store):
    """An unknown username gives None."""
    assert await any_store.get_account("nobody") is None


@pytest_twisted.ensureDeferred
async def test_username_taken_in_any_case(any_store):
    """A username differing only in case is refused and nothing is created."""
    await register(any_store, "Alice")
    with pytest.raises(UsernameTaken):
        await register(any_store, "ALICE")
    assert (await any_store.get_account("alice")).username == "Alice"


@pytest_twisted.ensureDeferred
async def test_character_round_trip(any_store):
    """The first character comes back whole, with the new id and username."""
    account = await register(
        any_store,
        "Alice",
        equipment={"weapon": ItemStack(1277), "ammo": ItemStack(882, 50)},
        facing="west",
        hp=7,
    )
    character = await any_store.load_character(account.player_id)
    assert character == new_character(
        player_id=account.player_id,
        username="Alice",
        equipment={"weapon": ItemStack(1277), "ammo": ItemStack(882, 50)},
        facing="west",
        hp=7,
    )


@pytest_twisted.ensureDeferred
async def test_load_unknown_character_is_none(any_store):
    """A player id without a character gives None."""
    assert await any_store.load_character(424242) is None


@pytest_twisted.ensureDeferred
async def test_set_role(any_store):
    """set_role changes the role, case-insensitively by username."""
    await register(any_store, "Alice")
    await any_store.set_role("alice", "moderator")
    assert (await any_store.get_account("Alice")).role == "moderator"


@pytest_twisted.ensureDeferred
async def test_ban_and_unban(any_store):
    """set_banned bans and unbans."""
    await register(any_store, "Alice")
    await any_store.set_banned("Alice", True)
    assert (await any_store.get_account("Alice")).banned is True
    await any_store.set_banned("Alice", False)
    assert (await any_store.get_account("Alice")).banned is False


@pytest_twisted.ensureDeferred
async def test_account_changes_refuse_unknown_user(any_store):
    """set_role and set_banned fail with UnknownAccount for a missing user."""
    with pytest.raises(UnknownAccount):
        await any_store.set_role("nobody", "admin")
    with pytest.raises(UnknownAccount):
        await any_store.set_banned("nobody", True)


@pytest_twisted.ensureDeferred
async def test_snapshot_replaces_character_state(any_store):
    """A snapshot replaces position, skills, inventory and equipment."""
    account = await register(any_store, "Alice", equipment={"head": ItemStack(1139)})
    saved = new_character(
        player_id=account.player_id,
        username="Alice",
        map_id="cave",
        x=1,
        y=2,
        facing="north",
        hp=3,
        skills={"attack": 83},
        inventory={27: ItemStack(379, 2)},
        equipment={"weapon": ItemStack(1277)},
    )
    await any_store.save_snapshot(WorldSnapshot(characters=[saved]))
    assert await any_store.load_character(account.player_id) == saved


@pytest_twisted.ensureDeferred
async def test_snapshot_saves_many_characters(any_store):
    """Every character of a snapshot is written."""
    alice = await register(any_store, "Alice")
    bob = await register(any_store, "Bob")
    moved = [
        new_character(player_id=alice.player_id, username="Alice", x=11),
        new_character(player_id=bob.player_id, username="Bob", x=22),
    ]
    await any_store.save_snapshot(WorldSnapshot(characters=moved))
    assert (await any_store.load_character(alice.player_id)).x == 11
    assert (await any_store.load_character(bob.player_id)).x == 22


@pytest_twisted.ensureDeferred
async def test_ground_items_round_trip(any_store):
    """Ground items come back as saved, owner and epoch times included."""
    items = [ground_item(2, owner_id=None), ground_item(1, owner_id=7, quantity=30)]
    await any_store.save_snapshot(WorldSnapshot(ground_items=items))
    assert await any_store.load_ground_items() == [items[1], items[0]]


@pytest_twisted.ensureDeferred
async def test_snapshot_replaces_all_ground_items(any_store):
    """A snapshot's ground items replace the stored set; an empty list clears it."""
    await any_store.save_snapshot(WorldSnapshot(ground_items=[ground_item(1), ground_item(2)]))
    await any_store.save_snapshot(WorldSnapshot(ground_items=[ground_item(3)]))
    assert await any_store.load_ground_items() == [ground_item(3)]
    await any_store.save_snapshot(WorldSnapshot(ground_items=[]))
    assert await any_store.load_ground_items() == []


@pytest_twisted.ensureDeferred
async def test_snapshot_without_ground_items_keeps_them(any_store):
    """ground_items=None leaves the stored ground items alone."""
    await any_store.save_snapshot(WorldSnapshot(ground_items=[ground_item(1)]))
    await any_store.save_snapshot(WorldSnapshot(ground_items=None))
    assert await any_store.load_ground_items() == [ground_item(1)]


@pytest_twisted.ensureDeferred
async def test_stored_state_is_a_copy(any_store):
    """Mutating what was saved or loaded does not change the stored state."""
    account = await register(any_store, "Alice")
    loaded = await any_store.load_character(account.player_id)
    loaded.inventory[0].quantity = 1
    loaded.skills["attack"] = 999
    saved = new_character(player_id=account.player_id, username="Alice")
    items = [ground_item(1)]
    await any_store.save_snapshot(WorldSnapshot(characters=[saved], ground_items=items))
    saved.x = 42
    saved.inventory[0].quantity = 2
    items[0].quantity = 99
    items.append(ground_item(2))
    again = await any_store.load_character(account.player_id)
    assert again.inventory[0] == ItemStack(995, 25)
    assert (again.x, again.skills["attack"]) == (5, 0)
    assert await any_store.load_ground_items() == [ground_item(1)]


@pytest_twisted.ensureDeferred
async def test_online_record(any_store):
    """mark_online records the server; an unmarked player has none."""
    await any_store.mark_online([1, 2], "server-a", 30)
    assert await any_store.online_server(1) == "server-a"
    assert await any_store.online_server(2) == "server-a"
    assert await any_store.online_server(3) is None


@pytest_twisted.ensureDeferred
async def test_online_record_expires(any_store, store_clock):
    """An online record lapses ttl_seconds after it was last refreshed."""
    await any_store.mark_online([1], "server-a", 30)
    store_clock.advance(20)
    await any_store.mark_online([1], "server-a", 30)
    store_clock.advance(20)
    assert await any_store.online_server(1) == "server-a"
    store_clock.advance(10)
    assert await any_store.online_server(1) is None


@pytest_twisted.ensureDeferred
async def test_mark_online_moves_player(any_store):
    """Marking a player on another server replaces the old record."""
    await any_store.mark_online([1], "server-a", 30)
    await any_store.mark_online([1], "server-b", 30)
    assert await any_store.online_server(1) == "server-b"


@pytest_twisted.ensureDeferred
async def test_snapshot_releases_online_records(any_store):
    """Released (player, server) pairs are removed; another server's record stays."""
    await any_store.mark_online([1], "server-a", 30)
    await any_store.mark_online([2], "server-b", 30)
    await any_store.save_snapshot(
        WorldSnapshot(released=[(1, "server-a"), (2, "server-a")])
    )
    assert await any_store.online_server(1) is None
    assert await any_store.online_server(2) == "server-b"


@pytest_twisted.ensureDeferred
async def test_update_offline_character(any_store):
    """The change is applied, saved, and the changed character returned."""
    account = await register(any_store, "Alice")

    def teleport(character):
        character.map_id, character.x, character.y = "cave", 9, 8
        character.inventory[5] = ItemStack(379, 3)

    changed = await any_store.update_offline_character("ALICE", teleport)
    loaded = await any_store.load_character(account.player_id)
    assert loaded == changed
    assert (loaded.map_id, loaded.x, loaded.y) == ("cave", 9, 8)
    assert loaded.inventory[5] == ItemStack(379, 3)
    assert loaded.username == "Alice"


@pytest_twisted.ensureDeferred
async def test_update_offline_refused_while_online(any_store):
    """An online player's character is not changed: PlayerOnline."""
    account = await register(any_store, "Alice")
    await any_store.mark_online([account.player_id], "server-a", 30)
    with pytest.raises(PlayerOnline):
        await any_store.update_offline_character("Alice", lambda c: setattr(c, "x", 99))
    assert (await any_store.load_character(account.player_id)).x == 5


@pytest_twisted.ensureDeferred
async def test_update_offline_allowed_after_expiry(any_store, store_clock):
    """An expired online record (a crashed server) no longer blocks a change."""
    account = await register(any_store, "Alice")
    await any_store.mark_online([account.player_id], "server-a", 30)
    store_clock.advance(31)
    await any_store.update_offline_character("Alice", lambda c: setattr(c, "x", 99))
    assert (await any_store.load_character(account.player_id)).x == 99


@pytest_twisted.ensureDeferred
async def test_update_offline_aborts_when_change_raises(any_store):
    """A change that raises leaves the character as it was and fails with its error."""
    account = await register(any_store, "Alice")

    def half_done(character):
        character.x = 99
        character.inventory.clear()
        raise LookupError("no room")

    with pytest.raises(LookupError, match="no room"):
        await any_store.update_offline_character("Alice", half_done)
    loaded = await any_store.load_character(account.player_id)
    assert loaded == new_character(player_id=account.player_id, username="Alice")


@pytest_twisted.ensureDeferred
async def test_update_offline_unknown_user(any_store):
    """An unknown username fails with UnknownAccount."""
    with pytest.raises(UnknownAccount):
        await any_store.update_offline_character("nobody", lambda c: None)


@pytest_twisted.ensureDeferred
async def test_migrate_is_idempotent(any_store):
    """Migrating again keeps the version and the data."""
    await register(any_store, "Alice")
    assert await any_store.migrate() == LATEST_VERSION
    assert await any_store.migrate() == LATEST_VERSION
    assert (await any_store.get_account("alice")).username == "Alice"


# -- IAccountAdmin: operators' changes and the queue of actions


def test_provides_account_admin(any_store):
    """The store fully implements IAccountAdmin."""
    assert verifyObject(IAccountAdmin, any_store)


@pytest_twisted.ensureDeferred
async def test_change_account_applies_changes_and_bumps_token_version(any_store):
    """Given columns change, others stay; bump_token adds one to the token version."""
    await register(any_store, "Alice")
    account, server_id = await any_store.change_account(
        "alice", role="moderator", password_hash="new-hash", bump_token=True)
    assert (account.role, account.password_hash, account.banned) == ("moderator", "new-hash", False)
    assert account.token_version == 1 and server_id is None
    stored = await any_store.get_account("Alice")
    assert stored == account
    account, _ = await any_store.change_account("Alice", banned=True, bump_token=True)
    assert (account.banned, account.role, account.token_version) == (True, "moderator", 2)


@pytest_twisted.ensureDeferred
async def test_change_account_queues_action_only_for_online_player(any_store):
    """An action is queued, with the holding server returned, only while the player is online."""
    alice = await register(any_store, "Alice")
    assert await any_store.last_admin_action() == 0
    _, server_id = await any_store.change_account("Alice", action="kick", reason="bye")
    assert server_id is None
    assert await any_store.admin_actions(0) == []
    await any_store.mark_online([alice.player_id], "server-a", 30)
    _, server_id = await any_store.change_account("Alice", banned=True, action="kick",
                                                  reason="spam")
    assert server_id == "server-a"
    _, _ = await any_store.change_account("Alice", role="admin", action="refresh")
    actions = await any_store.admin_actions(0)
    assert [(a.player_id, a.action, a.reason) for a in actions] == [
        (alice.player_id, "kick", "spam"), (alice.player_id, "refresh", "")]
    assert await any_store.last_admin_action() == actions[1].action_id
    assert await any_store.admin_actions(actions[0].action_id) == [actions[1]]


@pytest_twisted.ensureDeferred
async def test_change_account_unknown_user(any_store):
    """An unknown username fails with UnknownAccount and queues nothing."""
    with pytest.raises(UnknownAccount):
        await any_store.change_account("nobody", banned=True, action="kick")
    assert await any_store.admin_actions(0) == []
