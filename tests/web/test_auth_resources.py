"""/auth/* answers for a full hashing queue: 503 SERVER_BUSY with Retry-After."""

import json
from io import BytesIO

from twisted.internet import defer
from twisted.internet.address import IPv4Address
from twisted.web.test.requesthelper import DummyRequest

from rpg.services.throttles import HashingBusy
from rpg.web.http import LoginResource, RegisterResource


class BusyAuth:
    def register(self, username, password, address=None):
        return defer.fail(HashingBusy(2.2))

    def login(self, username, password, address):
        return defer.fail(HashingBusy(0.2))


def post(resource, body=b'{"username": "busy_1", "password": "password123"}'):
    request = DummyRequest([b""])
    request.method = b"POST"
    request.client = IPv4Address("TCP", "192.0.2.1", 5000)
    request.requestHeaders.setRawHeaders(b"content-type", [b"application/json"])
    request.content = BytesIO(body)
    resource.render(request)
    return request


def test_a_full_hashing_queue_is_503_server_busy_with_retry_after():
    for resource, retry in ((RegisterResource(BusyAuth()), b"3"), (LoginResource(BusyAuth()), b"1")):
        request = post(resource)
        assert request.responseCode == 503
        assert request.responseHeaders.getRawHeaders(b"retry-after") == [retry]
        assert json.loads(b"".join(request.written))["error_code"] == "SERVER_BUSY"
