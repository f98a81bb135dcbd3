"""The welcome payload: the spec's fields, plus the move cooldown clients pace their moves by."""

import dataclasses
import random

from rpg.config import Tunables
from rpg.content import Content
from rpg.world.game import GameWorld
from rpg.world.items import ItemCatalog

from .worldmaps import character, open_map


def make_game(**tunables):
    content = Content({"open": open_map(10, 10)}, ItemCatalog([]), {})
    return GameWorld(content, "open", dataclasses.replace(Tunables(), **tunables),
                     rng=random.Random(1))


def test_the_welcome_carries_the_spec_fields_and_the_move_cooldown():
    """event_welcome holds the spec's nine fields and move_cooldown_ms, the tunable's value."""
    game = make_game(move_cooldown_ms=350)
    game.add_player(character(1, 2, 3), 0.0)
    assert game.welcome_payload(1) == {
        "player_id": 1, "username": "p1", "x": 2, "y": 3, "map_id": "open",
        "current_hp": game.player(1).current_hp, "max_hp": game.player(1).max_hp,
        "facing_direction": "south", "animation_state": "idle", "move_cooldown_ms": 350}
