"""
The world service: owns the game world and its time.

A C{LoopingCall.withCount} drives the tick.  Each tick runs the queued
commands on the L{rpg.world.game.GameWorld}, then its phases
(L{rpg.world.game.GameWorld.tick_phases}: NPCs and combat, visibility, out),
delivers what each returns and measures them.  Commands
queue between ticks; one poisoned command, or one failing tick, is logged and
the world goes on.
"""

import time

from twisted.application.service import Service
from twisted.internet import defer, task
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from rpg.interfaces import Fenced, IPlayers, IWorld
from rpg.protocol.envelope import UpdateEncoder, encode_event, encode_success, error_frame

from .commands import COMMANDS


@implementer(IPlayers)
class Players:
    """
    The players playing on this process (L{IPlayers}): a view of the world
    service's clients, for chat and whoever else needs them.
    """

    def __init__(self, clients, world):
        self._clients = clients
        self._world = world

    def client(self, player_id):
        return self._clients.get(player_id)

    def near(self, player_id, radius_chunks):
        clients = self._clients
        return [clients[p] for p in self._world.players_near(player_id, radius_chunks)
                if p in clients]

    def all(self):
        return list(self._clients.values())

    def __len__(self):
        return len(self._clients)


@implementer(IWorld)
class WorldService(Service):
    """
    Owns the game world and its time: the tick, the periodic snapshot, the
    online-record heartbeat, and the players' entry and exit with their saves.

    @ivar world: the game rules' world (L{rpg.world.game.GameWorld}); only
        this service calls it.
    @ivar persistence: the L{rpg.services.persistence.Persistence}
        that saves players and ground items in one cut.
    @ivar tunables: the server's L{rpg.config.Tunables}.
    @ivar clock: the reactor or a C{task.Clock}: drives the loops.
    @ivar metrics: the server's L{rpg.services.metrics.Metrics}, or None.
    @ivar fanout: C{fanout(clients, frame)}: sends one frame to many
        clients, framed once (the edge's L{rpg.web.ws.Outbox.fanout});
        by default each client's C{send_frame}.
    @ivar end_of_tick: called after each tick's phases, timed as C{"send"};
        the edge writes there what the tick queued.  None: nothing.
    @ivar wall_clock: wall time in seconds, for ground items' expiry as saved.
    @ivar tick_monitor: told of each tick's misses and cost
        (L{rpg.services.admission.Admission}), or None.
    @ivar commands: the registry of client message types served.
    @ivar clients: C{{player_id: IClient}} of the players in the world.
    @ivar unsaved_leavers: C{{player_id: CharacterState}} of players who left
        and whose save failed: the next snapshot saves them.
    @ivar queue: C{(client, request, received_at)} waiting for the next tick.
    @ivar tick_number: ticks run since start.
    @ivar missed_ticks: ticks skipped because a tick overran.
    """

    log = Logger()

    def __init__(self, world, persistence, tunables, clock=None, metrics=None,
                 fanout=None, wall_clock=time.time, tick_monitor=None, commands=COMMANDS,
                 end_of_tick=None):
        from twisted.internet import reactor
        self.world = world
        self.persistence = persistence
        self.tunables = tunables
        self.clock = clock or reactor
        self.metrics = metrics
        self.fanout = fanout or send_each
        # Called at the end of each tick, timed as the phase "send": the edge
        # writes there what the tick's phases queued for each connection.
        # The tick's own time leaves it out, as it always left out the
        # socket writes (Twisted made them after the tick): the time the
        # reactor spends per tick is the tick plus "send".
        self.end_of_tick = end_of_tick
        self.wall_clock = wall_clock
        # Told of every tick: the ticks missed before it and the seconds it
        # kept the reactor busy, send included (L{rpg.services.admission}).
        self.tick_monitor = tick_monitor
        # The client message types served (L{rpg.protocol.messages}).
        self.commands = commands
        self.clients = {}  # player_id -> IClient
        # The role chat and the hub are handed (L{rpg.interfaces.IPlayers}).
        self.players = Players(self.clients, world)
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
        # Several processes (docs/scaling.md): C{serves(map_id)} says
        # whether a map is served here; a player whose map changes to one
        # that is not leaves this world after the phase that moved it, is
        # saved on its new map, and is handed to C{departed(client, map_id,
        # saved, walk)} (the hub), C{saved} a Deferred firing once the save
        # committed (L{serve_only}).
        self.serves = None
        self.departed = None
        self._map_changes = []
        self._saving = None

    # -- lifecycle
    def startService(self):
        super().startService()
        self._start_loop(self.tick, 1.0 / self.tunables.tick_rate, with_count=True)
        self._start_loop(self.snapshot, self.tunables.snapshot_interval_s)
        self._start_loop(self.heartbeat, max(1.0, self.tunables.online_ttl_s / 3))
        if self.metrics is not None:
            self._start_loop(self.count_players_by_map, 1.0)

    def _start_loop(self, f, interval, with_count=False):
        loop = task.LoopingCall.withCount(f) if with_count else task.LoopingCall(f)
        loop.clock = self.clock
        d = loop.start(interval, now=False)
        d.addErrback(lambda failure: self.log.failure("A world loop stopped", failure))
        self._loops.append(loop)

    def stopService(self):
        """
        Stop the tick, the snapshots and the heartbeat.  The final save is
        L{shutdown}'s, which the server chains before it stops its children.
        """
        self.stop_loops()
        return super().stopService()

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

    def arrive(self, client, character, walk=None):
        """Put in a player that crossed from a map served by another process."""
        self.world.arrive(character, self.clock.seconds(), walk)
        self.clients[client.player_id] = client
        if self.unsaved_leavers.pop(client.player_id, None) is not None:
            self.world.mark_unsaved([client.player_id])
        self._count_players()

    def serve_only(self, serves, departed):
        """
        Serve only the maps C{serves(map_id)} names (several processes, one
        world): a player moving to another map leaves, saved there, and goes
        to C{departed(client, map_id, saved, walk)}.
        """
        self.serves = serves
        self.departed = departed
        self.world.engine.add_map_listener(self._map_changed)

    def _map_changed(self, engine, player, old_map_id, now):
        if self.serves is not None and not self.serves(player.map_id):
            self._map_changes.append(player.player_id)

    def _hand_off_departures(self):
        """Players now on a map served elsewhere leave this world, saved there."""
        departures, self._map_changes = self._map_changes, []
        for player_id in departures:
            client = self.clients.get(player_id)
            player = self.world.engine.player(player_id)
            if client is None or player is None or self.serves(player.map_id):
                continue  # left, or back on a map served here
            walk = self.world.engine.walk_state(player_id, self.clock.seconds())
            saved = self.leave(player_id, release=False)
            self.departed(client, player.map_id, saved, walk)

    def leave(self, player_id, release=True):
        """
        Take a player out and save it; returns a Deferred firing once saved.

        When ground items changed, they and every other unsaved player go in
        the same cut: an item moved between an inventory and the ground must
        never be saved on one side only.

        @param release: drop its online record in the same cut (not for a
            player handed to another process, which holds it next).
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
        d = self.persistence.save(states, ground, released=[player_id] if release else [])

        def failed(failure):
            self._keep_unsaved(player_id, state, failure, replace=True)
            self.world.mark_unsaved(others)
            if ground is not None:
                self.world.mark_ground_items_unsaved()
            return failure
        return d.addErrback(failed)

    def evict_map(self, map_id):
        """
        Let go of a map this process no longer serves: its players leave the
        world unsaved, a failed save of one who left it is dropped, and its
        ground items are forgotten (its new owner restored them).

        @return: the ids of the players taken out.
        """
        now = self.clock.seconds()
        evicted = [p for p in self.clients if self.world.player(p).map_id == map_id]
        for player_id in evicted:
            del self.clients[player_id]
            self.world.remove_player(player_id, now)
        for player_id, state in list(self.unsaved_leavers.items()):
            if state.map_id == map_id:
                del self.unsaved_leavers[player_id]
        self.world.forget_ground_items(map_id)
        self._count_players()
        return evicted

    def _keep_unsaved(self, player_id, state, failure, replace=False):
        """
        Keep the state of a player whose save failed, for the next snapshot;
        unless the save was fenced and the player's map is not served here:
        this process can never write it (a newer owner has the map), and
        retrying would fence every later snapshot too.
        """
        if (failure.check(Fenced) and self.serves is not None
                and not self.serves(state.map_id)):
            self.log.warn("Player {player_id} not saved: its map {map_id} is served elsewhere",
                          player_id=player_id, map_id=state.map_id)
            return
        if replace:
            self.unsaved_leavers[player_id] = state
        else:
            self.unsaved_leavers.setdefault(player_id, state)

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
            self._phase_commands(now)
            if self._map_changes:
                self._hand_off_departures()
            mark = time.perf_counter()
            timings = {"commands": mark - started}
            # The game's own phases (GameWorld.PHASES), each delivered and
            # timed as it ends.
            for phase, events in self.world.tick_phases(now):
                # The visibility phase's diffs share one record per changed
                # entity: each is encoded once for every frame that shows it.
                encoder = UpdateEncoder() if phase == "visibility" else None
                for player_ids, message_type, payload in events:
                    self._deliver(player_ids, message_type, payload, encoder)
                if self._map_changes:
                    # Before the next phase shows them a map served elsewhere.
                    self._hand_off_departures()
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
            try:
                self.tick_monitor.tick_observed(count - 1, time.perf_counter() - started)
            except Exception:
                # nothing may escape the LoopingCall: it would stop the tick for good
                self.log.failure("The tick monitor failed; the next tick runs")

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
            if request.type in self.commands.by_arrival:
                payload = handler(self.world, client, request.payload, now,
                                  received_at=received_at)
            else:
                payload = handler(self.world, client, request.payload, now)
            return encode_success(request.id, payload)
        except Exception:
            return error_frame(request.id, Failure(), self.metrics, self.log,
                               "{type} from {player} failed", type=request.type,
                               player=client.player_id)

    def _deliver(self, player_ids, message_type, payload, encoder=None):
        clients = self._connected(player_ids)
        if clients:
            if encoder is not None and message_type == "event_game_update":
                frame = encoder.encode(payload)
            else:
                frame = encode_event(message_type, payload)
            self._fan_out(clients, message_type, frame)

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
                self._keep_unsaved(player_id, state, failure)
            self.world.mark_unsaved(dirty)
            if ground is not None:
                self.world.mark_ground_items_unsaved()
        self._saving.addErrback(failed).addBoth(done)

    def ground_items_snapshot(self):
        return self.world.ground_items_snapshot(self.wall_clock())

    def count_players_by_map(self):
        """Set C{rpg_players_by_map}: the players in the world here, by map."""
        counts = {}
        for player_id in self.clients:
            map_id = self.world.player(player_id).map_id
            counts[map_id] = counts.get(map_id, 0) + 1
        self.metrics.set_players_by_map(counts)

    def heartbeat(self):
        if self.clients:
            self.persistence.mark_online(list(self.clients)).addErrback(
                lambda f: self.log.failure("Refreshing online records failed", f))


def send_each(clients, frame):
    """The plain fan-out: each client frames and sends the frame itself."""
    for client in clients:
        client.send_frame(frame)
