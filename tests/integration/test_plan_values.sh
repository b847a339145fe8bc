#!/usr/bin/env bash
# `dsinfer plan --emit-values` renders with the real chart: helm lint --strict and helm template
# (pinned helm of deploy/tests/tools.sh) with the emitted values, the rendered HPAs carry the
# plan's targets, bounds and behaviour, and the offline validator of the chart accepts them.
# Skips loudly when helm cannot be obtained; fails under CI=true.
set -euo pipefail
src=${DSINFER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../deploy/tests/tools.sh
source "$src/deploy/tests/tools.sh"
bin=${DSINFER_BIN:-$src/build/release/src/cli/dsinfer}
[ -x "$bin" ] || skip_or_fail "dsinfer binary not found at $bin"
deploy_tools
chart="$src/deploy/helm/dsinfer"
tmp=$(mktemp -d "${DSINFER_TEST_TMP:-/tmp}/plan_values.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
quiet() { grep -v 'found symbolic link in path' || true; }
# the measured 1.5B replica and its plans (docs/planning.md, "The study")
curve="$src/bench/results/capacity/r1q-1.5b-q4_k.json"
plans="$src/deploy/plan/r1q-1.5b-q4_k"

"$bin" plan --curve "$curve" --trace ramp:peak=1,base=0.1,hours=1 --plan "$plans/core-spot-aws.yaml" \
  --emit-values "$tmp/values.yaml" > "$tmp/out.txt"
grep -q 'total cost' "$tmp/out.txt" || { cat "$tmp/out.txt"; echo "FAIL: no summary"; exit 1; }
"$HELM" lint --strict "$chart" -f "$tmp/values.yaml" 2> >(quiet >&2) | grep -v '^$'
"$HELM" template plan "$chart" -n plan -f "$tmp/values.yaml" > "$tmp/rendered.yaml" 2> >(quiet >&2)
node "$src/deploy/tests/validate_rendered.mjs" "$tmp/rendered.yaml" "$chart" "$tmp/values.yaml" "$tmp/q.yaml"

# two HPAs (core, edge), with the plan's bounds, targets and behaviour
[ "$(grep -c '^kind: HorizontalPodAutoscaler$' "$tmp/rendered.yaml")" = 2 ] \
  || { echo "FAIL: expected 2 HPAs"; exit 1; }
# the HPA document of one pool (documents split at ---)
hpa() { awk -v pool="$1" 'BEGIN { RS = "\n---\n" } /kind: HorizontalPodAutoscaler/ && index($0, "dsinfer.io/pool: " pool "\n") { print }' "$tmp/rendered.yaml"; }
expect() { grep -qE -- "$2" <<<"$1" || { echo "FAIL: $3: missing /$2/"; echo "$1"; exit 1; }; }
core=$(hpa core); edge=$(hpa edge)
expect "$core" 'minReplicas: 3' core; expect "$core" 'maxReplicas: 8' core
expect "$edge" 'minReplicas: 1' edge; expect "$edge" 'maxReplicas: 40' edge
expect "$core" 'averageUtilization: 70' core
expect "$core" 'averageValue: 20000m' core
expect "$core" 'stabilizationWindowSeconds: 300' core
expect "$edge" 'type: Percent' edge
# the spot pool tolerates the spot taint
grep -q 'dsinfer.io/spot' "$tmp/rendered.yaml" || { echo "FAIL: no spot toleration"; exit 1; }

# PriorityClasses: the on-demand core pool outranks the spot edge pool (the validator above
# checks pods -> class -> value and the order); both classes are rendered and used.
[ "$(grep -c '^kind: PriorityClass$' "$tmp/rendered.yaml")" = 2 ] || { echo "FAIL: expected 2 PriorityClasses"; exit 1; }
pc() { awk -v pool="$1" 'BEGIN { RS = "\n---\n" } /kind: PriorityClass/ && index($0, "dsinfer.io/pool: " pool "\n") { print }' "$tmp/rendered.yaml"; }
expect "$(pc core)" '^value: 100000$' core-priority; expect "$(pc core)" 'preemptionPolicy: PreemptLowerPriority' core-priority
expect "$(pc edge)" '^value: 10000$' edge-priority; expect "$(pc edge)" 'preemptionPolicy: Never' edge-priority
[ "$(grep -c '^      priorityClassName: plan-dsinfer-plan-' "$tmp/rendered.yaml")" = 2 ] || { echo "FAIL: pods without their PriorityClass"; exit 1; }

# a plan the chart cannot express is refused with a message, not rendered
if "$bin" plan --curve "$curve" --trace ramp:peak=1,base=0.1,hours=1 --plan "$plans/queue.yaml" \
  --emit-values "$tmp/q.yaml" > "$tmp/err.txt" 2>&1; then
  echo "FAIL: queue plan emitted values"; exit 1
fi
grep -q 'queue' "$tmp/err.txt" || { cat "$tmp/err.txt"; echo "FAIL: unclear refusal"; exit 1; }
echo "PASS: emitted values render (helm lint --strict, template, validator)"
