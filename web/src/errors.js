// Every error code of protocol 2.0 (spec and clarifications), as a player reads it.

export const ERROR_TEXT = Object.freeze({
  // generic
  INVALID_MESSAGE_FORMAT: "The server could not read that request.",
  UNKNOWN_MESSAGE_TYPE: "The server does not know that request.",
  PROTOCOL_VERSION_MISMATCH: "This client speaks a protocol version the server does not support.",
  INTERNAL_SERVER_ERROR: "Something went wrong on the server. Please try again.",
  // authentication
  AUTHENTICATION_FAILED: "Login failed: your session is not valid. Please log in again.",
  AUTHENTICATION_MISSING_TOKEN: "You are not logged in.",
  AUTHENTICATION_INVALID_PAYLOAD: "The login request was malformed.",
  AUTHENTICATION_EXPIRED_TOKEN: "Your session has expired. Please log in again.",
  // capacity
  SERVER_FULL: "The server is full. Retrying shortly.",
  // movement
  MOVEMENT_RATE_LIMITED: "You are moving too fast.",
  MOVEMENT_BLOCKED: "Something blocks your way.",
  MOVEMENT_INVALID_DIRECTION: "You cannot move in that direction.",
  MOVEMENT_OUT_OF_BOUNDS: "You have reached the edge of the world.",
  // chat
  CHAT_RATE_LIMITED: "You are sending messages too fast. Wait a second.",
  CHAT_MESSAGE_TOO_LONG: "That message is too long (256 characters at most).",
  CHAT_EMPTY_MESSAGE: "Type a message first.",
  CHAT_DM_RECIPIENT_NOT_FOUND: "That player is not online.",
  CHAT_INVALID_CHANNEL: "There is no such chat channel.",
  CHAT_PERMISSION_DENIED: "Only moderators and admins may talk on the global channel.",
  // inventory
  INVENTORY_SLOT_EMPTY: "That inventory slot is empty.",
  INVENTORY_INVALID_SLOT: "There is no such inventory slot.",
  INVENTORY_FULL: "Your inventory is full.",
  INVENTORY_ITEM_NOT_FOUND: "That item is no longer there.",
  INVENTORY_ITEM_NOT_USABLE: "You cannot use that item.",
  INVENTORY_INVALID_QUANTITY: "That is not a valid quantity.",
  PICKUP_OUT_OF_RANGE: "You are too far away to pick that up.",
  // equipment
  EQUIPMENT_SLOT_INVALID: "There is no such equipment slot.",
  EQUIPMENT_REQUIREMENTS_NOT_MET: "Your skill level is too low to equip that.",
  EQUIPMENT_WRONG_SLOT: "That item does not go in that slot.",
  EQUIPMENT_INVENTORY_FULL: "You have no free inventory space for that.",
  EQUIPMENT_SLOT_EMPTY: "Nothing is equipped in that slot.",
  // combat
  COMBAT_TARGET_NOT_FOUND: "That target is gone.",
  COMBAT_OUT_OF_RANGE: "Your target is out of reach. Move closer.",
  COMBAT_ALREADY_IN_COMBAT: "You are already fighting something else.",
  COMBAT_INVALID_TARGET: "You cannot attack that.",
  // chunks
  CHUNKS_RADIUS_TOO_LARGE: "Too much of the map was requested at once.",
  CHUNKS_MAP_NOT_FOUND: "This map does not exist on the server.",
  CHUNKS_INVALID_COORDINATES: "That part of the map does not exist.",
  // raised by this client, never sent by the server
  CLIENT_TIMEOUT: "The server did not answer in time.",
  CLIENT_DISCONNECTED: "Not connected to the server.",
});

/** A readable sentence for an error code, with the details the server gave. */
export function describe_error(code, details = {}, server_message = "") {
  let text = ERROR_TEXT[code];
  if (!text) {
    return server_message || `Unexpected error (${code}).`;
  }
  if (code === "EQUIPMENT_REQUIREMENTS_NOT_MET" && details && details.skill) {
    text = `You need ${details.skill} level ${details.required_level} to equip that `
      + `(you have ${details.current_level}).`;
  } else if (code === "SERVER_FULL" && details && details.retry_after_ms != null) {
    text = `Server full, retrying in ${Math.ceil(details.retry_after_ms / 1000)} s.`;
  } else if (code === "MOVEMENT_RATE_LIMITED" && details && details.retry_after_ms != null) {
    text = `You are moving too fast (wait ${details.retry_after_ms} ms).`;
  }
  return text;
}

/** An error answered by the server (resp_error) or raised by the client. */
export class GameError extends Error {
  constructor(code, message = "", details = {}) {
    super(describe_error(code, details, message));
    this.name = "GameError";
    this.code = code;
    this.server_message = message;
    this.details = details || {};
  }
}
