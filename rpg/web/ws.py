"""
The WebSocket edge: decode, hand to the session, encode.  Nothing else.
"""

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol

from rpg.session import Session


class GameProtocol(WebSocketServerProtocol):
    # No C{log} of our own: Autobahn logs every frame at debug level through
    # C{self.log}, and its txaio logger drops those cheaply; a Twisted
    # Logger here would format and write each one.
    session = None

    def onConnect(self, request):
        self.peer_address = request.peer
        return None

    def onOpen(self):
        factory = self.factory
        self.session = Session(factory.hub, self._send, self._close, factory.clock,
                               factory.tunables, peer=self.peer_address)
        self.session.transport_protocol = self
        factory.connections.add(self)
        self.session.connection_made()

    def onMessage(self, payload, isBinary):
        if self.session is not None:
            self.session.frame_received(payload, isBinary)

    def onClose(self, wasClean, code, reason):
        self.factory.connections.discard(self)
        if self.session is not None:
            self.session.connection_lost()

    def _send(self, frame):
        if self.state == WebSocketServerProtocol.STATE_OPEN:
            self.sendMessage(frame, isBinary=True)

    def send_prepared(self, prepared):
        if self.state == WebSocketServerProtocol.STATE_OPEN:
            self.sendPreparedMessage(prepared)

    def _close(self, code, reason):
        # sendClose() only takes 1000 and 3000-4999 from applications; the
        # protocol needs 1001 and 1008 too, which RFC 6455 lets a server send.
        if self.state == WebSocketServerProtocol.STATE_OPEN:
            self.sendCloseFrame(code=code, reasonUtf8=reason.encode("utf-8")[:123],
                                isReply=False)


class GameFactory(WebSocketServerFactory):
    protocol = GameProtocol

    def __init__(self, hub, tunables, clock, url=None):
        super().__init__(url)
        self.hub = hub
        self.tunables = tunables
        self.clock = clock
        self.connections = set()
        self.setProtocolOptions(
            maxMessagePayloadSize=tunables.max_message_bytes,
            maxFramePayloadSize=tunables.max_frame_bytes,
            openHandshakeTimeout=tunables.open_handshake_timeout_s,
            autoPingInterval=tunables.auto_ping_interval_s,
            autoPingTimeout=tunables.auto_ping_timeout_s,
            closeHandshakeTimeout=2,
            failByDrop=False,
            webStatus=False,
            perMessageCompressionAccept=lambda offers: None,
        )

    def fanout(self, clients, frame):
        """Send one frame to many sessions, framed once."""
        if len(clients) == 1:
            clients[0].send_frame(frame)
            return
        prepared = self.prepareMessage(frame, isBinary=True)
        for client in clients:
            transport = client.transport_protocol
            if transport is None:
                client.send_frame(frame)
            elif client.state != "closed":
                transport.send_prepared(prepared)

    def close_all(self, code, reason):
        for protocol in list(self.connections):
            protocol._close(code, reason)
