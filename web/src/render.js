// Draws the world on a canvas: chunk layers (pre-rendered per chunk), ground
// items as their icons, players and NPCs with names and HP bars, the camera on
// the player.

import { CHUNK_SIZE, chunk_key } from "./chunks.js";
import { tile_source, DEFAULT_TILE_SIZE } from "./map_assets.js";
import { own_entity, own_entity_id, item_name } from "./state.js";
import { item_look } from "./item_kinds.js";
import { icon_canvas } from "./icons.js";
import { PortalIndex, portal_label } from "./portals.js";

const WALK_TILES_PER_S = 5;
const FLOAT_MS = 900;
const PORTAL_LABEL_TILES = 4; // a portal's label shows when the player is this near (Chebyshev), or on hover

function hue_of(text) {
  let h = 0;
  for (const ch of String(text)) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

export class Renderer {
  constructor(canvas, state, chunks) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.state = state;
    this.chunks = chunks;
    this.assets = { tile_size: DEFAULT_TILE_SIZE, tilesets: [], hidden_layers: new Set() };
    this.chunk_images = new Map();
    this.looks = new Map();   // ground item name -> its look (item_kinds.js)
    this.shown = new Map();   // entity id -> {x, y} drawn position, eased toward the real one
    this.floats = [];         // damage numbers and the like
    this.hover = null;        // tile under the mouse
    this.target_id = null;    // what the player attacks
    this.destination = () => null; // {x, y} the player walks to (click-to-walk), or null
    this.portals = new PortalIndex(); // the current map's portals, from its TMX
    this.last_frame = performance.now();
  }

  set_assets(assets) {
    this.assets = assets;
    this.chunk_images.clear();
  }

  forget_chunks() {
    this.chunk_images.clear();
  }

  /** A new map: nothing drawn for the old one is kept. */
  enter_map(portals) {
    this.chunk_images.clear();
    this.shown.clear();
    this.floats = [];
    this.target_id = null;
    this.portals = portals;
  }

  chunk_loaded(chunk) {
    this.chunk_images.delete(chunk_key(chunk.chunk_x, chunk.chunk_y));
  }

  get tile() {
    return this.assets.tile_size || DEFAULT_TILE_SIZE;
  }

  /** View size in tiles, for deciding which chunks to fetch. */
  view_tiles() {
    return [Math.ceil(this.canvas.clientWidth / this.tile) + 2, Math.ceil(this.canvas.clientHeight / this.tile) + 2];
  }

  float_text(entity_id, text, colour) {
    this.floats.push({ entity_id, text, colour, born: performance.now() });
  }

  camera() {
    const me = own_entity(this.state);
    const shown = me && this.shown.get(me.id);
    if (!shown) return me ? { x: me.x + 0.5, y: me.y + 0.5 } : { x: 0, y: 0 };
    return { x: shown.x + 0.5, y: shown.y + 0.5 };
  }

  /** The tile under a point in CSS pixels relative to the canvas. */
  tile_at(px, py) {
    const cam = this.camera();
    const t = this.tile;
    return {
      x: Math.floor((px - this.canvas.clientWidth / 2) / t + cam.x),
      y: Math.floor((py - this.canvas.clientHeight / 2) / t + cam.y),
    };
  }

  _resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.ctx.imageSmoothingEnabled = false;
  }

  _chunk_image(chunk) {
    const key = chunk_key(chunk.chunk_x, chunk.chunk_y);
    let image = this.chunk_images.get(key);
    if (image) return image;
    const t = this.tile;
    image = document.createElement("canvas");
    image.width = image.height = CHUNK_SIZE * t;
    const g = image.getContext("2d");
    g.imageSmoothingEnabled = false;
    const tilesets = this.assets.tilesets;
    if (tilesets.length) {
      const layers = Array.isArray(chunk.layers) && chunk.layers.length
        ? chunk.layers.filter((l) => !this.assets.hidden_layers.has(l.name)).map((l) => l.tiles)
        : [chunk.tiles];
      g.fillStyle = "#11161c";
      g.fillRect(0, 0, image.width, image.height);
      for (const rows of layers) {
        for (let r = 0; r < CHUNK_SIZE; r++) {
          const row = rows && rows[r];
          if (!row) continue;
          for (let c = 0; c < CHUNK_SIZE; c++) {
            const src = tile_source(tilesets, row[c]);
            if (src) g.drawImage(src.image, src.sx, src.sy, src.w, src.h, c * t, r * t, t, t);
          }
        }
      }
    } else {
      this._draw_collision_squares(g, chunk, t);
    }
    this.chunk_images.set(key, image);
    return image;
  }

  _draw_collision_squares(g, chunk, t) {
    for (let r = 0; r < CHUNK_SIZE; r++) {
      for (let c = 0; c < CHUNK_SIZE; c++) {
        const blocked = chunk.collision && chunk.collision[r] && chunk.collision[r][c];
        const shade = ((chunk.chunk_x * CHUNK_SIZE + c) + (chunk.chunk_y * CHUNK_SIZE + r)) % 2;
        g.fillStyle = blocked ? (shade ? "#4b4540" : "#544d47") : (shade ? "#2f5a34" : "#33613a");
        g.fillRect(c * t, r * t, t, t);
        if (blocked) {
          g.fillStyle = "rgba(0,0,0,0.25)";
          g.fillRect(c * t + 3, r * t + 3, t - 6, t - 6);
        }
      }
    }
  }

  _ease_positions(dt) {
    const step = WALK_TILES_PER_S * dt;
    for (const [id] of this.shown) if (!this.state.entities.has(id)) this.shown.delete(id);
    for (const e of this.state.entities.values()) {
      const s = this.shown.get(e.id);
      if (!s || Math.abs(s.x - e.x) + Math.abs(s.y - e.y) > 3) {
        this.shown.set(e.id, { x: e.x, y: e.y });
        continue;
      }
      s.x += Math.sign(e.x - s.x) * Math.min(step, Math.abs(e.x - s.x));
      s.y += Math.sign(e.y - s.y) * Math.min(step, Math.abs(e.y - s.y));
    }
  }

  draw(now = performance.now()) {
    const dt = Math.min(0.1, (now - this.last_frame) / 1000);
    this.last_frame = now;
    this._resize();
    this._ease_positions(dt);
    const ctx = this.ctx;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const t = this.tile;
    ctx.fillStyle = "#0b0e12";
    ctx.fillRect(0, 0, w, h);
    if (this.state.player_id == null) return;
    const cam = this.camera();
    const ox = w / 2 - cam.x * t;
    const oy = h / 2 - cam.y * t;
    const screen = (x, y) => [Math.round(ox + x * t), Math.round(oy + y * t)];

    const cx0 = Math.floor((cam.x - w / 2 / t) / CHUNK_SIZE);
    const cx1 = Math.floor((cam.x + w / 2 / t) / CHUNK_SIZE);
    const cy0 = Math.floor((cam.y - h / 2 / t) / CHUNK_SIZE);
    const cy1 = Math.floor((cam.y + h / 2 / t) / CHUNK_SIZE);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const chunk = this.chunks.get(cx, cy);
        if (!chunk) continue;
        const [sx, sy] = screen(cx * CHUNK_SIZE, cy * CHUNK_SIZE);
        ctx.drawImage(this._chunk_image(chunk), sx, sy, CHUNK_SIZE * t, CHUNK_SIZE * t);
      }
    }

    const portal_labels = this._draw_portals(screen, t, now);

    if (this.hover) {
      const [hx, hy] = screen(this.hover.x, this.hover.y);
      ctx.strokeStyle = "rgba(255,255,255,0.35)";
      ctx.lineWidth = 1;
      ctx.strokeRect(hx + 0.5, hy + 0.5, t - 1, t - 1);
    }

    const goal = this.destination();
    if (goal) this._draw_destination(screen(goal.x, goal.y), t, now);

    const occupied = new Set([...this.state.entities.values()].map((e) => `${e.x},${e.y}`));
    for (const g of this.state.ground_items.values()) {
      const [sx, sy] = screen(g.x, g.y);
      // Beside whoever stands on it, so it stays visible.
      this._draw_ground_item(g, [sx + (occupied.has(`${g.x},${g.y}`) ? 10 : 0), sy], t);
    }

    const me = own_entity_id(this.state);
    const drawn = [...this.state.entities.values()]
      .map((e) => ({ e, s: this.shown.get(e.id) || { x: e.x, y: e.y } }))
      .sort((a, b) => a.s.y - b.s.y || (a.e.id === me) - (b.e.id === me));
    // Several on one tile: spread them a little and stack their labels.
    const on_tile = new Map();
    for (const d of drawn) {
      const key = `${Math.round(d.s.x)},${Math.round(d.s.y)}`;
      if (!on_tile.has(key)) on_tile.set(key, []);
      on_tile.get(key).push(d);
    }
    for (const group of on_tile.values()) {
      group.forEach((d, i) => {
        d.dx = group.length > 1 ? Math.round((i - (group.length - 1) / 2) * 10) : 0;
        d.lift = i * 15;
      });
    }
    for (const d of drawn) {
      const [sx, sy] = screen(d.s.x, d.s.y);
      this._draw_entity(d.e, [sx + d.dx, sy], t);
    }
    for (const d of drawn) {
      const [sx, sy] = screen(d.s.x, d.s.y);
      this._draw_label(d.e, [sx, sy - d.lift], t);
    }
    for (const [text, x, y] of portal_labels) this._text(text, x, y, "#9fe8ff", 12);
    this._draw_floats(screen, t, now);
  }

  /**
   * A pulsing glow on every portal tile in view; returns the labels to draw on
   * top ([text, x, y]): those of portals near the player or under the mouse.
   */
  _draw_portals(screen, t, now) {
    const ctx = this.ctx;
    const me = own_entity(this.state);
    const pulse = 0.5 + 0.5 * Math.sin(now / 300);
    const labels = new Map();
    for (const { x, y, portal } of this.portals.tiles()) {
      const [sx, sy] = screen(x, y);
      if (sx < -t || sy < -t || sx > this.canvas.clientWidth || sy > this.canvas.clientHeight) continue;
      const cx = sx + t / 2;
      const cy = sy + t / 2;
      const glow = ctx.createRadialGradient(cx, cy, 2, cx, cy, t * 0.7);
      glow.addColorStop(0, `rgba(140, 230, 255, ${0.45 + 0.25 * pulse})`);
      glow.addColorStop(1, "rgba(140, 230, 255, 0)");
      ctx.fillStyle = glow;
      ctx.fillRect(sx - t / 4, sy - t / 4, t * 1.5, t * 1.5);
      ctx.strokeStyle = `rgba(170, 240, 255, ${0.5 + 0.4 * pulse})`;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(sx + 2.5, sy + 2.5, t - 5, t - 5);
      const near = me && Math.max(Math.abs(me.x - x), Math.abs(me.y - y)) <= PORTAL_LABEL_TILES;
      const hovered = this.hover && this.hover.x === x && this.hover.y === y;
      // Below the tile, clear of the names above the heads of whoever stands near it.
      if (near || hovered) labels.set(portal, [portal_label(portal), cx, sy + t + 14]); // the lowest tile's wins
    }
    return [...labels.values()];
  }

  _draw_destination([sx, sy], t, now) {
    const ctx = this.ctx;
    const pulse = 0.5 + 0.5 * Math.sin(now / 180);
    const cx = sx + t / 2;
    const cy = sy + t / 2;
    const r = t * (0.18 + 0.06 * pulse);
    ctx.strokeStyle = "#f5c542";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(cx - r, cy - r);
    ctx.lineTo(cx + r, cy + r);
    ctx.moveTo(cx + r, cy - r);
    ctx.lineTo(cx - r, cy + r);
    ctx.stroke();
  }

  _draw_ground_item(g, [sx, sy], t) {
    const ctx = this.ctx;
    const cx = sx + t / 2;
    const cy = sy + t / 2 + 4;
    const name = g.name || item_name(this.state, g.item_id);
    ctx.fillStyle = "rgba(0,0,0,0.35)";
    ctx.beginPath();
    ctx.ellipse(cx, cy + 6, 9, 3, 0, 0, Math.PI * 2);
    ctx.fill();
    // Drawn at the screen's own pixel size, so the map's unsmoothed scaling
    // leaves the icon as sharp as in the panels.
    const size = Math.round(t * 0.75);
    const dpr = window.devicePixelRatio || 1;
    if (!this.looks.has(name)) this.looks.set(name, item_look({ name }));
    const icon = icon_canvas(this.looks.get(name), Math.round(size * dpr));
    ctx.drawImage(icon, Math.round(cx - size / 2), Math.round(cy + 6 - size + 2), size, size);
    if (g.quantity > 1) this._text(String(g.quantity), cx + 9, sy + t - 2, "#ffe08a", 10, "left");
    if (this.hover && this.hover.x === g.x && this.hover.y === g.y) {
      this._text(name, cx, sy - 2, "#ffe08a", 11);
    }
  }

  _draw_entity(e, [sx, sy], t) {
    const ctx = this.ctx;
    const cx = sx + t / 2;
    const base = sy + t - 4;
    const dead = e.animation_state === "dead" || e.combat_state === "dead" || e.current_hp === 0;
    ctx.globalAlpha = dead ? 0.4 : 1;
    ctx.fillStyle = "rgba(0,0,0,0.35)";
    ctx.beginPath();
    ctx.ellipse(cx, base, 10, 4, 0, 0, Math.PI * 2);
    ctx.fill();
    if (e.id === own_entity_id(this.state)) {
      ctx.strokeStyle = "#f5c542";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.ellipse(cx, base, 12, 5, 0, 0, Math.PI * 2);
      ctx.stroke();
    }
    if (e.id === this.target_id) {
      ctx.strokeStyle = "#ff5a4f";
      ctx.lineWidth = 2;
      ctx.strokeRect(sx + 1, sy + 1, t - 2, t - 2);
    }
    const npc = e.type === "npc";
    const hue = npc ? 10 + (hue_of(e.npc_type || e.name) % 40) : hue_of(e.username || e.id);
    ctx.fillStyle = `hsl(${hue}, ${npc ? 55 : 60}%, ${npc ? 38 : 50}%)`;
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    if (npc) {
      ctx.roundRect(cx - 8, base - 18, 16, 16, 4);
    } else {
      ctx.roundRect(cx - 6, base - 16, 12, 14, 3);
    }
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = npc ? `hsl(${hue}, 45%, 55%)` : "#f0c9a0";
    ctx.beginPath();
    ctx.arc(cx, base - (npc ? 22 : 21), npc ? 6 : 5.5, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    const [fx, fy] = { north: [0, -1], south: [0, 1], east: [1, 0], west: [-1, 0] }[e.facing_direction] || [0, 1];
    if (fy >= 0) {
      ctx.fillStyle = "#111";
      ctx.fillRect(cx + fx * 3 - 1 - (fx ? 0 : 2), base - 23, 2, 2);
      if (!fx) ctx.fillRect(cx + 1, base - 23, 2, 2);
    }
    if (e.animation_state === "attacking" || e.combat_state === "in_combat") {
      ctx.strokeStyle = "#e8e8e8";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(cx + 7, base - 8);
      ctx.lineTo(cx + 13, base - 18);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }

  _draw_label(e, [sx, sy], t) {
    const ctx = this.ctx;
    const cx = sx + t / 2;
    const top = sy + t - 4 - 34;
    const name = e.type === "npc" ? e.name || e.npc_type || e.id : e.username || e.id;
    const colour = e.type === "npc" ? "#ffb36b" : e.id === own_entity_id(this.state) ? "#ffe08a" : "#ffffff";
    this._text(name, cx, top - 6, colour, 11);
    if (e.max_hp) {
      const bw = 28;
      const frac = Math.max(0, Math.min(1, (e.current_hp ?? e.max_hp) / e.max_hp));
      ctx.fillStyle = "#000";
      ctx.fillRect(cx - bw / 2 - 1, top - 2, bw + 2, 5);
      ctx.fillStyle = "#8b1d1d";
      ctx.fillRect(cx - bw / 2, top - 1, bw, 3);
      ctx.fillStyle = frac > 0.5 ? "#3fcf4f" : frac > 0.25 ? "#e3c532" : "#e5483b";
      ctx.fillRect(cx - bw / 2, top - 1, Math.round(bw * frac), 3);
    }
  }

  _draw_floats(screen, t, now) {
    this.floats = this.floats.filter((f) => now - f.born < FLOAT_MS);
    for (const f of this.floats) {
      const s = this.shown.get(f.entity_id);
      if (!s) continue;
      const [sx, sy] = screen(s.x, s.y);
      const age = (now - f.born) / FLOAT_MS;
      this.ctx.globalAlpha = 1 - age;
      this._text(f.text, sx + t / 2, sy + t / 2 - 10 - age * 18, f.colour, 14);
      this.ctx.globalAlpha = 1;
    }
  }

  _text(text, x, y, colour, size, align = "center") {
    const ctx = this.ctx;
    ctx.font = `600 ${size}px system-ui, -apple-system, "Segoe UI", sans-serif`;
    ctx.textAlign = align;
    ctx.textBaseline = "bottom";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(0,0,0,0.85)";
    ctx.strokeText(text, x, y);
    ctx.fillStyle = colour;
    ctx.fillText(text, x, y);
  }
}
