#!/usr/bin/env bash
# Configures and builds one preset (default: release). usage: scripts/build.sh [preset] [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}; shift || true
extra=()
[ "${CI:-}" = true ] && extra+=(-DDSINFER_WERROR=ON)
# DSINFER_UNITY_BUILD=ON|OFF: unity batches in this tree (.ci/run turns them on for the release
# tree; the sanitizer presets always use them).
[ -n "${DSINFER_UNITY_BUILD:-}" ] && extra+=(-DCMAKE_UNITY_BUILD="$DSINFER_UNITY_BUILD")
cmake --preset "$preset" "${extra[@]}" >/dev/null
if [ $# -gt 0 ]; then
  cmake --build "build/$preset" -j "${DSINFER_JOBS:-2}" --target "$@"
else
  cmake --build "build/$preset" -j "${DSINFER_JOBS:-2}"
fi
