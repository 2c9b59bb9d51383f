#!/usr/bin/env bash
# startup_libraries.sh BINARY PATTERN...: fails, naming it, on any shared library BINARY needs (its
# DT_NEEDED entries, read with readelf) that matches no PATTERN (a shell glob).
set -euo pipefail
binary=$1
shift
mapfile -t needed < <(readelf -d "$binary" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p')
((${#needed[@]} > 0)) || { echo "startup_libraries: no NEEDED entries read from $binary" >&2; exit 1; }
status=0
for lib in "${needed[@]}"; do
  allowed=no
  # shellcheck disable=SC2053 # the right side is a glob on purpose
  for want in "$@"; do [[ $lib == $want ]] && allowed=yes; done
  if [[ $allowed == no ]]; then
    echo "startup_libraries: $binary needs $lib, beyond $*" >&2
    status=1
  fi
done
((status == 0)) && echo "startup_libraries: $binary needs only ${needed[*]}"
exit "$status"
