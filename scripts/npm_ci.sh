#!/usr/bin/env bash
# Installs the pinned npm packages of each folder given (its package-lock.json) with `npm ci`,
# only when the lockfile changed since the last install there (a stamp in node_modules/).
# A folder is locked while it installs, so tests running in parallel never install the same
# folder at once; a failed install is retried twice (a registry hiccup must not fail a run).
# usage: scripts/npm_ci.sh DIR...
set -euo pipefail
for dir in "$@"; do
  [ -f "$dir/package-lock.json" ] || { echo "npm_ci: no package-lock.json in $dir" >&2; exit 1; }
  (
    flock 9
    cd "$dir"
    stamp=node_modules/.dsinfer-lock-sha256
    want=$(sha256sum package-lock.json | cut -d' ' -f1)
    [ "$(cat "$stamp" 2> /dev/null)" != "$want" ] || exit 0
    for attempt in 1 2 3; do
      if npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2; then
        echo "$want" > "$stamp"
        exit 0
      fi
      [ $attempt = 3 ] || { echo "npm_ci: npm ci in $dir failed (attempt $attempt of 3), retrying" >&2; sleep $((attempt * 10)); }
    done
    echo "npm_ci: npm ci in $dir failed 3 times" >&2
    exit 1
  ) 9> "$dir/.npm-ci.lock"
done
