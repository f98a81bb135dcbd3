"""The message budget: token buckets per kind of message, on an injected time."""

import dataclasses

from rpg.budget import BUCKETS, MessageBudget, limits_from, message_cost
from rpg.config import Tunables
from rpg.services.commands import COMMANDS

KINDS = COMMANDS.kinds


def budget(now=0.0, close_after=100, forgive_per_s=10.0, **limits):
    base = {name: (1000.0, 1000) for name in BUCKETS}
    base.update(limits)
    return MessageBudget(base, close_after, forgive_per_s, now, kinds=KINDS)


def test_a_burst_is_admitted_then_refused_with_the_time_to_wait():
    """A bucket admits its burst at once, then refuses, saying when one token is back."""
    b = budget(move=(2.0, 3))
    assert [b.charge("cmd_move", {}, 0.0).admitted for _ in range(4)] == [True] * 3 + [False]
    refused = b.charge("cmd_move", {}, 0.0)
    assert not refused.admitted and refused.retry_after_s == 0.5
    assert b.charge("cmd_move", {}, 0.5).admitted


def test_kinds_have_their_own_buckets_and_share_the_general_one():
    """An empty move bucket leaves chat alone; the general bucket caps them all."""
    b = budget(move=(1.0, 1), general=(1.0, 3))
    assert b.charge("cmd_move", {}, 0.0).admitted
    assert not b.charge("cmd_move", {}, 0.0).admitted
    assert b.charge("cmd_chat_send", {}, 0.0).admitted
    assert b.charge(None, None, 0.0).admitted            # an unreadable frame: general only
    assert not b.charge("query_inventory", {}, 0.0).admitted


def test_a_refused_message_charges_nothing():
    """A message refused by its kind's bucket takes no general token either."""
    b = budget(move=(1.0, 1), general=(1.0, 2))
    b.charge("cmd_move", {}, 0.0)
    for _ in range(5):
        assert not b.charge("cmd_move", {}, 0.0).admitted
    assert b.charge("cmd_chat_send", {}, 0.0).admitted


def test_query_chunks_costs_the_chunks_it_asks_for():
    """Radius r costs (2r+1)^2 tokens; a missing radius is 1; one the game refuses costs 1."""
    assert [message_cost("query_chunks", {"radius": r}) for r in (0, 1, 5, 6, -1)] == [
        1, 9, 121, 1, 1]
    assert message_cost("query_chunks", {}) == 9
    assert message_cost("query_chunks", {"radius": "x"}) == 1
    assert message_cost("query_chunks", {"radius": True}) == 1
    b = budget(chunks=(10.0, 30))
    assert b.charge("query_chunks", {"radius": 2}, 0.0).admitted        # 25 of 30
    refused = b.charge("query_chunks", {"radius": 1}, 0.0)
    assert not refused.admitted and abs(refused.retry_after_s - 0.4) < 1e-9
    assert b.charge("query_chunks", {"radius": 0}, 0.0).admitted


def test_a_cost_over_the_burst_empties_the_bucket_instead_of_never_passing():
    """A radius-5 query against a burst of 50 passes on a full bucket and empties it."""
    b = budget(chunks=(10.0, 50))
    assert b.charge("query_chunks", {"radius": 5}, 0.0).admitted
    assert not b.charge("query_chunks", {"radius": 0}, 0.0).admitted


def test_sustained_excess_closes_and_pauses_are_forgiven():
    """Refusals count as strikes, forgiven at a steady rate; past the limit the verdict says close."""
    b = budget(move=(1.0, 1), close_after=5, forgive_per_s=1.0)
    b.charge("cmd_move", {}, 0.0)
    assert [b.charge("cmd_move", {}, 0.0).close for _ in range(6)] == [False] * 5 + [True]
    b = budget(move=(1.0, 1), close_after=5, forgive_per_s=1.0)
    b.charge("cmd_move", {}, 0.0)
    closes = []
    for step in range(20):   # one refused message every 1.1 s: never sustained
        now = step * 1.1
        b.buckets["move"].tokens = 0
        b.buckets["move"].updated = now
        closes.append(b.charge("cmd_move", {}, now).close)
    assert not any(closes)


def test_the_default_limits_let_a_cooldown_keeping_client_through():
    """Defaults: a browser's login burst of 121 radius-0 chunk queries, then a move every
    500 ms, chat every second and a query a second for a minute, are all admitted."""
    tunables = Tunables()
    b = MessageBudget(limits_from(tunables), tunables.rate_limit_close_strikes,
                      tunables.rate_limit_forgive_per_s, 0.0, kinds=KINDS)
    assert all(b.charge("query_chunks", {"radius": 0}, 0.0).admitted for _ in range(121))
    assert b.charge("query_chunks", {"radius": 5}, 2.0).admitted
    for tick in range(1, 120):
        now = 2.0 + tick * 0.5
        assert b.charge("cmd_move", {}, now).admitted
        if tick % 2 == 0:
            assert b.charge("cmd_chat_send", {}, now).admitted
            assert b.charge("query_inventory", {}, now).admitted
            assert b.charge("cmd_attack", {}, now).admitted
            assert b.charge("cmd_pickup_item", {}, now).admitted


def test_every_bucket_is_tunable():
    """Each bucket reads rate_<name>_per_s and rate_<name>_burst."""
    tunables = dataclasses.replace(Tunables(), rate_item_per_s=3.0, rate_item_burst=7)
    assert limits_from(tunables)["item"] == (3.0, 7)
    assert set(limits_from(tunables)) == set(BUCKETS)


def test_the_default_bursts_hold_the_64_messages_that_may_wait_for_a_login():
    """Every kind admits 64 messages at once by default (the most that may wait for a login)."""
    tunables = Tunables()
    for message_type in ("cmd_move", "cmd_chat_send", "cmd_pickup_item", "cmd_attack",
                         "query_equipment", "query_chunks"):
        b = MessageBudget(limits_from(tunables), tunables.rate_limit_close_strikes,
                          tunables.rate_limit_forgive_per_s, 0.0, kinds=KINDS)
        payload = {"radius": 1}
        assert all(b.charge(message_type, payload, 0.0).admitted for _ in range(64)), message_type


def test_every_client_command_has_a_bucket_of_its_own():
    """The registry gives every command and query but cmd_authenticate a kind that is a bucket."""
    assert set(KINDS) == set(COMMANDS) - {"cmd_authenticate"}
    assert set(KINDS.values()) <= set(BUCKETS) - {"general"}


def test_a_type_without_a_kind_is_charged_to_the_general_bucket_only():
    """A game's command registered without kind= (or an unknown frame) costs general tokens only."""
    b = budget(general=(1.0, 3), move=(1.0, 1))
    assert [b.charge("cmd_emote", {}, 0.0).admitted for _ in range(4)] == [True] * 3 + [False]
