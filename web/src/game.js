// One logged-in game: the connection, the state it feeds, and the player's actions.

import { Connection, default_ws_url } from "./connection.js";
import { ChunkCache } from "./chunks.js";
import { load_map_assets } from "./map_assets.js";
import { PortalIndex, map_display_name, portal_label } from "./portals.js";
import { Renderer } from "./render.js";
import { Movement, move_cooldown_of } from "./movement.js";
import { Input } from "./input.js";
import { PathRoute, chebyshev } from "./walk.js";
import { parse_chat_input } from "./chat.js";
import { SidePanel } from "./ui_panels.js";
import { Hud } from "./ui_hud.js";
import { GameError } from "./errors.js";
import * as S from "./state.js";

const CHUNK_CHECK_MS = 250;

/** What the player reads after using an item. */
export function describe_use(reply, name) {
  const healed = /^restored_(\d+)_hp$/.exec(reply?.effect || "");
  if (reply?.result === "consumed") return healed ? `You eat the ${name}: +${healed[1]} HP.` : `You use the ${name}.`;
  if (reply?.result === "equipped") return `You equip the ${name}.`;
  return `You use the ${name}.`;
}

export class Game {
  /** on_auth_lost(message) sends the player back to the login screen. */
  constructor({ token, on_auth_lost }) {
    this.state = S.create_state();
    this.on_auth_lost = on_auth_lost;
    this.hud = new Hud(this.state);
    this.panel = new SidePanel(this.state, (name, ...args) => this.item_action(name, ...args));
    this.canvas = document.getElementById("game-canvas");
    this.chunks = new ChunkCache(
      (map_id, chunk_x, chunk_y, radius) => this.conn.request("query_chunks", { map_id, chunk_x, chunk_y, radius }),
      (chunk) => this.renderer.chunk_loaded(chunk),
    );
    this.renderer = new Renderer(this.canvas, this.state, this.chunks);
    // The marker on the destination of a click-to-walk, while walking.
    this.renderer.destination = () => (this.movement.route ? this.movement.route.target() : null);
    this.assets_for = null;   // the map whose tileset, portals and name are shown
    this.portals = new PortalIndex();
    this.movement = new Movement({
      send: (direction) => this.conn.request("cmd_move", { direction }),
      on_moved: (pos) => this._moved(pos),
      on_error: (err) => this.show_error(err),
    });
    this.conn = new Connection({
      url: default_ws_url(),
      token,
      handlers: {
        on_event: (type, payload) => this.on_event(type, payload),
        on_status: (status, info) => this.on_status(status, info),
        on_authenticated: (welcome) => this.on_welcome(welcome),
        on_auth_lost: (err) => this.stop(err.message),
      },
    });
    this.input = new Input({
      canvas: this.canvas,
      tile_at: (x, y) => this.renderer.tile_at(x, y),
      actions: {
        press: (direction) => this.movement.press(direction),
        release: (direction) => this.movement.release(direction),
        release_all: () => this.movement.release_all(),
        show_tab: (tab) => this.panel.show_tab(tab),
        hover: (tile) => { this.renderer.hover = tile; },
        click: (tile) => this._click_map(tile),
        menu: (tile, x, y) => this._map_menu(tile, x, y),
        send_chat: (text, channel, recipient) => this.send_chat(text, channel, recipient),
        logout: () => this.stop("You have logged out."),
        to_login: () => this.stop(""),
      },
    });
    this.running = false;
  }

  start() {
    this.running = true;
    this.hud.clear_chat();
    this.input.bind();
    this.conn.start();
    this.last_chunk_check = 0;
    const frame = (now) => {
      if (!this.running) return;
      this.movement.tick();
      if (now - this.last_chunk_check > CHUNK_CHECK_MS) {
        this.last_chunk_check = now;
        this._fetch_chunks();
      }
      this.renderer.draw(now);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** Leave the game; with a message the login screen explains why. */
  stop(message = "") {
    if (!this.running) return;
    this.running = false;
    this.movement.reset();
    this.conn.stop();
    this.input.unbind();
    this.hud.hide_death();
    this.hud.hide_shutdown();
    this.hud.hide_connection_overlay();
    this.on_auth_lost(message);
  }

  // --- from the server -------------------------------------------------

  on_status(status, info) {
    this.state.connection = status;
    this.hud.set_status(status, info);
    if (status !== "online") this.movement.reset();
  }

  on_welcome(welcome) {
    S.apply_welcome(this.state, welcome);
    this.hud.hide_shutdown();
    this.hud.hide_death();
    this.movement.reset();
    this.movement.cooldown_ms = move_cooldown_of(welcome);
    this.movement.enabled = true;
    this.chunks.reset(welcome.map_id);
    this._enter_map(welcome.map_id);
    this._fetch_chunks();
    this.changed();
  }

  /**
   * Show the map the player is on: its chunks, tileset, portals and name. Called
   * on login and on every map change (portal, respawn, teleport); a walk in
   * progress ends, as its destination was on the old map.
   */
  _enter_map(map_id) {
    if (!map_id || this.assets_for === map_id) return;
    this.assets_for = map_id;
    this.movement.stop_walk();
    this.chunks.reset(map_id);
    this.portals = new PortalIndex();
    this.renderer.enter_map(this.portals);
    this.state.map_name = map_display_name(map_id);
    load_map_assets(map_id).then((assets) => {
      if (this.assets_for !== map_id) return;
      this.renderer.set_assets(assets);
      this.portals = new PortalIndex(assets.portals);
      this.renderer.portals = this.portals;
      this.state.map_name = assets.name;
      this.hud.show_map_name(assets.name);
      this.changed();
    });
    this._fetch_chunks();
  }

  /** A cmd_move reply: new_position may be on another map (a portal). */
  _moved(pos) {
    const other_map = Boolean(pos.map_id) && S.change_map(this.state, pos.map_id);
    S.set_own_position(this.state, pos.x, pos.y);
    if (other_map) this._enter_map(pos.map_id);
    this.changed();
  }

  on_event(type, payload) {
    const st = this.state;
    switch (type) {
      case "event_chat_message":
        S.add_chat_line(st, {
          username: payload.username, message: payload.message,
          channel: payload.channel, recipient: payload.recipient, timestamp: payload.timestamp,
        });
        this.hud.chat_message(payload);
        break;
      case "event_game_update":
        this._note_damage(payload.entities || []);
        S.apply_game_update(st, payload);
        this._enter_map(st.map_id);
        break;
      case "event_skills":
        S.apply_skills(st, payload);
        break;
      case "event_inventory_update":
        S.apply_inventory_update(st, payload.inventory);
        break;
      case "event_equipment_update":
        S.apply_equipment_update(st, payload.equipment);
        break;
      case "event_ground_items_update":
        S.apply_ground_items_update(st, payload);
        break;
      case "event_player_died":
        this._player_died(payload);
        break;
      case "event_player_respawned":
        this._player_respawned(payload);
        break;
      case "event_server_shutdown":
        this.hud.show_shutdown(payload);
        this.hud.system_line(payload.message || "The server is shutting down.");
        break;
      case "resp_error":
        this.show_error({ message: payload.message || payload.error_code });
        break;
      default:
        console.debug("unhandled message", type, payload);
    }
    this.changed();
  }

  _note_damage(changes) {
    for (const change of changes) {
      const known = this.state.entities.get(String(change.id));
      if (!known || change.current_hp == null || known.current_hp == null) continue;
      const delta = change.current_hp - known.current_hp;
      if (delta < 0) this.renderer.float_text(known.id, String(-delta), "#ff5a4f");
      else if (delta > 0) this.renderer.float_text(known.id, `+${delta}`, "#7dff8a");
    }
  }

  _player_died(payload) {
    if (payload.player_id === this.state.player_id) {
      this.state.dead = payload;
      this.renderer.target_id = null;
      this.movement.stop_walk();
      this.movement.enabled = false;
      this.hud.show_death(payload);
    } else {
      const by = payload.killer && payload.killer.name ? ` by ${payload.killer.name}` : "";
      this.hud.system_line(`${payload.username} was killed${by}.`);
    }
  }

  _player_respawned(payload) {
    const id = `player_${payload.player_id}`;
    const entity = this.state.entities.get(id);
    const pos = payload.spawn_position || {};
    if (entity) {
      Object.assign(entity, { current_hp: payload.current_hp, max_hp: payload.max_hp, animation_state: "idle" });
      if (pos.x != null) Object.assign(entity, { x: pos.x, y: pos.y });
    }
    if (payload.player_id === this.state.player_id) {
      this.state.dead = null;
      this.movement.enabled = true;
      this.movement.reset();
      this.hud.hide_death();
      this.hud.system_line("You have respawned.");
      if (pos.map_id && S.change_map(this.state, pos.map_id)) this._enter_map(pos.map_id);
    }
  }

  changed() {
    this.hud.render();
    this.panel.render();
  }

  show_error(err) {
    const text = err.message || String(err);
    this.hud.toast(text);
    this.hud.error_line(text);
  }

  _fetch_chunks() {
    const me = S.own_entity(this.state);
    if (!me || !this.conn.authenticated) return;
    const [w, h] = this.renderer.view_tiles();
    const pending = this.chunks.ensure_around(me.x, me.y, w, h);
    if (pending) pending.catch((err) => this.show_error(err));
  }

  // --- the player's actions ----------------------------------------------

  async act(type, payload, success_text = null) {
    try {
      const reply = await this.conn.request(type, payload);
      if (success_text) this.hud.toast(success_text(reply), "info");
      return reply;
    } catch (err) {
      this.show_error(err);
      return null;
    }
  }

  item_action(name, slot, extra) {
    switch (name) {
      case "use": {
        const name = this.state.inventory[slot]?.name || "it";
        return this.act("cmd_inventory_use", { slot }, (reply) => describe_use(reply, name));
      }
      case "drop":
        if (extra != null && !(Number.isInteger(extra) && extra > 0)) {
          return this.show_error(new GameError("INVENTORY_INVALID_QUANTITY"));
        }
        return this.act("cmd_inventory_drop", extra == null ? { slot } : { slot, quantity: extra });
      case "equip":
        return this.act("cmd_equipment_equip", { inventory_slot: slot, equipment_slot: extra });
      case "unequip":
        return this.act("cmd_equipment_unequip", { equipment_slot: slot });
      default:
        return null;
    }
  }

  attack(entity) {
    this.renderer.target_id = entity.id;
    return this.act("cmd_attack", { target_id: entity.id, target_type: entity.type === "npc" ? "npc" : "player" })
      .then((reply) => { if (!reply) this.renderer.target_id = null; });
  }

  /**
   * Walk to target() (a tile, or next to it with reach 1) by the shortest path
   * over the loaded map, then on_arrive(). False, and nothing done, when there is
   * no such path of at most MAX_PATH_STEPS steps. A failed step is tried once
   * more along a path found afresh; then the walk stops.
   */
  walk_to(target, { reach = 0, on_arrive = () => {}, retries = 1 } = {}) {
    if (this.state.dead || !this.movement.enabled) return false;
    const route = new PathRoute({
      position: () => S.own_entity(this.state),
      target,
      blocked: (x, y) => this.chunks.blocked_at(x, y) !== false, // unknown counts as blocked
      avoid: (x, y) => this.portals.at(x, y) !== null, // onto a portal only when it is the destination
      reach,
      on_arrive,
      on_end: (_, outcome) => {
        if (outcome === "error" && retries > 0) this.walk_to(target, { reach, on_arrive, retries: retries - 1 });
      },
    });
    const path = route.path();
    if (!path) return false;
    if (path.length === 0) {
      this.movement.stop_walk();
      on_arrive();
    } else {
      this.movement.walk(route);
    }
    return true;
  }

  pick_up(ground_item) {
    return this.act("cmd_pickup_item", { ground_item_id: ground_item.ground_item_id });
  }

  send_chat(text, channel, recipient) {
    const parsed = parse_chat_input(text, channel, recipient);
    if (parsed.error) {
      this.show_error({ message: parsed.error });
      return Promise.resolve(false);
    }
    const { error, ...payload } = parsed;
    return this.act("cmd_chat_send", payload).then(Boolean);
  }

  // --- what a click or the map menu does ----------------------------------

  _click_map(tile) {
    this.canvas.focus();
    const me = S.own_entity(this.state);
    const npc = S.entities_at(this.state, tile.x, tile.y).find((e) => e.type === "npc");
    if (npc) {
      // Out of reach: walk next to it first; if there is no way, attack anyway and let the server say why not.
      const where = () => { const e = this.state.entities.get(npc.id); return e ? { x: e.x, y: e.y } : null; };
      if (me && chebyshev(me, npc) > 1 && this.walk_to(where, { reach: 1, on_arrive: () => this.attack(npc) })) return null;
      this.movement.stop_walk();
      return this.attack(npc);
    }
    const item = S.ground_items_at(this.state, tile.x, tile.y)[0];
    if (item) {
      const where = () => this.state.ground_items.get(String(item.ground_item_id)) || null;
      if (me && chebyshev(me, item) > 1 && this.walk_to(where, { reach: 1, on_arrive: () => this.pick_up(item) })) return null;
      this.movement.stop_walk();
      return this.pick_up(item);
    }
    if (!this.walk_to(() => tile)) this.movement.stop_walk(); // a new click ends the old walk, even one to nowhere
    return null;
  }

  _map_menu(tile, x, y) {
    const entries = [];
    const me = S.own_entity_id(this.state);
    for (const e of S.entities_at(this.state, tile.x, tile.y)) {
      if (e.id === me) continue;
      const name = e.type === "npc" ? e.name || e.id : e.username || e.id;
      entries.push([`Attack ${name}`, () => this.attack(e)]);
      if (e.type === "player" && e.username) {
        entries.push([`Whisper ${name}`, () => this.input.whisper(e.username)]);
      }
    }
    for (const g of S.ground_items_at(this.state, tile.x, tile.y)) {
      const qty = g.quantity > 1 ? ` ×${g.quantity}` : "";
      entries.push([`Take ${S.item_name(this.state, g.item_id)}${qty}`, () => this.pick_up(g)]);
    }
    const portal = this.portals.at(tile.x, tile.y);
    if (portal) entries.push([portal_label(portal), () => this.walk_to(() => tile) || this.show_error({ message: "No way there from here." })]);
    if (entries.length) this.panel.menu.open(x, y, `Tile ${tile.x}, ${tile.y}`, entries);
  }

  snapshot() {
    return S.snapshot(this.state);
  }
}
