"""
Portals in a real browser, on the shipped world (maps/): a player walks from
the town square down the stairs into the cellar by click-to-walk and back up
again, and the client shows each map (its name, its tiles, only its own
entities) without a reload.  A screenshot of each side is kept.
"""

import pytest_twisted

from .pages import (
    TIMEOUT_MS, click_tile, player_page, record_sent, register, screenshot, state, unique_name,
    wait_map_drawn,
)

TOWN_SPAWN = (31, 46)
BEFORE_THE_HOUSE = (34, 55)     # on screen from the spawn, clear of the chat box
TOWN_STAIRS = (34, 60)          # the portal down, inside the house south of the square
CELLAR_ARRIVAL = (4, 3)
CELLAR_STAIRS = (3, 3)          # the portal up
TOWN_ARRIVAL = (33, 60)
# The camera eases after the player at 5 tiles a second: after a step, wait
# this long before a click is aimed at the tiles around the player.
CAMERA_SETTLE_MS = 600


def wait_at(page, map_id, x, y):
    """Until the player stands on (x, y) of map_id, and the camera has followed (for click_tile)."""
    page.wait_for_function(
        f"() => window.rpgState.map_id === {map_id!r} && window.rpgState.position.x === {x}"
        f" && window.rpgState.position.y === {y}", timeout=TIMEOUT_MS)
    page.wait_for_timeout(CAMERA_SETTLE_MS)


def npc_names(page):
    return {e["name"] for e in state(page)["entities"] if e["type"] == "npc"}


def _down_and_up(browser, base_url):
    sent = []
    with player_page(browser, base_url, "portals", before_load=lambda page: record_sent(page, sent)) as page:
        register(page, unique_name("delver"))
        wait_map_drawn(page, coverage=0.5)
        assert (state(page)["map_id"], state(page)["position"]) == ("samplemap", dict(zip("xy", TOWN_SPAWN)))
        page.get_by_test_id("hud-map").get_by_text("Millbrook", exact=True).wait_for()

        click_tile(page, *BEFORE_THE_HOUSE)
        wait_at(page, "samplemap", *BEFORE_THE_HOUSE)
        page.wait_for_function("() => window.rpgState.entities.some(e => e.name === 'Guard')")
        click_tile(page, *TOWN_STAIRS)
        wait_at(page, "cellar", *CELLAR_ARRIVAL)
        page.get_by_test_id("hud-map").get_by_text("Millbrook Cellars").wait_for()
        page.get_by_test_id("map-banner").get_by_text("Millbrook Cellars").wait_for()
        page.get_by_test_id("hud-position").get_by_text(f"cellar · {CELLAR_ARRIVAL[0]}, {CELLAR_ARRIVAL[1]}").wait_for()
        wait_map_drawn(page, coverage=0.3)  # the cellar's corner: a third of the view is off the map
        assert not npc_names(page) & {"Guard", "Goblin"}, state(page)["entities"]
        assert state(page)["ground_items"] == []
        screenshot(page, "portal-cellar")
        moves_down = [m["payload"]["direction"] for m in sent if m["type"] == "cmd_move"]

        click_tile(page, *CELLAR_STAIRS)
        wait_at(page, "samplemap", *TOWN_ARRIVAL)
        page.get_by_test_id("hud-map").get_by_text("Millbrook", exact=True).wait_for()
        wait_map_drawn(page, coverage=0.5)
        page.wait_for_function("() => window.rpgState.entities.some(e => e.name === 'Guard')")
        assert not npc_names(page) & {"Skeleton"}, state(page)["entities"]
        screenshot(page, "portal-town")
        moves = [m["payload"]["direction"] for m in sent if m["type"] == "cmd_move"]
    # One step from the cellar's arrival tile onto the stairs up; the walk down
    # ended on the stairs (the step onto them is the last move sent there).
    assert moves[len(moves_down):] == ["LEFT"], moves
    return moves_down


@pytest_twisted.inlineCallbacks
def test_walking_down_the_stairs_to_the_cellar_and_back(browser, base_url):
    """Click-to-walk onto the town's stairs shows the cellar (name, tiles, its NPCs only); its stairs lead back."""
    moves_down = yield browser.run(_down_and_up, base_url)
    assert len(moves_down) >= 9 + 11
