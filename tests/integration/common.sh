# Sourced by the integration tests that need the dsinfer binary and the shared fixtures:
# sets `here`, `bin`, `fixtures`, and defines skip_or_fail (skip loudly in a user's clone, fail
# under CI=true).
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
bin="${DSINFER_BIN:?DSINFER_BIN must point at the dsinfer binary}"
fixtures="${DSINFER_FIXTURES:-$here/../../../shared/fixtures}"

skip_or_fail() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $1 (CI=true)"; exit 1; fi
  echo "SKIPPED LOUDLY: $1"; exit 0
}
