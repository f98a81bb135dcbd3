"""
Prometheus metrics, one registry per server (so tests can run several).
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

TICK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025,
                0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0)
# A handoff is a database transaction and a link round trip or two: milliseconds
# when healthy, seconds when a peer is slow to answer.
HANDOFF_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0)

LINK_DIRECTIONS = ("in", "out")
LEASE_OUTCOMES = ("renewed", "lost", "failed")


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self):
        self.registry = r = CollectorRegistry()
        self.tick_seconds = Histogram(
            "rpg_tick_seconds", "Duration of a whole tick", registry=r, buckets=TICK_BUCKETS)
        self.phase_seconds = Histogram(
            "rpg_tick_phase_seconds", "Duration of each tick phase", ["phase"],
            registry=r, buckets=TICK_BUCKETS)
        self.ticks_missed_total = Counter(
            "rpg_ticks_missed", "Ticks skipped because a tick overran", registry=r)
        self.players_online = Gauge(
            "rpg_players_online", "Players in the world on this process", registry=r)
        self.messages_in = Counter(
            "rpg_messages_in", "Messages received, by type", ["type"], registry=r)
        self.messages_out = Counter(
            "rpg_messages_out", "Messages sent, by type", ["type"], registry=r)
        self.bytes_out = Counter("rpg_bytes_out", "WebSocket payload bytes sent", registry=r)
        self.errors = Counter("rpg_errors", "Error replies, by code", ["code"], registry=r)
        self.flush_seconds = Histogram(
            "rpg_persistence_flush_seconds", "Duration of writes to the store", ["kind"],
            registry=r)
        self._phase_children = {}
        # The world across processes (docs/admin.md, "Metrics").
        self.players_by_map = Gauge(
            "rpg_players_by_map", "Players in the world on each map this process serves",
            ["map"], registry=r)
        self.link_messages = Counter(
            "rpg_link_messages", "Messages over the links between processes, by direction"
            " and kind", ["direction", "kind"], registry=r)
        self.link_bytes = Counter(
            "rpg_link_bytes", "Bytes over the links between processes, by direction",
            ["direction"], registry=r)
        self.handoffs = Counter(
            "rpg_handoffs", "Players handed to or from another process, by outcome",
            ["outcome"], registry=r)
        self.handoff_seconds = Histogram(
            "rpg_handoff_seconds", "Duration of a handoff, whatever its outcome",
            registry=r, buckets=HANDOFF_BUCKETS)
        self.lease_renewals = Counter(
            "rpg_lease_renewals", "Map lease renewals, by outcome (renewed, lost to another"
            " owner, failed to reach the store)", ["outcome"], registry=r)
        self.maps_owned = Gauge("rpg_maps_owned", "Maps this process owns now", registry=r)
        # Label children are looked up once: these are called per message.
        self._link_children = {}
        self._link_bytes_children = {d: self.link_bytes.labels(d) for d in LINK_DIRECTIONS}
        self._lease_children = {o: self.lease_renewals.labels(o) for o in LEASE_OUTCOMES}
        self._handoff_children = {}
        self._map_children = {}
        self._in_children = {}

    def observe_tick(self, timings, total):
        self.tick_seconds.observe(total)
        for phase, seconds in timings.items():
            child = self._phase_children.get(phase)
            if child is None:
                child = self._phase_children[phase] = self.phase_seconds.labels(phase)
            child.observe(seconds)

    def message_in(self, message_type):
        """
        Count one message of C{message_type} received (a known type: the
        session checks it first).  The labelled child is looked up once per
        type, not under the registry's lock once per message.
        """
        child = self._in_children.get(message_type)
        if child is None:
            child = self._in_children[message_type] = self.messages_in.labels(message_type)
        child.inc()

    def ticks_missed(self, n):
        self.ticks_missed_total.inc(n)

    def observe_flush(self, kind, seconds):
        self.flush_seconds.labels(kind).observe(seconds)

    def link_message(self, direction, kind, nbytes):
        """Count one link message of C{kind} and its C{nbytes}; C{direction} is in or out."""
        children = self._link_children.get((direction, kind))
        if children is None:
            if direction not in LINK_DIRECTIONS:
                raise ValueError(f"link direction must be in or out, not {direction!r}")
            children = self._link_children[direction, kind] = (
                self.link_messages.labels(direction, kind), self._link_bytes_children[direction])
        children[0].inc()
        children[1].inc(nbytes)

    def lease_renewal(self, outcome):
        """Count one renewal: C{renewed}, C{lost} (another owner) or C{failed} (store error)."""
        child = self._lease_children.get(outcome)
        if child is None:
            raise ValueError(f"lease renewal outcome must be one of {LEASE_OUTCOMES},"
                             f" not {outcome!r}")
        child.inc()

    def set_maps_owned(self, count):
        self.maps_owned.set(count)

    def handoff(self, outcome, seconds=None):
        """Count one handoff by C{outcome}, and its duration unless C{seconds} is None."""
        child = self._handoff_children.get(outcome)
        if child is None:
            child = self._handoff_children[outcome] = self.handoffs.labels(outcome)
        child.inc()
        if seconds is not None:
            self.handoff_seconds.observe(seconds)

    def set_players_by_map(self, counts):
        """
        Set the players on each map from C{{map_id: count}}; a map left out
        (no longer served here) is dropped from the metric.
        """
        children = self._map_children
        for map_id in [m for m in children if m not in counts]:
            del children[map_id]
            self.players_by_map.remove(map_id)
        for map_id, count in counts.items():
            child = children.get(map_id)
            if child is None:
                child = children[map_id] = self.players_by_map.labels(map_id)
            child.set(count)

    def render(self):
        return generate_latest(self.registry)
