#!/bin/sh
# Prints the Debian packages that provide the shared libraries BINARY needs at run time, one per
# line: what the runtime image installs (so it carries only runtime libraries, never -dev).
# Two kinds: those it links (ldd's list), and those it loads by name with dlopen, which ldd
# cannot see: each soname of `loaded` below that BINARY names (as a linked NEEDED entry or as a
# dlopen string) is resolved through the build system's ldconfig cache. Today dsinfer links the
# Vulkan loader (Vulkan::Vulkan); a build that dlopens it still gets libvulkan1 here.
# usage: runtime_packages.sh BINARY   (run on the Debian system that built BINARY)
set -eu
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: $0 BINARY" >&2; exit 2; }
# Libraries dsinfer may load by name at run time (add a soname here when code dlopens one).
loaded="libvulkan.so.1"
missing=$(ldd "$1" | awk '/not found/ {print $1}')
[ -z "$missing" ] || { echo "unresolved libraries: $missing" >&2; exit 1; }
dlopened=
for soname in $loaded; do
  grep -qaF "$soname" "$1" || continue
  path=$(ldconfig -p | awk -v s="$soname" '$1 == s && $NF ~ /^\// {print $NF; exit}')
  [ -n "$path" ] || { echo "$1 loads $soname, which this system lacks (ldconfig -p)" >&2; exit 1; }
  dlopened="$dlopened $path"
done
{ ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'; for lib in $dlopened; do echo "$lib"; done; } | while read -r lib; do
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
