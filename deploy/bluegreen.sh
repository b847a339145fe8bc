#!/usr/bin/env bash
# Blue-green upgrades of a dsinfer Helm release: deploys a new image on the idle colour, waits
# until every pod of it is Ready, switches the Service selector, verifies the endpoints, and can
# roll back. Step by step in docs/deploy.md ("Blue-green upgrade").
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: deploy/bluegreen.sh [-r RELEASE] [-n NAMESPACE] [-c CHART] [-t TIMEOUT] [-f VALUES]... COMMAND
commands:
  status          active colour, enabled colours, ready pods of each
  deploy TAG      enable the idle colour with image tag TAG; wait until all its pods are Ready
  switch          point the Service at the idle colour (must be Ready), then verify;
                  switches back by itself if verification fails
  verify          check that the Service's endpoints are exactly the active colour's Ready pods
  rollback        point the Service back at the other colour (it must still be enabled)
  finish          disable the idle colour (after the new one has proven itself)
  release TAG     deploy TAG + switch (run `finish` later, once satisfied)
defaults: -r dsinfer -n default -c deploy/helm/dsinfer -t 20m; HELM and KUBECTL name the tools.
USAGE
}

release=dsinfer namespace=default chart="$(cd "$(dirname "$0")" && pwd)/helm/dsinfer" timeout=20m
values=()
while getopts "r:n:c:t:f:h" opt; do
  case $opt in
    r) release=$OPTARG ;;
    n) namespace=$OPTARG ;;
    c) chart=$OPTARG ;;
    t) timeout=$OPTARG ;;
    f) values+=(-f "$OPTARG") ;;
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

# Current values of the release (user-supplied and defaults merged).
release_values() { "$helm" get values "$release" -n "$namespace" --all -o json; }
active_color() { release_values | jq -r '.activeColor'; }
other_color() { if [ "$1" = blue ]; then echo green; else echo blue; fi; }
color_enabled() { release_values | jq -r --arg c "$1" '.colors[$c].enabled'; }
selector() { echo "app.kubernetes.io/instance=$release,dsinfer.io/color=$1"; }
service_name() {
  "$kubectl" get svc -n "$namespace" -l "app.kubernetes.io/instance=$release,dsinfer.io/service=api" \
    -o jsonpath='{.items[0].metadata.name}'
}

upgrade() {
  log "helm upgrade $release $*"
  "$helm" upgrade "$release" "$chart" -n "$namespace" --reuse-values "${values[@]}" "$@" --wait=false
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

case $cmd in
  status)
    active=$(active_color)
    echo "release $release (namespace $namespace): active colour $active"
    for c in blue green; do
      ready=$("$kubectl" get pods -n "$namespace" -l "$(selector "$c")" --no-headers 2>/dev/null | wc -l)
      echo "  $c: enabled=$(color_enabled "$c") imageTag=$(release_values | jq -r --arg c "$c" '.colors[$c].imageTag') pods=$ready"
    done
    ;;
  deploy)
    [ $# -eq 1 ] || die "deploy needs the image tag"
    idle=$(other_color "$(active_color)")
    log "deploying tag $1 on idle colour $idle"
    upgrade --set "colors.$idle.enabled=true" --set-string "colors.$idle.imageTag=$1"
    wait_ready "$idle"
    ;;
  switch)
    active=$(active_color)
    idle=$(other_color "$active")
    [ "$(color_enabled "$idle")" = true ] || die "colour $idle is not deployed (run: deploy TAG)"
    wait_ready "$idle"
    log "switching the Service from $active to $idle"
    upgrade --set "activeColor=$idle"
    sleep "${BLUEGREEN_SETTLE_SECONDS:-5}"
    if ! verify; then
      log "verification failed: switching back to $active"
      upgrade --set "activeColor=$active"
      die "switch to $idle rolled back"
    fi
    ;;
  verify)
    verify || die "verification failed"
    ;;
  rollback)
    active=$(active_color)
    previous=$(other_color "$active")
    [ "$(color_enabled "$previous")" = true ] || die "colour $previous is no longer deployed; redeploy it with: deploy TAG"
    log "rolling back the Service from $active to $previous"
    upgrade --set "activeColor=$previous"
    sleep "${BLUEGREEN_SETTLE_SECONDS:-5}"
    verify || die "verification after rollback failed"
    ;;
  finish)
    idle=$(other_color "$(active_color)")
    log "disabling idle colour $idle"
    upgrade --set "colors.$idle.enabled=false"
    ;;
  release)
    [ $# -eq 1 ] || die "release needs the image tag"
    "$0" -r "$release" -n "$namespace" -c "$chart" -t "$timeout" "${values[@]}" deploy "$1"
    "$0" -r "$release" -n "$namespace" -c "$chart" -t "$timeout" "${values[@]}" switch
    log "released $1; run '$0 finish' once satisfied, or '$0 rollback'"
    ;;
  *) usage >&2; exit 2 ;;
esac
