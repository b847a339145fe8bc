#!/usr/bin/env bash
# 10-minute soak of `dsinfer serve` (90 s warm-up + 510 s measured; not part of CI; see
# soak_server.mjs). Niced, loopback only.
# Usage: bash tests/soak/run_soak.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
seconds=${2:-510}
bin="$build/src/cli/dsinfer"
[ -x "$bin" ] || bin="$build/dsinfer"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" make-model --preset demo --type q8_0 --out "$tmp/soak-demo.gguf" 2>/dev/null
nice -n 10 node "$root/tests/soak/soak_server.mjs" --bin "$bin" --model "$tmp/soak-demo.gguf" \
  --seconds "$seconds"
