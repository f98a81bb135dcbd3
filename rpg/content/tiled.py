"""
Tiled maps: loading TMX files into plain, immutable map data
(L{rpg.world.maps.GameMap}).

A plain C{xml.etree} reader for orthogonal, finite maps: tile layers in CSV,
XML or base64 (uncompressed, zlib, gzip), embedded and external tilesets,
custom properties, object layers, and layer groups (flattened).  The rules it
applies are in C{docs/maps.md}.
"""

import base64
import binascii
import gzip
import math
import zlib
from pathlib import Path
from xml.etree import ElementTree

from rpg.world.maps import GameMap, MapError, NpcSpawn, Portal, Tileset, portal_fault

# Tiled keeps the flip flags (horizontal, vertical, diagonal) in the top bits.
GID_MASK = 0x1FFFFFFF


class _Fault(Exception):
    """A fault inside one file; L{load_map} prefixes the file name."""


def load_map(path):
    """
    Load one TMX file; its map id is the file stem.

    @return: a L{GameMap}.
    @raise MapError: with one line naming the file and the fault.
    """
    path = Path(path)
    try:
        return _read_map(path)
    except _Fault as fault:
        raise MapError(f"{path}: {fault}".replace("\n", " ")) from None


def load_maps(directory):
    """
    Load every C{*.tmx} in C{directory} (not recursively), keyed by map id
    (the file stem).

    @return: a dict of map id to L{GameMap}.
    @raise MapError: on the first broken map (a portal that leads nowhere
        included), when there is none, or when the directory does not exist.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise MapError(f"{directory}: not a directory of maps")
    paths = sorted(p for p in directory.glob("*.tmx") if p.is_file())
    if not paths:
        raise MapError(f"{directory}: no *.tmx maps found")
    maps = {p.stem: load_map(p) for p in paths}
    for path in paths:
        fault = portal_fault(maps[path.stem], maps)
        if fault is not None:
            raise MapError(f"{path}: {fault}")
    return maps


def _parse_xml(path, what):
    try:
        return ElementTree.parse(path).getroot()
    except FileNotFoundError:
        raise _Fault(f"{what} not found") from None
    except OSError as exc:
        raise _Fault(f"cannot read {what}: {exc.strerror}") from None
    except ElementTree.ParseError as exc:
        raise _Fault(f"{what} is not valid XML: {exc}") from None


def _attr_int(element, name, default=None, minimum=None):
    value = element.get(name)
    if value is None:
        if default is None:
            raise _Fault(f"<{element.tag}> lacks the attribute {name}")
        return default
    try:
        number = int(value)
    except ValueError:
        raise _Fault(f"<{element.tag}> attribute {name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise _Fault(f"<{element.tag}> attribute {name}={number} is below {minimum}")
    return number


def _attr_pixels(element, name):
    value = element.get(name, "0")
    try:
        return int(float(value))
    except ValueError:
        raise _Fault(f"<{element.tag}> attribute {name}={value!r} is not a number") from None


def _properties(element):
    """The C{<properties>} of an element as a dict of typed values."""
    result = {}
    props = element.find("properties")
    if props is None:
        return result
    for prop in props.findall("property"):
        name = prop.get("name")
        if name is None:
            raise _Fault("<property> lacks the attribute name")
        kind = prop.get("type", "string")
        value = prop.get("value")
        if value is None:
            value = prop.text or ""
        if kind == "bool":
            if value not in ("true", "false"):
                raise _Fault(f"bool property {name} has the value {value!r}")
            result[name] = value == "true"
        elif kind in ("int", "object"):
            try:
                result[name] = int(value)
            except ValueError:
                raise _Fault(f"int property {name} has the value {value!r}") from None
        elif kind == "float":
            try:
                result[name] = float(value)
            except ValueError:
                raise _Fault(f"float property {name} has the value {value!r}") from None
        elif kind == "class":
            result[name] = _properties(prop)
        else:  # string, color, file
            result[name] = value
    return result


def _read_map(path):
    root = _parse_xml(path, "map file")
    if root.tag != "map":
        raise _Fault(f"root element is <{root.tag}>, not <map>")
    orientation = root.get("orientation")
    if orientation != "orthogonal":
        raise _Fault(f"orientation {orientation!r} is not supported; only orthogonal maps are")
    if root.get("infinite", "0") != "0":
        raise _Fault("infinite maps are not supported; uncheck 'Infinite' in Tiled's map properties")
    width = _attr_int(root, "width", minimum=1)
    height = _attr_int(root, "height", minimum=1)
    tile_width = _attr_int(root, "tilewidth", minimum=1)
    tile_height = _attr_int(root, "tileheight", minimum=1)
    properties = _properties(root)
    pvp = properties.get("pvp", False)
    if not isinstance(pvp, bool):
        raise _Fault("map property pvp must be of type bool")

    read = sorted((_read_tileset(path, element) for element in root.findall("tileset")),
                  key=lambda pair: pair[0].firstgid)
    tilesets = [tileset for tileset, _ in read]
    unwalkable = {tileset.firstgid + local for tileset, blocking in read for local in blocking}

    layers, is_collision, objects = [], [], []
    _walk(root, width, height, layers, is_collision, objects)
    if not layers:
        raise _Fault("the map has no tile layer")
    for name, rows in layers:
        _check_gids(name, rows, tilesets)

    blocked = bytearray(width * height)
    for (name, rows), blocks_all in zip(layers, is_collision):
        for y, row in enumerate(rows):
            base = y * width
            for x, gid in enumerate(row):
                if gid and (blocks_all or gid in unwalkable):
                    blocked[base + x] = 1

    game_map = GameMap(
        map_id=path.stem,
        width=width,
        height=height,
        tile_width=tile_width,
        tile_height=tile_height,
        layers=layers,
        blocked=blocked,
        player_spawn=None,
        pvp=pvp,
        properties=properties,
        tilesets=tilesets,
    )
    _place_objects(game_map, objects)
    return game_map


def _walk(parent, width, height, layers, is_collision, objects):
    """Collect tile layers and objects in document order, entering groups."""
    for element in parent:
        if element.tag == "layer":
            name = element.get("name", "")
            props = _properties(element)
            flag = props.get("collision", False)
            if not isinstance(flag, bool):
                raise _Fault(f"layer {name!r}: property collision must be of type bool")
            is_collision.append(flag or name.lower() == "collision")
            layers.append((name, _read_layer(element, name, width, height)))
        elif element.tag == "objectgroup":
            objects.extend(element.findall("object"))
        elif element.tag == "group":
            _walk(element, width, height, layers, is_collision, objects)


def _read_tileset(map_path, element):
    """A (L{Tileset}, local ids with C{walkable = false}) pair."""
    firstgid = _attr_int(element, "firstgid", minimum=1)
    source = element.get("source")
    if source is not None:
        what = f"tileset {source}"
        try:
            element = _parse_xml(map_path.parent / source, what)
        except _Fault as fault:
            raise _Fault(f"external {fault}") from None
        if element.tag != "tileset":
            raise _Fault(f"{what}: root element is <{element.tag}>, not <tileset>")
    else:
        what = f"tileset {element.get('name', '')!r}"
    try:
        blocking = set()
        for tile in element.findall("tile"):
            walkable = _properties(tile).get("walkable", True)
            if not isinstance(walkable, bool):
                raise _Fault("property walkable must be of type bool")
            if not walkable:
                blocking.add(_attr_int(tile, "id", minimum=0))
        image = element.find("image")
        tileset = Tileset(
            firstgid=firstgid,
            name=element.get("name", ""),
            tile_count=_attr_int(element, "tilecount", minimum=0),
            columns=_attr_int(element, "columns", default=0),
            image="" if image is None else image.get("source", ""),
        )
    except _Fault as fault:
        raise _Fault(f"{what}: {fault}") from None
    return tileset, blocking


def _read_layer(element, name, width, height):
    """The rows of one tile layer, flip flags masked off."""
    if (_attr_int(element, "width", width), _attr_int(element, "height", height)) != (width, height):
        raise _Fault(f"layer {name!r} is not {width}x{height} like the map")
    data = element.find("data")
    if data is None:
        raise _Fault(f"layer {name!r} has no <data>")
    if data.find("chunk") is not None:
        raise _Fault(f"layer {name!r} holds chunks, which only infinite maps use")
    encoding = data.get("encoding")
    compression = data.get("compression")
    if encoding != "base64" and compression is not None:
        raise _Fault(f"layer {name!r}: compression needs base64 encoding")
    if encoding is None:
        gids = [_attr_int(tile, "gid", 0) for tile in data.findall("tile")]
    elif encoding == "csv":
        text = (data.text or "").replace("\n", "").strip().rstrip(",")
        try:
            gids = [int(cell) for cell in text.split(",")] if text else []
        except ValueError:
            raise _Fault(f"layer {name!r}: CSV data holds a value that is not an integer") from None
    elif encoding == "base64":
        gids = _decode_base64(data.text or "", compression, name)
    else:
        raise _Fault(f"layer {name!r}: unknown encoding {encoding!r}")
    if len(gids) != width * height:
        raise _Fault(f"layer {name!r} has {len(gids)} tiles, expected {width * height}")
    if any(gid < 0 or gid > 0xFFFFFFFF for gid in gids):
        raise _Fault(f"layer {name!r} holds a gid outside 0..2^32-1")
    return tuple(
        tuple(gid & GID_MASK for gid in gids[y * width:(y + 1) * width]) for y in range(height)
    )


def _decode_base64(text, compression, name):
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _Fault(f"layer {name!r}: data is not valid base64") from None
    try:
        if compression == "zlib":
            raw = zlib.decompress(raw)
        elif compression == "gzip":
            raw = gzip.decompress(raw)
        elif compression is not None:
            raise _Fault(f"layer {name!r}: unsupported compression {compression!r}")
    except (zlib.error, OSError, EOFError):
        raise _Fault(f"layer {name!r}: data is not valid {compression}") from None
    if len(raw) % 4:
        raise _Fault(f"layer {name!r}: base64 data is {len(raw)} bytes, not a multiple of 4")
    return [int.from_bytes(raw[i:i + 4], "little") for i in range(0, len(raw), 4)]


def _check_gids(name, rows, tilesets):
    """Every non-empty gid must fall inside a tileset."""
    for gid in {gid for row in rows for gid in row if gid}:
        owner = None
        for tileset in tilesets:
            if tileset.firstgid <= gid:
                owner = tileset
        if owner is None or gid >= owner.firstgid + owner.tile_count:
            raise _Fault(f"layer {name!r}: gid {gid} belongs to no tileset")


def _object_type(element):
    return element.get("type") or element.get("class") or ""


def _place_objects(game_map, objects):
    """Read the player spawn, the NPC spawns and the portals from the map's objects."""
    spawn = None
    for element in objects:
        kind = _object_type(element)
        if kind == "portal":
            _place_portal(game_map, element)
            continue
        if kind not in ("player_spawn", "npc_spawn"):
            continue
        what = f"{kind} object {element.get('id', '?')}"
        x = _attr_pixels(element, "x") // game_map.tile_width
        y = _attr_pixels(element, "y") // game_map.tile_height
        if game_map.is_blocked(x, y):
            where = "on a blocked tile" if game_map.in_bounds(x, y) else "outside the map"
            raise _Fault(f"{what} at tile ({x}, {y}) is {where}")
        if kind == "player_spawn":
            spawn = spawn or (x, y)
            continue
        props = _properties(element)
        npc = props.get("npc")
        if not isinstance(npc, str) or not npc:
            raise _Fault(f"{what} needs a non-empty string property npc")
        radius = props.get("wander_radius", 0)
        if isinstance(radius, bool) or not isinstance(radius, int) or radius < 0:
            raise _Fault(f"{what}: wander_radius must be a non-negative int property")
        game_map.npc_spawns.append(NpcSpawn(npc=npc, x=x, y=y, wander_radius=radius))
    game_map.has_player_spawn = spawn is not None
    game_map.player_spawn = spawn or _central_walkable(game_map)


def _portal_label(element):
    name = element.get("name")
    label = f"portal object {element.get('id', '?')}"
    return f"{label} {name!r}" if name else label


def _place_portal(game_map, element):
    """
    Read one portal object: its properties, and the tiles it covers (a
    shape with a size: every tile its box touches; a point: its one tile).
    Its target is checked once every map is loaded (L{portal_fault}).
    """
    label = _portal_label(element)
    try:
        props = _properties(element)
    except _Fault as fault:
        raise _Fault(f"{label}: {fault}") from None
    target_map = props.get("target_map")
    if not isinstance(target_map, str) or not target_map:
        raise _Fault(f"{label} needs a non-empty string property target_map")
    for name in ("target_x", "target_y"):
        value = props.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Fault(f"{label} needs an int property {name}")
    portal = Portal(label, target_map, props["target_x"], props["target_y"])
    left, top = _attr_number(element, "x"), _attr_number(element, "y")
    width, height = _attr_number(element, "width"), _attr_number(element, "height")
    tw, th = game_map.tile_width, game_map.tile_height
    x0, y0 = int(left // tw), int(top // th)
    x1 = max(x0, math.ceil((left + width) / tw) - 1) if width > 0 else x0
    y1 = max(y0, math.ceil((top + height) / th) - 1) if height > 0 else y0
    tiles = [(x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
    for x, y in tiles:
        if not game_map.in_bounds(x, y):
            raise _Fault(f"{label} covers tile ({x}, {y}), outside the map")
        other = game_map.portals.get((x, y))
        if other is not None:
            raise _Fault(f"{label} overlaps {other.label} at tile ({x}, {y})")
    if all(game_map.is_blocked(x, y) for x, y in tiles):
        raise _Fault(f"{label} covers only blocked tiles: no one can step on it")
    for tile in tiles:
        game_map.portals[tile] = portal


def _attr_number(element, name):
    value = element.get(name, "0")
    try:
        return float(value)
    except ValueError:
        raise _Fault(f"<{element.tag}> attribute {name}={value!r} is not a number") from None


def _central_walkable(game_map):
    """
    The first walkable tile on square rings around the centre, each ring
    scanned row by row: the fallback when a map has no player_spawn.
    """
    cx, cy = game_map.width // 2, game_map.height // 2
    for ring in range(max(game_map.width, game_map.height) + 1):
        for y in range(cy - ring, cy + ring + 1):
            step = 1 if y in (cy - ring, cy + ring) else 2 * ring or 1
            for x in range(cx - ring, cx + ring + 1, step):
                if game_map.in_bounds(x, y) and not game_map.is_blocked(x, y):
                    return (x, y)
    raise _Fault("no player_spawn object and no walkable tile")
