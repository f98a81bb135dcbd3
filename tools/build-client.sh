#!/bin/sh
# Builds the browser client if Node.js is here; the server runs without it.
if [ ! -f web/package.json ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
    echo "notice: Node.js/npm not found; the web client was not built (the server runs without it)"
    exit 0
fi
cd web && npm ci --silent --no-audit --no-fund && npm run --silent build
