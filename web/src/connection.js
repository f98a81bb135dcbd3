// The WebSocket conversation: MessagePack envelopes, correlation ids, a
// pending-request map with a timeout, and reconnection with exponential backoff.

import { encode, decode } from "@msgpack/msgpack";
import { GameError } from "./errors.js";

export const PROTOCOL_VERSION = "2.0";
export const REQUEST_TIMEOUT_MS = 5000;

// Close codes after which reconnecting would be wrong.
const CLOSE_LOGGED_IN_ELSEWHERE = 4001;
const CLOSE_POLICY = 1008;
// After SERVER_FULL: the server asks us to come back after retry_after_ms.
const CLOSE_TRY_AGAIN_LATER = 1013;
export const SERVER_FULL_DEFAULT_RETRY_MS = 10000;

/** Delay before reconnection attempt number `attempt` (0-based), with jitter. */
export function backoff_delay(attempt, base_ms = 500, max_ms = 15000, random = Math.random) {
  const ceiling = Math.min(max_ms, base_ms * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}

export function default_ws_url(loc = window.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/ws`;
}

/**
 * One logical connection to the server, surviving transport drops.
 *
 * handlers: on_event(type, payload, message), on_status(status, info),
 * on_authenticated(welcome_payload), on_auth_lost(error).
 */
export class Connection {
  constructor({ url, token, handlers, make_socket = (u) => new WebSocket(u) }) {
    this.url = url;
    this.token = token;
    this.handlers = handlers;
    this.make_socket = make_socket;
    this.pending = new Map();
    this.socket = null;
    this.attempt = 0;
    this.reconnect_timer = null;
    this.closed_by_us = false;
    this.authenticated = false;
    this.retry_after_ms = null; // set by SERVER_FULL, used by the close that follows
  }

  start() {
    this.closed_by_us = false;
    this._open();
  }

  stop() {
    this.closed_by_us = true;
    clearTimeout(this.reconnect_timer);
    this._fail_pending("CLIENT_DISCONNECTED");
    if (this.socket) {
      this.socket.close(1000, "bye");
      this.socket = null;
    }
  }

  /** Send a command or query; resolves with the reply's payload, rejects with a GameError. */
  request(type, payload = {}) {
    if (!this.socket || this.socket.readyState !== 1) {
      return Promise.reject(new GameError("CLIENT_DISCONNECTED"));
    }
    if (type !== "cmd_authenticate" && !this.authenticated) {
      return Promise.reject(new GameError("CLIENT_DISCONNECTED"));
    }
    const id = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GameError("CLIENT_TIMEOUT", `${type} timed out`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer, type });
      this.socket.send(encode({ id, type, payload, version: PROTOCOL_VERSION }));
    });
  }

  _open() {
    this.handlers.on_status("connecting", { attempt: this.attempt });
    let socket;
    try {
      socket = this.make_socket(this.url);
    } catch (err) {
      this._schedule_reconnect();
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => this._authenticate();
    socket.onmessage = (ev) => this._receive(ev.data);
    socket.onclose = (ev) => this._closed(socket, ev);
    socket.onerror = () => { /* onclose follows and decides */ };
  }

  async _authenticate() {
    try {
      const welcome = await this.request("cmd_authenticate", { token: this.token });
      this.authenticated = true;
      this.attempt = 0;
      this.handlers.on_status("online", {});
      this.handlers.on_authenticated(welcome);
    } catch (err) {
      if (err.code === "CLIENT_TIMEOUT" || err.code === "CLIENT_DISCONNECTED") {
        return; // the socket's close decides what comes next
      }
      if (err.code === "SERVER_FULL") {
        // The server closes with 1013 next; come back when it says.
        const wait = Number(err.details.retry_after_ms);
        this.retry_after_ms = wait >= 0 ? wait : SERVER_FULL_DEFAULT_RETRY_MS;
        return;
      }
      this.closed_by_us = true;
      if (this.socket) this.socket.close(1000, "authentication refused");
      this.handlers.on_auth_lost(err);
    }
  }

  _receive(data) {
    if (typeof data === "string") return; // the protocol is binary only
    let message;
    try {
      message = decode(new Uint8Array(data));
    } catch (err) {
      console.warn("undecodable frame", err);
      return;
    }
    if (!message || typeof message !== "object") return;
    const { id, type } = message;
    const payload = message.payload || {};
    if (id != null && this.pending.has(id)) {
      const entry = this.pending.get(id);
      this.pending.delete(id);
      clearTimeout(entry.timer);
      if (type === "resp_error") {
        entry.reject(new GameError(payload.error_code, payload.message, payload.details));
      } else {
        entry.resolve(payload);
      }
      return;
    }
    if (type === "resp_error") {
      // An error for no pending request (e.g. a malformed frame): still worth showing.
      this.handlers.on_event("resp_error", payload, message);
      return;
    }
    this.handlers.on_event(type, payload, message);
  }

  _closed(socket, ev) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.authenticated = false;
    this._fail_pending("CLIENT_DISCONNECTED");
    if (this.closed_by_us) {
      this.handlers.on_status("offline", { code: ev.code });
      return;
    }
    if (ev.code === CLOSE_LOGGED_IN_ELSEWHERE) {
      this.closed_by_us = true;
      this.handlers.on_status("replaced", { code: ev.code, reason: ev.reason });
      return;
    }
    if (this.retry_after_ms !== null || ev.code === CLOSE_TRY_AGAIN_LATER) {
      this._retry_when_told(this.retry_after_ms ?? SERVER_FULL_DEFAULT_RETRY_MS);
      return;
    }
    if (ev.code === CLOSE_POLICY && this.attempt > 2) {
      // The server keeps refusing us: a new login is needed.
      this.closed_by_us = true;
      this.handlers.on_auth_lost(new GameError("AUTHENTICATION_FAILED", ev.reason));
      return;
    }
    this._schedule_reconnect(ev);
  }

  _retry_when_told(delay) {
    // Not a failure of ours: the backoff and its attempt count stay as they were.
    this.retry_after_ms = null;
    this.handlers.on_status("server_full", { delay });
    clearTimeout(this.reconnect_timer);
    this.reconnect_timer = setTimeout(() => {
      if (!this.closed_by_us) this._open();
    }, delay);
  }

  _schedule_reconnect(ev = {}) {
    const delay = backoff_delay(this.attempt);
    this.attempt += 1;
    this.handlers.on_status("reconnecting", { delay, attempt: this.attempt, code: ev.code });
    clearTimeout(this.reconnect_timer);
    this.reconnect_timer = setTimeout(() => {
      if (!this.closed_by_us) this._open();
    }, delay);
  }

  _fail_pending(code) {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new GameError(code));
      this.pending.delete(id);
    }
  }
}
