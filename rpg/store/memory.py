"""
L{IPlayerStore} in memory: the embedded store for one process and for fast
tests.  It keeps the same promises as the SQL store, including that what a
caller hands in or gets back is a copy, never the stored state itself.
"""

import copy

from twisted.internet.defer import fail, succeed
from zope.interface import implementer

from rpg.interfaces import (
    IAccountAdmin, IMapStore, IPlayerStore, PlayerOnline, StaleEpoch, UnknownAccount,
    UsernameTaken)
from rpg.models import Account, AdminAction
from rpg.store import fencing
from rpg.store.migrations import LATEST_VERSION


def _deferred(function):
    """Run C{function} now; its result or exception becomes a fired Deferred."""

    def wrapper(*args, **kwargs):
        try:
            return succeed(function(*args, **kwargs))
        except Exception:
            return fail()

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


@implementer(IPlayerStore, IAccountAdmin, IMapStore)
class MemoryPlayerStore:
    """
    Accounts, characters, ground items, online records and map epochs in
    dicts.

    @param clock: an C{IReactorTime} for online-record expiry; the reactor
        by default.
    """

    def __init__(self, clock=None):
        if clock is None:
            from twisted.internet import reactor as clock
        self._clock = clock
        self._accounts = {}  # username_lower -> Account
        self._characters = {}  # player_id -> CharacterState
        self._ground_items = {}  # ground_item_id -> GroundItemState
        self._next_ground_item = 1
        self._epochs = {}  # map_id -> installed epoch
        self._online = {}  # player_id -> (server_id, expires_at)
        self._next_player_id = 1
        self._admin_actions = []

    def _account_by_id(self, player_id):
        for account in self._accounts.values():
            if account.player_id == player_id:
                return account
        return None

    def _online_server(self, player_id):
        record = self._online.get(player_id)
        if record is None or record[1] <= self._clock.seconds():
            return None
        return record[0]

    def _store_character(self, character):
        stored = copy.deepcopy(character)
        account = self._account_by_id(stored.player_id)
        if account is not None:
            stored.username = account.username
        self._characters[stored.player_id] = stored

    @_deferred
    def migrate(self):
        return LATEST_VERSION

    @_deferred
    def create_account(self, username, password_hash, character):
        key = username.lower()
        if key in self._accounts:
            raise UsernameTaken(username)
        account = Account(self._next_player_id, username, password_hash)
        self._next_player_id += 1
        self._accounts[key] = account
        character = copy.deepcopy(character)
        character.player_id = account.player_id
        character.username = username
        self._store_character(character)
        return copy.copy(account)

    @_deferred
    def get_account(self, username):
        account = self._accounts.get(username.lower())
        return None if account is None else copy.copy(account)

    def _account(self, username):
        account = self._accounts.get(username.lower())
        if account is None:
            raise UnknownAccount(username)
        return account

    @_deferred
    def set_role(self, username, role):
        self._account(username).role = role

    @_deferred
    def set_banned(self, username, banned):
        self._account(username).banned = bool(banned)

    @_deferred
    def load_character(self, player_id):
        return copy.deepcopy(self._characters.get(player_id))

    @_deferred
    def save_snapshot(self, snapshot):
        # Every check comes before the first change: a refused snapshot
        # writes nothing, as the SQL store's rolled-back transaction.
        fencing.check_ground_items(snapshot)
        if snapshot.epochs:
            stored_maps = {c.player_id: self._characters[c.player_id].map_id
                           for c in snapshot.characters if c.player_id in self._characters}
            fencing.check_epochs(snapshot, stored_maps, self._epochs)
        if snapshot.ground_items is not None:
            items = self._replaced_ground_items(snapshot)
        for character in snapshot.characters:
            self._store_character(character)
        if snapshot.ground_items is not None:
            self._ground_items = items
            if items:
                self._next_ground_item = max(self._next_ground_item, max(items) + 1)
        for player_id, server_id in snapshot.released:
            record = self._online.get(player_id)
            if record is not None and record[0] == server_id:
                del self._online[player_id]

    def _replaced_ground_items(self, snapshot):
        """The whole set once C{snapshot}'s maps are replaced."""
        maps = snapshot.ground_item_maps
        items = {} if maps is None else {
            number: item for number, item in self._ground_items.items()
            if item.map_id not in maps}
        for item in snapshot.ground_items:
            if item.ground_item_id in items:
                raise ValueError(
                    f"ground item number {item.ground_item_id} is held by another item")
            items[item.ground_item_id] = copy.deepcopy(item)
        return items

    @_deferred
    def load_ground_items(self, map_ids=None):
        items = [self._ground_items[number] for number in sorted(self._ground_items)]
        if map_ids is not None:
            items = [item for item in items if item.map_id in map_ids]
        return copy.deepcopy(items)

    # -- IMapStore

    @_deferred
    def install_epoch(self, map_id, epoch):
        current = self._epochs.get(map_id)
        if current is not None and current >= epoch:
            raise StaleEpoch(map_id, epoch, current)
        self._epochs[map_id] = epoch

    @_deferred
    def map_epochs(self, map_ids):
        return {m: self._epochs[m] for m in map_ids if m in self._epochs}

    @_deferred
    def reserve_ground_item_ids(self, count):
        if count < 1:
            raise ValueError(f"cannot reserve {count} ground item numbers")
        first = self._next_ground_item
        self._next_ground_item += count
        return range(first, first + count)

    @_deferred
    def mark_online(self, player_ids, server_id, ttl_seconds):
        expires_at = self._clock.seconds() + ttl_seconds
        for player_id in player_ids:
            self._online[player_id] = (server_id, expires_at)

    @_deferred
    def online_server(self, player_id):
        return self._online_server(player_id)

    @_deferred
    def update_offline_character(self, username, change):
        account = self._account(username)
        server_id = self._online_server(account.player_id)
        if server_id is not None:
            raise PlayerOnline(f"{account.username} is online on {server_id}")
        if account.player_id not in self._characters:
            raise UnknownAccount(username)
        character = copy.deepcopy(self._characters[account.player_id])
        change(character)
        character.player_id = account.player_id
        self._store_character(character)
        return copy.deepcopy(character)

    @_deferred
    def change_account(self, username, role=None, banned=None, password_hash=None,
                       bump_token=False, action=None, reason=""):
        account = self._account(username)
        if role is not None:
            account.role = role
        if banned is not None:
            account.banned = bool(banned)
        if password_hash is not None:
            account.password_hash = password_hash
        if bump_token:
            account.token_version += 1
        server_id = None
        if action is not None:
            server_id = self._online_server(account.player_id)
            if server_id is not None:
                last = self._admin_actions[-1].action_id if self._admin_actions else 0
                self._admin_actions.append(
                    AdminAction(last + 1, account.player_id, action, reason))
        return copy.copy(account), server_id

    @_deferred
    def admin_actions(self, after_id):
        return [a for a in self._admin_actions if a.action_id > after_id]

    @_deferred
    def last_admin_action(self):
        return self._admin_actions[-1].action_id if self._admin_actions else 0

    @_deferred
    def online_players_by_map(self):
        found = {}
        for player_id in self._online:
            character = self._characters.get(player_id)
            if character is not None and self._online_server(player_id) is not None:
                found.setdefault(character.map_id, []).append(character.username)
        return {map_id: sorted(names, key=str.lower) for map_id, names in sorted(found.items())}

    @_deferred
    def close(self):
        return None
