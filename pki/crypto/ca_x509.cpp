// X.509 building blocks for the CA engine: serials, validity, names and extensions the way Go and
// cfssl write them.
#include "ca_internal.hpp"

#include "swarmpki/encoding.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>

namespace swarmpki::ca_detail {

ossl::UniquePtr<X509> new_v3_certificate() {
    ossl::UniquePtr<X509> certificate(ossl::check(X509_new(), "X509_new"));
    ossl::check(X509_set_version(certificate.get(), X509_VERSION_3), "setting the version");
    return certificate;
}

void set_serial_from(X509* certificate, std::array<std::uint8_t, 20> random, BIGNUM* scratch) {
    random[0] &= 0x7f;
    ossl::check(BN_bin2bn(random.data(), static_cast<int>(random.size()), scratch), "BN_bin2bn");
    ossl::check(BN_to_ASN1_INTEGER(scratch, X509_get_serialNumber(certificate)),
                "setting the serial number");
}

void set_random_serial(X509* certificate) {
    std::array<std::uint8_t, 20> bytes{};
    random_bytes(bytes.data(), bytes.size());
    ossl::UniquePtr<BIGNUM> scratch(ossl::check(BN_new(), "BN_new"));
    set_serial_from(certificate, bytes, scratch.get());
}

void set_validity(X509* certificate, Instant not_before, Instant not_after) {
    ossl::check(ASN1_TIME_set(X509_getm_notBefore(certificate),
                              static_cast<time_t>(unix_seconds(not_before))),
                "setting NotBefore");
    ossl::check(ASN1_TIME_set(X509_getm_notAfter(certificate),
                              static_cast<time_t>(unix_seconds(not_after))),
                "setting NotAfter");
}

namespace {

// encoding/asn1 isPrintable as used when marshalling (no '*' or '&').
bool go_printable(const std::string& value) {
    return std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view(" '()+,-./:=?").find(c) != std::string_view::npos;
    });
}

}  // namespace

void add_name_entry(X509_NAME* name, int nid, const std::string& value) {
    int type = go_printable(value) ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
    ossl::check(X509_NAME_add_entry_by_NID(name, nid, type,
                                           reinterpret_cast<const unsigned char*>(value.data()),
                                           static_cast<int>(value.size()), -1, 0),
                "adding a name attribute");
}

ossl::UniquePtr<X509_EXTENSION> conf_extension(int nid, const std::string& value, X509* issuer,
                                               X509* subject) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, subject, nullptr, nullptr, 0);
    return ossl::UniquePtr<X509_EXTENSION>(
        ossl::check(X509V3_EXT_nconf_nid(nullptr, &context, nid, value.c_str()),
                    "building the " + std::string(OBJ_nid2sn(nid)) + " extension"));
}

void add_extension(X509* certificate, X509_EXTENSION* extension) {
    ossl::check(X509_add_ext(certificate, extension, -1), "adding an extension");
}

void add_subject_key_id(X509* certificate) {
    const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(certificate);
    ossl::check(bits != nullptr ? 1 : 0, "reading the public key bits");
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    ossl::check(SHA1(ASN1_STRING_get0_data(bits),
                     static_cast<std::size_t>(ASN1_STRING_length(bits)), digest.data()) != nullptr
                    ? 1
                    : 0,
                "hashing the public key");
    ossl::UniquePtr<ASN1_STRING> octets(
        ossl::check(ASN1_OCTET_STRING_new(), "ASN1_OCTET_STRING_new"));
    ossl::check(ASN1_OCTET_STRING_set(octets.get(), digest.data(), static_cast<int>(digest.size())),
                "ASN1_OCTET_STRING_set");
    ossl::check(X509_add1_ext_i2d(certificate, NID_subject_key_identifier, octets.get(), 0,
                                  X509V3_ADD_REPLACE),
                "adding the subject key identifier");
}

}  // namespace swarmpki::ca_detail
