// Map chunks: cached client-side, fetched with query_chunks as the player walks.

export const CHUNK_SIZE = 16;
export const MAX_RADIUS = 5;
const RETRY_AFTER_ERROR_MS = 2000;

export function chunk_key(cx, cy) {
  return `${cx},${cy}`;
}

export function chunk_of(x, y) {
  return [Math.floor(x / CHUNK_SIZE), Math.floor(y / CHUNK_SIZE)];
}

/**
 * The radius of query_chunks centred on the player's chunk that covers a view
 * of view_w x view_h tiles around (x, y) plus one chunk of margin, capped at 5.
 */
export function radius_for_view(x, y, view_w, view_h) {
  const [cx, cy] = chunk_of(x, y);
  const [x0, y0] = chunk_of(x - Math.ceil(view_w / 2), y - Math.ceil(view_h / 2));
  const [x1, y1] = chunk_of(x + Math.ceil(view_w / 2), y + Math.ceil(view_h / 2));
  const reach = Math.max(cx - x0, x1 - cx, cy - y0, y1 - cy);
  return Math.min(MAX_RADIUS, Math.max(1, reach + 1));
}

export class ChunkCache {
  /** query(map_id, chunk_x, chunk_y, radius) resolves with the resp_success payload. */
  constructor(query, on_loaded = () => {}) {
    this.query = query;
    this.on_loaded = on_loaded;
    this.map_id = null;
    this.chunks = new Map();
    this.absent = new Set();    // asked for and not on the map
    this.in_flight = new Set();
    this.retry_at = 0;
  }

  reset(map_id) {
    if (map_id === this.map_id) return;
    this.map_id = map_id;
    this.chunks.clear();
    this.absent.clear();
    this.in_flight.clear();
  }

  get(cx, cy) {
    return this.chunks.get(chunk_key(cx, cy)) || null;
  }

  /** The collision flag of one tile, or null when its chunk is not loaded. */
  blocked_at(x, y) {
    const [cx, cy] = chunk_of(x, y);
    const chunk = this.get(cx, cy);
    if (!chunk || !chunk.collision) return null;
    const row = chunk.collision[y - cy * CHUNK_SIZE];
    return row ? Boolean(row[x - cx * CHUNK_SIZE]) : null;
  }

  /**
   * Fetch what a view around (x, y) needs and is not cached, nearest first.
   * One chunk per query (radius 0): a reply stays small, well under any frame
   * limit. Resolves when those replies are in; null when nothing was missing.
   */
  ensure_around(x, y, view_w, view_h, now = Date.now()) {
    if (this.map_id == null || now < this.retry_at) return null;
    const radius = radius_for_view(x, y, view_w, view_h);
    const [cx, cy] = chunk_of(x, y);
    const wanted = [];
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        const [kx, ky] = [cx + dx, cy + dy];
        const key = chunk_key(kx, ky);
        if (kx < 0 || ky < 0) continue;
        if (!this.chunks.has(key) && !this.absent.has(key) && !this.in_flight.has(key)) {
          wanted.push([Math.max(Math.abs(dx), Math.abs(dy)), kx, ky, key]);
        }
      }
    }
    if (wanted.length === 0) return null;
    wanted.sort((a, b) => a[0] - b[0]);
    const map_id = this.map_id;
    const fetches = wanted.map(([, kx, ky, key]) => {
      this.in_flight.add(key);
      return this.query(map_id, kx, ky, 0).then(
        (payload) => {
          if (map_id !== this.map_id) return;
          this.in_flight.delete(key);
          for (const chunk of payload.chunks || []) {
            this.chunks.set(chunk_key(chunk.chunk_x, chunk.chunk_y), chunk);
            this.on_loaded(chunk);
          }
          if (!this.chunks.has(key)) this.absent.add(key);
        },
        (err) => {
          if (map_id !== this.map_id) return;
          this.in_flight.delete(key);
          if (err.code === "CHUNKS_INVALID_COORDINATES") {
            this.absent.add(key); // beyond the map's edge
            return;
          }
          this.retry_at = Date.now() + RETRY_AFTER_ERROR_MS;
          throw err;
        },
      );
    });
    return Promise.all(fetches);
  }
}
