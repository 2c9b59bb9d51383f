#!/usr/bin/env bash
# Benchmark: whole-process wall time of `swarmpki inspect --format json` on a copy of the real
# engine's rotation-in-progress manager directory, against Debian's `certinfo` on the same
# swarm-node.crt and `openssl x509 -noout -text` on it. The three commands run interleaved
# (a, b, c, a, b, c, ...) so drift in machine load hits all of them alike; medians and ratios.
# swarmpki does far more per run: three files, two chains' signatures, the key match, findings.
# Env (set by scripts/bench): SWARMPKI, FIXTURES. Optional: RUNS (default 200 per command).
# Target: ratio vs certinfo <= 1.0.
# A fourth anchor measures the floor any OpenSSL-based tool stands on: a C program, built here
# against the system's libcrypto, that reads the one certificate and prints its SHA-256. Its
# ratio to certinfo says how much of swarmpki's is OpenSSL 3's own start-up (library load,
# config file, provider and name-map set-up, error strings) rather than swarmpki's work.
set -euo pipefail

: "${SWARMPKI:?set SWARMPKI to the swarmpki binary}"
: "${FIXTURES:?set FIXTURES to the real-engine fixtures (../shared/fixtures/swarm)}"
RUNS=${RUNS:-200}
for tool in certinfo openssl python3 cc; do
  command -v "$tool" >/dev/null || { echo "bench/inspect.sh: $tool is missing" >&2; exit 2; }
done
source_dir=$FIXTURES/rotation-in-progress/certificates/manager1
[[ -d $source_dir ]] || { echo "bench/inspect.sh: $source_dir is missing" >&2; exit 2; }

work=$(mktemp -d /tmp/swarmpki-bench-inspect.XXXXXX)
trap 'rm -rf "$work"' EXIT
dir=$work/manager1
mkdir -p "$dir"
cp "$source_dir"/* "$dir/"
chmod 0755 "$dir"; chmod 0644 "$dir/swarm-root-ca.crt" "$dir/swarm-node.crt"; chmod 0600 "$dir/swarm-node.key"
at=$(python3 -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["scenarios"] if s["scenario"]=="rotation-in-progress"][0]["captured_at"])' "$FIXTURES/index.json")

cat >"$work/openssl-floor.c" <<'C'
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
int main(int argc, char **argv) {
    FILE *in = argc == 2 ? fopen(argv[1], "r") : NULL;
    X509 *cert = in ? PEM_read_X509(in, NULL, NULL, NULL) : NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (cert == NULL || X509_digest(cert, EVP_sha256(), md, &length) != 1) return 1;
    for (unsigned int i = 0; i < length; ++i) printf("%02x", md[i]);
    printf("\n");
    X509_free(cert);
    fclose(in);
    return 0;
}
C
cc -O2 -o "$work/openssl-floor" "$work/openssl-floor.c" -lcrypto

# Sanity: each command works on this input before it is timed.
"$SWARMPKI" inspect --format json --dir "$dir" --at "$at" > "$work/inspect.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["nodes"][0]["rotation"]["state"]=="in-progress"' "$work/inspect.json"
certinfo "$dir/swarm-node.crt" > /dev/null
openssl x509 -noout -text -in "$dir/swarm-node.crt" > /dev/null
"$work/openssl-floor" "$dir/swarm-node.crt" > /dev/null

python3 - "$RUNS" "$SWARMPKI" "$dir" "$at" "$work/openssl-floor" <<'PY'
import os, statistics, sys, time
runs, swarmpki, d, at, floor = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
crt = os.path.join(d, "swarm-node.crt")
commands = {
    "swarmpki inspect --format json": [swarmpki, "inspect", "--format", "json", "--dir", d, "--at", at],
    "certinfo swarm-node.crt": ["certinfo", crt],
    "openssl x509 -noout -text": ["openssl", "x509", "-noout", "-text", "-in", crt],
    "libcrypto floor (read + sha256)": [floor, crt],
}
paths = {name: (argv[0] if "/" in argv[0] else next(
    os.path.join(p, argv[0]) for p in os.environ["PATH"].split(":") if os.access(os.path.join(p, argv[0]), os.X_OK)))
    for name, argv in commands.items()}
null = os.open(os.devnull, os.O_WRONLY)
actions = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]

cpu = {name: [] for name in commands}

def once(name):
    start = time.perf_counter()
    pid = os.posix_spawn(paths[name], commands[name], os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"bench/inspect.sh: {name} exited {code}")
    cpu[name].append(usage.ru_utime + usage.ru_stime)
    return elapsed

for name in commands:  # warm the page cache and the dynamic loader's caches
    for _ in range(5):
        once(name)
times = {name: [] for name in commands}
for name in commands:
    cpu[name].clear()
for _ in range(runs):
    for name in commands:
        times[name].append(once(name))

med = {name: statistics.median(t) for name, t in times.items()}
cpu_med = {name: statistics.median(t) for name, t in cpu.items()}
print(f"{'command':34} {'wall median ms':>14} {'p10 ms':>8} {'p90 ms':>8} {'cpu median ms':>14}")
for name, t in times.items():
    q = statistics.quantiles(t, n=10)
    print(f"{name:34} {med[name]*1e3:14.2f} {q[0]*1e3:8.2f} {q[-1]*1e3:8.2f} {cpu_med[name]*1e3:14.2f}")
print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (wall times grow with load)")
s = med["swarmpki inspect --format json"]
vs_certinfo = s / med["certinfo swarm-node.crt"]
vs_openssl = s / med["openssl x509 -noout -text"]
floor_ms = med["libcrypto floor (read + sha256)"]
floor_vs_certinfo = floor_ms / med["certinfo swarm-node.crt"]
print(f"runs per command: {runs}, interleaved; ratio = swarmpki median / other median")
print(f"libcrypto floor / certinfo = {floor_vs_certinfo:.2f}: what an OpenSSL 3 program costs before "
      f"doing anything; swarmpki / floor = {s / floor_ms:.2f}")
print(f"RESULT inspect runs={runs} swarmpki_ms={s*1e3:.2f} certinfo_ms={med['certinfo swarm-node.crt']*1e3:.2f} "
      f"openssl_ms={med['openssl x509 -noout -text']*1e3:.2f} ratio_vs_certinfo={vs_certinfo:.2f} "
      f"ratio_vs_openssl={vs_openssl:.2f} "
      f"cpu_ratio_vs_certinfo={cpu_med['swarmpki inspect --format json'] / cpu_med['certinfo swarm-node.crt']:.2f} "
      f"floor_ms={floor_ms*1e3:.2f} floor_ratio_vs_certinfo={floor_vs_certinfo:.2f} "
      f"ratio_vs_floor={s / floor_ms:.2f} "
      f"target_vs_certinfo=1.00 "
      f"verdict={'pass' if vs_certinfo <= 1.0 else 'fail'}")
PY
