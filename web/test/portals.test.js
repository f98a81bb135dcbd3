import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PortalIndex, map_display_name, portal_label, portal_tiles, read_portal, readable_map_name,
} from "../src/portals.js";

test("a map id is made readable; a name property wins over it", () => {
  assert.deepEqual(
    [readable_map_name("dark_forest"), readable_map_name("samplemap"), map_display_name("cellar", "Millbrook Cellars"),
      map_display_name("old-mine", " "), map_display_name("cave", undefined)],
    ["Dark Forest", "Samplemap", "Millbrook Cellars", "Old Mine", "Cave"],
  );
});

test("a rectangle covers the tiles it overlaps; a point its one tile", () => {
  assert.deepEqual(portal_tiles({ x: 3040, y: 1472, width: 32, height: 64 }, 32, 32), [{ x: 95, y: 46 }, { x: 95, y: 47 }]);
  assert.deepEqual(portal_tiles({ x: 48, y: 80 }, 32, 32), [{ x: 1, y: 2 }]);
  assert.deepEqual(portal_tiles({ x: 40, y: 0, width: 30, height: 10 }, 32, 32), [{ x: 1, y: 0 }, { x: 2, y: 0 }]);
});

test("only portal objects with a target map are read, type or class", () => {
  const props = { target_map: "cellar", target_x: 4, target_y: 3 };
  const by_class = read_portal({ class: "portal", name: "Down", x: 0, y: 0, width: 32, height: 32, properties: props }, 32, 32);
  assert.deepEqual(by_class, { name: "Down", target_map: "cellar", target_x: 4, target_y: 3, tiles: [{ x: 0, y: 0 }] });
  assert.equal(read_portal({ type: "npc_spawn", x: 0, y: 0, properties: props }, 32, 32), null);
  assert.equal(read_portal({ type: "portal", x: 0, y: 0, properties: {} }, 32, 32), null);
});

test("the index finds a portal by any of its tiles, and labels it", () => {
  const gate = read_portal({ type: "portal", x: 0, y: 960, width: 32, height: 64,
    properties: { target_map: "samplemap", target_x: 94, target_y: 46 } }, 32, 32);
  const index = new PortalIndex([gate]);
  assert.deepEqual([index.at(0, 30), index.at(0, 31), index.at(1, 30)], [gate, gate, null]);
  assert.deepEqual([portal_label(gate), portal_label({ ...gate, name: "To Millbrook" })], ["To Samplemap", "To Millbrook"]);
  assert.equal(index.tiles().length, 2);
});
