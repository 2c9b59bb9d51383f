#!/usr/bin/env bash
# Scripts group: the README's `scripts/run inspect` on a machine that is not a swarm node (a demo
# node directory made with swarmpki's own CA); scripts/run and install-deps against recording
# apt/dpkg stubs (never an engine package; docker.io for the tests only where no other engine is);
# swarm-ca-rotate's usage errors and refusals without an engine, and against a stand-in docker
# with hostile node facts; and the bash completion against the built binary.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}
build=${BUILD_DIR:-$(dirname "$swarmpki")}
it_begin
tmp=$IT_TMP

# ---- scripts/run inspect
if [[ -d /var/lib/docker/swarm/certificates ]]; then
  it_skip "scripts/run inspect on a demo node" "this machine is a swarm node: scripts/run inspects its own directory"
else
  rc=0
  SWARMPKI_BUILD_PREFIX=$build "$root/scripts/run" inspect --format json >"$tmp/run.json" 2>"$tmp/run.err" || rc=$?
  expect_eq "scripts/run inspect: exit 0 on the demo node" "$rc" 0
  if grep -q 'demo node directory' "$tmp/run.err"; then it_ok "scripts/run inspect says it uses a demo node directory"; else
    it_fail "scripts/run inspect says it uses a demo node directory" "stderr does not say so"; indent <"$tmp/run.err"; fi
  expect_eq "scripts/run inspect: demo node is a manager whose chain verifies" \
    "$(jq -r '[.schema, .nodes[0].node.role, .nodes[0].chain_verified, .nodes[0].key.matches_certificate] | @csv' "$tmp/run.json" 2>&1)" \
    '"swarmpki.inspect/v1","manager",true,true'
  rc=0
  SWARMPKI_BUILD_PREFIX=$build "$root/scripts/run" --version >"$tmp/version" 2>&1 || rc=$?
  expect_eq "scripts/run passes other commands through (--version)" "$rc $(cat "$tmp/version")" \
    "0 $("$swarmpki" --version)"
fi

# ---- install-deps and scripts/run never touch an engine (package tools replaced by stubs)
# apt-get, apt, dpkg, dpkg-query, id (root, so install-deps goes as far as apt) and cmake are
# recording stand-ins that change nothing; the PATH behind them holds every other system command
# but no dockerd, containerd, runc, docker or package tool, so each case below sets up exactly the
# engine it is about. scripts/run's build is the cmake stub, and its build prefix holds the binary
# under test (a symlink), so the command it runs afterwards is real.
stubs=$tmp/stubs sysbin=$tmp/sysbin stub_log=$tmp/stub.log
mkdir -p "$stubs" "$sysbin" "$tmp/client" "$tmp/foreign" "$tmp/debian-engine" "$tmp/prefix"
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  [[ -d $d ]] || continue
  find "$d" -maxdepth 1 \( -type f -o -type l \) ! \( -name 'docker*' -o -name 'containerd*' -o -name 'runc*' \
    -o -name crun -o -name ctr -o -name 'podman*' -o -name apt -o -name apt-get -o -name dpkg -o -name dpkg-query \
    -o -name id -o -name cmake \) -exec ln -s -t "$sysbin" {} + 2>/dev/null || true
done
cat >"$stubs/pkgtool" <<'STUB'
#!/usr/bin/env bash
# Records its call in $STUB_LOG. dpkg-query -W: the packages named in $STUB_INSTALLED are
# "install ok installed", those in $STUB_NOT_INSTALLED "unknown ok not-installed", nothing else is
# known. dpkg -S: owners from $STUB_OWNERS (PATH=PACKAGE words). apt-get -s prints $STUB_PLAN.
name=${0##*/}
printf '%s %s\n' "$name" "$*" >>"$STUB_LOG"
case $name in
  id) if [[ ${1:-} == -u ]]; then echo "${STUB_UID:-0}"; else exec /usr/bin/id "$@"; fi ;;
  dpkg-query)
    [[ $1 == -W ]] || exit 2
    fmt=${2#-f=} found=1
    shift 2
    for pattern; do
      for pkg in $STUB_INSTALLED; do
        [[ $pkg == $pattern ]] || continue
        line=${fmt//'${Package}'/$pkg}; printf "${line//'${Status}'/install ok installed}"; found=0
      done
      for pkg in $STUB_NOT_INSTALLED; do
        [[ $pkg == $pattern ]] || continue
        line=${fmt//'${Package}'/$pkg}; printf "${line//'${Status}'/unknown ok not-installed}"; found=0
      done
    done
    exit $found ;;
  dpkg)
    [[ $1 == -S ]] || exit 0
    shift
    for entry in $STUB_OWNERS; do
      [[ ${entry%%=*} == "$1" ]] && { echo "${entry#*=}: $1"; exit 0; }
    done
    echo "dpkg-query: no path found matching pattern $1" >&2
    exit 1 ;;
  apt-get|apt)
    for arg; do [[ $arg == -s ]] && { cat "${STUB_PLAN:-/dev/null}"; exit 0; }; done ;;
esac
exit 0
STUB
chmod +x "$stubs/pkgtool"
for tool in apt-get apt dpkg dpkg-query id cmake; do ln -s pkgtool "$stubs/$tool"; done
# A docker client with no engine behind it, as on this project's CI and development machines.
printf '#!/bin/sh\necho "Docker version 27.0.0 (client only)"\n' >"$tmp/client/docker"
for f in "$tmp/foreign/dockerd" "$tmp/foreign/containerd" "$tmp/debian-engine/dockerd" "$tmp/debian-engine/containerd"; do
  printf '#!/bin/sh\nexit 1\n' >"$f"
done
chmod +x "$tmp/client/docker" "$tmp/foreign/"* "$tmp/debian-engine/"*
ln -s "$swarmpki" "$tmp/prefix/swarmpki"

# with_stubs EXTRA_PATH COMMAND...: COMMAND with the stubs first on PATH, then EXTRA_PATH, the
# client-only docker and the system commands; the STUB_* variables describe what dpkg knows.
STUB_INSTALLED='' STUB_NOT_INSTALLED='' STUB_OWNERS='' STUB_PLAN='' STUB_UID=0
with_stubs() {
  local extra=$1
  shift
  : >"$stub_log"
  env PATH="$stubs${extra:+:$extra}:$tmp/client:$sysbin" STUB_LOG="$stub_log" STUB_INSTALLED="$STUB_INSTALLED" \
    STUB_NOT_INSTALLED="$STUB_NOT_INSTALLED" STUB_OWNERS="$STUB_OWNERS" STUB_PLAN="$STUB_PLAN" STUB_UID="$STUB_UID" \
    SWARMPKI_BUILD_PREFIX="$tmp/prefix" "$@"
}
# What the last run asked apt-get to install for real (not the simulation), one package a line.
apt_installs() {
  awk '$1 == "apt-get" && / install / && !/ -s / { for (i = 2; i <= NF; i++) if ($i !~ /^-/ && $i != "install") print $i }' \
    "$stub_log" | sort
}
engine_names() { apt_installs | grep -E '^(docker|containerd|runc|moby|podman|crun)' | paste -sd' ' -; }
# Every apt call of the last run is "update" or "install" with --no-remove, and apt itself is unused.
apt_calls_safe() {
  awk '$1 == "apt" { print "apt used: " $0; next }
       $1 == "apt-get" { verb = ""; for (i = 2; i <= NF; i++) if ($i !~ /^-/) { verb = $i; break }
         if (verb == "install" && $0 !~ / --no-remove( |$)/) print "install without --no-remove: " $0
         else if (verb != "install" && verb != "update") print "not update/install: " $0 }' "$stub_log"
}
expect_safe_apt() {
  local bad
  bad=$(apt_calls_safe)
  if [[ -z $bad ]]; then it_ok "$1: every apt-get install has --no-remove; nothing but update and install"; else
    it_fail "$1: every apt-get install has --no-remove; nothing but update and install" "unsafe calls"
    indent <<<"$bad"; fi
}
build_set='catch2 cmake g++ libboost-program-options-dev libcpp-httplib-dev libfmt-dev libssl-dev make nlohmann-json3-dev pkg-config'

# A machine with nothing installed and only a docker client.
expect_exit "scripts/run --version with nothing installed (stubs): exit 0" 0 with_stubs "" "$root/scripts/run" --version
expect_eq "scripts/run then runs the binary in its build prefix" "$(tail -n 1 <<<"$IT_OUT")" "$("$swarmpki" --version)"
expect_eq "scripts/run asks apt-get for the build packages only" "$(apt_installs | paste -sd' ' -)" "$build_set"
expect_eq "scripts/run names no engine, containerd or runc package" "$(engine_names)" ""
expect_safe_apt "scripts/run"
expect_eq "scripts/run builds through cmake (the stub): configure, then the swarmpki target" \
  "$(awk '$1 == "cmake" { for (i = 2; i < NF; i++) if ($i == "--target") t = $(i + 1); print ($2 == "--build" ? "build " t : "configure " $3) }' \
       "$stub_log" | paste -sd' ' -)" \
  "configure $root build swarmpki"
expect_exit "install-deps --build with nothing installed: exit 0" 0 with_stubs "" "$root/scripts/install-deps" --build
expect_eq "install-deps --build asks for the same packages as scripts/run" "$(apt_installs | paste -sd' ' -)" "$build_set"
expect_safe_apt "install-deps --build"
expect_exit "install-deps --test with only a docker client: exit 0" 0 with_stubs "" "$root/scripts/install-deps" --test
got=$(apt_installs)
expect_eq "install-deps --test: a docker client is no engine, so Debian's docker.io is installed" "$(engine_names)" "docker.io"
expect_eq "install-deps --test: the build packages and the test tools" \
  "$(grep -cxE 'cmake|libssl-dev|ansible-core|prometheus|wrk|hyperfine|shellcheck|jq|clang|golang-cfssl|certinfo|ccache|clang-format|clang-tidy' <<<"$got")" 14
expect_safe_apt "install-deps --test"
expect_exit "install-deps --check-engine with only a docker client: exit 0" 0 with_stubs "" "$root/scripts/install-deps" --check-engine
expect_eq "install-deps --check-engine says docker.io would be installed" "$IT_OUT" \
  "no engine is installed; scripts/install-deps --test installs Debian's docker.io"
for mode in build test; do
  expect_exit "install-deps --$mode --check with nothing installed: exit 1, lists what is missing" 1 \
    with_stubs "" "$root/scripts/install-deps" "--$mode" --check
  expect_eq "install-deps --$mode --check asks apt nothing" "$(grep -c '^apt' "$stub_log")" 0
done
STUB_UID=1000
expect_exit "install-deps --test as a user: exit 1, nothing asked of apt" 1 with_stubs "" "$root/scripts/install-deps" --test
expect_match "the user is told the sudo command, with --no-remove" 'sudo apt-get install --no-remove .*docker\.io' "$IT_OUT"
expect_eq "install-deps as a user asks apt nothing" "$(grep -c '^apt' "$stub_log")" 0
STUB_UID=0

# Other engines: Docker's packages, or an engine binary that is not Debian's. scripts/run is the
# same everywhere; scripts/test's install leaves docker.io out and says why.
foreign_case() {
  local label=$1 extra=$2 why=$3
  expect_exit "scripts/run with $label: exit 0" 0 with_stubs "$extra" "$root/scripts/run" --version
  expect_eq "scripts/run with $label: the build packages only, no engine package" \
    "$(apt_installs | paste -sd' ' -)|$(engine_names)" "$build_set|"
  expect_safe_apt "scripts/run with $label"
  expect_exit "install-deps --test with $label: exit 0" 0 with_stubs "$extra" "$root/scripts/install-deps" --test
  expect_eq "install-deps --test with $label: no docker.io, no engine, containerd or runc package" "$(engine_names)" ""
  expect_match "install-deps --test with $label: says why docker.io is left out" \
    "^install-deps: not installing Debian's docker.io: $why.*the live-engine tests will be skipped" "$IT_OUT"
  expect_safe_apt "install-deps --test with $label"
  expect_exit "install-deps --check-engine with $label: exit 1" 1 with_stubs "$extra" "$root/scripts/install-deps" --check-engine
  expect_match "install-deps --check-engine with $label: one line naming it" "^another engine is present: $why" "$IT_OUT"
  expect_eq "install-deps --check-engine with $label: one line" "$(wc -l <<<"$IT_OUT")" 1
}
STUB_INSTALLED='docker-ce docker-ce-cli containerd.io'
foreign_case "docker-ce installed" "" 'dpkg knows docker-ce \(install ok installed\), docker-ce-cli'
for pkg in docker-ce-rootless-extras containerd.io moby-engine podman-docker; do
  STUB_INSTALLED=$pkg
  expect_exit "install-deps --test with $pkg installed: exit 0" 0 with_stubs "" "$root/scripts/install-deps" --test
  expect_eq "install-deps --test with $pkg installed: no engine package" "$(engine_names)" ""
done
STUB_INSTALLED=''
foreign_case "a dockerd on PATH that dpkg -S does not know" "$tmp/foreign" \
  "$tmp/foreign/dockerd belongs to no Debian package"
STUB_OWNERS="$tmp/foreign/dockerd=docker-ce"
foreign_case "a dockerd of another package" "$tmp/foreign" \
  "$tmp/foreign/dockerd belongs to the package docker-ce, not to Debian's docker.io"
STUB_OWNERS="$tmp/foreign/dockerd=docker.io"
foreign_case "Debian's dockerd but a containerd dpkg -S does not know" "$tmp/foreign" \
  "$tmp/foreign/containerd belongs to no Debian package"

# Debian's own engine already installed: used as it is, nothing about it requested.
STUB_INSTALLED='docker.io containerd runc'
STUB_OWNERS="$tmp/debian-engine/dockerd=docker.io $tmp/debian-engine/containerd=containerd"
expect_exit "install-deps --test with Debian's docker.io installed: exit 0" 0 \
  with_stubs "$tmp/debian-engine" "$root/scripts/install-deps" --test
expect_eq "install-deps --test with docker.io installed: no engine package requested" "$(engine_names)" ""
expect_exit "install-deps --check-engine with Debian's docker.io installed: exit 0" 0 \
  with_stubs "$tmp/debian-engine" "$root/scripts/install-deps" --check-engine
expect_eq "install-deps --check-engine says the live tests use docker.io" "$IT_OUT" \
  "Debian's docker.io is installed; the live-engine tests use it"
# A purged package (dpkg: not-installed) is no engine.
STUB_INSTALLED='' STUB_OWNERS='' STUB_NOT_INSTALLED='docker-ce containerd.io'
expect_exit "install-deps --check-engine with docker-ce purged (not-installed): exit 0" 0 \
  with_stubs "" "$root/scripts/install-deps" --check-engine
STUB_NOT_INSTALLED=''

# The second guard: what apt's simulation would do. An upgrade of an engine-family package, any
# removal, or (for --build) any new engine-family package: refused before the real install.
plan_case() {
  local label=$1 mode=$2 plan=$3 want=$4
  printf '%s\n' "$plan" >"$tmp/plan"
  STUB_PLAN=$tmp/plan
  expect_exit "install-deps --$mode when apt would $label: refused (exit 1)" 1 with_stubs "" "$root/scripts/install-deps" "--$mode"
  expect_match "install-deps --$mode refusal names it: $want" "^install-deps: refused: .*would $want" "$IT_OUT"
  expect_eq "install-deps --$mode when apt would $label: no real install" "$(apt_installs | wc -l)" 0
  STUB_PLAN=''
}
plan_case "upgrade containerd" test 'Inst containerd [1.6.20~ds1-1+deb12u1] (1.6.20~ds1-1+deb12u3 Debian:12 [amd64])' "upgrade containerd"
plan_case "remove a package" test 'Remv docker-ce [5:27.0.3-1~debian.12~bookworm]' "remove docker-ce"
plan_case "install runc" build 'Inst runc (1.1.5+ds1-1+deb12u1 Debian:12 [amd64])' "install runc"

# ---- swarm-ca-rotate without an engine: usage errors and refusals, nothing started
rotate=$root/scripts/swarm-ca-rotate
expect_exit "swarm-ca-rotate --help" 0 "$rotate" --help
expect_exit "swarm-ca-rotate with an unknown option: usage error" 64 "$rotate" --frobnicate
expect_exit "swarm-ca-rotate --ca-cert without --ca-key: usage error" 64 "$rotate" --ca-cert x.crt
expect_exit "swarm-ca-rotate --timeout 5 parsecs: usage error" 64 "$rotate" --timeout 5pc
expect_exit "swarm-ca-rotate with no reachable engine: refused" 3 \
  env DOCKER_HOST=unix://"$tmp"/no-such.sock SWARMPKI="$swarmpki" "$rotate" --yes
expect_match "the refusal names the engine swarmpki could not ask" "refused: swarmpki cluster: .*no-such.sock" "$IT_OUT"
expect_exit "swarm-ca-rotate without swarmpki: refused" 3 env SWARMPKI="$tmp/none" PATH=/usr/bin:/bin "$rotate" --yes
# ---- swarm-ca-rotate against a stand-in docker CLI and a stand-in swarmpki for the engine's
# view: a manager of an active swarm whose nodes are $FAKE/nodes.json (docker node inspect's JSON;
# $FAKE/reread.json answers an inspect of one node, the re-read before a removal). The stand-in
# swarmpki answers `cluster` and `rotate simulate --engine` from it the way swarmpki does (a node
# not Ready would block), $FAKE/blockers overriding the IDs it names, and runs the real swarmpki
# for the rest. Calls go to $FAKE/calls; the rotation itself fails, so each run stops right after
# the removals.
fake=$tmp/fake
mkdir -p "$fake/bin"
cat >"$fake/bin/docker" <<'FAKE'
#!/usr/bin/env bash
printf '%s\n' "$*" >>"$FAKE/calls"
case "$*" in
  "info --format {{json .Swarm}}") echo '{"LocalNodeState":"active","ControlAvailable":true}' ;;
  "info --format {{.Swarm.Cluster.RootRotationInProgress}}") echo false ;;
  "info --format {{json .Swarm.Cluster.TLSInfo.TrustRoot}}") jq -Rs . "$FAKE/root.pem" ;;
  "node ls -q") if [[ -f $FAKE/ls-ids ]]; then cat "$FAKE/ls-ids"; else jq -r '.[].ID' "$FAKE/nodes.json"; fi ;;
  "node inspect -- "*)
    # All nodes for a list (the script asks for every ID); one node, from the re-read file if any.
    shift 3
    if (($# > 1)); then cat "$FAKE/nodes.json"; exit 0; fi
    src=$FAKE/nodes.json
    [[ -f $FAKE/reread.json ]] && src=$FAKE/reread.json
    jq '[.[] | select(.ID == $ARGS.positional[0])]' --args "$1" <"$src" ;;
  "node inspect "*" --format "*)
    # The Go-template text the script once read, hostnames raw as docker prints them.
    jq -r '.[] | "\(.ID)\t\(.Description.Hostname)\t\(.Spec.Role)\t\(.Status.State)\t\(.Description.TLSInfo.TrustRoot | tojson)"' \
      "$FAKE/nodes.json" ;;
  "node rm --force "*) ;;
  "swarm join-token -q worker")
    [[ -f $FAKE/fail-join-token ]] && { echo "fake docker: join-token is broken" >&2; exit 1; }
    echo SWMTKN-1-0000000000000000000000000000000000000000000000000-aaaaaaaaaaaaaaaaaaaaaaaaa ;;
  "swarm ca --rotate --detach") echo "fake docker: no rotation here" >&2; exit 1 ;;
  *) echo "fake docker: $1 $2 is broken" >&2; exit 1 ;;
esac
FAKE
chmod +x "$fake/bin/docker"
cat >"$fake/bin/swarmpki" <<'FAKE'
#!/usr/bin/env bash
case "$1 $2" in
  "cluster --format")
    jq --rawfile root "$FAKE/root.pem" '{schema: "swarmpki.cluster/v1",
      cluster: {rotation: {in_progress: false}, trust_root: {root_file_sha256: ($root | length | tostring)},
                join_tokens: {worker: {digest_base36: "0000000000000000000000000000000000000000000000000"}}},
      nodes: map({id: .ID, hostname: .Description.Hostname, role: .Spec.Role, state: .Status.State})}
      | if $ARGS.named.broken then .nodes = true else . end' --argjson broken "$([[ -f $FAKE/fail-cluster ]] && echo true || echo false)" \
      "$FAKE/nodes.json" ;;
  "rotate simulate")
    jq '{schema: "swarmpki.rotation/v1", status: (if any(.[]; .Status.State != "ready") then "critical" else "ok" end),
      converged: (all(.[]; .Status.State == "ready")), nodes: {managers: 1, workers: (length - 1)},
      engine: {estimated_engine_seconds: 3.15, would_block: [.[] | select(.Status.State != "ready")
        | {node: .ID, hostname: .Description.Hostname, role: .Spec.Role, reason: "\(.Status.State): it never renews"}]}}' \
      "$FAKE/nodes.json" >"$FAKE/sim.json"
    if [[ -f $FAKE/blockers ]]; then
      jq --rawfile ids "$FAKE/blockers" '.engine.would_block = [$ids | split("\n")[] | select(. != "")
        | {node: ., hostname: "x", role: "worker", reason: "down"}]' "$FAKE/sim.json"
    else cat "$FAKE/sim.json"; fi
    jq -e '.converged' "$FAKE/sim.json" >/dev/null || exit 2 ;;
  "rotate status") exit 64 ;;
  *) exec "$REAL_SWARMPKI" "$@" ;;
esac
FAKE
chmod +x "$fake/bin/swarmpki"
M=m000000000000000000000001 W=w000000000000000000000002 H=h000000000000000000000003 D=d000000000000000000000004
"$swarmpki" ca init --out "$fake/ca" >/dev/null 2>&1
"$swarmpki" ca issue --ca "$fake/ca" --node-id "$M" --role manager --cluster-id c00000000000000000000000c \
  --out "$fake/node" >/dev/null 2>&1
cp "$fake/node/swarm-root-ca.crt" "$fake/root.pem"
# fake_node ID ROLE STATE HOSTNAME: one node as docker node inspect shows it.
fake_node() {
  jq -n --arg id "$1" --arg role "$2" --arg state "$3" --arg host "$4" --rawfile root "$fake/root.pem" \
    '{ID: $id, Spec: {Role: $role}, Status: {State: $state}, Description: {Hostname: $host, TLSInfo: {TrustRoot: $root}}}'
}
# H, a healthy worker, reports a hostname that forges two table rows: itself Ready, and W Down.
hostile=$'h\tworker\tready\tnull\n'"$W"$'\tw\tworker\tdown\tnull\n'"$H"$'\th'
# D, the one Down worker, reports a hostname with a terminal escape in it.
{ fake_node "$M" manager ready m; fake_node "$W" worker ready w; fake_node "$H" worker ready "$hostile"
  fake_node "$D" worker down $'d\e[2Kspoof'; } | jq -s . >"$fake/nodes.json"
fake_rotate() {
  : >"$fake/calls"
  env PATH="$fake/bin:$PATH" FAKE="$fake" SWARMPKI="$fake/bin/swarmpki" REAL_SWARMPKI="$swarmpki" "$rotate" --certs-dir "$fake/node" "$@"
}
removals() { grep '^node rm' "$fake/calls" | paste -sd'|' -; }

expect_exit "swarm-ca-rotate --remove-down, a hostname forging a Down row for a healthy worker: removes only the Down worker (exit 2: the stand-in cannot rotate)" 2 \
  fake_rotate --yes --remove-down
expect_eq "only the Down worker was removed, never the healthy one a hostname named" "$(removals)" "node rm --force -- $D"
expect_match "the removal was re-read first (docker node inspect of that node alone)" "^node inspect -- $D\$" "$(cat "$fake/calls")"
expect_match "the Down node's hostname is shown with its control characters replaced" \
  "removing Down node d\?\?2Kspoof \($D\)" "$IT_OUT"
if grep -q $'\e' <<<"$IT_OUT"; then it_fail "no terminal escape from a hostname reaches the output" "ESC found"; else
  it_ok "no terminal escape from a hostname reaches the output"; fi
expect_exit "swarm-ca-rotate --dry-run --remove-down with the forging hostname: exit 0" 0 fake_rotate --dry-run --remove-down
expect_eq "the dry run plans the removal of the Down worker only" \
  "$(grep -o 'would run: docker node rm --force [a-z0-9]*' <<<"$IT_OUT" | paste -sd'|' -)|$(removals)" \
  "would run: docker node rm --force $D|"
expect_exit "swarm-ca-rotate without --remove-down: refused (exit 3)" 3 fake_rotate --yes
expect_match "the refusal names the Down node" "refused: d\?\?2Kspoof \($D, down\) would block the rotation" "$IT_OUT"
if grep -qF "$W" <<<"$IT_OUT"; then it_fail "the refusal does not name the healthy worker" "$W named"; else
  it_ok "the refusal does not name the healthy worker"; fi
# The Down worker comes back between the pre-flight and the removal.
{ fake_node "$D" worker ready d; } | jq -s . >"$fake/reread.json"
expect_exit "swarm-ca-rotate --remove-down when the Down node is Ready again at removal: exit 2 (no rotation here)" 2 \
  fake_rotate --yes --remove-down
expect_eq "a node Ready again when re-read is not removed" "$(removals)" ""
expect_match "it says why it did not remove it" "not removing .*\($D\): docker node inspect no longer reports a Down worker" "$IT_OUT"
rm -f "$fake/reread.json"
# IDs that are not the engine's shape never reach a docker command.
printf '%s\n' -- --format >"$fake/blockers"
expect_exit "swarm-ca-rotate when swarmpki names a malformed ID: refused (exit 3)" 3 fake_rotate --yes --remove-down
expect_match "the refusal says it is not a node ID" "refused: swarmpki named '--', which is not a node ID" "$IT_OUT"
expect_eq "no docker node inspect or rm ran with it" "$(grep -c '^node \(inspect\|rm\)' "$fake/calls")" 0
printf '%s\n' "${W^^}" >"$fake/blockers"
expect_exit "swarm-ca-rotate when swarmpki names an upper-case ID: refused (exit 3)" 3 fake_rotate --yes --remove-down
expect_match "the refusal names the value" "refused: swarmpki named '${W^^}', which is not a node ID" "$IT_OUT"
rm -f "$fake/blockers"
# The real engine's node objects (a worker Down, captured from dockerd 20.10) parse the same way.
engine_nodes=$(dirname "${SWARMPKI_FIXTURES:-$root/../shared/fixtures/swarm}")/engine-api/rotation-blocked/manager1/nodes.json
if [[ -f $engine_nodes ]]; then
  cp "$fake/nodes.json" "$fake/nodes.ours.json"
  cp "$engine_nodes" "$fake/nodes.json"
  expect_exit "swarm-ca-rotate on the real engine's nodes.json (a worker Down): refused (exit 3)" 3 fake_rotate --yes
  expect_match "the refusal names the engine's Down worker" "refused: vm \(kjlnisi3uorlqb4epqlj8pvvl, down\) would block the rotation" "$IT_OUT"
  expect_exit "swarm-ca-rotate --dry-run --remove-down on the real engine's nodes.json: exit 0" 0 fake_rotate --dry-run --remove-down
  expect_eq "the dry run plans the removal of that worker only" \
    "$(grep -o 'would run: docker node rm --force [a-z0-9]*' <<<"$IT_OUT" | paste -sd'|' -)" \
    "would run: docker node rm --force kjlnisi3uorlqb4epqlj8pvvl"
  mv "$fake/nodes.ours.json" "$fake/nodes.json"
else
  it_skip "swarm-ca-rotate on the real engine's nodes.json" "fixture $engine_nodes not found"
fi
# A failure where nothing was foreseen (a cluster report whose nodes are no list): nothing has
# changed yet, so exit 3 with one line, never bash's 1.
jq 'map(.Status.State = "ready")' "$fake/nodes.json" >"$fake/ready.json" && mv "$fake/ready.json" "$fake/nodes.json"
touch "$fake/fail-cluster"
expect_exit "swarm-ca-rotate when a tool fails unexpectedly before any change: refused (exit 3)" 3 fake_rotate --yes
expect_match "the unexpected failure is named, as a refusal" 'refused: unexpected error before any change' "$IT_OUT"
rm -f "$fake/fail-cluster"

# ---- bash completion, against the built binary
completion=$root/contrib/bash-completion/swarmpki
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _swarmpki
           printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$swarmpki" "$@" | sort | tr '\n' ' '
}
expect_eq "completion: commands" "$(complete_words in)" "inspect "
expect_eq "completion: token sub-commands" "$(complete_words token "")" "--help decode generate verify "
got=$(complete_words inspect --unlock-key)
expect_eq "completion: inspect options come from its --help" "$got" "--unlock-key --unlock-key-file --unlock-key-stdin "
expect_eq "completion: --role values" "$(complete_words ca issue --role "")" "manager worker "
got=$(complete_words expiry --format "")
expect_match "completion: expiry --format values from its --help" 'json.*nagios.*prometheus.*text' "$got"
