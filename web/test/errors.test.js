import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_TEXT, GameError } from "../src/errors.js";

// Every code in protocol-2.0.md and the additions of clarifications.md.
const PROTOCOL_CODES = `
AUTHENTICATION_FAILED AUTHENTICATION_MISSING_TOKEN AUTHENTICATION_INVALID_PAYLOAD AUTHENTICATION_EXPIRED_TOKEN
MOVEMENT_RATE_LIMITED MOVEMENT_BLOCKED MOVEMENT_INVALID_DIRECTION MOVEMENT_OUT_OF_BOUNDS
CHAT_RATE_LIMITED CHAT_MESSAGE_TOO_LONG CHAT_EMPTY_MESSAGE CHAT_DM_RECIPIENT_NOT_FOUND CHAT_INVALID_CHANNEL
CHAT_PERMISSION_DENIED
INVENTORY_SLOT_EMPTY INVENTORY_INVALID_SLOT INVENTORY_FULL INVENTORY_ITEM_NOT_FOUND INVENTORY_ITEM_NOT_USABLE
INVENTORY_INVALID_QUANTITY PICKUP_OUT_OF_RANGE
EQUIPMENT_SLOT_INVALID EQUIPMENT_REQUIREMENTS_NOT_MET EQUIPMENT_WRONG_SLOT EQUIPMENT_INVENTORY_FULL EQUIPMENT_SLOT_EMPTY
COMBAT_TARGET_NOT_FOUND COMBAT_OUT_OF_RANGE COMBAT_ALREADY_IN_COMBAT COMBAT_INVALID_TARGET
CHUNKS_RADIUS_TOO_LARGE CHUNKS_MAP_NOT_FOUND CHUNKS_INVALID_COORDINATES
INVALID_MESSAGE_FORMAT UNKNOWN_MESSAGE_TYPE PROTOCOL_VERSION_MISMATCH INTERNAL_SERVER_ERROR
SERVER_FULL
`.split(/\s+/).filter(Boolean);

test("every protocol error code has a readable text", () => {
  assert.deepEqual(PROTOCOL_CODES.filter((code) => !ERROR_TEXT[code]), []);
});

test("requirements-not-met names the skill and levels from the details", () => {
  const err = new GameError("EQUIPMENT_REQUIREMENTS_NOT_MET", "", { skill: "attack", required_level: 5, current_level: 1 });
  assert.equal(err.message, "You need attack level 5 to equip that (you have 1).");
});

test("server full says when the client retries", () => {
  assert.equal(new GameError("SERVER_FULL", "", { retry_after_ms: 2500 }).message,
    "Server full, retrying in 3 s.");
});

test("an unknown code falls back to the server's message", () => {
  assert.equal(new GameError("SOMETHING_NEW", "The server said so").message, "The server said so");
});
