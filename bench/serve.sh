#!/usr/bin/env bash
# Load on `swarmpki serve`: wrk -t2 -c32 -d10s against /metrics with 100 node directories
# configured, twice, with /healthz (a constant body, no snapshot rendering) as the same-run
# anchor. Reports requests/s, p99 latency, errors and the server's RSS before, between and after
# the runs: the target is zero errors and flat memory (a scrape copies a pre-rendered snapshot).
# Then the slowest scrape while 500 idle and half-sent connections are held (target: < 1000 ms).
#
# Env (set by scripts/bench): SWARMPKI (binary), FIXTURES (../shared/fixtures/swarm).
set -euo pipefail

SWARMPKI=${SWARMPKI:?set SWARMPKI to the swarmpki binary}
FIXTURES=${FIXTURES:?set FIXTURES to the fixture corpus}
DURATION=${SERVE_BENCH_DURATION:-10s}
command -v wrk >/dev/null || { echo "bench serve: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench serve: curl is not installed (apt-get install curl)" >&2; exit 1; }

work=$(mktemp -d /tmp/swarmpki-bench-serve.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# 100 node directories: copies of every fixture node directory, round-robin.
mapfile -t sources < <(find "$FIXTURES" -mindepth 3 -maxdepth 3 -path '*/certificates/*' -type d | sort)
(( ${#sources[@]} > 0 )) || { echo "bench serve: no node directories under $FIXTURES" >&2; exit 1; }
dir_args=()
for i in $(seq 1 100); do
    src=${sources[$(( (i - 1) % ${#sources[@]} ))]}
    dst="$work/nodes/node$i"
    mkdir -p "$dst"
    cp "$src"/* "$dst"/
    chmod 600 "$dst/swarm-node.key"
    dir_args+=(--dir "$dst")
done

"$SWARMPKI" serve --listen 127.0.0.1:0 --interval 5s "${dir_args[@]}" 2>"$work/serve.log" &
server_pid=$!
port=""
for _ in $(seq 1 500); do
    port=$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$work/serve.log" | head -n1)
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.02
done
[[ -n "$port" ]] || { echo "bench serve: server did not start" >&2; exit 1; }
url="http://127.0.0.1:$port"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }

# wrk's "99%  1.23ms" in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
        printf "%.3f", n }'
}

# run_wrk PATH -> sets RPS, P99_MS, ERRORS
run_wrk() {
    local out
    out=$(wrk -t2 -c32 -d"$DURATION" --latency "$url$1")
    RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    P99_MS=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    local non2xx socket
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $4}' <<<"$out")
    socket=$(awk -F'[ ,]+' '/Socket errors:/ {print $4 + $6 + $8 + $10}' <<<"$out")
    ERRORS=$(( ${non2xx:-0} + ${socket:-0} ))
}

body_bytes=$(curl -sf "$url/metrics" | wc -c) || { echo "bench serve: GET /metrics failed" >&2; exit 1; }
rss_cold=$(rss_kb)
# Warm-up at the same concurrency: the connection pool's threads and their malloc arenas reach
# their working size here, so growth measured afterwards would be a leak, not a warm-up.
wrk -t2 -c32 -d3s "$url/metrics" >/dev/null
rss_before=$(rss_kb)

run_wrk /metrics
m1_rps=$RPS m1_p99=$P99_MS m1_err=$ERRORS
rss_mid=$(rss_kb)
run_wrk /metrics
m2_rps=$RPS m2_p99=$P99_MS m2_err=$ERRORS
rss_after=$(rss_kb)
run_wrk /healthz
h_rps=$RPS h_p99=$P99_MS h_err=$ERRORS

# Hostile clients: 500 connections held open by this shell (250 idle, 250 with a half-sent
# head), then the slowest of five scrapes. The front answers within its 1 s promise; cpp-httplib's
# pool alone timed out here. Held for less than the 5 s header deadline that will close them.
held=()
for i in $(seq 1 500); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || break
    held+=("$fd")
    (( i % 2 == 0 )) && printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&"$fd"
done
hostile_ms=0
for _ in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 10 "$url/metrics" || echo 10)
    hostile_ms=$(awk -v a="$hostile_ms" -v b="$t" 'BEGIN { b *= 1000; printf "%.3f", (b > a ? b : a) }')
done
for fd in "${held[@]}"; do exec {fd}>&-; done

kill -TERM "$server_pid"
server_rc=0; wait "$server_pid" || server_rc=$?
server_pid=""

errors=$(( m1_err + m2_err + h_err ))
growth_pct=$(awk -v a="$rss_mid" -v b="$rss_after" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
ratio=$(awk -v m="$m2_rps" -v h="$h_rps" 'BEGIN { printf "%.2f", m / h }')
requests_logged=$(grep -c 'msg=request' "$work/serve.log" || true)

printf 'swarmpki serve, 100 node directories, /metrics body %s bytes, wrk -t2 -c32 -d%s\n' "$body_bytes" "$DURATION"
printf '%-18s %12s %10s %8s\n' run requests/s p99_ms errors
printf '%-18s %12s %10s %8s\n' "/metrics #1" "$m1_rps" "$m1_p99" "$m1_err"
printf '%-18s %12s %10s %8s\n' "/metrics #2" "$m2_rps" "$m2_p99" "$m2_err"
printf '%-18s %12s %10s %8s\n' "/healthz anchor" "$h_rps" "$h_p99" "$h_err"
printf 'RSS kB: cold %s, after warm-up %s, after run 1 %s, after run 2 %s (growth over run 2: %s%%)\n' \
    "$rss_cold" "$rss_before" "$rss_mid" "$rss_after" "$growth_pct"
printf 'slowest of 5 scrapes while %s connections were held (idle and half-sent): %s ms\n' \
    "${#held[@]}" "$hostile_ms"
printf 'requests logged: %s; server exit code after SIGTERM: %s\n' "$requests_logged" "$server_rc"
echo "RESULT serve metrics_rps=$m2_rps metrics_p99_ms=$m2_p99 healthz_rps=$h_rps" \
     "metrics_vs_healthz=$ratio errors=$errors rss_cold_kb=$rss_cold rss_before_kb=$rss_before rss_mid_kb=$rss_mid" \
     "rss_after_kb=$rss_after rss_growth_pct=$growth_pct held_scrape_ms=$hostile_ms exit=$server_rc"
