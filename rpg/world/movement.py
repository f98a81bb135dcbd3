"""
The rules of a single step: direction, cooldown, bounds and collision.

Only tiles block; other players and NPCs never do.
"""

import math

from rpg.world.errors import InvalidDirection, MoveBlocked, MoveRateLimited, OutOfBounds

# direction -> (dx, dy, facing); y grows downward.
DIRECTIONS = {
    "UP": (0, -1, "north"),
    "DOWN": (0, 1, "south"),
    "LEFT": (-1, 0, "west"),
    "RIGHT": (1, 0, "east"),
}

# Clocks are often epoch seconds, where a float resolves about 0.25 us:
# differences closer than this to the cooldown count as "elapsed".
_SLACK_MS = 0.001


def resolve_direction(direction):
    """
    @return: C{(dx, dy, facing)} for one of C{UP}, C{DOWN}, C{LEFT}, C{RIGHT}.
    @raise InvalidDirection: for anything else (other case, non-strings, None).
    """
    if type(direction) is not str or direction not in DIRECTIONS:
        raise InvalidDirection(valid_directions=list(DIRECTIONS))
    return DIRECTIONS[direction]


def cooldown_remaining_ms(allowed_at, received_at, tolerance_ms=0):
    """
    @param allowed_at: when the player's next move is due (None: at once).
    @param received_at: when the server received this move.
    @param tolerance_ms: how early a move may arrive and still pass.
    @return: 0 if a move is allowed, else the whole milliseconds (rounded
        up, at least 1) until it is.
    """
    if allowed_at is None:
        return 0
    remaining = (allowed_at - received_at) * 1000.0 - tolerance_ms
    if remaining <= _SLACK_MS:
        return 0
    return max(1, math.ceil(remaining - _SLACK_MS))


def check_cooldown(allowed_at, received_at, tolerance_ms=0):
    """@raise MoveRateLimited: with C{retry_after_ms} while cooling down."""
    wait = cooldown_remaining_ms(allowed_at, received_at, tolerance_ms)
    if wait:
        raise MoveRateLimited(retry_after_ms=wait)


def next_move_at(allowed_at, received_at, cooldown_ms):
    """
    When the move after one received at C{received_at} is due: a cooldown
    after it, or after the time this one was due if it came early (within
    the tolerance).  So arrival jitter is forgiven, but over any run of moves
    the rate never exceeds one per cooldown.
    """
    start = received_at if allowed_at is None else max(received_at, allowed_at)
    return start + cooldown_ms / 1000.0


def check_target(game_map, x, y, nx, ny):
    """
    Whether a player standing on C{(x, y)} may enter C{(nx, ny)}.

    @raise OutOfBounds: off the map (details: C{current_position}).
    @raise MoveBlocked: onto a blocked tile (details: C{reason},
        C{current_position}, C{collision}).
    """
    if not game_map.in_bounds(nx, ny):
        raise OutOfBounds(current_position=position(game_map.map_id, x, y))
    if game_map.blocked[ny * game_map.width + nx]:
        raise MoveBlocked(reason="collision",
                          current_position=position(game_map.map_id, x, y),
                          collision=True)


def position(map_id, x, y):
    return {"x": x, "y": y, "map_id": map_id}
