// Key generation and certificate signing for the CA engine, prepared once and reused.
//
// OpenSSL 3 looks an algorithm up in its provider store every time a context is made from a name
// (EVP_PKEY_Q_keygen, X509_sign with a digest). At ten thousand nodes those lookups, and the lock
// they take, show up next to the elliptic-curve arithmetic; so keygen keeps one EVP_PKEY_CTX and
// signing one EVP_PKEY_sign context and one digest context.
#include "ca_issuing.hpp"
#include "swarmpki/ca.hpp"

#include "certificate_internal.hpp"
#include "swarmpki/error.hpp"

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>

namespace swarmpki {

std::optional<CaKeyType> parse_ca_key_type(std::string_view text) {
    if (text == "ecdsa-p256") return CaKeyType::ecdsa_p256;
    if (text == "ecdsa-p384") return CaKeyType::ecdsa_p384;
    if (text == "rsa-2048") return CaKeyType::rsa_2048;
    if (text == "rsa-3072") return CaKeyType::rsa_3072;
    if (text == "rsa-4096") return CaKeyType::rsa_4096;
    return std::nullopt;
}

const char* to_string(CaKeyType type) {
    switch (type) {
        case CaKeyType::ecdsa_p256: return "ecdsa-p256";
        case CaKeyType::ecdsa_p384: return "ecdsa-p384";
        case CaKeyType::rsa_2048: return "rsa-2048";
        case CaKeyType::rsa_3072: return "rsa-3072";
        case CaKeyType::rsa_4096: return "rsa-4096";
    }
    return "unknown";
}

namespace {

unsigned rsa_bits(CaKeyType type) {
    switch (type) {
        case CaKeyType::rsa_2048: return 2048;
        case CaKeyType::rsa_3072: return 3072;
        case CaKeyType::rsa_4096: return 4096;
        default: return 0;
    }
}

}  // namespace

KeyGenerator::KeyGenerator(CaKeyType type) {
    unsigned bits = rsa_bits(type);
    context_.reset(ossl::check(EVP_PKEY_CTX_new_from_name(nullptr, bits ? "RSA" : "EC", nullptr),
                               "preparing key generation"));
    ossl::check(EVP_PKEY_keygen_init(context_.get()), "preparing key generation");
    if (bits) {
        ossl::check(EVP_PKEY_CTX_set_rsa_keygen_bits(context_.get(), static_cast<int>(bits)),
                    "setting the RSA key size");
    } else {
        const char* group = type == CaKeyType::ecdsa_p384 ? "P-384" : "P-256";
        ossl::check(EVP_PKEY_CTX_set_group_name(context_.get(), group), "choosing the curve");
    }
}

PrivateKey KeyGenerator::generate() {
    EVP_PKEY* key = nullptr;
    ossl::check(EVP_PKEY_generate(context_.get(), &key), "generating a key");
    return PrivateKey(ossl::UniquePtr<EVP_PKEY>(key));
}

const char* default_signature_digest(EVP_PKEY* signing_key) {
    std::string type = describe_key_type(signing_key);
    if (type == "ecdsa-p384") return "SHA384";
    if (type == "ecdsa-p521") return "SHA512";
    if (EVP_PKEY_get_base_id(signing_key) == EVP_PKEY_RSA) {
        int bits = EVP_PKEY_get_bits(signing_key);
        if (bits >= 4096) return "SHA512";
        if (bits >= 3072) return "SHA384";
    }
    return "SHA256";
}

CertificateSigner::CertificateSigner(EVP_PKEY* key, const char* digest_name)
    : signature_buffer_(static_cast<std::size_t>(std::max(EVP_PKEY_get_size(key), 0))) {
    const EVP_MD* digest = ossl::check(EVP_get_digestbyname(digest_name), "looking up the digest");
    // The AlgorithmIdentifier exactly as X509_sign obtains it for a provider key.
    ossl::UniquePtr<EVP_MD_CTX> probe(ossl::check(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    EVP_PKEY_CTX* probe_key_context = nullptr;  // owned by probe
    ossl::check(EVP_DigestSignInit_ex(probe.get(), &probe_key_context, digest_name, nullptr,
                                      nullptr, key, nullptr),
                "preparing to sign");
    std::array<unsigned char, 128> identifier{};
    std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, identifier.data(),
                                          identifier.size()),
        OSSL_PARAM_construct_end()};
    ossl::check(EVP_PKEY_CTX_get_params(probe_key_context, params.data()),
                "reading the signature algorithm identifier");
    const unsigned char* cursor = identifier.data();
    algorithm_.reset(
        ossl::check(d2i_X509_ALGOR(nullptr, &cursor, static_cast<long>(params[0].return_size)),
                    "decoding the signature algorithm identifier"));

    sign_context_.reset(
        ossl::check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr), "preparing to sign"));
    ossl::check(EVP_PKEY_sign_init(sign_context_.get()), "preparing to sign");
    ossl::check(EVP_PKEY_CTX_set_signature_md(sign_context_.get(), digest), "choosing the digest");
    digest_context_.reset(ossl::check(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    // Fetches the digest once; later inits with a null type reuse it.
    ossl::check(EVP_DigestInit_ex2(digest_context_.get(), digest, nullptr), "preparing the digest");
}

CertificateSigner::Signed CertificateSigner::sign_fields(X509* certificate) {
    // OpenSSL exposes a certificate's two signature algorithm fields and its signature only as
    // const; X509_sign writes these same members of the certificate we own.
    const ASN1_BIT_STRING* signature = nullptr;
    const X509_ALGOR* outer_algorithm = nullptr;
    X509_get0_signature(&signature, &outer_algorithm, certificate);
    ossl::check(X509_ALGOR_copy(const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(certificate)),
                                algorithm_.get()),
                "setting the signature algorithm");
    ossl::check(X509_ALGOR_copy(const_cast<X509_ALGOR*>(outer_algorithm), algorithm_.get()),
                "setting the signature algorithm");

    Bytes tbs = ossl::to_der(i2d_re_X509_tbs, certificate, "encoding a certificate");

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_length = 0;
    ossl::check(EVP_DigestInit_ex2(digest_context_.get(), nullptr, nullptr) == 1 &&
                        EVP_DigestUpdate(digest_context_.get(), tbs.data(), tbs.size()) == 1 &&
                        EVP_DigestFinal_ex(digest_context_.get(), digest.data(), &digest_length) ==
                            1
                    ? 1
                    : 0,
                "hashing a certificate");
    std::size_t signature_length = signature_buffer_.size();
    ossl::check(EVP_PKEY_sign(sign_context_.get(), signature_buffer_.data(), &signature_length,
                              digest.data(), digest_length),
                "signing a certificate");
    auto* bits = const_cast<ASN1_BIT_STRING*>(signature);
    ossl::check(ASN1_BIT_STRING_set(bits, signature_buffer_.data(),
                                    static_cast<int>(signature_length)),
                "storing the signature");
    // A whole number of bytes: without this flag the encoder would drop trailing zero bits.
    bits->flags = (bits->flags & ~0x07L) | ASN1_STRING_FLAG_BITS_LEFT;
    return Signed{std::move(tbs), signature, outer_algorithm};
}

void CertificateSigner::sign(X509* certificate) { sign_fields(certificate); }

Bytes CertificateSigner::sign_to_der(X509* certificate) {
    Signed done = sign_fields(certificate);
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, each part
    // written by OpenSSL's own encoders; the TBS bytes are the ones just signed.
    int algorithm_length = ossl::check(i2d_X509_ALGOR(done.algorithm, nullptr),
                                       "encoding a certificate");
    int signature_length = ossl::check(i2d_ASN1_BIT_STRING(done.signature, nullptr),
                                       "encoding a certificate");
    int content = static_cast<int>(done.tbs.size()) + algorithm_length + signature_length;
    Bytes der(static_cast<std::size_t>(ASN1_object_size(1, content, V_ASN1_SEQUENCE)));
    unsigned char* out = der.data();
    ASN1_put_object(&out, 1, content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    out = std::copy(done.tbs.begin(), done.tbs.end(), out);
    i2d_X509_ALGOR(done.algorithm, &out);
    i2d_ASN1_BIT_STRING(done.signature, &out);
    ossl::check(out == der.data() + der.size() ? 1 : 0, "encoding a certificate");
    return der;
}

namespace {

// An EC key's public point for its SubjectPublicKeyInfo BIT STRING: uncompressed, whatever the
// key's own form, as Go's elliptic.Marshal writes it.
Bytes encoded_point(EVP_PKEY* key) {
    Bytes point(133);  // an uncompressed P-521 point, the largest
    std::size_t length = 0;
    ossl::check(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                point.data(), point.size(), &length),
                "reading the public point");
    point.resize(length);
    return point;
}

}  // namespace

void set_certificate_public_key(X509* certificate, EVP_PKEY* key) {
    int curve = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? cert_detail::ec_curve_nid(key)
                                                         : NID_undef;
    if (curve == NID_undef) {
        ossl::check(X509_set_pubkey(certificate, key), "setting the public key");
        return;
    }
    Bytes point = encoded_point(key);
    ossl::Buffer<> owned(static_cast<unsigned char*>(OPENSSL_memdup(point.data(), point.size())));
    ossl::check(owned != nullptr ? 1 : 0, "OPENSSL_memdup");
    ossl::check(X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(certificate),
                                       OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                                       OBJ_nid2obj(curve), owned.get(),
                                       static_cast<int>(point.size())),
                "setting the public key");
    (void)owned.release();  // X509_PUBKEY_set0_param took it on success
}

}  // namespace swarmpki
