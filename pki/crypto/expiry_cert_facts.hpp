// The few facts an expiry scan needs from a certificate, read without building an X509.
//
// OpenSSL 3's d2i_X509 decodes the public key through the provider decoder machinery on every
// call, which costs far more than everything else an expiry scan does per file (measured: about
// 10x the rest). A fleet scan reads 100,000 leaves and needs none of their keys as keys, only the
// SHA-256 of their SubjectPublicKeyInfo bytes. So leaves are read here with OpenSSL's own ASN.1
// primitives (ASN1_get_object framing, d2i_X509_NAME for a name that is not plain, d2i_ASN1_TIME)
// and the key is left as bytes. Every fact it shares with Certificate is decided by
// x509_facts.hpp, the helpers both readers use. CA certificates, which need signature checks, are
// parsed in full (Certificate), once per distinct DER.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "pki/crypto/expiry_cert_facts.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "ossl.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/time.hpp"
#include "x509_facts.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace swarmpki::expiry_detail {

// The DER walker both certificate readers share (x509_facts.hpp).
using x509_facts::next_tlv;
using x509_facts::Tlv;

// What the expiry facts need from a Name: the RFC 2253 string as Certificate renders it
// (X509_NAME_print_ex with XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) and the first CN, OU, O.
struct NameFacts {
    std::string rfc2253, cn, ou, o;
};

// The fast path, from the Name's DER (the whole SEQUENCE TLV) without building an X509_NAME:
// every attribute must be plain, i.e. a type OpenSSL prints by a short name (CN, OU, O, C, ST,
// L, DC, emailAddress, serialNumber) whose value is a UTF8String, PrintableString or IA5String
// of printable ASCII that RFC 2253 does not escape (no `,+"\<>;`, no leading '#' or space, no
// trailing space), in well-formed non-empty RDNs. Then the string is the attributes in reverse
// order, "SN=value", joined by ',' between RDNs and '+' inside a multi-valued one: exactly what
// X509_NAME_print_ex writes. nullopt for anything else (the caller then decodes and prints the
// name with OpenSSL, which escapes, converts and dumps as it always has).
std::optional<NameFacts> read_plain_name(const unsigned char* der, std::size_t size);

// A file of CERTIFICATE blocks exactly as the engine (and `openssl x509`) writes it: each block
// "-----BEGIN CERTIFICATE-----" LF, base64 lines, "-----END CERTIFICATE-----" LF, and nothing
// else. Decodes every block's DER into `out` (cleared first) with its BEGIN line number and
// returns true; false for anything else (CRLF, headers, blank lines, other block types, text
// around the blocks, bad base64), for which the caller uses parse_pem, whose result for such
// files this one equals (a test compares them). It skips parse_pem's line splitting, copies and
// validation passes, which cost a tenth of a leaf's instructions.
struct CertificateBlock {
    Bytes der;
    std::size_t line = 0;  // 1-based line of the BEGIN marker
};
bool decode_plain_certificates(std::string_view text, std::vector<CertificateBlock>& out);

// SHA-256 through one digest context that is initialised once and reused: EVP_Digest fetches
// the algorithm again on every call, which costs more than hashing a key. Not thread-safe: one
// per worker.
class Sha256Hasher {
public:
    Sha256Hasher();
    Sha256 digest(const std::uint8_t* data, std::size_t size);
    std::string hex(const std::uint8_t* data, std::size_t size) {
        return hex_encode(digest(data, size));
    }
    std::string hex(std::string_view bytes) {
        return hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }

private:
    ossl::UniquePtr<EVP_MD_CTX> context_;
};

struct CertFacts {
    std::string subject, issuer;  // RFC 2253, as Certificate renders them
    std::string cn, ou, o, issuer_cn, serial_hex, spki_sha256;
    Instant not_before{}, not_after{};
    bool is_ca = false;
    std::optional<std::string> subject_key_id, authority_key_id;  // lowercase hex
};

// Issuer names rendered once per distinct issuer DER. A fleet's leaves share a handful of
// issuers, and decoding plus printing a name costs as much as the rest of a leaf; every leaf's
// own subject is still decoded. One per worker (not thread-safe).
class IssuerNameCache {
public:
    struct Names {
        std::string rfc2253, cn;
    };
    const Names* find(std::string_view der) const;
    const Names& add(std::string_view der, Names names);

private:
    // Hashes and compares a lookup's string_view as it is: no string a leaf.
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view der) const {
            return std::hash<std::string_view>{}(der);
        }
    };
    static constexpr std::size_t kMaxEntries = 256;
    std::unordered_map<std::string, Names, Hash, std::equal_to<>> names_;
};

// What one worker keeps between certificates. Not thread-safe.
struct FactsScratch {
    IssuerNameCache issuers;
    Sha256Hasher hasher;
};

// nullopt when the DER is not a certificate this reader understands; the caller then lets
// Certificate::from_der produce the precise error. Without scratch, nothing is cached.
std::optional<CertFacts> read_cert_facts(const Bytes& der, FactsScratch* scratch = nullptr);

CertFacts facts_of(const Certificate& cert);

}  // namespace swarmpki::expiry_detail
