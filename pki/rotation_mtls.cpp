// Mutual TLS between classes of simulated nodes, judged by the same code as `swarmpki verify`.
#include "rotation_internal.hpp"

#include "swarmpki/chain.hpp"

#include <algorithm>
#include <map>
#include <span>
#include <utility>

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

namespace {

bool same_roots(const PeerMaterial& a, const PeerMaterial& b) {
    return std::equal(a.roots.begin(), a.roots.end(), b.roots.begin(), b.roots.end(),
                      [](const Certificate& x, const Certificate& y) { return x.der() == y.der(); });
}

}  // namespace

MtlsOutcome check_mutual_tls(const std::vector<PeerMaterial>& representatives, Instant at) {
    MtlsOutcome outcome;
    // A presenter's chain verdict depends on the verifier only through the roots it trusts, and
    // not on the TLS role: each (presenter, trust store) chain is verified once, and its verdict
    // judged for every verifier with that store in both roles. Representatives of one phase
    // trust one or two distinct roots, so this verifies each leaf's signatures once or twice
    // instead of four times per pair.
    std::vector<std::size_t> store(representatives.size());
    for (std::size_t i = 0; i < representatives.size(); ++i) {
        store[i] = i;
        for (std::size_t j = 0; j < i; ++j)
            if (same_roots(representatives[j], representatives[i])) {
                store[i] = store[j];
                break;
            }
    }
    std::map<std::pair<std::size_t, std::size_t>, ChainVerification> verdicts;  // (presenter, store)
    auto verdict = [&](std::size_t verifier, std::size_t presenter) -> const ChainVerification& {
        auto key = std::make_pair(presenter, store[verifier]);
        auto found = verdicts.find(key);
        if (found != verdicts.end()) return found->second;
        const PeerMaterial& p = representatives[presenter];
        ChainVerification v = verify_chain(p.chain[0], std::span(p.chain).subspan(1),
                                           representatives[verifier].roots, at);
        // One signature per link of a verified path; one for a refused chain.
        outcome.signature_checks += v.verified ? v.intermediates_used.size() + 1 : 1;
        return verdicts.emplace(key, std::move(v)).first->second;
    };
    auto judge = [&](std::size_t verifier, std::size_t presenter, TlsRole role) {
        const PeerMaterial& v = representatives[verifier];
        const PeerMaterial& p = representatives[presenter];
        PeerCheck check = judge_presented_chain(v, p, role, at, verdict(verifier, presenter));
        ++outcome.verifications;
        if (check.accepted) return;
        ++outcome.failures;
        outcome.failure_details.push_back(check.verifier + " refuses " + check.presenter + " as " +
                                          std::string(to_string(check.presenter_role)) + ": " +
                                          check.reason);
    };
    // Every pair, each with itself too, in verify_peers's order: a judges b as client and as
    // server, then b judges a.
    for (std::size_t a = 0; a < representatives.size(); ++a) {
        for (std::size_t b = a; b < representatives.size(); ++b) {
            judge(a, b, TlsRole::client);
            judge(a, b, TlsRole::server);
            judge(b, a, TlsRole::client);
            judge(b, a, TlsRole::server);
        }
    }
    return outcome;
}

}  // namespace swarmpki::rotation_detail
