// Chain verification the engine's way.
//
// swarmkit checks a node's chain pairwise, as Go's verifier does: each certificate's issuer name
// equals the next one's subject, its signature verifies under the next one's key, and every
// certificate is valid at the evaluation time, until a certificate verifies under a trust root.
// OpenSSL's X509_verify_cert cannot be used: the engine's cross-signed intermediate has
// subject == issuer == CN=swarm-ca and no AKI, so OpenSSL takes it for a self-signed certificate
// and fails with "self-signed certificate in certificate chain".
#pragma once

#include "swarmpki/certificate.hpp"
#include "swarmpki/time.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace swarmpki {

struct ChainVerification {
    bool verified = false;
    // Indices into `intermediates` in the order used, leaf first excluded.
    std::vector<std::size_t> intermediates_used;
    std::optional<std::size_t> root_index;  // the trust root reached
    // When not verified: the first reason, in operator words.
    std::string failure;
    std::string failure_code;  // stable kebab-case: expired, not-yet-valid, unknown-authority, ...
};

// Validity is checked at `at` for every certificate on the path, the root included.
ChainVerification verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                               std::span<const Certificate> roots, Instant at);

}  // namespace swarmpki
