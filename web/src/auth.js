// Accounts over HTTP (same origin) and the login screen.

const TOKEN_KEY = "rpg.token";

const HTTP_ERROR_TEXT = {
  400: "Check your username (3–20 letters, digits or _) and password (8–128 characters).",
  401: "Wrong username or password.",
  409: "That username is taken.",
  429: "Too many attempts. Wait a minute and try again.",
};

async function post_json(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new Error("Cannot reach the server. Is it running?");
  }
  let data = {};
  try {
    data = await response.json();
  } catch (err) {
    /* an error page that is not JSON: the status tells enough */
  }
  if (!response.ok) {
    throw new Error(HTTP_ERROR_TEXT[response.status] || data.message || `Server error (HTTP ${response.status}).`);
  }
  return data;
}

export function register(username, password) {
  return post_json("/auth/register", { username, password });
}

export async function login(username, password) {
  const data = await post_json("/auth/login", { username, password });
  if (!data.access_token) throw new Error("The server sent no token.");
  return data.access_token;
}

// sessionStorage: one login per tab, so two tabs can be two players.
export function stored_token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function store_token(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Wires the login form; on_token(token) starts the game. */
export function setup_auth_screen(on_token) {
  const form = document.getElementById("auth-form");
  const username = document.getElementById("auth-username");
  const password = document.getElementById("auth-password");
  const message = document.getElementById("auth-message");
  const buttons = form.querySelectorAll("button");

  const say = (text, ok = false) => {
    message.textContent = text;
    message.classList.toggle("ok", ok);
  };
  const busy = (on) => buttons.forEach((b) => { b.disabled = on; });

  const attempt = async (create) => {
    const name = username.value.trim();
    const pass = password.value;
    if (!/^[A-Za-z0-9_]{3,20}$/.test(name)) return say(HTTP_ERROR_TEXT[400]);
    if (pass.length < 8 || pass.length > 128) return say("Passwords have 8 to 128 characters.");
    busy(true);
    say(create ? "Creating your account…" : "Logging in…", true);
    try {
      if (create) await register(name, pass);
      const token = await login(name, pass);
      say("");
      password.value = "";
      on_token(token);
    } catch (err) {
      say(err.message);
    } finally {
      busy(false);
    }
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    attempt(false);
  });
  document.getElementById("register-button").addEventListener("click", () => attempt(true));

  return {
    show(text = "") {
      document.getElementById("game-screen").classList.add("hidden");
      document.getElementById("auth-screen").classList.remove("hidden");
      say(text);
      (username.value ? password : username).focus();
    },
    hide() {
      document.getElementById("auth-screen").classList.add("hidden");
      document.getElementById("game-screen").classList.remove("hidden");
    },
  };
}
