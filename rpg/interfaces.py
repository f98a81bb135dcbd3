"""
The roles that rpg's parts play for one another.

Every method that may wait returns a Deferred; its docstring says what the
Deferred fires with and which errors it fails with.  Each role has an in-memory
implementation that ships with the server (used by the embedded default and by
fast tests) and a real one (SQL through adbapi, Valkey through txredisapi); both
pass one shared contract suite in ``tests/``.
"""

from zope.interface import Attribute, Interface


class UsernameTaken(Exception):
    """An account with this username (compared case-insensitively) exists."""


class UnknownAccount(Exception):
    """No account has this username."""


class PlayerOnline(Exception):
    """The player is online, so an offline change (admin, give...) is refused."""


class InventoryFull(Exception):
    """An offline grant found no room in the player's inventory."""


class IPlayerStore(Interface):
    """
    Accounts and characters, durably.

    Usernames are unique case-insensitively and returned as registered.  A
    character is created by ``create_account`` with the state it is handed.
    """

    def migrate():
        """
        Bring the schema to the newest version.

        @return: Deferred firing with the schema version now in force.
        """

    def create_account(username, password_hash, character):
        """
        Register an account and its first character in one transaction.

        @param character: a L{rpg.models.CharacterState}; its C{player_id}
            and C{username} are ignored and filled in.
        @return: Deferred firing with the new L{rpg.models.Account}; fails
            with L{UsernameTaken}.
        """

    def get_account(username):
        """
        @return: Deferred firing with the L{rpg.models.Account} whose
            username matches case-insensitively, or C{None}.
        """

    def set_role(username, role):
        """
        @return: Deferred firing with C{None}; fails with L{UnknownAccount}.
        """

    def set_banned(username, banned):
        """
        @return: Deferred firing with C{None}; fails with L{UnknownAccount}.
        """

    def load_character(player_id):
        """
        @return: Deferred firing with the L{rpg.models.CharacterState}, or
            C{None} when the player has none.
        """

    def save_snapshot(snapshot):
        """
        Write one consistent cut of the world in one transaction: every
        character in C{snapshot.characters}, and, when
        C{snapshot.ground_items} is not C{None}, the ground items of the maps
        C{snapshot.ground_item_maps} names (replacing what was stored for
        those maps only; C{None}: of every map).  Online records listed in
        C{snapshot.released} are removed in the same transaction.

        When C{snapshot.epochs} names maps, the write is fenced (see
        L{IMapStore}): each named epoch must be the one installed for its
        map, each character must be stored on (or, when new, saved on) a
        named map, and C{ground_item_maps} must name only named maps.

        @return: Deferred firing with C{None} once committed; fails with
            L{Fenced} (nothing written) when a check fails, and with
            C{ValueError} (nothing written) for a ground item outside
            C{ground_item_maps}, or whose number another map's item holds.
        """

    def load_ground_items(map_ids=None):
        """
        @param map_ids: the maps whose items to load; C{None}: every map.
        @return: Deferred firing with a list of L{rpg.models.GroundItemState},
            by ground item number.
        """

    def mark_online(player_ids, server_id, ttl_seconds):
        """
        Record (or refresh) that these players are online on C{server_id};
        each record expires C{ttl_seconds} from now unless refreshed.

        @return: Deferred firing with C{None}.
        """

    def online_server(player_id):
        """
        @return: Deferred firing with the server id holding an unexpired
            online record for the player, or C{None}.
        """

    def update_offline_character(username, change):
        """
        Apply C{change(character)} to an offline player's character in one
        transaction.  C{change} mutates the L{rpg.models.CharacterState} it
        is given (and may raise to abort).

        @return: Deferred firing with the changed character; fails with
            L{UnknownAccount}, L{PlayerOnline}, or whatever C{change} raised.
        """

    def close():
        """
        Release connections.

        @return: Deferred firing with C{None}.
        """


class IAccountAdmin(Interface):
    """
    An operator's changes to accounts, and the queue that carries them to
    the running server processes that share the database.
    """

    def change_account(username, role=None, banned=None, password_hash=None,
                       bump_token=False, action=None, reason=""):
        """
        In one transaction: find the account, apply the changes given (a
        C{None} leaves that column alone; C{bump_token} increments its token
        version, so that every token issued before is refused) and, when
        C{action} is given and the player has an unexpired online record,
        queue an L{rpg.models.AdminAction} for the servers.

        @return: Deferred firing with C{(account, server_id)}: the changed
            L{rpg.models.Account} and the server holding the player when the
            action was queued (C{None}: offline, nothing queued); fails with
            L{UnknownAccount}.
        """

    def admin_actions(after_id):
        """
        @return: Deferred firing with the queued L{rpg.models.AdminAction}s
            whose C{action_id} is above C{after_id}, oldest first.
        """

    def last_admin_action():
        """
        @return: Deferred firing with the highest queued C{action_id}, or 0.
        """

    def online_players_by_map():
        """
        Who is online where, for operators: each player with an unexpired
        online record, by the map its stored character is on (the map of
        its last save, so a player who crossed a portal since may still be
        listed on the map it left).

        @return: Deferred firing with C{{map_id: [username, ...]}}, only
            maps with someone online, usernames sorted case-insensitively.
        """


class IPresence(Interface):
    """
    Which player is online on which server process, and which connection.

    Keys are usernames compared case-insensitively.  An entry is a
    L{rpg.models.PresenceEntry}.
    """

    def claim(entry):
        """
        Make C{entry} the player's current presence.

        @return: Deferred firing with the entry it replaced, or C{None}.
        """

    def release(entry):
        """
        Remove the player's presence if it is still C{entry} (same server and
        connection); a newer claim is left alone.

        @return: Deferred firing with C{True} if removed.
        """

    def lookup(username):
        """
        @return: Deferred firing with the player's L{rpg.models.PresenceEntry}
            or C{None}.
        """

    def count():
        """
        @return: Deferred firing with the number of online players.
        """

    def usernames():
        """
        @return: Deferred firing with the list of online players' usernames
            (as registered), on every process.
        """

    def refresh(entries):
        """
        Keep these entries alive (a shared store expires entries of a server
        that stopped refreshing them).

        @return: Deferred firing with C{None}.
        """


class IMessageBus(Interface):
    """
    Messages between server processes (one process: delivered in-process).

    Messages are C{bytes}; channels are C{str}.
    """

    def publish(channel, message):
        """
        @return: Deferred firing with C{None} once sent (not once delivered).
        """

    def subscribe(channel, handler):
        """
        Call C{handler(message)} for every message published on C{channel}
        from now on, by any process.

        @return: Deferred firing with C{None} once the subscription holds.
        """


class IClient(Interface):
    """
    One player's connection, as the services see it (an
    L{rpg.session.Session}; the edge adapts a WebSocket to it).  The hub
    fills in who plays on it when the login succeeds.
    """

    player_id = Attribute("The player's id (int), once logged in; else None.")
    username = Attribute("The player's username, once logged in; else None.")
    role = Attribute('The account\'s role ("player", "moderator", "admin"), once logged in.')
    connection_id = Attribute("A string unique to this connection (server id first).")
    peer = Attribute("The remote address, for log lines.")
    presence_entry = Attribute(
        "The L{rpg.models.PresenceEntry} the login claimed, kept by the hub; else None.")
    closed = Attribute("True once the connection is closed, or being closed by the server.")

    def send_frame(frame):
        """
        Send one already-encoded frame (C{bytes}) to the player; nothing
        once closed.
        """

    def send_event(message_type, payload):
        """Send one event (encoded here) to the player."""

    def kick(code, reason):
        """
        Close the connection with this WebSocket close code (see
        L{rpg.protocol.close_codes}) and reason.  The connection counts as
        closed at once: what the server does next (saving the player) is the
        caller's, not the disconnect's.
        """


class IPlayers(Interface):
    """
    The players playing on this process, as chat and the operators' views
    see them (owned by the world service, which puts them in and takes
    them out).
    """

    def client(player_id):
        """
        @return: the player's L{IClient}, or C{None} when it does not play here.
        """

    def near(player_id, radius_chunks):
        """
        @return: the L{IClient}s of the players within C{radius_chunks}
            chunks of the player (on its map, itself included), here.
        """

    def all():
        """
        @return: a list of the L{IClient}s of every player playing here.
        """


class IWorld(Interface):
    """
    The running world, as the hub sees it when a player logs in, plays and
    leaves (L{rpg.services.world.WorldService}).
    """

    def enter(client, character):
        """
        Put an authenticated player (an L{IClient} and its
        L{rpg.models.CharacterState}) into the world.

        @return: the list of C{(message_type, payload)} events to send after
            the welcome.
        """

    def welcome_payload(player_id):
        """
        @return: the C{event_welcome} payload of a player in the world.
        """

    def leave(player_id):
        """
        Take the player out of the world and save it.

        @return: Deferred firing with C{None} once saved; fails when the
            save failed (the state is kept and saved by the next snapshot).
        """

    def unsaved_state(player_id):
        """
        @return: the L{rpg.models.CharacterState} of a player whose logout
            save failed (newer than the store's), or C{None}.
        """

    def submit(client, request):
        """
        Queue a command (an L{rpg.protocol.envelope.Request}) for the
        tick; its reply is sent to C{client} from the tick.
        """


class IChat(Interface):
    """
    Chat: local, global and direct messages, and system broadcasts.
    """

    def send(sender, channel, message, recipient):
        """
        @return: Deferred firing with the reply payload
            C{{message_id, channel, recipients}}; fails with a
            L{rpg.errors.GameError}.
        """


class IMapLeases(Interface):
    """
    Who owns which map, as leases that expire unless renewed.

    A lease is a L{rpg.models.MapLease}.  At most one live lease exists per
    map; each new lease of a map has a larger C{epoch} than every earlier
    lease of that map (the fencing token).  Expiry is judged by the store's
    clock; an owner must itself stop acting on a map once a renewal has not
    succeeded within the lease time (see L{rpg.services.leases.LeaseKeeper}).
    """

    def acquire(map_id, server_id, address, ttl_s):
        """
        Take C{map_id} for C{server_id} unless a live lease holds it.

        @return: Deferred firing with the new L{rpg.models.MapLease}, or with
            C{None} when another live lease holds the map (also when this
            server holds it: renew that one instead).
        """

    def renew(lease, ttl_s):
        """
        Extend C{lease} by C{ttl_s} from now, if it is still the map's lease.

        @return: Deferred firing with C{True}, or C{False} once it is lost
            (expired, released, or replaced by a newer owner's).
        """

    def release(lease):
        """
        End C{lease} now if it is still the map's lease; a newer owner's lease
        is left alone.

        @return: Deferred firing with C{True} if it was removed.
        """

    def owner(map_id):
        """
        @return: Deferred firing with the map's live L{rpg.models.MapLease} or
            C{None}.
        """

    def owners():
        """
        @return: Deferred firing with a dict, map id to live
            L{rpg.models.MapLease}, of every owned map.
        """


class Fenced(Exception):
    """
    A write carried an epoch for a map that is not the map's current epoch
    in the database (or did not carry one for a map it writes): the writer
    has lost the map to a newer owner, and nothing of the write was committed.

    @ivar map_id: the map whose check failed.
    @ivar epoch: the writer's epoch for it (C{None}: it named none).
    @ivar current: the epoch installed in the database (C{None}: none).
    """

    def __init__(self, map_id, epoch, current):
        super().__init__(
            f"map {map_id!r}: the write holds epoch {epoch}, the database {current}")
        self.map_id = map_id
        self.epoch = epoch
        self.current = current


class StaleEpoch(Fenced):
    """
    C{install_epoch} was refused: the database already holds this map's
    epoch or a larger one (a newer owner took the map first).
    """


class IMapStore(Interface):
    """
    What the database keeps for the owners of maps, beside L{IPlayerStore}:
    the fencing epoch of each map, and the numbers of new ground items.

    Epochs come from the lease store (L{IMapLeases}); the database is the
    final judge: a snapshot (L{IPlayerStore.save_snapshot}) that names epochs
    commits only while each of them is the one installed here, and fails
    with L{Fenced} otherwise.  A character is fenced by the map it is stored
    on: only the holder of that map's epoch may write it, and the write that
    moves it to another map (a portal) hands it to that map's owner.
    """

    def install_epoch(map_id, epoch):
        """
        Record that a new owner holds C{map_id} with C{epoch}; every later
        write stamped with an older epoch of the map is fenced out.

        @return: Deferred firing with C{None}; fails with L{StaleEpoch} when
            this epoch or a larger one is installed already.
        """

    def map_epochs(map_ids):
        """
        @return: Deferred firing with a dict, map id to its installed epoch,
            of those of C{map_ids} that have one.
        """

    def reserve_ground_item_ids(count):
        """
        Reserve C{count} (at least 1) consecutive ground item numbers for
        the caller alone: no other call, in any process sharing the
        database, gets any of them, and each is above every number stored
        when the call ran.

        @return: Deferred firing with the C{range} of the numbers.
        """
