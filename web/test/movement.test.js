import { test } from "node:test";
import assert from "node:assert/strict";
import { Movement, direction_for_key } from "../src/movement.js";
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
