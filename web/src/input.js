// The player's input: keys (walking, panels, the chat box), the mouse on the
// map, the chat form and the buttons, turned into calls on the game's actions.
// bind() adds every listener, unbind() removes them all.

import { direction_for_key } from "./movement.js";

const PANEL_KEYS = Object.freeze({ KeyI: "inventory", KeyE: "equipment", KeyK: "skills" });
const FORM_FIELDS = Object.freeze(["INPUT", "SELECT", "TEXTAREA"]);

/**
 * What a keydown means, given whether a form field has focus (typing):
 * { kind: "blur" } (Escape leaves the field), { kind: "chat" } (Enter opens the
 * chat box), { kind: "tab", tab }, { kind: "move", direction, repeat }, or null
 * when it is not the game's (typing, or with Ctrl, Meta or Alt held).
 */
export function key_action(ev, typing) {
  if (ev.key === "Escape" && typing) return { kind: "blur" };
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return null;
  if (ev.key === "Enter") return { kind: "chat" };
  const tab = PANEL_KEYS[ev.code];
  if (tab) return { kind: "tab", tab };
  const direction = direction_for_key(ev.code);
  return direction ? { kind: "move", direction, repeat: Boolean(ev.repeat) } : null;
}

export class Input {
  /**
   * win and doc: the window and the document (the chat form, the buttons and the
   * focus are found there by id); canvas: the map; tile_at(x, y): the tile under
   * the canvas pixel (x, y). actions: press(direction), release(direction),
   * release_all(), show_tab(tab), hover(tile or null), click(tile),
   * menu(tile, client_x, client_y), send_chat(text, channel, recipient) resolving
   * true once sent, logout(), to_login().
   */
  constructor({ win = window, doc = document, canvas, tile_at, actions }) {
    Object.assign(this, { win, doc, canvas, tile_at, actions });
    this.listeners = [];
  }

  typing() {
    return FORM_FIELDS.includes(this.doc.activeElement?.tagName);
  }

  bind() {
    this.unbind();
    const { win, doc, canvas, actions } = this;
    const chat_input = doc.getElementById("chat-input");
    this._on(win, "keydown", (ev) => {
      const action = key_action(ev, this.typing());
      if (!action) return;
      switch (action.kind) {
        case "blur":
          doc.activeElement.blur();
          break;
        case "chat":
          ev.preventDefault();
          chat_input.focus();
          break;
        case "tab":
          actions.show_tab(action.tab);
          break;
        case "move":
          ev.preventDefault();
          if (!action.repeat) actions.press(action.direction);
          break;
      }
    });
    this._on(win, "keyup", (ev) => {
      const direction = direction_for_key(ev.code);
      if (direction) actions.release(direction);
    });
    this._on(win, "blur", () => actions.release_all());

    const tile_of = (ev) => {
      const rect = canvas.getBoundingClientRect();
      return this.tile_at(ev.clientX - rect.left, ev.clientY - rect.top);
    };
    this._on(canvas, "mousemove", (ev) => actions.hover(tile_of(ev)));
    this._on(canvas, "mouseleave", () => actions.hover(null));
    this._on(canvas, "click", (ev) => actions.click(tile_of(ev)));
    this._on(canvas, "contextmenu", (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      actions.menu(tile_of(ev), ev.clientX, ev.clientY);
    });

    const form = doc.getElementById("chat-form");
    const channel = doc.getElementById("chat-channel");
    const recipient = doc.getElementById("chat-recipient");
    this._on(channel, "change", () => {
      recipient.classList.toggle("hidden", channel.value !== "dm");
      (channel.value === "dm" && !recipient.value ? recipient : chat_input).focus();
    });
    this._on(form, "submit", async (ev) => {
      ev.preventDefault();
      const text = chat_input.value;
      if (!text.trim()) return chat_input.blur();
      if (await actions.send_chat(text, channel.value, recipient.value)) {
        chat_input.value = "";
        canvas.focus(); // Enter sends and goes back to walking
      }
      return null;
    });
    this._on(doc.getElementById("logout-button"), "click", () => actions.logout());
    this._on(doc.getElementById("connection-login"), "click", () => actions.to_login());
  }

  unbind() {
    for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
    this.listeners = [];
  }

  /** Open the chat box on a direct message to username. */
  whisper(username) {
    const recipient = this.doc.getElementById("chat-recipient");
    this.doc.getElementById("chat-channel").value = "dm";
    recipient.value = username;
    recipient.classList.remove("hidden");
    this.doc.getElementById("chat-input").focus();
  }

  _on(target, type, fn) {
    target.addEventListener(type, fn);
    this.listeners.push([target, type, fn]);
  }
}
