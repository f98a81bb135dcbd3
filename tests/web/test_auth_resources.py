"""
/auth/* answers for a full hashing queue (503 SERVER_BUSY) and a throttled
password change (429), with Retry-After.
"""

import json
from io import BytesIO

from twisted.internet import defer
from twisted.internet.address import IPv4Address
from twisted.web.test.requesthelper import DummyRequest

from rpg.services.auth import LoginThrottled
from rpg.services.throttles import HashingBusy
from rpg.web.account import PasswordResource
from rpg.web.http import LoginResource, RegisterResource


class BusyAuth:
    def register(self, username, password, address=None):
        return defer.fail(HashingBusy(2.2))

    def login(self, username, password, address):
        return defer.fail(HashingBusy(0.2))

    def change_password(self, token, old_password, new_password, address):
        return defer.fail(HashingBusy(4.5))


class ThrottledAuth:
    def change_password(self, token, old_password, new_password, address):
        return defer.fail(LoginThrottled(59.2))


def post(resource, body=b'{"username": "busy_1", "password": "password123"}'):
    request = DummyRequest([b""])
    request.method = b"POST"
    request.client = IPv4Address("TCP", "192.0.2.1", 5000)
    request.requestHeaders.setRawHeaders(b"content-type", [b"application/json"])
    request.requestHeaders.setRawHeaders(b"authorization", [b"Bearer a-token"])
    request.content = BytesIO(body)
    resource.render(request)
    return request


def test_a_full_hashing_queue_is_503_server_busy_with_retry_after():
    """Registration, login and a password change all meet a full queue with 503 and Retry-After."""
    for resource, retry in ((RegisterResource(BusyAuth()), b"3"), (LoginResource(BusyAuth()), b"1"),
                            (PasswordResource(BusyAuth()), b"5")):
        request = post(resource)
        assert request.responseCode == 503
        assert request.responseHeaders.getRawHeaders(b"retry-after") == [retry]
        assert json.loads(b"".join(request.written))["error_code"] == "SERVER_BUSY"


def test_a_throttled_password_change_is_429_with_retry_after():
    """Wrong old passwords count as failed logins: 429 AUTHENTICATION_RATE_LIMITED with Retry-After."""
    request = post(PasswordResource(ThrottledAuth()),
                   b'{"old_password": "guess-guess", "new_password": "password123"}')
    assert request.responseCode == 429
    assert request.responseHeaders.getRawHeaders(b"retry-after") == [b"60"]
    assert json.loads(b"".join(request.written))["error_code"] == "AUTHENTICATION_RATE_LIMITED"
