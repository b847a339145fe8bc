#!/usr/bin/env bash
# Configures and builds one preset (default: release). usage: scripts/build.sh [preset] [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}; shift || true
extra=()
[ "${CI:-}" = true ] && extra+=(-DDSINFER_WERROR=ON)
cmake --preset "$preset" "${extra[@]}" >/dev/null
if [ $# -gt 0 ]; then
  cmake --build "build/$preset" -j "${DSINFER_JOBS:-2}" --target "$@"
else
  cmake --build "build/$preset" -j "${DSINFER_JOBS:-2}"
fi
