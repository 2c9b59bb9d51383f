// The few OpenSSL reads the rotation simulator makes on certificates and on the leaves its
// Builder writes, behind plain signatures so that the swarm layer includes no OpenSSL header.
// Moved verbatim from pki/swarm/rotation_desired_root.cpp, rotation_simulator.cpp and
// rotation_leaf_check.cpp. Not public: X509* leaves exist only inside the CA's machinery.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "pki/crypto/certificate_checks.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "certificate_internal.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/time.hpp"

#include <optional>
#include <string>

namespace swarmpki::cert_detail {

// Go's SignatureAlgorithm.String() for the algorithms the engine refuses.
std::optional<std::string> insecure_signature_name(const Certificate& cert);

// ensureCertKeyMatch's parameter rules, on the certificate's public key.
std::optional<std::string> unsupported_key_parameters(const Certificate& cert);

// The two subject names are equal as X509_NAME_cmp compares them (canonical encoding).
bool same_subject_name(const Certificate& a, const Certificate& b);

// A built leaf's issuer name equals `issuer`'s subject name (X509_NAME_cmp).
bool leaf_issued_by_name(X509* leaf, const Certificate& issuer);

// NotBefore <= at <= NotAfter on a built leaf (X509_cmp_time).
bool leaf_valid_at(X509* leaf, Instant at);

// The NID of the outer signature algorithm; 0 (NID_undef) when OpenSSL does not know it.
int signature_algorithm_nid(const SignedParts& parts);

}  // namespace swarmpki::cert_detail
