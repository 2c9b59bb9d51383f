#!/usr/bin/env bash
# Benchmark: whole-process `swarmpki cluster --format json` against `docker node ls`, asking the
# same engine, interleaved (a, b, a, b, ...), medians of wall and CPU time, peak RSS (wait4's
# ru_maxrss of each process).
#
#   live   a three-node swarm on real dockerd (Debian's docker.io), started through the
#          integration harness (tests/integration/lib.sh: private network namespace, loopback,
#          own data and exec roots); skipped, saying why, where the harness cannot start engines.
#          Target: swarmpki / docker node ls <= 0.50.
#   scale  NODES (5,000) node objects built from the captured healthy manager's /nodes, with that
#          capture's /_ping, /version, /info and /swarm, served chunked over a unix socket by
#          bench/engine_stub.py exactly as the engine serves them (the bench shows each client's
#          requests). Target: swarmpki / docker node ls <= 0.25.
# The docker CLI is the one on PATH (its version is printed). Both clients must list the same
# node IDs before anything is timed.
# Env (set by scripts/bench): SWARMPKI, SOURCE_DIR, FIXTURES. Optional: RUNS (live, default 30
# per command), SCALE_RUNS (default 10), NODES (default 5000), ENGINE_FIXTURES (default
# $FIXTURES/../engine-api).
set -euo pipefail

: "${SWARMPKI:?set SWARMPKI to the swarmpki binary}"
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
FIXTURES=${FIXTURES:-$SOURCE_DIR/../shared/fixtures/swarm}
ENGINE_FIXTURES=${ENGINE_FIXTURES:-$(dirname "$FIXTURES")/engine-api}
RUNS=${RUNS:-30}
SCALE_RUNS=${SCALE_RUNS:-10}
NODES=${NODES:-5000}
for tool in docker python3 curl jq; do
  command -v "$tool" >/dev/null || { echo "bench/cluster.sh: $tool is missing" >&2; exit 2; }
done
capture=$ENGINE_FIXTURES/healthy
[[ -f $capture/manager1/nodes.json ]] || { echo "bench/cluster.sh: $capture/manager1/nodes.json is missing" >&2; exit 2; }

# shellcheck source=tests/integration/lib.sh
source "$SOURCE_DIR/tests/integration/lib.sh"
it_tmpdir
work=$IT_TMP
stub_pid=
cleanup() {
  if [[ -n $stub_pid ]]; then kill "$stub_pid" 2>/dev/null || true; wait "$stub_pid" 2>/dev/null || true; fi
  it_cleanup  # the engines this bench started (by PID), the namespace, $work
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# time_pair LABEL RUNS SOCKET SWARMPKI_ARGS...: swarmpki cluster ARGS and docker node ls against
# unix://SOCKET, interleaved; prints the table and leaves "key=value ..." in $work/LABEL.result.
time_pair() {
  local label=$1 runs=$2 socket=$3
  shift 3
  python3 - "$label" "$runs" "$socket" "$work/$label.result" "$SWARMPKI" "$@" <<'PY'
import os, shutil, statistics, sys, time
label, runs, socket, result, swarmpki, *args = sys.argv[1:]
runs = int(runs)
env = dict(os.environ, DOCKER_HOST=f"unix://{socket}")
commands = {
    "swarmpki cluster --format json": [swarmpki, "cluster", "--format", "json", *args],
    "docker node ls": [shutil.which("docker"), "node", "ls"],
}
null = os.open(os.devnull, os.O_WRONLY)
actions = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]

def once(name):
    argv = commands[name]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1, 2):  # swarmpki's finding exits are 0-2; 3 and up is a failure
        sys.exit(f"bench/cluster.sh: {name} exited {code}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss

for name in commands:  # page cache, loader caches, the engine's own caches
    for _ in range(3):
        once(name)
wall = {n: [] for n in commands}
cpu = {n: [] for n in commands}
rss = {n: [] for n in commands}
for _ in range(runs):
    for name in commands:
        w, c, r = once(name)
        wall[name].append(w); cpu[name].append(c); rss[name].append(r)
med = {n: statistics.median(t) for n, t in wall.items()}
cmed = {n: statistics.median(t) for n, t in cpu.items()}
print(f"{'command':32} {'wall median ms':>14} {'min ms':>8} {'max ms':>8} {'cpu median ms':>14} {'peak RSS MiB':>12}")
for n in commands:
    print(f"{n:32} {med[n]*1e3:14.2f} {min(wall[n])*1e3:8.2f} {max(wall[n])*1e3:8.2f} {cmed[n]*1e3:14.2f} {max(rss[n])/1024:12.1f}")
me, them = commands
with open(result, "w") as f:
    f.write(f"{label}_runs={runs} {label}_swarmpki_ms={med[me]*1e3:.2f} {label}_docker_ms={med[them]*1e3:.2f} "
            f"{label}_ratio={med[me]/med[them]:.3f} {label}_cpu_ratio={cmed[me]/cmed[them]:.3f} "
            f"{label}_swarmpki_peak_rss_mib={max(rss[me])/1024:.1f} {label}_docker_peak_rss_mib={max(rss[them])/1024:.1f}")
PY
}

# same_nodes LABEL SOCKET SWARMPKI_ARGS...: both clients list the same node IDs (and swarmpki
# exits by its findings, 0-2); prints the count.
same_nodes() {
  local label=$1 socket=$2 rc=0
  shift 2
  DOCKER_HOST=unix://$socket "$SWARMPKI" cluster --format json "$@" >"$work/$label.json" 2>"$work/$label.err" || rc=$?
  if ((rc > 2)); then
    echo "bench/cluster.sh: $label: swarmpki cluster exited $rc: $(head -n 1 "$work/$label.err")" >&2
    return 1
  fi
  jq -r '.nodes[].id' "$work/$label.json" | sort >"$work/$label.swarmpki-ids"
  DOCKER_HOST=unix://$socket docker node ls -q | sort >"$work/$label.docker-ids"
  if ! cmp -s "$work/$label.swarmpki-ids" "$work/$label.docker-ids"; then
    echo "bench/cluster.sh: $label: swarmpki cluster lists $(wc -l <"$work/$label.swarmpki-ids") nodes," \
      "docker node ls $(wc -l <"$work/$label.docker-ids"), not the same IDs" >&2
    return 1
  fi
  echo "$label: both list the same $(wc -l <"$work/$label.docker-ids") node IDs; swarmpki exit $rc"
}

echo "docker CLI: $(command -v docker): $(docker --version)"
echo "load average at the start: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs"

# ---- live: three dockerd --------------------------------------------------------------------------
live_result="live=skipped"
live_verdict=skip
if ! why=$(engine_unavailable_reason); then
  echo "live: skipped: $why"
else
  engine_setup
  for n in m1 w1 w2; do engine_spawn "$n" "swarmpki-bench-$n"; done
  for n in m1 w1 w2; do engine_wait "$n" || { echo "bench/cluster.sh: dockerd $n did not start" >&2; exit 2; }; done
  dk m1 swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null
  token=$(dk m1 swarm join-token -q worker)
  dk w1 swarm join --token "$token" --advertise-addr 127.0.0.2 --listen-addr 127.0.0.2:2377 127.0.0.1:2377 >/dev/null
  dk w2 swarm join --token "$token" --advertise-addr 127.0.0.3 --listen-addr 127.0.0.3:2377 127.0.0.1:2377 >/dev/null
  unset token
  three_ready() { [[ $(dk m1 node ls --format '{{.Status}} {{.TLSStatus}}' | grep -c '^Ready Ready$') == 3 ]]; }
  wait_until 60 three_ready || { echo "bench/cluster.sh: the three nodes did not become Ready" >&2; exit 2; }
  live_sock=$(engine_dir m1)/docker.sock
  same_nodes live "$live_sock"
  echo "live: $RUNS runs per command against manager1 of a three-node swarm (dockerd $(dockerd --version | cut -d' ' -f3 | tr -d ,))"
  time_pair live "$RUNS" "$live_sock"
  live_result=$(cat "$work/live.result")
  live_ratio=$(sed -n 's/.*live_ratio=\([0-9.]*\).*/\1/p' "$work/live.result")
  live_verdict=$(awk -v r="$live_ratio" 'BEGIN { print (r <= 0.50 ? "pass" : "fail") }')
  for n in m1 w1 w2; do engine_stop "$n"; done
fi

# ---- scale: NODES nodes from the stub engine -------------------------------------------------------
stub_sock=$work/stub.sock
python3 "$SOURCE_DIR/bench/engine_stub.py" "$capture/manager1" "$NODES" "$stub_sock" "$work/requests.log" \
  >"$work/stub.out" 2>&1 &
stub_pid=$!
stub_up() { curl -sf --unix-socket "$stub_sock" http://localhost/_ping >/dev/null; }
wait_until 60 stub_up || { echo "bench/cluster.sh: the stub engine did not start:" >&2; cat "$work/stub.out" >&2; exit 2; }
echo "scale: $(head -n 1 "$work/stub.out")"
# This manager's own leaf and the capture's instant: the report is the capture's, not today's.
leaf=$work/leaf
mkdir -p "$leaf"
cp "$capture/certificates/manager1/"* "$leaf/"
chmod 0644 "$leaf/swarm-node.crt" "$leaf/swarm-root-ca.crt"
chmod 0600 "$leaf/swarm-node.key"
scale_args=(--dir "$leaf" --at "$(cat "$capture/captured_at")")
: >"$work/requests.log"
same_nodes scale "$stub_sock" "${scale_args[@]}"
# What each client asked (the stub logs every request line), once each.
: >"$work/requests.log"
DOCKER_HOST=unix://$stub_sock "$SWARMPKI" cluster --format json "${scale_args[@]}" >/dev/null 2>&1 || true
echo "scale: swarmpki cluster asked: $(paste -sd, "$work/requests.log")"
: >"$work/requests.log"
DOCKER_HOST=unix://$stub_sock docker node ls >/dev/null
echo "scale: docker node ls asked:   $(paste -sd, "$work/requests.log")"
echo "scale: $SCALE_RUNS runs per command, $NODES nodes"
time_pair scale "$SCALE_RUNS" "$stub_sock" "${scale_args[@]}"
scale_ratio=$(sed -n 's/.*scale_ratio=\([0-9.]*\).*/\1/p' "$work/scale.result")
scale_verdict=$(awk -v r="$scale_ratio" 'BEGIN { print (r <= 0.25 ? "pass" : "fail") }')

echo "load average at the end: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs (wall times grow with load)"
echo "ratio = swarmpki median / docker node ls median (wall time)"
echo "RESULT cluster $live_result live_target=0.50 live_verdict=$live_verdict nodes=$NODES $(cat "$work/scale.result")" \
  "scale_target=0.25 scale_verdict=$scale_verdict"
