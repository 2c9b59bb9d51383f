#include "swarmpki/certificate.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>

namespace swarmpki {

namespace {

std::string name_to_string(const X509_NAME* name) {
    ossl::UniquePtr<BIO> bio(ossl::check(BIO_new(BIO_s_mem()), "BIO_new"));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string first_entry(const X509_NAME* name, int nid) {
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) return {};
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) return {};
    std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return out;
}

Instant to_instant(const ASN1_TIME* time) {
    struct tm parts {};
    ossl::check(ASN1_TIME_to_tm(time, &parts), "reading a certificate time");
    std::chrono::year_month_day ymd{std::chrono::year(parts.tm_year + 1900),
                                    std::chrono::month(static_cast<unsigned>(parts.tm_mon + 1)),
                                    std::chrono::day(static_cast<unsigned>(parts.tm_mday))};
    return std::chrono::sys_days(ymd) + std::chrono::hours(parts.tm_hour) +
           std::chrono::minutes(parts.tm_min) + Seconds(parts.tm_sec);
}

std::string octets_hex(const ASN1_OCTET_STRING* octets) {
    return hex_encode(ASN1_STRING_get0_data(octets),
                      static_cast<std::size_t>(ASN1_STRING_length(octets)));
}

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

std::string describe_key_type(EVP_PKEY* key) {
    if (key == nullptr) return "unknown";
    int bits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_EC: {
            char curve[64] = {};
            std::size_t length = 0;
            if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve,
                                               sizeof curve, &length) != 1)
                return "ecdsa";
            std::string group(curve, length);
            if (group == "prime256v1" || group == "P-256") return "ecdsa-p256";
            if (group == "secp384r1" || group == "P-384") return "ecdsa-p384";
            if (group == "secp521r1" || group == "P-521") return "ecdsa-p521";
            if (group == "secp224r1" || group == "P-224") return "ecdsa-p224";
            return "ecdsa-" + group;
        }
        case EVP_PKEY_RSA: return "rsa-" + std::to_string(bits);
        case EVP_PKEY_ED25519: return "ed25519";
        case EVP_PKEY_DSA: return "dsa-" + std::to_string(bits);
        default: return "unknown";
    }
}

Certificate::Certificate(ossl::UniquePtr<X509> handle) : x509_(std::move(handle)) {
    read_fields();
}

Certificate Certificate::from_handle(ossl::UniquePtr<X509> handle) {
    return Certificate(std::move(handle));
}

Certificate Certificate::from_der(const Bytes& der, const std::string& subject_for_errors) {
    const unsigned char* cursor = der.data();
    ossl::UniquePtr<X509> x509(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
    if (!x509) {
        std::string queue = ossl::drain_errors();
        throw Error(subject_for_errors, "not a valid X.509 certificate" +
                                            (queue.empty() ? "" : " (" + queue + ")"),
                    {}, ReadFailure::bad_pem);
    }
    if (cursor != der.data() + der.size())
        throw Error(subject_for_errors, "trailing bytes after the certificate", {},
                    ReadFailure::bad_pem);
    return Certificate(std::move(x509));
}

void Certificate::read_fields() {
    X509* x = x509_.get();
    unsigned char* der_out = nullptr;
    int der_length = ossl::check(i2d_X509(x, &der_out), "encoding a certificate");
    der_.assign(der_out, der_out + der_length);
    OPENSSL_free(der_out);

    const X509_NAME* subject_name = X509_get_subject_name(x);
    const X509_NAME* issuer_name = X509_get_issuer_name(x);
    subject_ = name_to_string(subject_name);
    issuer_ = name_to_string(issuer_name);
    cn_ = first_entry(subject_name, NID_commonName);
    ou_ = first_entry(subject_name, NID_organizationalUnitName);
    o_ = first_entry(subject_name, NID_organizationName);
    issuer_cn_ = first_entry(issuer_name, NID_commonName);

    const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
    ossl::UniquePtr<BIGNUM> serial_bn(ASN1_INTEGER_to_BN(serial, nullptr));
    if (serial_bn) {
        char* hex = BN_bn2hex(serial_bn.get());
        std::string text = lower(hex ? hex : "");
        OPENSSL_free(hex);
        std::size_t first = text.find_first_not_of('0');
        serial_hex_ = first == std::string::npos ? "0" : text.substr(first);
        serial_bytes_ = static_cast<std::size_t>(ASN1_STRING_length(serial));
    }
    not_before_ = to_instant(X509_get0_notBefore(x));
    not_after_ = to_instant(X509_get0_notAfter(x));

    unsigned char* spki = nullptr;
    int spki_length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
    if (spki_length > 0) {
        spki_der_.assign(spki, spki + spki_length);
        OPENSSL_free(spki);
    }
    spki_sha256_ = hex_encode(sha256(spki_der_.data(), spki_der_.size()));
    EVP_PKEY* key = X509_get0_pubkey(x);  // borrowed
    key_type_ = describe_key_type(key);
    key_bits_ = key ? EVP_PKEY_get_bits(key) : 0;
    signature_algorithm_ = OBJ_nid2ln(X509_get_signature_nid(x));

    auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr,
                                                              nullptr));
    if (sans) {
        for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
            if (name->type == GEN_DNS) {
                const ASN1_STRING* dns = name->d.dNSName;
                dns_names_.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                        static_cast<std::size_t>(ASN1_STRING_length(dns)));
            } else {
                ++other_san_count_;
            }
        }
        GENERAL_NAMES_free(sans);
    }

    int critical = 0;
    auto* bc = static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(x, NID_basic_constraints, &critical, nullptr));
    if (bc) {
        has_basic_constraints_ = true;
        basic_constraints_critical_ = critical == 1;
        is_ca_ = bc->ca != 0;
        if (bc->pathlen) path_length_ = ASN1_INTEGER_get(bc->pathlen);
        BASIC_CONSTRAINTS_free(bc);
    }
    std::uint32_t ku = X509_get_key_usage(x);
    if (ku != UINT32_MAX) {
        key_usage_.present = true;
        key_usage_.digital_signature = ku & KU_DIGITAL_SIGNATURE;
        key_usage_.key_encipherment = ku & KU_KEY_ENCIPHERMENT;
        key_usage_.cert_sign = ku & KU_KEY_CERT_SIGN;
        key_usage_.crl_sign = ku & KU_CRL_SIGN;
        int ku_index = X509_get_ext_by_NID(x, NID_key_usage, -1);
        key_usage_.critical = ku_index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, ku_index));
    }
    std::uint32_t xku = X509_get_extended_key_usage(x);
    if (xku != UINT32_MAX) {
        eku_.present = true;
        eku_.server_auth = xku & XKU_SSL_SERVER;
        eku_.client_auth = xku & XKU_SSL_CLIENT;
    }
    if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x)) ski_ = octets_hex(ski);
    if (const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x)) aki_ = octets_hex(aki);
}

std::vector<std::string> Certificate::extension_names() const {
    std::vector<std::string> names;
    for (int i = 0; i < X509_get_ext_count(x509_.get()); ++i) {
        const X509_EXTENSION* ext = X509_get_ext(x509_.get(), i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext)));
        names.emplace_back(nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
    }
    return names;
}

bool Certificate::subject_equals_issuer() const {
    return X509_NAME_cmp(X509_get_subject_name(x509_.get()),
                         X509_get_issuer_name(x509_.get())) == 0;
}

bool Certificate::issued_by_name(const Certificate& parent) const {
    return X509_NAME_cmp(X509_get_issuer_name(x509_.get()),
                         X509_get_subject_name(parent.x509_.get())) == 0;
}

bool Certificate::signature_verified_by(const Certificate& parent) const {
    EVP_PKEY* key = X509_get0_pubkey(parent.x509_.get());  // borrowed
    bool ok = key != nullptr && X509_verify(x509_.get(), key) == 1;
    ossl::drain_errors();  // a failed verify leaves errors we report as a plain "no"
    return ok;
}

std::string Certificate::to_pem() const { return encode_pem("CERTIFICATE", der_); }

std::vector<Certificate> certificates_from_pem(const PemBundle& bundle, const std::string& path) {
    std::vector<Certificate> certs;
    certs.reserve(bundle.blocks.size());
    for (std::size_t i = 0; i < bundle.blocks.size(); ++i) {
        const PemBlock& block = bundle.blocks[i];
        std::string where = "block " + std::to_string(i + 1) + " (line " +
                            std::to_string(block.line) + ")";
        if (block.type != "CERTIFICATE")
            throw Error(path, where + " is a " + block.type + ", expected CERTIFICATE",
                        block.type.find("PRIVATE KEY") != std::string::npos
                            ? "a private key does not belong in a certificate file: remove it"
                            : "the file must hold certificates only",
                        ReadFailure::bad_pem);
        certs.push_back(Certificate::from_der(block.der, path + ": " + where));
    }
    return certs;
}

std::vector<Certificate> load_certificate_file(const std::string& path) {
    std::string text = read_file(path);
    return certificates_from_pem(parse_pem_or_throw(text, path), path);
}

}  // namespace swarmpki
