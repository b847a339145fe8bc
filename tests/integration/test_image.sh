#!/usr/bin/env bash
# The container image (deploy/docker/Dockerfile), built by buildah from the binary this build
# already made (runtime stage only, fed through --build-context, so C++ is never compiled twice)
# on a base made locally by debootstrap (deploy/tests/make_base_image.sh), in the flavour that
# binary is: GPU=vulkan when it has the Vulkan backend (CI's build has), else GPU=none; the other
# flavour must refuse that binary. Checks: size <= 250 MB (reported), non-root user, entrypoint,
# OCI labels (io.dsinfer.gpu), no -dev packages or compilers, every library resolved (the Vulkan
# loader in the Vulkan flavour), `dsinfer --version` inside, the chart's model-prefetch script
# run in the image, and a /health/ready smoke test of `dsinfer serve` inside it; the Vulkan
# flavour without a driver fails at load instead of running on the CPU. DSINFER_IMAGE_TEST_MESA=1
# also builds the MESA=true variant and serves on lavapipe inside it (downloads ~40 MB of Mesa).
# Always (cheap): Dockerfile vs scripts/deps.sh, runtime_packages.sh on linked and dlopen cases.
# Slow (debootstrap, cached afterwards) and needs root: runs when CI=true or DSINFER_IMAGE_TEST=1.
set -euo pipefail
src=${DSINFER_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../deploy/tests/tools.sh
source "$src/deploy/tests/tools.sh"

# Static checks, always (cheap): the build stages install every build package of
# scripts/deps.sh (test-only libraries aside), and the build context leaves out build trees.
build_pkgs=$(awk '/^(vulkan_)?build_pkgs=\(/,/\)/' "$src/scripts/deps.sh" | tr -d '()' | sed -E 's/(vulkan_)?build_pkgs=//' \
  | tr ' ' '\n' | grep -vE '^$|^lib(gtest|gmock|benchmark)-dev$')
for dockerfile in Dockerfile; do
  words=$(tr -s ' \\\t"=' '\n' < "$src/deploy/docker/$dockerfile")
  for pkg in $build_pkgs; do
    grep -qxF -- "$pkg" <<< "$words" \
      || { echo "FAIL: $dockerfile does not install $pkg (scripts/deps.sh build_pkgs)"; exit 1; }
  done
  grep -qx 'build' "$src/deploy/docker/$dockerfile.dockerignore" \
    || { echo "FAIL: $dockerfile.dockerignore must exclude build/"; exit 1; }
done
echo "Dockerfiles: build packages match scripts/deps.sh (Vulkan ones included); build trees excluded from the context"

# runtime_packages.sh finds the Vulkan loader whether a binary links it (ldd; the release binary,
# below) or loads it by name (dlopen; here a copy of true(1) that names the soname), and only then.
tmp_rp=$(mktemp -d "${DSINFER_TEST_TMP:-/tmp}/runtime_packages.XXXXXX")
cp "$(type -P true)" "$tmp_rp/plain"
cp "$tmp_rp/plain" "$tmp_rp/dlopen" && printf 'libvulkan.so.1\0' >> "$tmp_rp/dlopen"
"$tmp_rp/dlopen" || { echo "FAIL: the dlopen stand-in does not run"; exit 1; }
plain=$(sh "$src/deploy/docker/runtime_packages.sh" "$tmp_rp/plain" | tr '\n' ' ')
dlopen=$(sh "$src/deploy/docker/runtime_packages.sh" "$tmp_rp/dlopen" | tr '\n' ' ')
rm -rf "$tmp_rp"
[ "$plain" = "libc6 " ] && [ "$dlopen" = "libc6 libvulkan1 " ] \
  || { echo "FAIL: runtime_packages.sh: plain binary -> '$plain' (want libc6), dlopen of libvulkan.so.1 -> '$dlopen' (want libc6 libvulkan1)"; exit 1; }
echo "runtime_packages.sh: a binary that dlopens libvulkan.so.1 gets libvulkan1, one that does not, not"

if [ "${CI:-}" != true ] && [ "${DSINFER_IMAGE_TEST:-0}" != 1 ]; then
  echo "SKIPPED: image test (slow, needs root + buildah); run with DSINFER_IMAGE_TEST=1 (CI=true runs it)"
  exit 0
fi
[ "$(id -u)" = 0 ] || skip_or_fail "the image test needs root (buildah --isolation chroot)"
for tool in buildah debootstrap curl; do
  command -v "$tool" > /dev/null || skip_or_fail "$tool missing (scripts/deps.sh test installs it)"
done
bin=${DSINFER_BIN:-$src/build/release/src/cli/dsinfer}
[ -x "$bin" ] || { echo "FAIL: dsinfer binary not found at $bin (DSINFER_BIN)"; exit 1; }
tmp=$(mktemp -d "${DSINFER_TEST_TMP:-/tmp}/image.XXXXXX")
image=localhost/dsinfer:test-$$
ctr=
server_pid=
mesa_ctr=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2> /dev/null && wait "$server_pid" 2> /dev/null
  [ -n "$ctr" ] && buildah rm "$ctr" > /dev/null 2>&1
  [ -n "$mesa_ctr" ] && buildah rm "$mesa_ctr" > /dev/null 2>&1
  buildah rmi "$image" > /dev/null 2>&1 || true  # (errexit applies inside the trap)
  buildah rmi "$image-mesa" > /dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
t0=$(date +%s)

# 1. Base image (debootstrap once, then cached).
bash "$src/deploy/tests/make_base_image.sh"
t1=$(date +%s)

# 2. Runtime stage from the prebuilt binary: DIR/out is what the build stage would produce.
mkdir -p "$tmp/prebuilt/out" "$tmp/context"
cp "$bin" "$tmp/prebuilt/out/dsinfer"
sh "$src/deploy/docker/runtime_packages.sh" "$bin" > "$tmp/prebuilt/out/runtime-packages.txt"
echo "runtime packages: $(tr '\n' ' ' < "$tmp/prebuilt/out/runtime-packages.txt")"
# The flavour of this binary: the Vulkan backend links the loader. CI builds with it (scripts/deps.sh
# installs libvulkan-dev and glslc), so there the list must name libvulkan1.
if grep -qx libvulkan1 "$tmp/prebuilt/out/runtime-packages.txt"; then gpu=vulkan other=none; else gpu=none other=vulkan; fi
linked=$(ldd "$bin")  # whole text first: `ldd | grep -q` races pipefail
if grep -q 'libvulkan\.so\.1 =>' <<< "$linked" && [ $gpu != vulkan ]; then
  echo "FAIL: $bin links libvulkan.so.1 but runtime_packages.sh does not list libvulkan1"; exit 1
fi
if [ "${CI:-}" = true ] && [ $gpu != vulkan ]; then echo "FAIL: CI's dsinfer has no Vulkan backend (runtime packages lack libvulkan1)"; exit 1; fi
version=$("$bin" --version | head -1 | awk '{print $2}')
commit=$(git -C "$src" rev-parse HEAD 2> /dev/null || echo unknown)
bud() {  # TAG LOG BUILD-ARGS...: the runtime stage from the prebuilt binary
  local tag=$1 log=$2; shift 2
  buildah bud --isolation chroot --layers=false --force-rm --quiet --target runtime \
    --build-context build="$tmp/prebuilt" -f "$src/deploy/docker/Dockerfile" \
    --build-arg VERSION="$version" --build-arg COMMIT="$commit" --build-arg CREATED="$(date -u +%FT%TZ)" \
    "$@" -t "$tag" "$tmp/context" > "$log" 2>&1
}
bud "$image" "$tmp/bud.log" --build-arg GPU=$gpu || { tail -30 "$tmp/bud.log"; echo "FAIL: buildah bud (GPU=$gpu)"; exit 1; }
echo "image flavour: GPU=$gpu"
# The other flavour refuses this binary before installing anything.
if bud "$image-other" "$tmp/bud-other.log" --build-arg GPU=$other; then
  buildah rmi "$image-other" > /dev/null 2>&1; echo "FAIL: GPU=$other accepted a GPU=$gpu binary"; exit 1
fi
grep -q "GPU=$other, but this binary" "$tmp/bud-other.log" || { tail -5 "$tmp/bud-other.log"; echo "FAIL: GPU=$other failed for another reason"; exit 1; }
echo "GPU=$other refuses this binary: $(grep -o "GPU=$other, but this binary[^:]*" "$tmp/bud-other.log" | head -1)"
t2=$(date +%s)

# 3. Image metadata.
fmt() { buildah inspect --type image --format "$1" "$image"; }
user=$(fmt '{{.OCIv1.Config.User}}')
entrypoint=$(fmt '{{.OCIv1.Config.Entrypoint}}')
label_version=$(fmt '{{index .OCIv1.Config.Labels "org.opencontainers.image.version"}}')
label_revision=$(fmt '{{index .OCIv1.Config.Labels "org.opencontainers.image.revision"}}')
[ "$user" = 10001:10001 ] || { echo "FAIL: image user '$user', expected 10001:10001"; exit 1; }
[ "$entrypoint" = '[dsinfer serve]' ] || { echo "FAIL: entrypoint $entrypoint"; exit 1; }
[ "$label_version" = "$version" ] && [ "$label_revision" = "$commit" ] \
  || { echo "FAIL: OCI labels version=$label_version revision=$label_revision"; exit 1; }
label_gpu=$(fmt '{{index .OCIv1.Config.Labels "io.dsinfer.gpu"}}')
[ "$label_gpu" = $gpu ] || { echo "FAIL: label io.dsinfer.gpu=$label_gpu, expected $gpu"; exit 1; }
image_env=$(fmt '{{.OCIv1.Config.Env}}')
if [ $gpu = vulkan ]; then
  [[ $image_env == *NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics* && $image_env == *DSINFER_DEVICE=vulkan* ]] \
    || { echo "FAIL: Vulkan flavour env $image_env lacks NVIDIA_DRIVER_CAPABILITIES with graphics or DSINFER_DEVICE=vulkan"; exit 1; }
elif [[ $image_env == *NVIDIA_DRIVER_CAPABILITIES* || $image_env == *DSINFER_DEVICE* ]]; then
  echo "FAIL: CPU flavour env names a GPU: $image_env"; exit 1
fi

# 4. Contents: size, only runtime libraries, the binary runs as the image's user.
ctr=$(buildah from "$image")
mnt=$(buildah mount "$ctr")
size_mb=$(du -sm "$mnt" | cut -f1)
buildah umount "$ctr" > /dev/null
echo "image size: ${size_mb} MB (unpacked root fs; limit 250 MB, target 150 MB)"
[ "$size_mb" -le 250 ] || { echo "FAIL: image is ${size_mb} MB > 250 MB"; exit 1; }
run() { buildah run --isolation chroot "$ctr" -- "$@"; }
if run sh -c 'dpkg-query -W -f="\${Package}\n" | grep -E -- "-dev$|^(gcc|g\+\+|cpp|cmake)(-[0-9]+)?$"' 2> /dev/null; then
  echo "FAIL: build-time packages in the runtime image"; exit 1
fi
if run sh -c 'ldd /usr/local/bin/dsinfer | grep "not found"' 2> /dev/null; then echo "FAIL: unresolved libraries"; exit 1; fi
[ "$(run id -u)" = 10001 ] || { echo "FAIL: runs as uid $(run id -u)"; exit 1; }
run dsinfer --version
if [ $gpu = vulkan ]; then
  run dpkg-query -W libvulkan1 > /dev/null || { echo "FAIL: the Vulkan flavour lacks libvulkan1"; exit 1; }
  if run sh -c 'ls /usr/share/vulkan/icd.d/*.json' > /dev/null 2>&1; then echo "FAIL: a Vulkan driver (ICD) in the image without MESA=true"; exit 1; fi
fi

# 5. The chart's model-prefetch initContainer script, run in this image as its user: copies the
# model from the read-only repository into the cache, verifies sha256; a wrong digest fails.
deploy_tools
mkdir -p "$tmp/repo/deepseek" "$tmp/cache"
chmod 0777 "$tmp/cache"   # an emptyDir is writable by the pod's fsGroup
head -c 3000000 /dev/urandom > "$tmp/repo/deepseek/m.gguf"
sha=$(sha256sum "$tmp/repo/deepseek/m.gguf" | cut -d' ' -f1)
"$HELM" template t "$src/deploy/helm/dsinfer" --show-only templates/deployment.yaml \
  --set model.file=deepseek/m.gguf --set model.sha256="$sha" > "$tmp/deployment.yaml" 2> /dev/null
prefetch=$(node "$src/deploy/tests/print_query.mjs" prefetch "$tmp/deployment.yaml")
prefetch_run() {  # SHA256
  buildah run --isolation chroot -v "$tmp/repo:/models:ro" -v "$tmp/cache:/model-cache" \
    --env MODEL_FILE=deepseek/m.gguf --env MODEL_SHA256="$1" --env MODEL_DIR=/model-cache \
    "$ctr" -- /bin/sh -c "$prefetch"
}
prefetch_run "$sha"
cmp "$tmp/repo/deepseek/m.gguf" "$tmp/cache/deepseek/m.gguf" || { echo "FAIL: prefetch copy differs"; exit 1; }
rm -rf "${tmp:?}/cache/deepseek"
if prefetch_run "$(echo "$sha" | tr 0-9a-f 1-9a-f0)" > "$tmp/prefetch.log" 2>&1; then
  echo "FAIL: prefetch accepted a wrong sha256"; exit 1
fi
grep -q 'FAILED' "$tmp/prefetch.log" || { cat "$tmp/prefetch.log"; echo "FAIL: prefetch failed for another reason"; exit 1; }
echo "model-prefetch initContainer: copy + sha256 verified in the image; wrong digest refused"
t3=$(date +%s)

# 6. Smoke test of `dsinfer serve` inside the image (same network namespace with chroot isolation).
serve_help=$("$bin" serve --help 2>&1 || true)  # whole text first: `| grep -q` races pipefail
if ! grep -q -- '--model' <<< "$serve_help"; then
  echo "================================================================"
  echo "SKIPPED (image smoke test only): 'dsinfer serve' is not implemented in this build"
  echo "================================================================"
else
  model=${DSINFER_TEST_MODEL:-}
  if [ -z "$model" ]; then
    fixtures=${DSINFER_FIXTURES:-$src/../shared/fixtures}
    model=$(ls "$fixtures"/golden/models/tiny-r1qwen-qwen2-Q8_0.gguf 2> /dev/null | head -1 || true)
  fi
  [ -n "$model" ] && [ -f "$model" ] || skip_or_fail "no model for the smoke test (DSINFER_TEST_MODEL or fixtures)"
  port=$(( 20000 + $$ % 20000 ))
  serve_in() {  # CONTAINER ENV...: `dsinfer serve` inside, until /health/ready; leaves $tmp/health.json
    local c=$1; shift
    local envs=() e; for e in "$@"; do envs+=(--env "$e"); done
    buildah run --isolation chroot -v "$model:/models/model.gguf:ro" \
      --env DSINFER_PORT="$port" --env DSINFER_HOST=127.0.0.1 "${envs[@]}" "$c" -- dsinfer serve > "$tmp/serve.log" 2>&1 &
    server_pid=$!
    local ready=
    for _ in $(seq 1 240); do
      if curl -fsS "http://127.0.0.1:$port/health/ready" > "$tmp/ready.json" 2> /dev/null; then ready=1; break; fi
      kill -0 "$server_pid" 2> /dev/null || break
      sleep 0.5
    done
    [ -n "$ready" ] || { tail -30 "$tmp/serve.log"; echo "FAIL: /health/ready never answered 200 inside the image"; exit 1; }
    curl -fsS "http://127.0.0.1:$port/health" > "$tmp/health.json" || { echo "FAIL: /health"; exit 1; }
    echo "/health/ready inside the image: $(cat "$tmp/ready.json"); device $(jq -c '.device | {type, selected, name}' "$tmp/health.json")"
  }
  stop_server() { kill "$server_pid"; wait "$server_pid" 2> /dev/null || true; server_pid=; }
  # The Vulkan flavour has no driver of its own: its default device (vulkan) fails at load, with
  # the reason, instead of computing on the CPU; DSINFER_DEVICE=cpu runs it on the CPU.
  device_env=()
  if [ $gpu = vulkan ]; then
    if buildah run --isolation chroot -v "$model:/models/model.gguf:ro" --env DSINFER_PORT="$port" \
      --env DSINFER_HOST=127.0.0.1 "$ctr" -- dsinfer serve > "$tmp/nodriver.log" 2>&1; then
      echo "FAIL: the Vulkan flavour served without a Vulkan driver"; exit 1
    fi
    grep -q '"event":"load_failed","error":"[^"]*Vulkan' "$tmp/nodriver.log" \
      || { tail -5 "$tmp/nodriver.log"; echo "FAIL: the Vulkan flavour without a driver did not fail at load with the reason"; exit 1; }
    echo "Vulkan flavour without a driver fails at load: $(grep -o '"error":"[^"]*' "$tmp/nodriver.log" | head -1)"
    device_env=(DSINFER_DEVICE=cpu)
  fi
  serve_in "$ctr" "${device_env[@]}"
  [ "$(jq -r .device.type "$tmp/health.json")" = cpu ] || { echo "FAIL: expected the CPU device"; exit 1; }
  curl -fsS "http://127.0.0.1:$port/health/live" > /dev/null || { echo "FAIL: /health/live"; exit 1; }
  # Read the whole body first: `curl | grep -q` fails under pipefail when grep exits early.
  metrics=$(curl -fsS "http://127.0.0.1:$port/metrics") || { echo "FAIL: /metrics"; exit 1; }
  grep -q '^inference_build_info' <<< "$metrics" || { echo "FAIL: /metrics lacks inference_build_info"; exit 1; }
  stop_server
  # Opt-in: the MESA=true variant serves on lavapipe (its default device) inside the image.
  if [ $gpu = vulkan ] && [ "${DSINFER_IMAGE_TEST_MESA:-0}" = 1 ]; then
    bud "$image-mesa" "$tmp/bud-mesa.log" --build-arg GPU=vulkan --build-arg MESA=true \
      || { tail -30 "$tmp/bud-mesa.log"; echo "FAIL: buildah bud MESA=true"; exit 1; }
    mesa_ctr=$(buildah from "$image-mesa")
    mnt=$(buildah mount "$mesa_ctr"); mesa_mb=$(du -sm "$mnt" | cut -f1); buildah umount "$mesa_ctr" > /dev/null
    buildah run --isolation chroot "$mesa_ctr" -- dsinfer --version
    serve_in "$mesa_ctr"
    jq -e '.device.type == "vulkan" and .device.selected == "vulkan" and (.device.name | test("llvmpipe")) and .device.memory_used_bytes > 0' "$tmp/health.json" > /dev/null \
      || { jq .device "$tmp/health.json"; echo "FAIL: MESA=true image does not serve on lavapipe"; exit 1; }
    stop_server
    echo "MESA=true image (${mesa_mb} MB): serves on lavapipe by default"
  fi
fi
t4=$(date +%s)
echo "timings: base image $((t1 - t0))s, runtime stage build $((t2 - t1))s, checks $((t3 - t2))s, smoke $((t4 - t3))s"
echo "PASS test_image (${size_mb} MB)"
