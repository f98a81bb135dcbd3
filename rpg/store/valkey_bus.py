"""
The message bus over Valkey pub/sub, on the subscriber connection for
receiving and the command connection for C{PUBLISH}.  Failure behaviour is
described in C{docs/valkey.md}.
"""

import hashlib
import hmac

from twisted.internet.defer import Deferred, fail, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from rpg.interfaces import IMessageBus
from rpg.store.presence import check_message, deliver
from rpg.store.valkey_link import ValkeyUnavailable, connection_error_as_unavailable


TAG_BYTES = 32


def bus_key(secret):
    """The bus's HMAC key, derived from the server secret (never the secret itself)."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    return hmac.new(secret, b"rpg valkey bus v1", hashlib.sha256).digest()


def sign(key, channel_key, message):
    """C{message} behind its tag: HMAC-SHA256 of the Valkey channel and the message."""
    tag = hmac.new(key, channel_key + b"\0" + message, hashlib.sha256).digest()
    return tag + message


def verify(key, channel_key, signed):
    """@return: the message C{signed} carries, or C{None} when its tag is wrong."""
    tag, message = signed[:TAG_BYTES], signed[TAG_BYTES:]
    expected = hmac.new(key, channel_key + b"\0" + message, hashlib.sha256).digest()
    if len(signed) < TAG_BYTES or not hmac.compare_digest(tag, expected):
        return None
    return message


@implementer(IMessageBus)
class ValkeyBus:
    """
    The bus over Valkey pub/sub; this process's own messages come back to
    it too.  Publishing never fails: while Valkey is away messages are
    dropped and the outage is logged once.

    With a C{secret}, every message is signed (L{sign}) with a key derived
    from it, bound to its channel; a message whose tag is wrong (published
    by anyone who can reach Valkey but does not hold the server secret) is
    dropped with a warning.  Every process of one world shares the secret.
    """

    log = Logger()

    def __init__(self, commands, subscriber, namespace, secret=None):
        self._key = bus_key(secret) if secret else None
        self._forged = 0
        self._commands = commands
        self._subscriber = subscriber
        self._prefix = f"{namespace}:bus:"
        self._handlers = {}  # full channel name (bytes) -> [handler]
        self._subscribing = {}  # channel name -> [Deferred] of later subscribers
        self._dropped = 0
        subscriber.on_ready = self._resubscribe
        subscriber.on_message = self._received
        commands.on_restored.append(self._publishing_back)

    def channel_key(self, channel):
        """The Valkey channel that carries bus channel C{channel}."""
        return self._channel(channel)

    def _channel(self, channel):
        return (self._prefix + channel).encode()

    def signed(self, channel, message):
        """The bytes to PUBLISH on bus channel C{channel} for C{message}."""
        if self._key is None:
            return message
        return sign(self._key, self._channel(channel), message)

    def publish(self, channel, message):
        check_message(channel, message)
        d = self._commands.execute("PUBLISH", self._channel(channel),
                                   self.signed(channel, message))
        return d.addCallbacks(self._published, self._publish_failed)

    def _published(self, _):
        if self._dropped:
            self._publishing_back()

    def _publish_failed(self, failure):
        if not self._dropped:
            self.log.warn("bus publish failed ({error}); dropping messages until "
                          "Valkey is back", error=failure.getErrorMessage())
        self._dropped += 1

    def _publishing_back(self):
        if self._dropped:
            self.log.info("bus publishing resumed; {count} messages were dropped",
                          count=self._dropped)
            self._dropped = 0

    def subscribe(self, channel, handler):
        """
        Fails with L{ValkeyUnavailable} while Valkey is away; the handler
        stays registered and is subscribed when Valkey returns.
        """
        check_message(channel, b"")
        name = self._channel(channel)
        first = name not in self._handlers
        self._handlers.setdefault(name, []).append(handler)
        if not first:
            if name not in self._subscribing:
                return succeed(None)
            waiter = Deferred()
            self._subscribing[name].append(waiter)
            return waiter
        proto = self._subscriber.protocol
        if proto is None:
            return fail(ValkeyUnavailable(
                f"Valkey at {self._subscriber.address} is unreachable"))
        self._subscribing[name] = []
        d = proto.subscribe([name]).addErrback(connection_error_as_unavailable)
        return d.addBoth(self._subscribed, name)

    def _subscribed(self, result, name):
        """Tell later subscribers to the channel what the first one learnt."""
        failed = isinstance(result, Failure)
        for waiter in self._subscribing.pop(name, []):
            if failed:
                waiter.errback(result)
            else:
                waiter.callback(None)
        return result if failed else None

    def _resubscribe(self, proto):
        if not self._handlers:
            return None
        return proto.subscribe(list(self._handlers))

    def _received(self, channel, message):
        channel = bytes(channel)
        handlers = self._handlers.get(channel, ())
        name = channel[len(self._prefix):].decode("utf-8", "replace")
        if self._key is not None:
            verified = verify(self._key, channel, bytes(message))
            if verified is None:
                self._forged += 1
                # Every drop is a warning, but a flood is not a flood of logs.
                if self._forged & (self._forged - 1) == 0:
                    self.log.warn("Dropped a bus message on {channel} with a bad signature "
                                  "(not from a server sharing this world's secret); "
                                  "{count} so far", channel=name, count=self._forged)
                return
            message = verified
        deliver(self.log, handlers, name, message)
