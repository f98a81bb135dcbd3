"""
A logged-in player's account over HTTP: /auth/password and /auth/logout.
Both take the player's token as C{Authorization: Bearer TOKEN}.
"""

from rpg.errors import AuthenticationFailed, ExpiredToken
from rpg.services.auth import BadCredentials, LoginThrottled, PasswordRefused
from rpg.services.throttles import HashingBusy

from .http import (MAX_BODY, JSONError, _AsyncJSONResource, busy, json_object, login_throttled,
                   write_json)


def bearer_token(request):
    """@raise JSONError: 401 without an C{Authorization: Bearer} header."""
    header = (request.getHeader(b"authorization") or b"").strip()
    scheme, _, token = header.partition(b" ")
    token = token.strip()
    if scheme.lower() != b"bearer" or not token:
        raise JSONError(401, "AUTHENTICATION_MISSING_TOKEN",
                        "Send the token as Authorization: Bearer TOKEN")
    return token.decode("ascii", "replace")


def read_json_object(request):
    body = request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise JSONError(413, "INVALID_MESSAGE_FORMAT", "Request body too large")
    return json_object(body)


def token_refused(error):
    if isinstance(error, ExpiredToken):
        return JSONError(401, "AUTHENTICATION_EXPIRED_TOKEN", "Token has expired")
    return JSONError(401, "AUTHENTICATION_FAILED", "Invalid or expired token")


class PasswordResource(_AsyncJSONResource):
    """POST C{{"old_password", "new_password"}}: every older token is revoked."""

    def __init__(self, auth):
        super().__init__()
        self.auth = auth

    async def handle(self, request):
        token = bearer_token(request)
        data = read_json_object(request)
        address = getattr(request.getClientAddress(), "host", "unknown")
        try:
            token, expires_in = await self.auth.change_password(
                token, data.get("old_password"), data.get("new_password"), address)
        except (ExpiredToken, AuthenticationFailed) as e:
            raise token_refused(e) from None
        except LoginThrottled as e:
            raise login_throttled(e, "attempts") from None
        except HashingBusy as e:
            # The old password is checked, and the new one hashed, in the
            # login and registration queue: full, it is 503 as they are.
            raise busy(e) from None
        except BadCredentials:
            raise JSONError(401, "AUTHENTICATION_FAILED", "Wrong old password") from None
        except PasswordRefused as e:
            raise JSONError(400, "REGISTRATION_INVALID_PASSWORD", str(e)) from None
        write_json(request, 200, {"access_token": token, "token_type": "bearer",
                                  "expires_in": expires_in})


class LogoutResource(_AsyncJSONResource):
    """POST: revokes the token (and every other token of the account)."""

    def __init__(self, auth):
        super().__init__()
        self.auth = auth

    async def handle(self, request):
        token = bearer_token(request)
        try:
            await self.auth.logout(token)
        except (ExpiredToken, AuthenticationFailed) as e:
            raise token_refused(e) from None
        write_json(request, 200, {"status": "logged_out"})
