"""
docs/protocol.md lists every error code the server can send, on the
WebSocket (the one table in rpg/protocol/errors.py) and over HTTP (the codes
rpg/web/ and the account service answer with), and every close code of
rpg/protocol/close_codes.py in its close-code table.
"""

import ast
import re

from rpg.protocol import close_codes
from rpg.protocol.errors import INTERNAL_SERVER_ERROR
from tests.docs.markdown import REPO, code_spans, read, section, table_rows

_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# The calls that put an error code into an HTTP answer.
HTTP_ERROR_CALLS = {"JSONError", "error_body", "refuse", "RegistrationError"}
HTTP_SOURCES = sorted((REPO / "rpg" / "web").glob("*.py")) + [
    REPO / "rpg" / "services" / "auth.py"]
# Close codes Autobahn sends by itself (rpg/protocol/close_codes.py says so).
AUTOBAHN_CLOSE_CODES = {1007, 1009}


def http_error_codes():
    """C{{code: "file:line"}} for every code given to an HTTP error call."""
    found = {}
    for path in HTTP_SOURCES:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in HTTP_ERROR_CALLS:
                continue
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                        and _CODE.match(arg.value):
                    found.setdefault(arg.value, f"{path.name}:{node.lineno}")
    return found


def shipped_error_codes():
    """
    The codes of the exception table as rpg/protocol/errors.py writes it
    (read from the source: C{register_error} adds a game's own codes to the
    live table, as docs/extending.md's example does while the tests run).
    """
    tree = ast.parse((REPO / "rpg" / "protocol" / "errors.py").read_text("utf-8"))
    [table] = [node.value for node in tree.body if isinstance(node, ast.Assign)
               and [getattr(t, "id", None) for t in node.targets] == ["ERROR_CODES"]]
    return {value.value for value in table.values}


def close_code_constants():
    """C{{value: name}} of the CLOSE_* constants."""
    return {value: name for name, value in vars(close_codes).items()
            if name.startswith("CLOSE_") and isinstance(value, int)}


def test_every_websocket_error_code_is_in_the_table():
    """Each code of the exception table (and INTERNAL_SERVER_ERROR) is in the error-code table."""
    listed = {code for row in table_rows(read("protocol.md"), ("category", "codes"))
              for code in code_spans(row[1])}
    codes = shipped_error_codes() | {INTERNAL_SERVER_ERROR}
    assert {"RATE_LIMITED", "SERVER_FULL", "MOVEMENT_BLOCKED"} <= codes  # the reader finds them
    assert sorted(codes - listed) == []


def test_every_http_error_code_is_in_the_error_codes_section():
    """Each code an HTTP answer can carry is named in "Error codes", and in the HTTP section."""
    codes = http_error_codes()
    text = read("protocol.md")
    error_codes = set(code_spans(section(text, "Error codes")))
    http = set(code_spans(section(text, "HTTP")))
    assert {"SERVER_BUSY", "REQUEST_TIMEOUT", "UNSUPPORTED_MEDIA_TYPE",
            "REGISTRATION_USERNAME_TAKEN"} <= set(codes)  # the reader finds them
    assert ({code: where for code, where in codes.items() if code not in error_codes},
            {code: where for code, where in codes.items() if code not in http}) == ({}, {})


def test_every_close_code_is_in_the_close_code_table():
    """Each CLOSE_* constant has a row; each row is a constant or one Autobahn sends itself."""
    rows = {int(row[0]) for row in table_rows(read("protocol.md"), ("code", "reason"))}
    constants = close_code_constants()
    assert len(constants) >= 6  # the reader finds them
    assert (sorted(set(constants) - rows), sorted(rows - set(constants) - AUTOBAHN_CLOSE_CODES)) \
        == ([], [])
