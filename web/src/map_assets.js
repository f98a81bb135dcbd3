// Tilesets for a map: read from its TMX when the server serves it, else the
// conventional /maps/<map_id>-tiles.png with 32x32 tiles starting at gid 1.
// The TMX also gives the map's display name and its portals (portals.js).

import { map_display_name, read_portal } from "./portals.js";

export const DEFAULT_TILE_SIZE = 32;
const GID_MASK = 0x1fffffff; // Tiled keeps flip flags in the top bits

export function tile_gid(raw) {
  return raw ? (raw >>> 0) & GID_MASK : 0;
}

function load_image(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load ${url}`));
    img.src = url;
  });
}

async function fetch_xml(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const doc = new DOMParser().parseFromString(await response.text(), "application/xml");
  if (doc.querySelector("parsererror")) throw new Error(`${url}: not XML`);
  return doc;
}

async function read_tileset(element, firstgid, base_url) {
  let node = element;
  let url = base_url;
  const source = element.getAttribute("source");
  if (source) {
    url = new URL(source, base_url).href;
    node = (await fetch_xml(url)).documentElement;
  }
  const image_node = node.querySelector("image");
  if (!image_node) return null; // image-collection tilesets are not drawn
  const tile_w = Number(node.getAttribute("tilewidth")) || DEFAULT_TILE_SIZE;
  const tile_h = Number(node.getAttribute("tileheight")) || DEFAULT_TILE_SIZE;
  const image = await load_image(new URL(image_node.getAttribute("source"), url).href);
  const columns = Number(node.getAttribute("columns")) || Math.floor(image.width / tile_w);
  return { firstgid, image, columns, tile_w, tile_h };
}

/** Tiled custom properties of an element ({name: value}, typed as Tiled says). */
function read_properties(element) {
  const props = {};
  const holder = [...element.children].find((child) => child.tagName === "properties");
  for (const prop of holder ? holder.children : []) {
    if (prop.tagName !== "property") continue;
    const raw = prop.getAttribute("value") ?? prop.textContent;
    const type = prop.getAttribute("type") || "string";
    props[prop.getAttribute("name")] = type === "int" || type === "float" ? Number(raw)
      : type === "bool" ? raw === "true" : raw;
  }
  return props;
}

/** The map's portals, from its object layers (also those inside group layers). */
function read_portals(map, tile_w, tile_h) {
  const portals = [];
  for (const node of map.querySelectorAll(":scope > objectgroup > object, :scope > group objectgroup > object")) {
    const number = (name) => Number(node.getAttribute(name)) || 0;
    const portal = read_portal({
      type: node.getAttribute("type"), class: node.getAttribute("class"), name: node.getAttribute("name"),
      x: number("x"), y: number("y"), width: number("width"), height: number("height"),
      properties: read_properties(node),
    }, tile_w, tile_h);
    if (portal) portals.push(portal);
  }
  return portals;
}

/**
 * Resolve to {tile_size, tilesets: [{firstgid, image, columns, tile_w, tile_h}],
 * hidden_layers: Set, name, portals}. tilesets is empty when no image could be
 * loaded; name is the map property `name` or the map id made readable; portals
 * as portals.js reads them ([] without the TMX).
 */
export async function load_map_assets(map_id) {
  const tmx_url = new URL(`/maps/${encodeURIComponent(map_id)}.tmx`, window.location.href).href;
  let name = map_display_name(map_id);
  let portals = [];
  try {
    const doc = await fetch_xml(tmx_url);
    const map = doc.documentElement;
    const tile_size = Number(map.getAttribute("tilewidth")) || DEFAULT_TILE_SIZE;
    name = map_display_name(map_id, read_properties(map).name);
    portals = read_portals(map, tile_size, Number(map.getAttribute("tileheight")) || tile_size);
    const hidden_layers = new Set(
      [...map.querySelectorAll(":scope > layer")]
        .filter((l) => l.getAttribute("visible") === "0")
        .map((l) => l.getAttribute("name")),
    );
    const tilesets = [];
    for (const ts of map.querySelectorAll(":scope > tileset")) {
      try {
        const loaded = await read_tileset(ts, Number(ts.getAttribute("firstgid")) || 1, tmx_url);
        if (loaded) tilesets.push(loaded);
      } catch (err) {
        console.warn("tileset not loaded", err);
      }
    }
    if (tilesets.length) {
      tilesets.sort((a, b) => b.firstgid - a.firstgid); // lookup takes the first with firstgid <= gid
      return { tile_size, tilesets, hidden_layers, name, portals };
    }
  } catch (err) {
    console.info("map TMX not used, falling back to the default tileset:", err.message);
  }
  try {
    const image = await load_image(`/maps/${encodeURIComponent(map_id)}-tiles.png`);
    const columns = Math.max(1, Math.floor(image.width / DEFAULT_TILE_SIZE));
    return {
      tile_size: DEFAULT_TILE_SIZE,
      tilesets: [{ firstgid: 1, image, columns, tile_w: DEFAULT_TILE_SIZE, tile_h: DEFAULT_TILE_SIZE }],
      hidden_layers: new Set(),
      name,
      portals,
    };
  } catch (err) {
    console.warn("no tileset: drawing the collision grid instead", err.message);
    return { tile_size: DEFAULT_TILE_SIZE, tilesets: [], hidden_layers: new Set(), name, portals };
  }
}

/** The tileset and source rectangle for a gid, or null. */
export function tile_source(tilesets, raw_gid) {
  const gid = tile_gid(raw_gid);
  if (!gid) return null;
  for (const ts of tilesets) {
    if (gid >= ts.firstgid) {
      const index = gid - ts.firstgid;
      return {
        image: ts.image,
        sx: (index % ts.columns) * ts.tile_w,
        sy: Math.floor(index / ts.columns) * ts.tile_h,
        w: ts.tile_w,
        h: ts.tile_h,
      };
    }
  }
  return null;
}
