// X.509 building blocks shared by the CA engine's files (root, node, cross-sign). Not public:
// the public API is include/swarmpki/ca.hpp.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "pki/crypto/ca_internal.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "ossl.hpp"
#include "swarmpki/time.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace swarmpki::ca_detail {

// A fresh v3 certificate.
ossl::UniquePtr<X509> new_v3_certificate();
// cfssl's serial: 20 random bytes with the top bit cleared (a leading zero byte shortens it, as
// Go's big.Int does).
void set_random_serial(X509* certificate);
// The same from 20 random bytes the caller drew (the top bit is cleared here), converting through
// `scratch`.
void set_serial_from(X509* certificate, std::array<std::uint8_t, 20> random, BIGNUM* scratch);
// UTCTime before 2050, GeneralizedTime after, as Go writes them.
void set_validity(X509* certificate, Instant not_before, Instant not_after);
// Appends a one-attribute RDN, as a PrintableString when Go would use one, else UTF8String.
void add_name_entry(X509_NAME* name, int nid, const std::string& value);
// A single extension from OpenSSL's config syntax ("critical,CA:TRUE"). `issuer` and `subject`
// are borrowed and may be null.
ossl::UniquePtr<X509_EXTENSION> conf_extension(int nid, const std::string& value,
                                               X509* issuer = nullptr, X509* subject = nullptr);
// Adds the extension; X509_add_ext copies it, so shared prototypes stay untouched.
void add_extension(X509* certificate, X509_EXTENSION* extension);
// SKI by RFC 5280 method 1: SHA-1 over the subjectPublicKey BIT STRING's bytes. Replaces an
// SKI already there in place (a reused leaf), else appends.
void add_subject_key_id(X509* certificate);

}  // namespace swarmpki::ca_detail
