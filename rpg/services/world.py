"""
The world service: owns the game world and its time.

A C{LoopingCall.withCount} drives the tick.  Each tick runs named phases --
commands in, NPCs and combat, visibility, out -- and measures them.  Commands
queue between ticks; one poisoned command, or one failing tick, is logged and
the world goes on.
"""

import time

from twisted.application.service import Service
from twisted.internet import defer, task
from twisted.logger import Logger

from rpg.protocol.envelope import (UpdateEncoder, encode_error, encode_event, encode_internal_error,
                                   encode_success)
from rpg.protocol.errors import error_code
from rpg.world.errors import GameError

from .commands import COMMANDS

PHASES = ("commands", "world", "visibility", "out")


class WorldService(Service):
    log = Logger()

    def __init__(self, world, persistence, tunables, clock=None, metrics=None,
                 fanout=None, wall_clock=time.time, tick_monitor=None, commands=COMMANDS):
        from twisted.internet import reactor
        self.world = world
        self.persistence = persistence
        self.tunables = tunables
        self.clock = clock or reactor
        self.metrics = metrics
        self.fanout = fanout or _send_each
        # Called at the end of each tick, timed as the phase "send": the edge
        # writes there what the tick's phases queued for each connection.
        # The tick's own time leaves it out, as it always left out the
        # socket writes (Twisted made them after the tick): the time the
        # reactor spends per tick is the tick plus "send".
        self.end_of_tick = None
        self.wall_clock = wall_clock
        # Told of every tick: the ticks missed before it and the seconds it
        # kept the reactor busy, send included (L{rpg.services.admission}).
        self.tick_monitor = tick_monitor
        # The client message types served (L{rpg.protocol.messages}).
        self.commands = commands
        self.clients = {}  # player_id -> IClient
        # Players who left but whose logout save failed: saved by the next
        # snapshot, or handed back if they log in here again first.
        self.unsaved_leavers = {}  # player_id -> CharacterState
        self.queue = []
        self._queued_for = set()  # player ids with commands in the queue
        self.tick_number = 0
        self.missed_ticks = 0
        self._sent_counters = {}  # message type -> its labelled messages_out
        self._sent_this_tick = {}  # message type -> messages fanned out, not yet counted
        self._loops = []
        self._saving = None

    # -- lifecycle
    def startService(self):
        super().startService()
        self._start_loop(self.tick, 1.0 / self.tunables.tick_rate, with_count=True)
        self._start_loop(self.snapshot, self.tunables.snapshot_interval_s)
        self._start_loop(self.heartbeat, max(1.0, self.tunables.online_ttl_s / 3))

    def _start_loop(self, f, interval, with_count=False):
        loop = task.LoopingCall.withCount(f) if with_count else task.LoopingCall(f)
        loop.clock = self.clock
        d = loop.start(interval, now=False)
        d.addErrback(lambda failure: self.log.failure("A world loop stopped", failure))
        self._loops.append(loop)

    def stop_loops(self):
        for loop in self._loops:
            if loop.running:
                loop.stop()
        self._loops = []

    async def shutdown(self):
        """Stop the clock, take every player out and save them all in one cut."""
        self.stop_loops()
        player_ids = list(self.clients)
        states = [self.world.remove_player(player_id) for player_id in player_ids]
        self.clients.clear()
        self._count_players()
        leavers, self.unsaved_leavers = self.unsaved_leavers, {}
        await self.persistence.save(states + list(leavers.values()),
                                    self.ground_items_snapshot(),
                                    released=player_ids + list(leavers))
        self.log.info("Saved {n} players at shutdown", n=len(states))

    # -- players
    def enter(self, client, character):
        """Put a player into the world; returns the messages that follow the welcome."""
        self.world.add_player(character, self.clock.seconds())
        self.clients[client.player_id] = client
        if self.unsaved_leavers.pop(client.player_id, None) is not None:
            self.world.mark_unsaved([client.player_id])  # saved from the world now
        self._count_players()
        return self.world.welcome_messages(client.player_id)

    def welcome_payload(self, player_id):
        return self.world.welcome_payload(player_id)

    def leave(self, player_id):
        """
        Take a player out and save it; returns a Deferred firing once saved.

        When ground items changed, they and every other unsaved player go in
        the same cut: an item moved between an inventory and the ground must
        never be saved on one side only.
        """
        client = self.clients.pop(player_id, None)
        if client is None:
            return defer.succeed(None)
        self._count_players()
        state = self.world.remove_player(player_id)
        ground = self.ground_items_snapshot()
        others = []
        if ground is not None:
            others = [p for p in self.world.dirty_player_ids() if p in self.clients]
            self.world.mark_saved(others)
        states = [state] + [self.world.character_state(p) for p in others]
        d = self.persistence.save(states, ground, released=[player_id])

        def failed(failure):
            self.unsaved_leavers[player_id] = state
            self.world.mark_unsaved(others)
            if ground is not None:
                self.world.mark_ground_items_unsaved()
            return failure
        return d.addErrback(failed)

    def unsaved_state(self, player_id):
        """
        The state of a player whose logout save failed, if any: newer than
        the store's, so a login here must use it.
        """
        return self.unsaved_leavers.get(player_id)

    def submit(self, client, request):
        """Queue a command for the next tick, stamped with its arrival time."""
        received_at = self.clock.seconds()
        if (request.type == "cmd_move" and self.tunables.move_reply_at_once
                and client.player_id not in self._queued_for):
            # Applied and answered now (docs/benchmarks.md, "Answering a move
            # at once"), unless an earlier command of the same player waits.
            if self.clients.get(client.player_id) is client:
                client.send_frame(self._run_command(client, request, received_at, received_at))
            return
        self._queued_for.add(client.player_id)
        self.queue.append((client, request, received_at))

    def send_to(self, player_id, message_type, payload):
        client = self.clients.get(player_id)
        if client is not None:
            client.send_frame(encode_event(message_type, payload))

    # -- the tick
    def tick(self, count):
        started = time.perf_counter()
        self.tick_number += 1
        if count > 1:
            self.missed_ticks += count - 1
            self.log.warn("Tick overrun: {missed} ticks missed", missed=count - 1)
            if self.metrics is not None:
                self.metrics.ticks_missed(count - 1)
        try:
            now = self.clock.seconds()
            timings = {}
            mark = started
            for phase in PHASES:
                getattr(self, "_phase_" + phase)(now)
                end = time.perf_counter()
                timings[phase] = end - mark
                mark = end
            tick_seconds = mark - started
            if self.end_of_tick is not None:
                self.end_of_tick()
                timings["send"] = time.perf_counter() - mark
            if self.metrics is not None:
                self.metrics.observe_tick(timings, tick_seconds)
                if self._sent_this_tick:
                    self._count_sent()
        except Exception:
            self.log.failure("Tick {n} failed; the next tick runs", n=self.tick_number)
        if self.tick_monitor is not None:
            self.tick_monitor.tick_observed(count - 1, time.perf_counter() - started)

    def _phase_commands(self, now):
        queue, self.queue = self.queue, []
        self._queued_for = set()
        for client, request, received_at in queue:
            if self.clients.get(client.player_id) is not client:
                continue  # left, or replaced by a newer login, since queuing
            client.send_frame(self._run_command(client, request, now, received_at))

    def _run_command(self, client, request, now, received_at):
        """
        Run one command and return its reply frame.  Nothing escapes: a
        failure, in the handler or in encoding its reply, is logged and
        answered INTERNAL_SERVER_ERROR for that command alone.
        """
        handler = self.commands.handlers.get(request.type)
        try:
            if handler is None:
                raise NotImplementedError(request.type)
            try:
                if request.type in self.commands.by_arrival:
                    payload = handler(self.world, client, request.payload, now,
                                      received_at=received_at)
                else:
                    payload = handler(self.world, client, request.payload, now)
                return encode_success(request.id, payload)
            except GameError as e:
                code = error_code(e)
                frame = encode_error(request.id, e)
                self._count_error(code)
                return frame
        except Exception:
            self.log.failure("{type} from {player} failed", type=request.type,
                             player=client.player_id)
            self._count_error("INTERNAL_SERVER_ERROR")
            return encode_internal_error(request.id)

    def _phase_world(self, now):
        for player_ids, message_type, payload in self.world.step(now):
            self._deliver(player_ids, message_type, payload)

    def _phase_visibility(self, now):
        encoder = UpdateEncoder()  # the diffs share records: each is encoded once
        for player_ids, payload in self.world.compute_updates():
            clients = self._connected(player_ids)
            if clients:
                self._fan_out(clients, "event_game_update", encoder.encode(payload))

    def _phase_out(self, now):
        for player_ids, message_type, payload in self.world.drain_events():
            self._deliver(player_ids, message_type, payload)

    def _deliver(self, player_ids, message_type, payload):
        clients = self._connected(player_ids)
        if clients:
            self._fan_out(clients, message_type, encode_event(message_type, payload))

    def _connected(self, player_ids):
        """The clients of those of C{player_ids} still connected."""
        connected = self.clients
        if len(player_ids) == 1:
            client = connected.get(player_ids[0])
            return [] if client is None else [client]
        return [connected[p] for p in player_ids if p in connected]

    def _fan_out(self, clients, message_type, frame):
        self.fanout(clients, frame)
        if self.metrics is not None:
            sent = self._sent_this_tick
            sent[message_type] = sent.get(message_type, 0) + len(clients)

    def _count_sent(self):
        """Add the tick's messages to C{messages_out}: one increment per type, not per send."""
        sent, self._sent_this_tick = self._sent_this_tick, {}
        for message_type, n in sent.items():
            counter = self._sent_counters.get(message_type)
            if counter is None:
                counter = self._sent_counters[message_type] = (
                    self.metrics.messages_out.labels(message_type))
            counter.inc(n)

    def _count_players(self):
        if self.metrics is not None:
            self.metrics.players_online.set(len(self.clients))

    def _count_error(self, code):
        if self.metrics is not None:
            self.metrics.errors.labels(code).inc()

    # -- persistence
    def snapshot(self):
        """Save the players whose state changed, as one cut taken now."""
        if self._saving is not None:
            return  # the previous snapshot is still being written
        dirty = [p for p in self.world.dirty_player_ids() if p in self.clients]
        ground = self.ground_items_snapshot()
        leavers, self.unsaved_leavers = self.unsaved_leavers, {}
        if not dirty and ground is None and not leavers:
            return
        states = [self.world.character_state(p) for p in dirty] + list(leavers.values())
        self.world.mark_saved(dirty)
        self._saving = self.persistence.save(states, ground, released=[
            p for p in leavers if p not in self.clients])

        def done(result):
            self._saving = None
            return result

        def failed(failure):
            self.log.failure("Snapshot failed; the players stay marked for the next", failure)
            for player_id, state in leavers.items():
                self.unsaved_leavers.setdefault(player_id, state)
            self.world.mark_unsaved(dirty)
            if ground is not None:
                self.world.mark_ground_items_unsaved()
        self._saving.addErrback(failed).addBoth(done)

    def ground_items_snapshot(self):
        return self.world.ground_items_snapshot(self.wall_clock())

    def heartbeat(self):
        if self.clients:
            self.persistence.mark_online(list(self.clients)).addErrback(
                lambda f: self.log.failure("Refreshing online records failed", f))


def _send_each(clients, frame):
    for client in clients:
        client.send_frame(frame)
