// The rotation-state rule of rotation_state.hpp.
#include "rotation_state.hpp"

#include "swarmpki/chain.hpp"

#include <algorithm>

namespace swarmpki {

std::string_view to_string(RotationState state) {
    switch (state) {
        case RotationState::none: return "none";
        case RotationState::in_progress: return "in-progress";
        case RotationState::completed: return "completed";
    }
    return "none";
}

}  // namespace swarmpki

namespace swarmpki::rotation_detail {

namespace {

bool leaf_issued_by(const LeafClaim& leaf, const Certificate& parent) {
    if (issuer_refusal(parent, 0)) return false;  // chain.hpp's rule: only a CA issues
    const auto& aki = *leaf.authority_key_id;
    if (aki && parent.subject_key_id())
        return *aki == *parent.subject_key_id() && *leaf.issuer == parent.subject();
    return leaf.issued_by_name_and_signature(parent);
}

bool may_issue(const Certificate& cert) { return !issuer_refusal(cert, 0); }

}  // namespace

RotationState decide_rotation(const LeafClaim& leaf, std::span<const Certificate* const> bundled,
                              std::span<const Certificate* const> roots,
                              const SignedBy& signed_by) {
    if (leaf.is_ca || bundled.empty()) return RotationState::none;
    // Files no chain reader accepts (certificate.hpp): not worth roots x intermediates checks.
    if (bundled.size() + 1 > kMaxChainFileCertificates || roots.size() > kMaxChainFileCertificates)
        return RotationState::none;
    for (const Certificate* root : roots) {
        if (!leaf_issued_by(leaf, *root)) continue;
        // A self-signed copy (byte for byte, or re-issued from the root's key) is no rotation.
        for (const Certificate* middle : bundled)
            if (may_issue(*middle) && middle->same_public_key(*root) &&
                !signed_by(*middle, *middle))
                return RotationState::completed;
        return RotationState::none;
    }
    for (const Certificate* middle : bundled) {
        if (!may_issue(*middle) || !leaf_issued_by(leaf, *middle)) continue;
        bool root_key = std::any_of(roots.begin(), roots.end(), [&](const Certificate* root) {
            return root->same_public_key(*middle);
        });
        if (root_key) continue;
        for (const Certificate* root : roots)
            if (middle->issued_by_name(*root) && !issuer_refusal(*root, 1) &&
                signed_by(*middle, *root))
                return RotationState::in_progress;
    }
    return RotationState::none;
}

}  // namespace swarmpki::rotation_detail
