"""
The world's commands: one function per message type, run inside the tick.

Each takes C{(service, client, payload, now)} and returns the
C{resp_success} payload, or raises a L{rpg.world.errors.GameError}.
"""


def move(service, client, payload, now):
    return service.world.move(client.player_id, payload.get("direction"), now)


HANDLERS = {
    "cmd_move": move,
}
