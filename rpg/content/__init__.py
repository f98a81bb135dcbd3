"""
Everything the world is made of, loaded at start-up: maps, items, NPCs.

Content files (``items.toml``, ``npcs.toml``) are read from the maps
directory; a maps directory without them uses the ones that ship with rpg.
This package does all the reading (L{rpg.content.tiled} the Tiled maps,
L{rpg.content.tables} the TOML files); the rules in L{rpg.world} only get
the data, and never open a file.
"""

from dataclasses import dataclass
from pathlib import Path

from rpg.content.tables import load_items, load_npcs
from rpg.content.tiled import load_map, load_maps
from rpg.world.items import ContentError
from rpg.world.maps import MapError
from rpg.world.npc_definitions import NpcContentError
from rpg.world.plugins import ITEM_EFFECTS, NPC_BEHAVIOURS

__all__ = ["Content", "ContentFaultError", "load_content", "load_items", "load_map",
           "load_maps", "load_npcs"]


class ContentFaultError(Exception):
    """One line naming the file and the fault."""


@dataclass
class Content:
    maps: dict
    items: object
    npcs: dict


def _content_file(name, maps_dir, fallback_dir):
    path = Path(maps_dir) / name
    if path.exists():
        return path
    return Path(fallback_dir) / name


def load_content(maps_dir, fallback_dir, effects=ITEM_EFFECTS, behaviours=NPC_BEHAVIOURS):
    """
    @param effects, behaviours: the registries that the content's item
        C{effect} and NPC C{behaviour} names must be in (L{rpg.world.plugins}).
    @raise ContentFaultError: naming the file and the first fault.
    """
    items_file = _content_file("items.toml", maps_dir, fallback_dir)
    npcs_file = _content_file("npcs.toml", maps_dir, fallback_dir)
    try:
        maps = load_maps(maps_dir)
        items = load_items(items_file)
        known = {definition.key for definition in items.all()}
        npcs = load_npcs(npcs_file, known)
        for item in items:
            if item.effect is not None:
                effects.check(item.effect, f"{items_file}: item {item.key!r}")
        for key in sorted(npcs):
            behaviours.check(npcs[key].behaviour, f"{npcs_file}: NPC {key!r}")
    except (MapError, ContentError, NpcContentError, ValueError) as e:
        raise ContentFaultError(str(e)) from None
    for game_map in maps.values():
        for spawn in game_map.npc_spawns:
            if spawn.npc not in npcs:
                raise ContentFaultError(
                    f"{Path(maps_dir) / (game_map.map_id + '.tmx')}: npc_spawn at "
                    f"{spawn.x},{spawn.y} names unknown NPC {spawn.npc!r}")
    return Content(maps, items, npcs)
