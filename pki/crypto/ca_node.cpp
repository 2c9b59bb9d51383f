// Node certificates as the engine's CA signs them (swarmkit ca/certificates.go PrepareCSR,
// ca/config.go SigningPolicy, cfssl local.Signer): only the public key comes from the node; the
// subject, SANs, usages and validity are the CA's.
#include "ca_issuing.hpp"
#include "swarmpki/ca.hpp"

#include "ca_internal.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/error.hpp"

#include <openssl/bn.h>
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
    bool ok = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == '_';
    });
    if (!ok)
        throw Error(subject,
                    "'" + std::string(id) +
                        "' is not a usable ID (1-64 letters, digits, '.', '-', '_')",
                    "use the engine's form (25 lowercase base-36 characters) or leave it out for a "
                    "random one");
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

NodeCertificateIssuer::Builder::Builder(const NodeCertificateIssuer& issuer)
    : issuer_(issuer),
      leaf_(ca_detail::new_v3_certificate()),
      serial_scratch_(ossl::check(BN_new(), "BN_new")) {
    ossl::check(X509_set_issuer_name(leaf_.get(),
                                     X509_get_subject_name(issuer.signing_certificate_.get0())),
                "setting the issuer");
}

void NodeCertificateIssuer::Builder::set_serial() {
    if (serial_random_used_ == serial_random_.size()) {
        random_bytes(serial_random_.data(), serial_random_.size());
        serial_random_used_ = 0;
    }
    std::array<std::uint8_t, 20> bytes{};
    std::copy_n(serial_random_.begin() + static_cast<std::ptrdiff_t>(serial_random_used_),
                bytes.size(), bytes.begin());
    serial_random_used_ += bytes.size();
    ca_detail::set_serial_from(leaf_.get(), bytes, serial_scratch_.get());
}

void NodeCertificateIssuer::Builder::set_subject(const NodeIdentity& node) {
    using namespace ca_detail;
    // Filled in place: X509_set_subject_name would copy through DER and a canonical re-encoding.
    // Consecutive leaves of one cluster and role differ only in CN, the last attribute.
    X509_NAME* subject = X509_get_subject_name(leaf_.get());  // borrowed
    const char* unit = organizational_unit(node.role);
    if (X509_NAME_entry_count(subject) == 3 && organization_ == node.cluster_id && unit_ == unit) {
        ossl::UniquePtr<X509_NAME_ENTRY> common_name(X509_NAME_delete_entry(subject, 2));
    } else {
        while (X509_NAME_entry_count(subject) > 0)
            ossl::UniquePtr<X509_NAME_ENTRY> gone(X509_NAME_delete_entry(subject, 0));
        add_name_entry(subject, NID_organizationName, node.cluster_id);
        add_name_entry(subject, NID_organizationalUnitName, unit);
        organization_ = node.cluster_id;
        unit_ = unit;
    }
    add_name_entry(subject, NID_commonName, node.node_id);
}

namespace {

std::string san_list(const NodeIdentity& node) {
    std::string sans = std::string("DNS:") + organizational_unit(node.role) +
                       ",DNS:" + node.node_id;
    if (node.role == NodeRole::manager) sans += std::string(",DNS:") + kDefaultRootCommonName;
    return sans;
}

}  // namespace

void NodeCertificateIssuer::Builder::set_alt_names(const NodeIdentity& node) {
    using namespace ca_detail;
    // The list for a role comes from the same config text as before and is decoded once; later
    // leaves of that role only rewrite the node-ID entry (the second) and encode the list.
    if (alt_names_role_ != node.role) {
        ossl::UniquePtr<X509_EXTENSION> prototype = conf_extension(NID_subject_alt_name,
                                                                   san_list(node));
        alt_names_.reset(static_cast<GENERAL_NAMES*>(ossl::check(
            X509V3_EXT_d2i(prototype.get()), "decoding the subject alternative names")));
        alt_names_role_ = node.role;
    }
    GENERAL_NAME* node_name = sk_GENERAL_NAME_value(alt_names_.get(), 1);  // borrowed
    ossl::check(node_name != nullptr && node_name->type == GEN_DNS ? 1 : 0,
                "reading the node's DNS name");
    ossl::check(ASN1_STRING_set(node_name->d.dNSName, node.node_id.data(),
                                static_cast<int>(node.node_id.size())),
                "setting the node's DNS name");
    ossl::to_der(i2d_GENERAL_NAMES, alt_names_.get(), alt_names_der_,
                 "encoding the subject alternative names");

    int at = X509_get_ext_by_NID(leaf_.get(), NID_subject_alt_name, -1);
    if (at < 0) {
        ossl::check(X509_add1_ext_i2d(leaf_.get(), NID_subject_alt_name, alt_names_.get(), 0,
                                      X509V3_ADD_APPEND),
                    "adding the subject alternative names");
        return;
    }
    ossl::check(ASN1_OCTET_STRING_set(X509_EXTENSION_get_data(X509_get_ext(leaf_.get(), at)),
                                      alt_names_der_.data(),
                                      static_cast<int>(alt_names_der_.size())),
                "setting the subject alternative names");
}

X509* NodeCertificateIssuer::Builder::build(const NodeIdentity& node, EVP_PKEY* node_public_key,
                                            Instant now) {
    using namespace ca_detail;
    X509* leaf = leaf_.get();
    set_serial();
    set_subject(node);
    // Leaves issued in the same minute share their validity: it is set only when that changes.
    Instant issued = round_to_minute(now);
    if (issued_ != issued) {
        set_validity(leaf, issued - kNodeCertBackdate, issued + issuer_.cert_expiry_);
        issued_ = issued;
    }
    set_certificate_public_key(leaf, node_public_key);
    if (!primed_) {
        // Go's order: KU, EKU, BC, SKI, AKI, SAN. The SKI and SAN are replaced in place later.
        add_extension(leaf, issuer_.key_usage_.get());
        add_extension(leaf, issuer_.extended_key_usage_.get());
        add_extension(leaf, issuer_.basic_constraints_.get());
        add_subject_key_id(leaf);
        if (issuer_.authority_key_id_) add_extension(leaf, issuer_.authority_key_id_.get());
        primed_ = true;
    } else {
        add_subject_key_id(leaf);
    }
    set_alt_names(node);
    return leaf;
}

ossl::UniquePtr<X509> NodeCertificateIssuer::issue(const NodeIdentity& node,
                                                   EVP_PKEY* node_public_key, Instant now,
                                                   CertificateSigner& signer) const {
    Builder builder(*this);
    X509* leaf = builder.build(node, node_public_key, now);
    signer.sign(leaf);
    return ossl::UniquePtr<X509>(ossl::check(X509_dup(leaf), "copying a certificate"));
}

Certificate NodeCertificateIssuer::issue(const NodeIdentity& node, EVP_PKEY* node_public_key,
                                         Instant now) const {
    check_identifier(node.node_id, "the node ID");
    check_identifier(node.cluster_id, "the cluster ID");
    CertificateSigner signer = make_signer();
    Builder builder(*this);
    X509* leaf = builder.build(node, node_public_key, now);
    return Certificate::from_der(signer.sign_to_der(leaf), "a certificate just issued");
}

std::string encode_node_key(const PrivateKey& key) {
    return encode_pkcs8_pem(key, {PemHeader{"kek-version", "0"}});
}

}  // namespace swarmpki
