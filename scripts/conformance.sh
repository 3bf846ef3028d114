#!/usr/bin/env bash
# Run the official MCP conformance suite against a test-only build of our server
# (the product plus the reference fixtures), on loopback.
#   scripts/conformance.sh [PORT]
# Exits non-zero on any failure not listed in tests/conformance/expected-failures.yml.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE_DIR="$ROOT/tests/conformance/node"
OUT="${CONFORMANCE_OUT:-$ROOT/.conformance}"
PYTHON="${PYTHON:-python3}"
PORT="${1:-$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"

if [ ! -x "$NODE_DIR/node_modules/.bin/node" ] || [ ! -d "$NODE_DIR/node_modules/@modelcontextprotocol/conformance" ]; then
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
NODE="$NODE_DIR/node_modules/.bin/node"
SUITE="$NODE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"

mkdir -p "$OUT"
cd "$ROOT"
"$PYTHON" -m tests.conformance.fixture_server --port "$PORT" 2>"$OUT/server.log" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT

for _ in $(seq 1 300); do
    if "$PYTHON" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "fixture server exited; its log:" >&2
        cat "$OUT/server.log" >&2
        exit 1
    fi
    sleep 0.2
done

"$NODE" "$SUITE" server --url "http://127.0.0.1:$PORT/mcp" --suite all \
    -o "$OUT/results" --expected-failures "$ROOT/tests/conformance/expected-failures.yml"
