"""
Reading the TOML content files, C{items.toml} and C{npcs.toml}, into the
definitions the rules use (L{rpg.world.items}, L{rpg.world.npc_definitions}).
"""

import tomllib

from rpg.world.items import ContentError, one_line, parse_items
from rpg.world.npc_definitions import NpcContentError, parse_npcs


def load_items(path):
    """
    Load an item content file.

    @return: an L{rpg.world.items.ItemCatalog}.
    @raise ContentError: with one line naming the file and the first fault.
    """
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(one_line(f"{path}: not valid TOML: {exc}")) from None
    return parse_items(data, path)


def load_npcs(path, known_item_keys=None):
    """
    Load the NPC definitions in the TOML file at C{path}.

    @param known_item_keys: when given, every loot item must be one of these.
    @return: a dict of NPC key -> L{rpg.world.npc_definitions.NpcDef}.
    @raise NpcContentError: when the file is unreadable, not TOML, or holds
        faults (all of them are listed, one line each).
    """
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise NpcContentError([f"{path}: cannot read: {exc.strerror}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise NpcContentError([f"{path}: not valid TOML: {exc}"]) from None
    return parse_npcs(data, str(path), known_item_keys)
