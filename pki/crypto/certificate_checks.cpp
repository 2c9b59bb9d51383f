#include "certificate_checks.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <ctime>

namespace swarmpki::cert_detail {

std::optional<std::string> insecure_signature_name(const Certificate& cert) {
    switch (X509_get_signature_nid(cert.get0())) {
        case NID_ecdsa_with_SHA1: return "ECDSA-SHA1";
        case NID_sha1WithRSAEncryption: return "SHA1-RSA";
        case NID_md5WithRSAEncryption: return "MD5-RSA";
        case NID_md2WithRSAEncryption: return "MD2-RSA";
        case NID_dsaWithSHA1: return "DSA-SHA1";
        default: return std::nullopt;
    }
}

std::optional<std::string> unsupported_key_parameters(const Certificate& cert) {
    EVP_PKEY* key = X509_get0_pubkey(cert.get0());  // borrowed
    if (key == nullptr) return "certificate key mismatch";
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        BIGNUM* exponent = nullptr;
        bool e_is_one = false;
        if (EVP_PKEY_get_bn_param(key, "e", &exponent) == 1) {
            ossl::UniquePtr<BIGNUM> owned(exponent);
            e_is_one = BN_is_one(owned.get());
        }
        if (EVP_PKEY_get_bits(key) < 2048 || e_is_one) return "unsupported RSA key parameters";
        return std::nullopt;
    }
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
        const std::string& type = cert.key_type();
        if (type != "ecdsa-p256" && type != "ecdsa-p384" && type != "ecdsa-p521")
            return "unsupported ECDSA key parameters";
        return std::nullopt;
    }
    return "unsupported certificate key algorithm " + cert.key_type();
}

bool same_subject_name(const Certificate& a, const Certificate& b) {
    return X509_NAME_cmp(X509_get_subject_name(a.get0()), X509_get_subject_name(b.get0())) == 0;
}

bool leaf_issued_by_name(X509* leaf, const Certificate& issuer) {
    return X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(issuer.get0())) == 0;
}

bool leaf_valid_at(X509* leaf, Instant at) {
    time_t when = static_cast<time_t>(unix_seconds(at));
    return !(X509_cmp_time(X509_get0_notBefore(leaf), &when) > 0 ||
             X509_cmp_time(X509_get0_notAfter(leaf), &when) < 0);
}

int signature_algorithm_nid(const SignedParts& parts) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, parts.algorithm.get());
    return OBJ_obj2nid(oid);
}

}  // namespace swarmpki::cert_detail
