"""
The registry of client message types: every type a client may send, each
with the function that answers it.  Adding a command is one registration.

A handler runs in one of two places:

  - C{on_tick=True} (commands that change the world): queued, then run by
    the tick as C{handler(world, client, payload, now)}, where C{world} is the
    L{rpg.world.game.GameWorld}, C{client} the sender (an
    L{rpg.interfaces.IClient} with its C{player_id}) and C{now} the tick's
    time;
  - C{on_tick=False} (what needs no tick: chat, map chunks): run at once as
    C{handler(hub, client, payload)}, where C{hub} is the
    L{rpg.services.hub.Hub}; it may return a Deferred.

Either returns the C{resp_success} payload (a dict), or raises a
L{rpg.errors.GameError} whose class L{rpg.protocol.errors.ERROR_CODES}
maps to its wire code; any other exception is logged and answered
C{INTERNAL_SERVER_ERROR}.  C{cmd_authenticate} is registered without a
handler: the session answers it.

The server's registry is L{rpg.services.commands.COMMANDS}; a test builds on
a L{MessageTypes.copy} of it (see ``docs/extending.md``).
"""


class MessageTypes:
    """
    Client message types and their handlers.

    @ivar handlers: message type -> handler (C{None} for C{cmd_authenticate}).
    @ivar at_once: the types answered at once rather than by the tick.
    @ivar by_arrival: tick commands whose handler also gets C{received_at},
        the time the server received the command (the move cooldown runs on
        arrival times).
    @ivar kinds: message type -> the kind of message it is for the
        connection's message budget (C{"move"}, C{"chat"}, C{"item"},
        C{"combat"}, C{"query"}, C{"chunks"}: L{rpg.budget.BUCKETS}); a type
        with none is charged to the general bucket only.
    """

    def __init__(self):
        self.handlers = {}
        self.at_once = set()
        self.by_arrival = set()
        self.kinds = {}

    def register(self, message_type, handler, *, on_tick=True, by_arrival=False, kind=None):
        """
        Serve C{message_type} with C{handler} (see the module's docstring).

        @raise ValueError: the type is registered already, or is not named
            C{cmd_*} or C{query_*} as protocol 2.0 names what clients send.
        """
        if message_type in self.handlers:
            raise ValueError(f"{message_type!r} is registered already")
        if not message_type.startswith(("cmd_", "query_")):
            raise ValueError(f"{message_type!r}: client types are named cmd_* or query_*")
        self.handlers[message_type] = handler
        if not on_tick:
            self.at_once.add(message_type)
        if by_arrival:
            self.by_arrival.add(message_type)
        if kind is not None:
            self.kinds[message_type] = kind
        return handler

    def command(self, message_type, *, on_tick=True, by_arrival=False, kind=None):
        """L{register} as a decorator: C{@commands.command("cmd_emote")}."""
        return lambda handler: self.register(message_type, handler, on_tick=on_tick,
                                             by_arrival=by_arrival, kind=kind)

    def __contains__(self, message_type):
        return message_type in self.handlers

    def __iter__(self):
        return iter(sorted(self.handlers))

    def copy(self):
        """A registry with the same types, to add to without changing this one."""
        other = MessageTypes()
        other.handlers = dict(self.handlers)
        other.at_once = set(self.at_once)
        other.by_arrival = set(self.by_arrival)
        other.kinds = dict(self.kinds)
        return other
