#!/usr/bin/env bash
# Benchmark: `swarmpki expiry TREE --format json` over a tree of 100,000 certificate files, against
# Debian's `certinfo -expiry` over the same files in as few processes as the argument limit allows,
# and a shell loop of `openssl x509 -enddate -noout` over a 200-file sample (extrapolated).
#
# The tree is 50,000 node directories (swarm-node.crt + swarm-root-ca.crt), copies of the real
# engine's fixture directories and of `swarmpki ca init/issue` output when the ca command works
# (else `openssl req -x509` certificates). It lives under /tmp and is deleted on exit.
# Env (set by scripts/bench): SWARMPKI, FIXTURES. Optional: FILES (default 100000), RUNS (2).
# Target (issue 12): swarmpki takes at most 0.30x certinfo's wall time.
set -euo pipefail

: "${SWARMPKI:?set SWARMPKI to the swarmpki binary}"
FIXTURES=${FIXTURES:-}
FILES=${FILES:-100000}
RUNS=${RUNS:-2}
for tool in certinfo openssl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/expiry.sh: $tool is missing" >&2; exit 2; }
done

work=$(mktemp -d /tmp/swarmpki-bench-expiry.XXXXXX)
trap 'rm -rf "$work"' EXIT
sources=$work/sources
tree=$work/t
mkdir -p "$sources" "$tree"

# --- source node directories --------------------------------------------------------------------
n_sources=0
add_source() {  # add_source DIR: a directory holding swarm-node.crt and swarm-root-ca.crt
  local into=$sources/$n_sources
  mkdir -p "$into"
  cp "$1/swarm-node.crt" "$1/swarm-root-ca.crt" "$into/"
  n_sources=$((n_sources + 1))
}
if [[ -n $FIXTURES && -d $FIXTURES ]]; then
  while IFS= read -r crt; do add_source "$(dirname "$crt")"; done \
    < <(find "$FIXTURES" -name swarm-node.crt -path '*/certificates/*' | sort)
fi
issued=0
if "$SWARMPKI" ca init --out "$work/ca" >/dev/null 2>&1; then
  for i in $(seq 1 40); do
    role=worker; ((i % 4 == 0)) && role=manager
    id=$(printf 'bench%020d' "$i")
    if "$SWARMPKI" ca issue --ca "$work/ca" --node-id "$id" --role "$role" \
         --cluster-id benchclusterid0000000000a --out "$work/issued/$i" >/dev/null 2>&1; then
      add_source "$work/issued/$i"; issued=$((issued + 1))
    fi
  done
fi
if ((issued == 0)); then
  echo "note: swarmpki ca init/issue unavailable; adding openssl req -x509 certificates" >&2
  for i in $(seq 1 20); do
    d=$work/openssl/$i; mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/k" \
      -subj "/O=benchcluster/OU=swarm-worker/CN=node$i" -days $((30 + i * 7)) \
      -out "$d/swarm-node.crt" 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/rk" \
      -subj "/CN=swarm-ca" -days 7300 -out "$d/swarm-root-ca.crt" 2>/dev/null
    add_source "$d"
  done
fi

# --- the tree: FILES/2 node directories, 1000 per parent ------------------------------------------
python3 - "$sources" "$n_sources" "$tree" "$FILES" <<'EOF'
import os, sys
sources, n, tree, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
blobs = [{name: open(os.path.join(sources, str(i), name), 'rb').read()
          for name in ('swarm-node.crt', 'swarm-root-ca.crt')} for i in range(n)]
for d in range(files // 2):
    path = os.path.join(tree, str(d // 1000), str(d % 1000))
    os.makedirs(path)
    for name, data in blobs[d % n].items():
        with open(os.path.join(path, name), 'wb') as f:
            f.write(data)
EOF
find "$tree" -type f | sort > "$work/list"
total=$(wc -l < "$work/list")

# --- timing helpers -------------------------------------------------------------------------------
# best_of PREFIX CMD...: over RUNS, the best wall seconds with its CPU seconds (user + system, all
# threads: the load-independent cost) and peak RSS (KiB), into PREFIX_s, PREFIX_cpu, PREFIX_kib.
best_of() {
  local prefix=$1; shift
  local best="" cpu=0 rss=0
  for _ in $(seq 1 "$RUNS"); do
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || true
    read -r secs user sys kib < <(tail -n 1 "$work/time")
    if [[ -z $best ]] || awk -v a="$secs" -v b="$best" 'BEGIN{exit !(a<b)}'; then
      best=$secs; rss=$kib; cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{print u + s}')
    fi
  done
  printf -v "${prefix}_s" '%s' "$best"
  printf -v "${prefix}_cpu" '%s' "$cpu"
  printf -v "${prefix}_kib" '%s' "$rss"
}

# Warm the page cache once so both tools read from memory.
xargs -a "$work/list" cat >/dev/null

best_of swarmpki "$SWARMPKI" expiry "$tree" --format json
"$SWARMPKI" expiry "$tree" --format json --at 2026-12-01T00:00:00Z > "$work/report.json" || true
certs=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["certificates"]))' \
          "$work/report.json")

# certinfo: one process if the kernel's argument limit allows; raise the stack limit (ARG_MAX is
# a quarter of it) and give xargs all of it.
cd "$tree"
sed "s|^$tree/||" "$work/list" > "$work/relative"
certinfo_run() {
  ulimit -s 262144 2>/dev/null || true
  local max; max=$(( $(getconf ARG_MAX) - 65536 ))
  xargs -a "$work/relative" -s "$max" -n 1000000 "$@"
}
export -f certinfo_run
export work
best_of certinfo bash -c 'certinfo_run certinfo -expiry' 
processes=$(bash -c 'certinfo_run sh -c "echo batch" _' | wc -l)
# certinfo is a Go program: its runtime runs the garbage collector and syscalls on more threads
# than one. Sample its thread count once mid-run, so the table says what "one process" means.
certinfo_threads=0
(cd "$tree" && bash -c 'certinfo_run certinfo -expiry' >/dev/null 2>&1) &
sampler=$!
for _ in $(seq 1 50); do
  sleep 0.1
  pid=$(pgrep -n -x certinfo || true)
  if [[ -n $pid && -d /proc/$pid/task ]]; then
    # certinfo may exit between the test and find: a failed find is no reason to abort.
    n=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
    ((n > certinfo_threads)) && certinfo_threads=$n
  fi
done
wait "$sampler" || true

# openssl: a shell loop over a 200-file sample, extrapolated per file.
head -n 200 "$work/relative" > "$work/sample"
openssl_loop() { while IFS= read -r f; do openssl x509 -enddate -noout -in "$f"; done < "$work/sample"; }
export -f openssl_loop
best_of openssl bash -c 'openssl_loop'
cd /

# --- report ---------------------------------------------------------------------------------------
# shellcheck disable=SC2154  # the *_s/_cpu/_kib variables are set by best_of through printf -v
awk -v files="$total" -v certs="$certs" -v s="$swarmpki_s" -v sk="$swarmpki_kib" \
    -v c="$certinfo_s" -v ck="$certinfo_kib" -v o="$openssl_s" -v procs="$processes" \
    -v scpu="$swarmpki_cpu" -v ccpu="$certinfo_cpu" -v cthreads="$certinfo_threads" \
    -v cores="$(nproc)" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
# a / b, or 0 when b is 0 (a run too short to time, a tool that used no measurable CPU)
function per(a, b) { return b > 0 ? a / b : 0 }
BEGIN {
  oe = o / 200 * files
  printf "expiry benchmark: %d files (%d certificates), %d cores, load %s\n", files, certs, cores, load
  printf "%-40s %8s %8s %10s %10s %10s\n", "tool", "wall s", "cpu s", "cores used", "files/s", "peak MiB"
  printf "%-40s %8.2f %8.2f %10.2f %10.0f %10.1f\n", "swarmpki expiry --format json", s, scpu, per(scpu, s), per(files, s), sk / 1024
  printf "%-40s %8.2f %8.2f %10.2f %10.0f %10.1f\n", "certinfo -expiry (" procs " process" (procs == 1 ? "" : "es") ")", c, ccpu, per(ccpu, c), per(files, c), ck / 1024
  printf "%-40s %8.2f %8s %10s %10.0f %10s\n", "openssl x509 loop (200 files, extrap.)", oe, "-", "-", per(200, o), "-"
  printf "certinfo is a Go program: up to %d threads seen (Go runtime, GC and syscall threads; see cores used)\n", cthreads
  printf "swarmpki: %.1f us cpu per file\n", per(scpu, files) * 1e6
  if (load + 0 > cores) printf "note: load %s on %d cores: wall times are inflated by other work; cpu s is the load-independent cost\n", load, cores
  ratio = per(s, c)
  cratio = per(scpu, ccpu)
  printf "RESULT expiry files=%d certificates=%d swarmpki_s=%.2f certinfo_s=%.2f ratio_vs_certinfo=%.3f target_ratio=0.30 pass=%s swarmpki_cpu_s=%.2f certinfo_cpu_s=%.2f cpu_ratio_vs_certinfo=%.3f swarmpki_cores_used=%.2f certinfo_cores_used=%.2f certinfo_threads=%d files_per_s=%.0f swarmpki_peak_rss_mib=%.1f certinfo_peak_rss_mib=%.1f certinfo_processes=%d openssl_loop_extrapolated_s=%.1f ratio_vs_openssl_loop=%.4f cores=%d load=%s\n",
    files, certs, s, c, ratio, (c > 0 && ratio <= 0.30 ? "yes" : "no"), scpu, ccpu, cratio, per(scpu, s), per(ccpu, c), cthreads, per(files, s), sk / 1024, ck / 1024, procs, oe, per(s, oe), cores, load
}'
