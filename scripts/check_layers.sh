#!/usr/bin/env bash
# Fails when a file under src/<layer>/ includes a header of a layer it may not use
# (the table in docs/architecture.md; "may use" is transitive).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [base]="base"
  [gguf]="base tensor gguf"
  [tensor]="base tensor"
  [kernels]="base tensor kernels"
  [vulkan]="base gguf tensor kernels model vulkan"
  [tokenizer]="base tensor gguf tokenizer"
  [model]="base gguf tensor kernels model"
  [engine]="base gguf tensor kernels model vulkan tokenizer engine"
  [translate]="base gguf tensor kernels model tokenizer engine translate"
  [metrics]="base metrics"
  [server]="base gguf tensor kernels model tokenizer engine translate metrics server"
  [client]="base client"
  [plan]="base plan"
  [cli]="base gguf tensor kernels vulkan model tokenizer engine translate metrics server client plan cli"
)
status=0
include_re='^#include "([a-z_]+)/'
for layer in "${!allowed[@]}"; do
  [ -d "src/$layer" ] || continue
  while IFS=: read -r file line inc; do  # no process per line: bash matching only
    [[ $inc =~ $include_re ]] || continue
    target=${BASH_REMATCH[1]}
    [ -d "src/$target" ] || continue
    if [[ " ${allowed[$layer]} " != *" $target "* ]]; then
      echo "layer violation: $file:$line includes '$target' (layer '$layer' may use: ${allowed[$layer]})"
      status=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "src/$layer" || true)
done
[ $status -eq 0 ] && echo "layers: ok"
exit $status
