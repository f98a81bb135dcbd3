// The client's picture of the game, built only from what the server says.
// Pure data and functions (no DOM), so it can be tested under Node.

export const INVENTORY_SLOTS = 28;
export const EQUIPMENT_SLOTS = Object.freeze([
  "head", "cape", "neck", "weapon", "body", "shield", "legs", "hands", "feet", "ring", "ammo",
]);
export const SKILL_NAMES = Object.freeze([
  "attack", "strength", "defense", "hitpoints", "ranged", "magic", "prayer", "woodcutting", "mining",
]);
export const CHAT_HISTORY = 200;

export function create_state() {
  return {
    player_id: null,
    username: null,
    map_id: null,
    map_name: null,           // the map's display name, once its TMX is read
    entities: new Map(),      // id -> entity (own player included, as "player_<id>")
    inventory: new Array(INVENTORY_SLOTS).fill(null),
    equipment: Object.fromEntries(EQUIPMENT_SLOTS.map((s) => [s, null])),
    skills: [],
    ground_items: new Map(),  // ground_item_id -> ground item
    item_names: new Map(),    // item_id -> name, learned from inventory and equipment
    chat: [],
    dead: null,               // the event_player_died payload while dead
    connection: "offline",
  };
}

export function own_entity_id(state) {
  return state.player_id == null ? null : `player_${state.player_id}`;
}

export function own_entity(state) {
  return state.entities.get(own_entity_id(state)) || null;
}

/** A fresh session begins: everything the server re-sends after welcome is forgotten. */
export function apply_welcome(state, welcome) {
  state.player_id = welcome.player_id;
  state.username = welcome.username;
  if (welcome.map_id !== state.map_id) state.map_name = null;
  state.map_id = welcome.map_id;
  state.entities.clear();
  state.ground_items.clear();
  state.inventory.fill(null);
  for (const slot of EQUIPMENT_SLOTS) state.equipment[slot] = null;
  state.dead = null;
  state.entities.set(own_entity_id(state), {
    id: own_entity_id(state),
    type: "player",
    player_id: welcome.player_id,
    username: welcome.username,
    x: welcome.x,
    y: welcome.y,
    current_hp: welcome.current_hp,
    max_hp: welcome.max_hp,
    facing_direction: welcome.facing_direction || "south",
    animation_state: welcome.animation_state || "idle",
  });
}

/** The id an entry of removed_entities stands for: ints are player ids. */
export function removed_entity_id(entry) {
  return typeof entry === "number" ? `player_${entry}` : String(entry);
}

/**
 * The player is now on another map (a portal, a respawn, a teleport): what it
 * saw on the old one is gone; only its own entity stays. True when the map changed.
 */
export function change_map(state, map_id) {
  if (!map_id || map_id === state.map_id) return false;
  const me = own_entity(state);
  state.map_id = map_id;
  state.map_name = null;
  state.entities.clear();
  if (me) state.entities.set(me.id, me);
  state.ground_items.clear();
  return true;
}

export function apply_game_update(state, payload) {
  if (payload.map_id && state.map_id) change_map(state, payload.map_id);
  for (const change of payload.entities || []) {
    if (!change || change.id == null) continue;
    const id = String(change.id);
    const known = state.entities.get(id);
    state.entities.set(id, known ? { ...known, ...change } : { ...change });
  }
  for (const entry of payload.removed_entities || []) {
    const id = removed_entity_id(entry);
    if (id !== own_entity_id(state)) state.entities.delete(id);
  }
}

/** Merge a diff of slots keyed by slot number (as strings); null empties a slot. */
export function apply_inventory_update(state, inventory) {
  for (const [key, item] of Object.entries(inventory || {})) {
    const slot = Number(key);
    if (!Number.isInteger(slot) || slot < 0 || slot >= INVENTORY_SLOTS) continue;
    state.inventory[slot] = item ? { ...item } : null;
    if (item && item.name) state.item_names.set(item.item_id, item.name);
  }
}

export function apply_equipment_update(state, equipment) {
  for (const [slot, item] of Object.entries(equipment || {})) {
    if (!(slot in state.equipment)) continue;
    state.equipment[slot] = item ? { ...item } : null;
    if (item && item.name) state.item_names.set(item.item_id, item.name);
  }
}

export function apply_ground_items_update(state, payload) {
  for (const item of payload.added || []) {
    if (item && item.ground_item_id != null) state.ground_items.set(String(item.ground_item_id), { ...item });
  }
  for (const id of payload.removed || []) state.ground_items.delete(String(id));
}

export function apply_skills(state, payload) {
  state.skills = (payload.skills || []).map((s) => ({ ...s }));
}

export function add_chat_line(state, line) {
  state.chat.push({ ...line });
  if (state.chat.length > CHAT_HISTORY) state.chat.splice(0, state.chat.length - CHAT_HISTORY);
}

export function set_own_position(state, x, y) {
  const me = own_entity(state);
  if (me) {
    me.x = x;
    me.y = y;
  }
}

export function item_name(state, item_id) {
  return state.item_names.get(item_id) || `Item #${item_id}`;
}

/** The entities standing on a tile, NPCs first. */
export function entities_at(state, x, y) {
  const found = [];
  for (const e of state.entities.values()) {
    if (e.x === x && e.y === y) found.push(e);
  }
  return found.sort((a, b) => (a.type === "npc" ? -1 : 0) - (b.type === "npc" ? -1 : 0));
}

export function ground_items_at(state, x, y) {
  return [...state.ground_items.values()].filter((g) => g.x === x && g.y === y);
}

/** A plain, deep-frozen copy for tests and tools (window.rpgState). */
export function snapshot(state) {
  const me = own_entity(state);
  const copy = {
    player_id: state.player_id,
    username: state.username,
    map_id: state.map_id,
    map_name: state.map_name,
    connection: state.connection,
    position: me ? { x: me.x, y: me.y } : null,
    hp: me ? { current: me.current_hp, max: me.max_hp } : null,
    entities_count: state.entities.size,
    entities: [...state.entities.values()].map((e) => ({
      id: e.id, type: e.type, name: e.username || e.name, x: e.x, y: e.y,
      current_hp: e.current_hp, max_hp: e.max_hp,
    })),
    chat: state.chat.slice(-50),
    inventory: state.inventory,
    equipment: state.equipment,
    skills: state.skills,
    ground_items: [...state.ground_items.values()],
    dead: Boolean(state.dead),
  };
  return deep_freeze(structuredClone(copy));
}

function deep_freeze(value) {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deep_freeze(v);
    Object.freeze(value);
  }
  return value;
}
