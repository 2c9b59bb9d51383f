// A certificate authority that issues exactly what Docker Swarm's engine issues.
//
// The engine builds its root with cfssl's `initca` and signs node certificates with cfssl's local
// signer and Go's x509.CreateCertificate (DOMAIN.md sections 2, 3 and 5.3). Tools, tests and the
// rotation simulator need certificates that are indistinguishable from the engine's in every field
// a verifier or an operator looks at: extension set, order and criticality, key usage bits, SAN
// order, subject attribute order and string types, validity arithmetic, serial size, SKI/AKI.
// The profile constants below are the engine's own.
//
// Everything that signs takes the instant as a parameter; the library never reads the clock.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/ca.hpp is crypto layer (2); the util layer may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/handle.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/renewal_window.hpp"  // kNodeCertBackdate
#include "swarmpki/time.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

// ---- profile constants (swarmkit ca/config.go, ca/certificates.go) ----------------------------
inline constexpr const char* kDefaultRootCommonName = "swarm-ca";  // DefaultRootCN, CARole
inline constexpr Seconds kRootLifetime{630'720'000};               // RootCAExpiration
inline constexpr Seconds kRootBackdate{5 * 60};                    // cfssl's default backdate
inline constexpr Seconds kDefaultNodeCertExpiry{2160 * 3600};      // DefaultNodeCertExpiration
inline constexpr Seconds kMinNodeCertExpiry{3600};                 // MinNodeCertExpiration
inline constexpr std::size_t kEngineIdLength = 25;                 // identity.NewID

// File names in a CA directory (`ca init`); a node directory's are in node_files.hpp, and a CA
// directory shares kRootCertFile and kRootKeyFile with them.
inline constexpr const char* kCrossSignedFile = "swarm-cross-signed-ca.crt";

// ---- keys ------------------------------------------------------------------------------------
enum class CaKeyType { ecdsa_p256, ecdsa_p384, rsa_2048, rsa_3072, rsa_4096 };

std::optional<CaKeyType> parse_ca_key_type(std::string_view text);
const char* to_string(CaKeyType type);

// Generates keys of one type through one prepared EVP_PKEY_CTX, so repeated generation does no
// algorithm lookups. Not thread-safe: one generator per thread.
class KeyGenerator {
public:
    explicit KeyGenerator(CaKeyType type = CaKeyType::ecdsa_p256);
    PrivateKey generate();

private:
    ossl::UniquePtr<EVP_PKEY_CTX> context_;
};

// The digest cfssl's DefaultSigAlgo picks for a signing key: P-256 SHA-256, P-384 SHA-384,
// P-521 SHA-512, RSA >= 4096 bits SHA-512, >= 3072 SHA-384, otherwise SHA-256.
// Returns the OpenSSL digest name ("SHA256").
const char* default_signature_digest(EVP_PKEY* signing_key);

// CertificateSigner (one key and digest, prepared once) and set_certificate_public_key are the
// CA's performance machinery on raw OpenSSL handles: internal, in pki/crypto/ca_issuing.hpp.
class CertificateSigner;

// ---- identifiers -----------------------------------------------------------------------------
// identity.NewID: 17 bytes with the top bit set, written in base 36, characters [1:26].
std::string engine_id_from_entropy(const std::array<std::uint8_t, 17>& entropy);
std::string new_engine_id();  // from the CSPRNG
bool looks_like_engine_id(std::string_view text);

// ---- roots -----------------------------------------------------------------------------------
struct RootOptions {
    CaKeyType key_type = CaKeyType::ecdsa_p256;
    std::string common_name = kDefaultRootCommonName;
    Seconds lifetime = kRootLifetime;
};

struct RootCa {
    Certificate certificate;
    PrivateKey key;
};

// Go's time.Round(time.Minute) on whole seconds: half a minute rounds up.
Instant round_to_minute(Instant at);

// A self-signed root with the engine's profile: NotBefore = round(now) - 5 min, NotAfter =
// NotBefore + lifetime; KU certSign|cRLSign critical, BC CA critical without a path length, SKI =
// SHA-1 of the public key bits, no AKI, a 20-byte random serial with the top bit clear.
RootCa create_root(const RootOptions& options, Instant now);
// The same with a key the caller already has (tests, operator roots).
Certificate create_root_certificate(const PrivateKey& key, const std::string& common_name,
                                    Seconds lifetime, Instant now);
// A root like `model` (its exact subject Name, NotBefore and NotAfter) with a fresh key of
// `key_type` and the engine's profile: a stand-in for a root whose key is not at hand (the
// Engine API never gives out the trust root's key), for `rotate simulate --engine`.
RootCa create_stand_in_root(const Certificate& model, CaKeyType key_type);

// ---- node certificates -----------------------------------------------------------------------
enum class NodeRole { manager, worker };

std::optional<NodeRole> parse_node_role(std::string_view text);  // "manager" | "worker"
const char* to_string(NodeRole role);                            // "manager" | "worker"
const char* organizational_unit(NodeRole role);                  // "swarm-manager" | ...

struct NodeIdentity {
    std::string node_id;
    NodeRole role = NodeRole::worker;
    std::string cluster_id;
};

// The engine's check on --cert-expiry (controlapi validateClusterSpec). Throws
// swarmpki::Error(subject, "minimum certificate expiry time is: 1h0m0s", remedy).
void check_node_cert_expiry(Seconds expiry, const std::string& subject = "--cert-expiry");

// Node and cluster IDs become DNS SANs and DN attributes: letters, digits, '.', '-', '_' only.
// Throws swarmpki::Error(subject, ...) otherwise.
void check_identifier(std::string_view id, const std::string& subject);

// Issues node certificates for one signing certificate and key: the root, or during a rotation
// the cross-signed intermediate with the new root's key. Everything that is the same for every
// leaf (issuer name, KU, EKU, BC, AKI, digest) is built once; the issuer is const and shared by
// threads, each thread building with its own Builder and signing with its own CertificateSigner
// (`make_signer`).
class NodeCertificateIssuer {
public:
    NodeCertificateIssuer(const Certificate& signing_certificate, const PrivateKey& signing_key,
                          Seconds cert_expiry);

    // Builds one thread's leaves in a single X509 it rewrites: internal
    // (pki/crypto/ca_issuing.hpp).
    class Builder;

    CertificateSigner make_signer() const;
    // One leaf through a Builder of its own, signed by `signer`; an independent copy. For one-off
    // issuing; loops should keep a Builder.
    ossl::UniquePtr<X509> issue(const NodeIdentity& node, EVP_PKEY* node_public_key, Instant now,
                                CertificateSigner& signer) const;
    // The same, with the IDs checked (check_identifier) and the result parsed.
    Certificate issue(const NodeIdentity& node, EVP_PKEY* node_public_key, Instant now) const;

    const Certificate& signing_certificate() const { return signing_certificate_; }
    EVP_PKEY* signing_key() const { return signing_key_; }  // borrowed
    Seconds cert_expiry() const { return cert_expiry_; }

private:
    Certificate signing_certificate_;
    EVP_PKEY* signing_key_;  // borrowed from the caller's PrivateKey
    const char* digest_;
    Seconds cert_expiry_;
    ossl::UniquePtr<X509_EXTENSION> key_usage_, extended_key_usage_, basic_constraints_,
        authority_key_id_;
};

// ---- cross-signing (ca/certificates.go CrossSignCACertificate) -------------------------------
// The new root's own fields (subject, serial, validity, public key, the extensions Go knows,
// rebuilt in Go's order and criticality) with the old root's subject as issuer, signed by the old
// key with the old root's signature digest. No AKI is added when the two names are equal, as Go
// does. Throws swarmpki::Error(subject, "unable to generate a cross-signed certificate for root
// rotation", ...) when the new certificate is not a CA.
Certificate cross_sign(const Certificate& new_root, const Certificate& old_root,
                       const PrivateKey& old_key, const std::string& subject = "the new root");

// ---- directories -----------------------------------------------------------------------------
// A CA directory as `ca init` writes it: the root (exact bytes kept, since join tokens pin them),
// its key, and optionally a cross-signed intermediate that then signs (as during a rotation: the
// directory's root is the cluster's trust root, the key is the new root's).
struct CaDirectory {
    std::string root_pem;  // exact bytes of swarm-root-ca.crt
    Certificate root;
    PrivateKey key;
    std::optional<std::string> cross_signed_pem;
    std::optional<Certificate> cross_signed;

    const Certificate& signing_certificate() const { return cross_signed ? *cross_signed : root; }
};

// Throws swarmpki::Error naming the file: missing, not a single CA certificate, key that does not
// match the signing certificate, and so on.
CaDirectory load_ca_directory(const std::string& dir);

// Writes swarm-root-ca.crt (0644) and swarm-root-ca.key (0600; SEC1 `EC PRIVATE KEY` for ECDSA as
// the engine keeps it, PKCS#8 for RSA). Refuses existing files unless `overwrite` is yes; on
// refusal nothing is written.
void write_ca_directory(const std::string& dir, const RootCa& root, Overwrite overwrite);

// What a node directory holds, as bytes: swarm-root-ca.crt, swarm-node.crt, swarm-node.key.
struct NodeFiles {
    std::string root_pem;
    std::string chain_pem;  // leaf, then intermediates
    std::string key_pem;    // PKCS#8 with the `kek-version: 0` header
};

// The key as a worker's swarm-node.key: PKCS#8 `PRIVATE KEY` with `kek-version: 0`.
std::string encode_node_key(const PrivateKey& key);

// Writes the three files atomically with the engine's modes (0644, 0644, 0600), creating the
// directory (0755). Refuses when any of them exists and `overwrite` is no; then nothing is written.
void write_node_directory(const std::string& dir, const NodeFiles& files, Overwrite overwrite);

}  // namespace swarmpki
