#!/bin/sh
# Profile the server under rpg-bench with py-spy (pip install py-spy).
#   rpg/bench/profile_server.sh BOTS SECONDS OUT_PREFIX
# Writes OUT_PREFIX.txt (collapsed stacks), OUT_PREFIX.svg (flame graph) and
# OUT_PREFIX.top.txt (self time and inclusive time by function).
set -eu
BOTS=${1:-1000}; SECONDS_=${2:-20}; OUT=${3:-/tmp/rpg-profile}
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
$PY -m rpg.bench.cli --bots "$BOTS" --warmup 5 --duration $((SECONDS_ + 10)) --json "$OUT.json" > "$OUT.bench.txt" &
BENCH=$!
# the server is the twistd child of the bench; wait until the bots are in
SERVER=""
while [ -z "$SERVER" ]; do sleep 1; SERVER=$(pgrep -P "$BENCH" -f "twistd" || true); done
# connecting (200 bots/s) and the warm-up
sleep $((BOTS / 200 + 10))
.venv/bin/py-spy record --pid "$SERVER" --duration "$SECONDS_" --rate 200 --format raw -o "$OUT.txt" --nonblocking
.venv/bin/py-spy record --pid "$SERVER" --duration 5 --rate 200 -o "$OUT.svg" --nonblocking || true
wait "$BENCH"
$PY -m rpg.bench.profile_top "$OUT.txt" > "$OUT.top.txt"
cat "$OUT.bench.txt"
head -60 "$OUT.top.txt"
