"""
Every client message type the server answers, registered in one place:
L{COMMANDS}.  A new command is one more registration here (and its error
codes in L{rpg.protocol.errors} and ``docs/protocol.md``); the registry's
rules are in L{rpg.protocol.messages}.

Commands run in the tick as C{(world, client, payload, now)}, with the
L{rpg.world.game.GameWorld}; chat and chunk queries at once as
C{(hub, client, payload)}.  Those registered C{by_arrival} also get
C{received_at}, the time the server received the command.
"""

from twisted.internet import defer

from rpg.protocol.messages import MessageTypes

COMMANDS = MessageTypes()
command = COMMANDS.command

# The session answers it; registered so that it is a known type.
COMMANDS.register("cmd_authenticate", None, on_tick=False)


# -- answered at once, outside the tick
@command("query_chunks", on_tick=False)
def query_chunks(hub, client, payload):
    return hub.encoded_chunks(payload)


@command("cmd_chat_send", on_tick=False)
def chat_send(hub, client, payload):
    return defer.ensureDeferred(hub.chat.handle(client, payload))


# -- run by the tick
@command("cmd_move", by_arrival=True)
def move(world, client, payload, now, received_at=None):
    # The cooldown runs on arrival times (clarifications, "Movement").
    return world.move(client.player_id, payload.get("direction"), now, received_at)


@command("query_inventory")
def query_inventory(world, client, payload, now):
    return world.query_inventory(client.player_id)


@command("query_equipment")
def query_equipment(world, client, payload, now):
    return world.query_equipment(client.player_id)


@command("cmd_inventory_use")
def inventory_use(world, client, payload, now):
    return world.use_item(client.player_id, payload.get("slot"), now)


@command("cmd_equipment_equip")
def equipment_equip(world, client, payload, now):
    return world.equip(client.player_id, payload.get("inventory_slot"),
                       payload.get("equipment_slot"))


@command("cmd_equipment_unequip")
def equipment_unequip(world, client, payload, now):
    return world.unequip(client.player_id, payload.get("equipment_slot"))


@command("cmd_inventory_drop")
def inventory_drop(world, client, payload, now):
    return world.drop_item(client.player_id, payload.get("slot"), payload.get("quantity"), now)


@command("cmd_pickup_item")
def pickup_item(world, client, payload, now):
    return world.pickup_item(client.player_id, payload.get("ground_item_id"), now)


@command("cmd_attack")
def attack(world, client, payload, now):
    return world.fights.attack(client.player_id, payload.get("target_id"),
                               payload.get("target_type"), now)


@command("cmd_set_auto_retaliate")
def set_auto_retaliate(world, client, payload, now):
    return world.fights.set_auto_retaliate(client.player_id, payload.get("enabled"))
