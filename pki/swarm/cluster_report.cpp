// The cluster report's decisions (cluster.hpp): the docker CLI's TLS STATUS, the reconciler's
// convergence, the trust root and join-token facts, the rotation's progress. The findings drawn
// from them are in cluster_findings.cpp.
#include "cluster_internal.hpp"

#include "swarmpki/certificate.hpp"
#include "swarmpki/expiry.hpp"
#include "swarmpki/join_token.hpp"
#include "swarmpki/pem.hpp"

namespace swarmpki {

namespace cluster_detail {

bool cannot_converge(const EngineNode& node) {
    return node.state != "ready" || node.tls_info.empty();
}

std::string state_words(const EngineNode& node) {
    if (node.state == "ready") return {};
    std::string words = node.state.empty() ? std::string("state unknown") : node.state;
    if (node.state == "unknown") words = "state unknown";
    if (node.updated_at) words += " since " + format_rfc3339(*node.updated_at);
    return words;
}

std::string blocker_remedy(const std::string& node_id) {
    return "bring it back, or docker node rm " + node_id +
           " (it must then rejoin with the new token)";
}

TrustRootRead read_trust_root(const std::string& pem) {
    TrustRootRead read;
    Sha256 digest = sha256(pem);
    read.facts.root_file_sha256 = hex_encode(digest);
    read.facts.join_token_digest = digest_to_base36(digest);
    if (pem.empty()) {
        read.problem = "the engine reports no trust root (TLSInfo.TrustRoot is empty)";
        return read;
    }
    try {
        auto roots = chain_certificates_from_pem(parse_pem_or_throw(pem, "TLSInfo.TrustRoot"),
                                                 "TLSInfo.TrustRoot");
        const Certificate& root = roots.at(0);
        read.facts.subject = root.subject();
        read.facts.public_key_sha256 = root.public_key_sha256();
        read.facts.key_type = root.key_type();
        read.facts.not_after = root.not_after();
        read.not_before = root.not_before();
    } catch (const std::exception& e) {
        // swarmpki::Error names the member, the problem and the remedy; certificates hold no
        // secret.
        read.problem = e.what();
    }
    return read;
}

}  // namespace cluster_detail

namespace {

using namespace cluster_detail;

// Every node of a cluster reports one of a few issuer keys and trust roots (two during a
// rotation): hashing each distinct value once took the report's SHA-256 work at 5,000 nodes from
// 10,000 digests to about four (8% of a `cluster` run's instructions). One memo per report.
class DigestMemo {
public:
    // Hex SHA-256 of `bytes`; empty for empty input.
    const std::string& hex(std::string_view bytes) {
        if (bytes.empty()) return empty_;
        for (const Entry& e : entries_)
            if (e.input == bytes) return e.digest;
        if (entries_.size() == kEntries) entries_.erase(entries_.begin());
        entries_.push_back(Entry{std::string(bytes), sha256_hex(bytes)});
        return entries_.back().digest;
    }

private:
    struct Entry {
        std::string input, digest;
    };
    static constexpr std::size_t kEntries = 4;
    std::vector<Entry> entries_;
    std::string empty_;
};

std::string_view as_chars(const Bytes& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string sha256_or_empty(const Bytes& bytes) {
    return bytes.empty() ? std::string() : sha256_hex(as_chars(bytes));
}

// Why a rotation waits for this node forever, in operator words; empty when it would not.
std::string blocker_words(const EngineNode& node) {
    if (node.tls_info.empty()) return "engine reports no TLS information (older than 1.13?)";
    if (!cannot_converge(node)) return {};
    std::string state = state_words(node);
    if (node.state == "down")
        return state + ": a down node never renews; " + blocker_remedy(node.id);
    return state + ": it renews only once it is back; " + blocker_remedy(node.id);
}

// Why a node lags, in operator words; empty when it does not.
std::string lag_reason(const EngineNode& node, const ClusterNode& facts, bool rotating) {
    if (node.tls_info.empty()) return blocker_words(node);
    bool lags = !facts.converged || facts.tls_status != TlsStatus::ready;
    if (!lags) return {};
    if (cannot_converge(node)) return blocker_words(node);
    if (!facts.converged)
        return rotating ? "still on the old root" : "reports an issuer other than the cluster's";
    return "still trusts the old root";  // converged, but its TrustRoot is not the cluster's
}

ClusterNode node_facts(const EngineNode& node, const ClusterInputs& inputs, DigestMemo& digests) {
    ClusterNode out;
    out.id = node.id;
    out.hostname = node.hostname;
    out.role = node.role;
    out.availability = node.availability;
    out.state = node.state;
    out.leader = node.leader;
    out.engine_version = node.engine_version;
    out.tls_status = tls_status(inputs.info.cluster_tls_info, node.tls_info);
    out.issuer_public_key_sha256 = digests.hex(as_chars(node.tls_info.issuer_public_key));
    out.trust_root_sha256 = digests.hex(node.tls_info.trust_root_pem);
    out.converged = issuer_converged(inputs.swarm.tls_info, node.tls_info);
    // Blocking means holding it up for good (SPEC 9: "keep it from finishing"): a node that is
    // up and not yet converged is only waiting for its turn, 30 nodes a tick.
    out.blocking_rotation = inputs.swarm.root_rotation_in_progress && !out.converged &&
                            cannot_converge(node);
    out.reason = lag_reason(node, out, inputs.swarm.root_rotation_in_progress);
    out.would_block_rotation = cannot_converge(node);
    out.blocker_reason = blocker_words(node);
    return out;
}

ClusterJoinToken token_facts(const EngineJoinToken& token, const std::string& trust_root_pem) {
    ClusterJoinToken out;
    if (!token.well_formed) return out;
    out.digest_base36 = token.digest_base36;
    out.pins_trust_root = !trust_root_pem.empty() && token.digest == sha256(trust_root_pem);
    return out;
}

ClusterRotation rotation_facts(const ClusterInputs& inputs, const std::vector<ClusterNode>& nodes) {
    ClusterRotation rotation;
    rotation.in_progress = inputs.swarm.root_rotation_in_progress;
    rotation.total = nodes.size();
    for (const ClusterNode& node : nodes) {
        if (node.converged) ++rotation.converged;
        if (node.blocking_rotation) rotation.blocked_by.push_back(node.id);
    }
    if (rotation.in_progress && rotation.blocked_by.empty())
        rotation.estimated_engine_seconds = estimated_engine_seconds(rotation.total -
                                                                     rotation.converged);
    return rotation;
}

std::optional<CertExpiryApplied> applied_facts(const ClusterInputs& inputs) {
    if (!inputs.local_leaf) return std::nullopt;
    CertExpiryApplied applied;
    applied.leaf_path = inputs.local_leaf->path;
    applied.leaf_lifetime = inputs.local_leaf->not_after - inputs.local_leaf->not_before;
    // Without NodeCertExpiry the CA signs with swarmkit's default.
    Seconds configured = inputs.swarm.ca_config.node_cert_expiry.value_or(kDefaultNodeCertExpiry);
    applied.applied = lifetime_matches_cert_expiry(applied.leaf_lifetime, configured);
    return applied;
}

ClusterFacts cluster_facts(const ClusterInputs& inputs, const std::vector<ClusterNode>& nodes,
                           const TrustRootRead& root) {
    const EngineSwarm& swarm = inputs.swarm;
    ClusterFacts facts;
    facts.id = swarm.id;
    facts.cert_expiry = swarm.ca_config.node_cert_expiry;
    facts.force_rotate = swarm.ca_config.force_rotate;
    for (const EngineExternalCa& ca : swarm.ca_config.external_cas)
        facts.external_cas.push_back(
            {ca.protocol, ca.url,
             ca.ca_cert_pem.empty() ? std::string() : sha256_hex(ca.ca_cert_pem)});
    facts.trust_root = root.facts;
    facts.desired_issuer.subject = name_from_der(swarm.tls_info.issuer_subject).value_or("");
    facts.desired_issuer.public_key_sha256 = sha256_or_empty(swarm.tls_info.issuer_public_key);
    facts.rotation = rotation_facts(inputs, nodes);
    facts.worker_token = token_facts(swarm.worker_token, swarm.tls_info.trust_root_pem);
    facts.manager_token = token_facts(swarm.manager_token, swarm.tls_info.trust_root_pem);
    facts.cert_expiry_applied = applied_facts(inputs);
    return facts;
}

}  // namespace

const char* to_string(TlsStatus status) {
    switch (status) {
        case TlsStatus::ready: return "ready";
        case TlsStatus::needs_rotation: return "needs-rotation";
        case TlsStatus::unknown: return "unknown";
    }
    return "unknown";
}

// docker/cli cli/command/node/formatter.go TLSStatus: reflect.DeepEqual of the two TLSInfo.
TlsStatus tls_status(const EngineTlsInfo& cluster, const EngineTlsInfo& node) {
    if (cluster.empty() || node.empty()) return TlsStatus::unknown;
    return cluster == node ? TlsStatus::ready : TlsStatus::needs_rotation;
}

// swarmkit ca/reconciler.go hasIssuer: bytes.Equal on the issuer's raw subject and SPKI.
bool issuer_converged(const EngineTlsInfo& desired, const EngineTlsInfo& node) {
    if (desired.issuer_public_key.empty()) return false;  // no desired issuer: nothing converges
    return node.issuer_subject == desired.issuer_subject &&
           node.issuer_public_key == desired.issuer_public_key;
}

ClusterReport build_cluster_report(const ClusterInputs& inputs) {
    ClusterReport report;
    report.evaluated_at = inputs.at;
    report.engine = inputs.engine;
    report.nodes.reserve(inputs.nodes.size());
    DigestMemo digests;
    for (const EngineNode& node : inputs.nodes)
        report.nodes.push_back(node_facts(node, inputs, digests));
    TrustRootRead root = read_trust_root(inputs.swarm.tls_info.trust_root_pem);
    report.cluster = cluster_facts(inputs, report.nodes, root);
    report.findings = cluster_findings(inputs, report, root);
    report.status = worst_severity(report.findings);
    return report;
}

}  // namespace swarmpki
