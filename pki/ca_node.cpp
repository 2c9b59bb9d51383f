// Node certificates as the engine's CA signs them (swarmkit ca/certificates.go PrepareCSR,
// ca/config.go SigningPolicy, cfssl local.Signer): only the public key comes from the node; the
// subject, SANs, usages and validity are the CA's.
#include "swarmpki/ca.hpp"

#include "ca_internal.hpp"
#include "swarmpki/error.hpp"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

namespace swarmpki {

std::optional<NodeRole> parse_node_role(std::string_view text) {
    if (text == "manager") return NodeRole::manager;
    if (text == "worker") return NodeRole::worker;
    return std::nullopt;
}

const char* to_string(NodeRole role) { return role == NodeRole::manager ? "manager" : "worker"; }

const char* organizational_unit(NodeRole role) {
    return role == NodeRole::manager ? "swarm-manager" : "swarm-worker";
}

void check_node_cert_expiry(Seconds expiry, const std::string& subject) {
    // The engine's own words (controlapi/cluster.go validateClusterSpec, Go's 1h0m0s).
    if (expiry < kMinNodeCertExpiry)
        throw Error(subject, "minimum certificate expiry time is: 1h0m0s",
                    "give at least 1h, for example 2160h (the engine's default)");
}

void check_identifier(std::string_view id, const std::string& subject) {
    bool ok = !id.empty() && id.size() <= 64 &&
              std::all_of(id.begin(), id.end(), [](char c) {
                  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
              });
    if (!ok)
        throw Error(subject, "'" + std::string(id) + "' is not a usable ID (1-64 letters, digits, '.', '-', '_')",
                    "use the engine's form (25 lowercase base-36 characters) or leave it out for a random one");
}

NodeCertificateIssuer::NodeCertificateIssuer(const Certificate& signing_certificate,
                                             const PrivateKey& signing_key, Seconds cert_expiry)
    : signing_certificate_(signing_certificate),
      signing_key_(signing_key.get0()),
      digest_(default_signature_digest(signing_key.get0())),
      cert_expiry_(cert_expiry) {
    using namespace ca_detail;
    check_node_cert_expiry(cert_expiry);
    if (!signing_key.matches(signing_certificate))
        throw Error("the signing certificate", "certificate key mismatch",
                    "give the key that belongs to the signing certificate");
    key_usage_ = conf_extension(NID_key_usage, "critical,digitalSignature,keyEncipherment");
    extended_key_usage_ = conf_extension(NID_ext_key_usage, "serverAuth,clientAuth");
    basic_constraints_ = conf_extension(NID_basic_constraints, "critical,CA:FALSE");
    // Go sets AKI to the parent's SubjectKeyId when the parent has one.
    if (signing_certificate.subject_key_id())
        authority_key_id_ = conf_extension(NID_authority_key_identifier, "keyid:always",
                                           signing_certificate.get0());
}

CertificateSigner NodeCertificateIssuer::make_signer() const {
    return CertificateSigner(signing_key_, digest_);
}

namespace {

std::string san_list(const NodeIdentity& node) {
    std::string sans = std::string("DNS:") + organizational_unit(node.role) + ",DNS:" + node.node_id;
    if (node.role == NodeRole::manager) sans += std::string(",DNS:") + kDefaultRootCommonName;
    return sans;
}

}  // namespace

ossl::UniquePtr<X509> NodeCertificateIssuer::unsigned_leaf(const NodeIdentity& node,
                                                           EVP_PKEY* node_public_key,
                                                           Instant now) const {
    using namespace ca_detail;
    ossl::UniquePtr<X509> leaf = new_v3_certificate();
    set_random_serial(leaf.get());
    ossl::check(X509_set_issuer_name(leaf.get(), X509_get_subject_name(signing_certificate_.get0())),
                "setting the issuer");
    // Filled in place: X509_set_subject_name would copy through DER and a canonical re-encoding,
    // which costs half an ECDSA signature per leaf.
    X509_NAME* subject = X509_get_subject_name(leaf.get());  // borrowed
    add_name_entry(subject, NID_organizationName, node.cluster_id);
    add_name_entry(subject, NID_organizationalUnitName, organizational_unit(node.role));
    add_name_entry(subject, NID_commonName, node.node_id);
    Instant issued = round_to_minute(now);
    set_validity(leaf.get(), issued - kNodeCertBackdate, issued + cert_expiry_);
    set_certificate_public_key(leaf.get(), node_public_key);
    // Go's order: KU, EKU, BC, SKI, AKI, SAN.
    add_extension(leaf.get(), key_usage_.get());
    add_extension(leaf.get(), extended_key_usage_.get());
    add_extension(leaf.get(), basic_constraints_.get());
    add_subject_key_id(leaf.get());
    if (authority_key_id_) add_extension(leaf.get(), authority_key_id_.get());
    add_extension(leaf.get(), conf_extension(NID_subject_alt_name, san_list(node)).get());
    return leaf;
}

ossl::UniquePtr<X509> NodeCertificateIssuer::issue(const NodeIdentity& node,
                                                   EVP_PKEY* node_public_key, Instant now,
                                                   CertificateSigner& signer) const {
    ossl::UniquePtr<X509> leaf = unsigned_leaf(node, node_public_key, now);
    signer.sign(leaf.get());
    return leaf;
}

NodeCertificateIssuer::Issued NodeCertificateIssuer::issue_der(const NodeIdentity& node,
                                                               EVP_PKEY* node_public_key,
                                                               Instant now,
                                                               CertificateSigner& signer) const {
    ossl::UniquePtr<X509> leaf = unsigned_leaf(node, node_public_key, now);
    Bytes der = signer.sign_to_der(leaf.get());
    return Issued{std::move(leaf), std::move(der)};
}

Certificate NodeCertificateIssuer::issue(const NodeIdentity& node, EVP_PKEY* node_public_key,
                                         Instant now) const {
    check_identifier(node.node_id, "the node ID");
    check_identifier(node.cluster_id, "the cluster ID");
    CertificateSigner signer = make_signer();
    return ca_detail::reparsed(issue(node, node_public_key, now, signer).get());
}

std::string encode_node_key(const PrivateKey& key) {
    return encode_pkcs8_pem(key, {PemHeader{"kek-version", "0"}});
}

}  // namespace swarmpki
