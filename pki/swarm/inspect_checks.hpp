// inspect's internals, shared by the files that make up the evaluation (private to pki/).
//
// inspect_chain.cpp works out what each certificate is and where the node stands in a CA
// rotation, by keys and signatures; inspect_checks.cpp turns facts into findings; inspect.cpp
// puts a NodeReport together.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "pki/swarm/inspect_checks.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/chain.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/node_directory.hpp"

#include <optional>
#include <vector>

namespace swarmpki::inspect_detail {

struct ChainAnalysis {
    std::vector<ChainKind> kinds;              // one per certificate in swarm-node.crt
    const Certificate* leaf_signer = nullptr;  // borrowed: the certificate whose key signed it
    bool leaf_signed_by_trust_root = false;
    RotationState rotation = RotationState::none;
    ChainVerification verification;  // at `now`
    // When the leaf is outside its validity at `now`, the chain checked at a time inside it, so
    // an expired leaf does not hide a chain that would not verify anyway.
    ChainVerification verification_in_validity;
    std::vector<std::size_t> unused_intermediates;  // indices into the chain, not explained
};

ChainAnalysis analyze_chain(const std::vector<Certificate>& chain,
                            const std::vector<Certificate>& roots, Instant now);

// What the key check found out, for the findings.
struct KeyCheck {
    bool loaded = false;
    std::optional<bool> matches;
};

// Each adds its findings to `out`.
void check_leaf_validity(const LeafIdentity& node, Instant now, std::vector<Finding>& out);
// The leaf's lifetime against the configured cert-expiry (renewal_window.hpp's one rule).
void check_lifetime(const LeafIdentity& node, Seconds cert_expiry, std::vector<Finding>& out);
void check_identity(const Certificate& leaf, const LeafIdentity& node, std::vector<Finding>& out);
void check_trust_roots(const CertificateFile& root_file, Instant now, std::vector<Finding>& out);
void check_chain(const ChainAnalysis& analysis, std::vector<Finding>& out);
void check_key(const CertificatesDirectory& dir, const KeyReport& key, const LeafIdentity* node,
               bool unlock_key_given, std::vector<Finding>& out);
void check_files(const CertificatesDirectory& dir, std::vector<Finding>& out);
void check_legacy_root_key(const LegacyRootKeyFile& legacy, const std::vector<Certificate>* roots,
                           std::vector<Finding>& out);
// A CA directory (node_files.hpp): said to be one, with whether its key fits its root, instead
// of a node's missing certificate and key.
void check_ca_directory(const CertificatesDirectory& dir, const std::vector<Certificate>* roots,
                        std::vector<Finding>& out);
void check_token(const TokenReport& token, std::vector<Finding>& out);

}  // namespace swarmpki::inspect_detail
