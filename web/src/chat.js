// Chat input parsing and line formatting (pure functions).

export const CHAT_MAX_LENGTH = 256;

const COMMANDS = Object.freeze({
  "/w": "dm", "/whisper": "dm", "/dm": "dm", "/msg": "dm",
  "/g": "global", "/global": "global",
  "/l": "local", "/local": "local", "/s": "local",
});

/**
 * What to send for a line typed in the chat box, given the selected channel
 * and recipient field: {channel, message, recipient?} or {error}.
 */
export function parse_chat_input(text, channel = "local", recipient = "") {
  let line = String(text || "").trim();
  let chosen = channel;
  let to = String(recipient || "").trim();
  const match = /^(\/\w+)\s*(.*)$/s.exec(line);
  if (match && COMMANDS[match[1].toLowerCase()]) {
    chosen = COMMANDS[match[1].toLowerCase()];
    line = match[2];
    if (chosen === "dm") {
      const parts = /^(\S+)\s*(.*)$/s.exec(line);
      if (!parts) return { error: "Usage: /w name message" };
      to = parts[1];
      line = parts[2];
    }
  } else if (match && line.startsWith("/")) {
    return { error: `Unknown command ${match[1]}. Try /w name message, /g message or /l message.` };
  }
  line = line.trim();
  if (!line) return { error: "Type a message first." };
  if (line.length > CHAT_MAX_LENGTH) return { error: `That message is too long (${CHAT_MAX_LENGTH} characters at most).` };
  if (chosen === "dm") {
    if (!to) return { error: "Whom to? Fill in the recipient or type /w name message." };
    return { channel: "dm", message: line, recipient: to };
  }
  return { channel: chosen, message: line };
}

/** How a chat event reads in the log: {channel, who, text}. */
export function format_chat_line(payload, own_username) {
  const channel = payload.channel || "local";
  const from = payload.username || "?";
  if (channel === "system" || from === "System") {
    return { channel: "system", who: "", text: payload.message };
  }
  if (channel === "dm") {
    const mine = own_username && from.toLowerCase() === own_username.toLowerCase();
    return { channel, who: mine ? `To ${payload.recipient || "?"}:` : `From ${from}:`, text: payload.message };
  }
  return { channel, who: `${channel === "global" ? "[Global] " : ""}${from}:`, text: payload.message };
}
