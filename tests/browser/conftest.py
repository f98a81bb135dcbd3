"""
Fixtures for the browser tests: the server's base URL and a headless Chromium
driven by Playwright on a thread of its own.

Playwright's sync API blocks its thread, while the server under test runs
in-process on the reactor: so every browser step runs on one worker thread and
the test waits on a Deferred, which keeps the reactor (and the server) serving.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task

REPO = Path(__file__).resolve().parents[2]
CLIENT_INDEX = REPO / "web" / "dist" / "index.html"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def unavailable(reason):
    """Skip, or fail when RPG_BROWSER_REQUIRED is set (CI wants a missing tool to be loud)."""
    if os.environ.get("RPG_BROWSER_REQUIRED"):
        pytest.fail(reason)
    pytest.skip(reason)


class BrowserThread:
    """One Chromium, used only from one worker thread."""

    def __init__(self):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self.playwright = None
        self.browser = None

    def start(self):
        self.executor.submit(self._launch).result()

    def _launch(self):
        from playwright.sync_api import sync_playwright
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

    def run(self, scenario, *args):
        """
        Run C{scenario(browser, *args)} on the browser thread.

        @return: a Deferred firing with its result, or failing with its exception.
        """
        d = defer.Deferred()

        def done(future):
            error = future.exception()
            if error is not None:
                reactor.callFromThread(d.errback, error)
            else:
                reactor.callFromThread(d.callback, future.result())

        self.executor.submit(scenario, self.browser, *args).add_done_callback(done)
        return d

    def stop(self):
        def close():
            if self.browser is not None:
                self.browser.close()
            if self.playwright is not None:
                self.playwright.stop()
        try:
            self.executor.submit(close).result(timeout=30)
        finally:
            self.executor.shutdown(wait=False)


@pytest.fixture(scope="module")
def browser():
    """A launched headless Chromium (Debian's), shared by the tests of a module."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    thread = BrowserThread()
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture
def external_url():
    """RPG_BROWSER_BASE_URL when the tests should use a server that is already running."""
    url = os.environ.get("RPG_BROWSER_BASE_URL")
    if not url and not CLIENT_INDEX.is_file():
        unavailable("the web client is not built (make client, or cd web && npm ci && npm run build)")
    return url.rstrip("/") if url else None


@pytest_twisted.async_yield_fixture
async def base_url(external_url, tmp_path):
    """The server's base URL: RPG_BROWSER_BASE_URL, else the real server in-process."""
    if external_url:
        yield external_url
        return
    from tests.e2e.server import REPO_MAPS, running_server
    async with running_server(tmp_path, maps_dir=REPO_MAPS) as server:
        yield server.base_url
        await players_gone(server.metrics_url)


async def players_gone(metrics_url, timeout_s=5.0):
    """
    Wait until the server has seen every closed page disconnect, so that the
    server stops with no session open (and a test ends as it started).
    """
    from tests.e2e.client import http
    for _ in range(int(timeout_s / 0.05)):
        status, body, _ = await http("GET", metrics_url + "/health")
        if status == 200 and body.get("players_online") == 0:
            return
        await task.deferLater(reactor, 0.05, lambda: None)
