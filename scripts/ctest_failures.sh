#!/usr/bin/env bash
# Prints the last lines of each failed test's output from a build tree's last CTest run
# (Testing/Temporary/LastTest.log), after CTest's summary: a CI log that keeps only its tail
# still shows why a test failed, not only that it did.
# usage: scripts/ctest_failures.sh BUILD_DIR [LINES]
set -euo pipefail
log="$1/Testing/Temporary/LastTest.log"
lines=${2:-40}
[ -f "$log" ] || { echo "ctest_failures: no $log" >&2; exit 0; }
awk -v keep="$lines" '
  /^[0-9]+\/[0-9]+ Testing: / { name = $3; n = 0; inside = 0; next }
  /^Output:$/ { getline; inside = 1; n = 0; next }
  /^<end of output>$/ { inside = 0; next }
  inside { buf[n++ % keep] = $0; next }
  /^Test (Failed|Timeout|Not Run)/ || /^Test .*(Exception|Failed)/ {
    printf "==== output of failed test %s (last %d lines) ====\n", name, (n < keep ? n : keep)
    for (i = (n > keep ? n - keep : 0); i < n; i++) print buf[i % keep]
  }
' "$log"
