"""
The resource tree: HTTP and the WebSocket on one port.
"""

import sys
from pathlib import Path

from autobahn.twisted.resource import WebSocketResource
from twisted.web import resource, static
from twisted.web.server import Site

from .account import LogoutResource, PasswordResource
from .http import HealthResource, JSONNotFound, JSONTree, LoginResource, RegisterResource
from .limits import GuardedSite

SOURCE_WEB_CLIENT = Path(__file__).resolve().parent.parent.parent / "web" / "dist"
INSTALLED_WEB_CLIENT = Path(sys.prefix) / "share" / "rpg" / "web"


def default_client_dir():
    """The built client of this checkout, or the copy installed with the wheel."""
    if SOURCE_WEB_CLIENT.is_dir():
        return SOURCE_WEB_CLIENT
    return INSTALLED_WEB_CLIENT
MAP_FILE_TYPES = {".tmx": "application/xml", ".tsx": "application/xml", ".png": "image/png"}


class StaticFile(static.File):
    """
    Files as twisted.web serves them, less two things a client can turn
    against the server: directory listings (a 404 instead) and multi-range
    requests, whose overlapping ranges repeat a file many times over (the
    whole file is sent instead, as RFC 9110 lets a server ignore C{Range}).
    """

    def directoryListing(self):
        return JSONNotFound()

    def makeProducer(self, request, fileForReading):
        ranges = request.getHeader(b"range")
        if ranges is not None and b"," in ranges:
            request.requestHeaders.removeHeader(b"range")
        return super().makeProducer(request, fileForReading)


class MetricsResource(resource.Resource):
    isLeaf = True

    def __init__(self, metrics):
        super().__init__()
        self.metrics = metrics

    def render_GET(self, request):
        request.setHeader(b"content-type", self.metrics.content_type.encode())
        return self.metrics.render()


class MapFiles(resource.Resource):
    """The maps directory's map, tileset and image files, nothing else."""

    def __init__(self, maps_dir):
        super().__init__()
        self.maps_dir = Path(maps_dir)

    def getChild(self, name, request):
        filename = name.decode("utf-8", "replace")
        path = self.maps_dir / filename
        if ("/" in filename or filename.startswith(".") or path.suffix not in MAP_FILE_TYPES
                or not path.is_file()):
            return JSONNotFound()
        f = StaticFile(str(path), defaultType=MAP_FILE_TYPES[path.suffix])
        f.isLeaf = True
        return f


class NoClientPage(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        return (b"<!doctype html><title>rpg</title><h1>rpg server</h1>"
                b"<p>The web client was not built (it needs Node.js: run <code>make run</code> "
                b"on a machine with npm). The server is up: WebSocket at <code>/ws</code>.</p>")


def build_operations_site(metrics, health):
    """
    What C{--metrics-listen} serves: C{/metrics} (Prometheus) and
    C{/health} with C{health()}'s details (server id, players, maps).
    """
    root = JSONTree()
    root.putChild(b"health", HealthResource(health))
    root.putChild(b"metrics", MetricsResource(metrics))
    site = Site(root)
    site.displayTracebacks = False
    return site


def build_site(factory, auth, health, maps_dir, tunables, client_dir=None, reactor=None):
    client_dir = client_dir or default_client_dir()
    if (Path(client_dir) / "index.html").is_file():
        root = StaticFile(str(client_dir))
        root.childNotFound = JSONNotFound()
    else:
        root = JSONTree()
        root.putChild(b"", NoClientPage())
    auth_tree = JSONTree()
    auth_tree.putChild(b"register", RegisterResource(auth))
    auth_tree.putChild(b"login", LoginResource(auth))
    auth_tree.putChild(b"password", PasswordResource(auth))
    auth_tree.putChild(b"logout", LogoutResource(auth))
    root.putChild(b"auth", auth_tree)
    # The public port tells nothing about the host: the detailed /health
    # and /metrics are on the operators' endpoint (build_operations_site).
    root.putChild(b"health", HealthResource(dict))
    root.putChild(b"maps", MapFiles(maps_dir))
    root.putChild(b"ws", WebSocketResource(factory))
    site = GuardedSite(root, tunables, reactor=reactor)
    site.displayTracebacks = False
    return site
