"""End to end: chat over the WebSocket, every rule of clarifications.md."""

import pytest_twisted
from twisted.internet import reactor, task

from .server import running_server
from .tmx import open_field, write_map


async def place(server, username, x, y):
    """Register a player and put its character at (x, y) before it logs in."""
    await server.register(username)

    def move(character):
        character.x, character.y = x, y
    await server.service.store.update_offline_character(username, move)


def wide_map(tmp_path):
    return write_map(tmp_path / "maps", "wide", open_field(width=128, height=20, spawn=(1, 1)))


def chat_events(client):
    return [p for p in client.events_of("event_chat_message") if p["channel"] != "system"]


@pytest_twisted.ensureDeferred
async def test_local_reaches_three_chunks_not_four(tmp_path):
    """Local chat reaches a player 3 chunks away and not one 4 chunks away."""
    async with running_server(tmp_path, maps_dir=wide_map(tmp_path)) as server:
        await place(server, "sender", 1, 1)
        await place(server, "near", 3 * 16 + 1, 1)
        await place(server, "far", 4 * 16 + 1, 1)
        sender, near, far = [await server.player(n) for n in ("sender", "near", "far")]
        reply = await sender.request("cmd_chat_send", {"channel": "local", "message": "hello"})
        assert reply["type"] == "resp_success"
        assert sorted(reply["payload"]["recipients"]) == ["near", "sender"]
        assert reply["payload"]["channel"] == "local" and reply["payload"]["message_id"]
        event = await near.wait_for_event("event_chat_message", lambda p: p["channel"] == "local",
                                          include_past=True)
        assert {k: event["payload"][k] for k in ("username", "message", "channel")} == {
            "username": "sender", "message": "hello", "channel": "local"}
        assert isinstance(event["payload"]["timestamp"], float)
        assert [p["message"] for p in chat_events(sender)] == ["hello"]
        assert chat_events(far) == []


@pytest_twisted.ensureDeferred
async def test_local_uses_the_current_position(tmp_path):
    """Local chat uses where the sender stands now, not where it was saved."""
    async with running_server(tmp_path, maps_dir=wide_map(tmp_path), chat_cooldown_ms=0) as server:
        await place(server, "walker", 3 * 16 + 15, 1)
        await place(server, "listener", 7 * 16 + 15, 1)
        walker, listener = await server.player("walker"), await server.player("listener")
        reply = await walker.request("cmd_chat_send", {"channel": "local", "message": "before"})
        assert reply["payload"]["recipients"] == ["walker"]
        reply = await walker.request("cmd_move", {"direction": "RIGHT"})
        assert reply["payload"]["new_position"]["x"] == 4 * 16
        reply = await walker.request("cmd_chat_send", {"channel": "local", "message": "now"})
        assert sorted(reply["payload"]["recipients"]) == ["listener", "walker"]


@pytest_twisted.ensureDeferred
async def test_dm_reaches_only_recipient_and_sender(tmp_path):
    """A DM reaches the recipient (any case) and the sender, with a recipient field, nobody else."""
    async with running_server(tmp_path) as server:
        amy, ben, cal = [await server.player(n) for n in ("amy_1", "Ben_2", "cal_3")]
        reply = await amy.request("cmd_chat_send",
                                  {"channel": "dm", "message": "psst", "recipient": "ben_2"})
        assert reply["type"] == "resp_success"
        assert reply["payload"]["recipients"] == ["amy_1", "Ben_2"]
        event = await ben.wait_for_event("event_chat_message", lambda p: p["channel"] == "dm",
                                         include_past=True)
        assert event["payload"]["recipient"] == "Ben_2"
        assert event["payload"]["username"] == "amy_1"
        assert [p["message"] for p in chat_events(amy)] == ["psst"]
        assert chat_events(cal) == []


@pytest_twisted.ensureDeferred
async def test_chat_errors(tmp_path):
    """Empty, too long, bad channel, offline recipient and the rate limit each have their code;
    a DM to nobody starts the cooldown."""
    async with running_server(tmp_path) as server:
        await server.register("offline_1")
        client = await server.player("dan_1")

        async def code(payload):
            reply = await client.request("cmd_chat_send", payload)
            return reply["payload"].get("error_code")
        assert await code({"channel": "local", "message": ""}) == "CHAT_EMPTY_MESSAGE"
        assert await code({"channel": "local", "message": "  \t "}) == "CHAT_EMPTY_MESSAGE"
        assert await code({"channel": "local", "message": "x" * 257}) == "CHAT_MESSAGE_TOO_LONG"
        assert await code({"channel": "shout", "message": "hi"}) == "CHAT_INVALID_CHANNEL"
        assert await code({"channel": "", "message": "hi"}) == "CHAT_INVALID_CHANNEL"
        assert await code({"channel": "dm", "message": "hi", "recipient": "offline_1"}) == \
            "CHAT_DM_RECIPIENT_NOT_FOUND"
        # A DM to nobody starts the cooldown like a delivered message.
        assert await code({"channel": "dm", "message": "hi", "recipient": "ghost"}) == \
            "CHAT_RATE_LIMITED"
        await task.deferLater(reactor, 1.05, lambda: None)
        assert await code({"channel": "dm", "message": "hi", "recipient": "ghost"}) == \
            "CHAT_DM_RECIPIENT_NOT_FOUND"
        await task.deferLater(reactor, 1.05, lambda: None)
        assert await code({"channel": "local", "message": "x" * 256}) is None
        reply = await client.request("cmd_chat_send", {"channel": "local", "message": "again"})
        assert reply["payload"]["error_code"] == "CHAT_RATE_LIMITED"
        assert reply["payload"]["details"]["retry_after_ms"] > 0


@pytest_twisted.ensureDeferred
async def test_global_needs_moderator(tmp_path):
    """Global chat is refused to a player and reaches everyone when a moderator sends it."""
    async with running_server(tmp_path) as server:
        player = await server.player("pat_1")
        reply = await player.request("cmd_chat_send", {"channel": "global", "message": "hi all"})
        assert reply["payload"]["error_code"] == "CHAT_PERMISSION_DENIED"
        await server.register("mod_1")
        await server.service.store.set_role("mod_1", "moderator")
        mod = await server.player("mod_1")
        reply = await mod.request("cmd_chat_send", {"channel": "global", "message": "hear ye"})
        assert sorted(reply["payload"]["recipients"]) == ["mod_1", "pat_1"]
        event = await player.wait_for_event("event_chat_message",
                                            lambda p: p["channel"] == "global", include_past=True)
        assert event["payload"]["message"] == "hear ye"


@pytest_twisted.ensureDeferred
async def test_profanity_is_masked(tmp_path):
    """Listed words are masked whole, case-insensitively; other words are left alone."""
    async with running_server(tmp_path) as server:
        client = await server.player("eve_1")
        await client.request("cmd_chat_send", {"channel": "local", "message": "DAMN it, damnation"})
        assert chat_events(client)[0]["message"] == "**** it, damnation"
