#!/usr/bin/env bash
# Scripts group: the README's `scripts/run inspect` on a machine that is not a swarm node (a demo
# node directory made with swarmpki's own CA), swarm-ca-rotate's usage errors and refusals without
# an engine, and the bash completion against the built binary.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}
build=${BUILD_DIR:-$(dirname "$swarmpki")}
it_begin
tmp=$IT_TMP

# ---- scripts/run inspect
if [[ -d /var/lib/docker/swarm/certificates ]]; then
  it_skip "scripts/run inspect on a demo node" "this machine is a swarm node: scripts/run inspects its own directory"
else
  rc=0
  SWARMPKI_BUILD_PREFIX=$build "$root/scripts/run" inspect --format json >"$tmp/run.json" 2>"$tmp/run.err" || rc=$?
  expect_eq "scripts/run inspect: exit 0 on the demo node" "$rc" 0
  if grep -q 'demo node directory' "$tmp/run.err"; then it_ok "scripts/run inspect says it uses a demo node directory"; else
    it_fail "scripts/run inspect says it uses a demo node directory" "stderr does not say so"; indent <"$tmp/run.err"; fi
  expect_eq "scripts/run inspect: demo node is a manager whose chain verifies" \
    "$(jq -r '[.schema, .nodes[0].node.role, .nodes[0].chain_verified, .nodes[0].key.matches_certificate] | @csv' "$tmp/run.json" 2>&1)" \
    '"swarmpki.inspect/v1","manager",true,true'
  rc=0
  SWARMPKI_BUILD_PREFIX=$build "$root/scripts/run" --version >"$tmp/version" 2>&1 || rc=$?
  expect_eq "scripts/run passes other commands through (--version)" "$rc $(cat "$tmp/version")" \
    "0 $("$swarmpki" --version)"
fi

# ---- swarm-ca-rotate without an engine: usage errors and refusals, nothing started
rotate=$root/scripts/swarm-ca-rotate
expect_exit "swarm-ca-rotate --help" 0 "$rotate" --help
expect_exit "swarm-ca-rotate with an unknown option: usage error" 64 "$rotate" --frobnicate
expect_exit "swarm-ca-rotate --ca-cert without --ca-key: usage error" 64 "$rotate" --ca-cert x.crt
expect_exit "swarm-ca-rotate --timeout 5 parsecs: usage error" 64 "$rotate" --timeout 5pc
expect_exit "swarm-ca-rotate with no reachable engine: refused" 3 \
  env DOCKER_HOST=unix://"$tmp"/no-such.sock SWARMPKI="$swarmpki" "$rotate" --yes
expect_match "the refusal says the engine is unreachable" 'cannot reach the Docker engine' "$IT_OUT"
expect_exit "swarm-ca-rotate without swarmpki: refused" 3 env SWARMPKI="$tmp/none" PATH=/usr/bin:/bin "$rotate" --yes
# A docker CLI that answers the first pre-flight questions and then fails where nothing was
# foreseen (docker node inspect): nothing has changed yet, so exit 3 with one line, never bash's 1.
mkdir -p "$tmp/fake-docker"
cat >"$tmp/fake-docker/docker" <<'FAKE'
#!/usr/bin/env bash
case "$*" in
  "info --format {{json .Swarm}}") echo '{"LocalNodeState":"active","ControlAvailable":true}' ;;
  "info --format {{.Swarm.Cluster.RootRotationInProgress}}") echo false ;;
  "node ls -q") echo abc123 ;;
  *) echo "fake docker: $1 $2 is broken" >&2; exit 1 ;;
esac
FAKE
chmod +x "$tmp/fake-docker/docker"
expect_exit "swarm-ca-rotate when docker fails unexpectedly before any change: refused (exit 3)" 3 \
  env PATH="$tmp/fake-docker:$PATH" SWARMPKI="$swarmpki" "$rotate" --yes
expect_match "the unexpected failure is named, as a refusal" 'refused: unexpected error before any change' "$IT_OUT"

# ---- bash completion, against the built binary
completion=$root/contrib/bash-completion/swarmpki
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _swarmpki
           printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$swarmpki" "$@" | sort | tr '\n' ' '
}
expect_eq "completion: commands" "$(complete_words in)" "inspect "
expect_eq "completion: token sub-commands" "$(complete_words token "")" "--help decode generate verify "
got=$(complete_words inspect --unlock-key)
expect_eq "completion: inspect options come from its --help" "$got" "--unlock-key --unlock-key-file --unlock-key-stdin "
expect_eq "completion: --role values" "$(complete_words ca issue --role "")" "manager worker "
got=$(complete_words expiry --format "")
expect_match "completion: expiry --format values from its --help" 'json.*nagios.*prometheus.*text' "$got"
