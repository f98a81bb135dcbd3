"""
This process's links to the others: it listens for them, connects to them
by the addresses they publish, and reports each message and each lost peer.
"""

from twisted.application.service import Service
from twisted.internet import defer, endpoints
from twisted.internet.protocol import Factory
from twisted.logger import Logger

from rpg.link.protocol import LinkProtocol

# Messages asked for while a link is still being opened wait for it, up to this many.
MAX_WAITING = 10_000


class _LinkFactory(Factory):
    def __init__(self, links, expected_peer=None):
        self.links = links
        self.expected_peer = expected_peer

    def buildProtocol(self, addr):
        return LinkProtocol(self.links, self.expected_peer)


class LinkService(Service):
    """
    The links of one process.

    @ivar address: the endpoint description other processes connect to
        (known once started).
    @ivar peers: peer server id to its open, authenticated links, oldest
        first.  Messages to a peer always go on its oldest link, so that they
        arrive in the order they were sent (two processes that dial each
        other at once have two links).
    @param on_message: called with C{(peer_id, kind, body)} for every message.
    @param on_lost: called with C{peer_id} when its last link closes: treat it
        like the death of that process.
    """
    log = Logger()

    def __init__(self, server_id, secret, listen, clock, *, reactor=None, address=None,
                 heartbeat_s=1.0, timeout_s=5.0, on_message=None, on_lost=None, metrics=None):
        if reactor is None:
            from twisted.internet import reactor
        self.server_id = server_id
        self.secret = secret
        self.listen = listen
        self.clock = clock
        self.reactor = reactor
        self.address = address
        self.heartbeat_s = heartbeat_s
        self.timeout_s = timeout_s
        self.on_message = on_message or (lambda peer_id, kind, body: None)
        self.on_lost = on_lost or (lambda peer_id: None)
        # Counts each message and its bytes (rpg_link_messages, rpg_link_bytes).
        self.metrics = metrics
        self.peers = {}
        self._opening = {}  # peer id -> messages waiting for the link
        self._port = None

    def startService(self):
        super().startService()
        self.ready = defer.ensureDeferred(self._listen())

    async def _listen(self):
        endpoint = endpoints.serverFromString(self.reactor, self.listen)
        self._port = await endpoint.listen(_LinkFactory(self))
        if self.address is None:
            host = self._port.getHost()
            self.address = f"tcp:{host.host}:{host.port}"
        self.log.info("Links listening on {address}", address=self.address)

    def stopService(self):
        super().stopService()
        for links in list(self.peers.values()):
            for link in list(links):
                link.transport.loseConnection()
        if self._port is not None:
            return self._port.stopListening()

    def connected(self, peer_id):
        return bool(self.peers.get(peer_id))

    def connect(self, peer_id, address):
        """Open a link to C{peer_id} at C{address} unless one is open or opening."""
        if self.connected(peer_id) or peer_id in self._opening:
            return
        self._opening[peer_id] = []
        endpoint = endpoints.clientFromString(self.reactor, address)
        d = endpoint.connect(_LinkFactory(self, peer_id))
        d.addErrback(lambda failure: self._not_linked(peer_id, failure.getErrorMessage()))

    def send(self, peer_id, kind, *body):
        """
        Send one message to C{peer_id}.

        @return: C{True} if sent or waiting for a link being opened; C{False}
            if there is no link (call L{connect} first) or too much waits.
        """
        links = self.peers.get(peer_id)
        if links:
            links[0].send(kind, *body)
            return True
        waiting = self._opening.get(peer_id)
        if waiting is None or len(waiting) >= MAX_WAITING:
            return False
        waiting.append((kind, body))
        return True

    def _not_linked(self, peer_id, why):
        waiting = self._opening.pop(peer_id, None)
        if waiting is None:
            return
        self.log.warn("Could not link to {peer_id}: {why} ({count} messages dropped)",
                      peer_id=peer_id, why=why, count=len(waiting))
        self.on_lost(peer_id)

    # -- told by LinkProtocol
    def link_failed(self, peer_id):
        """A link dialled to C{peer_id} closed before its handshake completed."""
        if not self.connected(peer_id):
            self._not_linked(peer_id, "the link closed before its handshake completed")

    def link_ready(self, link):
        self.peers.setdefault(link.peer_id, []).append(link)
        for kind, body in self._opening.pop(link.peer_id, []):
            link.send(kind, *body)
        self.log.info("Linked to {peer_id}", peer_id=link.peer_id)

    def link_message(self, link, kind, body):
        try:
            self.on_message(link.peer_id, kind, body)
        except Exception:
            self.log.failure("Link message {kind} from {peer_id} failed", kind=kind,
                             peer_id=link.peer_id)

    def link_lost(self, link):
        links = self.peers.get(link.peer_id)
        if links is None or link not in links:
            return
        if links[0] is not link:
            links.remove(link)  # never used for sending: nothing was lost
            return
        # The link messages went on: what was in flight on it is lost, so the
        # peer is lost, whatever other link is still open to it.
        del self.peers[link.peer_id]
        for other in links[1:]:
            other.transport.loseConnection()
        self.log.warn("Lost the link to {peer_id}", peer_id=link.peer_id)
        self.on_lost(link.peer_id)
