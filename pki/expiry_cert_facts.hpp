// The few facts an expiry scan needs from a certificate, read without building an X509.
//
// OpenSSL 3's d2i_X509 decodes the public key through the provider decoder machinery on every
// call, which costs far more than everything else an expiry scan does per file (measured: about
// 10x the rest). A fleet scan reads 100,000 leaves and needs none of their keys as keys, only the
// SHA-256 of their SubjectPublicKeyInfo bytes. So leaves are read here with OpenSSL's own ASN.1
// primitives (ASN1_get_object framing, d2i_X509_NAME, d2i_ASN1_TIME, d2i_X509_EXTENSION) and the
// key is left as bytes. CA certificates, which need signature checks, are parsed in full
// (Certificate), once per distinct DER.
#pragma once

#include "swarmpki/certificate.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/expiry.hpp"
#include "swarmpki/time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace swarmpki::expiry_detail {

struct CertFacts {
    std::string subject, issuer;  // RFC 2253, as Certificate renders them
    std::string cn, ou, o, issuer_cn, serial_hex, spki_sha256;
    Instant not_before{}, not_after{};
    bool is_ca = false;
    std::optional<std::string> subject_key_id, authority_key_id;  // lowercase hex
};

// Issuer names rendered once per distinct issuer DER. A fleet's leaves share a handful of
// issuers, and decoding plus printing a name costs as much as the rest of a leaf; every leaf's
// own subject is still decoded. One per worker (not thread-safe).
class IssuerNameCache {
public:
    struct Names {
        std::string rfc2253, cn;
    };
    const Names* find(std::string_view der) const;
    const Names& add(std::string_view der, Names names);

private:
    static constexpr std::size_t kMaxEntries = 256;
    std::unordered_map<std::string, Names> names_;
};

// nullopt when the DER is not a certificate this reader understands; the caller then lets
// Certificate::from_der produce the precise error. `issuers` may be null (no caching).
std::optional<CertFacts> read_cert_facts(const Bytes& der, IssuerNameCache* issuers = nullptr);

CertFacts facts_of(const Certificate& cert);

// evaluate_certificate on facts (expiry.cpp).
CertExpiry evaluate_facts(const CertFacts& cert, CertKind kind, const ExpiryOptions& options);

}  // namespace swarmpki::expiry_detail
