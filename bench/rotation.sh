#!/usr/bin/env bash
# Rotation simulator at 1,000 and 10,000 nodes against the P-256 floor measured in the same run.
#
# The floor: seconds per key generation, per signature and per verification with OpenSSL EVP on
# one thread (a tiny C++ program built here against the same libcrypto; `openssl speed -elapsed`
# is shown beside it as a cross-check). Ratios:
#   ratio      wall / (nodes x (keygen + sign + verify) / cores)     the issue's target: <= 1.5
#   ratio_ops  wall / ((keygens x keygen + signs x sign + verifies x verify) / cores), from the
#              simulator's own operation counts (it makes two keys and two leaves per rotated node:
#              the cluster before the rotation, and the renewal)
#   cpu_ratio  (user + sys) / (nodes x (keygen + sign + verify)), both in CPU time: the same
#              question with other load on the machine mostly taken out (wall-clock floors and
#              runs are both stretched by other processes, but not equally)
# Peak memory from /usr/bin/time -v (Debian package `time`).
set -euo pipefail

: "${SWARMPKI:?run through scripts/bench, or set SWARMPKI to the swarmpki binary}"
work=$(mktemp -d "${TMPDIR:-/tmp}/swarmpki-bench-rotation.XXXXXX")
trap 'rm -rf "$work"' EXIT
cores=$(nproc)
if [[ ! -x /usr/bin/time ]]; then
  echo "bench/rotation.sh: /usr/bin/time is missing (apt-get install time)" >&2
  exit 2
fi

cat >"$work/floor.cpp" <<'CPP'
// One-thread P-256 floor: EVP key generation, DigestSign and DigestVerify of a 480-byte message
// (the size of a node certificate's TBS), seconds per operation.
#include <openssl/evp.h>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>
struct Stamp {
    std::chrono::steady_clock::time_point wall;
    double cpu;
};
Stamp now() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return {std::chrono::steady_clock::now(), t.tv_sec + t.tv_nsec * 1e-9};
}
int main() {
    const int n = 3000;
    EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY_keygen_init(kctx);
    EVP_PKEY_CTX_set_group_name(kctx, "P-256");
    std::vector<EVP_PKEY*> keys(n, nullptr);
    auto t0 = now();
    for (auto& k : keys) EVP_PKEY_generate(kctx, &k);
    auto t1 = now();
    unsigned char msg[480] = {1};
    std::vector<std::vector<unsigned char>> sigs(n, std::vector<unsigned char>(80));
    std::vector<size_t> lens(n);
    for (int i = 0; i < n; ++i) {
        EVP_MD_CTX* c = EVP_MD_CTX_new();
        EVP_DigestSignInit_ex(c, nullptr, "SHA256", nullptr, nullptr, keys[0], nullptr);
        lens[i] = sigs[i].size();
        EVP_DigestSign(c, sigs[i].data(), &lens[i], msg, sizeof msg);
        EVP_MD_CTX_free(c);
    }
    auto t2 = now();
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        EVP_MD_CTX* c = EVP_MD_CTX_new();
        EVP_DigestVerifyInit_ex(c, nullptr, "SHA256", nullptr, nullptr, keys[0], nullptr);
        ok += EVP_DigestVerify(c, sigs[i].data(), lens[i], msg, sizeof msg) == 1;
        EVP_MD_CTX_free(c);
    }
    auto t3 = now();
    auto wall = [&](Stamp a, Stamp b) { return std::chrono::duration<double>(b.wall - a.wall).count() / n; };
    auto cpu = [&](Stamp a, Stamp b) { return (b.cpu - a.cpu) / n; };
    std::printf("%.9f %.9f %.9f %.9f %.9f %.9f %d\n", wall(t0, t1), wall(t1, t2), wall(t2, t3), cpu(t0, t1),
                cpu(t1, t2), cpu(t2, t3), ok == n);
    for (auto k : keys) EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(kctx);
}
CPP
c++ -O2 -std=c++17 "$work/floor.cpp" -o "$work/floor" -lcrypto
read -r keygen sign verify cpu_keygen cpu_sign cpu_verify floor_ok < <("$work/floor")
[[ $floor_ok == 1 ]] || { echo "bench/rotation.sh: floor verification failed" >&2; exit 2; }
speed=$(openssl speed -elapsed -seconds 2 ecdsap256 2>/dev/null | awk '/nistp256/ {print $(NF-1), $NF}')

printf 'P-256 floor, one thread: keygen %.1f us, sign %.1f us, verify %.1f us wall (CPU %.1f/%.1f/%.1f us); openssl speed -elapsed: %s sign/s verify/s; %d cores; load %s\n\n' \
  "$(echo "$keygen*1000000" | bc -l)" "$(echo "$sign*1000000" | bc -l)" "$(echo "$verify*1000000" | bc -l)" \
  "$(echo "$cpu_keygen*1000000" | bc -l)" "$(echo "$cpu_sign*1000000" | bc -l)" "$(echo "$cpu_verify*1000000" | bc -l)" \
  "$speed" "$cores" "$(cut -d' ' -f1 /proc/loadavg)"
printf '%8s %9s %9s %7s %9s %9s %8s %8s %12s\n' nodes wall_s floor_s ratio ratio_ops cpu_ratio rss_mb engine_s status
result="RESULT rotation cores=$cores keygen_us=$(printf %.1f "$(echo "$keygen*1000000" | bc -l)") sign_us=$(printf %.1f "$(echo "$sign*1000000" | bc -l)") verify_us=$(printf %.1f "$(echo "$verify*1000000" | bc -l)")"
for nodes in 1000 10000; do
  managers=5
  workers=$((nodes - managers))
  /usr/bin/time -v -o "$work/time" "$SWARMPKI" rotate simulate --managers "$managers" --workers "$workers" \
    --seed 1 --format json >"$work/report.json"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/time")
  user=$(awk -F': ' '/User time/ {print $2}' "$work/time")
  sys=$(awk -F': ' '/System time/ {print $2}' "$work/time")
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  k=$(jq .crypto.keygen "$work/report.json"); s=$(jq .crypto.sign "$work/report.json"); v=$(jq .crypto.verify "$work/report.json")
  engine=$(jq .engine_seconds "$work/report.json"); status=$(jq -r .status "$work/report.json")
  floor=$(echo "$nodes*($keygen+$sign+$verify)/$cores" | bc -l)
  floor_ops=$(echo "($k*$keygen+$s*$sign+$v*$verify)/$cores" | bc -l)
  ratio=$(echo "$wall/$floor" | bc -l)
  ratio_ops=$(echo "$wall/$floor_ops" | bc -l)
  cpu_ratio=$(echo "($user+$sys)/($nodes*($cpu_keygen+$cpu_sign+$cpu_verify))" | bc -l)
  rss_mb=$(echo "$rss_kb/1024" | bc -l)
  printf '%8d %9.2f %9.2f %7.2f %9.2f %9.2f %8.1f %8.1f %12s\n' "$nodes" "$wall" "$floor" "$ratio" "$ratio_ops" \
    "$cpu_ratio" "$rss_mb" "$engine" "$status"
  printf '         ops: %d keygen, %d sign, %d verify\n' "$k" "$s" "$v"
  tag=$((nodes / 1000))k
  result+=" wall_$tag=$(printf %.2f "$wall") ratio_$tag=$(printf %.2f "$ratio") ratio_ops_$tag=$(printf %.2f "$ratio_ops") cpu_ratio_$tag=$(printf %.2f "$cpu_ratio") rss_mb_$tag=$(printf %.1f "$rss_mb")"
done
echo
echo "$result"
