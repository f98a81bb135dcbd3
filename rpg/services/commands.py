"""
The world's commands: one function per message type, run inside the tick.

Each takes C{(service, client, payload, now)} and returns the
C{resp_success} payload, or raises a L{rpg.world.errors.GameError}.  Those
named in L{TIMED_BY_ARRIVAL} also get C{received_at}, the time the server
received the command.
"""


def move(service, client, payload, now, received_at=None):
    # The cooldown runs on arrival times (clarifications, "Movement").
    return service.world.move(client.player_id, payload.get("direction"), now, received_at)


def query_inventory(service, client, payload, now):
    return service.world.query_inventory(client.player_id)


def query_equipment(service, client, payload, now):
    return service.world.query_equipment(client.player_id)


def inventory_use(service, client, payload, now):
    return service.world.use_item(client.player_id, payload.get("slot"))


def equipment_equip(service, client, payload, now):
    return service.world.equip(client.player_id, payload.get("inventory_slot"),
                               payload.get("equipment_slot"))


def equipment_unequip(service, client, payload, now):
    return service.world.unequip(client.player_id, payload.get("equipment_slot"))


def inventory_drop(service, client, payload, now):
    return service.world.drop_item(client.player_id, payload.get("slot"),
                                   payload.get("quantity"), now)


def pickup_item(service, client, payload, now):
    return service.world.pickup_item(client.player_id, payload.get("ground_item_id"), now)


def attack(service, client, payload, now):
    return service.world.fights.attack(client.player_id, payload.get("target_id"),
                                       payload.get("target_type"), now)


def set_auto_retaliate(service, client, payload, now):
    return service.world.fights.set_auto_retaliate(client.player_id, payload.get("enabled"))


TIMED_BY_ARRIVAL = frozenset({"cmd_move"})

HANDLERS = {
    "cmd_move": move,
    "query_inventory": query_inventory,
    "query_equipment": query_equipment,
    "cmd_inventory_use": inventory_use,
    "cmd_equipment_equip": equipment_equip,
    "cmd_equipment_unequip": equipment_unequip,
    "cmd_inventory_drop": inventory_drop,
    "cmd_pickup_item": pickup_item,
    "cmd_attack": attack,
    "cmd_set_auto_retaliate": set_auto_retaliate,
}
