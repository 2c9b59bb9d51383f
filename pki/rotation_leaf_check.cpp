// The signature check a node makes on a freshly issued certificate before saving it.
#include "rotation_internal.hpp"

#include "swarmpki/error.hpp"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <array>
#include <optional>

namespace swarmpki::rotation_detail {

namespace {

// The three parts of Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
// signatureValue }, read with OpenSSL's DER reader; `tbs` points into `der`.
struct SignedParts {
    const unsigned char* tbs = nullptr;
    std::size_t tbs_length = 0;
    ossl::UniquePtr<X509_ALGOR> algorithm;
    ossl::UniquePtr<ASN1_STRING> signature;  // a BIT STRING
};

std::optional<SignedParts> split_certificate(const Bytes& der) {
    const unsigned char* cursor = der.data();
    const unsigned char* end = der.data() + der.size();
    long length = 0;
    int tag = 0, type_class = 0;
    int flags = ASN1_get_object(&cursor, &length, &tag, &type_class, static_cast<long>(der.size()));
    if ((flags & 0x80) != 0 || tag != V_ASN1_SEQUENCE || cursor + length != end) return std::nullopt;
    SignedParts parts;
    parts.tbs = cursor;
    flags = ASN1_get_object(&cursor, &length, &tag, &type_class, end - cursor);
    if ((flags & 0x80) != 0 || tag != V_ASN1_SEQUENCE) return std::nullopt;
    cursor += length;
    parts.tbs_length = static_cast<std::size_t>(cursor - parts.tbs);
    parts.algorithm.reset(d2i_X509_ALGOR(nullptr, &cursor, end - cursor));
    if (!parts.algorithm) return std::nullopt;
    parts.signature.reset(d2i_ASN1_BIT_STRING(nullptr, &cursor, end - cursor));
    if (!parts.signature || cursor != end) return std::nullopt;
    return parts;
}

}  // namespace

LeafSignatureCheck::LeafSignatureCheck(const Certificate& issuer) : issuer_(issuer) {}

void LeafSignatureCheck::prepare(int signature_nid) {
    int digest_nid = NID_undef, key_nid = NID_undef;
    const EVP_MD* digest = nullptr;
    if (OBJ_find_sigid_algs(signature_nid, &digest_nid, &key_nid) == 1)
        digest = EVP_get_digestbynid(digest_nid);
    if (digest == nullptr)
        throw Error("a node certificate", "uses a signature algorithm this check does not know",
                    "sign node certificates with ECDSA or RSA PKCS#1 and SHA-2");
    EVP_PKEY* key = ossl::check(X509_get0_pubkey(issuer_.get0()), "reading the issuer's key");
    verify_context_.reset(ossl::check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr),
                                      "preparing to verify"));
    ossl::check(EVP_PKEY_verify_init(verify_context_.get()), "preparing to verify");
    ossl::check(EVP_PKEY_CTX_set_signature_md(verify_context_.get(), digest), "choosing the digest");
    digest_context_.reset(ossl::check(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    // Fetches the digest once; later inits with a null type reuse it.
    ossl::check(EVP_DigestInit_ex2(digest_context_.get(), digest, nullptr), "preparing the digest");
    signature_nid_ = signature_nid;
}

std::string LeafSignatureCheck::refusal(const Bytes& der) {
    std::optional<SignedParts> parts = split_certificate(der);
    ossl::drain_errors();
    if (!parts) return "the certificate's DER does not parse";
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, parts->algorithm.get());
    int signature_nid = OBJ_obj2nid(oid);
    if (signature_nid == NID_undef) return "unknown signature algorithm";
    if (signature_nid != signature_nid_) prepare(signature_nid);

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_length = 0;
    ossl::check(EVP_DigestInit_ex2(digest_context_.get(), nullptr, nullptr) == 1 &&
                        EVP_DigestUpdate(digest_context_.get(), parts->tbs, parts->tbs_length) == 1 &&
                        EVP_DigestFinal_ex(digest_context_.get(), digest.data(), &digest_length) == 1
                    ? 1 : 0,
                "hashing a certificate");
    int verified = EVP_PKEY_verify(verify_context_.get(), ASN1_STRING_get0_data(parts->signature.get()),
                                   static_cast<std::size_t>(ASN1_STRING_length(parts->signature.get())),
                                   digest.data(), digest_length);
    ossl::drain_errors();
    if (verified != 1) return "signature does not verify under the signing certificate's key";
    return {};
}

}  // namespace swarmpki::rotation_detail
