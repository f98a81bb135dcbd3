"""
A connection's message budget: token buckets per kind of message.

Every message a connection sends is charged to the C{general} bucket and to
the bucket of its kind (registered with its message type:
L{rpg.protocol.messages.MessageTypes.kinds}; a type with none, or a frame
that is not a known message, is charged to C{general} only); C{query_chunks} costs one token per chunk
it asks for.  A message is admitted only when both buckets hold its cost,
and then both are charged: a refused message changes nothing, not even the
budget.  Each refusal is a strike; strikes drain at a steady rate, and a
connection whose strikes pile up past a limit is refused for good (the
session closes it).  Time comes in as C{now} (seconds, the session's clock).
"""

import dataclasses

from rpg.world.chunks import DEFAULT_RADIUS, MAX_RADIUS

BUCKETS = ("general", "move", "chat", "item", "combat", "query", "chunks")


class TokenBucket:
    """C{burst} tokens at most, refilled at C{rate} a second."""

    def __init__(self, rate, burst, now):
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = self.burst
        self.updated = now

    def refill(self, now):
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, cost):
        """Seconds until C{cost} tokens are in (0 when they are); call after L{refill}."""
        missing = cost - self.tokens
        if missing <= 0:
            return 0.0
        return missing / self.rate if self.rate > 0 else float("inf")


def message_cost(message_type, payload):
    """
    Tokens a message costs in its kind's bucket: the chunks a query asks for
    (a radius the game refuses at once, out of 0-5 or not an integer, asks
    for none and costs 1), else 1.
    """
    if message_type == "query_chunks":
        radius = payload.get("radius", DEFAULT_RADIUS) if isinstance(payload, dict) else 1
        if (isinstance(radius, int) and not isinstance(radius, bool)
                and 0 <= radius <= MAX_RADIUS):
            return (2 * radius + 1) ** 2
    return 1


@dataclasses.dataclass(frozen=True)
class Verdict:
    admitted: bool
    retry_after_s: float = 0.0
    close: bool = False   # sustained excess: the connection is to be closed


ADMITTED = Verdict(True)


class MessageBudget:
    """
    One connection's budget.

    @param limits: bucket name -> C{(rate per second, burst)}, for every
        name of L{BUCKETS} (see L{limits_from}).
    @param close_after: strikes (refusals not yet forgiven) that close the
        connection.
    @param forgive_per_s: strikes forgiven a second.
    @param kinds: message type -> its bucket (C{MessageTypes.kinds}).
    """

    def __init__(self, limits, close_after, forgive_per_s, now, kinds=None):
        self.kinds = kinds or {}
        self.buckets = {name: TokenBucket(rate, burst, now)
                        for name, (rate, burst) in limits.items()}
        self.close_after = close_after
        self.forgive_per_s = forgive_per_s
        self.strikes = 0.0
        self._struck_at = now

    def charge(self, message_type, payload, now):
        """Admit and charge one message, or refuse it and count a strike."""
        # Every message a client sends comes through here: no lists, and one
        # shared verdict for the admitted.
        general = self.buckets["general"]
        general.refill(now)
        bucket = self.buckets.get(self.kinds.get(message_type))
        if bucket is None:
            wait = general.wait_for(1.0)
            if wait == 0:
                general.tokens -= 1.0
                return ADMITTED
        else:
            bucket.refill(now)
            # A cost over the burst could never be paid: it empties the bucket.
            cost = min(float(message_cost(message_type, payload)), bucket.burst)
            wait = max(general.wait_for(1.0), bucket.wait_for(cost))
            if wait == 0:
                general.tokens -= 1.0
                bucket.tokens -= cost
                return ADMITTED
        forgiven = max(0.0, now - self._struck_at) * self.forgive_per_s
        self.strikes = max(0.0, self.strikes - forgiven) + 1
        self._struck_at = now
        return Verdict(False, wait, close=self.strikes > self.close_after)


def limits_from(tunables):
    """The bucket limits a L{rpg.config.Tunables} names (C{rate_<bucket>_per_s}, C{_burst})."""
    return {name: (getattr(tunables, f"rate_{name}_per_s"), getattr(tunables, f"rate_{name}_burst"))
            for name in BUCKETS}
