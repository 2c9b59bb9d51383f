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
#include <openssl/objects.h>
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
    : key_(key), digest_(ossl::check(EVP_get_digestbyname(digest_name), "looking up the digest")) {}

void CertificateSigner::sign(X509* certificate) {
    ossl::check(X509_sign(certificate, key_, digest_), "signing a certificate");
}

namespace {

int curve_nid(EVP_PKEY* key) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &length) != 1)
        return NID_undef;
    return OBJ_sn2nid(group);
}

}  // namespace

Bytes public_key_bits(EVP_PKEY* key) {
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
        Bytes point(133);
        std::size_t length = 0;
        ossl::check(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                    point.data(), point.size(), &length),
                    "reading the public point");
        point.resize(length);
        return point;
    }
    ossl::UniquePtr<X509> scratch(ossl::check(X509_new(), "X509_new"));
    ossl::check(X509_set_pubkey(scratch.get(), key), "encoding a public key");
    const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(scratch.get());
    const unsigned char* data = ASN1_STRING_get0_data(bits);
    return Bytes(data, data + ASN1_STRING_length(bits));
}

void set_certificate_public_key(X509* certificate, EVP_PKEY* key) {
    int curve = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? curve_nid(key) : NID_undef;
    if (curve == NID_undef) {
        ossl::check(X509_set_pubkey(certificate, key), "setting the public key");
        return;
    }
    Bytes point = public_key_bits(key);
    auto* owned = static_cast<unsigned char*>(OPENSSL_memdup(point.data(), point.size()));
    ossl::check(owned != nullptr ? 1 : 0, "OPENSSL_memdup");
    if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(certificate),
                               OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                               OBJ_nid2obj(curve), owned, static_cast<int>(point.size())) != 1) {
        OPENSSL_free(owned);
        throw ossl::Error("setting the public key");
    }
}

}  // namespace swarmpki
