import { test } from "node:test";
import assert from "node:assert/strict";
import { parse_chat_input, format_chat_line } from "../src/chat.js";

test("/w name message becomes a DM to that name", () => {
  assert.deepEqual(parse_chat_input("/w bob hello there"), { channel: "dm", message: "hello there", recipient: "bob" });
});

test("the selected channel and recipient field are used without a command", () => {
  assert.deepEqual(parse_chat_input("hi", "dm", "carol"), { channel: "dm", message: "hi", recipient: "carol" });
});

test("/g sends on the global channel", () => {
  assert.deepEqual(parse_chat_input("/g hello all", "local"), { channel: "global", message: "hello all" });
});

test("a DM without a recipient is refused before sending", () => {
  assert.ok(parse_chat_input("hi", "dm", "").error);
});

test("a message over 256 characters is refused before sending", () => {
  assert.ok(parse_chat_input("x".repeat(257)).error);
});

test("an unknown slash command is refused rather than sent as text", () => {
  assert.match(parse_chat_input("/dance now").error, /Unknown command/);
});

test("a DM reads 'To' for its sender and 'From' for its recipient", () => {
  const event = { username: "alice", recipient: "bob", channel: "dm", message: "hi" };
  assert.deepEqual([format_chat_line(event, "alice").who, format_chat_line(event, "bob").who], ["To bob:", "From alice:"]);
});
