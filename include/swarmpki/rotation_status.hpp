// `swarmpki rotate status` (SPEC section 9, docs/rotation-status.md): a CA rotation's progress as
// the cluster report decided it. The status is a projection of a ClusterReport (cluster.hpp):
// convergence, the blockers and their reasons, the estimate, the trust root and whether the join
// tokens pin it are the report's, never decided again here. What is decided here is only what a
// watch adds: whether two reports differ for an operator, whether a rotation has finished, and the
// exit code of a report or of a watch that ran out of time.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "swarmpki/rotation_status.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/cluster.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <optional>
#include <string>
#include <vector>

namespace swarmpki {

// A node in ClusterRotation::blocked_by, with the report's words for why.
struct RotationBlocker {
    std::string id, hostname;
    std::optional<NodeRole> role;
    std::string state;   // as the engine says it: "down", "disconnected", ...
    std::string reason;  // ClusterNode::reason
    bool operator==(const RotationBlocker&) const = default;
};

struct RotationStatus {
    Instant evaluated_at{};
    ClusterRotation rotation;               // the report's, as it is
    std::vector<RotationBlocker> blockers;  // rotation.blocked_by's nodes, in its order
    ClusterTrustRoot trust_root;
    ClusterJoinToken worker_token, manager_token;
    // A watch saw this rotation in progress, and now it is not: it finished (and the trust root
    // is the new root). False for a single report, which cannot tell "finished" from "none".
    bool finished = false;

    bool tokens_pin_trust_root() const {
        return worker_token.pins_trust_root && manager_token.pins_trust_root;
    }
    bool blocked() const { return rotation.in_progress && !rotation.blocked_by.empty(); }
};

// The status of `report`; `previous` is the status a watch printed before (for `finished`).
RotationStatus rotation_status_of(const ClusterReport& report,
                                  const std::optional<RotationStatus>& previous = std::nullopt);

// Whether an operator would see a difference: everything but evaluated_at (progress, blockers
// and their reasons, the estimate, the trust root, the tokens, finished). A watch prints a line
// only when this is true.
bool rotation_status_changed(const RotationStatus& before, const RotationStatus& after);

// Nothing left to wait for: no rotation is in progress (none started, or it finished).
inline bool rotation_settled(const RotationStatus& status) { return !status.rotation.in_progress; }

// How a report or a watch ends (docs/rotation-status.md):
//   0  no rotation in progress (or it finished) and both join tokens pin the trust root
//   1  a single report of a rotation on its way: not blocked, not finished yet
//   2  blocked (now, or still when --timeout passed); still converging when --timeout passed;
//      settled, but a join token does not pin the trust root
enum class RotationWaitEnd { report, timed_out };
ExitCode rotation_status_exit_code(const RotationStatus& status, RotationWaitEnd end);

}  // namespace swarmpki
