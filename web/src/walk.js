// Click-to-walk: a destination as a route for Movement.walk(). The path is found
// again before every step, from where the player now stands, so the walk follows
// a target that moves and uses map chunks as they arrive.

import { find_path } from "./path.js";

/** Chebyshev distance: what melee range and pickup range measure. */
export function chebyshev(a, b) {
  return Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y));
}

export class PathRoute {
  /**
   * position() and target() give {x, y}, or null (not known yet, or the target is
   * gone); blocked(x, y) as find_path takes it; reach 0 walks onto the target, 1 next
   * to it. avoid(x, y) is true for a tile the path may end on but not cross (a
   * portal: stepping on one takes the player away). on_arrive() runs when the walk
   * ends there; on_end(route, outcome, err) whenever it ends (Movement's outcomes:
   * "done", "error", "cancelled").
   */
  constructor({ position, target, blocked, avoid = () => false, reach = 0, on_arrive = () => {}, on_end = () => {} }) {
    Object.assign(this, { position, target, blocked, avoid, reach, on_arrive, on_end });
  }

  /** The directions still to walk, [] when there, null when it cannot be walked. */
  path() {
    const me = this.position();
    const goal = this.target();
    if (!me || !goal) return null;
    const is_goal = (x, y) => this.reach === 0 && x === goal.x && y === goal.y;
    const blocked = (x, y) => this.blocked(x, y) || (this.avoid(x, y) && !is_goal(x, y));
    return find_path(me, goal, blocked, { reach: this.reach });
  }

  next() {
    const path = this.path();
    return path && path.length ? path[0] : null;
  }

  end(outcome, err) {
    if (outcome === "done" && this.path()?.length === 0) this.on_arrive();
    this.on_end(this, outcome, err);
  }
}
