"""
The messages server processes send one another on the bus
(L{rpg.interfaces.IMessageBus}), built and read here only.

Each is a MessagePack map (the Valkey bus signs the bytes, see
L{rpg.store.valkey_bus}):

  - on a server's own channel (L{server_channel}): C{{"kind": "kick",
    "player_id", "connection_id"}} (save that player and close that
    connection: a newer login elsewhere takes over) and C{{"kind": "chat",
    "player_id", "event"}} (a direct message for a player playing there);
  - on L{MAPS_CHANNEL}: C{{"kind": "released", "origin", "maps"}}, maps a
    stopping process has just let go of (the others claim them at once
    rather than after C{map_adopt_after_s});
  - on L{GLOBAL_CHANNEL} and L{SYSTEM_CHANNEL}: C{{"origin", "event"}}, a
    chat event for every player, tagged with the sending process (or
    C{"rpg-admin"}) so that no process delivers its own message twice.
"""

import msgpack

GLOBAL_CHANNEL = "chat.global"
SYSTEM_CHANNEL = "chat.system"
MAPS_CHANNEL = "maps"
SYSTEM_NAME = "System"
ADMIN_ORIGIN = "rpg-admin"


def server_channel(server_id):
    """The channel of one server process."""
    return f"server.{server_id}"


def system_event(message, timestamp):
    """An C{event_chat_message} payload from System."""
    return {"username": SYSTEM_NAME, "message": message, "channel": "system",
            "timestamp": timestamp}


def kick_message(player_id, connection_id):
    """For the server holding C{connection_id}: save the player and close it."""
    return msgpack.packb({"kind": "kick", "player_id": player_id,
                          "connection_id": connection_id})


def chat_message(player_id, event):
    """For the server holding C{player_id}: deliver the chat C{event} to it."""
    return msgpack.packb({"kind": "chat", "player_id": player_id, "event": event})


def maps_released_message(origin, map_ids):
    """For every other process: C{origin} no longer serves C{map_ids}; claim them."""
    return msgpack.packb({"kind": "released", "origin": origin, "maps": list(map_ids)})


def broadcast_message(origin, event):
    """A chat C{event} for every process but C{origin}'s (global and system chat)."""
    return msgpack.packb({"origin": origin, "event": event})


def read_message(data):
    """
    @return: the map a bus message holds, or C{None} for bytes that are not
        one MessagePack map (the caller logs it).
    """
    try:
        message = msgpack.unpackb(data, raw=False)
    except Exception:
        return None
    return message if isinstance(message, dict) else None

