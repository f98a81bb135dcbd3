"""ChatService rules with task.Clock and in-process presence and bus."""

import dataclasses

import msgpack
import pytest
from twisted.internet import defer, task

from rpg.config import Tunables
from rpg.models import PresenceEntry
from rpg.protocol.errors import error_code
from rpg.services.chat import ChatService, ProfanityFilter, load_word_list
from rpg.services.world import Players
from rpg.store.presence import MemoryBus, MemoryPresence
from rpg.errors import GameError


class FakeClient:
    def __init__(self, player_id, username, role="player"):
        self.player_id, self.username, self.role = player_id, username, role
        self.frames = []

    def send_frame(self, frame):
        self.frames.append(frame)


class FakeWorld:
    def __init__(self, near):
        self.near = near

    def players_near(self, player_id, radius):
        return self.near


def make_chat(clock, clients, near=(), fanout=None, **tunables):
    players = Players({c.player_id: c for c in clients}, FakeWorld(list(near)))
    chat = ChatService("s1", MemoryPresence(), MemoryBus(), players,
                       dataclasses.replace(Tunables(), **tunables), clock, fanout=fanout)
    chat.startService()
    return chat


def send(chat, *args):
    d = defer.ensureDeferred(chat.send(*args))
    results = []
    d.addBoth(results.append)
    return results[0]


def code_of(result):
    assert not isinstance(result, dict), result
    return error_code(result.value) if result.check(GameError) else repr(result)


def test_filter_masks_whole_words_case_insensitively():
    """Whole listed words become stars of the same length; parts of words stay."""
    f = ProfanityFilter(["darn", "heck"])
    assert f("Darn it, HECK! darning heckle darn.") == "**** it, ****! darning heckle ****."


def test_default_word_list_loads():
    """The shipped word list loads and skips comments."""
    words = load_word_list()
    assert words and not any(w.startswith("#") for w in words)


def test_a_local_line_is_handed_to_the_fanout_once_for_all_its_listeners():
    """One frame, one fan-out call for every player near the sender (framed once there)."""
    clock = task.Clock()
    clients = [FakeClient(i, f"p{i}") for i in range(1, 6)]
    fanned = []
    chat = make_chat(clock, clients, near=[1, 2, 3, 4],
                     fanout=lambda to, frame: fanned.append(([c.username for c in to], frame)))
    assert send(chat, clients[0], "local", "hello")["recipients"] == ["p1", "p2", "p3", "p4"]
    [(to, frame)] = fanned
    assert to == ["p1", "p2", "p3", "p4"]
    assert msgpack.unpackb(frame)["payload"]["message"] == "hello"
    assert all(c.frames == [] for c in clients)


def test_rate_limit_follows_the_clock():
    """One message per cooldown; the next is allowed once the clock has moved on."""
    clock = task.Clock()
    alice = FakeClient(1, "alice")
    chat = make_chat(clock, [alice], near=[1])
    assert send(chat, alice, "local", "one")["recipients"] == ["alice"]
    result = send(chat, alice, "local", "two")
    assert code_of(result) == "CHAT_RATE_LIMITED"
    assert result.value.details["retry_after_ms"] == 1000
    clock.advance(0.6)
    assert send(chat, alice, "local", "three").value.details["retry_after_ms"] == 400
    clock.advance(0.4)
    assert send(chat, alice, "local", "four")["channel"] == "local"


def test_message_ids_are_player_and_unix_second_and_never_repeat():
    """message_id is <player_id>_<unix seconds> as in the spec's example; a
    shorter cooldown than 1 s numbers further messages of the same second."""
    clock = task.Clock()
    clock.advance(1_706_832_000.25)
    alice = FakeClient(123, "alice")
    chat = make_chat(clock, [alice], near=[123], chat_cooldown_ms=100)
    ids = []
    for _ in range(3):
        ids.append(send(chat, alice, "local", "hi")["message_id"])
        clock.advance(0.25)
    clock.advance(0.5)
    ids.append(send(chat, alice, "local", "hi")["message_id"])
    assert ids == ["123_1706832000", "123_1706832000_2", "123_1706832000_3", "123_1706832001"]


def test_refused_message_does_not_start_the_cooldown():
    """An invalid message leaves the cooldown untouched."""
    clock = task.Clock()
    alice = FakeClient(1, "alice")
    chat = make_chat(clock, [alice], near=[1])
    assert code_of(send(chat, alice, "local", "")) == "CHAT_EMPTY_MESSAGE"
    assert send(chat, alice, "local", "ok")["recipients"] == ["alice"]


def test_a_dm_to_nobody_starts_the_cooldown():
    """A DM whose recipient is not online is refused and still starts the cooldown."""
    clock = task.Clock()
    alice = FakeClient(1, "alice")
    chat = make_chat(clock, [alice], near=[1])
    assert code_of(send(chat, alice, "dm", "hi", "nobody")) == "CHAT_DM_RECIPIENT_NOT_FOUND"
    assert code_of(send(chat, alice, "dm", "hi", "nobody")) == "CHAT_RATE_LIMITED"
    clock.advance(1.0)
    assert send(chat, alice, "local", "ok")["recipients"] == ["alice"]


@pytest.mark.parametrize("channel,message,code", [
    (None, "hi", "CHAT_INVALID_CHANNEL"),
    ("LOCAL", "hi", "CHAT_INVALID_CHANNEL"),
    ("local", None, "CHAT_EMPTY_MESSAGE"),
    ("local", 42, "INVALID_MESSAGE_FORMAT"),
    ("local", "é" * 257, "CHAT_MESSAGE_TOO_LONG"),
    ("global", "hi", "CHAT_PERMISSION_DENIED"),
    ("dm", "hi", "CHAT_DM_RECIPIENT_NOT_FOUND"),
])
def test_refusals(channel, message, code):
    """Each bad request has its code."""
    alice = FakeClient(1, "alice")
    chat = make_chat(task.Clock(), [alice], near=[1])
    assert code_of(send(chat, alice, channel, message)) == code


def test_chat_length_is_counted_in_characters():
    """256 characters are accepted even when they take more bytes."""
    alice = FakeClient(1, "alice")
    chat = make_chat(task.Clock(), [alice], near=[1])
    assert send(chat, alice, "local", "é" * 256)["recipients"] == ["alice"]


def test_global_from_another_process_is_delivered_once():
    """A global message from another server id is delivered; our own echo is not re-delivered."""
    clock = task.Clock()
    mod = FakeClient(1, "mod", role="moderator")
    other = FakeClient(2, "other")
    chat = make_chat(clock, [mod, other])
    chat.presence.claim(PresenceEntry(1, "mod", "s1", "c1"))
    chat.presence.claim(PresenceEntry(2, "other", "s1", "c2"))
    reply = send(chat, mod, "global", "hello")
    assert reply["recipients"] == ["mod", "other"]
    assert len(other.frames) == 1 and len(mod.frames) == 1


class AwayPresence(MemoryPresence):
    """Shared presence during an outage: every call fails."""

    def lookup(self, username):
        return defer.fail(ConnectionError("valkey is away"))

    def usernames(self):
        return defer.fail(ConnectionError("valkey is away"))


def test_chat_in_this_process_works_while_shared_presence_is_away():
    """With presence failing, global and DM still reach players of this process."""
    mod = FakeClient(1, "mod", role="moderator")
    mod.connection_id = "c1"
    other = FakeClient(2, "Other")
    other.connection_id = "c2"
    chat = make_chat(task.Clock(), [mod, other])
    chat.presence = AwayPresence()
    assert send(chat, mod, "global", "still here")["recipients"] == ["mod", "Other"]
    chat.clock.advance(2)
    assert send(chat, mod, "dm", "psst", "other")["recipients"] == ["mod", "Other"]
    assert len(other.frames) == 2


@pytest.mark.parametrize("sent, delivered", [
    ("hello \u202egnp.exe", "hello gnp.exe"),                  # a bidi override is removed
    ("a\u200bb\ufeffc\u2066d", "abcd"),                         # zero-width and isolates too
    ("hi\n[System] you are banned", "hi [System] you are banned"),   # no second line
    ("x\x00y\x1b[31mred", "x y [31mred"),                       # NUL and escapes: spaces
    ("para\u2029graph\u2028line", "para graph line"),
    ("cafe\u0301", "caf\u00e9"),                                # NFC
    ("Z" + "\u0336" * 50 + "!", "Z" + "\u0336" * 4 + "!"),      # combining marks capped
    ("ti\u1ebfng Vi\u1ec7t", "ti\u1ebfng Vi\u1ec7t"),            # ordinary text untouched
])
def test_chat_text_is_cleaned(sent, delivered):
    """Control, format and separator characters never reach anyone; text is NFC with at most
    chat_max_combining_marks combining marks in a row."""
    alice = FakeClient(1, "alice")
    chat = make_chat(task.Clock(), [alice], near=[1])
    assert send(chat, alice, "local", sent)["recipients"] == ["alice"]
    event = msgpack.unpackb(alice.frames[-1], raw=False)["payload"]
    assert event["message"] == delivered


@pytest.mark.parametrize("sent", ["\u200b\u200b\u200b", "\u202e", "\u200d \u2060\n"])
def test_a_message_of_only_invisible_characters_is_empty(sent):
    """A message that is empty or blank once format characters are removed is CHAT_EMPTY_MESSAGE."""
    alice = FakeClient(1, "alice")
    chat = make_chat(task.Clock(), [alice], near=[1])
    assert code_of(send(chat, alice, "local", sent)) == "CHAT_EMPTY_MESSAGE"


def test_length_is_counted_after_cleaning():
    """The cleaned text is measured: 256 characters padded with zero-width ones pass, and
    60 times e plus six marks is 60 x 5 = 300 (NFC makes e and one mark an é, four marks
    are kept after it)."""
    alice = FakeClient(1, "alice")
    chat = make_chat(task.Clock(), [alice], near=[1], chat_cooldown_ms=0)
    assert send(chat, alice, "local", "a\u200b" * 256)["recipients"] == ["alice"]
    result = send(chat, alice, "local", ("e" + "\u0301\u0302" * 3) * 60)   # NFC é + 5 marks
    assert code_of(result) == "CHAT_MESSAGE_TOO_LONG"
    assert result.value.details["length"] == 60 * 5   # é and 4 marks kept after it


def test_a_dm_to_a_player_of_another_process_crosses_the_bus_once():
    """A DM to a player online elsewhere goes on that server's channel; only that chat delivers it."""
    clock, presence, bus = task.Clock(), MemoryPresence(), MemoryBus()
    alice, bob = FakeClient(1, "alice"), FakeClient(2, "bob")
    chats = {}
    for server_id, client in (("s1", alice), ("s2", bob)):
        players = Players({client.player_id: client}, FakeWorld([client.player_id]))
        chats[server_id] = ChatService(server_id, presence, bus, players, Tunables(), clock)
        chats[server_id].startService()
    presence.claim(PresenceEntry(2, "bob", "s2", "s2:1"))
    reply = send(chats["s1"], alice, "dm", "psst", "bob")
    assert reply["recipients"] == ["alice", "bob"]
    (frame,) = bob.frames
    event = msgpack.unpackb(frame, raw=False)["payload"]
    assert (event["username"], event["message"], event["recipient"]) == ("alice", "psst", "bob")
    assert len(alice.frames) == 1  # the sender's own copy
