// Phrases of `cluster`'s text that `rotate status` says the same way: one wording of a rotation's
// progress and of a join token, defined in cluster_text.cpp.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error "pki/render/cluster_text_parts.hpp is render layer (4)"
#endif

#include "text_palette.hpp"

#include "swarmpki/cluster.hpp"

#include <string>
#include <string_view>

namespace swarmpki::render_detail {

// In progress with no estimate and a blocker: it never finishes by itself (cluster.hpp).
bool rotation_stuck(const ClusterRotation& r);
// "none in progress", "in progress, 2/3 nodes converged, about 4s left by the engine's pacing",
// "... blocked by 1 node (it never finishes by itself)".
std::string rotation_words(const Palette& palette, const ClusterRotation& r);
// "worker pins the trust root", "manager does NOT pin the trust root", "worker none given".
std::string join_token_words(const Palette& palette, std::string_view role,
                             const ClusterJoinToken& t);

}  // namespace swarmpki::render_detail
