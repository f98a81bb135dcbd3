"""
The WebSocket close codes the server sends, in one place.

RFC 6455 codes for what the protocol says (1001, 1008, 1012, 1013) and the 4000s
that protocol 2.0 and its clarifications give to the game's own reasons
(docs/protocol.md, "Close codes").  Autobahn itself closes with 1007 (a text
frame that is not UTF-8) and 1009 (a message over the size cap).
"""

# A client closing its own connection.
CLOSE_NORMAL = 1000
# The server is shutting down.
CLOSE_GOING_AWAY = 1001
# Abuse: no login in time, too many failed logins or frames during one,
# a message budget exceeded, a client that does not read.
CLOSE_POLICY = 1008
# The process serving the player's map went away (docs/scaling.md): log in again.
CLOSE_SERVICE_RESTART = 1012
# No room: the login was answered SERVER_FULL.
CLOSE_TRY_AGAIN_LATER = 1013
# A newer login of the same player took over.
CLOSE_LOGGED_IN_ELSEWHERE = 4001
# An operator kicked, banned or revoked the player.
CLOSE_KICKED = 4003
