#!/usr/bin/env bash
# Prometheus group (issue 15): the alert and recording rules and the scrape configuration example
# under contrib/prometheus/.
#   - promtool check rules, promtool test rules (a firing and a quiet case per alert), promtool
#     check config of prometheus.yml.example (its paths pointed at this tree);
#   - every swarmpki_* metric the rules name is one swarmpki really emits: the families of a real
#     `expiry --format prometheus`, `serve` /metrics and `cluster --format prometheus` (against a
#     fake engine replaying the engine-api fixtures' rotation-blocked capture);
#   - the rules on real output: the series of those runs as promtool input, the expected alerts
#     fire (SwarmpkiCertificateExpired for the cert-expiry-1h fixture's expired certificates,
#     SwarmpkiRotationBlocked for the blocked rotation) and a healthy directory fires none.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}
fixtures=${SWARMPKI_FIXTURES:-$root/../shared/fixtures/swarm}
engine_api=$fixtures/../engine-api
contrib=$root/contrib/prometheus

if ! command -v promtool >/dev/null 2>&1; then
  it_skip "prometheus rules group" "promtool not installed (scripts/install-deps --test installs prometheus)"
  exit 0
fi
it_begin
tmp=$IT_TMP

# ---- promtool on the shipped files
check "promtool check rules swarmpki.rules.yml" promtool check rules "$contrib/swarmpki.rules.yml"
check "promtool test rules swarmpki.rules.test.yml (a firing and a quiet case per alert)" \
  sh -c "cd '$contrib' && promtool test rules swarmpki.rules.test.yml"
for alert in SwarmpkiCertificateExpiring SwarmpkiCertificateExpired SwarmpkiRenewalOverdue \
             SwarmpkiRotationBlocked SwarmpkiTrustRootsDiverge SwarmpkiScanFailing SwarmpkiExporterDown; do
  firing=$(grep -c "alertname: $alert\$" "$contrib/swarmpki.rules.test.yml" || true)
  expect_eq "$alert is defined, with a severity label, and tested at least twice" \
    "$(grep -c "alert: $alert\$" "$contrib/swarmpki.rules.yml" >/dev/null && echo defined) $((firing >= 2))" "defined 1"
done
read -r alerts severities < <(awk '/- alert:/ {a++} /^ +severity: (critical|warning|info)$/ {s++} END {print a, s}' \
  "$contrib/swarmpki.rules.yml")
expect_eq "every alert carries a severity label ($alerts alert rules)" "$severities" "$alerts"

pem_dir=$tmp/tls
mkdir -p "$pem_dir"
: >"$pem_dir/swarm-root-ca.crt"; : >"$pem_dir/swarm-node.crt"; : >"$pem_dir/swarm-node.key"
sed -e "s#/usr/share/swarmpki/prometheus/#$contrib/#" -e "s#/etc/prometheus/swarmpki/#$pem_dir/#" \
  "$contrib/prometheus.yml.example" >"$tmp/prometheus.yml"
check "promtool check config prometheus.yml.example (static, file_sd, dockerswarm_sd nodes and tasks)" \
  promtool check config "$tmp/prometheus.yml"
for sd in "role: nodes" "role: tasks" "file_sd_configs" "static_configs"; do
  expect_match "the scrape example shows $sd" "$sd" "$(cat "$contrib/prometheus.yml.example")"
done

# ---- real output of swarmpki: expiry, serve, cluster
if [[ ! -d $fixtures/cert-expiry-1h || ! -d $engine_api/rotation-blocked ]]; then
  it_skip "rules against real swarmpki output" "fixtures not found at $fixtures and $engine_api"
  exit 0
fi
"$swarmpki" expiry --format prometheus "$fixtures/cert-expiry-1h" >"$tmp/expired.prom" 2>"$tmp/err"
expect_eq "expiry --format prometheus on cert-expiry-1h exits 2 (critical)" "$?" 2
"$swarmpki" expiry --format prometheus "$fixtures/init-manager" >"$tmp/healthy.prom" 2>>"$tmp/err"

port=$((20000 + RANDOM % 20000))
"$swarmpki" serve --dir "$fixtures/init-manager/certificates" --listen "127.0.0.1:$port" \
  --interval 1s >"$tmp/serve.log" 2>&1 &
serve_pid=$!
got_metrics=no
for _ in $(seq 50); do
  if curl -fsS "http://127.0.0.1:$port/metrics" -o "$tmp/serve.prom" 2>/dev/null; then got_metrics=yes; break; fi
  sleep 0.1
done
kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null
expect_eq "serve /metrics answered" "$got_metrics" yes

# A fake engine on a unix socket: the rotation-blocked capture's manager1 replies, byte for byte.
python3 - "$tmp/engine.sock" "$engine_api/rotation-blocked/manager1" >"$tmp/engine.log" 2>&1 <<'PY' &
import os, re, socketserver, sys
base = sys.argv[2]
class Reply(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            path = line.split()[1].decode()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            name = re.sub(r"^/v[0-9.]+", "", path).split("?")[0].strip("/")
            name = {"_ping": "ping", "": "ping"}.get(name, name)
            body = open(os.path.join(base, name + ".json"), "rb").read()
            head = [h for h in open(os.path.join(base, name + ".headers")).read().splitlines()
                    if h and not h.lower().startswith(("content-length", "transfer-encoding"))]
            self.wfile.write(("\r\n".join(head) + "\r\nContent-Length: %d\r\n\r\n" % len(body)).encode() + body)
class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
Server(sys.argv[1], Reply).serve_forever()
PY
engine_pid=$!
for _ in $(seq 50); do [[ -S $tmp/engine.sock ]] && break; sleep 0.1; done
"$swarmpki" cluster --host "unix://$tmp/engine.sock" --format prometheus >"$tmp/cluster.prom" 2>>"$tmp/err"
expect_eq "cluster --format prometheus on the blocked rotation exits 2" "$?" 2
kill "$engine_pid" 2>/dev/null; wait "$engine_pid" 2>/dev/null

emitted=$(cat "$tmp/expired.prom" "$tmp/healthy.prom" "$tmp/serve.prom" "$tmp/cluster.prom" |
  sed -nE 's/^# TYPE (swarmpki_[a-z_]+) .*/\1/p' | sort -u)
named=$(grep -v '^ *#' "$contrib/swarmpki.rules.yml" | grep -oE '(^|[^:a-z_])swarmpki_[a-z_]+' | grep -oE 'swarmpki_[a-z_]+' | sort -u)
unknown=$(comm -23 <(echo "$named") <(echo "$emitted") | paste -sd' ' -)
expect_eq "every swarmpki_* metric the rules use is emitted by expiry, serve or cluster ($(wc -l <<<"$named") names)" \
  "$unknown" ""
expect_match "cluster emits swarmpki_cluster_rotation_blocking_nodes" \
  '^swarmpki_cluster_rotation_blocking_nodes\{' "$(cat "$tmp/cluster.prom")"

# prom_to_series FILE JOB INSTANCE: the exposition's samples as promtool input series, constant
# for 40 minutes, with the job and instance labels a scrape adds.
prom_to_series() {
  grep -v '^#' "$1" | grep . | while read -r series value; do
    if [[ $series == *'{'* ]]; then series=${series%\}}",job=\"$2\",instance=\"$3\"}"
    else series="$series{job=\"$2\",instance=\"$3\"}"; fi
    printf "      - series: '%s'\n        values: '%sx40'\n" "$series" "$value"
  done
}
expired_certs=$(grep -c '^swarmpki_cert_expired{.*} 1$' "$tmp/expired.prom")
blocked_cluster=$(sed -nE 's/^swarmpki_cluster_rotation_blocking_nodes\{cluster_id="([^"]+)"\} [1-9].*/\1/p' "$tmp/cluster.prom")
{
  printf 'rule_files:\n  - %s\nevaluation_interval: 1m\ntests:\n' "$contrib/swarmpki.rules.yml"
  printf '  - interval: 1m\n    input_series:\n'
  prom_to_series "$tmp/expired.prom" node expired-node
  prom_to_series "$tmp/cluster.prom" swarmpki manager1
  cat <<YML
    promql_expr_test:
      - expr: count(ALERTS{alertname="SwarmpkiCertificateExpired",alertstate="firing"})
        eval_time: 30m
        exp_samples:
          - labels: '{}'
            value: $expired_certs
      - expr: ALERTS{alertname="SwarmpkiRotationBlocked",alertstate="firing"}
        eval_time: 30m
        exp_samples:
          - labels: 'ALERTS{alertname="SwarmpkiRotationBlocked",alertstate="firing",severity="critical",cluster_id="$blocked_cluster"}'
            value: 1
  - interval: 1m
    input_series:
YML
  prom_to_series "$tmp/healthy.prom" node healthy-node
  printf "      - series: 'up{job=\"swarmpki\",instance=\"healthy-node:9323\"}'\n        values: '1x40'\n"
  cat <<'YML'
    promql_expr_test:
      - expr: ALERTS{alertstate="firing"}
        eval_time: 30m
        exp_samples: []
YML
} >"$tmp/real.test.yml"
expect_eq "cert-expiry-1h has expired certificates to alert on" "$((expired_certs > 0))" 1
check "promtool test rules on real output: $expired_certs SwarmpkiCertificateExpired, SwarmpkiRotationBlocked for $blocked_cluster; a healthy node fires nothing" \
  promtool test rules "$tmp/real.test.yml"
