#!/usr/bin/env bash
# Makes the Dockerfile's base image locally (no registry is reachable in CI): a Debian 12
# `debootstrap --variant=minbase` root file system, trimmed like debian:bookworm-slim (no docs,
# man pages, locales or apt lists), committed with buildah and tagged
# docker.io/library/debian:bookworm-slim. The root fs tarball is cached between runs.
# usage: make_base_image.sh   env: DSINFER_IMAGE_CACHE (default ~/.cache/dsinfer-image),
#        DSINFER_DEBIAN_MIRROR (default http://deb.debian.org/debian), DSINFER_BASE_REBUILD=1
set -euo pipefail
tag=docker.io/library/debian:bookworm-slim
cache=${DSINFER_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dsinfer-image}
mirror=${DSINFER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball="$cache/debian-bookworm-minbase.tar"
if [ "${DSINFER_BASE_REBUILD:-0}" != 1 ] && buildah inspect --type image "$tag" > /dev/null 2>&1; then
  echo "base image $tag present"
  exit 0
fi
mkdir -p "$cache"
if [ "${DSINFER_BASE_REBUILD:-0}" = 1 ] || [ ! -s "$tarball" ]; then
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  start=$(date +%s)
  echo "debootstrap --variant=minbase bookworm from $mirror ..."
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  echo "debootstrap took $(( $(date +%s) - start ))s"
  # What debian:*-slim leaves out, also for packages installed later in the image.
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
  cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CFG
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  rm -rf "$rootfs"/usr/share/{man,info,locale,lintian}/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/* "$rootfs"/tmp/*
  tar -C "$rootfs" --numeric-owner -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
fi
ctr=$(buildah from scratch)
buildah add --quiet "$ctr" "$tarball" / > /dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash \
  --label org.opencontainers.image.description="local debootstrap minbase bookworm" "$ctr"
buildah commit --quiet --rm "$ctr" "$tag" > /dev/null
echo "base image $tag built from $tarball ($(du -m "$tarball" | cut -f1) MB)"
