#!/bin/sh
# Prints the Debian packages that provide the shared libraries BINARY links against, one per
# line: what the runtime image installs (so it carries only runtime libraries, never -dev).
# usage: runtime_packages.sh BINARY   (run on the Debian system that built BINARY)
set -eu
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: $0 BINARY" >&2; exit 2; }
missing=$(ldd "$1" | awk '/not found/ {print $1}')
[ -z "$missing" ] || { echo "unresolved libraries: $missing" >&2; exit 1; }
ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r lib; do
  # usrmerge: dpkg knows a library under one of /lib, /usr/lib or its real path.
  found=
  for p in "$lib" "$(readlink -f "$lib")" "/usr$lib"; do
    if pkg=$(dpkg-query -S "$p" 2>/dev/null); then
      found=${pkg%%:*}
      break
    fi
  done
  [ -n "$found" ] && echo "$found" || echo "warning: no package provides $lib" >&2
done | sort -u
