"""The HTTP edge's limits: body size, request deadline, connection caps, headers (on task.Clock)."""

import dataclasses
import json

from twisted.internet import task
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.testing import StringTransport
from twisted.web import resource

from rpg.config import Tunables
from rpg.addresses import address_key, is_loopback
from rpg.web.limits import ConnectionLimits, GuardedSite


class Echo(resource.Resource):
    isLeaf = True

    def __init__(self):
        super().__init__()
        self.bodies = []

    def render(self, request):
        self.bodies.append(request.content.read())
        return b"ok"


def site(**tunables):
    clock = task.Clock()
    echo = Echo()
    s = GuardedSite(echo, dataclasses.replace(Tunables(), **tunables), reactor=clock)
    return s, echo, clock


def connect(s, host="203.0.113.5", port=40000):
    channel = s.buildProtocol(IPv4Address("TCP", host, port))
    if channel is None:
        return None, None
    transport = StringTransport(peerAddress=IPv4Address("TCP", host, port))
    channel.makeConnection(transport)
    return channel, transport


def status_of(transport):
    return int(transport.value().split(b" ", 2)[1])


def json_body(transport):
    return json.loads(transport.value().split(b"\r\n\r\n", 1)[1])


def test_a_declared_body_over_the_cap_is_413_before_any_of_it_is_read():
    s, echo, _ = site(http_max_body_bytes=1000)
    channel, transport = connect(s)
    channel.dataReceived(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\n")
    assert status_of(transport) == 413
    assert json_body(transport)["error_code"] == "INVALID_MESSAGE_FORMAT"
    assert transport.disconnecting
    channel.dataReceived(b"x" * 100_000)  # what follows is dropped, not spooled
    assert echo.bodies == [] and channel.requests[-1].content is None


def test_a_chunked_body_is_refused_as_it_passes_the_cap():
    s, echo, _ = site(http_max_body_bytes=1000)
    channel, transport = connect(s)
    channel.dataReceived(b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    channel.dataReceived(b"258\r\n" + b"a" * 600 + b"\r\n")
    assert transport.value() == b""
    channel.dataReceived(b"258\r\n" + b"a" * 600 + b"\r\n0\r\n\r\n")
    assert status_of(transport) == 413 and echo.bodies == []


def test_bodies_up_to_the_cap_reach_the_resource():
    s, echo, _ = site(http_max_body_bytes=1000)
    channel, transport = connect(s)
    channel.dataReceived(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + b"b" * 1000)
    assert status_of(transport) == 200 and echo.bodies == [b"b" * 1000]


def test_a_trickling_request_is_closed_at_the_deadline_though_each_byte_resets_the_idle_timer():
    s, echo, clock = site(http_request_deadline_s=30.0)
    channel, transport = connect(s)
    for byte in b"GET /x HTTP/1.1\r\n":
        clock.advance(20)  # one byte every 20 s: inside the 60 s idle timeout each time
        if transport.disconnecting:
            break
        channel.dataReceived(bytes([byte]))
    assert clock.seconds() == 40  # closed at 30 s, seen at the next step
    assert status_of(transport) == 408 and json_body(transport)["error_code"] == "REQUEST_TIMEOUT"
    assert echo.bodies == []


def test_the_deadline_starts_again_for_each_request_on_a_kept_alive_connection():
    s, echo, clock = site(http_request_deadline_s=30.0)
    channel, transport = connect(s)
    for _ in range(3):
        clock.advance(20)
        channel.dataReceived(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    assert not transport.disconnecting and len(echo.bodies) == 3


def test_connections_over_the_per_address_cap_are_refused_and_counted_back_when_closed():
    s, _, _ = site(max_connections_per_address=2, max_connections=100)
    first, t1 = connect(s)
    second, _ = connect(s)
    assert connect(s) == (None, None)
    assert connect(s, host="198.51.100.7")[0] is not None  # another address is not affected
    first.connectionLost(None)
    assert connect(s)[0] is not None


def test_a_connection_taken_over_by_another_protocol_is_released_when_its_transport_closes():
    s, _, _ = site(max_connections_per_address=1, max_connections=100)
    channel, transport = connect(s)
    transport.protocol = object()  # as a WebSocket upgrade does: the channel never hears the end
    assert connect(s) == (None, None)
    transport.disconnected = True
    assert connect(s)[0] is not None


def test_the_global_cap_refuses_every_address():
    s, _, _ = site(max_connections_per_address=10, max_connections=2)
    connect(s, host="192.0.2.1")
    connect(s, host="192.0.2.2")
    assert connect(s, host="192.0.2.3") == (None, None)


def test_zero_means_no_cap():
    limits = ConnectionLimits(0, 0)
    for n in range(1000):
        assert limits.admit("a")
        limits.opened("a", object())


def test_ipv6_addresses_are_counted_by_their_64_network():
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:3::5") != address_key("2001:db8:1:2::5")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    s, _, _ = site(max_connections_per_address=1)
    assert s.buildProtocol(IPv6Address("TCP", "2001:db8::1", 1)) is not None
    s.buildProtocol(IPv6Address("TCP", "2001:db8::1", 1)).makeConnection(StringTransport())
    assert s.buildProtocol(IPv6Address("TCP", "2001:db8::2", 1)) is None


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.2")
    assert not is_loopback("203.0.113.5") and not is_loopback("unix")


def test_every_answer_carries_the_security_headers_and_no_server_banner():
    s, _, _ = site(http_max_body_bytes=10)
    for request in (b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n",
                    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"):
        channel, transport = connect(s)
        channel.dataReceived(request)
        head = transport.value().split(b"\r\n\r\n")[0].lower()
        assert b"\r\nx-content-type-options: nosniff" in head
        assert b"\r\ncontent-security-policy: default-src 'self'" in head
        assert b"\r\nreferrer-policy: no-referrer" in head
        assert b"\r\nserver:" not in head and b"twisted" not in head


def static_site(tmp_path):
    from rpg.web.site import StaticFile
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_bytes(b"0123456789" * 10)
    clock = task.Clock()
    return GuardedSite(StaticFile(str(tmp_path)), Tunables(), reactor=clock)


def test_static_directories_are_not_listed(tmp_path):
    s = static_site(tmp_path)
    channel, transport = connect(s)
    channel.dataReceived(b"GET /assets/ HTTP/1.1\r\nHost: a\r\n\r\n")
    assert status_of(transport) == 404 and json_body(transport)["error_code"] == "NOT_FOUND"
    assert b"app.js" not in transport.value()


def test_a_static_multi_range_request_gets_the_whole_file_and_one_range_still_works(tmp_path):
    from twisted.web import static
    from twisted.web.test.requesthelper import DummyRequest

    from rpg.web.site import StaticFile
    (tmp_path / "app.js").write_bytes(b"0123456789" * 10)
    for ranges, producer_type, code in ((b"bytes=0-,0-,0-,0-", static.NoRangeStaticProducer, 200),
                                        (b"bytes=5-9", static.SingleRangeStaticProducer, 206)):
        request = DummyRequest([b""])
        request.requestHeaders.setRawHeaders(b"range", [ranges])
        resource = StaticFile(str(tmp_path / "app.js"))
        resource.type, resource.encoding = "text/javascript", None  # as render_GET sets them
        with open(tmp_path / "app.js", "rb") as f:
            producer = resource.makeProducer(request, f)
        assert type(producer) is producer_type and request.responseCode == code


def test_a_body_cap_too_small_for_a_login_is_refused_at_start_up():
    from rpg.config import ConfigError, apply_overrides
    try:
        apply_overrides(Tunables(), {"http_max_body_bytes": 100})
    except ConfigError as e:
        assert "http_max_body_bytes" in str(e)
    else:
        raise AssertionError("accepted")


def test_the_parts_of_twisted_web_the_channel_relies_on_are_still_there():
    """LimitedChannel overrides and reads these; a Twisted without them must fail here, loudly."""
    from twisted.web import http
    for name in ("allHeadersReceived", "allContentReceived", "lineReceived", "rawDataReceived"):
        assert callable(getattr(http.HTTPChannel, name)), name
    channel = http.HTTPChannel()
    assert channel._handlingRequest is False
    channel.makeConnection(StringTransport())
    assert channel._networkProducer is not None
