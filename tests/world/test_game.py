"""
L{rpg.world.game.GameWorld} as the game's one façade: one tick with its
phases in order, returning what leaves as data, and the commands clients
send as its methods.
"""

import random
from types import SimpleNamespace

from rpg.config import Tunables
from rpg.content import Content
from rpg.models import ItemStack
from rpg.services.commands import COMMANDS
from rpg.world.game import GameWorld
from rpg.world.items import ItemCatalog, ItemDef

from .worldmaps import character, open_map

SWORD = ItemDef(5, "bronze_sword", "Bronze sword", equipment_slot="weapon")
COINS = ItemDef(2, "coins", "Coins", stackable=True)


def make_game():
    game = GameWorld(Content({"open": open_map(64, 64)}, ItemCatalog([SWORD, COINS]), {}),
                     "open", Tunables(), rng=random.Random(1))
    for player_id, x in ((1, 5), (2, 6)):
        game.add_player(character(player_id, x, 5, inventory={0: ItemStack(5), 1: ItemStack(2, 9)}),
                        0.0)
        game.welcome_messages(player_id)
    game.tick(0.0)
    return game


def client(player_id):
    return SimpleNamespace(player_id=player_id)


def test_tick_returns_the_commands_events_then_the_views_then_the_rest():
    """A tick's data is in phase order: the commands' events, the game updates, then ground items."""
    game = make_game()
    game.cmd_equipment_equip(client(1), {"inventory_slot": 0, "equipment_slot": "weapon"}, 1.0)
    game.cmd_inventory_drop(client(2), {"slot": 1}, 1.0)
    kinds = [(message_type, tuple(sorted(player_ids)))
             for player_ids, message_type, _ in game.tick(1.0)]
    assert kinds == [("event_inventory_update", (1,)), ("event_equipment_update", (1,)),
                     ("event_inventory_update", (2,)),
                     ("event_game_update", (1, 2)),
                     ("event_ground_items_update", (2,))]


def test_tick_phases_run_one_at_a_time_in_the_order_named():
    """tick_phases runs each phase when reached, named as GameWorld.PHASES, and adds up to tick."""
    game = make_game()
    game.cmd_move(client(1), {"direction": "RIGHT"}, 1.0, received_at=1.0)
    phases = game.tick_phases(1.0)
    name, events = next(phases)
    assert name == "world" and events == []
    assert game.player(1).animation_state == "walking"  # nothing else ran yet
    rest = list(phases)
    assert [name] + [n for n, _ in rest] == list(GameWorld.PHASES)
    assert [kind for _, kind, _ in rest[0][1]] == ["event_game_update"]


def test_the_games_commands_are_registered_as_the_facades_methods():
    """Every command the tick runs in rpg is GameWorld's method of the same name: no trampoline."""
    on_tick = sorted(t for t in COMMANDS if t not in COMMANDS.at_once)
    assert on_tick and all(COMMANDS.handlers[t] is getattr(GameWorld, t) for t in on_tick)
    assert COMMANDS.by_arrival == {"cmd_move"}


def test_a_command_reads_its_payload_and_answers_for_its_sender():
    """The façade's command methods take (client, payload, now) and answer the sender's state."""
    game = make_game()
    reply = game.query_inventory(client(2), {}, 1.0)
    assert reply["inventory"]["1"]["quantity"] == 9
    assert game.cmd_set_auto_retaliate(client(2), {"enabled": False}, 1.0) == {
        "auto_retaliate": False}
