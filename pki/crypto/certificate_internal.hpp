// What certificate.cpp shares with the rest of the PKI core (private_key.cpp, ca_keys.cpp,
// rotation_leaf_check.cpp), defined there: the named curves whose keys are built from their
// encoded parts, and certificate signature checks over the TBS bytes as received. Not public:
// these are the shortcuts around OpenSSL 3.0's per-object decoder and context set-up costs.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "pki/crypto/certificate_internal.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "ossl.hpp"
#include "swarmpki/encoding.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace swarmpki::cert_detail {

// ---- named curves ------------------------------------------------------------------------------
struct NamedCurve {
    int nid;
    const char* key_type;  // describe_key_type's name: "ecdsa-p256"
    int bits;
    std::size_t field_bytes;
};

// The curve of `nid` if it is one we build keys for directly (P-256, P-384, P-521, P-224), else
// nullptr: other curves go through OpenSSL's decoders.
const NamedCurve* named_curve(int nid);
// The NID of an EC key's named group ("prime256v1" or "P-256"), NID_undef when it has none.
int ec_curve_nid(EVP_PKEY* key);

// An EC key from its curve, its encoded public point and, for a key pair, its private scalar
// (big-endian bytes, as SEC1 stores it). The key keeps the point's form, compressed or not, as a
// decoded key does, so it re-encodes to the same bytes. nullptr when the point is not an
// uncompressed or compressed point of the curve's size, or OpenSSL refuses it (EVP_PKEY_fromdata
// checks that the point lies on the curve); the error queue is drained.
struct EcKeyParts {
    const unsigned char* point = nullptr;
    std::size_t point_length = 0;
    const unsigned char* scalar = nullptr;  // nullptr: a public key only
    std::size_t scalar_length = 0;
};
ossl::UniquePtr<EVP_PKEY> ec_key_from_parts(const NamedCurve& curve, const EcKeyParts& parts);

// ---- certificate signatures --------------------------------------------------------------------
// What a signature check reads from a certificate; all borrowed. `tbs` points into the DER.
struct SignedView {
    const unsigned char* tbs = nullptr;  // the TBSCertificate's bytes, as signed
    std::size_t tbs_length = 0;
    const X509_ALGOR* inner_algorithm = nullptr;  // TBSCertificate.signature
    const X509_ALGOR* algorithm = nullptr;        // Certificate.signatureAlgorithm
    const ASN1_BIT_STRING* signature = nullptr;
};

// The same read straight from DER with OpenSSL's DER reader, without decoding the rest of the
// certificate (names, extensions, key). Owns the decoded fields; `view.tbs` points into the DER.
struct SignedParts {
    SignedView view;
    ossl::UniquePtr<X509_ALGOR> inner_algorithm, algorithm;
    ossl::UniquePtr<ASN1_STRING> signature;  // a BIT STRING
};
// nullopt when the DER is not a certificate's three-part SEQUENCE (the error queue is drained).
std::optional<SignedParts> read_signed_parts(const Bytes& der);

// A signature algorithm that is a digest plus a key type (ECDSA, RSA PKCS#1 v1.5, DSA). RSA-PSS
// and EdDSA have no such pair and are left to X509_verify.
struct PlainAlgorithm {
    int nid = 0;
    int digest_nid = 0;
    int key_nid = 0;
};
std::optional<PlainAlgorithm> plain_algorithm(const X509_ALGOR* algorithm);
std::optional<PlainAlgorithm> plain_algorithm(int signature_nid);

// A verification for one key and one algorithm, prepared once and reusable for any number of
// certificates: an EVP_PKEY_verify context with the digest set (it holds a reference to the key),
// and a digest context with the digest fetched. X509_verify instead fetches and sets up a
// DigestVerify context, and re-encodes the TBS, for every certificate. False (error queue
// drained) when OpenSSL cannot set it up for this key and algorithm.
bool prepare_verify(EVP_PKEY* key, const PlainAlgorithm& algorithm,
                    ossl::UniquePtr<EVP_PKEY_CTX>& verify, ossl::UniquePtr<EVP_MD_CTX>& digest);

enum class Verdict { verified, algorithms_disagree, wrong_key_type, bad_signature };

// What X509_verify checks, over the TBS bytes as received, with contexts from prepare_verify for
// `algorithm` (the one `signed_view.algorithm` names): both algorithm fields agree, the key is of
// the algorithm's type, the signature is whole bytes and verifies. The error queue is drained.
// Throws ossl::Error only when hashing fails.
Verdict verify_prepared(EVP_PKEY_CTX* verify, EVP_MD_CTX* digest, const PlainAlgorithm& algorithm,
                        const SignedView& signed_view);

// The verdict in words, for a refusal ("signature does not verify ...").
std::string describe(Verdict verdict);

}  // namespace swarmpki::cert_detail
