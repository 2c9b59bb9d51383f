// Fuzzes chain building. A pool of real certificates is made once: two swarm roots (both
// CN=swarm-ca), the cross-signed new root, leaves under each, a leaf a node key "issued" (the
// forgery a worker can make), self-issued copies of a root sharing its key, an expired copy, and
// a duplicate. The input picks the leaf, the trust roots, the presented intermediates (any
// number, with repeats) and the time. Checks: never a crash or throw; at most
// kMaxChainSignatureChecks signatures and at most (1 + distinct intermediates) x (distinct keys)
// of them; a verified path is one where every parent may issue (issuer_refusal) and signed its
// child, and is no longer than kMaxChainDepth.
#include "swarmpki/ca.hpp"
#include "swarmpki/chain.hpp"

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

using namespace swarmpki;

namespace {

const Instant kNow = from_unix_seconds(1795906447);  // 2026-11-28

std::vector<Certificate> make_pool() {
    RootCa old_root = create_root(RootOptions{}, kNow - Seconds(86400));
    RootCa new_root = create_root(RootOptions{}, kNow - Seconds(3600));
    Certificate cross = cross_sign(new_root.certificate, old_root.certificate, old_root.key);
    KeyGenerator keys;
    PrivateKey worker_key = keys.generate(), manager_key = keys.generate(),
               forged_key = keys.generate();
    NodeCertificateIssuer under_old(old_root.certificate, old_root.key, kDefaultNodeCertExpiry);
    NodeCertificateIssuer under_cross(cross, new_root.key, kDefaultNodeCertExpiry);
    NodeCertificateIssuer under_new(new_root.certificate, new_root.key, kDefaultNodeCertExpiry);
    const std::string cluster = "clusterid0000000000000000a";
    Certificate worker = under_old.issue({"workerid00000000000000000a", NodeRole::worker, cluster},
                                         worker_key.get0(), kNow);
    // The worker's key "issuing" a manager certificate: names and signature match, the worker's
    // certificate is not a CA.
    NodeCertificateIssuer forger(worker, worker_key, kDefaultNodeCertExpiry);
    Certificate forged = forger.issue({"managerid0000000000000000a", NodeRole::manager, cluster},
                                      forged_key.get0(), kNow);
    Certificate mid_rotation = under_cross.issue(
        {"managerid0000000000000000a", NodeRole::manager, cluster}, manager_key.get0(), kNow);
    Certificate after_rotation = under_new.issue(
        {"managerid0000000000000000a", NodeRole::manager, cluster}, manager_key.get0(), kNow);
    // Self-issued certificates with the old root's key and name: each verifies every other.
    Certificate copy1 = create_root_certificate(old_root.key, kDefaultRootCommonName, kRootLifetime,
                                                kNow);
    Certificate copy2 = create_root_certificate(old_root.key, kDefaultRootCommonName, kRootLifetime,
                                                kNow);
    Certificate expired = create_root_certificate(old_root.key, kDefaultRootCommonName, Seconds(60),
                                                  kNow - Seconds(86400));
    return {old_root.certificate,
            new_root.certificate,
            cross,
            worker,
            forged,
            mid_rotation,
            after_rotation,
            copy1,
            copy2,
            expired,
            cross};
}

const std::vector<Certificate>& pool() {
    static const std::vector<Certificate> certs = make_pool();
    return certs;
}

void check_verified_path(const ChainVerification& result, const Certificate& leaf,
                         const std::vector<Certificate>& intermediates,
                         const std::vector<Certificate>& roots) {
    if (!result.root_index || *result.root_index >= roots.size()) std::abort();
    if (result.intermediates_used.size() > kMaxChainDepth) std::abort();
    const Certificate* child = &leaf;
    std::size_t below = 0;
    for (std::size_t index : result.intermediates_used) {
        if (index >= intermediates.size()) std::abort();
        const Certificate& parent = intermediates[index];
        if (issuer_refusal(parent, below) || !issued_by(*child, parent, below)) std::abort();
        if (!parent.valid_at(kNow)) std::abort();
        child = &parent;
        ++below;
    }
    const Certificate& root = roots[*result.root_index];
    if (issuer_refusal(root, below) || !issued_by(*child, root, below)) std::abort();
    if (!root.is_ca() || !root.valid_at(kNow) || !leaf.valid_at(kNow)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<Certificate>& certs = pool();
    if (size < 2) return 0;
    auto pick = [&](std::uint8_t byte) -> const Certificate& { return certs[byte % certs.size()]; };
    const Certificate& leaf = pick(data[0]);
    std::size_t root_count = 1 + data[1] % 3;
    std::vector<Certificate> roots, intermediates;
    std::size_t at = 2;
    for (; at < size && roots.size() < root_count; ++at) roots.push_back(pick(data[at]));
    for (; at < size && intermediates.size() < 64; ++at) intermediates.push_back(pick(data[at]));

    ChainVerification result = verify_chain(leaf, intermediates, roots, kNow);

    std::set<Bytes> distinct;
    std::set<std::string> keys;
    for (const Certificate& c : intermediates) {
        distinct.insert(c.der());
        keys.insert(c.public_key_sha256());
    }
    distinct.erase(leaf.der());
    for (const Certificate& c : roots) keys.insert(c.public_key_sha256());
    if (result.signature_checks > kMaxChainSignatureChecks) std::abort();
    if (result.signature_checks > (1 + distinct.size()) * keys.size()) std::abort();
    if (result.verified) {
        check_verified_path(result, leaf, intermediates, roots);
        if (!result.failure.empty() || !result.failure_code.empty()) std::abort();
    } else if (result.failure.empty() || result.failure_code.empty()) {
        std::abort();
    }
    return 0;
}
