"""
End to end: the curl examples of the README and docs/protocol.md work.
Each is sent, in order, to a real server (one per page), with the method,
headers and body curl would send, and is answered with success; where a
page shows the answer (``$ curl ...`` then the reply), the reply has the
same keys and the same values, bar the tokens the page cuts short (``...``).
"""

import json
import re
import shlex

import pytest
import pytest_twisted

from tests.docs.markdown import read

from .client import http
from .server import running_server

PAGES = ["README.md", "protocol.md"]
_BLOCK = re.compile(r"^```(?:sh|bash|console)?\n(.*?)^```", re.MULTILINE | re.DOTALL)


def logical_lines(block):
    """The block's lines, with backslash continuations joined."""
    return re.sub(r"\\\n\s*", " ", block).splitlines()


def examples(page):
    """C{[(line, expected reply or None)]}: each curl line, and the reply shown after it."""
    found = []
    for block in _BLOCK.findall(read(page)):
        lines = logical_lines(block)
        for index, line in enumerate(lines):
            command = line.removeprefix("$ ").strip()
            if command.startswith("curl ") or command.startswith("TOKEN="):
                following = lines[index + 1] if index + 1 < len(lines) else ""
                shown = line.startswith("$ ") and following.startswith("{")
                found.append((command, json.loads(following) if shown else None))
    return found


def curl_request(command, token):
    """C{(method, path, headers, body)} as curl sends them for C{command}."""
    args = [arg.replace("$TOKEN", token or "") for arg in shlex.split(command)[1:]]
    method, url, headers, body = "GET", None, {}, None
    while args:
        arg = args.pop(0)
        if arg == "-s":
            continue
        if arg.startswith("-X"):
            method = arg[2:] or args.pop(0)
        elif arg == "-H":
            name, _, value = args.pop(0).partition(":")
            headers[name.strip().lower().encode()] = value.strip().encode()
        elif arg == "-d":
            body = args.pop(0).encode()
            method = "POST" if method == "GET" else method
        elif not arg.startswith("-") and url is None:
            url = arg
        else:
            raise AssertionError(f"an option this test does not know: {arg} in {command}")
    if body is not None:
        # curl's own default for -d.
        headers.setdefault(b"content-type", b"application/x-www-form-urlencoded")
    path = "/" + url.split("/", 1)[1]
    assert url.startswith("localhost:8000/"), url
    return method, path, headers, body


def same(shown, answer):
    """The reply matches what the page shows: same keys, same values bar cut-short strings."""
    if set(shown) != set(answer):
        return False
    return all(value == answer[key] or (isinstance(value, str) and value.endswith("...")
                                        and str(answer[key]).startswith(value[:-3]))
               for key, value in shown.items())


@pytest.mark.parametrize("page", PAGES)
@pytest_twisted.ensureDeferred
async def test_the_curl_examples_work(page, tmp_path):
    """Every curl line of the page succeeds against a real server and answers what the page shows."""
    steps = examples(page)
    assert any(command.startswith("curl ") for command, _ in steps)
    async with running_server(tmp_path) as server:
        last_token = token = None
        for command, shown in steps:
            if command.startswith("TOKEN="):
                token = last_token
                continue
            method, path, headers, body = curl_request(command, token)
            content_type = headers.pop(b"content-type", None)
            status, answer, _ = await http(method, server.base_url + path, raw=body,
                                           content_type=content_type, headers=headers)
            assert status < 400, (command, status, answer)
            if isinstance(answer, dict) and "access_token" in answer:
                last_token = answer["access_token"]
            assert shown is None or same(shown, answer), (command, shown, answer)
