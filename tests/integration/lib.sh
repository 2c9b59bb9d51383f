# shellcheck shell=bash
# Harness for swarmpki's integration tests: result lines, assertions, and live Docker engines.
#
# Result lines are what tests/integration/run counts: "ok NAME", "FAIL NAME: why", "skip NAME: why".
#
# Engines: each dockerd runs as root inside one network namespace this harness creates (loopback
# only: 127.0.0.1, 127.0.0.2, ...), in its own UTS namespace (its own hostname, so `docker node ls`
# tells nodes apart) and its own mount namespace (made by `ip netns exec`), with its own data root,
# exec root, socket, pidfile and containerd namespaces under one temporary directory. With no
# system containerd running, dockerd starts and supervises its own containerd under its exec root.
# Cleanup stops only the processes this harness started, by PID, also when a test fails.
# The harness installs nothing: scripts/install-deps --test does.

it_ok() { printf 'ok   %s\n' "$1"; }
it_fail() { printf 'FAIL %s: %s\n' "$1" "$2"; }
it_skip() { printf 'skip %s: %s\n' "$1" "$2"; }
# Shows a command's output under a FAIL line, indented so it cannot be read as a result line.
indent() { cut -c1-400 | sed 's/^/     | /' | head -n 60; }

# check NAME COMMAND...: ok when COMMAND succeeds; otherwise FAIL with its output (indented).
check() {
  local name=$1 out status=0
  shift
  out=$("$@" 2>&1) || status=$?
  if ((status == 0)); then
    it_ok "$name"
  else
    it_fail "$name" "exit $status"
    [[ -n $out ]] && indent <<<"$out"
  fi
  return 0
}

# expect_eq NAME GOT WANT
expect_eq() {
  if [[ $2 == "$3" ]]; then it_ok "$1"; else it_fail "$1" "got '$2', want '$3'"; fi
}

# expect_match NAME EXTENDED_REGEX TEXT: TEXT has a line matching the pattern.
expect_match() {
  if grep -qE -- "$2" <<<"$3"; then it_ok "$1"; else
    it_fail "$1" "no line matches /$2/"
    indent <<<"$3"
  fi
}

# expect_exit NAME WANT_CODE COMMAND...: the exit code must be WANT_CODE; output kept in $IT_OUT.
IT_OUT=
expect_exit() {
  local name=$1 want=$2 status=0
  shift 2
  IT_OUT=$("$@" 2>&1) || status=$?
  if ((status == want)); then
    it_ok "$name"
  else
    it_fail "$name" "exit $status, want $want"
    indent <<<"$IT_OUT"
  fi
}

# it_begin: cleanup on any exit, also when interrupted or terminated, and IT_TMP.
it_begin() {
  trap it_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  it_tmpdir
}

# Makes IT_TMP, a temporary directory for this test file, removed by it_cleanup. (Call it
# directly, not in $(...): the variable must be set in the test's own shell.)
IT_TMP=
it_tmpdir() {
  if [[ -z $IT_TMP ]]; then
    IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/swarmpki-it.XXXXXX")
    chmod 755 "$IT_TMP"
  fi
}

# ---------------------------------------------------------------------------------------------
# Live engines

IT_NETNS=
declare -A IT_ENGINE_PID=()

IT_SOURCE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Prints why engines cannot run here (and returns 1), or nothing (and returns 0).
engine_unavailable_reason() {
  local tool why
  # Only Debian's docker.io: where Docker CE, containerd.io or another dockerd is installed,
  # install-deps installs no docker.io (it would remove that engine) and these tests do not start
  # someone else's dockerd either.
  if ! why=$("$IT_SOURCE_ROOT/scripts/install-deps" --check-engine 2>&1); then
    echo "${why:-scripts/install-deps --check-engine failed}"
    return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then echo "needs root to start dockerd"; return 1; fi
  for tool in dockerd docker ip unshare jq; do
    command -v "$tool" >/dev/null 2>&1 || { echo "'$tool' not installed (run scripts/install-deps)"; return 1; }
  done
  if ! grep -q ' /sys/fs/cgroup[ /]' /proc/self/mounts; then
    echo "no cgroup file system mounted under /sys/fs/cgroup"
    return 1
  fi
  return 0
}

# Writes a script that re-creates the host's cgroup mounts: `ip netns exec` remounts /sys in its
# private mount namespace, which hides them, and dockerd needs them. Works for the v1 layout
# (tmpfs + one mount per controller), the unified v2 layout, and the hybrid one.
write_cgroup_mounter() {
  local script=$1 dev mp type opts rest
  {
    echo '#!/bin/sh'
    echo 'set -e'
    while read -r dev mp type opts rest; do
      [[ $mp == /sys/fs/cgroup || $mp == /sys/fs/cgroup/* ]] || continue
      # Options as the kernel shows them, minus those a fresh mount must not repeat.
      opts=$(tr ',' '\n' <<<"$opts" | grep -v -E '^(rw|ro|seclabel|release_agent=.*|size=.*|nr_inodes=.*|inode64)$' |
             paste -sd, -)
      echo "mkdir -p '$mp'"
      case $type in
        tmpfs) echo "mount -t tmpfs -o ${opts:-mode=755} tmpfs '$mp'" ;;
        cgroup) echo "mount -t cgroup -o ${opts:-none} cgroup '$mp'" ;;
        cgroup2) echo "mount -t cgroup2 ${opts:+-o $opts} cgroup2 '$mp'" ;;
      esac
      : "$dev" "$rest"
    done </proc/self/mounts
  } >"$script"
  chmod 755 "$script"
}

# engine_setup: the network namespace (loopback up) and the cgroup mounter.
engine_setup() {
  it_tmpdir
  IT_NETNS=swarmpki-it-$$
  ip netns add "$IT_NETNS" || { IT_NETNS=; return 1; }
  ip netns exec "$IT_NETNS" ip link set lo up || return 1
  write_cgroup_mounter "$IT_TMP/cgroup-mounts.sh"
}

engine_dir() { echo "$IT_TMP/engine-$1"; }
engine_certs() { echo "$(engine_dir "$1")/data/swarm/certificates"; }
# dk NAME ARGS...: the docker CLI against engine NAME.
dk() { local n=$1; shift; DOCKER_HOST=unix://$(engine_dir "$n")/docker.sock docker "$@"; }

# engine_start NAME HOSTNAME: starts dockerd and waits (up to 60 s) until it answers.
engine_start() { engine_spawn "$1" "$2" && engine_wait "$1"; }

# engine_spawn NAME HOSTNAME, then engine_wait NAME: the same in two halves, so that several
# engines start side by side (each one's start-up is mostly waiting on its containerd).
engine_spawn() {
  local name=$1 host=$2 dir
  dir=$(engine_dir "$name")
  mkdir -p "$dir/data" "$dir/exec"
  rm -f "$dir/docker.pid"
  # Started from a subshell so that this shell keeps no job for it: it is tracked by its pidfile.
  (setsid ip netns exec "$IT_NETNS" unshare --uts sh -c \
    "hostname '$host' && '$IT_TMP/cgroup-mounts.sh' && exec dockerd --data-root '$dir/data' --exec-root '$dir/exec' \
     -H 'unix://$dir/docker.sock' --pidfile '$dir/docker.pid' --iptables=false --ip-masq=false \
     --bridge=none --storage-driver=vfs --containerd-namespace 'swarmpki-it-$name' \
     --containerd-plugins-namespace 'swarmpki-it-$name-plugins'" \
    >>"$dir/dockerd.log" 2>&1 </dev/null &)
}

engine_wait() {
  local name=$1 dir pid i
  dir=$(engine_dir "$name")
  for i in $(seq 1 300); do
    if [[ -s $dir/docker.pid ]] && dk "$name" version >/dev/null 2>&1; then
      pid=$(cat "$dir/docker.pid")
      IT_ENGINE_PID[$name]=$pid
      return 0
    fi
    sleep 0.2
  done
  : "$i"
  echo "dockerd '$name' did not answer within 60 s; its log ends with:" >&2
  tail -n 20 "$dir/dockerd.log" >&2
  [[ -s $dir/docker.pid ]] && IT_ENGINE_PID[$name]=$(cat "$dir/docker.pid")
  return 1
}

# The engines the live groups run, by name: each one's hostname (what `docker node ls` shows).
declare -gA IT_HOSTNAME=([m1]=swarmpki-it-manager1 [w1]=swarmpki-it-worker1
                         [w2]=swarmpki-it-worker2 [st]=swarmpki-it-stranger)
# sock NAME: engine NAME's socket.
sock() { echo "$(engine_dir "$1")/docker.sock"; }

# engines_start NAME...: the namespace, then the engines side by side, waiting for all (so that
# cleanup knows every PID even when one fails); one result line. Returns 1 after a FAIL line
# (the first start error, then every one, indented) when any engine did not start.
engines_start() {
  local n started=yes
  local -a count=([1]=one [2]=two [3]=three [4]=four)
  local name="${count[$#]:-$#} dockerd start (own data root, exec root, socket, containerd namespace)"
  engine_setup || { it_fail "engine setup" "could not create a network namespace (ip netns add)"; return 1; }
  for n in "$@"; do engine_spawn "$n" "${IT_HOSTNAME[$n]}"; done
  for n in "$@"; do engine_wait "$n" 2>"$IT_TMP/start-$n.err" || started=no; done
  if [[ $started == no ]]; then
    it_fail "$name" "$(cat "$IT_TMP"/start-*.err | head -n 1)"
    cat "$IT_TMP"/start-*.err | indent
    return 1
  fi
  it_ok "$name"
}

# swarm_form: manager1 (127.0.0.1) inits a swarm, worker1 (127.0.0.2) and worker2 (127.0.0.3)
# join it with the worker token, left in IT_WORKER_TOKEN; a result line each.
swarm_form() {
  check "manager1: docker swarm init --advertise-addr 127.0.0.1" \
    dk m1 swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377
  IT_WORKER_TOKEN=$(dk m1 swarm join-token -q worker)
  check "worker1 joins (127.0.0.2)" dk w1 swarm join --token "$IT_WORKER_TOKEN" \
    --advertise-addr 127.0.0.2 --listen-addr 127.0.0.2:2377 127.0.0.1:2377
  check "worker2 joins (127.0.0.3)" dk w2 swarm join --token "$IT_WORKER_TOKEN" \
    --advertise-addr 127.0.0.3 --listen-addr 127.0.0.3:2377 127.0.0.1:2377
}

# is_ours PID PATTERN: the process is alive and its command line names our own directory.
is_ours() { [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"; }

# engine_stop NAME: SIGTERM to our dockerd (it stops its containerd), SIGKILL after 30 s.
engine_stop() {
  local name=$1 dir pid cpid i
  dir=$(engine_dir "$name")
  pid=${IT_ENGINE_PID[$name]:-}
  [[ -n $pid ]] || return 0
  # Its supervised containerd, in case dockerd has to be killed and leaves it behind.
  cpid=$(cat "$dir/exec/containerd/containerd.pid" 2>/dev/null || true)
  if is_ours "$pid" "$dir/data"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do is_ours "$pid" "$dir/data" || break; sleep 0.2; done
    if is_ours "$pid" "$dir/data"; then
      echo "dockerd '$name' ($pid) ignored SIGTERM for 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if [[ -n $cpid ]] && is_ours "$cpid" "$dir/exec/containerd"; then
    kill -TERM "$cpid" 2>/dev/null || true
    sleep 1
    is_ours "$cpid" "$dir/exec/containerd" && kill -KILL "$cpid" 2>/dev/null
  fi
  unset "IT_ENGINE_PID[$name]"
  : "$i"
}

# Stops every engine this file started, unmounts whatever is still mounted under the temporary
# directory (the netns bind mounts under each exec root), removes the namespace and the files.
it_cleanup() {
  local name mp
  for name in "${!IT_ENGINE_PID[@]}"; do engine_stop "$name"; done
  if [[ -n $IT_TMP ]]; then
    # Deepest first; /proc/self/mounts escapes spaces as \040, our paths have none.
    awk -v t="$IT_TMP/" 'index($2, t) == 1 {print $2}' /proc/self/mounts | sort -r |
      while read -r mp; do umount -l "$mp" 2>/dev/null || true; done
  fi
  if [[ -n $IT_NETNS ]]; then
    ip netns del "$IT_NETNS" 2>/dev/null || true
    IT_NETNS=
  fi
  if [[ -n $IT_TMP ]]; then
    rm -rf "$IT_TMP"
    IT_TMP=
  fi
}

# Step times, not result lines: it_clock starts the clock, `took STEP` prints the seconds since
# the previous step, `took_total STEP` those since it_clock.
it_clock() { IT_T0=$(date +%s.%N); IT_T_PREV=$IT_T0; }
took() {
  local now
  now=$(date +%s.%N)
  printf 'time %-34s %6.1f s\n' "$1:" "$(echo "$now - $IT_T_PREV" | bc)"
  IT_T_PREV=$now
}
took_total() { IT_T_PREV=$IT_T0; took "$1"; }

# wait_until SECONDS COMMAND...: polls every 0.25 s until COMMAND succeeds.
wait_until() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || return 1
    sleep 0.25
  done
}

# SHA-256 of a file's exact bytes; of a JSON string's exact bytes (docker's TrustRoot).
file_sha256() { sha256sum "$1" | cut -d' ' -f1; }
json_string_sha256() { jq -j . | sha256sum | cut -d' ' -f1; }
