"""Black box: cmd_chat_send and event_chat_message (clarifications, "Chat")."""

import pytest
import pytest_twisted
from twisted.internet import reactor, task

from .harness import fresh, field, reply_error, reply_ok

# 128 x 32: chunks 0..7 across; local chat reaches 3 chunks (Chebyshev) from the sender's.
SERVER = dict(maps={"plain": field(width=128, height=32, spawn=(2, 2)),
                    "annex": field(width=32, height=32, spawn=(2, 2))},
              start_map="plain",
              config={"chat_cooldown_ms": 300, "profanity_words_file": "{root}/words.txt"},
              files={"words.txt": "# test list\nfrobnicate\n"})
EVENT_FIELDS = {"username", "message", "channel", "timestamp"}


def sleep(seconds):
    return task.deferLater(reactor, seconds, lambda: None)


def chats(client):
    return [m for m in client.frames if m["type"] == "event_chat_message"
            and m["payload"]["channel"] != "system"]


async def said(client, text):
    message = await client.wait_for_event("event_chat_message", include_past=True,
                                          predicate=lambda p: p["message"] == text)
    return message


@pytest_twisted.ensureDeferred
async def test_local_reply_and_event_shapes(server):
    """Local chat answers {message_id, channel, recipients} and sends the event, id null."""
    sender = await server.placed(2, 2)
    reply = await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": "hello"})
    assert set(reply) == {"message_id", "channel", "recipients"}
    assert isinstance(reply["message_id"], str) and reply["message_id"]
    assert reply["channel"] == "local" and reply["recipients"] == [sender.username]
    event = await said(sender, "hello")
    assert event["id"] is None and event["version"] == "2.0"
    assert set(event["payload"]) == EVENT_FIELDS
    assert event["payload"]["username"] == sender.username
    assert event["payload"]["channel"] == "local"
    assert isinstance(event["payload"]["timestamp"], float)


@pytest_twisted.ensureDeferred
async def test_local_reaches_three_chunks_on_the_same_map_only(server):
    """Local reaches chunk distance 3 (Chebyshev), not 4, and nobody on another map."""
    sender = await server.placed(2, 2)                     # chunk (0, 0)
    near = await server.placed(63, 31)                     # chunk (3, 1)
    far = await server.placed(64, 2)                       # chunk (4, 0)
    elsewhere = await server.placed(2, 2, map_id="annex")  # same tile, other map
    reply = await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": "who?"})
    assert sorted(reply["recipients"]) == sorted([sender.username, near.username])
    await said(near, "who?")
    await sleep(0.2)
    assert not chats(far) and not chats(elsewhere)


@pytest_twisted.ensureDeferred
async def test_message_ids_are_unique(server):
    """Two messages get different message_ids."""
    sender = await server.placed(2, 2)
    first = await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": "one"})
    await sleep(0.35)
    second = await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": "two"})
    assert first["message_id"] != second["message_id"]


@pytest_twisted.ensureDeferred
async def test_global_needs_moderator_or_admin(server):
    """A plain player's global message is CHAT_PERMISSION_DENIED."""
    player = await server.placed(2, 2)
    payload = await reply_error(player, "cmd_chat_send", {"channel": "global", "message": "hi"})
    assert payload["error_code"] == "CHAT_PERMISSION_DENIED"


@pytest.mark.parametrize("role", ["moderator", "admin"])
@pytest_twisted.ensureDeferred
async def test_global_reaches_everyone(server, role):
    """A moderator's or admin's global message reaches every online player on every map."""
    sender = await server.placed(2, 2, role=role)
    far = await server.placed(120, 30)
    elsewhere = await server.placed(2, 2, map_id="annex")
    reply = await reply_ok(sender, "cmd_chat_send", {"channel": "global", "message": "all"})
    assert reply["channel"] == "global"
    assert sorted(reply["recipients"]) == sorted([sender.username, far.username,
                                                  elsewhere.username])
    for client in (sender, far, elsewhere):
        event = await said(client, "all")
        assert event["payload"]["channel"] == "global"
        assert set(event["payload"]) == EVENT_FIELDS


@pytest_twisted.ensureDeferred
async def test_dm_reaches_both_with_recipient_field(server):
    """A DM (recipient named in another case) reaches recipient and sender with a recipient field."""
    sender = await server.placed(2, 2)
    bystander = await server.placed(3, 2)
    recipient = await server.placed(120, 30, prefix="DmTarget")
    reply = await reply_ok(sender, "cmd_chat_send", {"channel": "dm", "message": "psst",
                                                     "recipient": recipient.username.lower()})
    assert reply["channel"] == "dm"
    assert sorted(reply["recipients"]) == sorted([sender.username, recipient.username])
    for client in (sender, recipient):
        event = await said(client, "psst")
        assert set(event["payload"]) == EVENT_FIELDS | {"recipient"}
        assert event["payload"]["recipient"] == recipient.username
        assert event["payload"]["username"] == sender.username
        assert event["payload"]["channel"] == "dm"
    await sleep(0.2)
    assert not chats(bystander)


@pytest.mark.parametrize("recipient", ["offline", "unknown", None, "", _missing := "MISSING"])
@pytest_twisted.ensureDeferred
async def test_dm_to_nobody_online(server, recipient):
    """A DM to an offline, unknown or unnamed recipient is CHAT_DM_RECIPIENT_NOT_FOUND."""
    sender = await server.placed(2, 2)
    payload = {"channel": "dm", "message": "hello?"}
    if recipient == "offline":
        name = fresh("off")
        await server.register(name)
        payload["recipient"] = name
    elif recipient == "unknown":
        payload["recipient"] = fresh("nobody")
    elif recipient != "MISSING":
        payload["recipient"] = recipient
    error = await reply_error(sender, "cmd_chat_send", payload)
    assert error["error_code"] == "CHAT_DM_RECIPIENT_NOT_FOUND"


@pytest.mark.parametrize("message", ["", " ", "   \t\n "])
@pytest_twisted.ensureDeferred
async def test_empty_message(shared_player, message):
    """An empty or whitespace-only message is CHAT_EMPTY_MESSAGE."""
    sender = shared_player
    error = await reply_error(sender, "cmd_chat_send", {"channel": "local", "message": message})
    assert error["error_code"] == "CHAT_EMPTY_MESSAGE"


@pytest_twisted.ensureDeferred
async def test_256_characters_pass_unchanged(server):
    """A message of exactly 256 characters is sent whole."""
    sender = await server.placed(2, 2)
    text = "é" * 256
    await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": text})
    assert (await said(sender, text))["payload"]["message"] == text


@pytest_twisted.ensureDeferred
async def test_257_characters_are_refused_not_cut(server):
    """A message of 257 characters is CHAT_MESSAGE_TOO_LONG and nothing is sent."""
    sender = await server.placed(2, 2)
    error = await reply_error(sender, "cmd_chat_send", {"channel": "local", "message": "a" * 257})
    assert error["error_code"] == "CHAT_MESSAGE_TOO_LONG"
    await sleep(0.1)
    assert not chats(sender)


@pytest.mark.parametrize("channel", ["", "shout", "LOCAL", "system", None, 1, "MISSING"])
@pytest_twisted.ensureDeferred
async def test_invalid_channel(shared_player, channel):
    """An unknown, empty, missing or server-only channel is CHAT_INVALID_CHANNEL."""
    sender = shared_player
    payload = {"message": "hi"}
    if channel != "MISSING":
        payload["channel"] = channel
    error = await reply_error(sender, "cmd_chat_send", payload)
    assert error["error_code"] == "CHAT_INVALID_CHANNEL"


@pytest_twisted.ensureDeferred
async def test_rate_limited(server):
    """A second message within the cooldown is CHAT_RATE_LIMITED; after it, sending works again."""
    sender = await server.placed(2, 2)
    await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": "a"})
    error = await reply_error(sender, "cmd_chat_send", {"channel": "local", "message": "b"})
    assert error["error_code"] == "CHAT_RATE_LIMITED"
    await sleep(0.35)
    await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": "c"})


@pytest_twisted.ensureDeferred
async def test_profanity_masks_whole_words(server):
    """Words of the filter list are masked with '*' as whole words, in any case; others are not."""
    sender = await server.placed(2, 2)
    words = [w.strip() for w in (server.root / "words.txt").read_text().splitlines()
             if w.strip() and not w.startswith("#")]
    assert words
    await reply_ok(sender, "cmd_chat_send",
                   {"channel": "local", "message": "Frobnicate this, frobnicated FROBNICATE!"})
    event = await sender.wait_for_event("event_chat_message", include_past=True,
                                        predicate=lambda p: p["channel"] == "local")
    assert event["payload"]["message"] == "********** this, frobnicated **********!"


@pytest_twisted.ensureDeferred
async def test_chat_text_is_cleaned_for_everyone(server):
    """Bidi overrides and zero-width characters are removed, a newline becomes a space, the text
    is NFC with at most 4 combining marks in a row; a zero-width-only message is empty."""
    sender = await server.placed(2, 2)
    listener = await server.placed(3, 2)
    text = "hi\u202e\u200b\n[System] cafe\u0301 Z" + "\u0336" * 40
    await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": text})
    await said(listener, "hi [System] caf\u00e9 Z" + "\u0336" * 4)
    await sleep(0.35)
    error = await reply_error(sender, "cmd_chat_send",
                              {"channel": "local", "message": "\u200b\u2060\ufeff"})
    assert error["error_code"] == "CHAT_EMPTY_MESSAGE"


@pytest_twisted.ensureDeferred
async def test_rate_limited_details_and_what_the_cooldown_does_not_hide(server):
    """CHAT_RATE_LIMITED carries details {retry_after_ms} within the cooldown; within it an
    empty, a too long or a wrong-channel message still gets its own code (the message is
    checked before the cooldown), and none of them restarts the cooldown."""
    sender = await server.placed(2, 2)
    await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": "first"})
    error = await reply_error(sender, "cmd_chat_send", {"channel": "local", "message": "x"})
    assert error["error_code"] == "CHAT_RATE_LIMITED"
    assert set(error["details"]) == {"retry_after_ms"}
    assert isinstance(error["details"]["retry_after_ms"], int)
    assert 0 < error["details"]["retry_after_ms"] <= 300
    for payload, code in (({"channel": "local", "message": " "}, "CHAT_EMPTY_MESSAGE"),
                          ({"channel": "local", "message": "a" * 257}, "CHAT_MESSAGE_TOO_LONG"),
                          ({"channel": "shout", "message": "x"}, "CHAT_INVALID_CHANNEL")):
        assert (await reply_error(sender, "cmd_chat_send", payload))["error_code"] == code
    await sleep(0.35)
    await reply_ok(sender, "cmd_chat_send", {"channel": "local", "message": "again"})
