#!/usr/bin/env bash
# Live-engine group for `swarmpki serve --engine` (issue 14 item 4): three dockerd (Debian's
# docker.io) on loopback in a private network namespace, as test_cluster.sh sets them up.
#
#   manager1 (127.0.0.1) swarm init; worker1 (127.0.0.2) and worker2 (127.0.0.3) join. serve
#   --engine runs against manager1's socket with a 1 s interval and a webhook receiver (python3
#   http.server, recording every POST); serve and the receiver run inside the namespace, so
#   their loopback ports are this run's alone. Then: worker2 stopped, `docker swarm ca --rotate
#   --detach`, rotation.blocked naming worker2, `docker node rm --force` worker2,
#   rotation.finished. The receiver got rotation.started, rotation.blocked, rotation.finished
#   once each and node.down for worker2, every signature verifies (Standard Webhooks, the shared
#   secret), /metrics passes promtool while blocked and after, /v1/cluster is the cluster JSON.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}

if ! reason=$(engine_unavailable_reason); then
  it_skip "live serve --engine group" "$reason"
  exit 0
fi
for tool in python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || { it_skip "live serve --engine group" "'$tool' not installed"; exit 0; }
done
it_begin
tmp=$IT_TMP
it_clock

serve_pid='' receiver_pid=''
stop_ours() {  # serve and the receiver, by PID, before lib.sh's cleanup
  local pid
  for pid in $serve_pid $receiver_pid; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  serve_pid='' receiver_pid=''
}
trap 'stop_ours; it_cleanup' EXIT

engines_start m1 w1 w2 || exit 1
took "three dockerd started"

ns() { ip netns exec "$IT_NETNS" "$@"; }
swarm_form
w2_id=$(dk w2 info --format '{{.Swarm.NodeID}}')
all_ls() { dk m1 node ls --format '{{.Hostname}} {{.Status}} {{.TLSStatus}}' | sort | tr '\n' ','; }
healthy() {
  [[ $(all_ls) == "swarmpki-it-manager1 Ready Ready,swarmpki-it-worker1 Ready Ready,swarmpki-it-worker2 Ready Ready," ]]
}
check "healthy: three nodes Ready, TLS Ready" wait_until 60 healthy
took "swarm formed"

# ---- the receiver: every POST as one JSON line (headers and body), answered 204
secret=$tmp/webhook-secret
head -c 24 /dev/urandom | base64 >"$secret"
chmod 600 "$secret"
hooks=$tmp/hooks.jsonl
cat >"$tmp/receiver.py" <<'PY'
import http.server, json, sys
out = sys.argv[2]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        with open(out, "a") as f:
            f.write(json.dumps({"id": self.headers.get("webhook-id"),
                                "timestamp": self.headers.get("webhook-timestamp"),
                                "signature": self.headers.get("webhook-signature"),
                                "body": body}) + "\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
PY
: >"$hooks"
ip netns exec "$IT_NETNS" python3 "$tmp/receiver.py" 18931 "$hooks" 2>"$tmp/receiver.err" &
receiver_pid=$!
receiver_up() { ns python3 -c 'import socket; socket.create_connection(("127.0.0.1", 18931), 1)'; }
check "the receiver listens (127.0.0.1:18931 in the namespace)" wait_until 10 receiver_up

# ---- serve --engine
# `ip netns exec` execs (and swarmpki execs swarmpki-serve): $! is serve's own PID.
ip netns exec "$IT_NETNS" "$swarmpki" serve --engine --host "unix://$(sock m1)" --dir "$(engine_certs m1)" \
  --listen 127.0.0.1:18930 --interval 1s --webhook http://127.0.0.1:18931/ \
  --webhook-secret-file "$secret" 2>"$tmp/serve.err" &
serve_pid=$!
scrape() { ns curl -sf "http://127.0.0.1:18930$1"; }
engine_up() { scrape /metrics | grep -qx 'swarmpki_engine_up 1'; }
check "serve --engine answers /metrics with swarmpki_engine_up 1" wait_until 20 engine_up
promtool_clean() { scrape /metrics >"$tmp/$1.prom" && promtool check metrics <"$tmp/$1.prom"; }
if command -v promtool >/dev/null 2>&1; then
  check "healthy: /metrics (files and cluster) passes promtool check metrics" promtool_clean healthy
fi
expect_match "healthy: /metrics has the cluster families" '^swarmpki_cluster_rotation_in_progress\{[^}]*\} 0$' \
  "$(cat "$tmp/healthy.prom")"
expect_eq "healthy: /v1/cluster is the cluster JSON, 3 nodes" \
  "$(scrape /v1/cluster | jq -c '[.schema, (.nodes | length)]')" '["swarmpki.cluster/v1",3]'
took "serve up"

# ---- worker2 down, rotation blocked
# got TYPE: the bodies of the engine's events of TYPE (subject cluster/ID or node/ID; the file
# events for manager1's directory, subject its path, come beside them and are not counted).
got() {
  jq -r --arg t "io.swarmpki.$1" '(.body | fromjson) as $e
    | select($e.type == $t and ($e.subject | test("^(cluster|node)/"))) | .body' "$hooks" 2>/dev/null
}
engine_stop w2
node_down_hook() { got node.down | grep -qF "$w2_id"; }
check "node.down for worker2 reaches the receiver" wait_until 60 node_down_hook
took "worker2 down"
check "docker swarm ca --rotate --detach" dk m1 swarm ca --rotate --detach
# -s: the bodies as one array, so that no body yet is false (jq -e passes on empty input).
blocked_hook() { got rotation.blocked | jq -se --arg id "$w2_id" 'length > 0 and (.[0].data.nodes | map(.node_id) == [$id])' >/dev/null; }
check "rotation.blocked naming worker2 (alone) reaches the receiver" wait_until 60 blocked_hook
got rotation.blocked | head -n 1 | fold -w 100 | indent
if command -v promtool >/dev/null 2>&1; then
  check "blocked: /metrics passes promtool check metrics" promtool_clean blocked
fi
expect_match "blocked: swarmpki_cluster_rotation_blocking_nodes 1" \
  '^swarmpki_cluster_rotation_blocking_nodes\{[^}]*\} 1$' "$(cat "$tmp/blocked.prom")"
grep -E '^swarmpki_(engine|cluster_rotation)' "$tmp/blocked.prom" | indent
took "rotation blocked"

# ---- docker node rm: finished
check "docker node rm --force worker2" dk m1 node rm --force "$w2_id"
finished_hook() { [[ -n $(got rotation.finished) ]]; }
check "rotation.finished reaches the receiver" wait_until 60 finished_hook
sleep 3  # three more scans: nothing may repeat
took "rotation finished"
for type in rotation.started rotation.blocked rotation.finished node.down; do
  expect_eq "$type received once" "$(got "$type" | wc -l)" 1
done
verify() {
  python3 - "$secret" "$hooks" <<'PY'
import base64, hashlib, hmac, json, sys
secret = open(sys.argv[1], "rb").read().rstrip()
bad = 0
lines = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
for h in lines:
    mac = hmac.new(secret, f"{h['id']}.{h['timestamp']}.{h['body']}".encode(), hashlib.sha256).digest()
    want = "v1," + base64.b64encode(mac).decode()
    if want not in h["signature"].split(" "):
        bad += 1
print(len(lines), bad)
sys.exit(1 if bad or not lines else 0)
PY
}
# SWARMPKI_IT_KEEP_HOOKS=FILE keeps what the receiver got (docs/serve.md quotes it).
[[ -n ${SWARMPKI_IT_KEEP_HOOKS:-} ]] && cp "$hooks" "$SWARMPKI_IT_KEEP_HOOKS"
check "every delivery's webhook-signature verifies with the shared secret" verify
if command -v promtool >/dev/null 2>&1; then
  check "finished: /metrics passes promtool check metrics" promtool_clean finished
fi
expect_eq "serve logged no engine failure" "$(grep -c 'engine read failed' "$tmp/serve.err")" 0
if kill -0 "$serve_pid" 2>/dev/null; then it_ok "serve still running"; else it_fail "serve still running" "it exited"; fi
stop_ours
for n in m1 w1; do engine_stop "$n"; done
it_ok "engines stopped by PID"
took_total "whole test"
