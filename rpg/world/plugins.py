"""
Where game rules plug in: named functions that content files refer to by
name.

  - L{ITEM_EFFECTS}: what using a consumable item does.  An item whose
    definition says C{effect = "NAME"} is consumed by C{cmd_inventory_use}
    and runs C{ITEM_EFFECTS["NAME"](world, player, item, now)}: C{world} is
    the L{rpg.world.game.GameWorld}, C{player} the user's
    L{rpg.world.entities.PlayerEntity}, C{item} its
    L{rpg.world.items.ItemDef}.  It returns the reply's C{effect} string, or
    raises a L{rpg.world.errors.GameError} to refuse (nothing is consumed).
    Food (C{heal = N}) is the built-in effect and needs no entry.
  - L{NPC_BEHAVIOURS}: how an idle NPC moves.  An NPC definition's
    C{behaviour = "NAME"} (default C{"wander"}) makes each idle step
    C{NPC_BEHAVIOURS["NAME"](npc, now, rng, is_walkable)}: C{npc} is its
    L{rpg.world.npcs.NpcState}, C{rng} the world's one C{random.Random},
    C{is_walkable(x, y)} the map.  It is called when C{npc.next_move_at} is
    due, sets the next one, may move the NPC one tile with
    L{rpg.world.npcs.step_npc_by}, and returns whether it moved.  Fighting,
    leashing, returning and respawning stay the same for every behaviour.

A game passes its own registries to L{rpg.world.game.GameWorld} (and
L{rpg.testing.GameHarness}): a L{Registry.copy} of these with its additions.
Names are checked when the world is built: content naming an unknown effect
or behaviour stops start-up.
"""

from rpg.world import npcs


class Registry:
    """Functions by name, for content files to refer to."""

    def __init__(self, kind, functions=None):
        self.kind = kind
        self._functions = dict(functions or {})

    def register(self, name, function=None):
        """
        Register C{function} as C{name}; without C{function}, a decorator.

        @raise ValueError: C{name} is taken.
        """
        if function is None:
            return lambda f: self.register(name, f)
        if name in self._functions:
            raise ValueError(f"{self.kind} {name!r} is registered already")
        self._functions[name] = function
        return function

    def __getitem__(self, name):
        return self._functions[name]

    def __contains__(self, name):
        return name in self._functions

    def __iter__(self):
        return iter(sorted(self._functions))

    def copy(self):
        """A registry with the same entries, to add to without changing this one."""
        return Registry(self.kind, self._functions)

    def check(self, name, where):
        """@raise ValueError: naming C{where}, when C{name} is not registered."""
        if name not in self._functions:
            raise ValueError(f"{where}: unknown {self.kind} {name!r} "
                             f"(known: {', '.join(self) or 'none'})")


ITEM_EFFECTS = Registry("item effect")
NPC_BEHAVIOURS = Registry("NPC behaviour", {"wander": npcs.wander_step})
