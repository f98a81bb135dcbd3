"""
The whole server, assembled: start-up in order, shutdown in order.

C{MultiService} neither waits for its children's start nor orders their
stop, so this service chains both itself: stop accepting, tell players,
save the world, close connections, then close the store.
"""

import gc

from twisted.application.service import MultiService
from twisted.internet import defer, endpoints, task
from twisted.logger import Logger

from rpg.services.admission import Admission
from rpg.services.auth import AuthService
from rpg.services.chat import ChatService
from rpg.services.hub import Hub
from rpg.services.metrics import Metrics
from rpg.services.operators import OperatorActions
from rpg.services.persistence import Persistence
from rpg.services.world import WorldService
from rpg.store.presence import MemoryBus, MemoryPresence
from rpg.store.urls import open_store
from rpg.web.site import build_operations_site, build_site
from rpg.web.ws import GameFactory
from rpg.world.game import GameWorld

CLOSE_GOING_AWAY = 1001


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
                 metrics_listen=None):
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
        self.world = GameWorld(self.content, self.start_map, self.tunables)
        # One process serves every map: it restores the ground items of all
        # of them, and its saves replace only theirs.  Without Valkey it is
        # the database's only process: its saves replace the whole table, so
        # an item left on a map no longer served cannot keep a number the
        # world hands out again (docs/scaling.md, "Fencing and ground items").
        maps = sorted(self.content.maps)
        self.world.restore_ground_items(await self.store.load_ground_items(maps),
                                        self.reactor.seconds())
        self.persistence = Persistence(self.store, self.server_id, self.tunables.online_ttl_s,
                                       self.metrics,
                                       ground_item_maps=maps if self.valkey_url else None)
        self.admission = Admission(self.tunables, self.reactor)
        self.world_service = WorldService(self.world, self.persistence, self.tunables,
                                          clock=self.reactor, metrics=self.metrics,
                                          tick_monitor=self.admission)
        self.auth = AuthService(self.store, self.secret, self.tunables,
                                self.world.new_character, clock=self.reactor)
        self.chat = ChatService(self.server_id, presence, bus, self.world_service,
                                self.tunables, clock=self.reactor)
        self.hub = Hub(self.server_id, self.auth, self.store, presence, bus,
                       self.world_service, self.chat, self.content.maps, self.reactor,
                       admission=self.admission,
                       presence_refresh_s=self.tunables.online_ttl_s / 3)
        self.chat.hub = self.hub
        self.factory = GameFactory(self.hub, self.tunables, self.reactor, metrics=self.metrics)
        self.world_service.fanout = self.factory.fanout
        # One write per connection per tick: what the tick sent leaves at its end.
        self.world_service.end_of_tick = self.factory.flush
        self.operators = OperatorActions(self.store, self.hub.admin_action,
                                         self.tunables.admin_poll_s, self.reactor)
        for child in (self.auth, self.world_service, self.chat, self.hub, self.operators):
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
        return {"status": "ok", "server_id": self.server_id,
                "players_online": len(self.world_service.clients),
                "maps": sorted(self.content.maps)}

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
        grace = self.tunables.shutdown_grace_s if self.hub.sessions else 0
        self.hub.broadcast_shutdown("The server is shutting down", grace)
        if grace:
            await task.deferLater(self.reactor, grace, lambda: None)
        await self.world_service.shutdown()
        self.factory.close_all(CLOSE_GOING_AWAY, "server shutting down")
        await self._connections_closed(timeout=2.0)
        for child in list(self):
            await defer.maybeDeferred(child.stopService)
        await self.persistence.idle()
        await self.store.close()
        if self.valkey is not None:
            await self.valkey.close()
        self.log.info("rpg {server_id} stopped", server_id=self.server_id)

    async def _connections_closed(self, timeout):
        deadline = self.reactor.seconds() + timeout
        while self.factory.connections and self.reactor.seconds() < deadline:
            await task.deferLater(self.reactor, 0.02, lambda: None)
