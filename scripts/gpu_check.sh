#!/usr/bin/env bash
# Device check of the Vulkan backend on a lent GPU machine (no network there).
#   scripts/gpu_check.sh pack DIR   here: DIR gets the Vulkan op tests, the matmul benchmark, the
#                                   dsinfer binary, the shared libraries ldd lists (libc aside),
#                                   the Vulkan loader and the Khronos validation layer
#   scripts/gpu_check.sh run DIR    there: lists the Vulkan devices, picks the first that is not a
#                                   CPU (DSINFER_GPU_CHECK_DEVICE=N overrides), runs every op test
#                                   on it with validation on, then the matmul benchmark; results in
#                                   DIR/results (and $OUT when set). Well under 8 minutes.
# The GPU's own Vulkan driver (ICD) must be installed there: NVIDIA's driver ships it (in
# containers only with NVIDIA_DRIVER_CAPABILITIES including "graphics").
# What it cannot check yet: the golden suite and bench-model on the device need the engine
# integration (docs/vulkan.md, "Next steps").
set -euo pipefail
mode=${1:-}; dir=${2:-}
[ -n "$mode" ] && [ -n "$dir" ] || { echo "usage: $0 pack|run DIR" >&2; exit 2; }

pack() {
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then echo "$dir must be new or empty" >&2; exit 2; fi
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  cd "$(dirname "$0")/.."
  local b=build/release
  local bins=("$b/tests/unit_vulkan" "$b/bench/bench_vulkan_matmul" "$b/src/cli/dsinfer")
  for f in "${bins[@]}"; do
    [ -x "$f" ] || { echo "missing $f: bash scripts/build.sh release unit_vulkan bench_vulkan_matmul dsinfer" >&2; exit 1; }
  done
  mkdir -p "$dir/bin" "$dir/lib" "$dir/layers"
  cp "${bins[@]}" "$dir/bin/"
  # Every library the binaries load, except the C runtime (it must match the machine's kernel).
  ldd "${bins[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*) ;;
      *) cp -L "$lib" "$dir/lib/" ;;
    esac
  done
  local layer=/usr/lib/x86_64-linux-gnu/libVkLayer_khronos_validation.so
  local json=/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json
  [ -f "$layer" ] || { echo "missing $layer (apt-get install vulkan-validationlayers)" >&2; exit 1; }
  cp "$layer" "$dir/layers/"
  sed 's#"library_path": *"[^"]*"#"library_path": "./libVkLayer_khronos_validation.so"#' "$json" \
    > "$dir/layers/VkLayer_khronos_validation.json"
  cp scripts/gpu_check.sh "$dir/"
  echo "packed $(du -sh "$dir" | cut -f1) into $dir"
}

run() {
  dir=$(cd "$dir" && pwd)
  export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export VK_ADD_LAYER_PATH="$dir/layers"
  local results="$dir/results"; mkdir -p "$results"
  "$dir/bin/dsinfer" --version | tee "$results/version.txt"
  local device=${DSINFER_GPU_CHECK_DEVICE:-}
  if [ -z "$device" ]; then
    device=$(awk '/^  vulkan:[0-9]+ / && !/\[CPU,/ {sub("vulkan:", "", $1); print $1; exit}' \
      "$results/version.txt")
  fi
  if [ -z "$device" ]; then
    echo "NO GPU: no Vulkan device other than a CPU one; is the GPU's Vulkan driver installed?" >&2
    exit 1
  fi
  echo "device: vulkan:$device"
  local rc=0
  DSINFER_VULKAN_TEST_DEVICE=$device CI=true timeout 300 "$dir/bin/unit_vulkan" \
    --gtest_output="json:$results/unit_vulkan.json" 2>&1 | tee "$results/unit_vulkan.txt" || rc=1
  DSINFER_VULKAN_BENCH_DEVICE=$device timeout 180 "$dir/bin/bench_vulkan_matmul" \
    --benchmark_min_time=0.5 --benchmark_out="$results/bench_vulkan_matmul.json" \
    --benchmark_out_format=json 2>&1 | tee "$results/bench_vulkan_matmul.txt" || rc=1
  if [ -n "${OUT:-}" ]; then cp -r "$results" "$OUT/"; fi
  exit $rc
}

case "$mode" in
  pack) pack ;;
  run) run ;;
  *) echo "usage: $0 pack|run DIR" >&2; exit 2 ;;
esac
