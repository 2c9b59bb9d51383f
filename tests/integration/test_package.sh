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

# ---- systemd units, their settings and the Prometheus rules (issue 15, docs/deploy.md)
unitdir=usr/lib/systemd/system
units=(swarmpki-serve.service swarmpki-textfile.service swarmpki-textfile.timer)
missing=()
for f in "${units[@]/#/$unitdir/}" etc/default/swarmpki usr/share/swarmpki/prometheus/swarmpki.rules.yml \
         usr/share/swarmpki/prometheus/swarmpki.rules.test.yml usr/share/swarmpki/prometheus/prometheus.yml.example; do
  [[ -f $tmp/root/$f ]] || missing+=("$f")
done
expect_eq "the .deb ships the systemd units, /etc/default/swarmpki and the Prometheus rules" "${missing[*]}" ""
expect_match "/etc/default/swarmpki is a conffile (dpkg keeps the operator's edits)" '^/etc/default/swarmpki$' \
  "$(dpkg-deb -I "$deb" conffiles 2>&1)"
expect_eq "/etc/default/swarmpki holds only commented defaults" \
  "$(grep -vcE '^(#|$)' "$tmp/root/etc/default/swarmpki")" 0
expect_eq "cmake --install --prefix puts the settings file under the prefix, not in /etc" \
  "$([[ -f $prefix/etc/default/swarmpki ]] && echo yes)" yes

if ! command -v systemd-analyze >/dev/null 2>&1; then
  it_skip "systemd-analyze verify and security" "systemd-analyze not installed (the systemd package)"
else
  # The unpacked package plus this host's own units (sysinit.target, network-online.target, ...),
  # which the units' dependencies name; the package's files win.
  sdroot=$tmp/sdroot
  cp -a "$tmp/root" "$sdroot"
  mkdir -p "$sdroot/$unitdir"
  for d in /usr/lib/systemd/system /lib/systemd/system; do
    [[ -d $d ]] && cp -an "$d/." "$sdroot/$unitdir/" 2>/dev/null
  done
  unit_paths=("${units[@]/#//$unitdir/}")
  status=0
  out=$(systemd-analyze verify --man=no --root="$sdroot" "${unit_paths[@]}" 2>&1) || status=$?
  if ((status == 0)) && [[ -z $out ]]; then
    it_ok "systemd-analyze verify accepts ${units[*]} from the unpacked .deb (no warning)"
  else
    it_fail "systemd-analyze verify accepts the units from the unpacked .deb" "exit $status"
    indent <<<"$out"
  fi
  # The check can fail: a unit whose ExecStart names a missing binary is refused.
  sed 's#^ExecStart=/usr/bin/swarmpki #ExecStart=/usr/bin/swarmpki-missing #' \
    "$sdroot/$unitdir/swarmpki-serve.service" >"$sdroot/$unitdir/swarmpki-broken.service"
  expect_exit "systemd-analyze verify refuses a unit whose binary is missing (the check bites)" 1 \
    systemd-analyze verify --man=no --root="$sdroot" "/$unitdir/swarmpki-broken.service"
  rm -f "$sdroot/$unitdir/swarmpki-broken.service"
  for unit in swarmpki-serve.service swarmpki-textfile.service; do
    security=$(systemd-analyze security --offline=yes --root="$sdroot" "$unit" 2>&1)
    score=$(sed -nE "s/.*Overall exposure level for $unit: ([0-9.]+) .*/\1/p" <<<"$security")
    echo "     | systemd-analyze security $unit: exposure ${score:-?}"
    # docs/deploy.md records 1.4 for serve (root with no capabilities, on the network) and 0.7
    # for the textfile job; a change that loosens the sandbox shows here.
    expect_eq "systemd-analyze security $unit: exposure at most 2.0 (OK or better)" \
      "$(awk -v s="${score:-99}" 'BEGIN { print (s <= 2.0) ? "yes" : "no (" s ")" }')" yes
    grep '✗' <<<"$security" | indent
  done
fi

# The units run as root with an empty capability bounding set: the engine's 0600 root key is
# read by its owner without CAP_DAC_OVERRIDE. Shown with setpriv as the unit sets it up; a user
# other than root is refused the same key (so the check bites).
if command -v setpriv >/dev/null 2>&1 && ((EUID == 0)); then
  node=$tmp/node
  "$tmp/root/usr/bin/swarmpki" ca init --out "$tmp/ca" >/dev/null 2>&1
  "$tmp/root/usr/bin/swarmpki" ca issue --ca "$tmp/ca" --node-id m000000000000000000000001 --role manager \
    --cluster-id c00000000000000000000000c --out "$node" >/dev/null 2>&1
  chmod 0600 "$node/swarm-node.key"
  chmod 0755 "$tmp"
  # shellcheck disable=SC2054  # setpriv's own comma lists
  nocaps=(setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all --no-new-privs
          --securebits=+noroot,+noroot_locked)
  expect_exit "root with no capabilities (as the units run) reads the 0600 key: inspect ok" 0 \
    "${nocaps[@]}" "$tmp/root/usr/bin/swarmpki" inspect --dir "$node" --no-color
  expect_exit "root with no capabilities reads the 0600 key file itself" 0 "${nocaps[@]}" cat "$node/swarm-node.key"
  expect_exit "a non-root user is refused the same file (so the check bites)" 1 \
    setpriv --reuid=65534 --regid=65534 --clear-groups cat "$node/swarm-node.key"
  # swarmpki-textfile.service's command, run as the unit runs it, writes the metrics file (expiry
  # exits 2 here: a critical certificate is what the file reports, and SuccessExitStatus has 2).
  textfile=$tmp/node-exporter
  mkdir -p "$textfile"
  # shellcheck disable=SC2016  # the unit's literal variable references are replaced
  node_exporter_cmd=$(sed -nE 's/^ExecStart=//p' "$tmp/root/$unitdir/swarmpki-textfile.service" |
    sed -e "s#/usr/bin/swarmpki#$tmp/root/usr/bin/swarmpki#" -e "s#/var/lib/prometheus/node-exporter#$textfile#" \
        -e 's#\$SWARMPKI_EXPIRY_ARGS#--crit 100%#' -e "s#\${SWARMPKI_CERTS_DIR}#$node#")
  status=0
  read -ra cmd <<<"$node_exporter_cmd"
  "${nocaps[@]}" "${cmd[@]}" >"$tmp/textfile.out" 2>&1 || status=$?
  success=$(sed -nE 's/^SuccessExitStatus=//p' "$tmp/root/$unitdir/swarmpki-textfile.service")
  expect_eq "the textfile unit's command exits 2 on a critical certificate, a success for the unit" \
    "$status $(grep -qw -- "$status" <<<"$success" && echo success)" "2 success"
  expect_match "it wrote swarmpki.prom with swarmpki_status 2" '^swarmpki_status 2$' \
    "$(cat "$textfile/swarmpki.prom" 2>&1)"
  expect_eq "no temporary file is left beside it (written to a temporary file and renamed)" \
    "$(compgen -G "$textfile/.tmp-*")" ""
fi
