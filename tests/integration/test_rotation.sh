#!/usr/bin/env bash
# Live-engine group for `swarmpki rotate status` (SPEC section 9, docs/rotation-status.md): three
# dockerd (Debian's docker.io) on loopback in a private network namespace, as test_cluster.sh.
#
#   manager1 (127.0.0.1) swarm init; worker1 (127.0.0.2) and worker2 (127.0.0.3) join.
#   healthy                               rotate status: exit 0, none in progress
#   worker2 stopped, swarm ca --rotate    rotate status --watch --format jsonl --timeout 20s, through
#     --detach                            a counting proxy on manager1's socket: every line parses,
#                                         schema swarmpki.rotation-status/v1, the last blocked by
#                                         worker2's ID alone; exit 2 and one line on stderr. The
#                                         proxy's count is the polling load (printed)
#                                         rotate status (one report): exit 2, names worker2
#   docker node rm --force worker2        three watches started before it (--timeout 120s): jsonl,
#                                         text not on a terminal, and on a pseudo-terminal
#                                         (script): each exits 0; the last JSON line in_progress
#                                         false, finished, the new tokens pin the new root
#   worker1's socket                      exit 3, one line on stderr, nothing on stdout
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}

if ! reason=$(engine_unavailable_reason); then
  it_skip "live rotation status group" "$reason"
  exit 0
fi
for tool in jq python3 script; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    it_skip "live rotation status group" "$tool is not installed"
    exit 0
  fi
done
it_begin
proxy_pid=
# The counting proxy is ours too: stopped by its PID, before the harness's own cleanup.
trap '[[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null; it_cleanup' EXIT
tmp=$IT_TMP
out=$tmp/out
mkdir -p "$out"
it_clock

engines_start m1 w1 w2 || exit 1
took "three dockerd started"

swarm_form
declare -A ID_OF=()
for n in m1 w1 w2; do ID_OF[$n]=$(dk "$n" info --format '{{.Swarm.NodeID}}'); done
all_ls() { dk m1 node ls --format '{{.Hostname}} {{.Status}} {{.TLSStatus}}' | sort | tr '\n' ','; }
healthy() {
  [[ $(all_ls) == "swarmpki-it-manager1 Ready Ready,swarmpki-it-worker1 Ready Ready,swarmpki-it-worker2 Ready Ready," ]]
}
check "healthy: three nodes Ready, TLS Ready" wait_until 60 healthy
took "swarm formed"

# status STEP ARGS...: swarmpki rotate status ARGS against manager1's socket (unless --host is
# given); stdout in $out/STEP.out, stderr in $out/STEP.err, exit code in $rc.
rc=0
status() {
  local step=$1
  shift
  rc=0
  DOCKER_HOST=unix://$(sock m1) "$swarmpki" rotate status "$@" >"$out/$step.out" 2>"$out/$step.err" || rc=$?
}

status healthy --no-color
expect_eq "healthy: rotate status exits 0" "$rc" 0
expect_match "healthy: no rotation in progress" '^rotation +none in progress$' "$(cat "$out/healthy.out")"

# ---- a counting proxy on manager1's socket: every request line the client sends, with the time
proxy_sock=$tmp/proxy.sock
proxy_log=$tmp/proxy.log
python3 - "$proxy_sock" "$(sock m1)" "$proxy_log" <<'EOF' &
import re, socket, sys, threading, time
listen, target, log = sys.argv[1:4]
lock = threading.Lock()
request = re.compile(rb'(?:^|\r\n)(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP/1\.[01]\r\n')
def pipe(src, dst, count):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            # A client's request is one write (its line and headers): counted where it starts.
            if count:
                for m in request.finditer(data):
                    with lock, open(log, 'a') as f:
                        f.write('%.3f %s %s\n' % (time.time(), m.group(1).decode(), m.group(2).decode()))
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
server = socket.socket(socket.AF_UNIX)
server.bind(listen)
server.listen(16)
open(log, 'w').close()
while True:
    client, _ = server.accept()
    engine = socket.socket(socket.AF_UNIX)
    engine.connect(target)
    threading.Thread(target=pipe, args=(client, engine, True), daemon=True).start()
    threading.Thread(target=pipe, args=(engine, client, False), daemon=True).start()
EOF
proxy_pid=$!
proxy_up() { [[ -S $proxy_sock ]]; }
check "counting proxy listens on its socket" wait_until 10 proxy_up

# ---- worker2 down, then a rotation it blocks
engine_stop w2
w2_down() { dk m1 node ls --format '{{.Hostname}} {{.Status}}' | grep -qx 'swarmpki-it-worker2 Down'; }
check "worker2 stopped; manager1 reports it Down" wait_until 60 w2_down
took "worker2 down"
check "docker swarm ca --rotate --detach" dk m1 swarm ca --rotate --detach

: >"$proxy_log"
watch_start=$(date +%s.%N)
status blocked-watch --host "unix://$proxy_sock" --watch --format jsonl --timeout 20s
watch_end=$(date +%s.%N)
took "rotate status --watch --timeout 20s (blocked)"
expect_eq "blocked: --watch --timeout 20s exits 2" "$rc" 2
lines=$(wc -l <"$out/blocked-watch.out")
if ((lines >= 1)) && jq -e -s 'all(.[]; .schema == "swarmpki.rotation-status/v1")' "$out/blocked-watch.out" >/dev/null 2>&1; then
  it_ok "blocked: $lines JSON line(s), one per change, each parses with schema swarmpki.rotation-status/v1"
else
  it_fail "blocked: JSON lines with schema swarmpki.rotation-status/v1" "$lines lines"
fi
indent <"$out/blocked-watch.out"
expect_eq "blocked: the last line in progress, blocked by worker2's ID alone, no estimate" \
  "$(tail -n 1 "$out/blocked-watch.out" | jq -c '[.in_progress, .blocked_by, .estimated_engine_seconds, .blockers[0].state]' 2>/dev/null)" \
  "[true,[\"${ID_OF[w2]}\"],null,\"down\"]"
expect_eq "blocked: the timeout's one line on stderr" "$(wc -l <"$out/blocked-watch.err")" 1
expect_match "blocked: it names worker2 and docker node rm" "still blocked after 2[0-9]s .*${ID_OF[w2]}.*docker node rm" \
  "$(cat "$out/blocked-watch.err")"
indent <"$out/blocked-watch.err"

# The polling load, measured on the engine's socket: the first read (/_ping, /info, /swarm,
# /nodes), then the requests of the polls, per second of the watch.
total=$(wc -l <"$proxy_log")
polls=$(awk 'NR > 4' "$proxy_log" | wc -l)
pairs_ok=$(awk 'NR > 4 { p[(NR - 5) % 2] = p[(NR - 5) % 2] " " $3 } END { print (p[0] ~ /^( \/v[0-9.]+\/swarm)+$/ && p[1] ~ /^( \/v[0-9.]+\/nodes)+$/) ? "yes" : "no" }' "$proxy_log")
seconds=$(echo "$watch_end - $watch_start" | bc)
rate=$(echo "scale=2; $polls / $seconds" | bc)
echo "polling load: $total requests in ${seconds} s on manager1's socket: the first read's $((total - polls)) ($(head -n 4 "$proxy_log" | awk '{printf "%s ", $3}')), then $polls = $rate requests/s (GET /swarm + GET /nodes a second)"
expect_eq "polling load: the first read is /_ping, /info, /swarm, /nodes (4 requests)" "$((total - polls))" 4
expect_eq "polling load: each later poll is GET /swarm then GET /nodes, nothing else" "$pairs_ok" yes
if ((polls >= 36 && polls <= 42)); then
  it_ok "polling load: $polls requests in the 20 s after the first read (two a second: $rate/s)"
else
  it_fail "polling load: two requests a second over 20 s" "$polls requests in ${seconds} s"
fi

status blocked-once --no-color
expect_eq "blocked: one report exits 2" "$rc" 2
if grep -qF "${ID_OF[w2]} (swarmpki-it-worker2, worker): down since" "$out/blocked-once.out" &&
   grep -qF "docker node rm ${ID_OF[w2]}" "$out/blocked-once.out"; then
  it_ok "blocked: one report names worker2, its reason and the remedy"
else
  it_fail "blocked: one report names worker2, its reason and the remedy" "not found"
fi
indent <"$out/blocked-once.out"

# ---- docker node rm: three watches see it finish
watch_m1() { DOCKER_HOST=unix://$(sock m1) "$swarmpki" rotate status --watch --timeout 120s "$@"; }
watch_m1 --format jsonl >"$out/finished-jsonl.out" 2>"$out/finished-jsonl.err" &
jsonl_pid=$!
watch_m1 >"$out/finished-text.out" 2>"$out/finished-text.err" &
text_pid=$!
DOCKER_HOST=unix://$(sock m1) script -qec "$swarmpki rotate status --watch --timeout 120s" /dev/null \
  >"$out/finished-tty.out" 2>&1 </dev/null &
tty_pid=$!
# (check's own `out` is local: the paths are spelled out here.)
first_reads() { local f; for f in "$@"; do [[ -s $f ]] || return 1; done; }
check "three watches made their first read" \
  wait_until 20 first_reads "$out/finished-jsonl.out" "$out/finished-text.out" "$out/finished-tty.out"
check "docker node rm --force worker2" dk m1 node rm --force "${ID_OF[w2]}"
rc=0; wait "$jsonl_pid" || rc=$?
expect_eq "finished: --watch --format jsonl --timeout 120s exits 0" "$rc" 0
rc=0; wait "$text_pid" || rc=$?
expect_eq "finished: --watch (text, not a terminal) exits 0" "$rc" 0
rc=0; wait "$tty_pid" || rc=$?
expect_eq "finished: --watch on a pseudo-terminal exits 0" "$rc" 0
took "rotation finished after docker node rm"
indent <"$out/finished-jsonl.out"
expect_eq "finished: the last JSON line: not in progress, finished, nothing blocks, 2 of 2, the tokens pin the root" \
  "$(tail -n 1 "$out/finished-jsonl.out" | jq -c '[.in_progress, .finished, .blocked_by, .converged, .total, .join_tokens.worker.pins_trust_root, .join_tokens.manager.pins_trust_root]' 2>/dev/null)" \
  '[false,true,[],2,2,true,true]'
first_root=$(head -n 1 "$out/finished-jsonl.out" | jq -r .trust_root.root_file_sha256 2>/dev/null)
last_root=$(tail -n 1 "$out/finished-jsonl.out" | jq -r .trust_root.root_file_sha256 2>/dev/null)
if [[ -n $last_root && $last_root != null && $last_root != "$first_root" ]]; then
  it_ok "finished: the trust root changed between the first and the last line"
else
  it_fail "finished: the trust root changed" "'$first_root' -> '$last_root'"
fi
expect_eq "finished: the trust root is the engine's (sha256 of docker info TrustRoot)" "$last_root" \
  "$(dk m1 info --format '{{json .Swarm.Cluster.TLSInfo.TrustRoot}}' | json_string_sha256)"
indent <"$out/finished-text.out"
expect_match "finished: the text watch's last line says finished" ' rotation finished, 2/2 nodes converged; trust root ' \
  "$(tail -n 1 "$out/finished-text.out")"
# The terminal's frames: each drawn over the one before, the last one finished.
tty_last=$(tr '\r' '\n' <"$out/finished-tty.out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -a '^rotation \[' | tail -n 1)
expect_match "finished: the terminal's last frame is finished, 2/2" '2/2 converged .*finished' "$tty_last"
if grep -qaF $'\r\e[2K\e[1A\e[2K' "$out/finished-tty.out"; then
  it_ok "finished: the terminal's frames are redrawn in place (CR, clear, cursor up, clear)"
else
  it_fail "finished: the terminal's frames are redrawn in place" "no erase sequence"
fi
sed -n l "$out/finished-tty.out" | indent

# ---- a socket that cannot answer for the cluster
rc=0
"$swarmpki" rotate status --host "unix://$(sock w1)" >"$out/worker.out" 2>"$out/worker.err" || rc=$?
if ((rc == 3)) && [[ ! -s $out/worker.out && $(wc -l <"$out/worker.err") == 1 ]]; then
  it_ok "worker1's socket: exit 3, one line on stderr, nothing on stdout"
else
  it_fail "worker1's socket: exit 3, one line on stderr, nothing on stdout" "exit $rc"
fi
indent <"$out/worker.err"

kill "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null
proxy_pid=
for n in m1 w1; do engine_stop "$n"; done
it_ok "engines stopped by PID"
took_total "whole test"
