"""
The HTTP side of the port: /auth/register, /auth/login, /health.
"""

import email.parser
import email.policy
import json
from urllib.parse import parse_qs

from twisted.internet import defer
from twisted.logger import Logger
from twisted.web import resource, server

from rpg.services.auth import (AccountBanned, BadCredentials, LoginThrottled, RegistrationError,
                               RegistrationThrottled)
from rpg.services.throttles import HashingBusy

MAX_BODY = 16384


def write_json(request, status, body, headers=None):
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"cache-control", b"no-store")
    for name, value in (headers or {}).items():
        request.setHeader(name, value)
    request.write(json.dumps(body).encode("utf-8"))
    request.finish()


def error_body(code, message):
    return {"error_code": code, "message": message}


class JSONError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers


def retry_after(seconds):
    """A C{Retry-After} header: whole seconds, rounded up, at least 1."""
    return {b"retry-after": str(max(1, int(seconds + 0.999))).encode()}


def busy(e):
    return JSONError(503, "SERVER_BUSY",
                     "Too many logins and registrations waiting; try again shortly",
                     retry_after(e.retry_after_s))


def login_throttled(e, what="login attempts"):
    """The 429 of a L{LoginThrottled}, its wait in C{Retry-After} and the message."""
    headers = retry_after(e.retry_after_s)
    return JSONError(429, "AUTHENTICATION_RATE_LIMITED",
                     f"Too many {what}; try again in {headers[b'retry-after'].decode()} s",
                     headers)


JSON_TYPES = (b"application/json",)
URLENCODED_FORM = b"application/x-www-form-urlencoded"
MULTIPART_FORM = b"multipart/form-data"
# A form comes in either encoding (a browser's FormData is sent as multipart).
FORM_TYPES = (URLENCODED_FORM, MULTIPART_FORM)


def multipart_fields(body, content_type):
    """
    The C{{name: text}} of a multipart/form-data body (the first value of
    each name; file parts are fields like any other).

    @param content_type: the whole C{Content-Type} header, boundary included.
    @raise JSONError: 400 C{INVALID_MESSAGE_FORMAT} for a body that is not
        multipart or not UTF-8.
    """
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise JSONError(400, "INVALID_MESSAGE_FORMAT", "Form body is not multipart")
    fields = {}
    for part in message.get_payload():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in fields:
            try:
                fields[name] = (part.get_payload(decode=True) or b"").decode("utf-8")
            except UnicodeDecodeError:
                raise JSONError(400, "INVALID_MESSAGE_FORMAT", "Form body must be UTF-8") from None
    return fields


def read_credentials(request, allow_form):
    """
    The C{(username, password)} of a JSON (or, where allowed, form) body.

    Other content types, and none, are 415: a browser sends a cross-site form
    or a no-CORS C{fetch} as C{text/plain}, a form type or no type at all,
    and JSON read from those would let any web page register accounts through
    its visitors' browsers.
    """
    content_type = (request.getHeader(b"content-type") or b"").split(b";")[0].strip().lower()
    accepted = JSON_TYPES + (FORM_TYPES if allow_form else ())
    if content_type not in accepted:
        raise JSONError(415, "UNSUPPORTED_MEDIA_TYPE",
                        "Send the body as " + " or ".join(t.decode() for t in accepted))
    body = request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise JSONError(413, "INVALID_MESSAGE_FORMAT", "Request body too large")
    if content_type == URLENCODED_FORM:
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=False)
        except UnicodeDecodeError:
            raise JSONError(400, "INVALID_MESSAGE_FORMAT", "Form body must be UTF-8") from None
        data = {key: values[0] for key, values in fields.items()}
    elif content_type == MULTIPART_FORM:
        data = multipart_fields(body, request.getHeader(b"content-type"))
    else:
        data = json_object(body)
    if not isinstance(data, dict):
        raise JSONError(400, "INVALID_MESSAGE_FORMAT", "Body must be a JSON object")
    return data.get("username"), data.get("password")


def json_object(body):
    """
    The JSON object in C{body}.

    @raise JSONError: 400 C{INVALID_MESSAGE_FORMAT} for anything else:
        malformed JSON, invalid UTF-8, values nested thousands deep
        (C{RecursionError}), or a value that is not an object.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JSONError(400, "INVALID_MESSAGE_FORMAT", "Body must be a JSON object") from None
    if not isinstance(data, dict):
        raise JSONError(400, "INVALID_MESSAGE_FORMAT", "Body must be a JSON object")
    return data


class _AsyncJSONResource(resource.Resource):
    isLeaf = True
    log = Logger()

    def render(self, request):
        # Any other method, GET or PUT or an invented one, is a JSON 405
        # (twisted.web would answer 501 or 405 in HTML).
        if request.method == b"POST":
            return self.render_POST(request)
        write_json(request, 405, error_body("METHOD_NOT_ALLOWED", "Use POST"),
                   {b"allow": b"POST"})
        return server.NOT_DONE_YET

    def render_POST(self, request):
        d = defer.ensureDeferred(self.handle(request))

        def failed(failure):
            if failure.check(JSONError):
                e = failure.value
                write_json(request, e.status, error_body(e.code, e.message), e.headers)
            else:
                self.log.failure("HTTP {path} failed", failure, path=request.path)
                write_json(request, 500, error_body("INTERNAL_SERVER_ERROR", "Unexpected server error"))

        d.addErrback(failed)
        d.addErrback(lambda f: None)  # the client went away before we answered
        return server.NOT_DONE_YET


class RegisterResource(_AsyncJSONResource):
    def __init__(self, auth):
        super().__init__()
        self.auth = auth

    async def handle(self, request):
        username, password = read_credentials(request, allow_form=False)
        host = getattr(request.getClientAddress(), "host", "unknown")
        try:
            account = await self.auth.register(username, password, host)
        except RegistrationError as e:
            raise JSONError(e.status, e.code, e.message) from None
        except RegistrationThrottled as e:
            raise JSONError(429, "REGISTRATION_RATE_LIMITED",
                            "Too many registrations; try again later",
                            retry_after(e.retry_after_s)) from None
        except HashingBusy as e:
            raise busy(e) from None
        write_json(request, 201, {"player_id": account.player_id, "username": account.username})


class LoginResource(_AsyncJSONResource):
    def __init__(self, auth):
        super().__init__()
        self.auth = auth

    async def handle(self, request):
        username, password = read_credentials(request, allow_form=True)
        address = request.getClientAddress()
        host = getattr(address, "host", "unknown")
        try:
            token, expires_in = await self.auth.login(username, password, host)
        except LoginThrottled as e:
            raise login_throttled(e) from None
        except HashingBusy as e:
            raise busy(e) from None
        except BadCredentials:
            raise JSONError(401, "AUTHENTICATION_FAILED", "Invalid username or password") from None
        except AccountBanned:
            raise JSONError(403, "AUTHENTICATION_FAILED", "This account is banned") from None
        write_json(request, 200, {"access_token": token, "token_type": "bearer",
                                  "expires_in": expires_in})


class HealthResource(resource.Resource):
    isLeaf = True

    def __init__(self, status):
        super().__init__()
        self.status = status

    def render(self, request):
        if request.method not in (b"GET", b"HEAD"):
            write_json(request, 405, error_body("METHOD_NOT_ALLOWED", "Use GET"),
                       {b"allow": b"GET, HEAD"})
            return server.NOT_DONE_YET
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"no-store")
        return json.dumps({"status": "ok", **self.status()}).encode("utf-8")


class JSONTree(resource.Resource):
    """A branch of the site whose own page and unknown children are JSON 404s."""

    def getChild(self, name, request):
        return JSONNotFound()

    def render(self, request):
        return JSONNotFound().render(request)


class JSONNotFound(resource.Resource):
    isLeaf = True

    def render(self, request):
        request.setResponseCode(404)
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(error_body("NOT_FOUND", "No such resource")).encode("utf-8")
