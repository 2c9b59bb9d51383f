// Key generation and certificate signing for the CA engine, prepared once and reused.
//
// OpenSSL 3 looks an algorithm up in its provider store every time a context is made from a name
// (EVP_PKEY_Q_keygen, X509_sign with a digest). At ten thousand nodes those lookups, and the lock
// they take, show up next to the elliptic-curve arithmetic; so keygen keeps one EVP_PKEY_CTX and
// signing copies one prepared EVP_MD_CTX.
#include "swarmpki/ca.hpp"

#include "swarmpki/error.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

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
    : prepared_(ossl::check(EVP_MD_CTX_new(), "EVP_MD_CTX_new")) {
    ossl::check(EVP_DigestSignInit_ex(prepared_.get(), nullptr, digest_name, nullptr, nullptr,
                                      key, nullptr),
                "preparing the CA signature");
}

void CertificateSigner::sign(X509* certificate) {
    // One-shot signing finalises a context, so each signature works on a copy of the prepared one.
    ossl::UniquePtr<EVP_MD_CTX> work(ossl::check(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    ossl::check(EVP_MD_CTX_copy_ex(work.get(), prepared_.get()), "copying the signing context");
    ossl::check(X509_sign_ctx(certificate, work.get()), "signing a certificate");
}

}  // namespace swarmpki
