"""
What can go wrong outside the game's rules, beside the roles of
L{rpg.interfaces} (as twisted.words keeps C{ewords} beside C{iwords}): a
login refused, a chat message refused, a connection over its budget, a
process with no room.  The rules' own errors are in L{rpg.world.errors}; the
wire's (a bad envelope) in L{rpg.protocol.errors}, with the one table from
every error class to its wire code.

Each error carries a human message and a C{details} dict.
"""


class GameError(Exception):
    """
    A request refused, with a wire code (L{rpg.protocol.errors.error_code}).
    Nothing changed.
    """

    message = "Request refused"

    def __init__(self, message=None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details


class InvalidMessageFormat(GameError):
    """A frame, or a field of a payload, that is not what protocol 2.0 says."""
    message = "Malformed message"


# -- authentication: the session and L{rpg.services.auth.AuthService}
class AuthenticationFailed(GameError):
    message = "Authentication failed"


class MissingToken(GameError):
    message = "No token provided"


class InvalidAuthPayload(GameError):
    message = "Malformed authentication payload"


class ExpiredToken(GameError):
    message = "Token has expired"


# -- a connection's message budget (L{rpg.budget}), checked by the session
class RateLimited(GameError):
    """Over the connection's message budget; C{retry_after_ms} says when it has room."""
    message = "Too many messages"


# -- capacity (L{rpg.services.admission})
class ServerFull(GameError):
    message = "The server is full; try again later"


# -- chat (L{rpg.interfaces.IChat})
class ChatRateLimited(GameError):
    message = "Sending messages too fast"


class ChatTooLong(GameError):
    message = "Message exceeds the maximum length"


class ChatEmpty(GameError):
    message = "Message is empty"


class ChatRecipientNotFound(GameError):
    message = "Recipient not found or offline"


class ChatInvalidChannel(GameError):
    message = "Invalid chat channel"


class ChatPermissionDenied(GameError):
    message = "You may not send on this channel"
