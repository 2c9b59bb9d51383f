// DER-level probes shared by the CA and rotation tests: what an extension's bytes and criticality
// are, and a certificate's raw subject and issuer.
#pragma once

#include "swarmpki/certificate.hpp"
#include "swarmpki/encoding.hpp"

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
    return hex_encode(ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data)));
}

inline bool extension_critical(const Certificate& c, int nid) {
    const X509_EXTENSION* ext = extension_of(c, nid);
    return ext != nullptr && X509_EXTENSION_get_critical(ext) == 1;
}

inline std::string name_der_hex(const X509_NAME* name) {
    unsigned char* der = nullptr;
    int length = i2d_X509_NAME(name, &der);
    std::string hex = hex_encode(der, static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return hex;
}

inline std::string subject_der_hex(const Certificate& c) {
    return name_der_hex(X509_get_subject_name(c.get0()));
}
inline std::string issuer_der_hex(const Certificate& c) {
    return name_der_hex(X509_get_issuer_name(c.get0()));
}

// The first byte of a 20-byte serial has its top bit clear (cfssl's rule).
inline bool serial_top_bit_clear(const Certificate& c) {
    const ASN1_INTEGER* serial = X509_get0_serialNumber(c.get0());
    return ASN1_STRING_length(serial) <= 20 && (ASN1_STRING_get0_data(serial)[0] & 0x80) == 0;
}

}  // namespace swarmpki::test
