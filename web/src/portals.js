// Portals and map names, read from the map's TMX (the server does not send
// them: the chunk data has tiles and collision only). Pure (no DOM), so it can
// be tested under Node; map_assets.js feeds it the TMX's objects.

/** A map id made readable: "dark_forest" -> "Dark Forest", "samplemap" -> "Samplemap". */
export function readable_map_name(map_id) {
  return String(map_id ?? "")
    .split(/[_\-\s]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(" ");
}

/** What to call a map: its TMX `name` property when set, else its id made readable. */
export function map_display_name(map_id, name_property) {
  const name = typeof name_property === "string" ? name_property.trim() : "";
  return name || readable_map_name(map_id);
}

/**
 * The tiles a portal object covers, as the server counts them: a rectangle
 * covers every tile it overlaps, a point (no size) its one tile.
 */
export function portal_tiles({ x, y, width = 0, height = 0 }, tile_w, tile_h) {
  const x0 = Math.floor(x / tile_w);
  const y0 = Math.floor(y / tile_h);
  const x1 = width > 0 ? Math.ceil((x + width) / tile_w) - 1 : x0;
  const y1 = height > 0 ? Math.ceil((y + height) / tile_h) - 1 : y0;
  const tiles = [];
  for (let ty = y0; ty <= Math.max(y0, y1); ty++) {
    for (let tx = x0; tx <= Math.max(x0, x1); tx++) tiles.push({ x: tx, y: ty });
  }
  return tiles;
}

/**
 * A portal from a TMX object: {type or class, name, x, y, width, height,
 * properties: {target_map, target_x, target_y}}; null when it is no portal.
 */
export function read_portal(object, tile_w, tile_h) {
  if ((object.type || object.class) !== "portal") return null;
  const props = object.properties || {};
  if (!props.target_map) return null;
  return {
    name: object.name || "",
    target_map: String(props.target_map),
    target_x: Number(props.target_x),
    target_y: Number(props.target_y),
    tiles: portal_tiles(object, tile_w, tile_h),
  };
}

/** What a portal says it leads to: its object's name, else "To <map name>". */
export function portal_label(portal) {
  return portal.name || `To ${readable_map_name(portal.target_map)}`;
}

/** The portals of one map, looked up by tile. */
export class PortalIndex {
  constructor(portals = []) {
    this.portals = portals;
    this.by_tile = new Map();
    for (const portal of portals) {
      for (const { x, y } of portal.tiles) this.by_tile.set(`${x},${y}`, portal);
    }
  }

  at(x, y) {
    return this.by_tile.get(`${x},${y}`) || null;
  }

  /** Every portal tile, with its portal: [{x, y, portal}]. */
  tiles() {
    return this.portals.flatMap((portal) => portal.tiles.map(({ x, y }) => ({ x, y, portal })));
  }
}
