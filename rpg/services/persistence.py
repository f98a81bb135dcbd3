"""
Writes to the store, one at a time and in the order they were asked for.

Saves of one player must never overtake each other (a periodic snapshot taken
before a logout must not commit after the logout's save), and online records
must not be refreshed after their release: every write goes through one lock.
"""

import time

from twisted.internet import defer
from twisted.logger import Logger

from rpg.interfaces import Fenced
from rpg.models import WorldSnapshot


class Persistence:
    log = Logger()

    def __init__(self, store, server_id, online_ttl_s, metrics=None, ground_item_maps=None,
                 fence=None):
        self.store = store
        self.server_id = server_id
        self.online_ttl_s = online_ttl_s
        self.metrics = metrics
        # The maps whose ground items a save replaces (None: every map).
        self.ground_item_maps = None if ground_item_maps is None else tuple(ground_item_maps)
        self._lock = defer.DeferredLock()
        # The L{rpg.services.ownership.Ownership} whose epochs every save
        # carries (and whose maps' ground items it replaces), or None.
        self.fence = fence

    def _run(self, what, f, *args):
        async def timed():
            started = time.perf_counter()
            try:
                return await f(*args)
            finally:
                if self.metrics is not None:
                    self.metrics.observe_flush(what, time.perf_counter() - started)
        return self._lock.run(lambda: defer.ensureDeferred(timed()))

    def save(self, characters, ground_items=None, released=()):
        """
        Save one consistent cut: characters (and ground items) as they are now.

        @return: Deferred firing once committed, or failing (never raising:
            the snapshot loop and a leaving player's save both rely on it).
        """
        return defer.maybeDeferred(self._save, characters, ground_items, released)

    def _save(self, characters, ground_items, released):
        maps, epochs = self.ground_item_maps, {}
        if self.fence is not None:
            # Fenced: the database refuses the whole cut unless every map it
            # writes is still this process's, at the epoch it holds.
            epochs = self.fence.epochs()
            maps = tuple(sorted(epochs))
            if ground_items is not None:
                ground_items = [item for item in ground_items if item.map_id in epochs]
            characters = list(characters)
            if characters and not epochs:
                return defer.fail(Fenced(characters[0].map_id, None, None))
        snapshot = WorldSnapshot(
            characters=list(characters), ground_items=ground_items,
            released=[(player_id, self.server_id) for player_id in released],
            ground_item_maps=maps, epochs=epochs)
        return self._run("snapshot", self.store.save_snapshot, snapshot)

    def mark_online(self, player_ids):
        return self._run("online", self.store.mark_online, list(player_ids),
                         self.server_id, self.online_ttl_s)

    def idle(self):
        """A Deferred that fires when every write asked for so far is done."""
        return self._lock.run(lambda: defer.succeed(None))
