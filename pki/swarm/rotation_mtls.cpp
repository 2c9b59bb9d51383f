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
                      [](const Certificate& x, const Certificate& y) {
                          return x.der() == y.der();
                      });
}

}  // namespace

MtlsOutcome check_mutual_tls(const std::vector<PeerMaterial>& representatives, Instant at) {
    MtlsOutcome outcome;
    // A presenter's chain verdict depends on the verifier only through the roots it trusts: each
    // (presenter, trust store) chain is verified once and judged for every verifier with that
    // store. Representatives of one phase trust one or two distinct roots, so this verifies each
    // leaf's chain once or twice instead of once per verifier.
    std::vector<std::size_t> store(representatives.size());
    for (std::size_t i = 0; i < representatives.size(); ++i) {
        store[i] = i;
        for (std::size_t j = 0; j < i; ++j)
            if (same_roots(representatives[j], representatives[i])) {
                store[i] = store[j];
                break;
            }
    }
    std::map<std::pair<std::size_t, std::size_t>, ChainVerification>
        verdicts;  // (presenter, store)
    auto chain = [&](std::size_t verifier, std::size_t presenter) -> const ChainVerification& {
        auto key = std::make_pair(presenter, store[verifier]);
        auto found = verdicts.find(key);
        if (found != verdicts.end()) return found->second;
        const PeerMaterial& p = representatives[presenter];
        ++outcome.crypto_verifications;
        return verdicts
            .emplace(key, verify_chain(p.chain[0], std::span(p.chain).subspan(1),
                                       representatives[verifier].roots, at))
            .first->second;
    };
    // One direction's judgement in both roles; a refusal's diagnosis names the verifier and uses
    // its intermediates, so it is made once per direction, not per trust store.
    auto direction = [&](std::size_t verifier, std::size_t presenter) {
        DirectionCheck d = judge_presented_chain(representatives[verifier],
                                                 representatives[presenter], at,
                                                 chain(verifier, presenter));
        outcome.crypto_verifications += d.diagnosis_verifications;
        return d;
    };
    // Every pair, each with itself too, judged as verify_peers judges it.
    for (std::size_t a = 0; a < representatives.size(); ++a) {
        for (std::size_t b = a; b < representatives.size(); ++b) {
            DirectionCheck a_judges_b = direction(a, b);
            DirectionCheck b_judges_a = a == b ? a_judges_b : direction(b, a);
            PeerVerdict verdict = peer_verdict(representatives[a], representatives[b],
                                               std::move(a_judges_b), std::move(b_judges_a));
            outcome.verifications += verdict.checks.size();
            for (const PeerCheck& check : verdict.checks) {
                if (check.accepted) continue;
                ++outcome.failures;
                outcome.failure_details.push_back(
                    check.verifier + " refuses " + check.presenter + " as " +
                    std::string(to_string(check.presenter_role)) + ": " + check.reason);
            }
        }
    }
    return outcome;
}

}  // namespace swarmpki::rotation_detail
