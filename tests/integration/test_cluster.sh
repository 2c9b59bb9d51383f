#!/usr/bin/env bash
# Live-engine group for `swarmpki cluster` (SPEC section 9): three dockerd (Debian's docker.io) on
# loopback in a private network namespace, and a fourth that never joins.
#
#   manager1 (127.0.0.1) swarm init; worker1 (127.0.0.2) and worker2 (127.0.0.3) join; stranger
#   (127.0.0.4) never joins. At every step `swarmpki cluster --format json` against manager1's
#   socket agrees with `docker node ls` node by node (id, hostname, role, state, availability,
#   leader, TLS STATUS) and exits by its worst finding:
#   healthy                                 exit 0, no rotation, both tokens pin the root
#   swarm update --cert-expiry 3h           cert_expiry_seconds 10800, not applied (leaf 2161 h): 1
#   worker2 stopped, swarm ca --rotate      in progress, blocked by worker2 (Down, Needs Rotation): 2;
#     --detach                              the text names worker2 and `docker node rm`
#   docker node rm --force worker2          finished, converged, tokens pin the new root: 0 or 1
#   worker1's socket, stranger's socket     exit 3, one line on stderr, nothing on stdout
#   No join-token secret appears in any output.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}

if ! reason=$(engine_unavailable_reason); then
  it_skip "live cluster group" "$reason"
  exit 0
fi
it_begin
tmp=$IT_TMP
out=$tmp/out  # every output of swarmpki, searched for secrets at the end
mkdir -p "$out"
it_clock

engines_start m1 w1 w2 st || exit 1
took "four dockerd started"

swarm_form
declare -A ID_OF=()
for n in m1 w1 w2; do ID_OF[$n]=$(dk "$n" info --format '{{.Swarm.NodeID}}'); done

# The join-token secrets seen so far (the last part of each token), never to be printed.
secrets=$tmp/secrets
remember_secrets() {
  local role
  for role in worker manager; do dk m1 swarm join-token -q "$role" | cut -d- -f4 | grep -v '^$' >>"$secrets"; done
}
remember_secrets

# node_ls FILE: docker node ls, one line a node in the JSON's words, sorted:
# id|hostname|role|state|availability|leader|tls_status
node_ls() {
  dk m1 node ls --format '{{.ID}}|{{.Hostname}}|{{.Status}}|{{.Availability}}|{{.ManagerStatus}}|{{.TLSStatus}}' |
    awk -F'|' '{
      tls = $6 == "Ready" ? "ready" : $6 == "Needs Rotation" ? "needs-rotation" : $6 == "Unknown" ? "unknown" : "?" $6
      printf "%s|%s|%s|%s|%s|%s|%s\n", $1, $2, ($5 == "" ? "worker" : "manager"), tolower($3), tolower($4),
             ($5 == "Leader" ? "leader" : ""), tls
    }' | sort >"$1"
}
# cluster_nodes JSON FILE: the same lines from swarmpki cluster's JSON.
cluster_nodes() {
  jq -r '.nodes[] | [.id, .hostname, .role, .state, .availability, (if .leader then "leader" else "" end),
         .tls_status] | join("|")' "$1" 2>/dev/null | sort >"$2"
}

# cluster STEP ARGS...: swarmpki cluster ARGS against manager1's socket; stdout in $out/STEP.out,
# stderr in $out/STEP.err, exit code in $rc.
rc=0
cluster() {
  local step=$1
  shift
  rc=0
  DOCKER_HOST=unix://$(sock m1) "$swarmpki" cluster "$@" >"$out/$step.out" 2>"$out/$step.err" || rc=$?
}

# snapshot STEP ARGS...: `swarmpki cluster --format json ARGS` between two `docker node ls`; it
# agrees when its nodes equal both (a node changing state between them is asked again, up to 3
# times). The JSON is $out/STEP.out, its exit code $rc.
snapshot() {
  local step=$1 attempt
  shift
  for attempt in 1 2 3; do
    node_ls "$tmp/$step.before"
    cluster "$step" --format json "$@"
    node_ls "$tmp/$step.after"
    cluster_nodes "$out/$step.out" "$tmp/$step.swarmpki"
    if cmp -s "$tmp/$step.before" "$tmp/$step.after"; then break; fi
    sleep 1
  done
  : "$attempt"
  if [[ -s $tmp/$step.before ]] && cmp -s "$tmp/$step.before" "$tmp/$step.swarmpki"; then
    it_ok "$step: cluster --format json agrees with docker node ls node by node ($(wc -l <"$tmp/$step.before") nodes)"
  else
    it_fail "$step: cluster --format json agrees with docker node ls node by node" "they differ (exit $rc)"
    { echo "docker node ls:"; cat "$tmp/$step.before"; echo "swarmpki cluster:"; cat "$tmp/$step.swarmpki"
      echo "stderr:"; cat "$out/$step.err"; } | indent
  fi
  expect_eq "$step: JSON schema swarmpki.cluster/v1" "$(jq -r .schema "$out/$step.out" 2>/dev/null)" swarmpki.cluster/v1
}
# jqs STEP FILTER: a member of STEP's JSON.
jqs() { jq -c "$2" "$out/$1.out" 2>/dev/null; }
all_ls() { dk m1 node ls --format '{{.Hostname}} {{.Status}} {{.TLSStatus}}' | sort | tr '\n' ','; }
took "swarm formed (init, two joins)"

# ---- healthy
want_healthy="swarmpki-it-manager1 Ready Ready,swarmpki-it-worker1 Ready Ready,swarmpki-it-worker2 Ready Ready,"
healthy() { [[ $(all_ls) == "$want_healthy" ]]; }
check "healthy: docker node ls shows three nodes Ready, TLS Ready" wait_until 60 healthy
took "healthy: nodes ready"
snapshot healthy
expect_eq "healthy: exit 0" "$rc" 0
expect_eq "healthy: no rotation in progress, nothing blocks, 3 of 3 converged" \
  "$(jqs healthy '[.cluster.rotation.in_progress, .cluster.rotation.blocked_by, .cluster.rotation.converged, .cluster.rotation.total]')" \
  '[false,[],3,3]'
expect_eq "healthy: worker and manager tokens pin the trust root" \
  "$(jqs healthy '[.cluster.join_tokens.worker.pins_trust_root, .cluster.join_tokens.manager.pins_trust_root]')" '[true,true]'
expect_eq "healthy: cluster id = docker info Cluster.ID" \
  "$(jqs healthy .cluster.id)" "\"$(dk m1 info --format '{{.Swarm.Cluster.ID}}')\""
expect_eq "healthy: trust root's file digest = sha256(docker info TrustRoot)" \
  "$(jq -r .cluster.trust_root.root_file_sha256 "$out/healthy.out" 2>/dev/null)" \
  "$(dk m1 info --format '{{json .Swarm.Cluster.TLSInfo.TrustRoot}}' | json_string_sha256)"
expect_eq "healthy: worker token digest (docker swarm join-token) = its JSON digest" \
  "$(jq -r .cluster.join_tokens.worker.digest_base36 "$out/healthy.out" 2>/dev/null)" "$(cut -d- -f3 <<<"$IT_WORKER_TOKEN")"
old_root=$(jq -r .cluster.trust_root.root_file_sha256 "$out/healthy.out" 2>/dev/null)
took "healthy: checked"

# ---- --cert-expiry 3h: configured at once, applied only by a new signer (DOMAIN.md section 12)
check "docker swarm update --cert-expiry 3h" dk m1 swarm update --cert-expiry 3h
snapshot cert-expiry --dir "$(engine_certs m1)"
expect_eq "cert-expiry 3h: cert_expiry_seconds 10800" "$(jqs cert-expiry .cluster.cert_expiry_seconds)" 10800
expect_eq "cert-expiry 3h: not applied to manager1's leaf (still 2160 h + 1 h)" \
  "$(jqs cert-expiry .cluster.cert_expiry_applied.applied)" false
expect_eq "cert-expiry 3h: exit 1 (a warning)" "$rc" 1
took "cert-expiry: checked"

# ---- worker2 down, then a rotation it blocks
engine_stop w2
w2_down() { dk m1 node ls --format '{{.Hostname}} {{.Status}}' | grep -qx 'swarmpki-it-worker2 Down'; }
check "worker2 stopped; manager1 reports it Down" wait_until 60 w2_down
took "worker2 down"
check "docker swarm ca --rotate --detach" dk m1 swarm ca --rotate --detach
# manager1 and worker1 re-issued: docker's TLS STATUS compares with the new issuer already.
others_converged() {
  [[ $(all_ls) == "swarmpki-it-manager1 Ready Ready,swarmpki-it-worker1 Ready Ready,swarmpki-it-worker2 Down Needs Rotation," ]]
}
check "rotation: manager1 and worker1 report the new issuer, worker2 Down and Needs Rotation" \
  wait_until 60 others_converged
took "rotation: the two up nodes converged"
snapshot rotation-blocked
expect_eq "rotation blocked: exit 2 (critical)" "$rc" 2
expect_eq "rotation blocked: in progress, blocked by worker2's ID alone, 2 of 3 converged, no estimate" \
  "$(jqs rotation-blocked '[.cluster.rotation.in_progress, .cluster.rotation.blocked_by, .cluster.rotation.converged, .cluster.rotation.total, .cluster.rotation.estimated_engine_seconds]')" \
  "[true,[\"${ID_OF[w2]}\"],2,3,null]"
expect_eq "rotation blocked: worker2 down, needs-rotation, not converged, blocking, with a reason" \
  "$(jqs rotation-blocked ".nodes[] | select(.id == \"${ID_OF[w2]}\") | [.state, .tls_status, .converged, .blocking_rotation, (.reason != null and .reason != \"\")]")" \
  '["down","needs-rotation",false,true,true]'
expect_eq "rotation blocked: manager1 and worker1 converged" \
  "$(jqs rotation-blocked "[.nodes[] | select(.id != \"${ID_OF[w2]}\") | .converged]")" '[true,true]'
cluster rotation-blocked-text
expect_eq "rotation blocked, text: exit 2" "$rc" 2
if grep -qE "swarmpki-it-worker2|${ID_OF[w2]}" "$out/rotation-blocked-text.out" &&
   grep -qF 'docker node rm' "$out/rotation-blocked-text.out"; then
  it_ok "rotation blocked, text: names worker2 and the remedy 'docker node rm'"
else
  it_fail "rotation blocked, text: names worker2 and the remedy 'docker node rm'" "not found"
  indent <"$out/rotation-blocked-text.out"
fi
indent <"$out/rotation-blocked-text.out"  # shown in the log: what an operator sees
# Every format, the same verdict (SPEC section 10).
cluster rotation-blocked-nagios --format nagios
expect_eq "rotation blocked, nagios: exit 2 (CRITICAL)" "$rc" 2
cluster rotation-blocked-prometheus --format prometheus
expect_eq "rotation blocked, prometheus: exit 2" "$rc" 2
promtool_clean() { promtool check metrics <"$1"; }
if command -v promtool >/dev/null 2>&1; then
  check "rotation blocked, prometheus: promtool check metrics is clean" \
    promtool_clean "$out/rotation-blocked-prometheus.out"
fi
expect_match "rotation blocked, prometheus: rotation in progress (1)" \
  '^swarmpki_cluster_rotation_in_progress\{[^}]*\} 1$' "$(cat "$out/rotation-blocked-prometheus.out")"
expect_match "rotation blocked, prometheus: one blocking node" \
  '^swarmpki_cluster_rotation_blocking_nodes\{[^}]*\} 1$' "$(cat "$out/rotation-blocked-prometheus.out")"
took "rotation blocked: checked"

# ---- docker node rm: the rotation finishes
check "docker node rm --force worker2" dk m1 node rm --force "${ID_OF[w2]}"
rotation_done() { [[ $(dk m1 info --format '{{.Swarm.Cluster.RootRotationInProgress}}') == false ]]; }
check "the rotation finishes after the removal" wait_until 60 rotation_done
w1_ready() { [[ $(all_ls) == "swarmpki-it-manager1 Ready Ready,swarmpki-it-worker1 Ready Ready," ]]; }
check "manager1 and worker1 Ready, TLS Ready, worker2 gone" wait_until 30 w1_ready
took "rotation finished"
remember_secrets
snapshot rotation-finished --dir "$(engine_certs m1)"
if ((rc == 0 || rc == 1)); then it_ok "rotation finished: exit $rc (0 or 1)"; else
  it_fail "rotation finished: exit 0 or 1" "exit $rc"; indent <"$out/rotation-finished.err"; fi
expect_eq "rotation finished: not in progress, nothing blocks, 2 of 2 converged" \
  "$(jqs rotation-finished '[.cluster.rotation.in_progress, .cluster.rotation.blocked_by, .cluster.rotation.converged, .cluster.rotation.total]')" \
  '[false,[],2,2]'
expect_eq "rotation finished: manager1 and worker1 converged, none blocking" \
  "$(jqs rotation-finished '[.nodes[] | [.converged, .blocking_rotation]]')" '[[true,false],[true,false]]'
new_root=$(jq -r .cluster.trust_root.root_file_sha256 "$out/rotation-finished.out" 2>/dev/null)
if [[ -n $new_root && $new_root != "$old_root" && $new_root != null ]]; then
  it_ok "rotation finished: the trust root changed"
else
  it_fail "rotation finished: the trust root changed" "'$old_root' -> '$new_root'"
fi
expect_eq "rotation finished: the new tokens pin the new root" \
  "$(jqs rotation-finished '[.cluster.join_tokens.worker.pins_trust_root, .cluster.join_tokens.manager.pins_trust_root]')" '[true,true]'
expect_eq "rotation finished: worker token digest = the live token's" \
  "$(jq -r .cluster.join_tokens.worker.digest_base36 "$out/rotation-finished.out" 2>/dev/null)" \
  "$(dk m1 swarm join-token -q worker | cut -d- -f3)"
# The rotation rebuilt the signer: manager1's new leaf has the configured 3 h (+ 1 h backdate).
expect_eq "rotation finished: the 3 h cert-expiry is applied to manager1's new leaf" \
  "$(jqs rotation-finished .cluster.cert_expiry_applied.applied)" true
took "rotation finished: checked"

# ---- sockets that cannot answer for the cluster: exit 3, one line, no partial document
# refused NAME NODE WHY: swarmpki cluster --host unix://<NODE's socket>.
refused() {
  local name=$1 node=$2 why=$3 lines
  rc=0
  "$swarmpki" cluster --host "unix://$(sock "$node")" --format json >"$out/$name.out" 2>"$out/$name.err" || rc=$?
  lines=$(wc -l <"$out/$name.err")
  if ((rc == 3 && lines == 1)) && [[ ! -s $out/$name.out ]] && grep -qF "$(sock "$node")" "$out/$name.err" &&
     grep -qiE "$why" "$out/$name.err"; then
    it_ok "$name: exit 3, one line naming the socket and /$why/, nothing on stdout"
  else
    it_fail "$name: exit 3, one line naming the socket and /$why/, nothing on stdout" \
      "exit $rc, $lines stderr lines, $(wc -c <"$out/$name.out") bytes on stdout"
    indent <"$out/$name.err"
  fi
  indent <"$out/$name.err"
}
refused "worker1's socket" w1 manager
refused "stranger's socket (never joined)" st 'swarm (init|join)|not .*swarm'
took "refusals: checked"

# ---- no join-token secret in any output
if [[ -s $secrets ]] && ! grep -rqF -f "$secrets" "$out"; then
  it_ok "no join-token secret (worker, manager, before and after the rotation) in any output"
else
  it_fail "no join-token secret in any output" "$(grep -rlF -f "$secrets" "$out" | xargs -r -n1 basename | tr '\n' ' ')"
fi

for n in m1 w1 st; do engine_stop "$n"; done
it_ok "engines stopped by PID"
took "engines stopped"
took_total "whole test"
