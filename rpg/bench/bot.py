"""
The bot worker: one reactor, many bots, driven over stdin/stdout.

    python -m rpg.bench.bot --ws-url ws://127.0.0.1:8000/ws --first 0 --count 250

Given C{--ws-url} several times (one per process of a world), bot C{i}
connects to the C{i}th modulo their number, so bots are spread round-robin
over the processes whatever worker they run in.  With C{--across TOTAL}
the world's maps are one per process instead (C{rpg-bench
--map-per-process}): bot C{i} of C{TOTAL} plays on map L{map_share}C{(i)},
the one process C{map_share(i)} owns, and connects to the next process,
C{(map_share(i) + 1) mod N}, so that no bot is connected to the owner of
its map.  The JWT secret comes from C{$RPG_JWT_SECRET}; bot C{i} logs in as
C{<prefix><i>}.  The worker prints JSON lines: C{{"event": "ready", ...}}
once every bot is in (or failed), then, after reading the line
C{window START END} (wall-clock seconds) and reaching END, C{{"event":
"result", ...}} with its samples from inside the window.  It leaves on
C{stop} or when stdin closes.

A bot moves every 500-600 ms (timed from the previous reply, so the
server's cooldown never refuses it) in a random direction, and now and then
says something on the local channel.  Events are counted, not decoded,
except by fighters: a C{--fighters} share of the bots (spread evenly over
the bot numbers) decode C{event_game_update} to follow the NPCs near them,
walk up to one and C{cmd_attack} it (L{rpg.bench.fighter.Hunter}).
"""

import argparse
import json
import os
import random
import time

import jwt
import msgpack
from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from twisted.internet import protocol, reactor, stdio
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.protocols.basic import LineReceiver

from rpg.bench.fighter import Hunter
from rpg.bench.report import LatencyHistogram
from rpg.bench.wsclient import CLIENTS, LeanClientFactory, LeanClientProtocol

DIRECTIONS = ("UP", "DOWN", "LEFT", "RIGHT")
# msgpack of {"id": None, ...}: how every event frame starts.
EVENT_PREFIX = b"\x84\xa2id\xc0"
GAME_UPDATE_PREFIX = EVENT_PREFIX + b"\xa4type\xb1event_game_update"
MOVE_INTERVAL = (0.5, 0.6)


def map_share(index, total, shares):
    """
    Which of C{shares} maps bot C{index} of C{total} plays on: the bots are
    cut into C{shares} runs of consecutive numbers, as even as can be (map
    C{m} holds bots C{ceil(m * total / shares)} up to the next map's first).
    """
    return index * shares // total


def url_index_for(index, urls, across=None):
    """
    The process bot C{index} connects to: round-robin by bot number, or with
    C{across=TOTAL} the process after the one that owns its map.
    """
    if across is None:
        return index % urls
    return (map_share(index, across, urls) + 1) % urls


def is_fighter(index, share):
    """Whether bot C{index} fights: exactly C{share} of any run of bot
    numbers starting at 0, spread evenly."""
    return int((index + 1) * share) > int(index * share)


def mint_token(secret, username, ttl=86400):
    now = int(time.time())
    return jwt.encode({"sub": username, "iat": now, "exp": now + ttl}, secret, algorithm="HS256")


class Stats:
    """What the bots of one worker saw, inside the measured window."""

    def __init__(self):
        self.window = None  # (start, end) wall-clock seconds
        self.move_rtt = LatencyHistogram()
        self.move_errors = {}
        self.chat_sent = 0
        self.chat_errors = {}
        self.bytes_in = 0
        self.frames_in = 0
        self.auth_failures = {}
        self.closed_early = 0
        self.attacks_sent = 0
        self.fighters = 0  # bots that fight, counted at login (not windowed)
        self.attack_rtt = LatencyHistogram()
        self.attack_errors = {}
        self.kills = 0
        self.deaths = 0

    def in_window(self, wall):
        return self.window is not None and self.window[0] <= wall < self.window[1]

    def to_json(self):
        return {"move_rtt": self.move_rtt.to_json(), "move_errors": self.move_errors,
                "chat_sent": self.chat_sent, "chat_errors": self.chat_errors,
                "bytes_in": self.bytes_in, "frames_in": self.frames_in,
                "closed_early": self.closed_early, "fighters": self.fighters,
                "attack_rtt": self.attack_rtt.to_json(), "attack_errors": self.attack_errors,
                "kills": self.kills, "deaths": self.deaths,
                "attacks_sent": self.attacks_sent}


class BotEvents:
    """What a bot's connection tells it, whichever client carries it."""

    def onOpen(self):
        self.factory.bot.opened(self)

    def onMessage(self, payload, isBinary):
        self.factory.bot.received(payload)

    def onClose(self, wasClean, code, reason):
        self.factory.bot.closed(code, reason)


class BotProtocol(BotEvents, WebSocketClientProtocol):
    """A bot over Autobahn's client (C{--client autobahn})."""


class LeanBotProtocol(BotEvents, LeanClientProtocol):
    """A bot over the bench's own lean client (C{--client lean}, the default)."""


class Bot:
    def __init__(self, worker, username, token, rng, chat_every, fighter=False,
                 fight_timeout=60.0, url_index=0):
        self.worker = worker
        self.url_index = url_index  # which of the worker's --ws-url it connects to
        self.fighter = fighter
        self.fight_timeout = fight_timeout
        self.hunter = None
        self.attack_sent = None  # (id, perf counter, wall clock)
        self.username = username
        self.token = token
        self.rng = rng
        self.chat_every = chat_every
        self.protocol = None
        self.playing = False
        self.move_id = 0
        self.move_sent = None  # (id, perf counter, wall clock)
        self.auth_sent = None  # perf counter
        self.timer = None
        self.next_chat = None
        self.direction = rng.choice(DIRECTIONS)

    # -- connection
    def opened(self, proto):
        self.protocol = proto
        self.auth_sent = time.perf_counter()
        self._send("a", "cmd_authenticate", {"token": self.token})

    def closed(self, code, reason):
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None
        if self.playing:
            self.worker.stats.closed_early += 1
        self.playing = False
        self.worker.bot_failed(self, f"closed {code}")

    def _send(self, request_id, message_type, payload):
        self.protocol.sendMessage(msgpack.packb(
            {"id": request_id, "type": message_type, "payload": payload, "version": "2.0"}),
            isBinary=True)

    # -- receiving
    def received(self, payload):
        stats = self.worker.stats
        wall = time.time()
        if stats.in_window(wall):
            stats.bytes_in += len(payload)
            stats.frames_in += 1
        if payload.startswith(EVENT_PREFIX):
            if self.hunter is not None and payload.startswith(GAME_UPDATE_PREFIX):
                self.seen(msgpack.unpackb(payload, raw=False, strict_map_key=False), wall)
            return
        message = msgpack.unpackb(payload, raw=False, strict_map_key=False)
        request_id = message.get("id")
        if request_id == "a":
            # Welcomed or refused (SERVER_FULL, then close 1013): answered.
            self.worker.login_rtt.add(time.perf_counter() - self.auth_sent)
            if message.get("type") == "event_welcome":
                self.playing = True
                if self.fighter:
                    welcome = message.get("payload", {})
                    self.hunter = Hunter(f"player_{welcome.get('player_id')}", welcome.get("x"),
                                         welcome.get("y"), self.rng, time.monotonic(),
                                         fight_timeout=self.fight_timeout)
                    stats.fighters += 1
                self.worker.bot_ready(self)
                self.timer = reactor.callLater(self.rng.uniform(0, MOVE_INTERVAL[1]), self.tick)
                self.next_chat = time.monotonic() + self.rng.uniform(0, self.chat_every)
            else:
                code = message.get("payload", {}).get("error_code", "?")
                self.worker.bot_failed(self, code)
            return
        if self.move_sent is not None and request_id == self.move_sent[0]:
            _, sent, sent_wall = self.move_sent
            self.move_sent = None
            if stats.in_window(sent_wall):
                stats.move_rtt.add(time.perf_counter() - sent)
                if message.get("type") == "resp_error":
                    code = message.get("payload", {}).get("error_code", "?")
                    stats.move_errors[code] = stats.move_errors.get(code, 0) + 1
            if message.get("type") == "resp_error":
                self.direction = self.rng.choice(DIRECTIONS)
            elif self.hunter is not None:
                position = message.get("payload", {}).get("new_position", {})
                self.hunter.moved(position.get("x"), position.get("y"))
            self.timer = reactor.callLater(self.rng.uniform(*MOVE_INTERVAL), self.tick)
        elif self.attack_sent is not None and request_id == self.attack_sent[0]:
            self.attack_answered(message, stats)
        elif isinstance(request_id, str) and request_id.startswith("c"):
            if message.get("type") == "resp_error" and stats.in_window(wall):
                code = message.get("payload", {}).get("error_code", "?")
                stats.chat_errors[code] = stats.chat_errors.get(code, 0) + 1

    def seen(self, message, wall):
        """A fighter's C{event_game_update}."""
        hunter = self.hunter
        deaths = hunter.deaths
        kills = hunter.update(message.get("payload", {}), time.monotonic())
        stats = self.worker.stats
        if stats.in_window(wall):
            stats.kills += kills
            stats.deaths += hunter.deaths - deaths

    def attack_answered(self, message, stats):
        _, sent, sent_wall = self.attack_sent
        self.attack_sent = None
        code = None
        if message.get("type") == "resp_error":
            code = message.get("payload", {}).get("error_code", "?")
        if stats.in_window(sent_wall):
            stats.attack_rtt.add(time.perf_counter() - sent)
            if code is not None:
                stats.attack_errors[code] = stats.attack_errors.get(code, 0) + 1
        self.hunter.attack_answered(code, time.monotonic())
        if self.playing:
            self.timer = reactor.callLater(self.rng.uniform(*MOVE_INTERVAL), self.tick)

    # -- acting
    def tick(self):
        self.timer = None
        if not self.playing:
            return
        action = None if self.hunter is None else self.hunter.next_action(time.monotonic())
        if action is None:
            if self.rng.random() < 0.3:
                self.direction = self.rng.choice(DIRECTIONS)
            self.send_move(self.direction)
        elif action[0] == "move":
            self.send_move(action[1])
        elif action[0] == "attack":
            self.send_attack(action[1])
        else:
            self.timer = reactor.callLater(self.rng.uniform(*MOVE_INTERVAL), self.tick)
        self.maybe_chat()

    def send_move(self, direction):
        self.move_id += 1
        request_id = f"m{self.move_id}"
        self.move_sent = (request_id, time.perf_counter(), time.time())
        self._send(request_id, "cmd_move", {"direction": direction})

    def send_attack(self, npc_id):
        self.move_id += 1
        request_id = f"f{self.move_id}"
        self.attack_sent = (request_id, time.perf_counter(), time.time())
        if self.worker.stats.in_window(self.attack_sent[2]):
            self.worker.stats.attacks_sent += 1
        self._send(request_id, "cmd_attack", {"target_id": npc_id, "target_type": "npc"})

    def maybe_chat(self):
        if self.chat_every > 0 and time.monotonic() >= self.next_chat:
            self.next_chat = time.monotonic() + self.rng.uniform(0.5, 1.5) * self.chat_every
            if self.worker.stats.in_window(time.time()):
                self.worker.stats.chat_sent += 1
            self._send(f"c{self.move_id}", "cmd_chat_send",
                       {"channel": "local", "message": f"{self.username} passing by"})

    def stop(self):
        self.playing = False
        if self.protocol is not None and self.protocol.state == self.protocol.STATE_OPEN:
            self.protocol.sendClose(1000)


class Worker:
    def __init__(self, options):
        self.options = options
        self.stats = Stats()
        self.login_rtt = LatencyHistogram()  # connection open to the login's answer
        self.bots = []
        self.pending = set()
        self.connected = 0
        self.connected_by_url = [0] * len(options.ws_url)
        self.failed = {}
        self.ready_sent = False
        self.control = None
        self.stopping = False

    def emit(self, record):
        self.control.sendLine(json.dumps(record).encode())

    def start(self):
        o = self.options
        secret = os.environ["RPG_JWT_SECRET"]
        self.endpoints = []
        for url in o.ws_url:
            host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
            self.endpoints.append(TCP4ClientEndpoint(reactor, host, int(port), timeout=30))
        delay = 1.0 / o.connect_rate if o.connect_rate > 0 else 0.0
        for index in range(o.first, o.first + o.count):
            username = f"{o.prefix}{index}"
            bot = Bot(self, username, mint_token(secret, username),
                      random.Random(o.seed * 1_000_003 + index), o.chat_every,
                      fighter=is_fighter(index, o.fighters), fight_timeout=o.fight_timeout,
                      url_index=url_index_for(index, len(o.ws_url), o.across))
            self.bots.append(bot)
            self.pending.add(bot)
            reactor.callLater(delay * (index - o.first), self.connect, bot)
        reactor.callLater(o.connect_timeout, self.connect_timed_out)

    def connect(self, bot):
        url = self.options.ws_url[bot.url_index]
        if self.options.client == "lean":
            factory = LeanClientFactory(url)
            factory.protocol = LeanBotProtocol
        else:
            factory = WebSocketClientFactory(url)
            factory.protocol = BotProtocol
            factory.setProtocolOptions(autoPingInterval=0, perMessageCompressionOffers=[])
        factory.bot = bot
        d = self.endpoints[bot.url_index].connect(factory)
        d.addErrback(lambda f: self.bot_failed(bot, f"connect: {f.getErrorMessage()}"))

    def bot_ready(self, bot):
        self.pending.discard(bot)
        self.connected += 1
        self.connected_by_url[bot.url_index] += 1
        self.check_ready()

    def bot_failed(self, bot, reason):
        if bot in self.pending:
            self.pending.discard(bot)
            self.failed[reason] = self.failed.get(reason, 0) + 1
            self.check_ready()

    def connect_timed_out(self):
        for bot in list(self.pending):
            self.bot_failed(bot, "timeout")

    def check_ready(self):
        if not self.pending and not self.ready_sent:
            self.ready_sent = True
            self.emit({"event": "ready", "connected": self.connected,
                       "connected_by_url": self.connected_by_url, "failed": self.failed,
                       "login_rtt": self.login_rtt.to_json()})

    def window(self, start, end):
        self.stats.window = (start, end)
        reactor.callLater(max(0.0, end - time.time()) + 0.3, self.finish)

    def finish(self):
        self.emit({"event": "result", "connected": self.connected, "failed": self.failed,
                   "stats": self.stats.to_json()})

    def stop(self):
        if self.stopping:
            return
        self.stopping = True
        for bot in self.bots:
            bot.stop()
        reactor.callLater(0.5, reactor.stop)


class Control(LineReceiver):
    delimiter = b"\n"

    def __init__(self, worker):
        self.worker = worker
        worker.control = self

    def lineReceived(self, line):
        words = line.decode().split()
        if words[:1] == ["window"]:
            self.worker.window(float(words[1]), float(words[2]))
        elif words[:1] == ["stop"]:
            self.worker.stop()

    def connectionLost(self, reason=protocol.connectionDone):
        if reactor.running:
            self.worker.stop()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="rpg.bench.bot")
    parser.add_argument("--ws-url", required=True, action="append",
                        help="a process's WebSocket URL; repeat it to spread the bots over"
                             " several (round-robin by bot number)")
    parser.add_argument("--across", type=int, default=None, metavar="TOTAL",
                        help="the world has one map per --ws-url, each owned by that process,"
                             " and TOTAL bots cut into runs, one per map: connect each bot to"
                             " the process after its map's owner")
    parser.add_argument("--client", choices=CLIENTS, default="lean",
                        help="the WebSocket client the bots use: the bench's own lean one"
                             " (cheap enough not to be the bottleneck) or Autobahn's")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--connect-rate", type=float, default=100.0, help="connects per second")
    parser.add_argument("--connect-timeout", type=float, default=60.0)
    parser.add_argument("--chat-every", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fighters", type=float, default=0.0,
                        help="share of the bots that fight NPCs (0-1)")
    parser.add_argument("--fight-timeout", type=float, default=60.0,
                        help="seconds a fighter keeps at one NPC before it walks on")
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_args(argv)
    worker = Worker(options)
    stdio.StandardIO(Control(worker))
    reactor.callWhenRunning(worker.start)
    reactor.run()


if __name__ == "__main__":
    main()
