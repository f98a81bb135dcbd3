"""
The checks a snapshot passes before any store writes it, shared by the
memory and SQL stores so that both judge a write the same way.

A store calls L{check_ground_items} first, then, for a fenced snapshot (one
that names epochs), reads what the database holds (the map each character is
stored on, the epochs installed for L{maps_to_check}) inside the write
transaction, and hands it to L{check_epochs}.
"""

from rpg.interfaces import Fenced


def check_ground_items(snapshot):
    """
    @raise ValueError: a ground item lies on a map the snapshot does not
        replace, or a fenced snapshot replaces the ground items of every map.
    """
    if snapshot.ground_items is None:
        return
    maps = snapshot.ground_item_maps
    if maps is None:
        if snapshot.epochs:
            raise ValueError(
                "a fenced snapshot must name the maps whose ground items it replaces")
        return
    for item in snapshot.ground_items:
        if item.map_id not in maps:
            raise ValueError(
                f"ground item {item.ground_item_id} lies on map {item.map_id!r},"
                f" which the snapshot does not replace")


def fence_map(character, stored_maps):
    """
    The map whose epoch guards a write of C{character}: the one it is
    stored on, or, for a character not stored yet, the one it is saved on.
    """
    return stored_maps.get(character.player_id, character.map_id)


def maps_to_check(snapshot, stored_maps):
    """
    Every map whose installed epoch a fenced write of C{snapshot} must read.

    @param stored_maps: player id to the map it is stored on, for the
        snapshot's characters that are stored.
    """
    maps = set(snapshot.epochs)
    maps.update(fence_map(c, stored_maps) for c in snapshot.characters)
    if snapshot.ground_items is not None:
        maps.update(snapshot.ground_item_maps or ())
    return sorted(maps)


def check_epochs(snapshot, stored_maps, installed):
    """
    Judge a fenced snapshot against the database.

    @param stored_maps: as for L{maps_to_check}.
    @param installed: map id to installed epoch, for L{maps_to_check}'s maps
        that have one.
    @raise Fenced: a named epoch is not the installed one, or a character
        or a replaced map's ground items belong to a map the snapshot holds
        no epoch of.
    """
    epochs = snapshot.epochs
    for map_id in sorted(epochs):
        if installed.get(map_id) != epochs[map_id]:
            raise Fenced(map_id, epochs[map_id], installed.get(map_id))
    needed = [fence_map(c, stored_maps) for c in snapshot.characters]
    if snapshot.ground_items is not None:
        needed.extend(snapshot.ground_item_maps)
    for map_id in needed:
        if map_id not in epochs:
            raise Fenced(map_id, None, installed.get(map_id))
