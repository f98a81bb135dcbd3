"""The WebSocket edge's protocol options and the start-up NVX check."""

import dataclasses

import autobahn.websocket

from rpg.config import Tunables
from rpg.server import check_nvx
from rpg.web.ws import GameFactory


class Log:
    def __init__(self):
        self.warnings = []

    def warn(self, text, **kw):
        self.warnings.append(text)


def test_protocol_options_are_set_deliberately():
    """Message and frame caps, handshake timeout, keepalive, no compression, no status page."""
    tunables = dataclasses.replace(Tunables(), max_message_bytes=4096)
    factory = GameFactory(hub=None, tunables=tunables, clock=None)
    assert factory.maxMessagePayloadSize == 4096
    assert factory.maxFramePayloadSize == tunables.max_frame_bytes
    assert factory.openHandshakeTimeout == tunables.open_handshake_timeout_s
    assert 0 < factory.autoPingInterval + factory.autoPingTimeout <= 60
    assert factory.failByDrop is False and factory.webStatus is False
    assert factory.perMessageCompressionAccept([object()]) is None


def test_incoming_text_frames_are_checked_for_utf8():
    """RFC 6455 first: Autobahn validates incoming UTF-8, so a bad text frame closes 1007."""
    factory = GameFactory(hub=None, tunables=Tunables(), clock=None)
    assert factory.utf8validateIncoming is True


def test_missing_nvx_is_warned_about(monkeypatch):
    """Without Autobahn's NVX acceleration the start-up check warns loudly."""
    monkeypatch.setattr(autobahn.websocket, "USES_NVX", False)
    log = Log()
    assert check_nvx(log) is False
    assert log.warnings and "NVX" in log.warnings[0]


def test_nvx_in_use_here():
    """On this platform NVX is in use, and the check stays quiet."""
    log = Log()
    assert check_nvx(log) is True and log.warnings == []


def test_origins_allowed():
    """No Origin (not a browser), the server's own origin, or a listed one; nothing else."""
    from rpg.web.ws import origin_allowed
    assert origin_allowed(None, "game.example:8000", ())
    assert origin_allowed("http://game.example:8000", "game.example:8000", ())
    assert origin_allowed("https://Game.Example", "game.example", ())
    assert origin_allowed("http://game.example", "game.example:80", ())
    assert origin_allowed("http://[::1]:8000", "[::1]:8000", ())
    assert not origin_allowed("http://evil.example", "game.example", ())
    assert not origin_allowed("http://game.example:9000", "game.example:8000", ())
    assert not origin_allowed("https://game.example", "game.example:80", ())
    assert not origin_allowed("null", "game.example", ())
    assert not origin_allowed("http://game.example:8000", None, ())
    allowed = ("https://play.example", "http://localhost:5173/")
    assert origin_allowed("https://play.example", "game.example", allowed)
    assert origin_allowed("http://localhost:5173", "game.example", allowed)
    assert not origin_allowed("https://play.example:444", "game.example", allowed)
    assert origin_allowed("https://anything.example", "game.example", ("*",))
