import { test } from "node:test";
import assert from "node:assert/strict";
import * as S from "../src/state.js";

function welcomed() {
  const st = S.create_state();
  S.apply_welcome(st, { player_id: 7, username: "alice", x: 10, y: 12, map_id: "samplemap", current_hp: 10, max_hp: 10 });
  return st;
}

test("welcome makes the own player an entity named player_<id>", () => {
  const st = welcomed();
  assert.deepEqual([S.own_entity(st).id, S.own_entity(st).x, S.own_entity(st).y], ["player_7", 10, 12]);
});

test("a game update adds full entities and merges id-plus-changes", () => {
  const st = welcomed();
  S.apply_game_update(st, { entities: [{ id: "npc_1", type: "npc", name: "Goblin", x: 3, y: 4, current_hp: 10, max_hp: 10 }] });
  S.apply_game_update(st, { entities: [{ id: "npc_1", current_hp: 7 }] });
  assert.deepEqual(st.entities.get("npc_1"), { id: "npc_1", type: "npc", name: "Goblin", x: 3, y: 4, current_hp: 7, max_hp: 10 });
});

test("removed_entities takes ints as player ids and strings as entity ids", () => {
  const st = welcomed();
  S.apply_game_update(st, { entities: [{ id: "player_9", type: "player", x: 1, y: 1 }, { id: "npc_2", type: "npc", x: 2, y: 2 }] });
  S.apply_game_update(st, { removed_entities: [9, "npc_2"] });
  assert.deepEqual([...st.entities.keys()], ["player_7"]);
});

test("an inventory update is a diff where null empties the slot", () => {
  const st = welcomed();
  S.apply_inventory_update(st, { 0: { item_id: 5, name: "Bronze sword", quantity: 1 }, 3: { item_id: 1, name: "Arrow", quantity: 5 } });
  S.apply_inventory_update(st, { 0: null });
  assert.deepEqual([st.inventory[0], st.inventory[3].quantity], [null, 5]);
});

test("an equipment update sets and clears named slots only", () => {
  const st = welcomed();
  S.apply_equipment_update(st, { weapon: { item_id: 5, name: "Bronze sword" }, tail: { item_id: 1 } });
  S.apply_equipment_update(st, { shield: null });
  assert.deepEqual([st.equipment.weapon.name, "tail" in st.equipment], ["Bronze sword", false]);
});

test("ground items are added and removed by ground_item_id", () => {
  const st = welcomed();
  S.apply_ground_items_update(st, { added: [{ ground_item_id: "ground_item_1", item_id: 5, x: 1, y: 2, quantity: 1 }] });
  S.apply_ground_items_update(st, { added: [{ ground_item_id: "ground_item_2", item_id: 6, x: 1, y: 2, quantity: 1 }], removed: ["ground_item_1"] });
  assert.deepEqual(S.ground_items_at(st, 1, 2).map((g) => g.ground_item_id), ["ground_item_2"]);
});

test("a second welcome forgets entities, items and inventory the server re-sends", () => {
  const st = welcomed();
  S.apply_game_update(st, { entities: [{ id: "npc_1", type: "npc", x: 3, y: 4 }] });
  S.apply_inventory_update(st, { 2: { item_id: 5, name: "Bronze sword", quantity: 1 } });
  S.apply_welcome(st, { player_id: 7, username: "alice", x: 1, y: 1, map_id: "samplemap", current_hp: 10, max_hp: 10 });
  assert.deepEqual([st.entities.size, st.inventory[2]], [1, null]);
});

test("the chat history keeps only the newest lines", () => {
  const st = welcomed();
  for (let i = 0; i < S.CHAT_HISTORY + 5; i++) S.add_chat_line(st, { message: `m${i}` });
  assert.deepEqual([st.chat.length, st.chat[0].message], [S.CHAT_HISTORY, "m5"]);
});

test("the snapshot is a frozen copy that later changes do not touch", () => {
  const st = welcomed();
  S.apply_inventory_update(st, { 0: { item_id: 5, name: "Bronze sword", quantity: 1 } });
  const snap = S.snapshot(st);
  S.apply_inventory_update(st, { 0: null });
  assert.deepEqual([snap.inventory[0].name, Object.isFrozen(snap.inventory[0]), snap.position], ["Bronze sword", true, { x: 10, y: 12 }]);
});

test("a game update on another map drops the old map's entities and ground items, keeps the own player", () => {
  const st = welcomed();
  st.map_name = "Millbrook";
  S.apply_game_update(st, { map_id: "samplemap", entities: [{ id: "npc_1", type: "npc", x: 3, y: 4 }] });
  S.apply_ground_items_update(st, { added: [{ ground_item_id: "ground_item_1", item_id: 1, x: 10, y: 12 }] });
  S.apply_game_update(st, { map_id: "cellar", entities: [{ id: "player_7", x: 4, y: 3 }, { id: "npc_9", type: "npc", x: 6, y: 6 }] });
  assert.deepEqual(
    [st.map_id, st.map_name, [...st.entities.keys()], st.ground_items.size, S.own_entity(st).x, S.own_entity(st).username],
    ["cellar", null, ["player_7", "npc_9"], 0, 4, "alice"],
  );
});

test("change_map on the same map changes nothing", () => {
  const st = welcomed();
  S.apply_game_update(st, { map_id: "samplemap", entities: [{ id: "npc_1", type: "npc", x: 3, y: 4 }] });
  assert.deepEqual([S.change_map(st, "samplemap"), st.entities.size, S.change_map(st, "forest"), st.entities.size],
    [false, 2, true, 1]);
});
