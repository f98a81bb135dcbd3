import { test } from "node:test";
import assert from "node:assert/strict";
import { Input, key_action } from "../src/input.js";

/** A document with the game page's elements, a window and a canvas, all real EventTargets. */
function page() {
  const doc = { activeElement: null };
  class Element extends EventTarget {
    constructor(tagName) {
      super();
      const classes = new Set(tagName === "INPUT" ? ["hidden"] : []);
      Object.assign(this, { tagName, value: "", classList: {
        toggle: (name, on) => (on ? classes.add(name) : classes.delete(name)),
        remove: (name) => classes.delete(name),
        contains: (name) => classes.has(name),
      } });
    }
    focus() { doc.activeElement = this; }
    blur() { if (doc.activeElement === this) doc.activeElement = null; }
  }
  const elements = {
    "chat-input": new Element("INPUT"), "chat-form": new Element("FORM"),
    "chat-channel": new Element("SELECT"), "chat-recipient": new Element("INPUT"),
    "logout-button": new Element("BUTTON"), "connection-login": new Element("BUTTON"),
  };
  elements["chat-channel"].value = "local";
  doc.getElementById = (id) => elements[id];
  const canvas = new Element("CANVAS");
  canvas.getBoundingClientRect = () => ({ left: 10, top: 20 });
  const calls = [];
  const record = (name) => (...args) => { calls.push([name, ...args]); return Promise.resolve(true); };
  const actions = Object.fromEntries(["press", "release", "release_all", "show_tab", "hover", "click",
    "menu", "send_chat", "logout", "to_login"].map((name) => [name, record(name)]));
  const input = new Input({ win: new EventTarget(), doc, canvas, actions,
    tile_at: (x, y) => ({ x: Math.floor(x / 32), y: Math.floor(y / 32) }) });
  return { input, doc, elements, canvas, calls, actions };
}

function fire(target, type, fields = {}) {
  const ev = Object.assign(new Event(type, { cancelable: true }), fields);
  target.dispatchEvent(ev);
  return ev;
}

test("keys mean walking, a panel, the chat box or nothing, and only Escape while typing", () => {
  const k = (code, key = "", extra = {}) => ({ code, key, ...extra });
  assert.deepEqual(
    [key_action(k("ArrowUp"), false), key_action(k("KeyW", "w", { repeat: true }), false),
      key_action(k("KeyI", "i"), false), key_action(k("Enter", "Enter"), false),
      key_action(k("KeyD", "d", { ctrlKey: true }), false), key_action(k("KeyD", "d"), true),
      key_action(k("Escape", "Escape"), true), key_action(k("KeyQ", "q"), false)],
    [{ kind: "move", direction: "UP", repeat: false }, { kind: "move", direction: "UP", repeat: true },
      { kind: "tab", tab: "inventory" }, { kind: "chat" }, null, null, { kind: "blur" }, null]);
});

test("a held arrow key presses once, its release releases, and the page does not scroll", () => {
  const { input, calls } = page();
  input.bind();
  const first = fire(input.win, "keydown", { code: "ArrowLeft", key: "ArrowLeft" });
  fire(input.win, "keydown", { code: "ArrowLeft", key: "ArrowLeft", repeat: true });
  fire(input.win, "keyup", { code: "ArrowLeft" });
  fire(input.win, "blur");
  assert.equal(first.defaultPrevented, true);
  assert.deepEqual(calls, [["press", "LEFT"], ["release", "LEFT"], ["release_all"]]);
});

test("Enter opens the chat box; while typing keys do not walk, and Escape leaves the box", () => {
  const { input, doc, elements, calls } = page();
  input.bind();
  fire(input.win, "keydown", { code: "Enter", key: "Enter" });
  assert.equal(doc.activeElement, elements["chat-input"]);
  fire(input.win, "keydown", { code: "KeyW", key: "w" });
  fire(input.win, "keydown", { code: "Escape", key: "Escape" });
  assert.deepEqual([calls, doc.activeElement], [[], null]);
});

test("the map's mouse events name the tile under the pointer", () => {
  const { input, canvas, calls } = page();
  input.bind();
  fire(canvas, "mousemove", { clientX: 10 + 70, clientY: 20 + 40 });
  fire(canvas, "click", { clientX: 10 + 5, clientY: 20 + 100 });
  const menu = fire(canvas, "contextmenu", { clientX: 10 + 33, clientY: 20 + 0 });
  fire(canvas, "mouseleave");
  assert.equal(menu.defaultPrevented, true);
  assert.deepEqual(calls, [["hover", { x: 2, y: 1 }], ["click", { x: 0, y: 3 }],
    ["menu", { x: 1, y: 0 }, 43, 20], ["hover", null]]);
});

test("the chat form sends the text on its channel, then clears it and returns to walking", async () => {
  const { input, doc, elements, canvas, calls } = page();
  input.bind();
  elements["chat-channel"].value = "dm";
  elements["chat-recipient"].value = "bob";
  elements["chat-input"].value = "hello";
  fire(elements["chat-form"], "submit");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual([calls, elements["chat-input"].value, doc.activeElement],
    [[["send_chat", "hello", "dm", "bob"]], "", canvas]);
});

test("a chat message refused keeps its text in the box", async () => {
  const { input, elements, actions } = page();
  actions.send_chat = () => Promise.resolve(false);
  input.bind();
  elements["chat-input"].value = "/g hi";
  fire(elements["chat-form"], "submit");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(elements["chat-input"].value, "/g hi");
});

test("whisper opens the chat box on a direct message to that player", () => {
  const { input, doc, elements } = page();
  input.whisper("alice");
  assert.deepEqual(
    [elements["chat-channel"].value, elements["chat-recipient"].value,
      elements["chat-recipient"].classList.contains("hidden"), doc.activeElement],
    ["dm", "alice", false, elements["chat-input"]]);
});

test("unbind removes every listener: no key or button reaches the game afterwards", () => {
  const { input, elements, calls } = page();
  input.bind();
  input.bind(); // binding again does not double the listeners
  fire(input.win, "keydown", { code: "KeyS", key: "s" });
  input.unbind();
  fire(input.win, "keydown", { code: "KeyS", key: "s" });
  fire(elements["logout-button"], "click");
  assert.deepEqual([calls, input.listeners], [[["press", "DOWN"]], []]);
});
