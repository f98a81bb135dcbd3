"""
Steps a player takes in the browser client, for the browser tests.  They run on
the browser thread (see conftest.py) and use only stable data-testid hooks and
the read-only window.rpgState snapshot.
"""

import contextlib
import secrets

import msgpack

from .conftest import ARTIFACTS

TIMEOUT_MS = 15000
PASSWORD = "password123"
# The client's tile size on maps of 32x32 tiles (the test maps) and its default.
TILE_PX = 32

# How much of the canvas differs from the empty background (#0b0e12), sampled on a grid.
CANVAS_COVERAGE_JS = """() => {
  const c = document.querySelector('[data-testid=game-canvas]');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let drawn = 0, total = 0;
  for (let y = 0; y < c.height; y += 17) {
    for (let x = 0; x < c.width; x += 17) {
      const i = (y * c.width + x) * 4;
      total += 1;
      if (Math.abs(d[i] - 11) + Math.abs(d[i + 1] - 14) + Math.abs(d[i + 2] - 18) > 12) drawn += 1;
    }
  }
  return total ? drawn / total : 0;
}"""


def unique_name(prefix):
    return f"{prefix}_{secrets.token_hex(4)}"


@contextlib.contextmanager
def player_page(browser, base_url, name, before_load=None):
    """
    A fresh browser context and page on the client; on failure a screenshot is
    kept. C{before_load(page)} may set the page up before the client loads.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The server's Content-Security-Policy: anything it blocks is an error too.
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    if before_load is not None:
        before_load(page)
    page.goto(base_url + "/")
    try:
        yield page
        assert errors == [], f"script errors in the page: {errors}"
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"browser-failure-{name}.png"))
        raise
    finally:
        context.close()


def fill_credentials(page, username, password=PASSWORD):
    page.get_by_test_id("auth-username").fill(username)
    page.get_by_test_id("auth-password").fill(password)


def wait_in_game(page):
    """Until the welcome sequence is in: own position, skills and inventory."""
    page.wait_for_function(
        "() => window.rpgState.screen === 'game' && window.rpgState.position !== null"
        " && window.rpgState.skills.length > 0 && window.rpgState.inventory.some(Boolean)")


def register(page, username):
    """Create an account from the login screen; the client then logs in."""
    fill_credentials(page, username)
    page.get_by_test_id("register-button").click()
    wait_in_game(page)


def log_in(page, username):
    """Log an existing account in from the login screen."""
    fill_credentials(page, username)
    page.get_by_test_id("login-button").click()
    wait_in_game(page)


def record_sent(page, sent):
    """
    Append to C{sent} every message the page sends over its WebSockets, decoded;
    call before the client loads (a C{before_load} of L{player_page}).
    """
    def frame(payload):
        if isinstance(payload, (bytes, bytearray)):
            sent.append(msgpack.unpackb(payload, raw=False))
    page.on("websocket", lambda ws: ws.on("framesent", frame))


def click_tile(page, x, y):
    """Left-click the middle of map tile (x, y); the camera centres on the (still) player."""
    box = page.get_by_test_id("game-canvas").bounding_box()
    me = state(page)["position"]
    page.mouse.click(box["x"] + box["width"] / 2 + (x - me["x"]) * TILE_PX,
                     box["y"] + box["height"] / 2 + (y - me["y"]) * TILE_PX)


def skill_xp(page, name):
    return next(s["current_xp"] for s in state(page)["skills"] if s["name"] == name)


def state(page):
    return page.evaluate("() => window.rpgState")


def wait_map_drawn(page, coverage=0.5):
    page.wait_for_function(f"() => ({CANVAS_COVERAGE_JS})() > {coverage}")


def inventory_slot_of(page, item_name):
    for slot, item in enumerate(state(page)["inventory"]):
        if item and item["name"] == item_name:
            return slot
    raise AssertionError(f"{item_name} is not in the inventory: {state(page)['inventory']}")


def sees_player_js(username):
    return ("() => window.rpgState.entities.some("
            f"e => e.type === 'player' && e.name === {username!r})")


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"browser-{name}.png"
    page.screenshot(path=str(path))
    return path
