"""
A small protocol 2.0 test client: correlation ids, replies, collected events.
"""

import itertools
import json

import msgpack
from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from twisted.internet import defer, reactor
from twisted.internet.endpoints import clientFromString
from twisted.web.client import Agent, PartialDownloadError, readBody
from twisted.web.http_headers import Headers
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

_ids = itertools.count(1)
DEFAULT_TIMEOUT = 5.0


@implementer(IBodyProducer)
class _Body:
    def __init__(self, data):
        self.data = data
        self.length = len(data)

    def startProducing(self, consumer):
        consumer.write(self.data)
        return defer.succeed(None)

    def pauseProducing(self):
        pass

    def stopProducing(self):
        pass


async def http(method, url, body=None, content_type=b"application/json", raw=None,
               headers=None):
    """
    @param headers: more request headers, C{{name: value}} (bytes).
    @return: C{(status, parsed JSON or text, headers)}.
    """
    agent = Agent(reactor)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    extra = headers or {}
    headers = (Headers({b"content-type": [content_type]})
               if data is not None and content_type is not None else None)
    if extra:
        headers = headers or Headers()
        for name, value in extra.items():
            headers.addRawHeader(name, value)
    response = await agent.request(method.encode(), url.encode(), headers,
                                   _Body(data) if data is not None else None)
    try:
        text = await readBody(response)
    except PartialDownloadError as e:
        text = e.response
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    return response.code, parsed, response.headers


class _Protocol(WebSocketClientProtocol):
    def onOpen(self):
        self.factory.client._opened(self)

    def onMessage(self, payload, isBinary):
        self.factory.client._received(payload, isBinary)

    def onClose(self, wasClean, code, reason):
        self.factory.client._closed(code, reason)


class GameClient:
    """
    One player's connection.  C{events} collects every server message without
    a correlation id; C{request()} waits for the reply to its own id.
    """

    def __init__(self):
        self.protocol = None
        self.events = []
        self.frames = []  # every decoded message, in order
        self._replies = {}
        self._waiters = []
        self._opened_d = defer.Deferred()
        self.closed = defer.Deferred()
        self.close_code = None
        self.close_reason = None

    @classmethod
    async def connect(cls, ws_url, timeout=DEFAULT_TIMEOUT):
        client = cls()
        factory = WebSocketClientFactory(ws_url)
        factory.protocol = _Protocol
        factory.client = client
        factory.setProtocolOptions(autoPingInterval=0)
        host, port = ws_url.split("//")[1].split("/")[0].rsplit(":", 1)
        endpoint = clientFromString(reactor, f"tcp:host={host}:port={port}")
        await endpoint.connect(factory)
        client._opened_d.addTimeout(timeout, reactor)
        await client._opened_d
        return client

    # -- transport callbacks
    def _opened(self, protocol):
        self.protocol = protocol
        self._opened_d.callback(self)

    def _received(self, payload, is_binary):
        message = msgpack.unpackb(payload, raw=False, strict_map_key=False)
        self.frames.append(message)
        request_id = message.get("id")
        if request_id is not None and request_id in self._replies:
            d = self._replies.pop(request_id)
            d.callback(message)
            return
        if request_id is None:
            self.events.append(message)
        for waiter in list(self._waiters):
            predicate, d = waiter
            if predicate(message):
                self._waiters.remove(waiter)
                d.callback(message)

    def _closed(self, code, reason):
        self.close_code, self.close_reason = code, reason
        if not self.closed.called:
            self.closed.callback((code, reason))
        for d in self._replies.values():
            if not d.called:
                d.errback(ConnectionError(f"closed {code} {reason}"))
        self._replies.clear()

    # -- sending
    def send_raw(self, data, is_binary=True):
        self.protocol.sendMessage(data, isBinary=is_binary)

    def send(self, message_type, payload=None, request_id=None, version="2.0"):
        request_id = request_id or f"req-{next(_ids)}"
        message = {"id": request_id, "type": message_type, "version": version}
        if payload is not None:
            message["payload"] = payload
        self.send_raw(msgpack.packb(message))
        return request_id

    def request(self, message_type, payload=None, timeout=DEFAULT_TIMEOUT, **kwargs):
        """@return: Deferred firing with the reply (the whole message)."""
        request_id = kwargs.pop("request_id", None) or f"req-{next(_ids)}"
        d = defer.Deferred()
        self._replies[request_id] = d
        self.send(message_type, payload, request_id=request_id, **kwargs)
        d.addTimeout(timeout, reactor)
        return d

    def wait_for(self, predicate, timeout=DEFAULT_TIMEOUT, include_past=False):
        """@return: Deferred firing with the next message (or a past event) matching."""
        if include_past:
            for message in self.frames:
                if predicate(message):
                    return defer.succeed(message)
        d = defer.Deferred()
        self._waiters.append((predicate, d))
        d.addTimeout(timeout, reactor)
        return d

    def wait_for_event(self, message_type, predicate=lambda p: True, timeout=DEFAULT_TIMEOUT,
                       include_past=False):
        return self.wait_for(
            lambda m: m.get("id") is None and m.get("type") == message_type
            and predicate(m["payload"]), timeout, include_past)

    def events_of(self, message_type):
        return [m["payload"] for m in self.events if m["type"] == message_type]

    def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        """@return: Deferred firing with C{(code, reason)} once the server closed us."""
        d = defer.Deferred()
        self.closed.addBoth(lambda result: (d.called or d.callback(result), result)[1])
        d.addTimeout(timeout, reactor)
        return d

    def close(self):
        if self.protocol is not None and not self.closed.called:
            self.protocol.sendClose(1000)
        return self.wait_closed()
