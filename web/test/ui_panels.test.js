import { test } from "node:test";
import assert from "node:assert/strict";
import { equipment_slot_for } from "../src/ui_panels.js";

test("the slot an item is equipped to comes from its payload when it says", () => {
  assert.equal(equipment_slot_for({ name: "Crown of kings", equipment_slot: "head" }), "head");
});

test("else from the shape of its name: a sword is wielded, a kiteshield held, a ring worn", () => {
  assert.equal(equipment_slot_for({ name: "Bronze sword" }), "weapon");
  assert.equal(equipment_slot_for({ name: "Bronze 2h sword" }), "weapon");
  assert.equal(equipment_slot_for({ name: "Rune kiteshield" }), "shield");
  assert.equal(equipment_slot_for({ name: "Leather vambraces" }), "hands");
  assert.equal(equipment_slot_for({ name: "Rune arrow" }), "ammo");
  assert.equal(equipment_slot_for({ name: "Warrior ring" }), "ring");
});

test("food and materials are not offered to equip, a swordfish included", () => {
  assert.equal(equipment_slot_for({ name: "Cooked swordfish" }), null);
  assert.equal(equipment_slot_for({ name: "Bread" }), null);
  assert.equal(equipment_slot_for({ name: "Logs" }), null);
  assert.equal(equipment_slot_for({ name: "Strange orb" }), null);
});
