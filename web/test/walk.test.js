import { test } from "node:test";
import assert from "node:assert/strict";
import { PathRoute, chebyshev } from "../src/walk.js";

function route_to(target, opts = {}) {
  const me = { x: 0, y: 0 };
  const log = [];
  const route = new PathRoute({
    position: () => me, target: () => target, blocked: () => false,
    on_arrive: () => log.push("arrived"), on_end: (_, outcome) => log.push(outcome), ...opts,
  });
  return { me, log, route };
}

test("the next step is found again from where the player now stands", () => {
  const { me, route } = route_to({ x: 2, y: 0 });
  const first = route.next();
  me.x = 1;
  me.y = 1; // the server put the player elsewhere
  assert.deepEqual([first, route.next()], ["RIGHT", "UP"]);
});

test("ending done on the target arrives; ending elsewhere or cancelled does not", () => {
  const there = route_to({ x: 0, y: 0 });
  there.route.end("done");
  const short = route_to({ x: 5, y: 0 });
  short.route.end("done");
  short.route.end("cancelled");
  assert.deepEqual([there.log, short.log], [["arrived", "done"], ["done", "cancelled"]]);
});

test("reach 1 stops next to the target; a target gone stops the walk", () => {
  const next_to = route_to({ x: 1, y: 1 }, { reach: 1 });
  const gone = route_to(null);
  assert.deepEqual([next_to.route.path(), gone.route.next()], [[], null]);
});

test("chebyshev counts diagonals as one", () => {
  assert.deepEqual([chebyshev({ x: 0, y: 0 }, { x: 1, y: 1 }), chebyshev({ x: 3, y: 1 }, { x: 0, y: 0 })], [1, 3]);
});

test("a path walks round a portal tile, but onto it when the portal is the destination", () => {
  const portal = (x, y) => x === 1 && y === 0;
  const around = route_to({ x: 2, y: 0 }, { avoid: portal });
  const onto = route_to({ x: 1, y: 0 }, { avoid: portal });
  const next_to = route_to({ x: 1, y: 0 }, { avoid: portal, reach: 1 });
  assert.deepEqual([around.route.path().length, onto.route.path(), next_to.route.path()], [4, ["RIGHT"], []]);
});
