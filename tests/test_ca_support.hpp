// DER-level probes shared by the CA and rotation tests: what an extension's bytes and criticality
// are, and a certificate's raw subject and issuer.
#pragma once

#include "swarmpki/certificate.hpp"
#include "swarmpki/encoding.hpp"

#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

namespace swarmpki::test {

inline const X509_EXTENSION* extension_of(const Certificate& c, int nid) {
    int index = X509_get_ext_by_NID(c.get0(), nid, -1);
    return index < 0 ? nullptr : X509_get_ext(c.get0(), index);
}

inline std::string extension_hex(const Certificate& c, int nid) {
    const X509_EXTENSION* ext = extension_of(c, nid);
    if (ext == nullptr) return "absent";
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(ext));
    return hex_encode(ASN1_STRING_get0_data(data),
                      static_cast<std::size_t>(ASN1_STRING_length(data)));
}

inline bool extension_critical(const Certificate& c, int nid) {
    const X509_EXTENSION* ext = extension_of(c, nid);
    return ext != nullptr && X509_EXTENSION_get_critical(ext) == 1;
}

inline std::string name_der_hex(const X509_NAME* name) {
    Bytes der = ossl::to_der(i2d_X509_NAME, name, "encoding a test name");
    std::string hex = hex_encode(der.data(), der.size());
    return hex;
}

inline std::string subject_der_hex(const Certificate& c) {
    return name_der_hex(X509_get_subject_name(c.get0()));
}
inline std::string issuer_der_hex(const Certificate& c) {
    return name_der_hex(X509_get_issuer_name(c.get0()));
}

// cfssl draws 20 random bytes and clears the top bit of the first, so the serial is positive and
// below 2^159. Judge the number, not the stored bytes: OpenSSL keeps the magnitude without DER's
// sign octet, so when the first random byte is zero the next one leads and may have its top bit
// set.
inline bool serial_is_cfssl_shaped(const ASN1_INTEGER* serial) {
    if (ASN1_STRING_type(serial) != V_ASN1_INTEGER) return false;  // V_ASN1_NEG_INTEGER: negative
    ossl::UniquePtr<BIGNUM> value(ASN1_INTEGER_to_BN(serial, nullptr));
    if (value == nullptr) return false;
    bool shaped = !BN_is_zero(value.get()) && BN_num_bits(value.get()) <= 159;
    return shaped;
}
inline bool serial_is_cfssl_shaped(const Certificate& c) {
    return serial_is_cfssl_shaped(X509_get0_serialNumber(c.get0()));
}

}  // namespace swarmpki::test
