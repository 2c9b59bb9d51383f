#!/usr/bin/env bash
# Live-engine group: swarmpki and scripts/swarm-ca-rotate against real dockerd instances
# (Debian's docker.io) on loopback in a private network namespace.
#
#   manager1 (127.0.0.1): swarm init; inspect agrees with docker info / docker node inspect;
#                         the live join tokens verify against the live root
#   worker1  (127.0.0.2), worker2 (127.0.0.3): join; inspect worker1's directory; mutual TLS
#   rotate simulate --engine rehearses on the three real nodes; swarm-ca-rotate --yes end to end
#   with every node up; the old token no longer verifies
#   autolock: inspect sees the key encrypted; with the unlock key it matches; a wrong key is exit 3
#   worker1 stopped: the rehearsal names its node ID as blocking; swarm-ca-rotate refuses (exit 3)
#   naming its hostname and node ID, nothing started; --dry-run --remove-down plans the removal;
#   --remove-down with an operator's root rotates; a too-short root and the current key refused
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}
rotate=$root/scripts/swarm-ca-rotate

if ! reason=$(engine_unavailable_reason); then
  it_skip "live engine group" "$reason"
  exit 0
fi
it_begin
tmp=$IT_TMP
engine_setup || { it_fail "engine setup" "could not create a network namespace (ip netns add)"; exit 1; }
if ! engine_start m1 swarmpki-it-manager1 2>"$tmp/start.err"; then
  it_fail "dockerd starts (manager1)" "$(head -n 1 "$tmp/start.err")"
  indent <"$tmp/start.err"
  exit 1
fi
it_ok "dockerd starts (manager1, own data root, exec root, socket, containerd namespace)"
check "docker swarm init --advertise-addr 127.0.0.1" \
  dk m1 swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377
M1=$(engine_certs m1)

# inspect_json DIR [ARGS...]: swarmpki inspect's JSON document on stdout; exit code in $rc.
rc=0
inspect_json() {
  local dir=$1
  shift
  rc=0
  "$swarmpki" inspect --dir "$dir" --format json "$@" 2>"$tmp/inspect.err" || rc=$?
}
# jqf FILE FILTER
jqf() { jq -r "$2" "$1" 2>/dev/null; }

# ---- manager1 as the engine sees it and as swarmpki sees it
dk m1 info --format '{{json .Swarm}}' >"$tmp/m1-info.json"
dk m1 node inspect self --format '{{json .}}' >"$tmp/m1-node.json"
inspect_json "$M1" >"$tmp/m1.json"
expect_eq "inspect manager1: exit code on a healthy fresh node" "$rc" 0
N='.nodes[0]'
expect_eq "inspect manager1: node id = docker info NodeID" \
  "$(jqf "$tmp/m1.json" "$N.node.id")" "$(jqf "$tmp/m1-info.json" .NodeID)"
expect_eq "inspect manager1: role = docker node inspect Spec.Role" \
  "$(jqf "$tmp/m1.json" "$N.node.role")" "$(jqf "$tmp/m1-node.json" .Spec.Role)"
expect_eq "inspect manager1: cluster id = docker info Cluster.ID" \
  "$(jqf "$tmp/m1.json" "$N.node.cluster_id")" "$(jqf "$tmp/m1-info.json" .Cluster.ID)"
expect_eq "inspect manager1: root_file_sha256 = sha256(docker info TrustRoot)" \
  "$(jqf "$tmp/m1.json" "$N.root_file_sha256")" "$(jq '.Cluster.TLSInfo.TrustRoot' "$tmp/m1-info.json" | json_string_sha256)"
expect_eq "inspect manager1: root_file_sha256 = sha256(docker node inspect TLSInfo.TrustRoot)" \
  "$(jqf "$tmp/m1.json" "$N.root_file_sha256")" "$(jq '.Description.TLSInfo.TrustRoot' "$tmp/m1-node.json" | json_string_sha256)"
expect_eq "inspect manager1: issuer_public_key_sha256 = sha256(TLSInfo.CertIssuerPublicKey)" \
  "$(jqf "$tmp/m1.json" "$N.node.issuer_public_key_sha256")" \
  "$(jq -r '.Description.TLSInfo.CertIssuerPublicKey' "$tmp/m1-node.json" | base64 -d | sha256sum | cut -d' ' -f1)"
worker_token=$(dk m1 swarm join-token -q worker)
expect_eq "inspect manager1: join_token_digest = the live token's digest" \
  "$(jqf "$tmp/m1.json" "$N.join_token_digest")" "$(cut -d- -f3 <<<"$worker_token")"
expect_eq "inspect manager1: chain verified, rotation none, key plain and matching" \
  "$(jqf "$tmp/m1.json" "[$N.chain_verified, $N.rotation.state, $N.key.encrypted, $N.key.matches_certificate] | @csv")" \
  'true,"none",false,true'

# ---- live join tokens against the live root (tokens go on standard input, not argv)
for role in worker manager; do
  dk m1 swarm join-token -q "$role" >"$tmp/$role.token"
  rc=0
  "$swarmpki" token verify - --dir "$M1" --format json <"$tmp/$role.token" >"$tmp/verify.json" 2>&1 || rc=$?
  expect_eq "token verify: live $role token matches the live root (exit 0, match true)" \
    "$rc $(jqf "$tmp/verify.json" .match)" "0 true"
  if grep -qF -- "$(cut -d- -f4 "$tmp/$role.token")" "$tmp/verify.json"; then
    it_fail "token verify: $role token secret stays out of the output" "the secret was printed"
  else
    it_ok "token verify: $role token secret stays out of the output"
  fi
done

# ---- two workers on 127.0.0.2 and 127.0.0.3, started side by side
engine_spawn w1 swarmpki-it-worker1
engine_spawn w2 swarmpki-it-worker2
for w in w1 w2; do
  if engine_wait "$w" 2>"$tmp/start.err"; then
    it_ok "dockerd starts ($w)"
  else
    it_fail "dockerd starts ($w)" "$(head -n 1 "$tmp/start.err")"
    exit 1
  fi
done
check "worker1 joins with the live worker token" \
  dk w1 swarm join --token "$worker_token" --advertise-addr 127.0.0.2 --listen-addr 127.0.0.2:2377 127.0.0.1:2377
check "worker2 joins with the live worker token" \
  dk w2 swarm join --token "$worker_token" --advertise-addr 127.0.0.3 --listen-addr 127.0.0.3:2377 127.0.0.1:2377
workers_ready() { [[ $(dk m1 node ls --format '{{.Hostname}} {{.Status}}' | grep -cx 'swarmpki-it-worker[12] Ready') -eq 2 ]]; }
check "manager1 sees worker1 and worker2 Ready" wait_until 30 workers_ready
W1_ID=$(dk w1 info --format '{{.Swarm.NodeID}}')
W1=$(engine_certs w1)
inspect_json "$W1" >"$tmp/w1.json"
expect_eq "inspect worker1: exit code" "$rc" 0
expect_eq "inspect worker1: node id = worker's docker info NodeID" \
  "$(jqf "$tmp/w1.json" "$N.node.id")" "$(dk w1 info --format '{{.Swarm.NodeID}}')"
expect_eq "inspect worker1: role worker, same cluster, same root file as manager1" \
  "$(jqf "$tmp/w1.json" "[$N.node.role, $N.node.cluster_id, $N.root_file_sha256] | @csv")" \
  "$(jqf "$tmp/m1.json" "[\"worker\", $N.node.cluster_id, $N.root_file_sha256] | @csv")"
check "verify: manager1 and worker1 accept each other in mutual TLS" \
  "$swarmpki" verify --dir "$M1" --peer-dir "$W1"

# ---- the rehearsal on the real cluster, read-only
m1_host=unix://$(engine_dir m1)/docker.sock
rc=0
"$swarmpki" rotate simulate --host "$m1_host" --format json >"$tmp/sim1.json" 2>"$tmp/sim1.err" || rc=$?
expect_eq "rotate simulate --engine, every node up: converges (exit 0) over 1 manager and 2 workers, the real cluster ID" \
  "$rc $(jqf "$tmp/sim1.json" '[.nodes.managers, .nodes.workers, .converged, .cluster_id] | @csv')" \
  "0 1,2,true,\"$(jqf "$tmp/m1-info.json" .Cluster.ID)\""
expect_eq "rotate simulate --engine: engine member and estimate (3.15 s for three nodes)" \
  "$(jqf "$tmp/sim1.json" '[.engine.host, .engine.api_version != "", .engine.estimated_engine_seconds] | @csv')" \
  "\"$m1_host\",true,3.15"
expect_eq "rotate simulate --engine changed nothing (no rotation in progress)" \
  "$(dk m1 info --format '{{.Swarm.Cluster.RootRotationInProgress}}')" false

# ---- rotation with every node up
rc=0
DOCKER_HOST=unix://$(engine_dir m1)/docker.sock SWARMPKI=$swarmpki \
  "$rotate" --yes --certs-dir "$M1" --timeout 90s >"$tmp/rotate1.out" 2>&1 || rc=$?
if ((rc == 0)); then it_ok "swarm-ca-rotate --yes: rotated and verified (exit 0)"; else
  it_fail "swarm-ca-rotate --yes: rotated and verified (exit 0)" "exit $rc"; indent <"$tmp/rotate1.out"; fi
old_root=$(jqf "$tmp/m1.json" "$N.root_file_sha256")
new_root=$(file_sha256 "$M1/swarm-root-ca.crt")
if [[ $new_root != "$old_root" ]]; then it_ok "rotation: manager1's root file changed"; else
  it_fail "rotation: manager1's root file changed" "still $old_root"; fi
# Shown in the test log: what an operator sees.
indent <"$tmp/rotate1.out"
if grep -qF "$new_root" "$tmp/rotate1.out" && grep -qF "$old_root" "$tmp/rotate1.out"; then
  it_ok "swarm-ca-rotate: summary names the old and new root digests"
else
  it_fail "swarm-ca-rotate: summary names the old and new root digests" "not found"; indent <"$tmp/rotate1.out"
fi
secret_printed=no
for role in worker manager; do
  grep -qF -- "$(cut -d- -f4 "$tmp/$role.token")" "$tmp/rotate1.out" && secret_printed=yes
  dk m1 swarm join-token -q "$role" | cut -d- -f4 | grep -qFf - "$tmp/rotate1.out" && secret_printed=yes
done
expect_eq "swarm-ca-rotate: no join-token secret in its output" "$secret_printed" no
worker_on_new_root() { [[ $(file_sha256 "$W1/swarm-root-ca.crt") == "$new_root" ]]; }
check "rotation: worker1's root file is the new root" wait_until 20 worker_on_new_root
inspect_json "$W1" >"$tmp/w1-after.json"
expect_eq "inspect worker1 after rotation: chain verified, rotation completed" \
  "$(jqf "$tmp/w1-after.json" "[$N.chain_verified, $N.rotation.state] | @csv")" 'true,"completed"'
expect_eq "inspect worker1 after rotation: chain is leaf + cross-signed intermediate" \
  "$(jqf "$tmp/w1-after.json" "[$N.chain[].kind] | join(\",\")")" "leaf,cross-signed-intermediate"
rc=0
"$swarmpki" token verify - --dir "$M1" --format json <"$tmp/worker.token" >"$tmp/verify.json" 2>&1 || rc=$?
expect_eq "token verify: the pre-rotation worker token no longer matches (exit 2, match false)" \
  "$rc $(jqf "$tmp/verify.json" .match)" "2 false"

# ---- autolock
check "docker swarm update --autolock=true" dk m1 swarm update --autolock=true
key_encrypted() { head -n 1 "$M1/swarm-node.key" | grep -q 'ENCRYPTED PRIVATE KEY'; }
check "manager1's key file becomes encrypted" wait_until 20 key_encrypted
(umask 077 && dk m1 swarm unlock-key -q >"$tmp/unlock.key")
inspect_json "$M1" >"$tmp/m1-locked.json"
expect_eq "inspect autolocked manager1: key encrypted, kek-version header, match unknown without the key" \
  "$(jqf "$tmp/m1-locked.json" "[$N.key.encrypted, ($N.key.pem_headers | index(\"kek-version\") != null), $N.key.matches_certificate] | @csv")" \
  "true,true,"
inspect_json "$M1" --unlock-key-file "$tmp/unlock.key" >"$tmp/m1-unlocked.json"
expect_eq "inspect --unlock-key-file (docker swarm unlock-key -q): key matches the certificate" \
  "$rc $(jqf "$tmp/m1-unlocked.json" "$N.key.matches_certificate")" "0 true"
raft_dek=$(sed -n 's/^raft-dek: //p' "$M1/swarm-node.key" | head -n 1)
leaked=no
for f in "$tmp/m1-locked.json" "$tmp/m1-unlocked.json" "$tmp/inspect.err"; do
  grep -qF -- "$(cut -c10- "$tmp/unlock.key")" "$f" && leaked=yes
  [[ -n $raft_dek ]] && grep -qF -- "${raft_dek:0:24}" "$f" && leaked=yes
done
expect_eq "inspect: neither the unlock key nor the raft DEK appear in any output" "$leaked" no
printf 'SWMKEY-1-%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '=')" >"$tmp/wrong.key"
chmod 600 "$tmp/wrong.key"  # as an operator keeps it: a readable key file adds a warning line
rc=0
"$swarmpki" inspect --dir "$M1" --format json --unlock-key-file "$tmp/wrong.key" >/dev/null 2>"$tmp/wrong.err" || rc=$?
expect_eq "inspect with a wrong unlock key: exit 3 with one line on stderr" "$rc $(wc -l <"$tmp/wrong.err")" "3 1"

# ---- a Down worker blocks rotations: the runbook refuses
engine_stop w1
worker_down() { dk m1 node ls --format '{{.Hostname}} {{.Status}}' | grep -qx 'swarmpki-it-worker1 Down'; }
check "worker1 stopped; manager1 reports it Down" wait_until 60 worker_down
runbook() { DOCKER_HOST=unix://$(engine_dir m1)/docker.sock SWARMPKI=$swarmpki SWARMPKI_UNLOCK_KEY=$(cat "$tmp/unlock.key") \
  "$rotate" --certs-dir "$M1" --timeout 90s "$@"; }
rc=0
"$swarmpki" rotate simulate --host "$m1_host" --format json >"$tmp/sim2.json" 2>"$tmp/sim2.err" || rc=$?
expect_eq "rotate simulate --engine with worker1 Down: blocked (exit 2) by worker1's node ID and hostname, no estimate" \
  "$rc $(jqf "$tmp/sim2.json" '[.blocked_by[0], .engine.would_block[0].hostname, .engine.estimated_engine_seconds] | @csv')" \
  "2 \"$W1_ID\",\"swarmpki-it-worker1\","
expect_exit "swarm-ca-rotate with worker1 Down: refused (exit 3)" 3 runbook --yes
if grep -q 'swarmpki-it-worker1' <<<"$IT_OUT" && grep -qF "$W1_ID" <<<"$IT_OUT"; then
  it_ok "swarm-ca-rotate refusal names the Down node (hostname and node ID)"
else
  it_fail "swarm-ca-rotate refusal names the Down node (hostname and node ID)" "not named"; indent <<<"$IT_OUT"; fi
expect_eq "refusal: no rotation was started" "$(dk m1 info --format '{{.Swarm.Cluster.RootRotationInProgress}}')" false
expect_exit "swarm-ca-rotate --dry-run --remove-down: plans the removal, changes nothing (exit 0)" 0 \
  runbook --dry-run --remove-down
if grep -qF "docker node rm --force $W1_ID" <<<"$IT_OUT" && [[ $(dk m1 node ls -q | wc -l) -eq 3 ]]; then
  it_ok "dry run lists 'docker node rm' of worker1 and leaves the three nodes registered"
else
  it_fail "dry run lists 'docker node rm' of worker1 and leaves the three nodes registered" "$(dk m1 node ls -q | wc -l) nodes"
  indent <<<"$IT_OUT"
fi

# ---- operator roots: a good one after removing the Down node, and one the engine would refuse
opkey=$tmp/operator.key opcrt=$tmp/operator.crt
openssl ecparam -name prime256v1 -genkey -noout -out "$opkey" 2>/dev/null
openssl req -x509 -new -key "$opkey" -sha256 -days 730 -subj '/O=swarmpki-it/CN=swarmpki integration operator root' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$opcrt" 2>/dev/null
expect_exit "swarm-ca-rotate --remove-down --ca-cert/--ca-key: removes worker1, rotates to the operator's root (exit 0)" 0 \
  runbook --yes --remove-down --ca-cert "$opcrt" --ca-key "$opkey"
expect_eq "worker1 was removed from the swarm, worker2 stays" "$(dk m1 node ls --format '{{.Hostname}}' | sort | tr '\n' ' ')" "swarmpki-it-manager1 swarmpki-it-worker2 "
op_spki=$(openssl x509 -in "$opcrt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
inspect_json "$M1" --unlock-key-file "$tmp/unlock.key" >"$tmp/m1-op.json"
expect_eq "inspect manager1: trust root is the operator's key; chain verified; rotation completed" \
  "$(jqf "$tmp/m1-op.json" "[$N.trust_roots[0].public_key_sha256, $N.chain_verified, $N.rotation.state] | @csv")" \
  "\"$op_spki\",true,\"completed\""

shortkey=$tmp/short.key shortcrt=$tmp/short.crt
openssl ecparam -name prime256v1 -genkey -noout -out "$shortkey" 2>/dev/null
openssl req -x509 -new -key "$shortkey" -sha256 -days 100 -subj '/CN=swarmpki integration short root' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$shortcrt" 2>/dev/null
before=$(file_sha256 "$M1/swarm-root-ca.crt")
expect_exit "swarm-ca-rotate with a root that expires within a year: refused before the engine sees it (exit 3)" 3 \
  runbook --yes --ca-cert "$shortcrt" --ca-key "$shortkey"
if grep -qi 'expires too soon' <<<"$IT_OUT"; then it_ok "refusal of the short root gives the engine's reason"; else
  it_fail "refusal of the short root gives the engine's reason" "no 'expires too soon'"; indent <<<"$IT_OUT"; fi
expect_eq "refused root: nothing changed" \
  "$(file_sha256 "$M1/swarm-root-ca.crt") $(dk m1 info --format '{{.Swarm.Cluster.RootRotationInProgress}}')" "$before false"
expect_exit "swarm-ca-rotate with the current root's own key: refused (exit 3)" 3 \
  runbook --yes --ca-cert "$opcrt" --ca-key "$opkey"
if grep -q 'identical key' <<<"$IT_OUT"; then it_ok "refusal of the current root's key says why (checked against the live root)"; else
  it_fail "refusal of the current root's key says why (checked against the live root)" "no 'identical key'"; indent <<<"$IT_OUT"; fi

engine_stop m1
it_ok "engines stopped by PID"
