import { test } from "node:test";
import assert from "node:assert/strict";
import { ChunkCache, radius_for_view } from "../src/chunks.js";

const chunk = (cx, cy) => ({ chunk_x: cx, chunk_y: cy, tiles: [], collision: [[false, true]] });

test("a view of 27x21 tiles needs radius 2 around the player's chunk", () => {
  assert.equal(radius_for_view(20, 20, 27, 21), 2);
});

test("the radius never exceeds the server's limit of 5", () => {
  assert.equal(radius_for_view(0, 0, 400, 400), 5);
});

test("cached chunks are not asked for again", async () => {
  const asked = [];
  const cache = new ChunkCache(async (map, cx, cy, radius) => {
    asked.push([cx, cy, radius]);
    return { chunks: [chunk(cx, cy)] };
  });
  cache.reset("samplemap");
  await cache.ensure_around(5, 5, 10, 10);
  const again = cache.ensure_around(6, 5, 10, 10);
  assert.deepEqual([asked.length, again], [4, null]);
});

test("each missing chunk is asked for on its own, nearest first", async () => {
  const asked = [];
  const cache = new ChunkCache(async (map, cx, cy, radius) => {
    asked.push([cx, cy, radius]);
    return { chunks: [chunk(cx, cy)] };
  });
  cache.reset("samplemap");
  await cache.ensure_around(20, 20, 10, 10);
  assert.deepEqual(asked.slice(0, 2), [[1, 1, 0], [0, 0, 0]]);
});

test("a chunk beyond the map's edge is remembered as absent", async () => {
  const cache = new ChunkCache(async (map, cx, cy) => {
    if (cx > 0 || cy > 0) throw Object.assign(new Error("edge"), { code: "CHUNKS_INVALID_COORDINATES" });
    return { chunks: [chunk(0, 0)] };
  });
  cache.reset("samplemap");
  await cache.ensure_around(2, 2, 10, 10);
  assert.deepEqual([cache.absent.has("1,1"), cache.ensure_around(2, 2, 10, 10)], [true, null]);
});

test("collision is read from the cached chunk grid", async () => {
  const cache = new ChunkCache(async (map, cx, cy) => ({ chunks: [chunk(cx, cy)] }));
  cache.reset("samplemap");
  await cache.ensure_around(0, 0, 4, 4);
  assert.deepEqual([cache.blocked_at(1, 0), cache.blocked_at(0, 0), cache.blocked_at(40, 40)], [true, false, null]);
});
