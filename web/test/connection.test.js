import { test, mock, afterEach } from "node:test";
import assert from "node:assert/strict";
import { encode, decode } from "@msgpack/msgpack";
import { Connection, backoff_delay, REQUEST_TIMEOUT_MS } from "../src/connection.js";

class FakeSocket {
  constructor() { this.sent = []; this.readyState = 0; }
  send(bytes) { this.sent.push(decode(bytes)); }
  close(code) { this.readyState = 3; this.onclose({ code }); }
  open() { this.readyState = 1; this.onopen(); }
  receive(message) { this.onmessage({ data: encode({ version: "2.0", ...message }).slice().buffer }); }
}

const live = [];
afterEach(() => { while (live.length) live.pop().stop(); });

function rig() {
  const sockets = [];
  const seen = { events: [], statuses: [], welcomes: [], lost: [] };
  const conn = new Connection({
    url: "ws://test/ws",
    token: "tok",
    make_socket: () => { const s = new FakeSocket(); sockets.push(s); return s; },
    handlers: {
      on_event: (type, payload) => seen.events.push([type, payload]),
      on_status: (status) => seen.statuses.push(status),
      on_authenticated: (w) => seen.welcomes.push(w),
      on_auth_lost: (err) => seen.lost.push(err.code),
    },
  });
  live.push(conn);
  return { conn, sockets, seen };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function authenticated() {
  const r = rig();
  r.conn.start();
  r.sockets[0].open();
  const auth = r.sockets[0].sent[0];
  r.sockets[0].receive({ id: auth.id, type: "event_welcome", payload: { player_id: 1 } });
  await tick();
  return r;
}

test("connecting sends cmd_authenticate with the token in a 2.0 envelope", () => {
  const r = rig();
  r.conn.start();
  r.sockets[0].open();
  const { id, ...rest } = r.sockets[0].sent[0];
  assert.deepEqual([typeof id, rest], ["string", { type: "cmd_authenticate", payload: { token: "tok" }, version: "2.0" }]);
});

test("event_welcome answering cmd_authenticate completes the login", async () => {
  const r = await authenticated();
  assert.deepEqual([r.seen.welcomes, r.seen.statuses.at(-1)], [[{ player_id: 1 }], "online"]);
});

test("a reply resolves the request with the same correlation id", async () => {
  const r = await authenticated();
  const pending = r.conn.request("query_inventory");
  const sent = r.sockets[0].sent.at(-1);
  r.sockets[0].receive({ id: sent.id, type: "resp_success", payload: { inventory: {} } });
  assert.deepEqual(await pending, { inventory: {} });
});

test("resp_error rejects the request with its code and details", async () => {
  const r = await authenticated();
  const pending = r.conn.request("cmd_move", { direction: "UP" });
  const sent = r.sockets[0].sent.at(-1);
  r.sockets[0].receive({ id: sent.id, type: "resp_error", payload: { error_code: "MOVEMENT_BLOCKED", message: "no", details: { collision: true } } });
  await assert.rejects(pending, (err) => err.code === "MOVEMENT_BLOCKED" && err.details.collision === true);
});

test("a request without a reply fails after 5 seconds", async () => {
  const r = await authenticated();
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const pending = r.conn.request("query_equipment");
    mock.timers.tick(REQUEST_TIMEOUT_MS);
    await assert.rejects(pending, (err) => err.code === "CLIENT_TIMEOUT");
  } finally {
    mock.timers.reset();
  }
});

test("events are handed on by type", async () => {
  const r = await authenticated();
  r.sockets[0].receive({ id: null, type: "event_skills", payload: { skills: [] } });
  assert.deepEqual(r.seen.events, [["event_skills", { skills: [] }]]);
});

test("a dropped connection reconnects and authenticates again", async () => {
  const r = await authenticated();
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    r.sockets[0].close(1006);
    mock.timers.tick(backoff_delay(0, 500, 15000, () => 1));
    r.sockets[1].open();
    assert.equal(r.sockets[1].sent[0].type, "cmd_authenticate");
  } finally {
    mock.timers.reset();
  }
});

test("an expired token during authentication goes back to login", async () => {
  const r = rig();
  r.conn.start();
  r.sockets[0].open();
  const auth = r.sockets[0].sent[0];
  r.sockets[0].receive({ id: auth.id, type: "resp_error", payload: { error_code: "AUTHENTICATION_EXPIRED_TOKEN", message: "expired" } });
  await tick();
  assert.deepEqual([r.seen.lost, r.sockets.length], [["AUTHENTICATION_EXPIRED_TOKEN"], 1]);
});

test("SERVER_FULL then close 1013 shows server full and retries after retry_after_ms", async () => {
  const r = rig();
  const statuses = [];
  r.conn.handlers.on_status = (status, info) => statuses.push([status, info]);
  r.conn.start();
  r.sockets[0].open();
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const auth = r.sockets[0].sent[0];
    r.sockets[0].receive({ id: auth.id, type: "resp_error",
      payload: { error_code: "SERVER_FULL", message: "full", details: { retry_after_ms: 3000 } } });
    await tick();
    r.sockets[0].close(1013);
    assert.deepEqual(statuses.at(-1), ["server_full", { delay: 3000 }]);
    mock.timers.tick(2999);
    assert.equal(r.sockets.length, 1);
    mock.timers.tick(1);
    assert.equal(r.sockets.length, 2);
    r.sockets[1].open();
    assert.equal(r.sockets[1].sent[0].type, "cmd_authenticate");
    assert.deepEqual([r.seen.lost, r.conn.attempt], [[], 0]);
  } finally {
    mock.timers.reset();
  }
});

test("a bare close 1013 also waits before retrying", () => {
  const r = rig();
  const statuses = [];
  r.conn.handlers.on_status = (status, info) => statuses.push([status, info]);
  r.conn.start();
  r.sockets[0].open();
  r.sockets[0].close(1013);
  assert.deepEqual(statuses.at(-1), ["server_full", { delay: 10000 }]);
});

test("backoff doubles per attempt up to its ceiling", () => {
  const most = (n) => backoff_delay(n, 500, 15000, () => 1);
  assert.deepEqual([0, 1, 2, 3, 10].map(most), [500, 1000, 2000, 4000, 15000]);
});
