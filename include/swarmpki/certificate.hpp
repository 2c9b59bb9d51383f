// An X.509 certificate with the facts swarm tooling asks about, parsed once.
//
// Identity is by public key: `public_key_sha256()` is SHA-256 over the DER SubjectPublicKeyInfo.
// Every swarm root is named CN=swarm-ca, and the cross-signed intermediate shares issuer *and*
// serial with the new root, so names and serials never identify a CA here.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/certificate.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/encoding.hpp"
#include "swarmpki/handle.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/time.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace swarmpki {

struct KeyUsage {
    bool digital_signature = false;
    bool key_encipherment = false;
    bool cert_sign = false;
    bool crl_sign = false;
    bool present = false;
    bool critical = false;
};

// The largest key a signature is verified with. A presented certificate chooses its own key, and
// an RSA check costs with the modulus squared and the exponent's length: RSA moduli over this,
// RSA public exponents that are even, below 3 or of 2^32 and above, and any other key type over
// this many bits are refused before anything is verified (the engine's keys are P-256; its
// operators' roots RSA up to 4096 bits with e = 65537).
inline constexpr int kMaxVerificationKeyBits = 8192;
inline constexpr int kMaxRsaExponentBits = 32;

struct ExtendedKeyUsage {
    bool server_auth = false;
    bool client_auth = false;
    bool present = false;
};

class Certificate {
public:
    // Throws swarmpki::Error(subject, ...) on DER that does not parse, has trailing bytes, or holds
    // a field OpenSSL cannot read (a validity time with month 13).
    static Certificate from_der(const Bytes& der, const std::string& subject_for_errors);
    static Certificate from_handle(ossl::UniquePtr<X509> handle);

    // Borrowed. Decoded from der() on first use and shared by copies: OpenSSL 3.0's d2i_X509
    // builds a key decoder for every certificate it reads (~2M instructions), which the fields
    // below do not need. Throws swarmpki::Error if OpenSSL refuses what from_der accepted.
    X509* get0() const;
    // Borrowed; built on first use (EC keys straight from the SPKI point) and shared by copies.
    // nullptr when the key does not decode.
    EVP_PKEY* public_key() const;
    const Bytes& der() const { return der_; }

    const std::string& subject() const { return subject_; }  // RFC 2253: CN=a,OU=b,O=c
    const std::string& issuer() const { return issuer_; }
    const std::string& common_name() const { return cn_; }
    const std::string& organizational_unit() const { return ou_; }
    const std::string& organization() const { return o_; }
    const std::string& issuer_common_name() const { return issuer_cn_; }
    const std::string& serial_hex() const { return serial_hex_; }  // lowercase, no leading zeros
    std::size_t serial_bytes() const { return serial_bytes_; }
    Instant not_before() const { return not_before_; }
    Instant not_after() const { return not_after_; }
    Seconds lifetime() const { return not_after_ - not_before_; }

    const Bytes& spki_der() const { return spki_der_; }
    const std::string& public_key_sha256() const { return spki_sha256_; }
    const std::string& key_type() const { return key_type_; }  // ecdsa-p256, rsa-2048, ...
    int key_bits() const { return key_bits_; }
    // Why this certificate's key is never used to verify a signature (kMaxVerificationKeyBits),
    // in operator words ("RSA key of 16384 bits, over the 8192-bit limit"); nullopt when it may
    // be. Decided when the certificate is parsed, before any signature is checked.
    const std::optional<std::string>& verification_key_problem() const { return key_problem_; }
    const std::string& signature_algorithm() const { return signature_algorithm_; }

    const std::vector<std::string>& dns_names() const { return dns_names_; }
    std::size_t other_san_count() const { return other_san_count_; }
    bool is_ca() const { return is_ca_; }
    bool has_basic_constraints() const { return has_basic_constraints_; }
    bool basic_constraints_critical() const { return basic_constraints_critical_; }
    long path_length() const { return path_length_; }  // -1 when absent
    const KeyUsage& key_usage() const { return key_usage_; }
    const ExtendedKeyUsage& extended_key_usage() const { return eku_; }
    const std::optional<std::string>& subject_key_id() const { return ski_; }
    const std::optional<std::string>& authority_key_id() const { return aki_; }
    std::vector<std::string> extension_names() const;  // short names, in certificate order

    bool subject_equals_issuer() const;
    // Names: this certificate's issuer DN equals `parent`'s subject DN (byte-exact compare).
    bool issued_by_name(const Certificate& parent) const;
    // Signature: this certificate's signature verifies under `parent`'s public key. False without
    // verifying when `parent`'s key has a verification_key_problem().
    bool signature_verified_by(const Certificate& parent) const;
    bool valid_at(Instant at) const { return at >= not_before_ && at <= not_after_; }
    bool same_public_key(const Certificate& other) const {
        return spki_sha256_ == other.spki_sha256_;
    }

    std::string to_pem() const;

private:
    struct Parsed;  // the decoded ASN.1, the lazily decoded X509 and public key (certificate.cpp)
    Certificate(std::shared_ptr<Parsed> parsed, Bytes der);
    void read_fields();
    void read_key_facts();
    void read_extensions();

    std::shared_ptr<Parsed> parsed_;  // shared on copy
    Bytes der_;
    std::string subject_, issuer_, cn_, ou_, o_, issuer_cn_, serial_hex_;
    std::size_t serial_bytes_ = 0;
    Instant not_before_{}, not_after_{};
    Bytes spki_der_;
    std::string spki_sha256_, key_type_, signature_algorithm_;
    int key_bits_ = 0;
    std::optional<std::string> key_problem_;
    std::vector<std::string> dns_names_;
    std::size_t other_san_count_ = 0;
    bool is_ca_ = false, has_basic_constraints_ = false, basic_constraints_critical_ = false;
    long path_length_ = -1;
    KeyUsage key_usage_;
    ExtendedKeyUsage eku_;
    std::optional<std::string> ski_, aki_;
};

// Signatures verified by Certificate::signature_verified_by in this process, from every thread:
// what tests and benchmarks count to show that chain building does bounded work.
std::uint64_t signature_checks_performed();

// "ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519", ...
std::string describe_key_type(EVP_PKEY* key);

// A Name's DER (an issuer subject as the Engine API reports it, base64-decoded) in RFC 2253, the
// way Certificate::subject() renders names; nullopt unless the bytes are exactly one Name.
std::optional<std::string> name_from_der(const Bytes& der);

// Every block must be a CERTIFICATE; throws swarmpki::Error(path, ...) otherwise, naming the
// block ("block 2 is a PRIVATE KEY, expected CERTIFICATE").
std::vector<Certificate> certificates_from_pem(const PemBundle& bundle, const std::string& path);

// The most certificates a chain or trust-root file may hold (swarm-node.crt, swarm-root-ca.crt,
// serve's certificate and client CA files). The engine writes one or two; an external CA may
// append a few intermediates. Every one of them is a candidate in chain building.
inline constexpr std::size_t kMaxChainFileCertificates = 16;

// certificates_from_pem for such a file: throws swarmpki::Error(path, ...) naming the count
// before parsing any when the bundle holds more than kMaxChainFileCertificates blocks.
std::vector<Certificate> chain_certificates_from_pem(const PemBundle& bundle,
                                                     const std::string& path);

// Reads and parses a chain or trust-root file (size-capped, at most kMaxChainFileCertificates).
std::vector<Certificate> load_certificate_file(const std::string& path);

}  // namespace swarmpki
