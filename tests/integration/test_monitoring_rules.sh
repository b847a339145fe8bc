#!/usr/bin/env bash
# deploy/monitoring checked by promtool: recording + alert rules load (`check rules`), every
# alert's firing and non-firing unit tests pass (`test rules`) on the chart's PrometheusRule
# rendered for three release names, every Grafana dashboard query and
# prometheus-adapter query parses (written as recording rules, then `check rules`), and the
# structure checks of deploy/tests/check_monitoring.mjs (>= 15 alerts, runbooks, ConfigMap = JSON).
set -euo pipefail
src=${DSINFER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../deploy/tests/tools.sh
source "$src/deploy/tests/tools.sh"
command -v promtool >/dev/null || skip_or_fail "promtool missing (Debian package prometheus)"
deploy_tools
mon="$src/deploy/monitoring"
tmp=$(mktemp -d "${DSINFER_TEST_TMP:-/tmp}/monitoring_rules.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
promtool --version 2>&1 | head -1

# The files as they are (placeholders are valid PromQL), then the chart's rendering of them.
promtool check rules "$mon/recording-rules.yaml" "$mon/alerts.yaml"
node "$src/deploy/tests/check_monitoring.mjs" "$src" "$tmp/queries.yaml"
promtool check rules "$tmp/queries.yaml"

# The unit tests run against the PrometheusRule as the chart renders it, for release names that
# name objects differently: `dsinfer` (fullname = release name), `prod` (prod-dsinfer-...) and
# one of 53 characters (helm's maximum; names are truncated, suffixes kept). Both colours on, so
# every workload exists; placeholders in the tests become the rendered objects' own names.
long=r53-$(printf 'x%.0s' $(seq 1 49))
[ ${#long} = 53 ] || { echo "FAIL: long release name is ${#long} characters"; exit 1; }
render() {  # RELEASE NAMESPACE OUT
  "$HELM" template "$1" "$src/deploy/helm/dsinfer" -n "$2" --set colors.green.enabled=true \
    --api-versions monitoring.coreos.com/v1/PrometheusRule > "$3" 2> >(grep -v 'symbolic link' >&2 || true)
}
for release in dsinfer prod "$long"; do
  render "$release" "ns-$release" "$tmp/$release.yaml"
  node "$src/deploy/tests/render_rule_tests.mjs" "$tmp/$release.yaml" "$tmp/$release" "$mon"/tests/*_test.yaml
  promtool check rules "$tmp/$release/rules.yaml" | grep -E 'SUCCESS|FAILED'
  (cd "$tmp/$release" && promtool test rules ./*_test.yaml) > "$tmp/$release.out" 2>&1 \
    || { cat "$tmp/$release.out"; echo "FAIL: promtool tests for release $release"; exit 1; }
  echo "release $release: promtool tests pass"
done

# Argo Rollouts (rollouts.enabled): no Deployments, so the pool alerts read the ReplicaSets each
# Rollout owns; rollouts_test.yaml runs with the Rollouts' own names, and each mutation that
# breaks the Rollouts branch of an alert must fail it.
"$HELM" template prod "$src/deploy/helm/dsinfer" -n ns-rollouts --set rollouts.enabled=true \
  --api-versions monitoring.coreos.com/v1/PrometheusRule > "$tmp/rollouts.yaml" 2> >(grep -v 'symbolic link' >&2 || true)
grep -q '^kind: Deployment$' "$tmp/rollouts.yaml" && { echo "FAIL: Deployments in the Rollouts rendering"; exit 1; }
node "$src/deploy/tests/render_rule_tests.mjs" "$tmp/rollouts.yaml" "$tmp/rollouts" "$mon/tests/rollouts_test.yaml"
(cd "$tmp/rollouts" && promtool test rules rollouts_test.yaml) > "$tmp/rollouts.out" 2>&1 \
  || { cat "$tmp/rollouts.out"; echo "FAIL: promtool tests for the Rollouts rendering"; exit 1; }
ro_mutate() {  # NAME SED-EXPRESSION
  rm -rf "$tmp/ro-mutant" && mkdir -p "$tmp/ro-mutant"
  sed "$2" "$tmp/rollouts/rules.yaml" > "$tmp/ro-mutant/rules.yaml"
  cmp -s "$tmp/rollouts/rules.yaml" "$tmp/ro-mutant/rules.yaml" && { echo "FAIL: mutation $1 changed nothing"; exit 1; }
  cp "$tmp/rollouts/rollouts_test.yaml" "$tmp/ro-mutant/"
  if (cd "$tmp/ro-mutant" && promtool test rules rollouts_test.yaml) > "$tmp/out" 2>&1; then
    echo "FAIL: promtool accepted mutation $1"; exit 1
  fi
  echo "mutation caught: $1"
}
ro_mutate "ReplicaSets of Deployments instead of Rollouts" 's/owner_kind="Rollout"/owner_kind="Deployment"/g'
ro_mutate "pool lost: Rollouts branch reads desired for ready" 's/max_over_time(workload:kube_replicaset_status_ready_replicas:sum/max_over_time(workload:kube_replicaset_spec_replicas:sum/; s/^\( *\)workload:kube_replicaset_status_ready_replicas:sum\(.*\) == 0$/\1workload:kube_replicaset_spec_replicas:sum\2 == 0/'
ro_mutate "spot interruptions: changes of desired, not of unavailable" 's/changes(workload:kube_replicaset_unavailable_replicas:sum/changes(workload:kube_replicaset_spec_replicas:sum/'
ro_mutate "edge capacity at a fifth" 's/< 0.5 \* workload:/< 0.2 * workload:/'
ro_mutate "Rollout name as the replicaset label" 's/"deployment", "$1", "owner_name", "(.+)"/"deployment", "$1", "replicaset", "(.+)"/g'
echo "Rollouts rendering: pool lost, spot interruptions, edge capacity lost fire from the Rollouts' ReplicaSets"

# The tests bite: each mutation of the rendered rules must make promtool fail, on the cases of
# slo_test.yaml meant to catch it (each group re-evaluates every rule; the whole file, once per
# mutation, doubled this test's time). A page 30 s earlier than the design (`for: 30s`) is caught
# by the crash case's "not before" assertion, a fast burn at half the factor by the 30-second
# blip, a lost threshold by the firing cases.
mutate() {  # NAME GROUP-REGEX SED-EXPRESSION
  rm -rf "$tmp/mutant" && mkdir -p "$tmp/mutant"
  sed "$3" "$tmp/prod/rules.yaml" > "$tmp/mutant/rules.yaml"
  cmp -s "$tmp/prod/rules.yaml" "$tmp/mutant/rules.yaml" && { echo "FAIL: mutation $1 changed nothing"; exit 1; }
  node "$src/deploy/tests/select_rule_tests.mjs" "$tmp/prod/slo_test.yaml" "$tmp/mutant/slo_test.yaml" "$2"
  if (cd "$tmp/mutant" && promtool test rules slo_test.yaml) > "$tmp/out" 2>&1; then
    echo "FAIL: promtool accepted mutation $1"; exit 1
  fi
  # caught by an alert assertion, not by a file promtool could not read
  grep -q 'alertname:' "$tmp/out" || { cat "$tmp/out"; echo "FAIL: mutation $1: promtool failed without an alert assertion"; exit 1; }
  echo "mutation caught: $1"
}
mutate "server-down for 30s" 'server crash' '/alert: DsinferServerDown/,/for:/ s/for: 1m/for: 30s/'
mutate "fast burn at 30x" '30-second blip' 's/> (60 \* 0.005)/> (30 * 0.005)/g'
mutate "engine stall over 2m" 'engine stall' '/alert: DsinferEngineStalled/,/labels:/ s/\[1m\]/[2m]/'
mutate "pool lost without for" 'whole pool lost' '/alert: DsinferPoolLost/,/for:/ s/for: 1m/for: 0s/'
# Rules of release `prod` against the names of release `dsinfer`: must fail (names matter).
mkdir -p "$tmp/crossed" && cp "$tmp/prod/rules.yaml" "$tmp/crossed/" && cp "$tmp/dsinfer/alerts_test.yaml" "$tmp/crossed/"
if promtool test rules "$tmp/crossed/alerts_test.yaml" > "$tmp/out" 2>&1; then
  echo "FAIL: the rules of release prod passed with the names of release dsinfer"; exit 1
fi
echo "rules of one release are silent for another release's objects"
echo "PASS test_monitoring_rules in $(( $(date +%s) - start ))s"
