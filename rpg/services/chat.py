"""
Chat: local, global and direct messages, and system messages.

Delivery inside this process is direct; other processes are reached through
the message bus (Valkey pub/sub), each message tagged with its origin so that
no process delivers its own message twice.  When the bus is down, chat inside
the process goes on.
"""

import re
import unicodedata
from importlib import resources

from twisted.application.service import Service
from twisted.internet import defer
from twisted.logger import Logger
from zope.interface import implementer

from rpg.errors import (
    ChatEmpty, ChatInvalidChannel, ChatPermissionDenied, ChatRateLimited,
    ChatRecipientNotFound, ChatTooLong, InvalidMessageFormat)
from rpg.interfaces import IChat
from rpg.models import PresenceEntry
from rpg.protocol.bus import (
    GLOBAL_CHANNEL, SYSTEM_CHANNEL, broadcast_message, chat_message, read_message, server_channel)
from rpg.protocol.envelope import encode_event
from rpg.services.world import send_each

CHANNELS = ("local", "global", "dm")
GLOBAL_ROLES = ("moderator", "admin")

def load_word_list(path=None):
    if path:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    else:
        text = resources.files("rpg").joinpath("data/profanity.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


class TextCleaner:
    """
    Chat text as it is delivered: NFC, with control characters and line
    and paragraph separators turned into spaces (no fake second line, no
    terminal escapes), format characters (bidi overrides, zero-width
    characters) removed, and at most C{max_marks} combining marks kept in a
    row after a character.  Tables and patterns are built once, so cleaning
    runs at C speed (str.translate, re).
    """

    _tables = None

    def __init__(self, max_marks):
        if TextCleaner._tables is None:
            TextCleaner._tables = self._build()
        self.translation, marks = TextCleaner._tables
        self.too_many_marks = re.compile(f"({marks}{{{max_marks}}}){marks}+")

    @staticmethod
    def _build():
        translation, marks = {}, []
        for code in range(0x110000):
            category = unicodedata.category(chr(code))
            if category == "Cf":
                translation[code] = None
            elif category in ("Cc", "Zl", "Zp"):
                translation[code] = " "
            elif category.startswith("M"):
                marks.append(code)
        ranges, first = [], None
        for code, following in zip(marks, marks[1:] + [None]):
            first = code if first is None else first
            if following != code + 1:
                ranges.append(f"\\U{first:08x}-\\U{code:08x}" if first != code
                              else f"\\U{code:08x}")
                first = None
        return translation, "[" + "".join(ranges) + "]"

    def __call__(self, text):
        text = unicodedata.normalize("NFC", text).translate(self.translation)
        return self.too_many_marks.sub(r"\1", text)


class ProfanityFilter:
    """Masks whole words of a list with '*', case-insensitively."""

    def __init__(self, words):
        words = sorted({w.lower() for w in words if w}, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)",
            re.IGNORECASE) if words else None

    def __call__(self, text):
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: "*" * len(m.group(0)), text)


@implementer(IChat)
class ChatService(Service):
    """
    Checks and delivers chat messages: C{local} to the players near the
    sender, C{global} to everyone on every process, C{dm} to one player
    wherever it plays; and system messages from the bus.

    @ivar server_id: this process's id: messages it publishes carry it, so it
        does not deliver its own twice.
    @ivar presence: the L{rpg.interfaces.IPresence}: where a DM's recipient
        plays, and every name online for a global message.
    @ivar bus: the message bus: global and system channels, and other
        processes' server channels for DMs.
    @ivar world_service: the L{rpg.services.world.WorldService}: the clients
        here and who is near whom.
    @ivar tunables: the server's L{rpg.config.Tunables} (length, cooldown,
        local radius).
    @ivar clock: the reactor or a C{task.Clock}: timestamps and cooldowns.
    @ivar filter: the L{ProfanityFilter} applied to delivered text.
    @ivar clean: the L{TextCleaner} applied before any check.
    @ivar last_sent: C{{player_id: time}} of each player's last accepted
        message (the cooldown).
    @ivar last_ids: C{{player_id: (second, count)}} of each player's last
        C{message_id}.
    @ivar ready: a Deferred that fires once the bus channels are subscribed
        (set by C{startService}).
    @ivar fanout: C{fanout(clients, frame)}: sends one frame to many clients,
        framed once (the world service's, which is the edge's
        L{rpg.web.ws.Outbox.fanout}); a local line goes to every player within
        C{chat_local_radius_chunks}, some 200 of them in a busy town.
    """

    log = Logger()

    def __init__(self, server_id, presence, bus, players, tunables, clock,
                 profanity=None, fanout=None):
        self.server_id = server_id
        self.presence = presence
        self.bus = bus
        # The players here (L{rpg.interfaces.IPlayers}).
        self.players = players
        self.tunables = tunables
        self.clock = clock
        self.filter = profanity or ProfanityFilter(load_word_list(tunables.profanity_words_file))
        self.clean = TextCleaner(tunables.chat_max_combining_marks)
        self.last_sent = {}  # player_id -> time of the last accepted message
        self.last_ids = {}   # player_id -> (second, count) of its last message_id
        self.ready = None
        self.fanout = fanout or send_each

    def startService(self):
        super().startService()
        self.ready = defer.gatherResults([
            self.bus.subscribe(GLOBAL_CHANNEL, self._global_from_bus),
            self.bus.subscribe(SYSTEM_CHANNEL, self._system_from_bus),
            # DMs from other processes to players here.
            self.bus.subscribe(server_channel(self.server_id), self._dm_from_bus),
        ], consumeErrors=True)

    # -- sending
    async def handle(self, session, payload):
        return await self.send(session, payload.get("channel"), payload.get("message"),
                               payload.get("recipient"))

    async def send(self, sender, channel, message, recipient=None):
        """
        Validate and deliver one message.  Checks run in this order: channel,
        message, permission, rate, recipient.  A message that passes the
        rate check starts the cooldown, delivered or not: a DM to nobody
        costs a presence lookup too.
        """
        if not isinstance(channel, str) or channel not in CHANNELS:
            raise ChatInvalidChannel("Channel must be local, global or dm")
        if message is None:
            raise ChatEmpty("Message is empty")
        if not isinstance(message, str):
            raise InvalidMessageFormat("message must be a string", field="message")
        message = self.clean(message)
        if not message.strip():
            raise ChatEmpty("Message is empty")
        if len(message) > self.tunables.chat_max_length:
            raise ChatTooLong(f"Message exceeds {self.tunables.chat_max_length} characters",
                              max_length=self.tunables.chat_max_length, length=len(message))
        if channel == "global" and sender.role not in GLOBAL_ROLES:
            raise ChatPermissionDenied("Only moderators and admins may send global messages")
        now = self.clock.seconds()
        cooldown = self.tunables.chat_cooldown_ms / 1000.0
        last = self.last_sent.get(sender.player_id)
        if last is not None and now - last < cooldown:
            retry = max(1, int(round((last + cooldown - now) * 1000)))
            raise ChatRateLimited("Sending messages too fast", retry_after_ms=retry)
        self.last_sent[sender.player_id] = now
        text = self.filter(message)
        event = {"username": sender.username, "message": text, "channel": channel,
                 "timestamp": now}
        if channel == "local":
            recipients = self._deliver_local(sender, event)
        elif channel == "global":
            recipients = await self._deliver_global(event)
        else:
            recipients = await self._deliver_dm(sender, recipient, event)
        return {"message_id": self._message_id(sender.player_id, now), "channel": channel,
                "recipients": recipients}

    def _message_id(self, player_id, now):
        """
        C{<player_id>_<unix seconds>}, as the spec's example has it.  Under
        the default 1 s cooldown a player's messages fall in different
        seconds; with a shorter one, a second message in the same second gets
        C{_2}, a third C{_3}...
        """
        second = int(now)
        last_second, count = self.last_ids.get(player_id, (None, 0))
        count = count + 1 if second == last_second else 1
        self.last_ids[player_id] = (second, count)
        return f"{player_id}_{second}" if count == 1 else f"{player_id}_{second}_{count}"

    def _deliver_local(self, sender, event):
        clients = self.players.near(sender.player_id, self.tunables.chat_local_radius_chunks)
        self.fanout(clients, encode_event("event_chat_message", event))
        return [client.username for client in clients]

    def _deliver_here(self, event):
        clients = self.players.all()
        self.fanout(clients, encode_event("event_chat_message", event))
        return [client.username for client in clients]

    async def _deliver_global(self, event):
        here = self._deliver_here(event)
        self._publish(GLOBAL_CHANNEL, broadcast_message(self.server_id, event))
        try:
            everyone = await self.presence.usernames()
        except Exception:
            return here
        return sorted(set(here) | set(everyone), key=str.lower)

    async def _deliver_dm(self, sender, recipient, event):
        if not isinstance(recipient, str) or not recipient:
            raise ChatRecipientNotFound("No recipient given")
        try:
            entry = await self.presence.lookup(recipient)
        except Exception:
            # Shared presence is away: players of this process are still here.
            entry = self._local_entry(recipient)
        if entry is None:
            raise ChatRecipientNotFound(f"{recipient} is not online", recipient=recipient)
        event = {**event, "recipient": entry.username}
        frame = encode_event("event_chat_message", event)
        if entry.server_id == self.server_id:
            client = self.players.client(entry.player_id)
            if client is None:
                raise ChatRecipientNotFound(f"{recipient} is not online", recipient=recipient)
            client.send_frame(frame)
        else:
            self._publish(server_channel(entry.server_id),
                          chat_message(entry.player_id, event))
        if entry.player_id != sender.player_id:
            sender.send_frame(frame)
            return [sender.username, entry.username]
        return [sender.username]

    def _local_entry(self, username):
        wanted = username.lower()
        for client in self.players.all():
            if client.username.lower() == wanted:
                return PresenceEntry(client.player_id, client.username, self.server_id,
                                     client.connection_id)
        return None

    def _dm_from_bus(self, data):
        """A DM that arrived from another process, on this process's channel."""
        message = read_message(data)
        if (message is None or message.get("kind") != "chat"
                or not isinstance(message.get("event"), dict)):
            return  # not chat (the hub's), or unreadable (the hub logs it)
        client = self.players.client(message.get("player_id"))
        if client is not None:
            client.send_frame(encode_event("event_chat_message", message["event"]))

    # -- the bus
    def _publish(self, channel, message):
        d = defer.maybeDeferred(self.bus.publish, channel, message)
        d.addErrback(lambda f: None)  # the bus logs its own outages

    def _from_bus(self, data):
        message = read_message(data)
        if message is None:
            self.log.warn("Unreadable chat message from the bus")
            return None
        if message.get("origin") == self.server_id:
            return None
        event = message.get("event")
        return event if isinstance(event, dict) else None

    def _global_from_bus(self, data):
        event = self._from_bus(data)
        if event is not None:
            self._deliver_here(event)

    _system_from_bus = _global_from_bus
