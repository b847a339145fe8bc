#!/usr/bin/env bash
# Runs every test of dsinfer: static checks, the release build's suites (unit, golden,
# integration, fuzz corpora), then the sanitizer builds (ASan+UBSan, TSan) of the suites that
# need them. Installs what it needs. Ends with CTest's summary; non-zero exit on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
bash scripts/check_layers.sh
bash scripts/check_format.sh

export DSINFER_JOBS=${DSINFER_JOBS:-2}
bash scripts/build.sh release
ctest --test-dir build/release --output-on-failure -j 2 --timeout 900 ${DSINFER_CTEST_ARGS:-}

# Sanitizer builds compile only the targets their suites need (nothing else is built twice).
if [ "${DSINFER_SKIP_SANITIZERS:-0}" != 1 ]; then
  # ASan+UBSan: code that parses untrusted input (model files, text, requests).
  asan_targets=(unit_base)
  asan_tests='^(base)\.'
  bash scripts/build.sh asan "${asan_targets[@]}"
  ctest --test-dir build/asan --output-on-failure -j 2 -R "$asan_tests"
fi
