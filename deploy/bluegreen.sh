#!/usr/bin/env bash
# Blue-green rollout of a dsinfer Helm release — a new image, a new model, or both: deploys them
# on the idle colour, waits until every pod of it is Ready, switches the Service selector,
# verifies the endpoints, and can roll back. Step by step in docs/deploy.md ("Blue-green update").
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: deploy/bluegreen.sh [-r RELEASE] [-n NAMESPACE] [-c CHART] [-t TIMEOUT] [-f VALUES]... COMMAND
commands:
  status                 active colour, enabled colours, image and model of each, ready pods
  deploy [OPTIONS]       put OPTIONS on the idle colour (unset ones: copied from the active
                         colour), enable it, wait until all its pods are Ready
      --tag TAG          image tag (the version: GPU pools run TAG-vulkan)
      --digest sha256:...   image digest (wins over the tag); with GPU pools also
      --gpu-digest sha256:...   the digest of the GPU flavour (TAG-vulkan) of that version
      --model FILE       GGUF path in the model repository
      --sha256 HEX       the model's sha256 (required with --model)
      --size SIZE        the model's size (e.g. 8.4Gi; sizes the KV cache)
      --layers N         the model's layer count (`dsinfer inspect`, row "layers"); required
                         with --model when a pool splits the model over several GPUs
      --glossaries NAME  a ConfigMap of glossary files made beforehand (kubectl create
                         configmap NAME --from-file=DIR), for the idle colour only
  switch                 point the Service at the idle colour (must be Ready), then verify;
                         switches back by itself if verification fails
  verify                 check that the Service's endpoints are exactly the active colour's Ready pods
  rollback               point the Service back at the other colour (it must still be enabled)
  finish                 disable the idle colour (after the new one has proven itself)
  release [OPTIONS]      deploy OPTIONS + switch (run `finish` later, once satisfied)
-f VALUES: your values files. They are applied over the release's current values and under the
blue-green state (activeColor, which colours are enabled, the active colour's settings), which
only this script changes: a values file can never undo a switch or alter the serving colour.
defaults: -r dsinfer -n default -c deploy/helm/dsinfer -t 20m; HELM and KUBECTL name the tools.
USAGE
}

release=dsinfer namespace=default chart="$(cd "$(dirname "$0")" && pwd)/helm/dsinfer" timeout=20m
user_values=()
while getopts "r:n:c:t:f:h" opt; do
  case $opt in
    r) release=$OPTARG ;;
    n) namespace=$OPTARG ;;
    c) chart=$OPTARG ;;
    t) timeout=$OPTARG ;;
    f) [ -r "$OPTARG" ] || { echo "values file $OPTARG not readable" >&2; exit 2; }
       user_values+=(-f "$OPTARG") ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { usage >&2; exit 2; }
cmd=$1; shift
helm=${HELM:-helm}
kubectl=${KUBECTL:-kubectl}
log() { echo "[bluegreen $(date -u +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Values of the release: user-supplied only (what `upgrade` starts from) or merged with defaults.
user_supplied() { "$helm" get values "$release" -n "$namespace" -o json; }
all_values() { "$helm" get values "$release" -n "$namespace" --all -o json; }
active_color() { all_values | jq -r '.activeColor'; }
other_color() { if [ "$1" = blue ]; then echo green; else echo blue; fi; }
color_enabled() { all_values | jq -r --arg c "$1" '.colors[$c].enabled'; }
selector() { echo "app.kubernetes.io/instance=$release,dsinfer.io/color=$1"; }
service_name() {
  "$kubectl" get svc -n "$namespace" -l "app.kubernetes.io/instance=$release,dsinfer.io/service=api" \
    -o jsonpath='{.items[0].metadata.name}'
}

# upgrade JQ_FILTER: new blue-green state = the filter applied to the release's current values.
# helm gets, in order: the release's user-supplied values, the caller's -f files, then the state
# (activeColor, colors.*.enabled, the serving colour's whole settings + the filter's changes), so
# later files win exactly where the script means them to (no --reuse-values: with it, -f files
# came last and a file carrying activeColor silently undid a switch).
upgrade() {
  local filter=$1 all
  all=$(all_values)
  user_supplied > "$work/current.json"
  jq --arg a "$(jq -r .activeColor <<< "$all")" \
    '{activeColor: .activeColor, colors: {blue: {enabled: .colors.blue.enabled}, green: {enabled: .colors.green.enabled}}}
     * {colors: {($a): .colors[$a]}}' <<< "$all" | jq "$filter" > "$work/state.json"
  log "helm upgrade $release: $(jq -c . "$work/state.json")"
  "$helm" upgrade "$release" "$chart" -n "$namespace" -f "$work/current.json" "${user_values[@]}" \
    -f "$work/state.json" --wait=false >&2
}

# wait_ready COLOR: every Deployment of COLOR rolled out, every one of its pods Ready.
wait_ready() {
  local color=$1 deployments d
  deployments=$("$kubectl" get deploy -n "$namespace" -l "$(selector "$color")" -o name)
  [ -n "$deployments" ] || die "no Deployment of colour $color"
  for d in $deployments; do
    log "waiting for $d (timeout $timeout)"
    "$kubectl" rollout status "$d" -n "$namespace" --timeout "$timeout" >&2 || die "$d did not roll out"
  done
  "$kubectl" wait pod -n "$namespace" -l "$(selector "$color")" --for=condition=Ready --timeout "$timeout" >&2 \
    || die "pods of colour $color are not all Ready"
  log "colour $color: all pods Ready"
}

# verify: Service selector names the active colour and its endpoints are that colour's pods only.
verify() {
  local active svc sel ready_pods endpoint_pods
  active=$(active_color)
  svc=$(service_name)
  [ -n "$svc" ] || die "no API Service for release $release"
  sel=$("$kubectl" get svc "$svc" -n "$namespace" -o jsonpath='{.spec.selector.dsinfer\.io/color}')
  [ "$sel" = "$active" ] || { log "Service $svc selects colour '$sel', expected $active"; return 1; }
  ready_pods=$("$kubectl" get pods -n "$namespace" -l "$(selector "$active")" \
    -o jsonpath='{range .items[?(@.status.conditions[?(@.type=="Ready")].status=="True")]}{.metadata.name}{"\n"}{end}' | sort)
  endpoint_pods=$("$kubectl" get endpointslices -n "$namespace" -l "kubernetes.io/service-name=$svc" -o json \
    | jq -r '.items[].endpoints[]? | select(.conditions.ready == true) | .targetRef.name' | sort)
  [ -n "$endpoint_pods" ] || { log "Service $svc has no ready endpoints"; return 1; }
  if [ "$endpoint_pods" != "$ready_pods" ]; then
    log "endpoints of $svc are not exactly the Ready pods of $active:"
    diff <(echo "$ready_pods") <(echo "$endpoint_pods") >&2 || true
    return 1
  fi
  log "verified: $svc -> colour $active ($(echo "$endpoint_pods" | wc -l) ready endpoints)"
}

# deploy_filter OPTIONS...: jq filter that copies the active colour's settings to the idle one,
# applies OPTIONS and enables it.
deploy_filter() {
  local active=$1 idle=$2 tag="" digest="" gpu_digest="" model="" sha="" size="" layers="" glossaries=""
  shift 2
  while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "$1 needs a value"
    case $1 in
      --tag) [[ $2 =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--tag: not an image tag: $2"
        [[ $2 != *-vulkan ]] || die "--tag $2 names the Vulkan flavour: give the version (${2%-vulkan}); the chart adds -vulkan for GPU pools"
        tag=$2 ;;
      --digest) [[ $2 =~ ^sha256:[a-f0-9]{64}$ ]] || die "--digest must be sha256:<64 hex>"; digest=$2 ;;
      --gpu-digest) [[ $2 =~ ^sha256:[a-f0-9]{64}$ ]] || die "--gpu-digest must be sha256:<64 hex>"; gpu_digest=$2 ;;
      --model) [[ $2 =~ ^[A-Za-z0-9_][A-Za-z0-9_./-]*$ && $2 != *..* ]] || die "--model: not a relative path in the model repository: $2"
        model=$2 ;;
      --sha256) [[ $2 =~ ^[a-f0-9]{64}$ ]] || die "--sha256 must be 64 hex digits"; sha=$2 ;;
      --glossaries) [[ $2 =~ ^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$ ]] || die "--glossaries: not a ConfigMap name: $2"; glossaries=$2 ;;
      --size) [[ $2 =~ ^[0-9]+(\.[0-9]+)?(k|K|M|G|T|Ki|Mi|Gi|Ti)?$ ]] || die "--size: not a size (8.4Gi, 9019431321): $2"; size=$2 ;;
      --layers) [[ $2 =~ ^[1-9][0-9]{0,3}$ ]] || die "--layers: not a layer count (1-9999): $2"; layers=$2 ;;
      *) die "unknown deploy option $1" ;;
    esac
    shift 2
  done
  [ -n "$tag$digest$model$glossaries" ] || die "deploy needs --tag, --digest, --model and/or --glossaries"
  if [ -n "$model" ] && [ -z "$sha" ]; then die "--model needs --sha256 (the init container verifies it)"; fi
  if [ -n "$gpu_digest" ] && [ -z "$digest" ]; then die "--gpu-digest goes with --digest (the CPU flavour's)"; fi
  if [ -n "$layers" ] && [ -z "$model" ]; then die "--layers goes with --model (the new model's layer count)"; fi
  # A pool split over several GPUs sizes each GPU's share from the model's layer count: a new
  # model must bring its own, or the chart would size it with the old model's.
  if [ -n "$model" ] && [ -z "$layers" ] \
    && all_values | jq -e '[(.pools[]? | select(.enabled) | .resources.gpu // 0), (.colors[]?.resources[]?.gpu // 0)] | any(. > 1)' > /dev/null; then
    die "a pool runs on several GPUs per pod (the layer split): give --layers N, the new model's layer count (dsinfer inspect MODEL.gguf, row \"layers\")"
  fi
  local f=".colors.$idle = (.colors.$active // {}) | .colors.$idle.enabled = true"
  [ -n "$tag" ] && f+=" | .colors.$idle.image = {tag: \"$tag\", digest: \"\", gpuDigest: \"\"}"
  [ -n "$digest" ] && f+=" | .colors.$idle.image = {tag: \"\", digest: \"$digest\", gpuDigest: \"$gpu_digest\"}"
  [ -n "$model" ] && f+=" | .colors.$idle.model = {file: \"$model\", sha256: \"$sha\", sizeBytes: \"$size\", layers: ${layers:-\"\"}}"
  # files: null replaces any files the colour had (a map would merge), so only the ConfigMap counts.
  [ -n "$glossaries" ] && f+=" | .colors.$idle.glossaries = {files: null, existingConfigMap: \"$glossaries\"}"
  echo "$f"
}

case $cmd in
  status)
    all=$(all_values)
    echo "release $release (namespace $namespace): active colour $(jq -r .activeColor <<< "$all")"
    for c in blue green; do
      pods=$("$kubectl" get pods -n "$namespace" -l "$(selector "$c")" --no-headers 2>/dev/null | wc -l)
      echo "  $c: $(jq -c --arg c "$c" '.colors[$c] | {enabled, image, model}' <<< "$all") pods=$pods"
    done
    ;;
  deploy)
    active=$(active_color)
    idle=$(other_color "$active")
    filter=$(deploy_filter "$active" "$idle" "$@")
    log "deploying on idle colour $idle: $*"
    upgrade "$filter"
    wait_ready "$idle"
    ;;
  switch)
    active=$(active_color)
    idle=$(other_color "$active")
    [ "$(color_enabled "$idle")" = true ] || die "colour $idle is not deployed (run: deploy ...)"
    wait_ready "$idle"
    log "switching the Service from $active to $idle"
    upgrade ".activeColor = \"$idle\""
    sleep "${BLUEGREEN_SETTLE_SECONDS:-5}"
    if ! verify; then
      log "verification failed: switching back to $active"
      upgrade ".activeColor = \"$active\""
      die "switch to $idle rolled back"
    fi
    ;;
  verify)
    verify || die "verification failed"
    ;;
  rollback)
    active=$(active_color)
    previous=$(other_color "$active")
    [ "$(color_enabled "$previous")" = true ] || die "colour $previous is no longer deployed; redeploy it with: deploy ..."
    log "rolling back the Service from $active to $previous"
    upgrade ".activeColor = \"$previous\""
    sleep "${BLUEGREEN_SETTLE_SECONDS:-5}"
    verify || die "verification after rollback failed"
    ;;
  finish)
    idle=$(other_color "$(active_color)")
    log "disabling idle colour $idle"
    upgrade ".colors.$idle.enabled = false"
    ;;
  release)
    "$0" -r "$release" -n "$namespace" -c "$chart" -t "$timeout" "${user_values[@]}" deploy "$@"
    "$0" -r "$release" -n "$namespace" -c "$chart" -t "$timeout" "${user_values[@]}" switch
    log "released; run '$0 finish' once satisfied, or '$0 rollback'"
    ;;
  *) usage >&2; exit 2 ;;
esac
