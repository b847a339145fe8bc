#!/usr/bin/env bash
# Installs the Debian packages dsinfer needs, only those missing.
# usage: scripts/deps.sh build|test
set -euo pipefail
build_pkgs=(cmake ninja-build g++ git pkg-config libboost-dev libasio-dev nlohmann-json3-dev
  libpcre2-dev libicu-dev libcld2-dev libcli11-dev libspdlog-dev libfmt-dev libyaml-cpp-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev)
# The Vulkan backend (-DDSINFER_VULKAN, on when these exist): loader headers and the GLSL -> SPIR-V
# compiler. Kept apart from build_pkgs: the CPU image builds without them (CPU-only binary).
vulkan_build_pkgs=(libvulkan-dev glslc)
# mesa-vulkan-drivers: lavapipe, the CPU Vulkan driver the Vulkan op tests run on;
# vulkan-validationlayers: those tests fail on any validation message.
test_pkgs=(clang clang-format libclang-rt-14-dev curl python3 prometheus buildah debootstrap unzip jq
  mesa-vulkan-drivers vulkan-validationlayers)
pkgs=("${build_pkgs[@]}" "${vulkan_build_pkgs[@]}")
if [ "${1:-build}" = test ]; then
  pkgs+=("${test_pkgs[@]}")
  # Node.js + npm: any installation will do (some machines carry a newer nodejs that bundles
  # npm, which Debian's separate npm package conflicts with).
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then pkgs+=(nodejs npm); fi
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
