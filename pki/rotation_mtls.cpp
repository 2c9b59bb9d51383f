// Mutual TLS between classes of simulated nodes, judged by the same code as `swarmpki verify`.
#include "rotation_internal.hpp"

namespace swarmpki::rotation_detail {

PeerMaterial material_for(const SimNode& node, const std::string& class_name,
                          const Certificate* intermediate, const Certificate& trust_root,
                          const std::string& cluster_id) {
    PeerMaterial m;
    m.dir = class_name + " " + to_string(node.role) + " " + node.id;
    m.chain.push_back(Certificate::from_der(node.leaf_der, m.dir));
    if (intermediate != nullptr) m.chain.push_back(*intermediate);
    m.roots.push_back(trust_root);
    m.node_id = node.id;
    m.role = to_string(node.role);
    m.cluster_id = cluster_id;
    return m;
}

MtlsOutcome check_mutual_tls(const std::vector<PeerMaterial>& representatives, Instant at) {
    MtlsOutcome outcome;
    for (std::size_t a = 0; a < representatives.size(); ++a) {
        for (std::size_t b = a; b < representatives.size(); ++b) {
            PeerVerdict verdict = verify_peers(representatives[a], representatives[b], at);
            for (const PeerCheck& check : verdict.checks) {
                ++outcome.verifications;
                if (check.accepted) {
                    outcome.signature_checks += check.path.empty() ? 1 : check.path.size() - 1;
                    continue;
                }
                ++outcome.failures;
                outcome.signature_checks += 1;
                outcome.failure_details.push_back(check.verifier + " refuses " + check.presenter +
                                                  " as " + std::string(to_string(check.presenter_role)) +
                                                  ": " + check.reason);
            }
        }
    }
    return outcome;
}

}  // namespace swarmpki::rotation_detail
