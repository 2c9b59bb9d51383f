// The X.509 facts both certificate readers take from a certificate, decided here once: the full
// reader (Certificate, certificate.cpp), which decodes with OpenSSL's ASN.1 templates, and the
// expiry scan's fast reader (read_cert_facts, expiry_cert_facts.cpp), which frames the DER with
// next_tlv and decodes almost nothing. Whatever both report (names, times, serial, is_ca, key
// identifiers) comes out of the functions below, so the two readers cannot give two answers to
// one question. Each decoder takes the DER of the value as found; the common encodings are read
// in place (no allocation: the fast reader reads 100,000 leaves), anything else goes to
// OpenSSL's own decoder, so both paths agree by construction.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "pki/crypto/x509_facts.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "ossl.hpp"
#include "swarmpki/time.hpp"

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <cstddef>
#include <optional>
#include <string>

namespace swarmpki::x509_facts {

// ---- the DER walker
// ------------------------------------------------------------------------------ One TLV framed
// with ASN1_get_object: its tag, class, content and whole encoding.
struct Tlv {
    int tag = 0, xclass = 0;
    bool constructed = false;
    const unsigned char* start = nullptr;    // first byte of the header
    const unsigned char* content = nullptr;  // first byte of the content
    long length = 0;
    const unsigned char* end() const { return content + length; }
    std::size_t size() const { return static_cast<std::size_t>(end() - start); }
    bool is_universal(int universal_tag) const {
        return xclass == V_ASN1_UNIVERSAL && tag == universal_tag;
    }
};
// The TLV at cursor (which it moves past it); nullopt on a framing error, an indefinite length
// (BER, not DER) or a TLV running past `end`. The error queue is drained.
std::optional<Tlv> next_tlv(const unsigned char*& cursor, const unsigned char* end);

// Is this OBJECT IDENTIFIER TLV the one OpenSSL encodes for nid? (No OBJ lookup, no allocation.)
bool oid_is(const Tlv& oid, int nid);

// ---- names
// --------------------------------------------------------------------------------------- RFC 2253,
// as every output shows a name: X509_NAME_print_ex with XN_FLAG_RFC2253 without escaping bytes over
// 0x7f (UTF-8 stays UTF-8).
std::string name_to_string(const X509_NAME* name);
// The first entry of this type as UTF-8; empty when there is none or it does not convert.
std::string first_entry(const X509_NAME* name, int nid);

// ---- time, serial
// -------------------------------------------------------------------------------- nullopt when
// OpenSSL cannot read the time (a month 13); the error queue is left to the caller.
std::optional<Instant> to_instant(const ASN1_TIME* time);

// The serial number as every output shows it: lowercase hex of the value without leading zeros
// ("0" for zero). A negative serial (RFC 5280 forbids them, some CAs wrote them) reads as
// OpenSSL's BN_bn2hex gives it, lowercased: "-0a". From the INTEGER's TLV, nullopt when OpenSSL
// would not decode it (empty contents, a padding byte too many); or from the INTEGER the full
// reader decoded.
std::optional<std::string> serial_hex(const Tlv& integer);
std::string serial_hex(const ASN1_INTEGER* integer);

// ---- extensions
// ---------------------------------------------------------------------------------- An extension
// that occurs more than once counts as absent (RFC 5280 4.2 allows one of each): what
// X509_get_ext_d2i answers, and OpenSSL's own CA check (which then also marks the certificate
// invalid). Both readers apply it to every extension they read.
const X509_EXTENSION* unique_extension(const STACK_OF(X509_EXTENSION)* extensions, int nid);

// The fast reader's side of the same rule, over the extensions' DER: at most one occurrence of
// each extension kept, the value contents (the DER inside extnValue) of the first occurrence and
// how many there were.
struct ExtensionValue {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
    int occurrences = 0;
    bool unique() const { return occurrences == 1; }
    void saw(const Tlv& value) {
        if (occurrences++ == 0) {
            data = value.content;
            size = static_cast<std::size_t>(value.length);
        }
    }
};

// BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL },
// from the extnValue contents. nullopt when it does not decode (the extension is then absent).
struct BasicConstraints {
    bool ca = false;
    long path_length = -1;  // -1 when absent
};
std::optional<BasicConstraints> read_basic_constraints(const unsigned char* der, std::size_t size);

// SubjectKeyIdentifier ::= OCTET STRING, as lowercase hex; nullopt when it does not decode.
std::optional<std::string> read_subject_key_id(const unsigned char* der, std::size_t size);
// AuthorityKeyIdentifier's keyIdentifier [0], as lowercase hex; nullopt when the extension does
// not decode or names no key identifier.
std::optional<std::string> read_authority_key_id(const unsigned char* der, std::size_t size);

}  // namespace swarmpki::x509_facts
