import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FALLBACK_KIND, KINDS, MATERIALS, SLOT_KINDS, item_look } from "../src/item_kinds.js";
import { PALETTES } from "../src/icon_paint.js";
import { SHAPES, draw_item_icon } from "../src/icons.js";

/** The [[items]] of maps/items.toml as {key, name, equipment_slot}: their string fields are one line each. */
function shipped_items() {
  const text = readFileSync(new URL("../../maps/items.toml", import.meta.url), "utf8");
  return text.split(/^\[\[/m).filter((block) => block.startsWith("items]]")).map((block) => {
    const field = (name) => block.match(new RegExp(`^${name} = "([^"]*)"`, "m"))?.[1] ?? null;
    return { key: field("key"), name: field("name"), equipment_slot: field("equipment_slot") };
  });
}

// Shipped items that truly have no shape of their own and are drawn as the
// fallback sack.  None today.
const DRAWN_AS_FALLBACK = new Set([]);

test("the shipped items file is read whole (45 items, each with a key and a name)", () => {
  const items = shipped_items();
  assert.equal(items.length, 45);
  assert.ok(items.every((i) => i.key && i.name));
});

test("every shipped item gets a shape of its own from its name alone", () => {
  for (const item of shipped_items()) {
    const { kind } = item_look({ name: item.name });
    assert.equal(kind === FALLBACK_KIND, DRAWN_AS_FALLBACK.has(item.key), `${item.key} is drawn as ${kind}`);
  }
});

test("the key and the name of a shipped item give the same look", () => {
  for (const item of shipped_items()) {
    assert.deepEqual(item_look({ key: item.key }), item_look({ name: item.name }), item.key);
  }
});

test("a shipped item's shape is worn where the item is worn, and food or material is not worn", () => {
  for (const item of shipped_items()) {
    const look = item_look({ name: item.name });
    assert.equal(look.slot, item.equipment_slot, `${item.key} looks like ${look.kind}`);
  }
});

test("tricky names: a swordfish is food, a 2h sword is not a sword, a kiteshield is not a round shield", () => {
  const kind_of = (name) => item_look({ name }).kind;
  assert.equal(kind_of("Cooked swordfish"), "swordfish");
  assert.equal(kind_of("Bronze 2h sword"), "two_handed_sword");
  assert.equal(kind_of("Bronze sword"), "sword");
  assert.equal(kind_of("Bronze battleaxe"), "battleaxe");
  assert.equal(kind_of("Rune kiteshield"), "kiteshield");
  assert.equal(kind_of("Bronze sq shield"), "sq_shield");
  assert.equal(kind_of("Wooden shield"), "shield");
  assert.equal(kind_of("Iron full helm"), "full_helm");
  assert.equal(kind_of("Bronze platelegs"), "platelegs");
  assert.equal(kind_of("Oak shortbow"), "bow");
});

test("the material comes from the name, else the kind's own", () => {
  const look = (name) => { const l = item_look({ name }); return `${l.kind}/${l.material}`; };
  assert.equal(look("Rune platebody"), "platebody/rune");
  assert.equal(look("Mithril sword"), "sword/mithril");
  assert.equal(look("Adamant sword"), "sword/adamant");
  assert.equal(look("Oak shortbow"), "bow/oak");
  assert.equal(look("Shortbow"), "bow/wood");
  assert.equal(look("Red cape"), "cape/red");
  assert.equal(look("Copper ore"), "ore/copper");
  assert.equal(look("Climbing boots"), "boots/leather");
  assert.equal(look("Coins"), "coins/gold");
});

test("what an amulet or a ring is for picks its gem; a plain gold ring has none", () => {
  assert.equal(item_look({ name: "Amulet of strength" }).accent, "red");
  assert.equal(item_look({ name: "Amulet of defence" }).accent, "blue");
  assert.equal(item_look({ name: "Warrior ring" }).accent, "red");
  assert.equal(item_look({ name: "Gold ring" }).accent, null);
});

test("an unknown name takes the plain shape of the slot it is worn in, else the fallback", () => {
  assert.equal(item_look({ name: "Excalibur" }, "weapon").kind, "sword");
  assert.equal(item_look({ name: "Crown of kings", equipment_slot: "head" }).kind, "helm");
  assert.equal(item_look({ name: "Strange orb" }).kind, FALLBACK_KIND);
  assert.equal(item_look({ name: "Strange orb" }).slot, null);
  assert.equal(item_look(null).kind, FALLBACK_KIND);
});

test("the look's key tells apart what is drawn differently and only that", () => {
  assert.equal(item_look({ name: "Bronze sword" }).key, item_look({ key: "bronze_sword", item_id: 5 }).key);
  assert.notEqual(item_look({ name: "Bronze sword" }).key, item_look({ name: "Iron sword" }).key);
  assert.notEqual(item_look({ name: "Gold ring" }).key, item_look({ name: "Warrior ring" }).key);
});

test("every kind, slot shape and fallback has a drawing, and every material a palette", () => {
  for (const kind of [...KINDS.map((k) => k.kind), ...Object.values(SLOT_KINDS), FALLBACK_KIND]) {
    assert.equal(typeof SHAPES[kind], "function", kind);
  }
  for (const material of [...MATERIALS.map(([m]) => m), ...KINDS.map((k) => k.material)]) {
    assert.ok(PALETTES[material], material);
  }
});

/** A 2D context that accepts every call and counts fills and strokes. */
function counting_context() {
  const counts = { fill: 0, stroke: 0 };
  const gradient = { addColorStop() {} };
  return new Proxy({ counts }, {
    get(target, name) {
      if (name in target) return target[name];
      return (...args) => {
        for (const a of args) if (typeof a === "number") assert.ok(Number.isFinite(a), `${String(name)}(${args})`);
        if (name === "fill" || name === "stroke") counts[name] += 1;
        return gradient; // what createLinearGradient and createRadialGradient need
      };
    },
    set(target, name, value) { target[name] = value; return true; },
  });
}

test("every shipped item's icon draws without error and paints something", () => {
  for (const item of shipped_items()) {
    const ctx = counting_context();
    draw_item_icon(ctx, item_look({ name: item.name }), 36);
    assert.ok(ctx.counts.fill > 0 && ctx.counts.stroke > 0, item.key);
  }
});
