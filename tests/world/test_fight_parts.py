"""
The parts of combat, each alone on a bare Engine: the recovery of hit
points and the deaths and respawns (rpg.world.recovery, rpg.world.fight_deaths).
"""

import random

from rpg.models import ItemStack
from rpg.world.engine import Engine
from rpg.world.fight_deaths import Deaths
from rpg.world.fighters import Fighters
from rpg.world.npc_life import NpcPopulation
from rpg.world.recovery import Recovery
from rpg.world.skills import new_skills

from .worldmaps import character, open_map


def bare_world():
    world = Engine({"open": open_map(32, 32, spawn=(1, 1))}, start_map="open",
                  rng=random.Random(1))
    npcs = NpcPopulation(world, {})
    return world, Fighters(world, npcs)


def hurt_player(world, player_id=1, hp=6):
    world.add_player(character(player_id, 5, 5, hp=hp, skills=new_skills()), 0.0)
    return world.players[player_id]


def test_recovery_gives_a_point_per_interval_until_full():
    """Recovery alone: one HP per interval from the last restart, none after full HP."""
    world, fighters = bare_world()
    player = hurt_player(world, hp=8)
    recovery = Recovery(world, fighters, interval_s=2.0)
    recovery.restart(1, 0.0)
    recovery.step(1.9)
    assert player.current_hp == 8
    recovery.step(2.0)
    assert player.current_hp == 9 and recovery.due_at(1) == 4.0
    recovery.restart(1, 3.0)  # a blow: the next point waits a whole interval again
    recovery.step(4.0)
    assert player.current_hp == 9
    recovery.step(5.0)
    assert player.current_hp == 10 and recovery.due_at(1) is None


def test_recovery_waits_while_dead_and_stops_when_cancelled():
    """A dead player's timer does not start; a cancelled one never fires."""
    world, fighters = bare_world()
    player = hurt_player(world)
    recovery = Recovery(world, fighters, interval_s=1.0)
    fighters.record(1).dead = True
    recovery.restart(1, 0.0)
    assert recovery.due_at(1) is None
    fighters.record(1).dead = False
    recovery.restart(1, 0.0)
    recovery.cancel(1)
    recovery.step(5.0)
    assert player.current_hp == 6


def test_deaths_drop_the_inventory_and_respawn_after_the_delay():
    """Deaths alone: a dead player drops its items, is told, and comes back at the spawn on time."""
    world, fighters = bare_world()
    player = hurt_player(world)
    player.inventory[0] = ItemStack(1, 1)
    dropped, events = [], []
    deaths = Deaths(world, fighters.npcs, fighters, catalog=None, rng=random.Random(1),
                    emit=lambda ids, kind, payload: events.append((tuple(ids), kind)),
                    respawn_delay_s=3.0,
                    drop_stacks=lambda *args: dropped.append(args))
    deaths.player_died(player, None, 10.0)
    assert fighters.is_dead(1) and player.current_hp == 0 and deaths.respawn_at(1) == 13.0
    assert dropped == [("open", 5, 5, [ItemStack(1, 1)], 1, 10.0)] and player.inventory == {}
    assert events == [((1,), "event_player_died"), ((1,), "event_inventory_update")]
    deaths.step(12.9)
    assert fighters.is_dead(1)
    deaths.step(13.0)
    assert not fighters.is_dead(1) and (player.x, player.y, player.current_hp) == (1, 1, 10)
    assert events[-1] == ((1,), "event_player_respawned")


def test_a_forgotten_death_never_respawns():
    """A player who left while dead has no respawn pending (its record goes with it)."""
    world, fighters = bare_world()
    player = hurt_player(world)
    deaths = Deaths(world, fighters.npcs, fighters, None, random.Random(1),
                    lambda *event: None, respawn_delay_s=1.0)
    deaths.player_died(player, None, 0.0)
    deaths.forget(1)
    deaths.step(5.0)
    assert player.current_hp == 0 and deaths.respawn_at(1) is None
