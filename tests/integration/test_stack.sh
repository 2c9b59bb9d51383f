#!/usr/bin/env bash
# Live-engine group for the offline image and the swarm stack (issue 15 items 3 to 5): one dockerd
# (Debian's docker.io) on loopback in a private network namespace, swarm init, then
#
#   scripts/build-image (DOCKER_HOST = that engine): swarmpki:<version> and :latest, FROM scratch,
#     exactly the two binaries, the libraries ldd names and /etc/passwd+group; a non-root user;
#     `--version` and `serve --help` (the libexec helper and its libraries) run in it
#   docker stack deploy -c contrib/swarm/swarmpki.stack.yml: every task's /metrics answers over
#     mutual TLS to a node certificate of this swarm (the engine's PEM headers stripped for curl),
#     passes promtool check metrics; no certificate, another swarm's certificate, plain HTTP:
#     refused. The time from the deploy to the first successful scrape is printed.
#   The cluster service (serve --engine) only when `swarmpki serve --help` lists --engine.
#   Prometheus (Debian's, on loopback in the namespace, own data directory) scrapes the stack over
#     mTLS and its /api/v1/query returns swarmpki series; with contrib/prometheus/swarmpki.rules.yml
#     (its `for:` shortened to 1s), a certificate issued to expire in 1h fires
#     SwarmpkiCertificateExpiring in /api/v1/alerts.
# Host-network tasks listen inside the namespace, so curl and Prometheus run there too.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}
build=${BUILD_DIR:-$(dirname "$swarmpki")}
stack_file=$root/contrib/swarm/swarmpki.stack.yml
rules_file=$root/contrib/prometheus/swarmpki.rules.yml

if ! reason=$(engine_unavailable_reason); then
  it_skip "live stack group" "$reason"
  exit 0
fi
for tool in curl promtool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    it_skip "live stack group" "'$tool' not installed (run scripts/install-deps --test)"
    exit 0
  fi
done
it_begin
tmp=$IT_TMP
# Processes this test starts itself (Prometheus, a second serve), stopped by PID before the engines.
# Started as `ip netns exec ... CMD &`, never through a function, so that $! is the process itself
# (ip netns exec execs CMD): a function would fork a subshell, and killing it would orphan CMD.
declare -a own_pids=()
stop_own() {
  local pid
  for pid in "${own_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${own_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  own_pids=()
}
trap 'stop_own; it_cleanup' EXIT
it_clock
nsx() { ip netns exec "$IT_NETNS" "$@"; }

engine_setup || { it_fail "engine setup" "could not create a network namespace (ip netns add)"; exit 1; }
if ! engine_start m1 swarmpki-it-manager1 2>"$tmp/start.err"; then
  it_fail "dockerd starts (manager1)" "$(head -n 1 "$tmp/start.err")"
  indent <"$tmp/start.err"
  exit 1
fi
it_ok "dockerd starts (manager1)"
check "docker swarm init --advertise-addr 127.0.0.1" \
  dk m1 swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377
M1=$(engine_certs m1)
sock=$(engine_dir m1)/docker.sock
took "engine and swarm"

# ---- the image
version=$(sed -nE 's/^project\(swarmpki VERSION ([0-9.]+).*/\1/p' "$root/CMakeLists.txt")
rc=0
DOCKER_HOST=unix://$sock "$root/scripts/build-image" --build-dir "$build" >"$tmp/build-image.out" 2>&1 || rc=$?
if ((rc == 0)); then it_ok "scripts/build-image: exit 0"; else
  it_fail "scripts/build-image: exit 0" "exit $rc"; indent <"$tmp/build-image.out"; exit 1; fi
indent <"$tmp/build-image.out"
took "build-image"
expect_eq "image tags swarmpki:$version and swarmpki:latest, one image" \
  "$(dk m1 image inspect --format '{{.Id}}' "swarmpki:$version" 2>&1)" \
  "$(dk m1 image inspect --format '{{.Id}}' swarmpki:latest 2>&1)"
expect_eq "image: user 65532:65532, entrypoint /usr/bin/swarmpki, one layer" \
  "$(dk m1 image inspect --format '{{.Config.User}} {{json .Config.Entrypoint}} {{len .RootFS.Layers}}' swarmpki:latest)" \
  '65532:65532 ["/usr/bin/swarmpki"] 1'
size=$(dk m1 image inspect --format '{{.Size}}' swarmpki:latest)
printf 'size image swarmpki:%s %d bytes (%.1f MiB)\n' "$version" "$size" "$(echo "$size / 1048576" | bc -l)"

# Its files: exactly the binaries, /etc/passwd and /etc/group, and what ldd names.
mkdir -p "$tmp/save"
dk m1 image save swarmpki:latest | tar -x -C "$tmp/save"
layer=$(jq -r '.[0].Layers[0]' "$tmp/save/manifest.json" 2>/dev/null)
tar -t -f "$tmp/save/$layer" 2>/dev/null | grep -v '/$' | sed 's|^\./||' | sort >"$tmp/image-files"
{
  printf '%s\n' usr/bin/swarmpki usr/libexec/swarmpki/swarmpki-serve etc/passwd etc/group
  ldd "$build/swarmpki" "$build/swarmpki-serve" | sed -nE 's|.*=> (/[^ ]+) .*|\1|p; s|^[[:space:]]*(/[^ ]+) \(.*|\1|p' |
    sed 's|^/||'
} | sort -u >"$tmp/want-files"
if [[ -s $tmp/image-files ]] && cmp -s "$tmp/image-files" "$tmp/want-files"; then
  it_ok "image: exactly the two binaries, passwd, group and the $(($(wc -l <"$tmp/want-files") - 4)) libraries ldd names"
else
  it_fail "image: exactly the two binaries, passwd, group and the libraries ldd names" "they differ"
  diff "$tmp/want-files" "$tmp/image-files" | indent
fi
expect_match "image: /etc/passwd names the non-root user" '^swarmpki:x:65532:65532:' \
  "$(tar -x -O -f "$tmp/save/$layer" etc/passwd 2>/dev/null || tar -x -O -f "$tmp/save/$layer" ./etc/passwd)"
expect_eq "image: swarmpki --version runs as the image's user" \
  "$(dk m1 run --rm --network none swarmpki:latest --version 2>&1)" "swarmpki $version"
expect_eq "image: serve --help runs libexec/swarmpki/swarmpki-serve with its libraries" \
  "$(dk m1 run --rm --network none swarmpki:latest serve --help 2>&1 | head -n 1 | cut -d' ' -f1-3)" "usage: swarmpki serve"
# As that user the engine's 0600 root key cannot be read: why the stack runs with user 0.
rc=0
dk m1 run --rm --network none --mount "type=bind,source=$M1,target=/certs,readonly" swarmpki:latest \
  serve --dir /certs --tls-from-dir /certs --listen 127.0.0.1:0 >"$tmp/nonroot.out" 2>&1 || rc=$?
if ((rc == 3)); then it_ok "image as 65532: serve --tls-from-dir on the 0600 root key is refused (exit 3)"; else
  it_fail "image as 65532: serve --tls-from-dir on the 0600 root key is refused (exit 3)" "exit $rc"; fi
indent <"$tmp/nonroot.out"
took "image checked"

# ---- the stack
# The whole file, both services: the cluster service needs serve --engine, which this build has
# (a build without it fails here, rather than testing less). The help is read whole first: grep -q
# would stop reading early and, under pipefail, fail the pipeline on swarmpki's SIGPIPE.
has_engine=no
serve_help=$("$swarmpki" serve --help 2>&1 || true)
if grep -q -- '--engine' <<<"$serve_help"; then
  has_engine=yes
else
  it_fail "stack: the cluster service (serve --engine) on managers" "swarmpki serve --help lists no --engine"
fi
stack=$tmp/swarmpki.stack.yml
cp "$stack_file" "$stack"
# YAML as JSON, for jq: Debian's python3 with python3-yaml (ansible-core brings it; install-deps --test
# installs that), not whichever python3 is first on PATH.
yaml_json() { /usr/bin/python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'; }
# The whole file (both services) is valid for this engine's CLI whatever is deployed below.
stack_config() { env SWARMPKI_CERTS_DIR="$M1" DOCKER_HOST="unix://$sock" docker stack config -c "$1" >"$tmp/stack-config.out"; }
check "stack file: docker stack config accepts contrib/swarm/swarmpki.stack.yml (node and cluster services)" \
  stack_config "$stack_file"
expect_eq "stack file: node global on all nodes, cluster global on managers, both on the host network" \
  "$(yaml_json <"$tmp/stack-config.out" 2>/dev/null | jq -r '[.services.node.deploy.mode, .services.cluster.deploy.mode, .services.cluster.deploy.placement.constraints[0],
            (.services.node.networks | has("hostnet")), .networks.hostnet.name] | @csv' 2>/dev/null)" \
  '"global","global","node.role == manager",true,"host"'
expect_eq "stack file: the certificates directory is bound read-only from SWARMPKI_CERTS_DIR" \
  "$(yaml_json <"$tmp/stack-config.out" 2>/dev/null | jq -r '.services.node.volumes[0] | [.source, .target, .read_only] | @csv' 2>/dev/null)" \
  "\"$M1\",\"/certs\",true"

# The client: this swarm's node certificate, its key without the engine's PEM headers.
client=$tmp/client
mkdir -p "$client"
cp "$M1/swarm-node.crt" "$client/node.crt"
cp "$M1/swarm-root-ca.crt" "$client/ca.crt"
awk '/^-----BEGIN/{p=1; print; next} /^-----END/{p=0; print; next} p && (/^[A-Za-z0-9-]+: / || /^$/){next} {print}' \
  "$M1/swarm-node.key" >"$client/node.key"
chmod 600 "$client/node.key"
# mtls PORT PATH [CURL ARGS...]: GET over mutual TLS inside the namespace.
mtls() {
  local port=$1 path=$2
  shift 2
  nsx curl -sS --fail --max-time 5 --cacert "$client/ca.crt" --resolve "swarm-manager:$port:127.0.0.1" \
    "$@" "https://swarm-manager:$port$path"
}
scrape() { mtls "$1" /metrics --cert "$client/node.crt" --key "$client/node.key" -o "$2"; }

ports=(9323)
[[ $has_engine == yes ]] && ports+=(9324)
t_deploy=$(date +%s.%N)
check "docker stack deploy --resolve-image never -c contrib/swarm/swarmpki.stack.yml swarmpki" \
  env SWARMPKI_CERTS_DIR="$M1" SWARMPKI_DOCKER_SOCKET="$sock" SWARMPKI_INTERVAL=2s DOCKER_HOST="unix://$sock" \
  docker stack deploy --resolve-image never -c "$stack" swarmpki
if wait_until 90 scrape 9323 "$tmp/metrics-9323"; then
  t_first=$(date +%s.%N)
  it_ok "node service: first scrape over mutual TLS"
  printf 'time %-34s %6.1f s\n' "docker stack deploy to first scrape:" "$(echo "$t_first - $t_deploy" | bc)"
else
  it_fail "node service: first scrape over mutual TLS" "no answer within 90 s"
  dk m1 service ps --no-trunc swarmpki_node 2>&1 | indent
  dk m1 service logs --raw swarmpki_node 2>&1 | tail -n 20 | indent
fi
took "stack deployed"

# Every task: one per node for node (global), one per manager for cluster; all on 127.0.0.1.
running() { dk m1 service ps --filter desired-state=running --format '{{.CurrentState}}' "$1" 2>/dev/null | grep -c '^Running'; }
nodes=$(dk m1 node ls -q | wc -l)
managers=$(dk m1 node ls -q --filter role=manager | wc -l)
expect_eq "node service: one running task per node ($nodes)" "$(running swarmpki_node)" "$nodes"
if [[ $has_engine == yes ]]; then
  tasks_up() { [[ $(running swarmpki_cluster) == "$managers" ]]; }
  check "cluster service: one running task per manager ($managers)" wait_until 60 tasks_up
fi
node_id=$(dk m1 info --format '{{.Swarm.NodeID}}')
# The node task as the kernel sees it: user 0 (to read the 0600 key), no capability, read-only root.
task_container=$(dk m1 ps -q --filter label=com.docker.swarm.service.name=swarmpki_node | head -n 1)
task_pid=$(dk m1 inspect --format '{{.State.Pid}}' "$task_container" 2>/dev/null)
expect_eq "node task: uid 0, no effective or bounding capability, read-only root file system" \
  "$(awk '/^Uid:/{u=$2} /^CapEff:/{e=$2} /^CapBnd:/{b=$2} END{print u, e, b}' "/proc/${task_pid:-0}/status" 2>/dev/null) $(
     dk m1 inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$task_container" 2>/dev/null)" \
  "0 0000000000000000 0000000000000000 true"
for port in "${ports[@]}"; do
  if [[ $port != 9323 ]] && ! wait_until 60 scrape "$port" "$tmp/metrics-$port"; then
    it_fail "task on port $port: /metrics over mutual TLS" "no answer within 60 s"
    dk m1 service logs --raw swarmpki_cluster 2>&1 | tail -n 20 | indent
    continue
  fi
  check "task on port $port: promtool check metrics is clean" sh -c "promtool check metrics <'$tmp/metrics-$port'"
  expect_match "task on port $port: swarmpki_node_status of this node ($node_id)" \
    "^swarmpki_node_status\{.*node_id=\"$node_id\".*\} [0-3]$" "$(cat "$tmp/metrics-$port" 2>/dev/null)"
done
if [[ $has_engine == yes ]]; then
  expect_match "cluster task: the cluster view (swarmpki_cluster_nodes)" '^swarmpki_cluster_nodes[{ ]' \
    "$(cat "$tmp/metrics-9324" 2>/dev/null)"
fi

# Refusals: no certificate, another swarm's certificate, plain HTTP.
rc=0
mtls 9323 /metrics -o /dev/null >"$tmp/nocert.err" 2>&1 || rc=$?
if ((rc != 0)); then it_ok "a client without a certificate is refused (curl exit $rc)"; else
  it_fail "a client without a certificate is refused" "it got /metrics"; fi
"$swarmpki" ca init --out "$tmp/other-ca" >/dev/null 2>&1
"$swarmpki" ca issue --ca "$tmp/other-ca" --role worker --out "$tmp/other-node" >/dev/null 2>&1
awk '/^-----BEGIN/{p=1; print; next} /^-----END/{p=0; print; next} p && (/^[A-Za-z0-9-]+: / || /^$/){next} {print}' \
  "$tmp/other-node/swarm-node.key" >"$tmp/other.key"
rc=0
mtls 9323 /metrics --cert "$tmp/other-node/swarm-node.crt" --key "$tmp/other.key" -o /dev/null \
  >"$tmp/other.err" 2>&1 || rc=$?
if ((rc != 0)) && [[ -s $tmp/other-node/swarm-node.crt ]]; then
  it_ok "a client with another swarm's node certificate is refused (curl exit $rc)"
else
  it_fail "a client with another swarm's node certificate is refused" "exit $rc"
fi
rc=0
nsx curl -sS --fail --max-time 5 -o /dev/null http://127.0.0.1:9323/metrics >/dev/null 2>&1 || rc=$?
if ((rc != 0)); then it_ok "plain HTTP to the node service gets nothing (curl exit $rc)"; else
  it_fail "plain HTTP to the node service gets nothing" "it got /metrics"; fi
took "scrapes and refusals"

# ---- Prometheus
if ! command -v prometheus >/dev/null 2>&1; then
  it_skip "Prometheus scrapes the stack" "'prometheus' not installed (run scripts/install-deps --test)"
else
  prom=$tmp/prometheus
  mkdir -p "$prom/data"
  tls_config="    scheme: https
    tls_config:
      ca_file: $M1/swarm-root-ca.crt
      cert_file: $M1/swarm-node.crt
      key_file: $M1/swarm-node.key
      server_name: swarm-manager"
  rules=()
  if [[ -f $rules_file ]]; then
    # Their for: durations shortened so that a firing alert is seen within the test.
    sed -E 's/^([[:space:]]*)for:.*/\1for: 1s/' "$rules_file" >"$prom/rules.yml"
    rules=("$prom/rules.yml")
    # A certificate issued to expire in an hour, served from a second directory by a second serve
    # whose critical threshold is 2h (by default a node certificate is expiring in the last tenth
    # of its lifetime, and this one has just begun).
    "$swarmpki" ca issue --ca "$tmp/other-ca" --role worker --cert-expiry 1h --out "$tmp/expiring" >/dev/null 2>&1
    ip netns exec "$IT_NETNS" "$swarmpki" serve --dir "$tmp/expiring" --listen 127.0.0.1:9330 --interval 1s --crit 2h >"$tmp/serve-expiring.log" 2>&1 &
    own_pids+=($!)
  fi
  {
    echo "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}"
    if ((${#rules[@]})); then echo "rule_files: [$prom/rules.yml]"; fi
    echo "scrape_configs:"
    echo "  - job_name: swarmpki"
    echo "$tls_config"
    echo "    static_configs: [{targets: ['127.0.0.1:9323']}]"
    if [[ $has_engine == yes ]]; then
      echo "  - job_name: swarmpki-cluster"
      echo "$tls_config"
      echo "    static_configs: [{targets: ['127.0.0.1:9324']}]"
      echo "    metric_relabel_configs: [{source_labels: [__name__], regex: 'swarmpki_(cluster|engine)_.*', action: keep}]"
    fi
    if ((${#rules[@]})); then
      echo "  - job_name: swarmpki-expiring"
      echo "    static_configs: [{targets: ['127.0.0.1:9330']}]"
    fi
  } >"$prom/prometheus.yml"
  check "promtool check config" promtool check config "$prom/prometheus.yml"
  ip netns exec "$IT_NETNS" prometheus --config.file "$prom/prometheus.yml" --storage.tsdb.path "$prom/data" \
    --web.listen-address 127.0.0.1:9090 >"$prom/log" 2>&1 &
  own_pids+=($!)
  api() { nsx curl -sS --fail --max-time 5 -G "http://127.0.0.1:9090/api/v1/$1" ${2:+--data-urlencode "query=$2"}; }
  series() { [[ $(api query "$1" | jq '.data.result | length') -gt 0 ]]; }
  if wait_until 60 series 'swarmpki_node_status{job="swarmpki"}'; then
    it_ok "Prometheus: /api/v1/query returns swarmpki_node_status scraped over mTLS"
  else
    it_fail "Prometheus: /api/v1/query returns swarmpki_node_status scraped over mTLS" "none within 60 s"
    api targets | jq -c '.data.activeTargets[] | [.scrapeUrl, .health, .lastError]' 2>&1 | indent
    tail -n 20 "$prom/log" | indent
  fi
  expect_eq "Prometheus: up{job=\"swarmpki\"} is 1" \
    "$(api query 'up{job="swarmpki"}' | jq -r '.data.result[0].value[1]')" 1
  expect_eq "Prometheus: swarmpki_node_status names this node" \
    "$(api query 'swarmpki_node_status{job="swarmpki"}' | jq -r '.data.result[0].metric.node_id')" "$node_id"
  if [[ $has_engine == yes ]]; then
    check "Prometheus: the cluster job's swarmpki_cluster_nodes" wait_until 30 series 'swarmpki_cluster_nodes'
    expect_eq "Prometheus: the cluster job keeps only cluster and engine families" \
      "$(api query '{job="swarmpki-cluster", __name__!~"swarmpki_(cluster|engine)_.*|up|scrape_.*"}' | jq '.data.result | length')" 0
  fi
  if ((${#rules[@]})); then
    firing() {
      # -s: an empty answer is false (jq -e passes on empty input).
      api alerts | jq -se '[.[0].data.alerts[]? | select(.labels.alertname == "SwarmpkiCertificateExpiring" and
                            .state == "firing")] | length > 0' >/dev/null
    }
    if wait_until 60 firing; then
      it_ok "Prometheus: SwarmpkiCertificateExpiring fires for the certificate issued with --cert-expiry 1h"
    else
      it_fail "Prometheus: SwarmpkiCertificateExpiring fires for the certificate issued with --cert-expiry 1h" \
        "not firing within 60 s"
      api alerts | jq -c '.data.alerts[] | [.labels.alertname, .state]' 2>&1 | indent
    fi
  else
    it_fail "Prometheus: SwarmpkiCertificateExpiring fires for an expiring certificate" \
      "contrib/prometheus/swarmpki.rules.yml does not exist"
  fi
  took "Prometheus"
fi

check "docker stack rm swarmpki" dk m1 stack rm swarmpki
started=("${own_pids[@]}")
stop_own
alive=()
for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
expect_eq "Prometheus and the second serve stopped by PID (${#started[@]} started)" "${alive[*]}" ""
engine_stop m1
took_total "whole test"
