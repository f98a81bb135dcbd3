import { test } from "node:test";
import assert from "node:assert/strict";
import { Movement, direction_for_key, move_cooldown_of } from "../src/movement.js";
import { GameError } from "../src/errors.js";

function rig(replies) {
  let now = 0;
  const sent = [];
  const moved = [];
  const errors = [];
  const movement = new Movement({
    send: (direction) => { sent.push(direction); return replies.shift()(); },
    on_moved: (pos) => moved.push(pos),
    on_error: (err) => errors.push(err.code),
    now: () => now,
  });
  return { movement, sent, moved, errors, advance: (ms) => { now += ms; } };
}

const ok = () => Promise.resolve({ new_position: { x: 1, y: 0 } });

test("arrow keys and WASD map to the protocol's directions", () => {
  assert.deepEqual(["ArrowUp", "KeyA", "KeyS", "ArrowRight", "KeyQ"].map(direction_for_key), ["UP", "LEFT", "DOWN", "RIGHT", null]);
});

test("a held key moves again only after the 500 ms cooldown", async () => {
  const r = rig([ok, ok]);
  await r.movement.press("RIGHT");
  r.advance(499);
  const early = r.movement.tick();
  r.advance(1);
  await r.movement.tick();
  assert.deepEqual([early, r.sent], [null, ["RIGHT", "RIGHT"]]);
});

test("MOVEMENT_RATE_LIMITED retries the same step after retry_after_ms", async () => {
  const r = rig([() => Promise.reject(new GameError("MOVEMENT_RATE_LIMITED", "", { retry_after_ms: 120 })), ok]);
  await r.movement.press("UP");
  r.movement.release("UP");
  r.advance(119);
  const early = r.movement.tick();
  r.advance(1);
  await r.movement.tick();
  assert.deepEqual([early, r.sent, r.errors], [null, ["UP", "UP"], []]);
});

test("a blocked move is reported and not retried", async () => {
  const r = rig([() => Promise.reject(new GameError("MOVEMENT_BLOCKED"))]);
  await r.movement.press("LEFT");
  r.movement.release("LEFT");
  r.advance(1000);
  assert.deepEqual([r.movement.tick(), r.errors], [null, ["MOVEMENT_BLOCKED"]]);
});

test("holding a key against a wall sends no further moves that way", async () => {
  const r = rig([() => Promise.reject(new GameError("MOVEMENT_BLOCKED"))]);
  await r.movement.press("LEFT");
  r.advance(2000);
  assert.deepEqual([r.movement.tick(), r.sent], [null, ["LEFT"]]);
});

/** A route of fixed directions that records how it ended. */
function route_of(...directions) {
  const ends = [];
  return { ends, next: () => directions[0] || null, end: (outcome, err) => ends.push([outcome, err?.code ?? null]), step: () => directions.shift() };
}

function walking(r, route) {
  // The route moves on when a step succeeds, as a path recomputed from the new position would.
  const on_moved = r.movement.on_moved;
  r.movement.on_moved = (pos) => { route.step(); on_moved(pos); };
  r.movement.walk(route);
}

test("a route sends one step per reply and cooldown, then ends as done on arrival", async () => {
  const r = rig([ok, ok]);
  const route = route_of("RIGHT", "DOWN");
  walking(r, route);
  await null;
  r.advance(499);
  const early = r.movement.tick();
  r.advance(1);
  await r.movement.tick();
  assert.deepEqual([early, r.sent, route.ends, r.movement.route], [null, ["RIGHT", "DOWN"], [["done", null]], null]);
});

test("a key press cancels the route and takes over", async () => {
  const r = rig([ok, ok]);
  const route = route_of("RIGHT", "RIGHT", "RIGHT");
  walking(r, route);
  await null;
  r.advance(500);
  await r.movement.press("UP");
  assert.deepEqual([r.sent, route.ends], [["RIGHT", "UP"], [["cancelled", null]]]);
});

test("a new walk replaces the old one", async () => {
  const r = rig([ok]);
  const first = route_of("LEFT");
  const second = route_of("UP");
  r.movement.next_allowed = 100; // still cooling down from a previous move
  r.movement.walk(first);
  r.movement.walk(second);
  r.advance(100);
  await r.movement.tick();
  assert.deepEqual([r.sent, first.ends], [["UP"], [["cancelled", null]]]);
});

test("a blocked route step ends the walk with the error, reported once", async () => {
  const r = rig([() => Promise.reject(new GameError("MOVEMENT_BLOCKED"))]);
  const route = route_of("LEFT", "LEFT");
  walking(r, route);
  await null;
  await null;
  r.advance(1000);
  assert.deepEqual([r.movement.tick(), r.errors, route.ends], [null, ["MOVEMENT_BLOCKED"], [["error", "MOVEMENT_BLOCKED"]]]);
});

test("a rate-limited route step is asked for again after retry_after_ms", async () => {
  const r = rig([() => Promise.reject(new GameError("MOVEMENT_RATE_LIMITED", "", { retry_after_ms: 50 })), ok]);
  const route = route_of("DOWN");
  walking(r, route);
  await null;
  await null;
  r.advance(50);
  await r.movement.tick();
  assert.deepEqual([r.sent, r.errors, route.ends], [["DOWN", "DOWN"], [], [["done", null]]]);
});

test("reset (disconnect, welcome) cancels the route", () => {
  const r = rig([]);
  const route = route_of("UP");
  r.movement.enabled = false; // dead: nothing is sent
  r.movement.walk(route);
  r.movement.reset();
  assert.deepEqual([r.sent, route.ends], [[], [["cancelled", null]]]);
});

test("the cooldown is the welcome's move_cooldown_ms, 500 ms when absent or nonsense", () => {
  assert.deepEqual(
    [move_cooldown_of({ move_cooldown_ms: 250 }), move_cooldown_of({ move_cooldown_ms: 0 }), move_cooldown_of({}),
      move_cooldown_of({ move_cooldown_ms: "fast" }), move_cooldown_of({ move_cooldown_ms: -1 }), move_cooldown_of(null)],
    [250, 0, 500, 500, 500, 500]);
});

test("a held key moves again after the cooldown the server announced", async () => {
  const r = rig([ok, ok]);
  r.movement.cooldown_ms = move_cooldown_of({ move_cooldown_ms: 200 });
  await r.movement.press("RIGHT");
  r.advance(199);
  const early = r.movement.tick();
  r.advance(1);
  await r.movement.tick();
  assert.deepEqual([early, r.sent], [null, ["RIGHT", "RIGHT"]]);
});
