// Walking: arrow keys and WASD, one move in flight at a time, the server's
// 500 ms cooldown kept client-side, and MOVEMENT_RATE_LIMITED's retry_after_ms obeyed.

export const MOVE_COOLDOWN_MS = 500;

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
  }

  press(direction) {
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
    this.held = [];
    this.queued = null;
    this.in_flight = false;
    this.next_allowed = 0;
  }

  /** Called often (every frame): sends the next move when allowed. */
  tick() {
    if (!this.enabled || this.in_flight || this.now() < this.next_allowed) return null;
    const direction = this.queued || this.held[this.held.length - 1] || null;
    if (!direction) return null;
    this.queued = null;
    this.in_flight = true;
    return this.send(direction).then(
      (payload) => {
        this.in_flight = false;
        // Counted from the reply, so the server (which counts from when it moved us) agrees.
        this.next_allowed = this.now() + this.cooldown_ms;
        if (payload && payload.new_position) this.on_moved(payload.new_position);
      },
      (err) => {
        this.in_flight = false;
        if (err.code === "MOVEMENT_RATE_LIMITED") {
          const wait = Number(err.details && err.details.retry_after_ms);
          this.next_allowed = this.now() + (Number.isFinite(wait) ? wait : this.cooldown_ms);
          if (!this.queued) this.queued = direction; // try the same step again when allowed
          return;
        }
        // Blocked, off the map or lost: wait one cooldown rather than hammer the server,
        // and walk into the same wall again only on a new key press.
        this.next_allowed = this.now() + this.cooldown_ms;
        if (err.code === "MOVEMENT_BLOCKED" || err.code === "MOVEMENT_OUT_OF_BOUNDS") this.release(direction);
        this.on_error(err);
      },
    );
  }
}
