"""
Everything the world is made of, loaded at start-up: maps, items, NPCs.

Content files (``items.toml``, ``npcs.toml``) are read from the maps
directory; a maps directory without them uses the ones that ship with rpg.
"""

from dataclasses import dataclass
from pathlib import Path

from rpg.world.items import ContentError, load_items
from rpg.world.maps import MapError, load_maps
from rpg.world.npc_definitions import NpcContentError, load_npcs


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


def load_content(maps_dir, fallback_dir):
    try:
        maps = load_maps(maps_dir)
        items = load_items(_content_file("items.toml", maps_dir, fallback_dir))
        known = {definition.key for definition in items.all()}
        npcs = load_npcs(_content_file("npcs.toml", maps_dir, fallback_dir), known)
    except (MapError, ContentError, NpcContentError) as e:
        raise ContentFaultError(str(e)) from None
    for game_map in maps.values():
        for spawn in game_map.npc_spawns:
            if spawn.npc not in npcs:
                raise ContentFaultError(
                    f"{Path(maps_dir) / (game_map.map_id + '.tmx')}: npc_spawn at "
                    f"{spawn.x},{spawn.y} names unknown NPC {spawn.npc!r}")
    return Content(maps, items, npcs)
