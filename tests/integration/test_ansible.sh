#!/usr/bin/env bash
# Ansible group: Debian's ansible-core runs docs/ansible/swarm-pki-audit.yml on localhost aliases
# (-c local), each host pointing swarmpki_cert_dirs at copies of real-engine fixture directories,
# with --at set to the capture time so expiry is judged as it was then.
#   - nodes of one swarm, all on the rotated root: the play passes
#   - one directory carrying another swarm's root: the play fails, naming the host
#   - one node left on the pre-rotation root (each host fine on its own): the cross-host
#     assertion fails with two root digests for the cluster
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/lib.sh"
swarmpki=${SWARMPKI:?set SWARMPKI to the swarmpki binary}
fixtures=${SWARMPKI_FIXTURES:-$root/../shared/fixtures/swarm}
playbook=$root/docs/ansible/swarm-pki-audit.yml

if ! command -v ansible-playbook >/dev/null 2>&1; then
  it_skip "ansible group" "ansible-playbook not installed (run scripts/install-deps)"
  exit 0
fi
if [[ ! -f $fixtures/index.json ]]; then
  it_skip "ansible group" "real-engine fixtures not found at $fixtures (set SWARMPKI_FIXTURES)"
  exit 0
fi
it_begin
tmp=$IT_TMP
# The fixture captures span 22:54-22:57 UTC; judge every directory at one instant after them.
at=2026-11-28T22:58:00Z

# node_copy SCENARIO NODE [NAME]: a writable copy of a fixture node directory with the engine's
# modes (git keeps none): swarm-root-ca.crt and swarm-node.crt 0644, swarm-node.key 0600.
node_copy() {
  local dest=$tmp/dirs/${3:-$1-$2}
  mkdir -p "$dest"
  cp "$fixtures/$1/certificates/$2/"* "$dest/"
  chmod 755 "$dest"
  chmod 644 "$dest/swarm-root-ca.crt" "$dest/swarm-node.crt"
  chmod 600 "$dest/swarm-node.key"
  echo "$dest"
}

# inventory FILE DIR1 DIR2 DIR3: hosts node1..node3 on localhost, one certificate directory each.
inventory() {
  local file=$1 i=1 dir
  shift
  {
    echo "all:"
    echo "  vars:"
    echo "    ansible_connection: local"
    echo "    ansible_python_interpreter: $(command -v python3)"
    echo "    swarmpki_bin: $swarmpki"
    echo "    swarmpki_extra_args: ['--at', '$at']"
    echo "  hosts:"
    for dir in "$@"; do
      echo "    node$i:"
      echo "      swarmpki_cert_dirs: ['$dir']"
      i=$((i + 1))
    done
  } >"$file"
}

# play INVENTORY: runs the playbook; output in $tmp/play.out, exit code in $play_rc.
play() {
  play_rc=0
  ANSIBLE_LOCAL_TEMP=$tmp/ansible-local ANSIBLE_REMOTE_TEMP=$tmp/ansible-remote ANSIBLE_NOCOLOR=1 \
    ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_LOCALHOST_WARNING=0 \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
    ansible-playbook -i "$1" "$playbook" >"$tmp/play.out" 2>&1 </dev/null || play_rc=$?
}

check "playbook passes ansible-playbook --syntax-check" \
  ansible-playbook --syntax-check -i localhost, "$playbook"

manager=$(node_copy rotation-complete manager1)
worker=$(node_copy rotation-complete worker1)
later_worker=$(node_copy autolock worker1)

# recap_failed HOST: the failed= count of HOST in the play recap.
recap_failed() {
  awk -v h="$1" '$1 == h && $2 == ":" { for (i = 3; i <= NF; i++) if ($i ~ /^failed=/) print substr($i, 8) }' "$tmp/play.out"
}
# inspect_failed HOST: did the swarmpki task itself fail on HOST (exit >= 2)?
inspect_failed() { grep -q "fatal: \[$1\]: FAILED! => {\"changed\": false, \"cmd\"" "$tmp/play.out"; }

# 1. One swarm, one root: passes.
inventory "$tmp/one-swarm.yml" "$manager" "$worker" "$later_worker"
play "$tmp/one-swarm.yml"
if ((play_rc == 0)) && [[ $(recap_failed node1)$(recap_failed node2)$(recap_failed node3) == 000 ]] &&
   grep -q 'one root digest' "$tmp/play.out" && grep -q 'no critical finding' "$tmp/play.out"; then
  it_ok "audit of three nodes of one swarm passes"
else
  it_fail "audit of three nodes of one swarm passes" "ansible-playbook exit $play_rc"
  indent <"$tmp/play.out"
fi
root_digest=$(sha256sum "$manager/swarm-root-ca.crt" | cut -d' ' -f1)
if grep -Eq "rotation-complete-manager1: ok \| manager [a-z0-9]{25} \| .* \| root $root_digest \| rotation completed" "$tmp/play.out"; then
  it_ok "per-host summary shows role and root digest"
else
  it_fail "per-host summary shows role and root digest" "not in the output"
  indent <"$tmp/play.out"
fi
secrets=no
grep -q 'PRIVATE KEY\|SWMTKN-\|SWMKEY-' "$tmp/play.out" && secrets=yes
grep -qF "$(sed -n 2p "$worker/swarm-node.key" | cut -c1-32)" "$tmp/play.out" && secrets=yes
expect_eq "playbook output carries no key material or token" "$secrets" no

# 2. Another swarm's root in one directory: fails, naming that host.
foreign_dest=$(node_copy rotation-complete worker1 foreign-root-worker1)
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/other-swarm.key" 2>/dev/null
openssl req -x509 -new -key "$tmp/other-swarm.key" -sha256 -days 7300 -subj '/CN=swarm-ca' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
  -out "$foreign_dest/swarm-root-ca.crt" 2>/dev/null
inventory "$tmp/foreign.yml" "$manager" "$foreign_dest" "$later_worker"
play "$tmp/foreign.yml"
if ((play_rc != 0)) && inspect_failed node2 && ! inspect_failed node1 && ! inspect_failed node3; then
  it_ok "audit fails when one directory carries another swarm's root (host node2 failed)"
else
  it_fail "audit fails when one directory carries another swarm's root (host node2 failed)" "ansible-playbook exit $play_rc"
  indent <"$tmp/play.out"
fi
if grep -q 'root digests' "$tmp/play.out"; then
  it_ok "the cross-host check reports two root digests in the cluster"
else
  it_fail "the cross-host check reports two root digests in the cluster" "no 'root digests' message"
  indent <"$tmp/play.out"
fi

# 3. A node left on the pre-rotation root: every host passes alone, the fleet check fails.
stale=$(node_copy worker worker1)
inventory "$tmp/stale.yml" "$manager" "$worker" "$stale"
play "$tmp/stale.yml"
if ((play_rc != 0)) && grep -q 'has 2 root digests' "$tmp/play.out" && grep -q "node3:$stale" "$tmp/play.out" &&
   ! inspect_failed node1 && ! inspect_failed node2 && ! inspect_failed node3; then
  it_ok "audit fails when a node is left on the old root (cluster has 2 root digests)"
else
  it_fail "audit fails when a node is left on the old root (cluster has 2 root digests)" "ansible-playbook exit $play_rc"
  indent <"$tmp/play.out"
fi
