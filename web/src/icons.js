// Item icons, drawn with canvas paths from an item's look (item_kinds.js):
// each look is drawn once per pixel size into a detached canvas and reused, by
// the inventory and equipment panels (as an <img> whose alt is the item's name)
// and by the map (drawImage of the same canvas).

import { item_look } from "./item_kinds.js";
import { WEAPON_SHAPES } from "./icon_weapons.js";
import { ARMOUR_SHAPES } from "./icon_armour.js";
import { GOODS_SHAPES } from "./icon_goods.js";

/** kind -> function(ctx, look) drawing in a 32x32 box. */
export const SHAPES = Object.freeze({ ...WEAPON_SHAPES, ...ARMOUR_SHAPES, ...GOODS_SHAPES });

/** Draw a look into ctx as a px-by-px icon at (0, 0). */
export function draw_item_icon(ctx, look, px) {
  ctx.save();
  ctx.scale(px / 32, px / 32);
  ctx.lineJoin = "round";
  (SHAPES[look.kind] || SHAPES.bag)(ctx, look);
  ctx.restore();
}

const canvases = new Map(); // `${look.key}@${px}` -> canvas
const urls = new Map();     // same key -> data URL of that canvas

/** The icon of a look at px by px device pixels, drawn on first use. */
export function icon_canvas(look, px) {
  const key = `${look.key}@${px}`;
  let canvas = canvases.get(key);
  if (!canvas) {
    canvas = document.createElement("canvas");
    canvas.width = canvas.height = px;
    draw_item_icon(canvas.getContext("2d"), look, px);
    canvases.set(key, canvas);
  }
  return canvas;
}

function icon_url(look, px) {
  const key = `${look.key}@${px}`;
  if (!urls.has(key)) urls.set(key, icon_canvas(look, px).toDataURL("image/png"));
  return urls.get(key);
}

// Panel icons are 36 CSS pixels; drawn at twice that, they stay sharp on
// high-density screens.
const PANEL_ICON_PX = 72;

/**
 * An <img> of an item for a panel slot; its alt text is the item's name, so
 * screen readers and tests find it by name.  `slot` is where it is worn, if known.
 */
export function item_icon_element(item, name, slot = null) {
  const look = item_look(item, slot);
  const img = document.createElement("img");
  img.className = "icon";
  img.src = icon_url(look, PANEL_ICON_PX);
  img.alt = name || `Item #${item.item_id}`;
  img.draggable = false; // the slot is what drags
  img.dataset.kind = look.kind;
  img.dataset.material = look.material;
  return img;
}
