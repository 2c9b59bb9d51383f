// Chain verification the engine's way.
//
// swarmkit checks a node's chain pairwise, as Go's verifier does: each certificate's issuer name
// equals the next one's subject, the next one may issue certificates (Go's CheckSignatureFrom:
// BasicConstraints CA:TRUE, keyCertSign when it has a KeyUsage; and its pathLenConstraint), its
// signature verifies under the next one's key, and every certificate is valid at the evaluation
// time, until a certificate verifies under a trust root.
// OpenSSL's X509_verify_cert cannot be used: the engine's cross-signed intermediate has
// subject == issuer == CN=swarm-ca and no AKI, so OpenSSL takes it for a self-signed certificate
// and fails with "self-signed certificate in certificate chain".
//
// The work is bounded whatever a chain holds (a client presents its chain before it is
// authenticated): paths are searched breadth first, each certificate reached once at its
// shortest depth, and each (certificate, issuer key) signature is checked at most once, so at
// most (1 + intermediates) x (distinct issuer keys) signatures, and never more than
// kMaxChainSignatureChecks.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/chain.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/time.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace swarmpki {

// Intermediates beyond which a chain is refused unread (distinct ones; a swarm chain has one),
// the trust roots likewise, the intermediates a path may pass through, and the signatures one
// verification may check.
inline constexpr std::size_t kMaxChainIntermediates = 32;
inline constexpr std::size_t kMaxChainTrustRoots = 32;
inline constexpr std::size_t kMaxChainDepth = 8;
inline constexpr std::size_t kMaxChainSignatureChecks = 64;

struct ChainVerification {
    bool verified = false;
    // Indices into `intermediates` in the order used, leaf first excluded.
    std::vector<std::size_t> intermediates_used;
    std::optional<std::size_t> root_index;  // the trust root reached
    // When not verified: the first reason, in operator words.
    std::string failure;
    // Stable kebab-case: expired, not-yet-valid, unknown-authority, no-trust-root,
    // issuer-not-ca, issuer-key-usage, path-length-exceeded, unsupported-key,
    // too-many-certificates, chain-too-complex.
    std::string failure_code;
    std::size_t signature_checks = 0;  // signatures verified by this search
};

// Validity is checked at `at` for every certificate on the path, the root included.
ChainVerification verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                               std::span<const Certificate> roots, Instant at);

// Why `issuer` may not have signed a certificate that has `intermediates_below` certificates
// between it and the leaf (0 when it signed the leaf itself): the one rule every trust decision
// of the form "X issued Y" goes through.
struct IssuerRefusal {
    std::string code;     // issuer-not-ca, issuer-key-usage, path-length-exceeded, unsupported-key
    std::string problem;  // follows the issuer's name: "is not a CA (BasicConstraints CA:FALSE)"
};
std::optional<IssuerRefusal> issuer_refusal(const Certificate& issuer,
                                            std::size_t intermediates_below);

// `child` names `parent` as its issuer, `parent` may issue it (issuer_refusal) and `parent`'s key
// verifies its signature.
bool issued_by(const Certificate& child, const Certificate& parent,
               std::size_t intermediates_below);

}  // namespace swarmpki
