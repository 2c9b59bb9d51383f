// What each certificate in swarm-node.crt is, and where the node stands in a CA rotation.
//
// Names cannot answer either question: the old root, the new root and the cross-signed
// intermediate are all CN=swarm-ca in a default swarm, and after a rotation away from an
// operator's root the cross-signed certificate's issuer is that root's name. So:
//  - a cross-signed intermediate is a CA certificate that is not self-signed and carries either
//    a trust root's key (a rotation has completed and the copy is still bundled) or the key that
//    signed the leaf while its own signature verifies under a trust root (the engine's
//    [leaf][cross-signed new root] shape during a rotation);
//  - the rotation phase is rotation_state.hpp's, the one rule the expiry scan also uses.
#include "inspect_checks.hpp"
#include "rotation_state.hpp"

#include <algorithm>
#include <optional>
#include <span>

namespace swarmpki::inspect_detail {

namespace {

bool self_signed(const Certificate& cert) { return cert.signature_verified_by(cert); }

bool has_root_key(const Certificate& cert, const std::vector<Certificate>& roots) {
    return std::any_of(roots.begin(), roots.end(),
                       [&](const Certificate& root) { return root.same_public_key(cert); });
}

// A root that may issue `cert` as the one intermediate below it (chain.hpp's rule) signed it.
bool signed_by_a_root(const Certificate& cert, const std::vector<Certificate>& roots) {
    return std::any_of(roots.begin(), roots.end(), [&](const Certificate& root) {
        return !issuer_refusal(root, 1) && cert.signature_verified_by(root);
    });
}

// Only a certificate that may issue (chain.hpp's rule, as the leaf's own issuer) can be the
// cross-signed intermediate a rotation hands out.
bool may_issue(const Certificate& cert) { return !issuer_refusal(cert, 0); }

// The certificate whose key verifies `leaf`'s signature: trust roots first, then the bundled
// intermediates; among those, one whose subject also matches the leaf's issuer name is preferred.
const Certificate* find_signer(const Certificate& leaf, const std::vector<Certificate>& chain,
                               const std::vector<Certificate>& roots, bool& is_root) {
    const Certificate* by_signature_only = nullptr;
    bool by_signature_only_root = false;
    auto consider = [&](const Certificate& candidate, bool root) -> bool {
        if (!leaf.signature_verified_by(candidate)) return false;
        if (leaf.issued_by_name(candidate)) return true;
        if (!by_signature_only) {
            by_signature_only = &candidate;
            by_signature_only_root = root;
        }
        return false;
    };
    for (const Certificate& root : roots) {
        if (consider(root, true)) {
            is_root = true;
            return &root;
        }
    }
    for (std::size_t i = 1; i < chain.size(); ++i) {
        if (consider(chain[i], false)) {
            is_root = false;
            return &chain[i];
        }
    }
    is_root = by_signature_only_root;
    return by_signature_only;
}

Instant inside_validity(const Certificate& leaf, Instant now) {
    if (now < leaf.not_before()) return leaf.not_before();
    if (now > leaf.not_after()) return leaf.not_after();
    return now;
}

// rotation_state.hpp decides, fed the full reader's certificates. The signature it asks about
// that the verified path already checked (the one intermediate under a trust root) is not
// checked again.
RotationState rotation_state_of(const std::vector<Certificate>& chain,
                                const std::vector<Certificate>& roots,
                                const ChainVerification& path) {
    const Certificate& leaf = chain.front();
    std::vector<const Certificate*> bundled, trusted;
    for (std::size_t i = 1; i < chain.size(); ++i) bundled.push_back(&chain[i]);
    for (const Certificate& root : roots) trusted.push_back(&root);
    const Certificate* path_middle = nullptr;
    const Certificate* path_root = nullptr;
    if (path.verified && path.intermediates_used.size() == 1) {
        path_middle = &chain[1 + path.intermediates_used.front()];
        path_root = &roots[*path.root_index];
    }
    rotation_detail::LeafClaim claim;
    claim.is_ca = leaf.is_ca();
    claim.issuer = &leaf.issuer();
    claim.authority_key_id = &leaf.authority_key_id();
    claim.issued_by_name_and_signature = [&](const Certificate& parent) {
        return leaf.issued_by_name(parent) && leaf.signature_verified_by(parent);
    };
    return rotation_detail::decide_rotation(
        claim, bundled, trusted, [&](const Certificate& child, const Certificate& parent) {
            if (&child == path_middle && &parent == path_root) return true;
            return child.signature_verified_by(parent);
        });
}

}  // namespace

ChainAnalysis analyze_chain(const std::vector<Certificate>& chain,
                            const std::vector<Certificate>& roots, Instant now) {
    ChainAnalysis analysis;
    const Certificate& leaf = chain.front();
    auto intermediates = std::span<const Certificate>(chain).subspan(1);
    analysis.verification = verify_chain(leaf, intermediates, roots, now);
    analysis.verification_in_validity = leaf.valid_at(now)
                                            ? analysis.verification
                                            : verify_chain(leaf, intermediates, roots,
                                                           inside_validity(leaf, now));

    // Signature checks are the expensive part of a run: a verified path already says who signed
    // the leaf and which root signed the first intermediate, so only a failed one searches again.
    const ChainVerification& path = analysis.verification_in_validity;
    std::optional<std::size_t> root_signed_index;  // chain index of an intermediate a root signed
    if (path.verified && path.intermediates_used.empty()) {
        analysis.leaf_signer = &roots[*path.root_index];
        analysis.leaf_signed_by_trust_root = true;
    } else if (path.verified) {
        analysis.leaf_signer = &chain[1 + path.intermediates_used.front()];
        if (path.intermediates_used.size() == 1)
            root_signed_index = 1 + path.intermediates_used.front();
    } else {
        analysis.leaf_signer = find_signer(leaf, chain, roots, analysis.leaf_signed_by_trust_root);
    }

    analysis.kinds.push_back(ChainKind::leaf);
    for (std::size_t i = 1; i < chain.size(); ++i) {
        const Certificate& cert = chain[i];
        bool cross = false;
        if (may_issue(cert)) {
            if (has_root_key(cert, roots)) {
                // A copy of a trust root: cross-signed when another key signed it.
                cross = !self_signed(cert);
            } else if (analysis.leaf_signer == &cert) {
                // The engine's shape mid-rotation: the leaf's signer, itself signed by a root
                // (so not by its own key, which is not a root's).
                cross = root_signed_index == i ||
                        (!path.verified && signed_by_a_root(cert, roots) && !self_signed(cert));
            }
        }
        analysis.kinds.push_back(cross ? ChainKind::cross_signed_intermediate
                                       : ChainKind::intermediate);
    }

    analysis.rotation = rotation_state_of(chain, roots, path);

    // Intermediates that neither helped verify the chain nor are an expected leftover copy of
    // the trust root (they tell of a chain the engine did not write).
    for (std::size_t i = 1; i < chain.size(); ++i) {
        bool on_path = std::find(path.intermediates_used.begin(), path.intermediates_used.end(),
                                 i - 1) != path.intermediates_used.end();
        bool root_copy = analysis.kinds[i] == ChainKind::cross_signed_intermediate &&
                         has_root_key(chain[i], roots);
        if (path.verified && !on_path && !root_copy) analysis.unused_intermediates.push_back(i);
    }
    return analysis;
}

}  // namespace swarmpki::inspect_detail
