#!/usr/bin/env bash
# dsinfer serve end to end: every route, the openai npm client, malformed input, auth, probes,
# disconnects, overload, SIGTERM drain and 1,000 connections (tests/integration/server/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${DSINFER_BIN:?DSINFER_BIN must point at the dsinfer binary}"
tmp=${DSINFER_TEST_TMP:-$(mktemp -d)}
mkdir -p "$tmp"
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
bash "$here/../../scripts/npm_ci.sh" "$here/server"
model="$tmp/server-test-demo.gguf"
[ -f "$model" ] || "$DSINFER_BIN" make-model --preset demo --type q8_0 --out "$model" 2>/dev/null
node "$here/server/server_test.mjs" "$model"
