"""
The things that stand on a map and that players see: players and NPCs.

An entity is plain data.  Its public fields (C{FIELDS}) are what goes on the
wire in C{event_game_update}; they are changed only through
L{rpg.world.engine.Engine.set_field} (or C{place}), which records the change so
that observers get it as a diff.  Values are replaced, never mutated in place
(a new C{visual_state} dict, not an edited one), because the dicts sent to
clients share them.
"""

import copy

from rpg.models import CharacterState
from rpg.world.items import EQUIPMENT_SLOTS

FACINGS = ("north", "south", "east", "west")
ANIMATION_STATES = ("idle", "walking", "attacking", "dead")
NPC_COMBAT_STATES = ("idle", "in_combat", "dead")


def copy_stacks(stacks):
    """A copy of a slot -> L{rpg.models.ItemStack} mapping, stacks included."""
    return {slot: copy.copy(stack) for slot, stack in stacks.items()}


def empty_visual(equipment):
    """
    The default C{visual_for}: no sprites at all.

    @param equipment: slot name -> L{rpg.models.ItemStack} (ignored).
    @return: C{{"equipment": {slot: None for each of the 11 slots}}}.
    """
    return {"equipment": dict.fromkeys(EQUIPMENT_SLOTS)}


class Entity:
    """
    What every visible thing has.

    C{map_id} and C{chunk_key} are where the entity stands (not sent: the
    update carries the map once); C{changed} orders the names of the public
    fields changed since the last C{compute_updates}.
    """

    type = None
    FIELDS = ()
    # Fields whose change must reach the database (players only).
    PERSISTED = frozenset()
    # Whether the entity watches the world (gets event_game_update).
    is_viewer = False

    def __init__(self, entity_id, map_id, x, y, facing_direction="south",
                 current_hp=1, max_hp=1):
        self.id = entity_id
        self.map_id = map_id
        self.x = x
        self.y = y
        self.facing_direction = facing_direction
        self.current_hp = current_hp
        self.max_hp = max_hp
        self.chunk_key = None  # set while the entity is in a world
        self.changed = {}

    @property
    def removal_key(self):
        """How the entity is named in C{removed_entities}."""
        return self.id

    def full(self):
        """Every public field, as sent when the entity enters a view."""
        return {name: getattr(self, name) for name in self.FIELDS}

    def delta(self):
        """C{id} and the fields changed since the last diff."""
        delta = {"id": self.id}
        for name in self.changed:
            delta[name] = getattr(self, name)
        return delta

    def __repr__(self):
        return f"<{type(self).__name__} {self.id} {self.map_id}:{self.x},{self.y}>"


class PlayerEntity(Entity):
    """
    A player in the world: its public fields, its saved state (skills,
    inventory, equipment, live and owned by the world) and what it knows.

    C{known} is the frozenset of entity ids the player's client has been told
    about (shared between players with the same view), C{view_key} the chunk
    from which it was computed; both are C{None} until the first
    L{rpg.world.engine.Engine.initial_view}.
    """

    type = "player"
    FIELDS = ("id", "type", "player_id", "username", "x", "y", "facing_direction",
              "animation_state", "current_hp", "max_hp", "visual_state")
    PERSISTED = frozenset(("x", "y", "facing_direction", "current_hp"))
    is_viewer = True

    def __init__(self, player_id, username, map_id, x, y, *, facing_direction="south",
                 current_hp=10, max_hp=10, visual_state=None, skills=None,
                 inventory=None, equipment=None):
        super().__init__(f"player_{player_id}", map_id, x, y, facing_direction,
                         current_hp, max_hp)
        self.player_id = player_id
        self.username = username
        self.animation_state = "idle"
        self.visual_state = visual_state or empty_visual(equipment)
        self.skills = skills if skills is not None else {}
        self.inventory = inventory if inventory is not None else {}
        self.equipment = equipment if equipment is not None else {}
        self.last_move_at = None  # the tick time of the last move
        self.next_move_at = None  # when the next move is due (arrival times)
        self.combat_target = None
        self.placed_at_spawn = False
        self.known = None
        self.view_key = None

    @property
    def removal_key(self):
        return self.player_id

    def character_state(self):
        """A copy of what is saved of the player, independent of it."""
        return CharacterState(
            player_id=self.player_id, username=self.username, map_id=self.map_id,
            x=self.x, y=self.y, facing=self.facing_direction, hp=self.current_hp,
            skills=dict(self.skills), inventory=copy_stacks(self.inventory),
            equipment=copy_stacks(self.equipment))


class NpcEntity(Entity):
    """
    A non-player character.  Behaviour (wandering, combat) lives elsewhere
    and changes these fields through the world.
    """

    type = "npc"
    FIELDS = ("id", "type", "npc_type", "name", "x", "y", "facing_direction",
              "current_hp", "max_hp", "combat_state")

    def __init__(self, number, npc_type, name, map_id, x, y, *, max_hp,
                 current_hp=None, facing_direction="south"):
        super().__init__(f"npc_{number}", map_id, x, y, facing_direction,
                         max_hp if current_hp is None else current_hp, max_hp)
        self.npc_type = npc_type
        self.name = name
        self.combat_state = "idle"
