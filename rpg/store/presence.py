"""
Presence and the message bus inside one process.

The shipped default for a single server process, and the reference the Valkey
implementations (L{rpg.store.valkey_presence}, L{rpg.store.valkey_bus}) are
tested against.
"""

from twisted.internet.defer import succeed
from twisted.logger import Logger
from zope.interface import implementer

from rpg.interfaces import IMessageBus, IPresence


def presence_key(username):
    """The case-insensitive key a player's presence is stored under."""
    return username.lower()


@implementer(IPresence)
class MemoryPresence:
    """
    Presence held in a dict.  Entries never expire: a crashed process takes
    its players with it, so there is nothing to keep alive.
    """

    def __init__(self):
        self._entries = {}

    def claim(self, entry):
        key = presence_key(entry.username)
        previous = self._entries.get(key)
        self._entries[key] = entry
        return succeed(previous)

    def release(self, entry):
        key = presence_key(entry.username)
        if self._entries.get(key) != entry:
            return succeed(False)
        del self._entries[key]
        return succeed(True)

    def lookup(self, username):
        return succeed(self._entries.get(presence_key(username)))

    def count(self):
        return succeed(len(self._entries))

    def usernames(self):
        return succeed(sorted((e.username for e in self._entries.values()), key=str.lower))

    def refresh(self, entries):
        return succeed(None)


def check_message(channel, message):
    """Refuse what the bus cannot carry: a bug, so raise at once."""
    if not isinstance(channel, str) or not channel:
        raise TypeError(f"bus channel must be a non-empty str, not {channel!r}")
    if not isinstance(message, bytes):
        raise TypeError(f"bus message must be bytes, not {type(message).__name__}")


def deliver(log, handlers, channel, message):
    """
    Call every handler with the message; one handler's exception is logged
    and does not stop the others or reach the publisher.
    """
    for handler in list(handlers):
        try:
            handler(message)
        except Exception:
            log.failure("bus handler {handler!r} failed on channel {channel}",
                        handler=handler, channel=channel)


@implementer(IMessageBus)
class MemoryBus:
    """
    A bus for one process: C{publish} calls this process's handlers
    synchronously, before its Deferred fires.
    """

    log = Logger()

    def __init__(self):
        self._handlers = {}

    def publish(self, channel, message):
        check_message(channel, message)
        deliver(self.log, self._handlers.get(channel, ()), channel, message)
        return succeed(None)

    def subscribe(self, channel, handler):
        check_message(channel, b"")
        self._handlers.setdefault(channel, []).append(handler)
        return succeed(None)
