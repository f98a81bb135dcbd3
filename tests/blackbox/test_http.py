"""Black box: the HTTP API (clarifications, "HTTP, on the same port as the WebSocket")."""

import json

import jwt
import pytest
import pytest_twisted
from tests.e2e.client import http

from .harness import PASSWORD, SECRET, field, fresh

SERVER = dict(maps={"field": field()}, start_map="field")


def error_body(body):
    return isinstance(body, dict) and set(body) == {"error_code", "message"} \
        and isinstance(body["error_code"], str) and isinstance(body["message"], str)


@pytest_twisted.ensureDeferred
async def test_register_201_body(server):
    """Register answers 201 with exactly {player_id (int), username}."""
    name = fresh("Reg")
    status, body, headers = await server.post("/auth/register",
                                              {"username": name, "password": PASSWORD})
    assert status == 201
    assert set(body) == {"player_id", "username"}
    assert isinstance(body["player_id"], int) and body["username"] == name
    assert headers.getRawHeaders(b"content-type")[0].startswith(b"application/json")


@pytest_twisted.ensureDeferred
async def test_register_username_edges(server):
    """3 and 20 characters of [A-Za-z0-9_] are accepted; 2, 21 and other characters are 400."""
    for good in ("a_1", "Z" * 17 + "_9x"):
        status, body, _ = await server.post("/auth/register",
                                            {"username": good, "password": PASSWORD})
        assert status == 201, (good, body)
    for bad in ("ab", "a" * 21, "bad name", "bad-name", "naïve", "", "tab\tx1"):
        status, body, _ = await server.post("/auth/register",
                                            {"username": bad, "password": PASSWORD})
        assert status == 400, (bad, body)
        assert error_body(body), body


@pytest_twisted.ensureDeferred
async def test_register_password_edges(server):
    """Passwords of 8 and 128 characters are accepted; 7 and 129 are 400."""
    for password, expected in (("p" * 8, 201), ("p" * 128, 201), ("p" * 7, 400),
                               ("p" * 129, 400)):
        status, body, _ = await server.post("/auth/register",
                                            {"username": fresh("pw"), "password": password})
        assert status == expected, (len(password), body)
        if expected == 400:
            assert error_body(body)


@pytest_twisted.ensureDeferred
async def test_register_missing_or_wrong_typed_fields_are_400(server):
    """A body without username/password, with non-string values or not JSON is 400 JSON."""
    for raw in (json.dumps({"username": fresh("m")}).encode(),
                json.dumps({"password": PASSWORD}).encode(),
                json.dumps({"username": 12345, "password": PASSWORD}).encode(),
                json.dumps({"username": fresh("m"), "password": 12345678}).encode(),
                json.dumps(["x", "y"]).encode(), b"{nope"):
        status, body, _ = await server.post("/auth/register", raw=raw)
        assert status == 400, (raw, body)
        assert error_body(body), body


@pytest_twisted.ensureDeferred
async def test_register_taken_case_insensitively_is_409(server):
    """A username taken in any letter case is 409 with a JSON error body."""
    name = fresh("Case")
    await server.register(name)
    status, body, _ = await server.post("/auth/register",
                                        {"username": name.upper(), "password": PASSWORD})
    assert status == 409 and error_body(body)


@pytest_twisted.ensureDeferred
async def test_login_200_body_and_token_claims(server):
    """Login answers {access_token, token_type: bearer, expires_in}; the token is HS256 with sub, iat, exp = iat + 24 h."""
    name = fresh("Log")
    await server.register(name)
    status, body, _ = await server.post("/auth/login", {"username": name, "password": PASSWORD})
    assert status == 200
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 86400
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == name
    assert claims["exp"] - claims["iat"] == 86400


@pytest_twisted.ensureDeferred
async def test_login_with_a_form(server):
    """Login accepts an application/x-www-form-urlencoded form."""
    name = fresh("Form")
    await server.register(name)
    status, body, _ = await server.post(
        "/auth/login", raw=f"username={name}&password={PASSWORD}".encode(),
        content_type=b"application/x-www-form-urlencoded")
    assert status == 200 and body["token_type"] == "bearer"


@pytest_twisted.ensureDeferred
async def test_login_wrong_password_or_unknown_user_is_401(server):
    """Wrong credentials are 401 with a JSON {error_code, message} body."""
    name = fresh("Wrong")
    await server.register(name)
    for body in ({"username": name, "password": "not-the-password"},
                 {"username": fresh("ghost"), "password": PASSWORD}):
        status, reply, _ = await server.post("/auth/login", body)
        assert status == 401 and error_body(reply), reply
        assert reply["error_code"] == "AUTHENTICATION_FAILED"


@pytest_twisted.ensureDeferred
async def test_login_is_case_insensitive_and_sub_is_as_registered(server):
    """Logging in as ALICE finds alice; the token's sub is the username as registered."""
    name = fresh("Mixed")
    await server.register(name)
    token = await server.login(name.lower())
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["sub"] == name


@pytest_twisted.ensureDeferred
async def test_health(server):
    """GET /health is 200 JSON with status ok."""
    status, body, headers = await http("GET", server.base_url + "/health")
    assert status == 200 and body["status"] == "ok"
    assert headers.getRawHeaders(b"content-type")[0].startswith(b"application/json")


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/auth/register", 405, "METHOD_NOT_ALLOWED"),
    ("PUT", "/auth/register", 405, "METHOD_NOT_ALLOWED"),
    ("DELETE", "/auth/login", 405, "METHOD_NOT_ALLOWED"),
    ("PATCH", "/auth/login", 405, "METHOD_NOT_ALLOWED"),
    ("POST", "/health", 405, "METHOD_NOT_ALLOWED"),
    ("GET", "/auth", 404, "NOT_FOUND"),
    ("GET", "/auth/", 404, "NOT_FOUND"),
    ("POST", "/auth/no-such-thing", 404, "NOT_FOUND"),
    ("GET", "/auth/logout", 405, "METHOD_NOT_ALLOWED"),
    ("GET", "/no/such/path", 404, "NOT_FOUND"),
])
@pytest_twisted.ensureDeferred
async def test_other_methods_and_unknown_paths_get_json_errors(server, method, path, status, code):
    """Every error body is JSON {error_code, message}: other methods on the auth
    endpoints and /health are 405, unknown paths 404."""
    got, body, headers = await http(method, server.base_url + path)
    assert got == status and error_body(body) and body["error_code"] == code, (got, body)
    assert headers.getRawHeaders(b"content-type")[0].startswith(b"application/json")


@pytest_twisted.ensureDeferred
async def test_passwords_are_argon2id_hashes(server):
    """The stored password is an argon2id hash, never the clear text."""
    name = fresh("Hash")
    await server.register(name)
    with server.database() as db:
        (stored,) = db.execute("SELECT password_hash FROM accounts WHERE username = ?",
                               (name,)).fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest_twisted.ensureDeferred
async def test_content_types_with_parameters(server):
    """application/json with a charset registers (201) and logs in (200); a form with a
    charset logs in; every answer, errors included, is application/json."""
    name = fresh("Ctype")
    status, body, headers = await server.post(
        "/auth/register", {"username": name, "password": PASSWORD},
        content_type=b"application/json; charset=utf-8")
    assert status == 201 and body["username"] == name
    status, body, headers = await server.post(
        "/auth/login", {"username": name, "password": PASSWORD},
        content_type=b"application/json; charset=UTF-8")
    assert status == 200 and body["token_type"] == "bearer"
    assert headers.getRawHeaders(b"content-type")[0].startswith(b"application/json")
    status, body, headers = await server.post(
        "/auth/login", raw=f"username={name}&password={PASSWORD}".encode(),
        content_type=b"application/x-www-form-urlencoded; charset=UTF-8")
    assert status == 200 and body["token_type"] == "bearer"
    for path, payload, expected in (
            ("/auth/register", {"username": name, "password": PASSWORD}, 409),
            ("/auth/register", {"username": "x", "password": PASSWORD}, 400),
            ("/auth/login", {"username": name, "password": "wrong-password"}, 401)):
        status, body, headers = await server.post(path, payload)
        assert status == expected and error_body(body), (path, status, body)
        assert headers.getRawHeaders(b"content-type")[0].startswith(b"application/json")


@pytest.mark.parametrize("raw, content_type", [
    (b"username=someone", b"application/x-www-form-urlencoded"),
    (b'{"username": "someone"}', b"application/json"),
    (b'{"username": 12345, "password": 12345678}', b"application/json"),
    (b'{"username": ["a"], "password": {"b": 1}}', b"application/json"),
])
@pytest_twisted.ensureDeferred
async def test_login_without_usable_credentials_is_401_json(server, raw, content_type):
    """A login whose username or password is missing or not a string is 401
    AUTHENTICATION_FAILED with a JSON body (wrong credentials), never a 500."""
    status, body, _ = await server.post("/auth/login", raw=raw, content_type=content_type)
    assert status == 401 and error_body(body), (status, body)
    assert body["error_code"] == "AUTHENTICATION_FAILED"


def multipart(**fields):
    """A multipart/form-data body (what a browser's FormData sends) and its content type."""
    boundary = "rpgFormBoundary7MA4YWxkTrZu0gW"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode() + b"\r\n" for name, value in fields.items())
    return body + f"--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}".encode()


@pytest_twisted.ensureDeferred
async def test_login_with_a_multipart_form(server):
    """Login accepts a multipart/form-data form too (a form in its other encoding); a wrong
    password that way is 401, and register still wants JSON (415)."""
    name = fresh("Multi")
    await server.register(name)
    body, content_type = multipart(username=name, password=PASSWORD)
    status, reply, _ = await server.post("/auth/login", raw=body, content_type=content_type)
    assert status == 200 and reply["token_type"] == "bearer", reply
    assert jwt.decode(reply["access_token"], SECRET, algorithms=["HS256"])["sub"] == name
    body, content_type = multipart(username=name, password="not-the-password")
    status, reply, _ = await server.post("/auth/login", raw=body, content_type=content_type)
    assert status == 401 and error_body(reply), reply
    body, content_type = multipart(username=fresh("Multi"), password=PASSWORD)
    status, reply, _ = await server.post("/auth/register", raw=body, content_type=content_type)
    assert status == 415 and reply["error_code"] == "UNSUPPORTED_MEDIA_TYPE", reply


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/no/such/path"])
@pytest_twisted.ensureDeferred
async def test_a_malformed_multipart_body_gets_a_json_answer(server, path):
    """A multipart body that does not parse is answered with the JSON error body of the path
    (400 on login, 415 on register, 404 elsewhere), never a bare 400."""
    status, reply, _ = await server.post(path, raw=b"garbage",
                                         content_type=b"multipart/form-data")
    assert error_body(reply), (status, reply)
    assert status == {"/auth/login": 400, "/auth/register": 415}.get(path, 404)
