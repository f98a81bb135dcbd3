"""
The write and read fast paths: the one module that relies on Twisted's and
Autobahn's internals.

Checked on Twisted 26.10.0 and Autobahn 26.11.1 (L{CHECKED_ON}), CPython
3.11.  C{tests/web/test_fastpath.py} drives these internals through a real
TCP connection and a real Autobahn handshake and fails, naming this module,
when a new release changes them; read this module again before upgrading
either library.

Why it exists:

  - Frames we write ourselves.  A server's frame is a two-to-ten byte
    header and the payload, never masked (L{binary_frame}).  Autobahn's
    C{sendMessage} costs about 3 µs a frame and its C{sendPreparedMessage}
    2.6 µs, against 0.4 µs for this, at some 20,000 frames a second with a
    thousand players.  It is only correct while Autobahn has nothing queued
    for the connection and compresses nothing (L{frames_directly}): its
    C{send_queue} and C{_perMessageCompress} attributes.

  - Writes straight to the socket.  Each write to a Twisted transport
    registers the socket with epoll and unregisters it after the flush, two
    syscalls besides the C{send}.  When Twisted has nothing buffered for a
    plain TCP connection (C{tcp.Server}'s C{dataBuffer}, C{offset} and
    C{_tempDataLen}), L{send_now} hands the bytes to its C{socket} at once.

  - The output backlog of a client that does not read: L{unsent_bytes}
    reads the same buffers, since C{transport.write} buffers without limit
    and says nothing of what it holds.

  - Sends Autobahn's public API refuses: a message over
    C{maxMessagePayloadSize}, which Autobahn applies to what we send as
    well as to what clients send (L{send_uncapped}), and the close codes
    1001 and 1008, which C{sendClose} does not take from an application
    (L{send_close}, through C{sendCloseFrame}).

  - Frames clients send.  Autobahn reads each incoming frame through a
    dozen Python calls (C{processData}, C{onFrameBegin/Data/End},
    C{onMessageBegin/FrameBegin/FrameData/FrameEnd/End}, C{_onMessage})
    and builds a cffi unmasking object per frame: 23 to 38 µs of CPU for a
    60-byte move in a read of its own, 11 % of a core at 1,700 frames a
    second.  L{read_frames} reads a client's usual frames (complete, final,
    binary, masked, within the caps) in 2.3 to 4.6 µs (about 1.9 µs each
    with four in a read, against 19 µs; 12.5 against 25 µs for 4 KB, where
    unmasking is most of it), and hands anything else to Autobahn at a
    frame boundary, so that Autobahn does with it exactly what it would
    have done: control frames, text, fragments, a frame cut by the read,
    violations and over-size frames.  It reads only while
    Autobahn is between frames and messages with nothing buffered, and
    while none of Autobahn's per-frame extras is on (compression, frame or
    octet logging, timings, C{message} listeners); it does what Autobahn
    does for a data frame besides delivering it (the auto-ping timeout a
    data frame cancels, the C{trafficStats} counters).  Autobahn's
    debug-level log lines for the bytes read are not written for these
    frames (the server never turns txaio's debug level on).  Measured with
    a real C{GameProtocol}, its session left out, ten runs on a busy
    two-core machine (the spread is the machine's)::

        .venv/bin/python tools/ws_read_cost.py [--size 60] [--frames 1]

    C{tests/web/test_ws_reading.py} checks, for random mixes of frames cut
    at random points, that the messages delivered, the bytes written and
    the close code are Autobahn's own.

  - Each new connection's options, pretty-printed.  Autobahn's
    C{_connectionMade} builds a debug line of every option of the new
    connection with C{pprint.pformat}, whether or not debug logging is on:
    ~480 µs a connection, a fifth of the server's time while 500 clients a
    second connect.  L{quiet_option_dump} makes that C{pformat} a C{repr}
    (~30 µs) unless txaio logs at debug level.

Without the Twisted internals (another release, another transport) the
writes go through C{transport.write} and the backlog reads 0; the test
above is what tells that this happened.
"""

from pprint import pformat

import txaio
from autobahn.websocket import protocol as autobahn_protocol
from autobahn.websocket.protocol import WebSocketProtocol
from twisted.internet import tcp

# The releases these internals were read and tested on.
CHECKED_ON = (("Twisted", "26.10.0"), ("Autobahn", "26.11.1"))

# What L{send_now} and L{unsent_bytes} read of a C{tcp.Server}.
TCP_INTERNALS = ("socket", "dataBuffer", "offset", "_tempDataLen", "connected", "disconnecting")
# What L{frames_directly}, L{send_uncapped}, L{send_close} and L{read_frames}
# read or call on an Autobahn protocol.
AUTOBAHN_INTERNALS = ("send_queue", "_perMessageCompress", "maxMessagePayloadSize",
                      "sendCloseFrame",
                      # read_frames: Autobahn's reading state and options ...
                      "state", "data", "current_frame", "inside_message", "applyMask",
                      "maxFramePayloadSize", "logOctets", "logFrames", "trackedTimings",
                      "_listeners", "_parent", "factory",
                      # ... the keepalive a data frame resets, and the counters it adds to
                      "autoPingTimeoutCall", "autoPingRestartOnAnyTraffic",
                      "_cancelAutoPingTimeoutCall", "trafficStats")
# The counters of Autobahn's C{trafficStats} that L{read_frames} adds to.
TRAFFIC_STATS = ("incomingOctetsWireLevel", "incomingOctetsWebSocketLevel",
                 "incomingOctetsAppLevel", "incomingWebSocketFrames",
                 "incomingWebSocketMessages")

# Class attributes of Twisted's FileDescriptor; a Twisted without them
# always takes transport.write.
DIRECT_WRITES = all(hasattr(tcp.Server, name)
                    for name in ("dataBuffer", "offset", "connected", "disconnecting"))


def binary_frame(payload):
    """One final, unmasked binary frame holding C{payload} (RFC 6455, 5.2)."""
    n = len(payload)
    if n < 126:
        return bytes((0x82, n)) + payload
    if n < 65536:
        return b"\x82\x7e" + n.to_bytes(2, "big") + payload
    return b"\x82\x7f" + n.to_bytes(8, "big") + payload


def frames_directly(protocol):
    """
    Whether a frame of ours may be written for the Autobahn C{protocol}
    now: nothing of Autobahn's is queued before it, and no compression was
    negotiated.  Otherwise the message goes through Autobahn (L{send_uncapped}).
    """
    return not protocol.send_queue and protocol._perMessageCompress is None


def send_now(transport, data):
    """
    Write C{data} to C{transport}, straight to its socket when Twisted has
    nothing waiting for it.

    Only a plain TCP server connection that is connected, not closing and
    with empty buffers qualifies; TLS or any other transport goes through
    C{transport.write}.  What the socket does not take at once (a partial
    send, C{EAGAIN}), and any error, is handed to C{transport.write}, so
    Twisted buffers it or finds the connection lost and reports it as usual.

    @return: whether the socket took all of C{data} (nothing left buffered).
    """
    if (DIRECT_WRITES and type(transport) is tcp.Server and transport.connected
            and not transport.disconnecting and getattr(transport, "_tempDataLen", 1) == 0
            and len(transport.dataBuffer) == transport.offset):
        try:
            sent = transport.socket.send(data)
        except OSError:
            sent = 0
        if sent == len(data):
            return True
        data = data[sent:]
    transport.write(data)
    return False


def unsent_bytes(transport):
    """
    What Twisted holds for C{transport} and has not yet handed to the socket
    (its C{FileDescriptor} buffers; 0 for a transport without them).
    """
    pending = getattr(transport, "dataBuffer", b"")
    return (len(pending) - getattr(transport, "offset", 0)
            + getattr(transport, "_tempDataLen", 0))


def send_uncapped(protocol, payload):
    """
    Send C{payload} as one binary message through Autobahn, whatever its
    size: Autobahn applies the incoming message cap to what we send too; it
    is meant for clients' messages only (chunk replies are large).
    """
    limit = protocol.maxMessagePayloadSize
    protocol.maxMessagePayloadSize = 0
    try:
        protocol.sendMessage(payload, isBinary=True)
    finally:
        protocol.maxMessagePayloadSize = limit


def send_close(protocol, code, reason):
    """
    Start the closing handshake with C{code}: C{sendClose} only takes 1000
    and 3000-4999 from applications; the protocol needs 1001 and 1008 too,
    which RFC 6455 lets a server send.  The reason is cut to the 123 bytes
    a close frame holds.
    """
    protocol.sendCloseFrame(code=code, reasonUtf8=reason.encode("utf-8")[:123], isReply=False)


_OPEN = WebSocketProtocol.STATE_OPEN
_LENGTH_LIMIT = 0x7FFFFFFFFFFFFFFF   # RFC 6455: the most significant bit is 0


def unmask(mask, payload):
    """
    C{payload} XORed with the four bytes of C{mask}, repeated (RFC 6455,
    5.3), as one big integer XOR.  Measured here for a 60-byte (4 KB)
    payload: 1.2-1.5 µs (12-19 µs); four C{bytes.translate} on every fourth
    byte 3.9 µs (18 µs); Autobahn's NVX masker, built per frame, 5.2 µs
    (10 µs).  Frames from clients are small.
    """
    n = len(payload)
    return (int.from_bytes(payload, "little")
            ^ int.from_bytes((mask * (n // 4 + 1))[:n], "little")).to_bytes(n, "little")


def reading_directly(protocol):
    """
    Whether the next bytes for the Autobahn server C{protocol} may be read
    by L{read_frames}: the connection is open, Autobahn holds no bytes and
    is between frames and between messages, and nothing it does for a
    data frame beyond delivering it is switched on (compression, logging
    of octets or frames, timings, listeners of its C{message} event,
    leaving the mask on).
    """
    return (protocol.state == _OPEN and not protocol.data and protocol.current_frame is None
            and not protocol.inside_message and protocol._perMessageCompress is None
            and protocol.applyMask and not protocol.logOctets and not protocol.logFrames
            and not protocol.trackedTimings and not protocol._listeners
            and protocol._parent is None and protocol.factory.isServer)


def reads_directly(protocol):
    """
    Whether this Autobahn server C{protocol}, just opened, has everything
    L{read_frames} reads: checked once per connection, so that an Autobahn
    release without them leaves every read to Autobahn (slower, still
    correct) instead of failing each one.
    """
    stats = getattr(protocol, "trafficStats", None)
    return (all(hasattr(protocol, name) for name in AUTOBAHN_INTERNALS)
            and stats is not None and all(hasattr(stats, name) for name in TRAFFIC_STATS))


def read_frames(protocol, data, deliver):
    """
    Read the client messages at the start of C{data}, the bytes of one
    C{dataReceived} of the Autobahn server C{protocol}, in its place: each
    one complete frame, final, binary, masked, no RSV bit, minimally
    encoded length within C{maxFramePayloadSize} and
    C{maxMessagePayloadSize}.  Each payload, unmasked, is handed to
    C{deliver(payload, True)} in order, as Autobahn hands it to
    C{onMessage}; a data frame also cancels a pending auto-ping timeout, as
    in Autobahn, and is counted in its C{trafficStats}.

    Reading stops at the first thing that is not such a frame (a control
    frame, a text frame, a fragment, a frame cut by the read, one over a
    cap, a protocol violation), or as soon as the connection is no longer
    open (a message closed it) or L{reading_directly} says no: what is left
    goes to Autobahn, which is then between frames with nothing buffered,
    and does with it exactly what it would have done.

    @return: the bytes left for Autobahn's C{dataReceived} (all of C{data}
        when nothing was read here; empty when everything was).
    """
    at = 0
    end = len(data)
    read = 0   # payload bytes read here
    frames = 0
    max_frame = protocol.maxFramePayloadSize
    max_message = protocol.maxMessagePayloadSize
    while at < end and reading_directly(protocol):
        if data[at] != 0x82 or end - at < 2:   # FIN, no RSV bit, binary
            break
        n = data[at + 1]
        if n < 0x80:   # unmasked: Autobahn fails the connection
            break
        n &= 0x7F
        if n < 126:
            head = at + 2
        elif n == 126:
            head = at + 4
            if head > end:
                break
            n = int.from_bytes(data[at + 2:head], "big")
            if n < 126:
                break
        else:
            head = at + 10
            if head > end:
                break
            n = int.from_bytes(data[at + 2:head], "big")
            if n < 65536 or n > _LENGTH_LIMIT:
                break
        if 0 < max_message < n or 0 < max_frame < n:
            break
        start = head + 4
        stop = start + n
        if stop > end:
            break
        payload = unmask(data[head:start], data[start:stop]) if n else b""
        at = stop
        read += n
        frames += 1
        if protocol.autoPingTimeoutCall and protocol.autoPingRestartOnAnyTraffic:
            protocol._cancelAutoPingTimeoutCall()
        deliver(payload, True)
    if not frames:
        return data
    stats = protocol.trafficStats
    # Autobahn counts a read's bytes as they arrive on an open connection;
    # what is left is counted by Autobahn when it still is.
    stats.incomingOctetsWireLevel += at if protocol.state == _OPEN else end
    stats.incomingOctetsWebSocketLevel += read
    stats.incomingOctetsAppLevel += read
    stats.incomingWebSocketFrames += frames
    stats.incomingWebSocketMessages += frames
    return data[at:]


def _pformat_when_debugging(obj, *args, **kwargs):
    """Autobahn's C{pformat}: the real one when txaio logs at debug level
    or finer, where its result is shown; a plain C{repr} otherwise."""
    if txaio.get_global_log_level() in ("debug", "trace"):
        return pformat(obj, *args, **kwargs)
    return repr(obj)


def quiet_option_dump():
    """
    Make the C{pformat} of C{autobahn.websocket.protocol} (only ever used
    for debug lines and the timings' text) cheap unless debugging.  Idempotent;
    the edge's factory calls it.
    """
    autobahn_protocol.pformat = _pformat_when_debugging
