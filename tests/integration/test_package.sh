#!/usr/bin/env bash
# Packaging group: `cmake --install` lays out the binary, runbook script, man page, completion and
# playbook in the usual places; `cpack -G DEB` builds a .deb whose dependencies are Debian's
# runtime libraries; the .deb unpacked into a temporary root (dpkg -x) runs `swarmpki --version`.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
build=${BUILD_DIR:?set BUILD_DIR to a configured and built tree}

if [[ ! -f $build/CPackConfig.cmake ]]; then
  it_fail "packaging" "$build/CPackConfig.cmake missing (is cmake/Packaging.cmake included?)"
  exit 1
fi
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    it_skip "packaging group" "'$tool' not installed (run scripts/install-deps)"
    exit 0
  fi
done
it_begin
tmp=$IT_TMP
version=$(sed -nE 's/^project\(swarmpki VERSION ([0-9.]+).*/\1/p' "$root/CMakeLists.txt")

# ---- cmake --install
prefix=$tmp/prefix
check "cmake --install into a prefix" cmake --install "$build" --prefix "$prefix"
missing=()
for f in bin/swarmpki libexec/swarmpki/swarmpki-serve bin/swarm-ca-rotate share/bash-completion/completions/swarmpki \
         share/doc/swarmpki/ansible/swarm-pki-audit.yml share/doc/swarmpki/rotation-runbook.md; do
  [[ -e $prefix/$f ]] || missing+=("$f")
done
if [[ -f $root/docs/swarmpki.1 ]]; then
  [[ -e $prefix/share/man/man1/swarmpki.1.gz || -e $prefix/share/man/man1/swarmpki.1 ]] ||
    missing+=(share/man/man1/swarmpki.1.gz)
fi
expect_eq "install layout: binaries, runbook, completion, playbook, docs, man page" "${missing[*]}" ""
expect_eq "installed swarmpki --version" "$("$prefix/bin/swarmpki" --version 2>&1)" "swarmpki $version"
# serve runs in libexec's swarmpki-serve, found relative to bin/ even in a relocated prefix.
expect_eq "installed swarmpki serve --help finds swarmpki-serve" \
  "$("$prefix/bin/swarmpki" serve --help 2>&1 | head -n 1 | cut -d' ' -f1-3)" "usage: swarmpki serve"

# ---- cpack -G DEB
if (cd "$build" && cpack -G DEB -B "$tmp/cpack" >"$tmp/cpack.log" 2>&1); then
  it_ok "cpack -G DEB"
else
  it_fail "cpack -G DEB" "see its log"
  indent <"$tmp/cpack.log"
  exit 1
fi
deb=$(find "$tmp/cpack" -maxdepth 2 -name 'swarmpki_*.deb' | head -n 1)
if [[ -z $deb ]]; then
  it_fail "cpack wrote a .deb under -B $tmp/cpack" "none found"
  indent <"$tmp/cpack.log"
  exit 1
fi
expect_eq "package file name" "$(basename "$deb")" "swarmpki_${version}_$(dpkg --print-architecture).deb"
depends=$(dpkg-deb -f "$deb" Depends)
absent=()
# Boost.Program_options comes from Debian's static archive and fmt is header-only (start-up cost;
# CMakeLists.txt), so neither is a runtime dependency; everything either binary loads must be.
for lib in libssl3 libcpp-httplib0.11 libstdc++6 libc6; do
  tr ',|' '\n' <<<"$depends" | awk '{print $1}' | grep -qxF -- "$lib" || absent+=("$lib")
done
expect_eq "Depends names the Debian runtime libraries (from dpkg-shlibdeps)" "${absent[*]}" ""
echo "     | Depends: $depends"

# ---- unpacked into a temporary root
check "dpkg -x into a temporary root" dpkg -x "$deb" "$tmp/root"
expect_eq "swarmpki --version from the unpacked package" \
  "$("$tmp/root/usr/bin/swarmpki" --version 2>&1)" "swarmpki $version"
for binary in usr/bin/swarmpki usr/libexec/swarmpki/swarmpki-serve; do
  if ! libs=$(ldd "$tmp/root/$binary" 2>&1) || grep -q 'not found' <<<"$libs"; then
    it_fail "the packaged $binary finds every shared library" "ldd says:"
    indent <<<"$libs"
  else
    it_ok "the packaged $binary finds every shared library"
  fi
done
expect_eq "swarmpki notify --help from the unpacked package runs its helper" \
  "$("$tmp/root/usr/bin/swarmpki" notify --help 2>&1 | head -n 1 | cut -d' ' -f1-3)" "usage: swarmpki notify"
if [[ -f $root/docs/swarmpki.1 ]]; then
  check "man page in the package renders" \
    sh -c "zcat '$tmp/root/usr/share/man/man1/swarmpki.1.gz' | man -l - >/dev/null 2>&1 || zcat '$tmp/root/usr/share/man/man1/swarmpki.1.gz' | grep -q '^\.TH'"
fi
