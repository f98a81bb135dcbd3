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


def cooldown_remaining_ms(last_move_at, now, cooldown_ms):
    """
    @return: 0 if a move is allowed at C{now}, else the whole milliseconds
        (rounded up, at least 1) until it is.
    """
    if last_move_at is None:
        return 0
    remaining = cooldown_ms - (now - last_move_at) * 1000.0
    if remaining <= _SLACK_MS:
        return 0
    return max(1, math.ceil(remaining - _SLACK_MS))


def check_cooldown(last_move_at, now, cooldown_ms):
    """@raise MoveRateLimited: with C{retry_after_ms} while cooling down."""
    wait = cooldown_remaining_ms(last_move_at, now, cooldown_ms)
    if wait:
        raise MoveRateLimited(retry_after_ms=wait)


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
