"""
The browser client under the server's Content-Security-Policy: served with
it, and nothing in it blocked (player_page fails a test on any violation).
"""

import pytest_twisted

from rpg.web import limits

from .pages import player_page, register, unique_name, wait_map_drawn


def _play_under_the_policy(browser, base_url):
    with player_page(browser, base_url, "csp") as page:
        response = page.goto(base_url + "/")
        assert response.headers["content-security-policy"] == limits.CONTENT_SECURITY_POLICY.decode()
        register(page, unique_name("csp"))
        wait_map_drawn(page)
        page.get_by_test_id("game-canvas").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)


@pytest_twisted.inlineCallbacks
def test_the_client_plays_under_the_content_security_policy(browser, base_url):
    """Registering, drawing the map and moving report no Content-Security-Policy violation."""
    yield browser.run(_play_under_the_policy, base_url)
