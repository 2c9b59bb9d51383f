#include "swarmpki/chain.hpp"

namespace swarmpki {

namespace {

constexpr std::size_t kMaxDepth = 8;

struct Search {
    std::span<const Certificate> intermediates;
    std::span<const Certificate> roots;
    Instant at;
    std::vector<std::size_t> path;
    std::vector<bool> used;
    ChainVerification result;

    void note(std::string code, std::string message) {
        if (result.failure.empty()) {
            result.failure_code = std::move(code);
            result.failure = std::move(message);
        }
    }

    bool check_validity(const Certificate& cert, const char* what) {
        if (cert.not_after() < at) {
            note("expired", std::string(what) + " " + cert.subject() + " expired at " +
                                format_rfc3339(cert.not_after()));
            return false;
        }
        if (cert.not_before() > at) {
            note("not-yet-valid", std::string(what) + " " + cert.subject() +
                                      " is not valid before " + format_rfc3339(cert.not_before()));
            return false;
        }
        return true;
    }

    // Tries to finish the chain from `cert`: first straight to a root, then through an unused
    // intermediate. Roots are tried first so that a completed rotation's leaf, which still
    // carries the stale cross-signed certificate, verifies directly against the new root.
    bool extend(const Certificate& cert) {
        for (std::size_t r = 0; r < roots.size(); ++r) {
            const Certificate& root = roots[r];
            if (!cert.issued_by_name(root) || !cert.signature_verified_by(root)) continue;
            if (!check_validity(root, "trust root")) continue;
            result.root_index = r;
            return true;
        }
        if (path.size() >= kMaxDepth) return false;
        for (std::size_t i = 0; i < intermediates.size(); ++i) {
            if (used[i]) continue;
            const Certificate& parent = intermediates[i];
            if (!cert.issued_by_name(parent) || !cert.signature_verified_by(parent)) continue;
            if (!check_validity(parent, "intermediate")) continue;
            used[i] = true;
            path.push_back(i);
            if (extend(parent)) return true;
            path.pop_back();
            used[i] = false;
        }
        return false;
    }
};

}  // namespace

ChainVerification verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                               std::span<const Certificate> roots, Instant at) {
    Search search{intermediates, roots, at, {}, std::vector<bool>(intermediates.size()), {}};
    if (roots.empty()) {
        search.note("no-trust-root", "no trust root to verify against");
        return search.result;
    }
    if (!search.check_validity(leaf, "node certificate")) return search.result;
    if (search.extend(leaf)) {
        search.result.verified = true;
        search.result.intermediates_used = search.path;
        search.result.failure.clear();
        search.result.failure_code.clear();
        return search.result;
    }
    search.note("unknown-authority",
                "no path from the node certificate to a trust root by names and signatures "
                "(a different swarm's root, or a missing intermediate)");
    return search.result;
}

}  // namespace swarmpki
