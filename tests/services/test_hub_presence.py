"""
The hub keeps the presence entries of the players playing on its process
alive: without a refresh a Valkey entry expires after its TTL and the player
would count as offline while still playing.
"""

from twisted.internet import defer, task

from rpg.models import PresenceEntry
from rpg.services.hub import Hub
from rpg.store.presence import MemoryBus


class RecordingPresence:
    """Records each refresh; fails it when told to."""

    def __init__(self):
        self.refreshed = []
        self.fail = False

    def refresh(self, entries):
        self.refreshed.append(list(entries))
        if self.fail:
            return defer.fail(ConnectionError("Valkey is away"))
        return defer.succeed(None)


class PlayingSession:
    def __init__(self, player_id, username):
        self.presence_entry = PresenceEntry(player_id, username, "s1", f"s1:{player_id}")


def started_hub(presence, clock):
    hub = Hub("s1", None, None, presence, MemoryBus(), None, None, {}, clock,
              persistence=None, presence_refresh_s=10.0)
    hub.startService()
    return hub


def test_entries_of_playing_players_are_refreshed_every_interval():
    """Every presence_refresh_s the hub refreshes the entries of all its playing sessions."""
    clock, presence = task.Clock(), RecordingPresence()
    hub = started_hub(presence, clock)
    alice, bob = PlayingSession(1, "alice"), PlayingSession(2, "bob")
    hub.sessions.update({1: alice, 2: bob})
    clock.pump([1.0] * 9)
    assert presence.refreshed == []
    clock.advance(1.0)
    assert presence.refreshed == [[alice.presence_entry, bob.presence_entry]]
    del hub.sessions[2]
    clock.pump([1.0] * 10)
    assert presence.refreshed[-1] == [alice.presence_entry]
    hub.stopService()


def test_a_failed_refresh_is_logged_and_the_loop_goes_on():
    """A refresh that fails (Valkey away) does not stop later refreshes."""
    clock, presence = task.Clock(), RecordingPresence()
    hub = started_hub(presence, clock)
    hub.sessions[1] = PlayingSession(1, "alice")
    presence.fail = True
    clock.advance(10.0)
    presence.fail = False
    clock.advance(10.0)
    assert len(presence.refreshed) == 2
    hub.stopService()


def test_no_refresh_without_players_and_none_after_stop():
    """An empty process sends nothing; a stopped hub stops refreshing."""
    clock, presence = task.Clock(), RecordingPresence()
    hub = started_hub(presence, clock)
    clock.advance(10.0)
    assert presence.refreshed == []
    hub.sessions[1] = PlayingSession(1, "alice")
    hub.stopService()
    clock.advance(30.0)
    assert presence.refreshed == []


class ReleasingPresence:
    def __init__(self):
        self.released = []

    def release(self, entry):
        self.released.append(entry)
        return defer.succeed(True)


class RecordingPersistence:
    def __init__(self):
        self.saves = []

    def save(self, characters, ground_items=None, released=()):
        self.saves.append((list(characters), list(released)))
        return defer.succeed(None)


class NoUnsavedWorld:
    def unsaved_state(self, player_id):
        return None


class RecordingRelay:
    def __init__(self):
        self.moved_to = []

    def moved(self, session, map_id, walk=None):
        self.moved_to.append((session, map_id, walk))


class CrossingSession(PlayingSession):
    def __init__(self, player_id, username):
        super().__init__(player_id, username)
        self.player_id, self.username = player_id, username
        self.closed = False

    def moving(self):
        pass


def test_a_player_handed_to_another_process_is_let_go_of_once_saved_there():
    """Once the crossing is saved, the old owner drops its presence entry and online record."""
    presence, persistence, relay = ReleasingPresence(), RecordingPersistence(), RecordingRelay()
    hub = Hub("s1", None, None, presence, MemoryBus(), NoUnsavedWorld(), None, {}, task.Clock(),
              persistence=persistence, relay=relay)
    alice = CrossingSession(1, "alice")
    hub.sessions[1] = alice
    saved = defer.Deferred()
    hub.departed(alice, "cave", saved, {"walking": True, "next_move_in_s": 0.5})
    assert (presence.released, persistence.saves, relay.moved_to) == ([], [], [])
    saved.callback(None)
    # Should the new owner die before the player arrives, a login elsewhere
    # finds nothing here to wait for.
    assert presence.released == [alice.presence_entry]
    assert persistence.saves == [([], [1])]
    assert relay.moved_to == [(alice, "cave", {"walking": True, "next_move_in_s": 0.5})]
    assert hub.sessions == {}


def test_an_arrival_that_finds_a_newer_login_of_the_player_is_closed_4001():
    """
    A player crossing in from another process while a newer login of it got
    in here first: the login wins, as any newer login does; the arrival's
    connection is closed 4001 and its presence entry let go.
    """
    from rpg.models import CharacterState
    from rpg.store.presence import MemoryPresence

    class Presence(MemoryPresence):
        released = []

        def release(self, entry):
            self.released.append(entry)
            return super().release(entry)

    class Persistence(RecordingPersistence):
        def mark_online(self, player_ids):
            return defer.succeed(None)

    class Store:
        def load_character(self, player_id):
            return defer.succeed(CharacterState(
                player_id=player_id, username="alice", map_id="cave", x=1, y=1,
                facing="south", hp=10, skills={}, inventory={}, equipment={}))

    class Ownership:
        def held(self, map_id):
            return True

    class Arriving(CrossingSession):
        connection_id, kicked = "edge:9", None

        def kick(self, code, reason):
            self.kicked = (code, reason)
            self.closed = True

    presence = Presence()
    hub = Hub("s1", None, Store(), presence, MemoryBus(), NoUnsavedWorld(), None, {},
              task.Clock(), persistence=Persistence(), ownership=Ownership())
    newer = CrossingSession(1, "alice")
    hub.sessions[1] = newer
    arriving = Arriving(1, "alice")
    done = defer.ensureDeferred(hub.arrive(arriving))
    assert done.called
    assert arriving.kicked == (4001, "logged in elsewhere")
    assert hub.sessions == {1: newer}
    assert [e.connection_id for e in presence.released] == ["edge:9"]
