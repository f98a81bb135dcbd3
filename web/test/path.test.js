import { test } from "node:test";
import assert from "node:assert/strict";
import { find_path, step_from, MAX_PATH_STEPS } from "../src/path.js";

/** blocked(x, y) for a picture: '#' a wall, '.' open; outside the picture is unknown, so blocked. */
function grid(...rows) {
  return (x, y) => y < 0 || y >= rows.length || x < 0 || x >= rows[y].length || rows[y][x] === "#";
}

function end_of(start, path) {
  return path.reduce(step_from, start);
}

const open = () => false;

test("a straight line is walked straight", () => {
  assert.deepEqual(find_path({ x: 2, y: 3 }, { x: 5, y: 3 }, open), ["RIGHT", "RIGHT", "RIGHT"]);
  assert.deepEqual(find_path({ x: 2, y: 3 }, { x: 2, y: 1 }, open), ["UP", "UP"]);
});

test("the start is the goal: an empty path", () => {
  assert.deepEqual(find_path({ x: 4, y: 4 }, { x: 4, y: 4 }, grid("#")), []);
});

test("a wall is walked around by a shortest way, never through it", () => {
  const blocked = grid(
    ".....",
    "..#..",
    "..#..",
    "..#..",
    ".....",
  );
  const path = find_path({ x: 0, y: 2 }, { x: 4, y: 2 }, blocked);
  assert.equal(path.length, 8); // 4 across, 2 up and 2 back down (or down and up)
  let at = { x: 0, y: 2 };
  for (const d of path) {
    at = step_from(at, d);
    assert.equal(blocked(at.x, at.y), false, `stepped into ${at.x},${at.y}`);
  }
  assert.deepEqual(at, { x: 4, y: 2 });
});

test("a goal behind a closed wall, or on a wall, is unreachable", () => {
  const blocked = grid(
    "..#..",
    "..#..",
    "..#..",
  );
  assert.equal(find_path({ x: 0, y: 1 }, { x: 4, y: 1 }, blocked), null);
  assert.equal(find_path({ x: 0, y: 1 }, { x: 2, y: 1 }, blocked), null);
});

test("tiles of chunks not loaded count as blocked", () => {
  // Open ground only 3x3: a goal outside it cannot be walked to.
  assert.equal(find_path({ x: 0, y: 0 }, { x: 5, y: 0 }, grid("...", "...", "...")), null);
});

test("a walk longer than the cap is refused, whether by distance or by detour", () => {
  assert.equal(find_path({ x: 0, y: 0 }, { x: MAX_PATH_STEPS + 1, y: 0 }, open), null);
  assert.equal(find_path({ x: 0, y: 0 }, { x: MAX_PATH_STEPS, y: 0 }, open).length, MAX_PATH_STEPS);
  // 4 tiles apart, but the wall makes it 16 steps: over a cap of 10, within one of 16.
  const rows = ["....#....", "....#....", "....#....", "....#....", "....#....", "....#....", "........."];
  assert.equal(find_path({ x: 2, y: 0 }, { x: 6, y: 0 }, grid(...rows), { max_steps: 10 }), null);
  assert.equal(find_path({ x: 2, y: 0 }, { x: 6, y: 0 }, grid(...rows), { max_steps: 16 }).length, 16);
});

test("reach 1 stops next to the goal, diagonals included, even when the goal is blocked", () => {
  const blocked = grid(
    ".....",
    ".....",
    "....#",
  );
  const path = find_path({ x: 0, y: 0 }, { x: 4, y: 2 }, blocked, { reach: 1 });
  assert.equal(path.length, 4);
  const end = end_of({ x: 0, y: 0 }, path);
  assert.equal(Math.max(Math.abs(end.x - 4), Math.abs(end.y - 2)), 1);
  assert.deepEqual(find_path({ x: 3, y: 1 }, { x: 4, y: 2 }, blocked, { reach: 1 }), []);
});
