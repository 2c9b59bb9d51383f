// Where a node stands in a CA rotation, as inspect (NodeReport::rotation), expiry
// (NodeDirectory::rotation) and serve report it: one enum, decided once, by decide_rotation
// (pki/swarm/rotation_state.cpp), over the full reader's certificates and the fast reader's
// records alike.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "swarmpki/rotation_state.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include <string_view>

namespace swarmpki {

enum class RotationState { none, in_progress, completed };

// "none", "in-progress", "completed": the spelling of every output (JSON, Prometheus, webhooks).
std::string_view to_string(RotationState state);

}  // namespace swarmpki
