import { defineConfig } from "vite";

// The server serves dist/ at "/", so assets use relative paths.  `npm run dev`
// proxies the server's routes to a server on localhost:8000.
const server = process.env.RPG_SERVER || "http://127.0.0.1:8000";

export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
  server: {
    proxy: {
      "/auth": server,
      "/maps": server,
      "/health": server,
      "/ws": { target: server.replace(/^http/, "ws"), ws: true },
    },
  },
});
