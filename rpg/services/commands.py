"""
Every client message type the server answers, registered in one place:
L{COMMANDS}.  A new command is one more registration here (and its error
codes in L{rpg.protocol.errors} and ``docs/protocol.md``); the registry's
rules are in L{rpg.protocol.messages}.

Commands run in the tick as C{(world, client, payload, now)}, with the
L{rpg.world.game.GameWorld}: the game's own are the façade's methods of the
same name, registered here; chat and chunk queries run at once as
C{(hub, client, payload)}.  Those registered C{by_arrival} also get
C{received_at}, the time the server received the command.
"""

from twisted.internet import defer

from rpg.protocol.messages import MessageTypes
from rpg.world.game import GameWorld

COMMANDS = MessageTypes()
command = COMMANDS.command

# The session answers it; registered so that it is a known type.
COMMANDS.register("cmd_authenticate", None, on_tick=False)


# -- answered at once, outside the tick
@command("query_chunks", on_tick=False, kind="chunks")
def query_chunks(hub, client, payload):
    return hub.encoded_chunks(payload)


@command("cmd_chat_send", on_tick=False, kind="chat")
def chat_send(hub, client, payload):
    return defer.ensureDeferred(hub.chat.handle(client, payload))


# -- run by the tick: the game's own commands, methods of its façade
COMMANDS.register("cmd_move", GameWorld.cmd_move, by_arrival=True, kind="move")
COMMANDS.register("query_inventory", GameWorld.query_inventory, kind="query")
COMMANDS.register("query_equipment", GameWorld.query_equipment, kind="query")
COMMANDS.register("cmd_inventory_use", GameWorld.cmd_inventory_use, kind="item")
COMMANDS.register("cmd_equipment_equip", GameWorld.cmd_equipment_equip, kind="item")
COMMANDS.register("cmd_equipment_unequip", GameWorld.cmd_equipment_unequip, kind="item")
COMMANDS.register("cmd_inventory_drop", GameWorld.cmd_inventory_drop, kind="item")
COMMANDS.register("cmd_pickup_item", GameWorld.cmd_pickup_item, kind="item")
COMMANDS.register("cmd_attack", GameWorld.cmd_attack, kind="combat")
COMMANDS.register("cmd_set_auto_retaliate", GameWorld.cmd_set_auto_retaliate, kind="combat")
