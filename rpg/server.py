"""
The whole server, built in one place: L{build_game} makes every part of the
game from constructor arguments, and L{RpgService} runs it (start-up in
order, shutdown in order) behind the WebSocket and HTTP edge.

C{MultiService} neither waits for its children's start nor orders their
stop, so L{RpgService} chains both itself: store migrated, Valkey connected,
world loaded, services started, then listening; and at the end stop
accepting, tell players, save the world, close connections, then close the
store (docs/persistence.md).

This is the top: the one module that imports the edge (L{rpg.web}).
"""

import gc
from dataclasses import dataclass

from twisted.application.service import MultiService
from twisted.internet import defer, endpoints, task
from twisted.logger import Logger

from rpg.protocol.close_codes import CLOSE_GOING_AWAY, CLOSE_SERVICE_RESTART
from rpg.services.admission import Admission
from rpg.services.auth import AuthService
from rpg.services.chat import ChatService
from rpg.services.commands import COMMANDS
from rpg.services.ground_numbers import ReservedNumbers
from rpg.services.hub import Hub
from rpg.services.metrics import Metrics
from rpg.services.operators import OperatorActions
from rpg.services.persistence import Persistence
from rpg.services.world import WorldService
from rpg.store.presence import MemoryBus, MemoryPresence
from rpg.store.urls import open_store
from rpg.web.site import build_operations_site, build_site
from rpg.web.ws import GameFactory, Outbox
from rpg.world.game import GameWorld


@dataclass
class Game:
    """
    The parts of one server process's game, as L{build_game} made them.
    L{services} are started in that order (and stopped in reverse).
    """

    world: GameWorld
    persistence: Persistence
    admission: Admission  # or None: every login is admitted
    world_service: WorldService
    auth: AuthService
    chat: ChatService
    hub: Hub
    operators: OperatorActions

    @property
    def services(self):
        return (self.auth, self.world_service, self.chat, self.hub, self.operators)


def build_game(*, store, presence, bus, content, start_map, secret, tunables, server_id,
               clock, ground_items=(), ground_item_maps=None, ground_item_numbers=None,
               metrics=None, fanout=None,
               end_of_tick=None,
               commands=COMMANDS, rng=None, effects=None, behaviours=None,
               wall_clock=None, run_in_thread=None, admission=True,
               ownership=None, relay=None):
    """
    Build every part of the game, each from what it needs.  Nothing is
    started and nothing waits: the store is open (and migrated), presence
    and bus are ready, C{ground_items} are what the store saved.

    @param ground_item_maps: the maps whose ground items each save
        replaces (C{None}: the whole table, for the database's only process).
    @param ground_item_numbers: where the world takes new ground item
        numbers: a primed L{ReservedNumbers} on a server (unique across the
        processes on the database); C{None}, the world counts them itself
        (L{rpg.world.ground.CountingNumbers}, deterministic, for tests).
    @param fanout: C{fanout(clients, frame)} sends one frame to many (the
        edge's L{rpg.web.ws.Outbox.fanout}); each client's own
        C{send_frame} by default.
    @param end_of_tick: called at the end of each tick (the edge writes
        there what the tick sent), or C{None}.
    @param wall_clock: the time ground items are saved with
        (C{time.time} by default).
    @param run_in_thread: how password hashes are computed (in a thread by
        default).
    @param ownership: the L{rpg.services.ownership.Ownership} of the maps
        this process serves, with C{--valkey}; C{None}: it serves every map.
    @param relay: the L{rpg.services.relay.Relay} to the other processes,
        with C{ownership}.
    @param admission: whether logins are refused C{SERVER_FULL} at
        C{max_players} and while the tick falls behind (L{Admission});
        C{False} for a test that runs the tick on a clock of its own, whose
        real duration says nothing.
    @return: a L{Game}.
    """
    world = GameWorld(content, start_map, tunables,
                      **_given(rng=rng, effects=effects, behaviours=behaviours,
                               ground_item_numbers=ground_item_numbers))
    world.restore_ground_items(list(ground_items), clock.seconds())
    persistence = Persistence(store, server_id, tunables.online_ttl_s, metrics,
                              ground_item_maps=ground_item_maps, fence=ownership)
    admission = Admission(tunables, clock) if admission else None
    world_service = WorldService(world, persistence, tunables, clock=clock, metrics=metrics,
                                 fanout=fanout, end_of_tick=end_of_tick,
                                 tick_monitor=admission, commands=commands,
                                 **_given(wall_clock=wall_clock))
    auth = AuthService(store, secret, tunables, world.new_character, clock=clock,
                       **_given(run_in_thread=run_in_thread))
    chat = ChatService(server_id, presence, bus, world_service.players, tunables, clock=clock,
                       fanout=world_service.fanout)
    hub = Hub(server_id, auth, store, presence, bus, world_service, chat, content.maps, clock,
              persistence=persistence, admission=admission,
              presence_refresh_s=tunables.online_ttl_s / 3, commands=commands,
              metrics=metrics, ownership=ownership, relay=relay,
              retry_after_ms=tunables.server_full_retry_after_ms)
    if relay is not None:
        relay.hub = hub
    if ownership is not None:
        ownership.lost = hub.map_lost
        world_service.serve_only(ownership.held, hub.departed)
    operators = OperatorActions(store, hub.admin_action, tunables.admin_poll_s, clock)
    return Game(world, persistence, admission, world_service, auth, chat, hub, operators)


def _given(**kwargs):
    return {name: value for name, value in kwargs.items() if value is not None}


def check_nvx(log):
    try:
        from autobahn.websocket import USES_NVX
    except ImportError:
        USES_NVX = False
    if not USES_NVX:
        log.warn("!!! Autobahn's native acceleration (NVX) is NOT in use: WebSocket masking "
                 "and UTF-8 checks run in pure Python, hundreds of times slower. Install an "
                 "autobahn wheel built with NVX for this platform. !!!")
    return USES_NVX


def tune_gc():
    """
    Keep the cyclic garbage collector from stalling the tick.

    With 1,000 players a full (generation 2) collection walks every live
    object and took 65-90 ms here, several times a minute: each one a missed
    tick.  Objects alive after start-up (maps, content, caches) are frozen out
    of collection, and a larger generation-0 threshold lets a tick's
    short-lived payloads die before they are promoted, so full collections
    become rare and short (docs/benchmarks.md has the measurements).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


class RpgService(MultiService):
    log = Logger()

    def __init__(self, listen, database_url, valkey_url, content, start_map, secret,
                 tunables, maps_dir, server_id, reactor=None, gc_tuning=True,
                 metrics_listen=None, own_maps=None, link_listen="tcp:0:interface=127.0.0.1",
                 link_address=None):
        super().__init__()
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.listen = listen
        self.database_url = database_url
        self.valkey_url = valkey_url
        self.content = content
        self.start_map = start_map
        self.secret = secret
        self.tunables = tunables
        self.maps_dir = maps_dir
        self.server_id = server_id
        self.gc_tuning = gc_tuning
        self.metrics_listen = metrics_listen
        # With Valkey: the maps claimed at start-up (None: every map no live
        # process serves), and where this process's link listens and is
        # dialled (docs/scaling.md).
        self.own_maps = own_maps
        self.link_listen = link_listen
        self.link_address = link_address
        self.ownership = None
        self.relay = None
        self.links = None
        self._built = defer.Deferred()  # fires with the Game once built
        self.metrics = Metrics()
        self.port = None
        self.metrics_port = None
        self.valkey = None
        self.started = None

    def startService(self):
        # Children are added by _start, once the store is ready.
        self.running = 1
        self.started = defer.ensureDeferred(self._start())
        self.started.addErrback(self._start_failed)

    def _start_failed(self, failure):
        self.log.failure("rpg could not start", failure)
        if self.reactor.running:
            self.reactor.stop()
        return failure

    async def _start(self):
        check_nvx(self.log)
        self.store = open_store(self.database_url, clock=self.reactor)
        version = await self.store.migrate()
        self.log.info("Database schema at version {version}", version=version)
        if self.valkey_url:
            from rpg.store.valkey import connect_valkey
            self.valkey = await connect_valkey(self.valkey_url, clock=self.reactor,
                                               presence_ttl_s=self.tunables.online_ttl_s,
                                               bus_secret=self.secret)
            presence, bus = self.valkey.presence, self.valkey.bus
        else:
            presence, bus = MemoryPresence(), MemoryBus()
        # Fanned-out frames between ticks wait for the next tick (at most one).
        self.outbox = Outbox(self.reactor, self.metrics,
                             fanout_wait_s=1.0 / self.tunables.tick_rate)
        # One process serves every map: it restores the ground items of all
        # of them, and its saves replace only theirs.  Without Valkey it is
        # the database's only process: its saves replace the whole table, so
        # an item left on a map no longer served cannot keep a number the
        # world hands out again (docs/scaling.md, "Fencing and ground items").
        maps = sorted(self.content.maps)
        if self.valkey_url:
            # Several processes, one world: this one serves the maps it
            # holds a lease on, and relays the others' players.
            maps = await self._claim_maps(maps)
        elif self.own_maps is not None:
            self.log.warn("--own-maps is ignored without --valkey: this process serves every map")
        # New ground item numbers come from blocks reserved in the database,
        # unique across every process on it (docs/ground-items.md).
        self.ground_numbers = ReservedNumbers(
            self.store, self.reactor, block_size=self.tunables.ground_item_number_block)
        await self.ground_numbers.prime()
        game = build_game(
            store=self.store, presence=presence, bus=bus, content=self.content,
            start_map=self.start_map, secret=self.secret, tunables=self.tunables,
            server_id=self.server_id, clock=self.reactor,
            ground_items=await self.store.load_ground_items(maps),
            ground_item_maps=maps if self.valkey_url else None,
            ground_item_numbers=self.ground_numbers, metrics=self.metrics,
            # One write per connection per tick: what the tick sent leaves at its end.
            fanout=self.outbox.fanout,
            end_of_tick=self.outbox.flush if self.relay is None else self._end_of_tick,
            ownership=self.ownership, relay=self.relay)
        self.game = game
        self.world, self.persistence, self.world_service = (
            game.world, game.persistence, game.world_service)
        self.admission, self.auth, self.chat, self.hub, self.operators = (
            game.admission, game.auth, game.chat, game.hub, game.operators)
        self._built.callback(game)
        self.factory = GameFactory(self.hub, self.tunables, self.reactor, metrics=self.metrics,
                                   outbox=self.outbox)
        for child in (self.ground_numbers, *game.services):
            child.setServiceParent(self)  # starts it: this service is running
        await self.hub.ready
        await self.chat.ready
        await self.operators.ready
        site = build_site(self.factory, self.auth, self.health, self.maps_dir, self.tunables,
                          reactor=self.reactor)
        self.port = await endpoints.serverFromString(self.reactor, self.listen).listen(site)
        await self._listen_for_operators()
        if self.gc_tuning:
            tune_gc()
        self.log.info("rpg {server_id} serving on {address}", server_id=self.server_id,
                      address=self.port.getHost())

    def _end_of_tick(self):
        # Several processes: each edge's frames leave in one link message,
        # then this process's own sockets are written.
        self.relay.flush()
        self.outbox.flush()

    async def _claim_maps(self, maps):
        """
        Open the links to the other processes, claim this process's maps and
        install their epochs.

        @return: the maps served here once started.
        """
        import hashlib

        from rpg.link.service import LinkService
        from rpg.services.ownership import Ownership
        from rpg.services.relay import Relay
        tunables = self.tunables
        self.relay = Relay(None, self.reactor, tunables, self.metrics,
                           server_id=self.server_id, leases=self.valkey.leases)
        secret = self.secret.encode() if isinstance(self.secret, str) else self.secret
        self.links = LinkService(
            self.server_id, hashlib.sha256(b"rpg-link:" + secret).digest(), self.link_listen,
            self.reactor, reactor=self.reactor, address=self.link_address,
            heartbeat_s=tunables.link_heartbeat_s, timeout_s=tunables.link_timeout_s,
            on_message=self.relay.message, on_lost=self.relay.lost, metrics=self.metrics)
        self.relay.links = self.links
        self.links.startService()
        await self.links.ready
        self.ownership = Ownership(
            self.valkey.leases, self.store, self.server_id, self.links.address, maps,
            maps if self.own_maps is None else self.own_maps, self.reactor, tunables,
            metrics=self.metrics, bus=self.valkey.bus)
        self.ownership.startService()
        await self.ownership.start()
        # From now on a map won is served once its ground items are in the
        # world (built below with those of the maps served now).
        self.ownership.served = self._serve_map
        served = sorted(self.ownership.serving)
        self.log.info("Serving maps {maps} (links on {address})",
                      maps=", ".join(served) or "(none yet)", address=self.links.address)
        return served

    async def _serve_map(self, map_id):
        """A map adopted while running: its ground items join the world."""
        items = await self.store.load_ground_items([map_id])
        game = await self._built
        game.world.restore_ground_items(items, self.reactor.seconds())

    async def _listen_for_operators(self):
        """
        Serve /metrics and the detailed /health on C{metrics_listen}.  A
        port already in use (another server on this host, with the same
        default) must not stop the game: one error line, and the game is
        served without them.
        """
        if not self.metrics_listen:
            return
        site = build_operations_site(self.metrics, self.health)
        try:
            endpoint = endpoints.serverFromString(self.reactor, self.metrics_listen)
            self.metrics_port = await endpoint.listen(site)
        except Exception as e:
            self.log.error(
                "Cannot serve /metrics and /health on --metrics-listen {endpoint}: {error}; "
                "serving the game without them", endpoint=self.metrics_listen,
                error=str(e).strip() or type(e).__name__)
            return
        self.log.info("Metrics and health for operators on {address}",
                      address=self.metrics_port.getHost())

    def health(self):
        """The detailed health, for operators (on --metrics-listen only)."""
        served = (sorted(self.content.maps) if self.ownership is None
                  else sorted(m for m in self.ownership.serving if self.ownership.held(m)))
        return {"status": "ok", "server_id": self.server_id,
                "players_online": len(self.world_service.players),
                "maps": sorted(self.content.maps), "maps_owned": served}

    def stopService(self):
        return defer.ensureDeferred(self._stop())

    async def _stop(self):
        if self.started is not None and not self.started.called:
            await self.started
        self.running = 0
        if self.port is None:
            return
        await self.port.stopListening()
        if self.metrics_port is not None:
            await self.metrics_port.stopListening()
        grace = self.tunables.shutdown_grace_s if self.hub.connected_players() else 0
        self.hub.broadcast_shutdown("The server is shutting down", grace)
        if grace:
            await task.deferLater(self.reactor, grace, lambda: None)
        await self.world_service.shutdown()
        if self.relay is not None:
            # Players served here for other processes: saved above; their
            # edges stay up, so they can log in again at once.
            self.relay.close_all(CLOSE_SERVICE_RESTART, "service restart")
        self.factory.close_all(CLOSE_GOING_AWAY, "server shutting down")
        await self._connections_closed(timeout=2.0)
        for child in list(self):
            await defer.maybeDeferred(child.stopService)
        await self.persistence.idle()
        if self.ownership is not None:
            # Only once every save is written: the next owner must load them.
            await self.ownership.stopService()
        if self.links is not None:
            await defer.maybeDeferred(self.links.stopService)
        await self.store.close()
        if self.valkey is not None:
            await self.valkey.close()
        self.log.info("rpg {server_id} stopped", server_id=self.server_id)

    async def _connections_closed(self, timeout):
        deadline = self.reactor.seconds() + timeout
        while self.factory.connections and self.reactor.seconds() < deadline:
            await task.deferLater(self.reactor, 0.02, lambda: None)
