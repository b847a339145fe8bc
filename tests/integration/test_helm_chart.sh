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

# Writes each sed mutation (the arguments after --) of the rendered file $1 to $tmp/$2-mutant-N.yaml,
# fails if one changes nothing, then expects validate_rendered.mjs (with the arguments between
# $2 and --, e.g. --values F) to refuse every mutant.
refuses_mutants() {
  local good=$1 prefix=$2 i=0
  shift 2
  local args=() mutants=()
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  for m in "$@"; do
    sed "$m" "$good" > "$tmp/$prefix-mutant-$i.yaml"
    if cmp -s "$good" "$tmp/$prefix-mutant-$i.yaml"; then echo "FAIL: mutation $m changed nothing"; exit 1; fi
    mutants+=("$tmp/$prefix-mutant-$i.yaml")
    i=$((i + 1))
  done
  node "$src/deploy/tests/validate_rendered.mjs" --mutants "$chart" "${args[@]}" "${mutants[@]}"
}

start=$(date +%s)
"$HELM" version --short
# Helm warns on stderr that files/monitoring is a link to deploy/monitoring (intended).
quiet() { grep -v 'found symbolic link in path' || true; }

crds=(--api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule
  --api-versions keda.sh/v1alpha1/ScaledObject)
cases=("$chart"/ci/*-values.yaml)
[ ${#cases[@]} -ge 8 ] || { echo "FAIL: expected >= 8 values files in $chart/ci"; exit 1; }
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
# ... and the Argo Rollouts and inference-gateway objects for the longest release name.
for v in rollouts gateway; do
  "$HELM" template "$release" "$chart" -n names -f "$chart/ci/$v-values.yaml" "${crds[@]}" > "$tmp/names-$v.yaml" 2> >(quiet >&2)
  node "$src/deploy/tests/validate_rendered.mjs" "$tmp/names-$v.yaml" "$chart" "$chart/ci/$v-values.yaml" > /dev/null \
    || { node "$src/deploy/tests/validate_rendered.mjs" "$tmp/names-$v.yaml" "$chart" "$chart/ci/$v-values.yaml"; echo "FAIL: $v names of release $release"; exit 1; }
done
echo "names: 4 release names (up to 53 characters) x both colours render distinct, suffix-preserving names (Rollouts and gateway objects too)"

# Example manifests (deploy/examples/): schema-valid, and a broken one is caught.
examples=()
for f in "$src"/deploy/examples/*.yaml; do [[ $f == *-values.yaml ]] || examples+=("$f"); done
node "$src/deploy/tests/validate_rendered.mjs" --schema-only "${examples[@]}"
sed 's/operator: In, values: \[spot\]/operator: Among, values: [spot]/' "$src/deploy/examples/karpenter-spot-nodepool.yaml" > "$tmp/bad-nodepool.yaml"
if node "$src/deploy/tests/validate_rendered.mjs" --schema-only "$tmp/bad-nodepool.yaml" > /dev/null 2>&1; then
  echo "FAIL: a NodePool with an unknown operator passed"; exit 1
fi

# AWS Node Termination Handler values (no published schema): its keys, one mode, cordon + drain,
# and grace periods that fit the 2-minute notice the dsinfer chart is rendered for; broken copies
# are caught.
nth="$src/deploy/examples/aws-node-termination-handler-values.yaml"
"$HELM" template dsinfer "$chart" --set spotInterruption.noticeSeconds=120 2> >(quiet >&2) > "$tmp/aws.yaml"
node "$src/deploy/tests/check_nth_values.mjs" "$nth" "$tmp/aws.yaml" 120
for m in 's/^cordonOnly: false/cordonOnly: true/' 's/^deleteLocalData: true/deleteLocalData: false/' \
  's/^taintNode:/taintNod:/' 's#^queueURL: .*#queueURL: dsinfer-spot#' 's/^nodeTerminationGracePeriod: 120/nodeTerminationGracePeriod: 300/' \
  's/^podTerminationGracePeriod: -1/podTerminationGracePeriod: 180/' 's/^enableSqsTerminationDraining: true/enableSqsTerminationDraining: false/'; do
  sed "$m" "$nth" > "$tmp/nth-bad.yaml"
  cmp -s "$nth" "$tmp/nth-bad.yaml" && { echo "FAIL: NTH mutation $m changed nothing"; exit 1; }
  if node "$src/deploy/tests/check_nth_values.mjs" "$tmp/nth-bad.yaml" "$tmp/aws.yaml" 120 2> /dev/null; then echo "FAIL: NTH values with $m passed"; exit 1; fi
done
echo "NTH example: 7 broken copies caught"

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
    want=$(printf '%s\n' "${envs[@]}" | sed -n 's/^DSINFER_GLOSSARY_DIR=//p'); got=$(sed -n 's/^glossary-dir: //p' "$tmp/$name.config")
    [ "$got" != "[]" ] || got=""
    [ "$want" = "$got" ] || { echo "FAIL: $name: server reads glossary-dir '$got', chart rendered '$want'"; exit 1; }
  done
  echo "dsinfer serve --print-config accepts the env of all ${#cases[@]} values files"
  # The glossary ConfigMaps as the kubelet mounts them (..data links) load in the real server:
  # GET /v2/glossaries lists each colour's files (a TSV, and a CSV with a quoted comma).
  "$bin" make-model --preset demo --type q8_0 --out "$tmp/demo.gguf" 2> /dev/null
  for color in blue green; do
    files=$(node "$src/deploy/tests/configmap_dir.mjs" "$tmp/green-active.yaml" "dsinfer-green-active-glossaries-$color" "$tmp/gl-$color")
    "$bin" serve --model "$tmp/demo.gguf" --host 127.0.0.1 --port 0 --warmup-requests 0 --drain-delay 0 --grace-period 0 \
      --glossary-dir "$tmp/gl-$color" > "$tmp/gl-serve.log" 2>&1 &
    pid=$!; port=""
    for _ in $(seq 600); do  # up to 60 s: a loaded CI host
      port=$(sed -n 's/.*"event":"listening","host":"[^"]*","port":\([0-9]*\).*/\1/p' "$tmp/gl-serve.log")
      [ -n "$port" ] || ! kill -0 "$pid" 2> /dev/null && break; sleep 0.1
    done
    [ -n "$port" ] || { kill "$pid" 2> /dev/null; cat "$tmp/gl-serve.log"; echo "FAIL: glossaries of $color: the server did not listen within 60 s"; exit 1; }
    listed=$(curl -fsS --max-time 30 "127.0.0.1:$port/v2/glossaries" | jq -r '[.glossaries[] | "\(.glossary_id).\(if .name == "acme" then "csv" else "tsv" end)|\(.entry_count)"] | join(" ")' || true)
    kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null || true
    want=$([ $color = blue ] && echo 'acme.en-fr.csv|2 legal.en-de.tsv|2' || echo 'legal.en-de.tsv|3')
    [ "$listed" = "$want" ] && [ "$files" = "$(sed 's/|[0-9]*//g' <<< "$want")" ] \
      || { cat "$tmp/gl-serve.log"; echo "FAIL: glossaries of $color: server lists '$listed', expected '$want'"; exit 1; }
  done
  echo "dsinfer serve --glossary-dir loads each colour's rendered glossary ConfigMap (kubelet layout)"
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
# SLO latency thresholds must be histogram bucket boundaries (the SLI counts le="<threshold>").
refuse_with 'not a bucket boundary' --set monitoring.slo.latency.e2eThresholdSeconds=7 "${crds[@]}"
refuse --set monitoring.slo.availability.target=1.5
# Spot pools: the drain must fit the interruption notice (30 s default: 5 + 20 + 5), and a notice
# too short for any in-flight work is refused; the core (on-demand) pool keeps its 45 s.
refuse_with 'pool edge is spot' --set spotInterruption.noticeSeconds=12
spot=$(awk 'BEGIN { RS = "\n---\n" } /kind: Deployment/ && /dsinfer.io\/pool: edge\n/' "$tmp/default.yaml")
grep -q 'terminationGracePeriodSeconds: 30$' <<< "$spot" && grep -q 'name: DSINFER_GRACE_PERIOD, value: "20"' <<< "$spot" \
  || { echo "FAIL: the edge (spot) pod's drain does not fit the 30 s notice"; exit 1; }
# ... and what does fit renders the arithmetic: 16Gi - 4.7Gi - 1Gi = 10.3Gi of KV cache.
# (whole text first: `helm | grep -q` fails under pipefail when grep exits early)
rendered=$("$HELM" template t "$chart" --show-only templates/deployment.yaml 2>/dev/null)
grep -q 'name: DSINFER_KV_CACHE_MEM, value: "11059540788"' <<< "$rendered" \
  || { echo "FAIL: default KV cache is not 16Gi - 4.7Gi - 1Gi"; exit 1; }
rendered=$("$HELM" template t "$chart" --show-only templates/deployment.yaml --set server.kvCacheMemory=8Gi 2>/dev/null)
grep -q 'name: DSINFER_KV_CACHE_MEM, value: "8589934592"' <<< "$rendered" || { echo "FAIL: explicit KV cache not rendered"; exit 1; }
refuse --set apiKey.enabled=true
# Priority: an on-demand pool must outrank every spot pool (it absorbs their load first).
cat > "$tmp/priority.yaml" <<'VALUES'
pools:
  - {name: core, enabled: true, priority: {value: 10}, autoscaling: {minReplicas: 1, maxReplicas: 4}, resources: {cpu: 8, memory: 16Gi},
     keda: {minReplicaCount: 1, activationQuery: "", activationThreshold: "1"}, topologySpread: {enabled: false, maxSkew: 1}}
  - {name: edge, enabled: true, spot: true, priority: {value: 10}, autoscaling: {minReplicas: 1, maxReplicas: 4}, resources: {cpu: 8, memory: 16Gi},
     keda: {minReplicaCount: 0, activationQuery: "", activationThreshold: "1"}, topologySpread: {enabled: false, maxSkew: 1}}
VALUES
refuse_with 'must be above spot pool edge' -f "$tmp/priority.yaml"

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
  's#^value: 100000$#value: 100#'
  '/^      priorityClassName: /d'
  's#globalDefault: false#globalDefault: true#'
)
refuses_mutants "$good" base -- "${mutations[@]}"

# Argo Rollouts rendering (ci/rollouts-values.yaml, validated above against
# @kubernetes-models/argo-rollouts): no Deployment beside the Rollouts, KEDA scales the Rollouts
# too, the idle colour is refused, and broken renderings are caught.
ro="$chart/ci/rollouts-values.yaml"
grep -q '^kind: Deployment$' "$tmp/rollouts.yaml" && { echo "FAIL: Deployments rendered with rollouts.enabled"; exit 1; }
[ "$(grep -c '^kind: Rollout$' "$tmp/rollouts.yaml")" = 2 ] || { echo "FAIL: expected one Rollout per pool"; exit 1; }
"$HELM" template dsinfer-rollouts "$chart" -n ns-rollouts -f "$ro" -f "$chart/ci/keda-values.yaml" "${crds[@]}" > "$tmp/ro-keda.yaml" 2> >(quiet >&2)
node "$src/deploy/tests/validate_rendered.mjs" "$tmp/ro-keda.yaml" "$chart" <(cat "$ro" "$chart/ci/keda-values.yaml") > /dev/null \
  || { node "$src/deploy/tests/validate_rendered.mjs" "$tmp/ro-keda.yaml" "$chart" <(cat "$ro" "$chart/ci/keda-values.yaml"); echo "FAIL: Rollouts with KEDA"; exit 1; }
refuse_with 'colors.green.enabled must be false' -f "$ro" --set colors.green.enabled=true
ro_mutations=(
  's#activeService: dsinfer-rollouts-core-active#activeServce: dsinfer-rollouts-core-active#'
  's#podTemplateHashValue: Latest#podTemplateHashValue: Stable#'
  's#blueGreen:#blueGren:#'
  's#^    dsinfer.io/rollout: active#    dsinfer.io/rollout: preview#'
  's#successCondition: result\[0\] <= 0.01#successCondition: result[0] <= 0.5#'
  's#rollouts_pod_template_hash="{{args.hash}}",route=~"/v1/.+",code#route=~"/v1/.+",code#'
  's#targetLabel: rollouts_pod_template_hash#targetLabel: hash#'
  's#autoPromotionEnabled: false#autoPromotionEnabled: true#'
  '/^      prePromotionAnalysis:/,/value: "core"}/d'
  's#previewService: dsinfer-rollouts-core-preview#previewService: dsinfer-rollouts-core-active#'
  's#kind: Rollout$#kind: Deployment#'
)
refuses_mutants "$tmp/rollouts.yaml" ro --values "$ro" -- "${ro_mutations[@]}"

# Inference gateway (ci/gateway-values.yaml, InferencePool and HTTPRoute validated above against the
# published CRD schemas in deploy/tests/crd_schemas/): refused beside Argo Rollouts, and broken
# renderings are caught (the picker reading vLLM's gauges, a pool selecting the idle colour, ...).
refuse_with 'use one of them' -f "$chart/ci/gateway-values.yaml" -f "$chart/ci/rollouts-values.yaml"
refuse --set inferenceGateway.endpointPicker.failureMode=Maybe
gw_mutations=(
  's#queuedRequestsSpec: inference_requests_waiting#queuedRequestsSpec: vllm:num_requests_waiting#'
  's#kvUsageSpec: inference_kv_cache_usage_ratio#kvUsageSpec: inference_kv_cache_usage_perc#'
  's#^apiVersion: inference.networking.k8s.io/v1$#apiVersion: inference.networking.x-k8s.io/v1alpha2#'
  's#^    - number: 8080#    - number: 80800#'
  's#failureMode: FailOpen#failureMode: FailSafe#'
  's#^          kind: InferencePool#          kind: Service#'
  's#^  parentRefs:#  parentRef:#'
  '/^kind: InferencePool/,/^---/s#dsinfer.io/color: blue#dsinfer.io/color: green#'
  's#--pool-name=dsinfer-gateway#--pool-name=other#'
  '/resources: \[inferencepools\]/d'
  's#loraSpec: ""#loraSpec: vllm:lora_requests_info#'
  's#- --grpc-port=9002#- --grpc-port=9005#'
  's#- translate.example.com#- Translate_Example#'
  's#defaultEngine: dsinfer#defaultEngine: vllm#'
)
refuses_mutants "$tmp/gateway.yaml" gw --values "$chart/ci/gateway-values.yaml" -- "${gw_mutations[@]}"

# GPU profile (image.gpu: vulkan): GPU pools run the <version>-vulkan flavour on the device with
# their KV cache in GPU memory, CPU pools of the same release keep <version> and the CPU; a colour
# pinned by digest needs the GPU flavour's digest too. Flavour tags, a KV cache
# that does not fit the GPU (or no GPU size to size it from) are refused; broken renderings caught.
sha_cpu=sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
sha_gpu=sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
cat > "$tmp/mixed-values.yaml" <<VALUES
image: {tag: "0.2.0", gpu: vulkan}
colors:
  green: {enabled: true, image: {tag: "", digest: "$sha_cpu", gpuDigest: "$sha_gpu"}}
pools:
  - {name: core, enabled: true, autoscaling: {minReplicas: 1, maxReplicas: 4}, keda: {minReplicaCount: 1, activationQuery: "", activationThreshold: "1"},
     runtimeClassName: nvidia, tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}],
     resources: {cpu: 4, memory: 8Gi, gpu: 1, gpuMemory: 24Gi}, topologySpread: {enabled: false, maxSkew: 1}}
  - {name: edge, enabled: true, spot: true, autoscaling: {minReplicas: 1, maxReplicas: 4}, keda: {minReplicaCount: 0, activationQuery: "", activationThreshold: "1"},
     resources: {cpu: 8, memory: 16Gi}, topologySpread: {enabled: false, maxSkew: 1}}
VALUES
"$HELM" template mixed "$chart" -f "$tmp/mixed-values.yaml" "${crds[@]}" > "$tmp/mixed.yaml" 2> >(quiet >&2)
node "$src/deploy/tests/validate_rendered.mjs" "$tmp/mixed.yaml" "$chart" "$tmp/mixed-values.yaml" > /dev/null \
  || { node "$src/deploy/tests/validate_rendered.mjs" "$tmp/mixed.yaml" "$chart" "$tmp/mixed-values.yaml"; echo "FAIL: mixed CPU/GPU release"; exit 1; }
pod_of() {  # POOL COLOUR: that Deployment of the mixed rendering
  awk -v p="$1" -v c="$2" 'BEGIN { RS = "\n---\n" } /\nkind: Deployment\n/ && index($0, "dsinfer.io/pool: " p "\n") && index($0, "dsinfer.io/color: " c "\n")' "$tmp/mixed.yaml"
}
expect_pod() {  # POOL COLOUR IMAGE GPU(yes|no)
  local d; d=$(pod_of "$1" "$2")
  [ "$(grep -c "^ *image: $3$" <<< "$d")" = 2 ] || { echo "FAIL: $1-$2 does not run $3 (container and init container)"; exit 1; }
  if [ "$4" = yes ]; then
    grep -q 'name: DSINFER_DEVICE, value: "vulkan"' <<< "$d" && grep -q 'NVIDIA_DRIVER_CAPABILITIES, value: "compute,utility,graphics"' <<< "$d" \
      && grep -q 'name: DSINFER_KV_CACHE_MEM, value: "18575733556"' <<< "$d" || { echo "FAIL: GPU pod $1-$2: device, NVIDIA env or KV (24Gi - 4.7Gi - 2Gi)"; exit 1; }
  elif grep -qE 'DSINFER_DEVICE|NVIDIA_|nvidia.com/gpu' <<< "$d"; then
    echo "FAIL: CPU pod $1-$2 names a GPU"; exit 1
  fi
}
expect_pod core blue 'ghcr.io/dsinfer/dsinfer:0.2.0-vulkan' yes
expect_pod edge blue 'ghcr.io/dsinfer/dsinfer:0.2.0' no
expect_pod core green "ghcr.io/dsinfer/dsinfer@$sha_gpu" yes
expect_pod edge green "ghcr.io/dsinfer/dsinfer@$sha_cpu" no
# KV cache as a share: of the GPU's memory on GPU pools, of the memory limit on CPU pools (both as given).
"$HELM" template t "$chart" -f "$chart/ci/gpu-values.yaml" --set server.kvCacheMemory=30% --show-only templates/deployment.yaml > "$tmp/gpu-pct.yaml" 2> >(quiet >&2)
[ "$(grep -c 'name: DSINFER_KV_CACHE_MEM, value: "30%"' "$tmp/gpu-pct.yaml")" = 2 ] || { echo "FAIL: kvCacheMemory 30% on GPU pools"; exit 1; }
"$HELM" template t "$chart" --set server.kvCacheMemory=50% --show-only templates/deployment.yaml > "$tmp/cpu-pct.yaml" 2> >(quiet >&2)
[ "$(grep -c 'name: DSINFER_KV_CACHE_MEM, value: "50%"' "$tmp/cpu-pct.yaml")" = 2 ] || { echo "FAIL: kvCacheMemory 50% on CPU pools"; exit 1; }
gpu_pool() {  # RESOURCES-FLOW-MAP -> values file of one GPU pool (image.gpu: vulkan)
  one_pool "$1" > /dev/null
  printf 'image: {gpu: vulkan}\n' >> "$tmp/pool.yaml"
  echo "$tmp/pool.yaml"
}
refuse_with 'names the vulkan flavour' -f "$chart/ci/gpu-values.yaml" --set image.tag=0.1.0-vulkan
refuse_with 'names the vulkan flavour' --set colors.blue.image.tag=0.3.0-vulkan
refuse_with 'gpuDigest' -f "$chart/ci/gpu-values.yaml" --set colors.blue.image.digest=$sha_cpu
refuse_with 'needs pools\[\].resources.gpuMemory' -f "$(gpu_pool '{cpu: 8, memory: 16Gi, gpu: 1}')"
refuse_with 'GPU memory 6Gi' -f "$(gpu_pool '{cpu: 8, memory: 16Gi, gpu: 1, gpuMemory: 6Gi}')"
refuse_with 'GPU memory 40960Mi' -f "$chart/ci/gpu-values.yaml" --set server.kvCacheMemory=60%
refuse_with 'on the host' -f "$(gpu_pool '{cpu: 8, memory: 512Mi, gpu: 1, gpuMemory: 80Gi}')"
refuse_with 'cannot hold model.sizeBytes' --set server.kvCacheMemory=80%
refuse_with 'more than 0% and at most 100%' --set server.kvCacheMemory=0%
refuse --set server.kvCacheMemory=150%
gpu_mutations=(
  's#image: ghcr.io/dsinfer/dsinfer:0.2.0-vulkan#image: ghcr.io/dsinfer/dsinfer:0.2.0#'
  '0,\#image: ghcr.io/dsinfer/dsinfer:0.2.0-vulkan#s#image: ghcr.io/dsinfer/dsinfer:0.2.0-vulkan#image: ghcr.io/dsinfer/dsinfer:0.2.0#'
  's#image: ghcr.io/dsinfer/dsinfer:0.2.0$#image: ghcr.io/dsinfer/dsinfer:0.2.0-vulkan#'
  "s#image: ghcr.io/dsinfer/dsinfer@$sha_gpu#image: ghcr.io/dsinfer/dsinfer@$sha_cpu#"
  '/name: DSINFER_DEVICE/d'
  's#name: DSINFER_DEVICE, value: "vulkan"#name: DSINFER_DEVICE, value: "cpu"#'
  's#- {name: DSINFER_KV_CACHE_MEM, value: "11059540788"}#- {name: DSINFER_KV_CACHE_MEM, value: "11059540788"}\n            - {name: DSINFER_DEVICE, value: "vulkan"}#'
  's#compute,utility,graphics#compute,utility#'
  's#name: DSINFER_KV_CACHE_MEM, value: "18575733556"#name: DSINFER_KV_CACHE_MEM, value: "22000000000"#'
  's#nvidia.com/gpu: "1"#nvidia.com/gpu: "2"#'
)
refuses_mutants "$tmp/mixed.yaml" gpu --values "$tmp/mixed-values.yaml" -- "${gpu_mutations[@]}"
echo "GPU profile: GPU pools run -vulkan (or gpuDigest) on the device, CPU pools keep the CPU image; 10 refusals, ${#gpu_mutations[@]} mutations caught"

# Several GPUs per pod: the engine's layer split (DSINFER_DEVICE=vulkan:0,...,N-1). The KV cache
# (the whole pool) is sized on the last GPU, which runs c = ceil(L/N) of the L layers (model.layers)
# and c/L of every KV block: auto = (gpuMemory - ceil(model * c/L) - gpuMemoryOverhead) * L/c.
# Blue: 19.9Gi, 64 layers; green (its own model): 9.6Gi, 27 layers (split 13+14, 6+7+7+7).
cat > "$tmp/split-values.yaml" <<VALUES
image: {tag: "0.2.0", gpu: vulkan}
model: {sizeBytes: 19.9Gi, layers: 64}
colors:
  green: {enabled: true, model: {file: green.gguf, sizeBytes: 9.6Gi, layers: 27}}
pools:
  - {name: core, enabled: true, autoscaling: {minReplicas: 1, maxReplicas: 4}, keda: {minReplicaCount: 1, activationQuery: "", activationThreshold: "1"},
     resources: {cpu: 8, memory: 32Gi, gpu: 2, gpuMemory: 80Gi}, topologySpread: {enabled: false, maxSkew: 1}}
  - {name: edge, enabled: true, spot: true, autoscaling: {minReplicas: 1, maxReplicas: 4}, keda: {minReplicaCount: 0, activationQuery: "", activationThreshold: "1"},
     resources: {cpu: 8, memory: 32Gi, gpu: 4, gpuMemory: 24Gi}, topologySpread: {enabled: false, maxSkew: 1}}
VALUES
"$HELM" template split "$chart" -f "$tmp/split-values.yaml" "${crds[@]}" > "$tmp/split.yaml" 2> >(quiet >&2)
node "$src/deploy/tests/validate_rendered.mjs" "$tmp/split.yaml" "$chart" "$tmp/split-values.yaml" > /dev/null \
  || { node "$src/deploy/tests/validate_rendered.mjs" "$tmp/split.yaml" "$chart" "$tmp/split-values.yaml"; echo "FAIL: GPU split release"; exit 1; }
expect_split() {  # POOL COLOUR DEVICE GPUS KV
  local d; d=$(awk -v p="$1" -v c="$2" 'BEGIN { RS = "\n---\n" } /\nkind: Deployment\n/ && index($0, "dsinfer.io/pool: " p "\n") && index($0, "dsinfer.io/color: " c "\n")' "$tmp/split.yaml")
  grep -q "name: DSINFER_DEVICE, value: \"$3\"" <<< "$d" && grep -q "name: DSINFER_KV_CACHE_MEM, value: \"$5\"" <<< "$d" \
    && [ "$(grep -c "nvidia.com/gpu: \"$4\"" <<< "$d")" = 2 ] && grep -q "image: ghcr.io/dsinfer/dsinfer:0.2.0-vulkan" <<< "$d" \
    || { echo "FAIL: $1-$2: expected device $3, $4 GPUs (request = limit), KV $5"; grep -E 'DSINFER_DEVICE|KV_CACHE|nvidia.com' <<< "$d"; exit 1; }
}
expect_split core blue "vulkan:0,1" 2 146136262246         # (80Gi - ceil(19.9Gi * 32/64) - 2Gi) * 64/32
expect_split edge blue "vulkan:0,1,2,3" 4 73121818212      # (24Gi - ceil(19.9Gi * 16/64) - 2Gi) * 64/16
expect_split core green "vulkan:0,1" 2 151213527156        # (80Gi - ceil(9.6Gi * 14/27) - 2Gi) * 27/14
expect_split edge green "vulkan:0,1,2,3" 4 80806741837     # (24Gi - ceil(9.6Gi * 7/27) - 2Gi) * 27/7
# The engine's own --device parser takes each rendered list: with a missing model file the server
# fails at load on the file (exit 1), not on the device text (exit 2).
if [ -x "$bin" ]; then
  for dev in $(sed -n 's/.*name: DSINFER_DEVICE, value: "\(vulkan:[0-9,]*\)".*/\1/p' "$tmp/split.yaml" | sort -u); do
    rc=0; DSINFER_DEVICE=$dev "$bin" serve --model "$tmp/absent.gguf" --port 0 --drain-delay 0 > "$tmp/dev.log" 2>&1 || rc=$?
    [ "$rc" = 1 ] && grep -q 'absent.gguf: cannot open' "$tmp/dev.log" || { cat "$tmp/dev.log"; echo "FAIL: dsinfer refuses DSINFER_DEVICE=$dev (exit $rc)"; exit 1; }
  done
fi
# A share is of the pod's GPUs summed (the engine's base for a split), rendered as given; a size
# is the whole pool: 100Gi fits two 80Gi GPUs (50Gi each) where one GPU refuses it.
"$HELM" template t "$chart" -f "$tmp/split-values.yaml" --set server.kvCacheMemory=30% --show-only templates/deployment.yaml > "$tmp/split-pct.yaml" 2> >(quiet >&2)
[ "$(grep -c 'name: DSINFER_KV_CACHE_MEM, value: "30%"' "$tmp/split-pct.yaml")" = 4 ] || { echo "FAIL: kvCacheMemory 30% on split pools"; exit 1; }
big=$("$HELM" template t "$chart" -f "$(gpu_pool '{cpu: 8, memory: 16Gi, gpu: 2, gpuMemory: 80Gi}')" --set model.layers=64 --set server.kvCacheMemory=100Gi --show-only templates/deployment.yaml 2>/dev/null)
grep -q 'name: DSINFER_KV_CACHE_MEM, value: "107374182400"' <<< "$big" || { echo "FAIL: 100Gi KV over two 80Gi GPUs"; exit 1; }
refuse_with 'GPU memory 80Gi' -f "$(gpu_pool '{cpu: 8, memory: 16Gi, gpu: 1, gpuMemory: 80Gi}')" --set server.kvCacheMemory=100Gi
# Refused: a split without a GPU image, past the engine's 8 devices (schema, pools and colours),
# without the layer count, over more GPUs than layers (colour green's own model too), a model
# that does not fit even split, a KV cache (size or share) too large for the last GPU's part.
refuse_with 'image.gpu is "none"' -f "$(one_pool '{cpu: 8, memory: 16Gi, gpu: 2, gpuMemory: 80Gi}')" --set model.layers=64
refuse_with 'less than or equal to 8' -f "$(gpu_pool '{cpu: 8, memory: 16Gi, gpu: 9, gpuMemory: 80Gi}')" --set model.layers=64
refuse_with 'less than or equal to 8' -f "$tmp/split-values.yaml" --set colors.green.resources.edge.gpu=16
refuse_with 'set model.layers' -f "$(gpu_pool '{cpu: 8, memory: 16Gi, gpu: 2, gpuMemory: 80Gi}')"
refuse_with 'refuses more devices than layers' -f "$(gpu_pool '{cpu: 8, memory: 16Gi, gpu: 4, gpuMemory: 80Gi}')" --set model.layers=3
refuse_with 'layers (colour green' -f "$tmp/split-values.yaml" --set colors.green.model.layers=3
refuse_with 'does not fit even split over 2 GPUs' -f "$tmp/split-values.yaml" --set model.sizeBytes=400Gi --set model.layers=61
refuse_with 'the last of its 2 GPUs runs 32' -f "$tmp/split-values.yaml" --set server.kvCacheMemory=200Gi
refuse_with 'the last of its 4 GPUs runs 16' -f "$tmp/split-values.yaml" --set server.kvCacheMemory=80%
split_mutations=(
  's#name: DSINFER_DEVICE, value: "vulkan:0,1"#name: DSINFER_DEVICE, value: "vulkan"#'
  's#name: DSINFER_DEVICE, value: "vulkan:0,1"#name: DSINFER_DEVICE, value: "vulkan:0,0"#'
  's#name: DSINFER_DEVICE, value: "vulkan:0,1,2,3"#name: DSINFER_DEVICE, value: "vulkan:0,1,2"#'
  's#nvidia.com/gpu: "4"#nvidia.com/gpu: "2"#'
  's#name: DSINFER_KV_CACHE_MEM, value: "146136262246"#name: DSINFER_KV_CACHE_MEM, value: "146136262247"#'
  's#name: DSINFER_KV_CACHE_MEM, value: "80806741837"#name: DSINFER_KV_CACHE_MEM, value: "73121818212"#'
)
refuses_mutants "$tmp/split.yaml" split --values "$tmp/split-values.yaml" -- "${split_mutations[@]}"
echo "GPU split: 2 and 4 GPUs per pod run vulkan:0,..,N-1 with the KV cache sized on the last GPU's share; 11 refusals, ${#split_mutations[@]} mutations caught"

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

# Blue-green per colour: changing everything of green (image, model, server settings, resources)
# leaves every blue object byte-identical, and each change does reach green.
colored() {  # FILE COLOUR: the documents of one colour (Deployments, HPAs, PDBs)
  awk -v c="$2" 'BEGIN { RS = "\n---\n" } index($0, "dsinfer.io/color: " c "\n") && !/kind: Service\n/ { print; print "---" }' "$1"
}
ga="$chart/ci/green-active-values.yaml"
cat > "$tmp/green-changed.yaml" <<'VALUES'
colors:
  green:
    image: {tag: "0.3.0", digest: ""}
    model: {file: other/model-32b.gguf, sha256: "1111111111111111111111111111111111111111111111111111111111111111", sizeBytes: 12Gi}
    server: {gracePeriodSeconds: 90, kvCacheMemory: 6Gi, stallTimeoutSeconds: 120}
    resources: {core: {cpu: 12, memory: 32Gi}}
VALUES
"$HELM" template bg "$chart" -f "$ga" > "$tmp/bg-a.yaml" 2> >(quiet >&2)
"$HELM" template bg "$chart" -f "$ga" -f "$tmp/green-changed.yaml" > "$tmp/bg-b.yaml" 2> >(quiet >&2)
colored "$tmp/bg-a.yaml" blue > "$tmp/bg-a.blue"; colored "$tmp/bg-b.yaml" blue > "$tmp/bg-b.blue"
[ -s "$tmp/bg-a.blue" ] && cmp -s "$tmp/bg-a.blue" "$tmp/bg-b.blue" || { diff "$tmp/bg-a.blue" "$tmp/bg-b.blue" | head; echo "FAIL: changing green changed blue"; exit 1; }
colored "$tmp/bg-b.yaml" green > "$tmp/bg-b.green"
for want in 'image: ghcr.io/dsinfer/dsinfer:0.3.0' 'other/model-32b.gguf' '1111111111111111111111111111111111111111111111111111111111111111' \
  'name: DSINFER_GRACE_PERIOD, value: "90"' 'name: DSINFER_KV_CACHE_MEM, value: "6442450944"' 'name: DSINFER_THREADS, value: "12"' \
  'memory: "32Gi"' 'terminationGracePeriodSeconds: 105'; do
  grep -qF -- "$want" "$tmp/bg-b.green" || { echo "FAIL: green lacks $want"; exit 1; }
done
grep -q 'image: ghcr.io/dsinfer/dsinfer@sha256:4f1d' "$tmp/bg-a.yaml" && grep -q 'image: ghcr.io/dsinfer/dsinfer:0.1.0' "$tmp/bg-a.yaml" \
  || { echo "FAIL: green's digest and blue's tag are not each their own"; exit 1; }
echo "blue-green: green's image, model, settings and resources change green only (blue byte-identical)"

# Glossaries (ci/green-active-values.yaml: blue the shared files, green its own; validated above):
# one ConfigMap per colour, mounted read-only where DSINFER_GLOSSARY_DIR points, the pods carry the
# checksum of what they mount. A change of content rolls the pods of that colour only.
cat > "$tmp/gl-changed.yaml" <<'VALUES'
colors:
  green:
    glossaries: {files: {legal.en-de.tsv: "court\tGerichtshof\n"}}
VALUES
"$HELM" template dsinfer-green-active "$chart" -n ns-green-active -f "$ga" -f "$tmp/gl-changed.yaml" > "$tmp/gl-b.yaml" 2> >(quiet >&2)
colored "$tmp/green-active.yaml" blue > "$tmp/gl-a.blue"; colored "$tmp/gl-b.yaml" blue > "$tmp/gl-b.blue"
grep -q 'kind: ConfigMap' "$tmp/gl-a.blue" && cmp -s "$tmp/gl-a.blue" "$tmp/gl-b.blue" || { echo "FAIL: green's glossary change changed blue"; exit 1; }
sums() { grep -o 'glossaries-sha256: "[0-9a-f]*"' "$1" | sort -u; }
a=$(colored "$tmp/green-active.yaml" green | sums /dev/stdin); b=$(colored "$tmp/gl-b.yaml" green | sums /dev/stdin)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && grep -q 'Gerichtshof' "$tmp/gl-b.yaml" || { echo "FAIL: green's glossary change does not roll green's pods"; exit 1; }
# An existing ConfigMap instead of files: mounted as named, nothing rendered for it.
"$HELM" template ex "$chart" --set glossaries.existingConfigMap=team-glossaries-v3 > "$tmp/gl-ex.yaml" 2> >(quiet >&2)
node "$src/deploy/tests/validate_rendered.mjs" "$tmp/gl-ex.yaml" "$chart" <(echo 'glossaries: {existingConfigMap: team-glossaries-v3}') > /dev/null
[ "$(grep -c '^            name: team-glossaries-v3$' "$tmp/gl-ex.yaml")" = 2 ] && ! grep -q 'glossaries-blue$' "$tmp/gl-ex.yaml" \
  || { echo "FAIL: existingConfigMap not mounted by both pools (or a ConfigMap rendered)"; exit 1; }
refuse_with 'not both' --set glossaries.existingConfigMap=x --set-string 'glossaries.files.a\.en-de\.csv=a\,b'
refuse --set-string 'glossaries.files.legal\.tsv=a'                    # no <source>-<target>
refuse --set-string 'glossaries.files.legal\.en-de\.txt=a'             # not tsv|csv
head -c 1100000 /dev/zero | tr '\0' 'a' > "$tmp/big.csv"
refuse_with "over a ConfigMap's 1 MiB" --set-file 'glossaries.files.big\.en-de\.csv='"$tmp/big.csv"
gl_mutations=(
  '0,/glossaries-sha256: /s#glossaries-sha256: "[0-9a-f]*"#glossaries-sha256: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"#'
  's#{name: glossaries, mountPath: /etc/dsinfer/glossaries, readOnly: true}#{name: glossaries, mountPath: /etc/dsinfer/glossaries}#'
  's#name: DSINFER_GLOSSARY_DIR, value: /etc/dsinfer/glossaries#name: DSINFER_GLOSSARY_DIR, value: /etc/dsinfer/glossary#'
  '/name: DSINFER_GLOSSARY_DIR/d'
  's#^            name: dsinfer-green-active-glossaries-blue$#            name: dsinfer-green-active-glossaries-green#'
  's#^  acme.en-fr.csv: |#  acme.fr.csv: |#'
  's#widget,machin#widget,bidule#'
)
refuses_mutants "$tmp/green-active.yaml" gl --values "$ga" -- "${gl_mutations[@]}"
echo "glossaries: per-colour ConfigMaps (green's change leaves blue byte-identical, rolls green), existingConfigMap, 4 refusals, ${#gl_mutations[@]} mutations caught"

# deploy/bluegreen.sh against stand-ins of helm and kubectl that record every call: a model
# update end to end, a values file that must not undo a switch, a switch whose endpoints do not
# follow (switches back by itself), a colour that never gets Ready (no switch), bad input.
stubs="$src/deploy/tests/bluegreen_stubs"
export STUB_STATE="$tmp/bg.json" STUB_LOG="$tmp/bg.log" BLUEGREEN_SETTLE_SECONDS=0 REAL_HELM="$HELM" \
  HELM="$stubs/helm" KUBECTL="$stubs/kubectl"
bg="$src/deploy/bluegreen.sh"
sha_a=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sha_b=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
echo "{\"image\":{\"tag\":\"0.1.0\"},\"model\":{\"file\":\"m7.gguf\",\"sha256\":\"$sha_a\"}}" > "$tmp/bg-init.json"
"$HELM" upgrade dsinfer "$chart" -f "$tmp/bg-init.json"   # the stub: installs the initial release state
state() { jq -c '[.activeColor, .colors.blue.enabled, .colors.blue.image.tag, (.colors.blue.model.file // ""),
  .colors.green.enabled, .colors.green.image.tag, (.colors.green.model.file // "")]' "$STUB_STATE.all"; }
expect_state() { [ "$(state)" = "$1" ] || { echo "FAIL: bluegreen state $(state), expected $1 (after: $2)"; tail -20 "$STUB_LOG"; exit 1; }; }
run_bg() { "$bg" "$@" 2>>"$tmp/bg.err"; }
run_bg deploy --tag 0.2.0 --model m14.gguf --sha256 "$sha_b" --size 8.4Gi
expect_state '["blue",true,"","",true,"0.2.0","m14.gguf"]' "deploy a new model on green"
# order: the new colour is written, then waited for; nothing switched yet
up=$(grep -n '^helm upgrade' "$STUB_LOG" | tail -1 | cut -d: -f1); wait=$(grep -n '^kubectl rollout status.*-green' "$STUB_LOG" | tail -1 | cut -d: -f1)
[ "$up" -lt "$wait" ] || { echo "FAIL: deploy waited before upgrading"; exit 1; }
printf 'activeColor: blue\nserver: {warmupRequests: 2}\n' > "$tmp/user.yaml"
: > "$STUB_LOG"
run_bg -f "$tmp/user.yaml" switch
expect_state '["green",true,"","",true,"0.2.0","m14.gguf"]' "switch with a values file carrying activeColor: blue"
[ "$(jq -r .server.warmupRequests "$STUB_STATE.all")" = 2 ] || { echo "FAIL: the user's values file was not applied"; exit 1; }
ready=$(grep -n '^kubectl wait pod.*color=green' "$STUB_LOG" | head -1 | cut -d: -f1); up=$(grep -n '^helm upgrade' "$STUB_LOG" | head -1 | cut -d: -f1)
[ -n "$ready" ] && [ "$ready" -lt "$up" ] || { echo "FAIL: switch did not check readiness before switching"; cat "$STUB_LOG"; exit 1; }
grep -q '^kubectl get endpointslices' "$STUB_LOG" || { echo "FAIL: switch did not verify the endpoints"; exit 1; }
run_bg -f "$tmp/user.yaml" rollback; expect_state '["blue",true,"","",true,"0.2.0","m14.gguf"]' rollback
run_bg switch;   expect_state '["green",true,"","",true,"0.2.0","m14.gguf"]' "switch again"
run_bg finish;   expect_state '["green",false,"","",true,"0.2.0","m14.gguf"]' finish
if run_bg rollback; then echo "FAIL: rollback to a disabled colour"; exit 1; fi
run_bg deploy --tag 0.3.0
expect_state '["green",true,"0.3.0","m14.gguf",true,"0.2.0","m14.gguf"]' "deploy an image on blue (model copied from green)"
if STUB_STALE_ENDPOINTS=green run_bg switch; then echo "FAIL: switch with stale endpoints succeeded"; exit 1; fi
expect_state '["green",true,"0.3.0","m14.gguf",true,"0.2.0","m14.gguf"]' "failed switch"
grep -q "switch to blue rolled back" "$tmp/bg.err" || { echo "FAIL: no automatic switch-back"; cat "$tmp/bg.err"; exit 1; }
if STUB_NOT_READY=blue run_bg switch; then echo "FAIL: switched to a colour that is not Ready"; exit 1; fi
expect_state '["green",true,"0.3.0","m14.gguf",true,"0.2.0","m14.gguf"]' "not-ready switch"
# A glossary update on the idle colour (a versioned ConfigMap): blue mounts it, green keeps its own.
run_bg deploy --glossaries team-glossaries-v2
[ "$(jq -c '[.colors.blue.glossaries, .colors.green.glossaries // {}]' "$STUB_STATE.all")" = '[{"files":null,"existingConfigMap":"team-glossaries-v2"},{}]' ] \
  || { echo "FAIL: deploy --glossaries: $(jq -c '[.colors.blue.glossaries, .colors.green.glossaries]' "$STUB_STATE.all")"; exit 1; }
: > "$STUB_LOG"
for bad in "--model x.gguf" "--tag a\"b" "--model ../etc/passwd --sha256 $sha_a" "--digest sha256:xyz" "--sha256 $sha_a" "--size lots --tag 1" "--glossaries Bad_Name" \
  "--tag 0.4.0-vulkan" "--gpu-digest sha256:$sha_b" "--layers 0 --model x.gguf --sha256 $sha_a" "--layers 48 --tag 1"; do
  # shellcheck disable=SC2086
  if run_bg deploy $bad; then echo "FAIL: deploy accepted $bad"; exit 1; fi
done
if grep -q '^helm upgrade' "$STUB_LOG"; then echo "FAIL: a refused deploy still upgraded"; exit 1; fi
# Both flavours pinned by digest (GPU pools run the gpuDigest); a tag clears both digests.
run_bg deploy --digest "sha256:$sha_a" --gpu-digest "sha256:$sha_b"
[ "$(jq -c .colors.blue.image "$STUB_STATE.all")" = "{\"tag\":\"\",\"digest\":\"sha256:$sha_a\",\"gpuDigest\":\"sha256:$sha_b\"}" ] \
  || { echo "FAIL: deploy --digest --gpu-digest: $(jq -c .colors.blue.image "$STUB_STATE.all")"; exit 1; }
run_bg deploy --tag 0.4.0
[ "$(jq -c .colors.blue.image "$STUB_STATE.all")" = '{"tag":"0.4.0","digest":"","gpuDigest":""}' ] || { echo "FAIL: deploy --tag after digests"; exit 1; }
# A release whose pools split the model over several GPUs: a new model must bring its layer count
# (the chart sizes each GPU's share from it), which lands in the idle colour's model.
"$HELM" upgrade dsinfer "$chart" -f "$tmp/split-values.yaml"
if run_bg deploy --model m70.gguf --sha256 "$sha_b" --size 12Gi; then echo "FAIL: deploy --model on a split release without --layers"; exit 1; fi
grep -q 'give --layers N' "$tmp/bg.err" || { echo "FAIL: deploy --model without --layers: no reason given"; exit 1; }
run_bg deploy --model m70.gguf --sha256 "$sha_b" --size 12Gi --layers 48
[ "$(jq -c .colors.green.model "$STUB_STATE.all")" = "{\"file\":\"m70.gguf\",\"sha256\":\"$sha_b\",\"sizeBytes\":\"12Gi\",\"layers\":48}" ] \
  || { echo "FAIL: deploy --layers: $(jq -c .colors.green.model "$STUB_STATE.all")"; exit 1; }
echo "bluegreen.sh: model update deploy/switch/rollback/finish in order; a values file cannot undo a switch; switch-back on stale endpoints; not-ready and bad input refused; CPU + GPU digests; --layers for split pools"
unset HELM KUBECTL REAL_HELM

echo "PASS test_helm_chart (${#cases[@]} values files, $(( ${#mutations[@]} + ${#ro_mutations[@]} + ${#gw_mutations[@]} + ${#gl_mutations[@]} + ${#gpu_mutations[@]} + ${#split_mutations[@]} )) mutations) in $(( $(date +%s) - start ))s"
