// Click-to-walk paths: A* over the tiles, in the four directions cmd_move takes.
// Pure: the caller says which tiles are blocked (a tile whose chunk is not loaded
// counts as blocked, so a path never guesses at the unknown).

export const MAX_PATH_STEPS = 64;

const STEPS = Object.freeze([
  ["UP", 0, -1], ["DOWN", 0, 1], ["LEFT", -1, 0], ["RIGHT", 1, 0],
]);

/** How far (x, y) is from within `reach` (Chebyshev) of goal in 4-directional steps. */
function steps_short(x, y, goal, reach) {
  return Math.max(0, Math.abs(goal.x - x) - reach) + Math.max(0, Math.abs(goal.y - y) - reach);
}

/** A binary min-heap of [f, h, order, node], smallest f, then h, then oldest first. */
class Heap {
  constructor() {
    this.items = [];
  }

  get size() {
    return this.items.length;
  }

  static less(a, b) {
    return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  }

  push(item) {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (Heap.less(items[parent], items[i]) <= 0) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }

  pop() {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let least = i;
        if (l < items.length && Heap.less(items[l], items[least]) < 0) least = l;
        if (r < items.length && Heap.less(items[r], items[least]) < 0) least = r;
        if (least === i) break;
        [items[least], items[i]] = [items[i], items[least]];
        i = least;
      }
    }
    return top;
  }
}

/**
 * The shortest walk from start to goal as a list of directions ("UP", "DOWN",
 * "LEFT", "RIGHT"): [] when already there, null when the goal cannot be reached
 * in at most max_steps steps (walls, unknown tiles, or simply too far).
 *
 * blocked(x, y) is true for a tile the player cannot enter. reach is the
 * Chebyshev distance from goal that counts as there: 0 for a tile, 1 for
 * "next to it" (melee range, pickup range), in which case the goal itself need
 * not be walkable. The start tile is never checked.
 */
export function find_path(start, goal, blocked, { reach = 0, max_steps = MAX_PATH_STEPS } = {}) {
  const h0 = steps_short(start.x, start.y, goal, reach);
  if (h0 === 0) return [];
  if (h0 > max_steps) return null;
  const key = (x, y) => `${x},${y}`;
  const came_from = new Map([[key(start.x, start.y), null]]);
  const cost = new Map([[key(start.x, start.y), 0]]);
  const open = new Heap();
  let order = 0;
  open.push([h0, h0, order++, { x: start.x, y: start.y, g: 0 }]);
  while (open.size) {
    const [, h, , node] = open.pop();
    const here = key(node.x, node.y);
    if (cost.get(here) < node.g) continue; // a stale entry: a cheaper way here was found
    if (h === 0) return walk_back(came_from, here);
    if (node.g >= max_steps) continue;
    for (const [direction, dx, dy] of STEPS) {
      const x = node.x + dx;
      const y = node.y + dy;
      const there = key(x, y);
      const g = node.g + 1;
      if (cost.has(there) && cost.get(there) <= g) continue;
      if (blocked(x, y)) continue;
      const h_there = steps_short(x, y, goal, reach);
      if (g + h_there > max_steps) continue;
      cost.set(there, g);
      came_from.set(there, [here, direction]);
      open.push([g + h_there, h_there, order++, { x, y, g }]);
    }
  }
  return null;
}

function walk_back(came_from, end) {
  const directions = [];
  for (let step = came_from.get(end); step; step = came_from.get(step[0])) directions.push(step[1]);
  return directions.reverse();
}

/** The tile one step in a direction from (x, y). */
export function step_from({ x, y }, direction) {
  const [, dx, dy] = STEPS.find(([d]) => d === direction);
  return { x: x + dx, y: y + dy };
}
