// The CA engine's performance machinery on raw OpenSSL handles: a signer prepared once per key,
// and the per-thread leaf builder. Not public (include/swarmpki/ca.hpp is): callers outside the
// crypto layer use them only through the rotation simulator and the CA's own entry points.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "pki/crypto/ca_issuing.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "ossl.hpp"
#include "swarmpki/ca.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>

namespace swarmpki {

// Signs certificates with one key and digest, everything that does not depend on the certificate
// prepared once: the signature context (EVP_PKEY_sign, initialised once, as `openssl speed` signs),
// the digest (fetched once) and the AlgorithmIdentifier the provider gives for key + digest (what
// X509_sign writes). X509_sign instead fetches, initialises and duplicates a DigestSign context for
// every certificate, and the TBS is encoded again by every later i2d_X509; together that cost
// about as much as the ECDSA signature itself. Not thread-safe: one per thread.
class CertificateSigner {
public:
    CertificateSigner(EVP_PKEY* key, const char* digest_name);  // key borrowed; must outlive this
    // Sets both signature algorithm fields and the signature, as X509_sign does.
    void sign(X509* certificate);
    // The same, and returns the signed certificate's DER (equal to i2d_X509 of it afterwards)
    // from the TBS bytes it just signed, without encoding the TBS a second time.
    Bytes sign_to_der(X509* certificate);

private:
    struct Signed {
        Bytes tbs;                         // DER of the TBSCertificate that was signed
        const ASN1_BIT_STRING* signature;  // borrowed from the certificate
        const X509_ALGOR* algorithm;       // borrowed from the certificate
    };
    Signed sign_fields(X509* certificate);

    ossl::UniquePtr<EVP_PKEY_CTX> sign_context_;  // holds a reference to the key
    ossl::UniquePtr<EVP_MD_CTX> digest_context_;
    ossl::UniquePtr<X509_ALGOR> algorithm_;
    Bytes signature_buffer_;
};

// Sets a certificate's public key. For EC keys the SubjectPublicKeyInfo is built from the encoded
// point and the curve OID directly: OpenSSL 3.0's generic path (X509_set_pubkey) runs the
// provider encoder machinery and costs ten times an ECDSA signature.
void set_certificate_public_key(X509* certificate, EVP_PKEY* key);

// Builds one thread's leaves in a single X509 that it rewrites for each node: the version,
// issuer name and the extensions that never change (KU, EKU, BC, AKI) stay from the first
// leaf; each leaf sets its serial, validity, subject, public key, SKI and SAN. A fresh X509 per
// leaf would copy five extensions and the issuer name again, and parse the SAN from config
// text; that cost as much as half a signature. Not thread-safe.
class NodeCertificateIssuer::Builder {
public:
    explicit Builder(const NodeCertificateIssuer& issuer);  // borrowed; must outlive this
    // The unsigned leaf: subject O=cluster, OU=role, CN=node (Go's order), SANs [OU, CN]
    // (+ swarm-ca for managers), KU digitalSignature|keyEncipherment critical, EKU
    // serverAuth+clientAuth, BC CA:FALSE critical, SKI, AKI = the signer's SKI (Go's
    // extension order: KU, EKU, BC, SKI, AKI, SAN); NotBefore = round(now) - 1h, NotAfter =
    // round(now) + expiry. `node_public_key` is borrowed. The certificate is borrowed and
    // stays as it is (sign it, read it) until the next build. Its public key is not decoded
    // (X509_get0_pubkey gives null) until its DER is parsed again.
    X509* build(const NodeIdentity& node, EVP_PKEY* node_public_key, Instant now);

private:
    void set_serial();
    void set_subject(const NodeIdentity& node);
    void set_alt_names(const NodeIdentity& node);

    const NodeCertificateIssuer& issuer_;
    ossl::UniquePtr<X509> leaf_;
    ossl::UniquePtr<BIGNUM> serial_scratch_;
    // Random bytes for serials, drawn from the CSPRNG 32 serials at a time.
    std::array<std::uint8_t, 20 * 32> serial_random_{};
    std::size_t serial_random_used_ = serial_random_.size();
    std::string organization_, unit_;  // of the subject in leaf_, to keep when unchanged
    std::optional<Instant> issued_;    // the rounded time leaf_'s validity was set from
    // The SAN list of the last role built, whose node-ID entry is rewritten for each leaf,
    // and its DER.
    ossl::UniquePtr<stack_st_GENERAL_NAME> alt_names_;
    std::optional<NodeRole> alt_names_role_;
    Bytes alt_names_der_;
    bool primed_ = false;  // the constant extensions are in leaf_
};

}  // namespace swarmpki
