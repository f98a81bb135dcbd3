// Walking: arrow keys and WASD, or a route (click-to-walk) taking one step at a
// time; one move in flight at a time, the server's cooldown (its welcome's
// move_cooldown_ms, 500 ms when absent) kept client-side, and
// MOVEMENT_RATE_LIMITED's retry_after_ms obeyed.

/** The cooldown assumed when the server does not say (the spec's default). */
export const MOVE_COOLDOWN_MS = 500;

/** The move cooldown an event_welcome payload announces, else MOVE_COOLDOWN_MS. */
export function move_cooldown_of(welcome) {
  const ms = welcome ? welcome.move_cooldown_ms : undefined;
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : MOVE_COOLDOWN_MS;
}

const KEY_DIRECTIONS = Object.freeze({
  ArrowUp: "UP", KeyW: "UP",
  ArrowDown: "DOWN", KeyS: "DOWN",
  ArrowLeft: "LEFT", KeyA: "LEFT",
  ArrowRight: "RIGHT", KeyD: "RIGHT",
});

export function direction_for_key(code) {
  return KEY_DIRECTIONS[code] || null;
}

export class Movement {
  /**
   * send(direction) resolves with the resp_success payload or rejects with a GameError;
   * on_moved(new_position) and on_error(err) report the outcome.
   */
  constructor({ send, on_moved, on_error, now = () => performance.now(), cooldown_ms = MOVE_COOLDOWN_MS }) {
    this.send = send;
    this.on_moved = on_moved;
    this.on_error = on_error;
    this.now = now;
    this.cooldown_ms = cooldown_ms;
    this.held = [];          // directions of keys held down, latest last
    this.queued = null;      // a tap not yet sent
    this.in_flight = false;
    this.next_allowed = 0;
    this.enabled = true;
    this.route = null;       // a walk in progress: see walk()
  }

  /**
   * Walk a route: route.next() gives the next direction, or null to stop
   * there; it is asked again for every step, once that step is allowed, so it
   * can follow what changed meanwhile. route.end(outcome, err) is called once:
   * "done" when next() said null, "error" when a step failed (err, besides
   * on_error), "cancelled" by a key, another walk, stop_walk() or reset().
   */
  walk(route) {
    this.stop_walk();
    this.route = route;
    this.tick();
  }

  stop_walk(outcome = "cancelled", err = null) {
    const route = this.route;
    this.route = null;
    if (route) route.end(outcome, err);
  }

  press(direction) {
    this.stop_walk();
    if (!this.held.includes(direction)) this.held.push(direction);
    this.queued = direction;
    this.tick();
  }

  release(direction) {
    this.held = this.held.filter((d) => d !== direction);
  }

  release_all() {
    this.held = [];
  }

  reset() {
    this.stop_walk();
    this.held = [];
    this.queued = null;
    this.in_flight = false;
    this.next_allowed = 0;
  }

  /** Called often (every frame): sends the next move when allowed. */
  tick() {
    if (!this.enabled || this.in_flight || this.now() < this.next_allowed) return null;
    if (this.route && (this.queued || this.held.length)) this.stop_walk(); // keys win
    let direction = this.queued || this.held[this.held.length - 1] || null;
    const route = direction ? null : this.route;
    if (route) {
      direction = route.next();
      if (!direction) {
        this.stop_walk("done");
        return null;
      }
    }
    if (!direction) return null;
    this.queued = null;
    this.in_flight = true;
    return this.send(direction).then(
      (payload) => {
        this.in_flight = false;
        // Counted from the reply, so the server (which counts from when it moved us) agrees.
        this.next_allowed = this.now() + this.cooldown_ms;
        if (payload && payload.new_position) this.on_moved(payload.new_position);
        // Arrived: say so now rather than one cooldown later.
        if (route && route === this.route && !route.next()) this.stop_walk("done");
      },
      (err) => {
        this.in_flight = false;
        if (err.code === "MOVEMENT_RATE_LIMITED") {
          const wait = Number(err.details && err.details.retry_after_ms);
          this.next_allowed = this.now() + (Number.isFinite(wait) ? wait : this.cooldown_ms);
          // Try the same step again when allowed (a route asks its next() again).
          if (!this.queued && !route) this.queued = direction;
          return;
        }
        // Blocked, off the map or lost: wait one cooldown rather than hammer the server,
        // and walk into the same wall again only on a new key press.
        this.next_allowed = this.now() + this.cooldown_ms;
        if (err.code === "MOVEMENT_BLOCKED" || err.code === "MOVEMENT_OUT_OF_BOUNDS") this.release(direction);
        this.on_error(err);
        if (route && route === this.route) this.stop_walk("error", err);
      },
    );
  }
}
