// Everything drawn over the map: HUD, chat log, toasts, death / shutdown /
// connection overlays.

import { own_entity } from "./state.js";
import { format_chat_line } from "./chat.js";

const TOAST_MS = 3500;
const TOAST_REPEAT_MS = 1500;
const MAP_BANNER_MS = 3000;

const $ = (id) => document.getElementById(id);

export class Hud {
  constructor(state) {
    this.state = state;
    this.last_toast = { text: "", at: 0 };
    this.chat_log = $("chat-log");
    this.shutdown_timer = null;
  }

  render() {
    const me = own_entity(this.state);
    $("hud-name").textContent = this.state.username || "";
    $("hud-map").textContent = this.state.map_name || "";
    if (me) {
      const hp = me.current_hp ?? 0;
      const max = me.max_hp || 1;
      $("hud-hp-fill").style.width = `${Math.max(0, Math.min(100, (hp / max) * 100))}%`;
      $("hud-hp-text").textContent = `${hp} / ${max}`;
      $("hud-position").textContent = `${this.state.map_id} · ${me.x}, ${me.y}`;
    }
  }

  /** The map's name, shown large for a few seconds on arrival (login, portal, respawn). */
  show_map_name(name) {
    const banner = $("map-banner");
    banner.textContent = name;
    banner.classList.remove("hidden", "fade");
    void banner.offsetWidth; // restart the fade
    banner.classList.add("fade");
    clearTimeout(this.map_banner_timer);
    this.map_banner_timer = setTimeout(() => banner.classList.add("hidden"), MAP_BANNER_MS);
  }

  toast(text, kind = "error") {
    const now = performance.now();
    if (text === this.last_toast.text && now - this.last_toast.at < TOAST_REPEAT_MS) return;
    this.last_toast = { text, at: now };
    const el = document.createElement("div");
    el.className = `toast ${kind}`;
    el.dataset.testid = "toast";
    el.textContent = text;
    const box = $("toasts");
    box.append(el);
    while (box.children.length > 4) box.firstChild.remove();
    setTimeout(() => el.remove(), TOAST_MS);
  }

  /** Append one line to the chat log; kind is a channel name or "error". */
  chat_line({ channel, who, text }) {
    const li = document.createElement("li");
    li.className = channel;
    li.dataset.testid = "chat-line";
    if (who) {
      const w = document.createElement("span");
      w.className = "who";
      w.textContent = who;
      li.append(w);
    }
    li.append(document.createTextNode(text));
    const log = this.chat_log;
    const at_bottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
    log.append(li);
    while (log.children.length > 200) log.firstChild.remove();
    if (at_bottom) log.scrollTop = log.scrollHeight;
  }

  chat_message(payload) {
    this.chat_line(format_chat_line(payload, this.state.username));
  }

  system_line(text) {
    this.chat_line({ channel: "system", who: "", text });
  }

  error_line(text) {
    const now = performance.now();
    const last = this.last_error_line;
    if (last && last.text === text && now - last.at < TOAST_REPEAT_MS * 2) return;
    this.last_error_line = { text, at: now };
    this.chat_line({ channel: "error", who: "", text });
  }

  clear_chat() {
    this.chat_log.replaceChildren();
  }

  set_status(status, info = {}) {
    const el = $("connection-status");
    el.className = `status ${status}`;
    el.textContent = {
      online: "online",
      connecting: "connecting…",
      reconnecting: `reconnecting in ${Math.ceil((info.delay || 0) / 1000)} s`,
      offline: "offline",
      replaced: "logged in elsewhere",
      server_full: `server full, retrying in ${Math.ceil((info.delay || 0) / 1000)} s`,
    }[status] || status;
    const overlay = $("connection-overlay");
    if (status === "reconnecting") {
      $("connection-title").textContent = "Connection lost";
      $("connection-text").textContent = `Reconnecting in ${Math.ceil(info.delay / 1000)} s (attempt ${info.attempt})…`;
      $("connection-login").classList.add("hidden");
      overlay.classList.remove("hidden");
    } else if (status === "server_full") {
      $("connection-title").textContent = "Server full";
      $("connection-text").textContent = `Server full, retrying in ${Math.ceil(info.delay / 1000)} s…`;
      $("connection-login").classList.add("hidden");
      overlay.classList.remove("hidden");
    } else if (status === "replaced") {
      $("connection-title").textContent = "Logged in elsewhere";
      $("connection-text").textContent = "This character was logged in from another window.";
      $("connection-login").classList.remove("hidden");
      overlay.classList.remove("hidden");
    } else if (status === "online") {
      overlay.classList.add("hidden");
    }
  }

  hide_connection_overlay() {
    $("connection-overlay").classList.add("hidden");
  }

  show_death(payload) {
    const killer = payload.killer && payload.killer.name ? ` by ${payload.killer.name}` : "";
    const where = payload.death_position ? ` at ${payload.death_position.x}, ${payload.death_position.y}` : "";
    $("death-text").textContent = `You were killed${killer}${where}. Your items lie where you fell.`;
    $("death-overlay").classList.remove("hidden");
  }

  hide_death() {
    $("death-overlay").classList.add("hidden");
  }

  show_shutdown(payload) {
    const banner = $("shutdown-banner");
    let seconds = Number(payload.seconds) || 0;
    const message = payload.message || "The server is shutting down.";
    const paint = () => {
      banner.textContent = seconds > 0 ? `${message} (${seconds} s)` : message;
    };
    paint();
    banner.classList.remove("hidden");
    clearInterval(this.shutdown_timer);
    this.shutdown_timer = setInterval(() => {
      seconds -= 1;
      paint();
      if (seconds <= 0) clearInterval(this.shutdown_timer);
    }, 1000);
  }

  hide_shutdown() {
    clearInterval(this.shutdown_timer);
    $("shutdown-banner").classList.add("hidden");
  }
}
