"""
Prometheus metrics, one registry per server (so tests can run several).
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

TICK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025,
                0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0)


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

    def observe_tick(self, timings, total):
        self.tick_seconds.observe(total)
        for phase, seconds in timings.items():
            child = self._phase_children.get(phase)
            if child is None:
                child = self._phase_children[phase] = self.phase_seconds.labels(phase)
            child.observe(seconds)

    def ticks_missed(self, n):
        self.ticks_missed_total.inc(n)

    def observe_flush(self, kind, seconds):
        self.flush_seconds.labels(kind).observe(seconds)

    def render(self):
        return generate_latest(self.registry)
