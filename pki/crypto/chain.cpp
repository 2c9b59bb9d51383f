#include "swarmpki/chain.hpp"

#include <map>
#include <string_view>
#include <utility>

namespace swarmpki {

std::optional<IssuerRefusal> issuer_refusal(const Certificate& issuer,
                                            std::size_t intermediates_below) {
    if (const auto& problem = issuer.verification_key_problem())
        return IssuerRefusal{"unsupported-key",
                             "has a key that is not used to verify: " + *problem};
    // Go's CheckSignatureFrom also lets a version 1 certificate without extensions sign; no swarm
    // CA is one, so here a CA says so.
    if (!issuer.has_basic_constraints())
        return IssuerRefusal{"issuer-not-ca", "is not a CA (it has no BasicConstraints extension)"};
    if (!issuer.is_ca())
        return IssuerRefusal{"issuer-not-ca", "is not a CA (BasicConstraints CA:FALSE)"};
    if (issuer.key_usage().present && !issuer.key_usage().cert_sign)
        return IssuerRefusal{"issuer-key-usage",
                             "may not sign certificates (its KeyUsage lacks keyCertSign)"};
    long limit = issuer.path_length();
    if (limit >= 0 && intermediates_below > static_cast<std::size_t>(limit))
        return IssuerRefusal{
            "path-length-exceeded",
            "allows " + std::to_string(limit) +
                " intermediate(s) below it (pathLenConstraint) and the chain has " +
                std::to_string(intermediates_below)};
    return std::nullopt;
}

bool issued_by(const Certificate& child, const Certificate& parent,
               std::size_t intermediates_below) {
    return child.issued_by_name(parent) && !issuer_refusal(parent, intermediates_below) &&
           child.signature_verified_by(parent);
}

namespace {

// A breadth-first search from the leaf: each level holds the certificates first reached through
// that many intermediates. Reaching a certificate by its shortest path is never worse than a
// longer one (a pathLenConstraint only limits how many certificates lie below, and validity and
// CA-ness do not depend on the path), so each is expanded once, and signature verdicts are kept
// per (certificate, issuer key): duplicates and certificates sharing a key cost nothing more.
class Search {
public:
    Search(const Certificate& leaf, std::span<const Certificate> intermediates,
           std::span<const Certificate> roots, Instant at)
        : roots_(roots), at_(at) {
        nodes_.push_back({&leaf, 0});
        for (std::size_t i = 0; i < intermediates.size() && !too_many_; ++i) {
            bool duplicate = false;
            for (const Node& node : nodes_)
                duplicate = duplicate || node.cert->der() == intermediates[i].der();
            if (duplicate) continue;
            nodes_.push_back({&intermediates[i], i});
            too_many_ = nodes_.size() - 1 > kMaxChainIntermediates;
        }
    }

    ChainVerification run() {
        if (roots_.empty()) return fail("no-trust-root", "no trust root to verify against");
        if (too_many_ || roots_.size() > kMaxChainTrustRoots)
            return fail("too-many-certificates",
                        "the chain offers more than " + std::to_string(kMaxChainIntermediates) +
                            " distinct intermediates or " + std::to_string(kMaxChainTrustRoots) +
                            " trust roots (a swarm chain has one of each): refused unverified");
        const Certificate& leaf = *nodes_[0].cert;
        if (const auto& problem = leaf.verification_key_problem())
            return fail("unsupported-key", "node certificate " + leaf.subject() + ": " + *problem);
        if (!check_validity(leaf, "node certificate")) return finish();
        // Go's order (crypto/x509 findPotentialParents): first only the issuers whose key
        // identifier matches the child's, then all of them. Every swarm chain is found in the
        // first pass, and a root that only shares the name (every swarm root is CN=swarm-ca) costs
        // no failed signature check; the second pass, with the verdicts kept, answers as before.
        for (bool by_key_id : {true, false}) {
            key_ids_must_match_ = by_key_id;
            std::size_t checks = result_.signature_checks;
            result_ = ChainVerification{};
            result_.signature_checks = checks;
            if (search()) return verified();
            if (exhausted_) break;
        }
        if (exhausted_)
            return fail("chain-too-complex",
                        "the chain needs more than " + std::to_string(kMaxChainSignatureChecks) +
                            " signature checks (no swarm chain needs more than three): refused "
                            "unverified");
        note("unknown-authority",
             "no path from the node certificate to a trust root by names and signatures "
             "(a different swarm's root, or a missing intermediate)");
        return finish();
    }

private:
    struct Node {
        const Certificate* cert;
        std::size_t index;  // in the caller's intermediates (the leaf: unused)
    };

    void note(std::string code, std::string message) {
        if (result_.failure.empty()) {
            result_.failure_code = std::move(code);
            result_.failure = std::move(message);
        }
    }
    ChainVerification fail(std::string code, std::string message) {
        result_.failure_code = std::move(code);
        result_.failure = std::move(message);
        return finish();
    }
    ChainVerification finish() { return std::move(result_); }

    bool check_validity(const Certificate& cert, const char* what) {
        if (cert.not_after() < at_) {
            note("expired", std::string(what) + " " + cert.subject() + " expired at " +
                                format_rfc3339(cert.not_after()));
            return false;
        }
        if (cert.not_before() > at_) {
            note("not-yet-valid", std::string(what) + " " + cert.subject() +
                                      " is not valid before " + format_rfc3339(cert.not_before()));
            return false;
        }
        return true;
    }

    // Node `child`'s signature under `parent`'s key, checked once per (child, key).
    bool signed_by(std::size_t child, const Certificate& parent) {
        auto key = std::make_pair(child, std::string_view(parent.public_key_sha256()));
        if (auto found = verdicts_.find(key); found != verdicts_.end()) return found->second;
        if (result_.signature_checks >= kMaxChainSignatureChecks) {
            exhausted_ = true;
            return false;
        }
        ++result_.signature_checks;
        bool ok = nodes_[child].cert->signature_verified_by(parent);
        verdicts_.emplace(key, ok);
        return ok;
    }

    // Whether `parent` issued node `child`, which has `below` intermediates under it. The key is
    // judged before its signature is checked; whether the parent may issue, after, so that a
    // refusal is only reported for a certificate that really signed the child.
    bool links(std::size_t child, const Certificate& parent, const char* what, std::size_t below) {
        const Certificate& cert = *nodes_[child].cert;
        if (!cert.issued_by_name(parent)) return false;
        if (key_ids_must_match_ && cert.authority_key_id() && parent.subject_key_id() &&
            *cert.authority_key_id() != *parent.subject_key_id())
            return false;
        if (const auto& problem = parent.verification_key_problem()) {
            note("unsupported-key", std::string(what) + " " + parent.subject() + ": " + *problem +
                                        "; its signatures are not checked");
            return false;
        }
        if (!signed_by(child, parent)) return false;
        if (auto refusal = issuer_refusal(parent, below)) {
            note(refusal->code, std::string(what) + " " + parent.subject() + " signed " +
                                    cert.subject() + " but " + refusal->problem);
            return false;
        }
        return check_validity(parent, what);
    }

    // The breadth-first search; true with last_ and previous_ set when a root is reached.
    bool search() {
        previous_.assign(nodes_.size(), 0);
        std::vector<bool> reached(nodes_.size(), false);
        reached[0] = true;
        std::vector<std::size_t> level{0};
        for (std::size_t depth = 0; !level.empty() && !exhausted_; ++depth) {
            for (std::size_t u : level)
                if (reaches_root(u, depth)) {
                    last_ = u;
                    return true;
                }
            if (depth >= kMaxChainDepth) break;
            std::vector<std::size_t> next;
            for (std::size_t u : level)
                for (std::size_t v = 1; v < nodes_.size() && !exhausted_; ++v)
                    if (!reached[v] && links(u, *nodes_[v].cert, "intermediate", depth)) {
                        reached[v] = true;
                        previous_[v] = u;
                        next.push_back(v);
                    }
            level = std::move(next);
        }
        return false;
    }

    bool reaches_root(std::size_t node, std::size_t below) {
        for (std::size_t r = 0; r < roots_.size() && !exhausted_; ++r)
            if (links(node, roots_[r], "trust root", below)) {
                result_.root_index = r;
                return true;
            }
        return false;
    }

    ChainVerification verified() {
        for (std::size_t n = last_; n != 0; n = previous_[n])
            result_.intermediates_used.insert(result_.intermediates_used.begin(), nodes_[n].index);
        result_.verified = true;
        result_.failure.clear();
        result_.failure_code.clear();
        return finish();
    }

    std::span<const Certificate> roots_;
    Instant at_;
    std::vector<Node> nodes_;  // the leaf, then each distinct intermediate
    std::map<std::pair<std::size_t, std::string_view>, bool> verdicts_;
    std::vector<std::size_t> previous_;  // each reached node's child on the path to the leaf
    std::size_t last_ = 0;               // the node that reached a root
    bool key_ids_must_match_ = false;    // the first pass: AuthorityKeyId = SubjectKeyId
    bool too_many_ = false;              // more distinct intermediates than kMaxChainIntermediates
    bool exhausted_ = false;             // kMaxChainSignatureChecks reached
    ChainVerification result_;
};

}  // namespace

ChainVerification verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                               std::span<const Certificate> roots, Instant at) {
    return Search(leaf, intermediates, roots, at).run();
}

}  // namespace swarmpki
