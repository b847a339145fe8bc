#!/usr/bin/env bash
# The Helm chart, checked by the real tools: helm 3.18 lint --strict and template for every
# values file in deploy/helm/dsinfer/ci/, each rendered object validated offline against the
# Kubernetes / prometheus-operator / KEDA schemas + removed-API deny-list + wiring assertions
# (deploy/tests/validate_rendered.mjs), KEDA queries parsed by promtool, and mutations of a good
# rendering that the checks must catch.
set -euo pipefail
src=${DSINFER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../deploy/tests/tools.sh
source "$src/deploy/tests/tools.sh"
deploy_tools
command -v promtool >/dev/null || skip_or_fail "promtool missing (Debian package prometheus)"
chart="$src/deploy/helm/dsinfer"
tmp=$(mktemp -d "${DSINFER_TEST_TMP:-/tmp}/helm_chart.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
"$HELM" version --short
# Helm warns on stderr that files/monitoring is a link to deploy/monitoring (intended).
quiet() { grep -v 'found symbolic link in path' || true; }

crds=(--api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule
  --api-versions keda.sh/v1alpha1/ScaledObject)
cases=("$chart"/ci/*-values.yaml)
[ ${#cases[@]} -ge 6 ] || { echo "FAIL: expected >= 6 values files in $chart/ci"; exit 1; }
for values in "${cases[@]}"; do
  name=$(basename "$values" -values.yaml)
  echo "--- $name"
  "$HELM" lint --strict "$chart" -f "$values" 2> >(quiet >&2) | grep -v '^$'
  "$HELM" template "dsinfer-$name" "$chart" -n "ns-$name" -f "$values" "${crds[@]}" > "$tmp/$name.yaml" 2> >(quiet >&2)
  node "$src/deploy/tests/validate_rendered.mjs" "$tmp/$name.yaml" "$chart" "$values" "$tmp/$name.queries.yaml"
  if [ -s "$tmp/$name.queries.yaml" ]; then promtool check rules "$tmp/$name.queries.yaml" | grep -E 'SUCCESS|FAILED'; fi
done

# Names for any release name helm accepts (53 characters at most): both colours of every pool keep
# distinct names ending in -<pool>-<colour> (the validator checks names, uniqueness, suffixes).
for release in dsinfer prod "r53-$(printf 'y%.0s' $(seq 1 49))" dsinfer-translate-prod-eu-west-1-blue-green-canary-xy; do
  both="$chart/ci/green-active-values.yaml"
  "$HELM" template "$release" "$chart" -n names -f "$both" "${crds[@]}" > "$tmp/names.yaml" 2> >(quiet >&2)
  node "$src/deploy/tests/validate_rendered.mjs" "$tmp/names.yaml" "$chart" "$both" > /dev/null \
    || { node "$src/deploy/tests/validate_rendered.mjs" "$tmp/names.yaml" "$chart" "$both"; echo "FAIL: names of release $release"; exit 1; }
  [ "$(grep -c '^kind: Deployment$' "$tmp/names.yaml")" = 4 ] || { echo "FAIL: $release: expected 4 Deployments"; exit 1; }
done
echo "names: 4 release names (up to 53 characters) x both colours render distinct, suffix-preserving names"

# The packaged chart (what a registry serves) carries deploy/monitoring through the link.
"$HELM" package "$chart" -d "$tmp/pkg" 2> >(quiet >&2) > /dev/null
tar tzf "$tmp"/pkg/dsinfer-*.tgz > "$tmp/pkg/list"
grep -qx 'dsinfer/files/monitoring/alerts.yaml' "$tmp/pkg/list" \
  || { echo "FAIL: packaged chart lacks files/monitoring/alerts.yaml"; exit 1; }
"$HELM" template pkg "$tmp"/pkg/dsinfer-*.tgz "${crds[@]}" > "$tmp/packaged.yaml"
node "$src/deploy/tests/validate_rendered.mjs" "$tmp/packaged.yaml" "$chart"
grep -q '^kind: PrometheusRule$' "$tmp/packaged.yaml" || { echo "FAIL: packaged chart renders no PrometheusRule"; exit 1; }

# The real server accepts the configuration each values file renders: the container's env,
# given to `dsinfer serve --print-config`, parses, and the drain/grace it reports are the values
# the grace period was computed from.
bin=${DSINFER_BIN:-$src/build/release/src/cli/dsinfer}
serve_help=$([ -x "$bin" ] && "$bin" serve --help 2>&1 || true)  # whole text first (pipefail)
if [ -x "$bin" ] && grep -q -- '--print-config' <<< "$serve_help"; then
  for values in "${cases[@]}"; do
    name=$(basename "$values" -values.yaml)
    mapfile -t envs < <(node "$src/deploy/tests/print_query.mjs" env "$tmp/$name.yaml")
    env -i PATH="$PATH" "${envs[@]}" "$bin" serve --print-config > "$tmp/$name.config" 2>&1 \
      || { cat "$tmp/$name.config"; echo "FAIL: dsinfer serve refuses the env rendered from $name"; exit 1; }
    # threads: the pod's CPU limit becomes the engine's thread count (DSINFER_THREADS).
    for key in drain-delay grace-period stall-timeout port threads kv-cache-mem; do
      var=DSINFER_$(echo "$key" | tr 'a-z-' 'A-Z_')
      want=$(printf '%s\n' "${envs[@]}" | sed -n "s/^$var=//p")
      got=$(sed -n "s/^$key: //p" "$tmp/$name.config")
      awk -v a="$want" -v b="$got" 'BEGIN { exit !(a + 0 == b + 0) }' \
        || { echo "FAIL: $name: server reads $key=$got, chart rendered $var=$want"; exit 1; }
    done
  done
  echo "dsinfer serve --print-config accepts the env of all ${#cases[@]} values files"
else
  echo "================================================================"
  echo "SKIPPED (server part only): 'dsinfer serve --print-config' not in $bin"
  echo "================================================================"
fi

# Without the prometheus-operator CRDs, no ServiceMonitor / PrometheusRule is rendered.
"$HELM" template plain "$chart" 2> >(quiet >&2) > "$tmp/plain.yaml"
if grep -qE '^kind: (ServiceMonitor|PrometheusRule)$' "$tmp/plain.yaml"; then
  echo "FAIL: ServiceMonitor/PrometheusRule rendered without the CRDs"; exit 1
fi
# Invalid values are refused by values.schema.json or the templates.
refuse() {
  if "$HELM" template bad "$chart" "$@" > /dev/null 2>"$tmp/err"; then echo "FAIL: accepted $*"; exit 1; fi
  echo "refused as expected: $* -> $(grep -v 'symbolic link' "$tmp/err" | tr '\n' ' ' | cut -c1-160)"
}
refuse --set server.typo=1
refuse --set activeColor=red
refuse --set activeColor=green
refuse --set server.port=0
refuse --set securityContext.allowPrivilegeEscalation=true
cat > "$tmp/zero-min.yaml" <<'VALUES'
pools:
  - name: core
    enabled: true
    autoscaling: {minReplicas: 0, maxReplicas: 4}
    keda: {minReplicaCount: 0, activationQuery: "", activationThreshold: "1"}
    resources: {cpu: 2, memory: 8Gi}
    topologySpread: {enabled: false, maxSkew: 1}
VALUES
refuse -f "$tmp/zero-min.yaml"
# Honest resources: a GPU without a GPU image, and memory that cannot hold model + KV + overhead,
# fail with a message naming the fix.
refuse_with() {  # PATTERN ARGS...
  local pattern=$1; shift
  refuse "$@"
  grep -q -- "$pattern" "$tmp/err" || { echo "FAIL: refusal of $* does not say '$pattern'"; cat "$tmp/err"; exit 1; }
}
one_pool() {  # RESOURCES-FLOW-MAP -> values file of one pool with those resources
  cat > "$tmp/pool.yaml" <<VALUES
pools:
  - name: core
    enabled: true
    autoscaling: {minReplicas: 1, maxReplicas: 4}
    keda: {minReplicaCount: 1, activationQuery: "", activationThreshold: "1"}
    resources: $1
    topologySpread: {enabled: false, maxSkew: 1}
VALUES
  echo "$tmp/pool.yaml"
}
refuse_with 'image.gpu is "none"' -f "$(one_pool '{cpu: 8, memory: 16Gi, gpu: 1}')"
refuse_with 'cannot hold model.sizeBytes' -f "$(one_pool '{cpu: 8, memory: 6Gi}')"
refuse_with 'cannot hold model.sizeBytes' --set server.kvCacheMemory=12Gi
refuse_with 'model copy in tmpfs' --set model.cache.medium=Memory -f "$(one_pool '{cpu: 8, memory: 10Gi}')"
refuse_with 'model.sizeBytes' --set-string model.sizeBytes=4.7GB
refuse -f "$(one_pool '{cpu: 500m, memory: 16Gi}')"
# ... and what does fit renders the arithmetic: 16Gi - 4.7Gi - 1Gi = 10.3Gi of KV cache.
"$HELM" template t "$chart" --show-only templates/deployment.yaml 2>/dev/null | grep -q 'name: DSINFER_KV_CACHE_MEM, value: "11059540788"' \
  || { echo "FAIL: default KV cache is not 16Gi - 4.7Gi - 1Gi"; exit 1; }
"$HELM" template t "$chart" --show-only templates/deployment.yaml --set server.kvCacheMemory=8Gi 2>/dev/null \
  | grep -q 'name: DSINFER_KV_CACHE_MEM, value: "8589934592"' || { echo "FAIL: explicit KV cache not rendered"; exit 1; }
refuse --set apiKey.enabled=true

# The checks must catch a broken rendering (each mutation of a good one has to fail).
good="$tmp/default.yaml"
mutations=(
  's#path: /health/live#path: /healthz#'
  's#path: /health/ready#path: /ready#'
  's#^    dsinfer.io/color: blue$#    dsinfer.io/color: green#'
  's#terminationGracePeriodSeconds: 45#terminationGracePeriodSeconds: 30#'
  's#type: Pods#type: External#'
  's#averageValue: 500m#averageValue: 2#'
  's#averageUtilization: 70#averageUtilization: 90#'
  's#allowPrivilegeEscalation: false#allowPrivilegeEscalation: true#'
  's#readOnlyRootFilesystem: true#readOnlyRootFilesystem: false#'
  's#runAsNonRoot: true#runAsNonRoot: false#'
  's#apiVersion: policy/v1#apiVersion: policy/v1beta1#'
  's#apiVersion: autoscaling/v2#apiVersion: autoscaling/v2beta2#'
  's#containerPort: 8080#containerPort: "8080"#'
  's#name: DSINFER_DRAIN_DELAY, value: "5"#name: DSINFER_DRAIN_DELAY, value: "20"#'
  's#^\( *\)- ALL$#\1- NET_RAW#'
  's#livenessProbe:#livenesProbe:#'
  's#scaleTargetRef:#scaleTarget:#'
  's#unhealthyPodEvictionPolicy: AlwaysAllow#unhealthyPodEvictionPolicy: IfHealthyBudget#'
  's#name: DSINFER_THREADS, value: "8"#name: DSINFER_THREADS, value: "16"#'
  '0,/cpu: "8"/s#cpu: "8"#cpu: "6"#'
  's#name: DSINFER_KV_CACHE_MEM, value: "11059540788"#name: DSINFER_KV_CACHE_MEM, value: "16000000000"#'
)
mutants=()
for i in "${!mutations[@]}"; do
  sed "${mutations[$i]}" "$good" > "$tmp/mutant-$i.yaml"
  if cmp -s "$good" "$tmp/mutant-$i.yaml"; then echo "FAIL: mutation ${mutations[$i]} changed nothing"; exit 1; fi
  mutants+=("$tmp/mutant-$i.yaml")
done
node "$src/deploy/tests/validate_rendered.mjs" --mutants "$chart" "${mutants[@]}"

# Storage: no class named by default (cluster default); the opt-in Ceph class keeps the models.
if grep -q 'storageClassName:' <(awk 'BEGIN { RS = "\n---\n" } /kind: PersistentVolumeClaim/' "$tmp/default.yaml"); then
  echo "FAIL: default PVC names a StorageClass"; exit 1
fi
grep -qx 'reclaimPolicy: Retain' "$tmp/gpu.yaml" || { echo "FAIL: the chart's StorageClass is not Retain"; exit 1; }
sed 's#^reclaimPolicy: Retain#reclaimPolicy: Delete#' "$tmp/gpu.yaml" > "$tmp/gpu-delete.yaml"
if node "$src/deploy/tests/validate_rendered.mjs" "$tmp/gpu-delete.yaml" "$chart" "$chart/ci/gpu-values.yaml" > /dev/null 2>&1; then
  echo "FAIL: a Delete StorageClass passed the validator"; exit 1
fi
echo "storage: default class when unnamed; Ceph class opt-in with reclaimPolicy Retain (Delete caught)"

# deploy/bluegreen.sh against stand-ins of helm and kubectl (no cluster here): the full cycle,
# a switch whose endpoints do not follow (must switch back by itself), and a colour that never
# gets Ready (must not switch).
stubs="$src/deploy/tests/bluegreen_stubs"
export STUB_STATE="$tmp/bg.json" STUB_LOG="$tmp/bg.log" BLUEGREEN_SETTLE_SECONDS=0 HELM="$stubs/helm" KUBECTL="$stubs/kubectl"
bg="$src/deploy/bluegreen.sh"
echo '{"activeColor":"blue","colors":{"blue":{"enabled":true,"imageTag":"0.1.0"},"green":{"enabled":false,"imageTag":""}}}' > "$STUB_STATE"
state() { jq -c '[.activeColor, .colors.blue.enabled, .colors.blue.imageTag, .colors.green.enabled, .colors.green.imageTag]' "$STUB_STATE"; }
expect_state() { [ "$(state)" = "$1" ] || { echo "FAIL: bluegreen state $(state), expected $1"; exit 1; }; }
"$bg" deploy 0.2.0 2>>"$tmp/bg.err";   expect_state '["blue",true,"0.1.0",true,"0.2.0"]'
"$bg" switch 2>>"$tmp/bg.err";         expect_state '["green",true,"0.1.0",true,"0.2.0"]'
"$bg" rollback 2>>"$tmp/bg.err";       expect_state '["blue",true,"0.1.0",true,"0.2.0"]'
"$bg" switch 2>>"$tmp/bg.err";         expect_state '["green",true,"0.1.0",true,"0.2.0"]'
"$bg" finish 2>>"$tmp/bg.err";         expect_state '["green",false,"0.1.0",true,"0.2.0"]'
if "$bg" rollback 2>>"$tmp/bg.err"; then echo "FAIL: rollback to a disabled colour"; exit 1; fi
"$bg" deploy 0.3.0 2>>"$tmp/bg.err";   expect_state '["green",true,"0.3.0",true,"0.2.0"]'
if STUB_STALE_ENDPOINTS=green "$bg" switch 2>>"$tmp/bg.err"; then echo "FAIL: switch with stale endpoints succeeded"; exit 1; fi
expect_state '["green",true,"0.3.0",true,"0.2.0"]'
if STUB_NOT_READY=blue "$bg" switch 2>>"$tmp/bg.err"; then echo "FAIL: switched to a colour that is not Ready"; exit 1; fi
expect_state '["green",true,"0.3.0",true,"0.2.0"]'
grep -q "switch to blue rolled back" "$tmp/bg.err" || { echo "FAIL: no automatic switch-back"; cat "$tmp/bg.err"; exit 1; }
echo "bluegreen.sh: deploy/switch/rollback/finish cycle, automatic switch-back and not-ready refusal behave"
unset HELM KUBECTL

echo "PASS test_helm_chart (${#cases[@]} values files, ${#mutations[@]} mutations) in $(( $(date +%s) - start ))s"
