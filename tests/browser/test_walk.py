"""
Click-to-walk in a real browser: a click on open ground a few tiles away, behind
a wall, walks the player there by cmd_move steps; a click on a goblin out of
reach walks next to it and then attacks. The real server runs in-process on a
small test map.
"""

import pytest
import pytest_twisted

from .conftest import players_gone
from .pages import (
    TIMEOUT_MS, click_tile, player_page, record_sent, register, screenshot, state, unique_name,
    wait_map_drawn,
)

MAP = "walled"
SPAWN = (5, 5)
WALL = [(7, y) for y in range(3, 8)]   # a wall between the spawn and the goal
GOAL = (9, 5)
GOBLIN = (5, 11)
STEPS = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}


@pytest_twisted.async_yield_fixture
async def walled(external_url, tmp_path):
    """The server in-process on a 40x40 field with a short wall east of the spawn
    and a goblin (staying put) six tiles south of it."""
    if external_url:
        pytest.skip("click-to-walk needs the in-process server and its test map")
    from tests.e2e.server import running_server
    from tests.e2e.tmx import open_field, write_map
    maps = write_map(tmp_path / "maps", MAP, open_field(
        width=40, height=40, spawn=SPAWN, walls=WALL, npcs=[("g", *GOBLIN)]), wander_radius=0)
    async with running_server(tmp_path, maps_dir=maps, start_map=MAP) as server:
        yield server.base_url
        await players_gone(server.base_url)


def moves_of(sent):
    return [m["payload"] for m in sent if m["type"] == "cmd_move"]


def wait_for_sent(page, sent, message_type, timeout_ms=5000):
    """The payloads of the C{message_type} messages sent, once there is one."""
    for _ in range(timeout_ms // 50):
        found = [m["payload"] for m in sent if m["type"] == message_type]
        if found:
            return found
        page.wait_for_timeout(50)  # lets Playwright deliver the page's frames
    raise AssertionError(f"no {message_type} sent: {sent}")


def replay(start, moves):
    """The tiles the moves pass through, from start."""
    x, y = start
    tiles = []
    for move in moves:
        dx, dy = STEPS[move["direction"]]
        x, y = x + dx, y + dy
        tiles.append((x, y))
    return tiles


def _walk_around_the_wall(browser, base_url):
    sent = []
    with player_page(browser, base_url, "click-walk",
                     before_load=lambda page: record_sent(page, sent)) as page:
        register(page, unique_name("walker"))
        wait_map_drawn(page, coverage=0.3)
        assert state(page)["position"] == {"x": SPAWN[0], "y": SPAWN[1]}
        click_tile(page, *GOAL)
        page.wait_for_function(
            f"() => window.rpgState.position.x === {GOAL[0]} && window.rpgState.position.y === {GOAL[1]}",
            timeout=TIMEOUT_MS)
        page.get_by_test_id("hud-position").get_by_text(f"{MAP} · {GOAL[0]}, {GOAL[1]}").wait_for()
        moves = moves_of(sent)
        assert all(set(m) == {"direction"} and m["direction"] in STEPS for m in moves), moves
        tiles = replay(SPAWN, moves)
        # The shortest way round: 4 across and 3 up and down again past the wall's end.
        assert len(moves) == 10 and tiles[-1] == GOAL, tiles
        assert not set(tiles) & set(WALL), tiles
        screenshot(page, "click-walk")


@pytest_twisted.inlineCallbacks
def test_clicking_ground_behind_a_wall_walks_the_player_there(browser, walled):
    """A click on a tile beyond a wall walks round it by valid cmd_move steps to that tile."""
    yield browser.run(_walk_around_the_wall, walled)


def _walk_to_the_goblin(browser, base_url):
    sent = []
    with player_page(browser, base_url, "click-attack",
                     before_load=lambda page: record_sent(page, sent)) as page:
        register(page, unique_name("hunter"))
        wait_map_drawn(page, coverage=0.3)
        page.wait_for_function(
            "() => window.rpgState.entities.some("
            f"e => e.type === 'npc' && e.x === {GOBLIN[0]} && e.y === {GOBLIN[1]})")
        goblin = next(e for e in state(page)["entities"]
                      if e["type"] == "npc" and (e["x"], e["y"]) == GOBLIN)
        click_tile(page, *GOBLIN)
        page.wait_for_function(
            f"() => window.rpgState.position.y === {GOBLIN[1] - 1}", timeout=TIMEOUT_MS)
        attacks = wait_for_sent(page, sent, "cmd_attack")
        assert attacks == [{"target_id": goblin["id"], "target_type": "npc"}]
        assert state(page)["position"] == {"x": GOBLIN[0], "y": GOBLIN[1] - 1}
        assert moves_of(sent) == [{"direction": "DOWN"}] * (GOBLIN[1] - 1 - SPAWN[1])


@pytest_twisted.inlineCallbacks
def test_clicking_a_goblin_out_of_reach_walks_next_to_it_then_attacks(browser, walled):
    """A click on a goblin six tiles away walks to the tile beside it, then sends one cmd_attack."""
    yield browser.run(_walk_to_the_goblin, walled)
