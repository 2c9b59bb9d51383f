// The cluster report's findings (SPEC section 9), from facts cluster_report.cpp has decided.
// Codes are stable (docs/cluster.md lists them); the trust root's expiry takes the one expiry
// policy (judge_expiry) and inspect's codes for the same facts.
#include "cluster_internal.hpp"

#include "swarmpki/expiry.hpp"

#include <cstdio>

namespace swarmpki::cluster_detail {

namespace {

void add(std::vector<Finding>& out, Severity severity, std::string code, std::string message,
         std::string remedy = {}) {
    out.push_back({severity, std::move(code), std::move(message), std::move(remedy)});
}

std::string node_name(const EngineNode& node) {
    return node.hostname.empty() ? node.id : node.id + " (" + node.hostname + ")";
}

std::string when(Instant at, Instant now) {
    return format_rfc3339(at) + " (" + format_relative(at, now) + ")";
}

// Why a node holds a rotation up for good.
std::string stuck_words(const EngineNode& node) {
    if (node.tls_info.empty()) return "which reports no TLS information (older than 1.13?)";
    if (node.state == "down") return state_words(node) + ", and a down node never renews";
    return state_words(node) + ", and it renews only once it is back";
}

void node_findings(const ClusterInputs& inputs, const ClusterReport& report,
                   std::vector<Finding>& out) {
    for (std::size_t i = 0; i < inputs.nodes.size(); ++i) {
        const EngineNode& node = inputs.nodes[i];
        const ClusterNode& facts = report.nodes[i];
        if (facts.blocking_rotation && cannot_converge(node))
            add(out, Severity::critical, "rotation-blocked",
                "the CA rotation waits for node " + node_name(node) + ", " + stuck_words(node) +
                    ": it never finishes by itself",
                blocker_remedy(node.id));
        if (node.state == "down")
            add(out, Severity::warning, "node-down",
                "node " + node_name(node) + " is " + state_words(node));
        else if (node.state == "disconnected")
            add(out, Severity::warning, "node-disconnected",
                "node " + node_name(node) + " is " + state_words(node));
        else if (node.state != "ready")
            add(out, Severity::warning, "node-state-unknown",
                "node " + node_name(node) + ": " + state_words(node));
        if (node.tls_info.empty())
            add(out, Severity::warning, "node-no-tls-info",
                "node " + node_name(node) +
                    " reports no TLS information (engine older than 1.13?): its TLS status is "
                    "unknown and a CA rotation would wait for it forever",
                "upgrade its engine");
    }
}

void rotation_findings(const ClusterReport& report, std::vector<Finding>& out) {
    const ClusterRotation& rotation = report.cluster.rotation;
    if (!rotation.in_progress || !rotation.estimated_engine_seconds) return;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.2f", *rotation.estimated_engine_seconds);
    add(out, Severity::info, "rotation-in-progress",
        "CA rotation in progress: " + std::to_string(rotation.converged) + " of " +
            std::to_string(rotation.total) +
            " nodes carry the new issuer; the engine needs about " + seconds + " s more");
}

void cert_expiry_findings(const ClusterReport& report, std::vector<Finding>& out) {
    const auto& applied = report.cluster.cert_expiry_applied;
    if (!applied || applied->applied) return;
    Seconds configured = report.cluster.cert_expiry.value_or(kDefaultNodeCertExpiry);
    std::string setting = format_duration(configured);
    add(out, Severity::warning, "cert-expiry-not-applied",
        "this manager's certificate (" + applied->leaf_path + ") lasts " +
            format_duration(applied->leaf_lifetime) + ", not the configured cert-expiry " +
            setting + " + 1h: the CA still signs with an earlier setting (stale signer)",
        "the setting takes effect after `docker swarm ca --rotate --cert-expiry " + setting +
            "`, a restart of the leader's dockerd, or a leader change to a manager that was never "
            "leader; each node then gets it at its next renewal");
}

void token_findings(const ClusterInputs& inputs, const ClusterReport& report,
                    std::vector<Finding>& out) {
    struct Role {
        const char* name;
        const EngineJoinToken& given;
        const ClusterJoinToken& facts;
    };
    for (const Role& role :
         {Role{"worker", inputs.swarm.worker_token, report.cluster.worker_token},
          Role{"manager", inputs.swarm.manager_token, report.cluster.manager_token}}) {
        if (!role.given.present || role.facts.pins_trust_root) continue;
        add(out, Severity::critical, "join-token-does-not-pin-root",
            std::string("the ") + role.name + " join token " +
                (role.given.well_formed
                     ? "pins digest " + role.facts.digest_base36 + ", not the trust root's " +
                           report.cluster.trust_root.join_token_digest
                     : "is not a well-formed join token") +
                ": nodes joining with it refuse the managers",
            std::string("docker swarm join-token --rotate ") + role.name);
    }
}

void trust_root_findings(const ClusterReport& report, const TrustRootRead& root,
                         std::vector<Finding>& out) {
    if (!root.problem.empty()) {
        add(out, Severity::warning, "trust-root-unreadable",
            "the cluster's trust root could not be read: " + root.problem,
            "compare with `docker swarm ca` on a manager");
        return;
    }
    if (!root.facts.not_after || !root.not_before) return;
    ExpiryOptions policy;
    policy.at = report.evaluated_at;
    ExpiryVerdict verdict = judge_expiry(CertKind::root, *root.not_before, *root.facts.not_after,
                                         policy);
    if (verdict.status == ExpiryStatus::expired)
        add(out, verdict.severity, "root-expired",
            "the trust root expired " + when(*root.facts.not_after, report.evaluated_at),
            "every chain fails: `docker swarm ca --rotate` on a manager");
    else if (verdict.status == ExpiryStatus::not_yet_valid)
        add(out, verdict.severity, "root-not-yet-valid",
            "the trust root is not valid before " + when(*root.not_before, report.evaluated_at),
            "the root is back-dated only 5 minutes: fix this clock (NTP)");
    else if (verdict.status == ExpiryStatus::expiring)
        add(out, verdict.severity, "root-expiring",
            "the trust root expires " + when(*root.facts.not_after, report.evaluated_at) +
                "; nothing renews a root on its own",
            "rotate it in time: `docker swarm ca --rotate`");
}

}  // namespace

std::vector<Finding> cluster_findings(const ClusterInputs& inputs, const ClusterReport& report,
                                      const TrustRootRead& root) {
    std::vector<Finding> out;
    node_findings(inputs, report, out);
    rotation_findings(report, out);
    cert_expiry_findings(report, out);
    token_findings(inputs, report, out);
    trust_root_findings(report, root, out);
    return out;
}

}  // namespace swarmpki::cluster_detail
