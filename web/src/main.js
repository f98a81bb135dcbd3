// Entry point: the login screen, then the game; back to login when the session ends.

import "./style.css";
import { setup_auth_screen, stored_token, store_token } from "./auth.js";
import { Game } from "./game.js";

let game = null;

const auth = setup_auth_screen((token) => {
  store_token(token);
  start_game(token);
});

function start_game(token) {
  auth.hide();
  game = new Game({
    token,
    on_auth_lost: (message) => {
      store_token(null);
      game = null;
      auth.show(message);
    },
  });
  game.start();
  document.getElementById("game-canvas").focus();
}

// A read-only snapshot for tests and tools; a new copy on every read.
Object.defineProperty(window, "rpgState", {
  enumerable: true,
  get() {
    return game ? Object.freeze({ screen: "game", ...game.snapshot() }) : Object.freeze({ screen: "login" });
  },
});

const token = stored_token();
if (token) start_game(token);
else auth.show();
