"""
One link connection between two server processes.

Each message is one MessagePack array C{[kind, *body]} in a 32-bit
length-prefixed frame.  Both sides open with C{["hello", server_id, nonce]}
and prove they know the shared secret with C{["proof", hmac]} over the other
side's nonce; nothing else is accepted before that.  Both send
C{["ping"]} every C{heartbeat_s}; a link that hears nothing for
C{timeout_s} is dropped, and its loss is reported like a dead peer.
"""

import hashlib
import hmac
import os

import msgpack
from twisted.internet import task
from twisted.logger import Logger
from twisted.protocols.basic import Int32StringReceiver
from twisted.protocols.policies import TimeoutMixin

LINK_VERSION = 1
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# What may wait unsent for a peer that does not read (stalled, overloaded)
# before its link is dropped like a dead peer's: the sender's memory stays
# bounded whatever the other side does.
MAX_BACKLOG_BYTES = 64 * 1024 * 1024


def proof(secret, nonce, server_id):
    """What a side that knows C{secret} answers to C{nonce} as C{server_id}."""
    return hmac.new(secret, b"rpg-link:%d:" % LINK_VERSION + nonce + b":" + server_id.encode(),
                    hashlib.sha256).digest()


class LinkProtocol(Int32StringReceiver, TimeoutMixin):
    """
    One authenticated link.

    @ivar peer_id: the other process's server id, once it has proved itself.
    @param node: the owner of this link: gives C{server_id}, C{secret},
        C{clock}, C{heartbeat_s}, C{timeout_s}, and is told
        C{link_ready(protocol)}, C{link_message(protocol, kind, body)},
        C{link_lost(protocol)}, and C{link_failed(peer_id)} when a link it
        dialled closes before the handshake completed.
    @param expected_peer: on a link this process dialled, the server id it
        must reach (a peer that names another is refused).
    """
    log = Logger()
    MAX_LENGTH = MAX_MESSAGE_BYTES
    max_backlog = MAX_BACKLOG_BYTES

    def __init__(self, node, expected_peer=None):
        self.node = node
        # On a link this process opened: the server id it dialled.
        self.expected_peer = expected_peer
        self.peer_id = None
        self._claimed_id = None
        self._nonce = os.urandom(16)
        self._heartbeat = task.LoopingCall(self.send, "ping")
        self._heartbeat.clock = node.clock
        self.messages_in = self.messages_out = 0
        self.bytes_in = self.bytes_out = 0
        # Bytes sent since the transport's buffer filled (None: not full).
        self._backlog = None

    def callLater(self, period, f):
        return self.node.clock.callLater(period, f)

    def connectionMade(self):
        # The transport says when its buffer is full and when it drained.
        self.transport.registerProducer(self, True)
        self.setTimeout(self.node.timeout_s)
        self.send("hello", self.node.server_id, self._nonce)

    def send(self, kind, *body):
        """Send one message (before the handshake only hello and proof go out)."""
        data = msgpack.packb([kind, *body], use_bin_type=True)
        if self._backlog is not None:
            if self._backlog > self.max_backlog:
                return  # dropped already: the connection is being aborted
            self._backlog += len(data)
            if self._backlog > self.max_backlog:
                self._refuse(f"over {self.max_backlog} bytes unsent: the peer does not read")
                return
        self.messages_out += 1
        self.bytes_out += len(data)
        self.sendString(data)
        metrics = getattr(self.node, "metrics", None)
        if metrics is not None and self.peer_id is not None:
            metrics.link_message("out", kind, len(data))

    # -- IPushProducer: the transport's buffer filled, or drained
    def pauseProducing(self):
        if self._backlog is None:
            self._backlog = 0

    def resumeProducing(self):
        self._backlog = None

    def stopProducing(self):
        pass

    def stringReceived(self, data):
        self.resetTimeout()
        self.messages_in += 1
        self.bytes_in += len(data)
        try:
            message = msgpack.unpackb(data, raw=False, strict_map_key=False)
            kind, body = message[0], message[1:]
        except Exception:
            self._refuse("an unreadable message")
            return
        if self.peer_id is None:
            self._handshake(kind, body)
        elif kind != "ping":
            metrics = getattr(self.node, "metrics", None)
            if metrics is not None and isinstance(kind, str):
                metrics.link_message("in", kind, len(data))
            self.node.link_message(self, kind, body)

    def _handshake(self, kind, body):
        if kind == "hello" and self._claimed_id is None and len(body) == 2 \
                and isinstance(body[0], str) and isinstance(body[1], bytes) \
                and self.expected_peer in (None, body[0]):
            self._claimed_id = body[0]
            self.send("proof", proof(self.node.secret, body[1], self.node.server_id))
        elif kind == "proof" and self._claimed_id is not None and len(body) == 1 \
                and isinstance(body[0], bytes) \
                and hmac.compare_digest(body[0], proof(self.node.secret, self._nonce,
                                                       self._claimed_id)):
            self.peer_id = self._claimed_id
            self._heartbeat.start(self.node.heartbeat_s, now=False)
            self.node.link_ready(self)
        else:
            self._refuse(f"{kind!r} before a valid handshake")

    def _refuse(self, what):
        self.log.warn("Dropping link from {peer}: {what}", peer=self.transport.getPeer(),
                      what=what)
        self.transport.abortConnection()

    def lengthLimitExceeded(self, length):
        self._refuse(f"a message of {length} bytes")

    def timeoutConnection(self):
        self.log.warn("Link to {peer_id} silent for {seconds} s: dropping it",
                      peer_id=self.peer_id or self._claimed_id, seconds=self.node.timeout_s)
        self.transport.abortConnection()

    def connectionLost(self, reason):
        self.setTimeout(None)
        if self._heartbeat.running:
            self._heartbeat.stop()
        if self.peer_id is not None:
            self.node.link_lost(self)
        elif self.expected_peer is not None:
            self.node.link_failed(self.expected_peer)
