// Would node A accept node B in mutual TLS, and B accept A?
//
// In a swarm connection the dialling side presents its swarm-node.crt as a client certificate
// and the listening side presents its own as a server certificate; each side verifies the
// other's chain (leaf plus the intermediates it presents) against its own swarm-root-ca.crt,
// the engine's way (pairwise names and signatures, validity at `at`: chain.hpp), and checks the
// leaf's extended key usage (clientAuth for the dialler, serverAuth for the listener). Dialers
// name a manager "swarm-manager", so a listening manager's certificate must carry that DNS name.
// Both roles are checked each way: four checks per pair, from one chain verification each way.
//
// A refusal is explained in operator words: a different swarm (the root keys differ), an expired
// or not-yet-valid certificate, a node still on the old root after a rotation, or a chain that
// needs an intermediate it does not carry.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "swarmpki/peer_verify.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/chain.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/renewal.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace swarmpki {

// What a node presents and trusts, read from its certificate directory.
struct PeerMaterial {
    std::string dir;
    std::vector<Certificate> chain;  // swarm-node.crt: leaf first
    std::vector<Certificate> roots;  // swarm-root-ca.crt
    std::string root_file_sha256;
    // node_identity.hpp's: cluster_id without a "FIPS." prefix, which `fips` reports; all null
    // when the leaf's OU is not a swarm role.
    std::optional<std::string> node_id, role, cluster_id;
    std::optional<bool> fips;
    // The file `chain` came from: swarm-node.crt, or .swarm-node.crt while a renewal is in
    // flight; and what the directory reader made of a .swarm-node.crt (renewal.hpp).
    std::string certificate_file = kNodeCertFile;
    PendingCertificate renewal = PendingCertificate::absent;
};

// Reads the node directory through read_node_directory: swarm-node.crt (or the .swarm-node.crt
// the engine is moving into place) and swarm-root-ca.crt; the key only to tell which certificate
// the node uses, in memory. Throws swarmpki::Error naming the file and the remedy.
PeerMaterial load_peer_material(const std::string& dir);

enum class TlsRole { client, server };
std::string_view to_string(TlsRole role);

// One side verifying the other's certificate presented in one TLS role.
struct PeerCheck {
    std::string verifier;   // directory of the side verifying
    std::string presenter;  // directory of the side presenting
    TlsRole presenter_role = TlsRole::client;
    bool accepted = false;
    // Stable kebab-case when refused: different-swarm, old-root, missing-intermediate, expired,
    // not-yet-valid, wrong-usage, wrong-name, and verify_chain's issuer-not-ca, issuer-key-usage,
    // path-length-exceeded, unsupported-key, too-many-certificates, chain-too-complex; empty
    // when accepted.
    std::string code;
    std::string reason;             // operator words; empty when accepted
    std::vector<std::string> path;  // subjects from the leaf to the trust root, when accepted
};

struct PeerVerdict {
    std::string dir, peer_dir;
    std::vector<PeerCheck> checks;  // A verifies B as client, as server; B verifies A likewise
    bool accepted = false;          // all four checks pass
    Severity severity = Severity::ok;
};

PeerVerdict verify_peers(const PeerMaterial& a, const PeerMaterial& b, Instant at);

// One verifier judging one presenter's chain, in both TLS roles. The chain's verdict and the
// diagnosis of a refusal depend on neither role, so each is computed once per direction; the
// roles differ only in the leaf's extended key usage (and a listening manager's DNS name).
struct DirectionCheck {
    PeerCheck as_client, as_server;
    // Chain verifications and signature checks run to diagnose a refusal (none when the chain
    // verified or was refused for its validity period); the chain's own verification is not in it.
    std::size_t diagnosis_verifications = 0;
};

// Verifies the presenter's chain against the verifier's roots and judges it in both roles.
DirectionCheck check_presented_chain(const PeerMaterial& verifier, const PeerMaterial& presenter,
                                     Instant at);
// The same from the chain's verdict already computed: `chain` must be verify_chain(presenter's
// leaf, presenter's intermediates, verifier.roots, at). The verdict depends on the verifier only
// through its roots, so a caller judging one presenter for several verifiers that trust the same
// roots verifies its signatures once (the rotation simulator).
DirectionCheck judge_presented_chain(const PeerMaterial& verifier, const PeerMaterial& presenter,
                                     Instant at, const ChainVerification& result);

// A pair's verdict from its two directions: `a` judging `b`, then `b` judging `a`.
PeerVerdict peer_verdict(const PeerMaterial& a, const PeerMaterial& b, DirectionCheck a_judges_b,
                         DirectionCheck b_judges_a);

}  // namespace swarmpki
