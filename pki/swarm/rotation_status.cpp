// The projection of the cluster report that `rotate status` prints, and the exit rule of a
// report and of a watch (swarmpki/rotation_status.hpp).
#include "swarmpki/rotation_status.hpp"

#include <algorithm>
#include <tuple>

namespace swarmpki {

namespace {

// The members of ClusterTrustRoot and ClusterJoinToken an operator watches; cluster.hpp's
// structs have no comparison of their own.
auto watched(const ClusterTrustRoot& r) {
    return std::tie(r.subject, r.public_key_sha256, r.key_type, r.not_after, r.root_file_sha256,
                    r.join_token_digest);
}
auto watched(const ClusterJoinToken& t) { return std::tie(t.digest_base36, t.pins_trust_root); }
auto watched(const ClusterRotation& r) {
    return std::tie(r.in_progress, r.converged, r.total, r.blocked_by, r.estimated_engine_seconds);
}

}  // namespace

RotationStatus rotation_status_of(const ClusterReport& report,
                                  const std::optional<RotationStatus>& previous) {
    RotationStatus status;
    status.evaluated_at = report.evaluated_at;
    status.rotation = report.cluster.rotation;
    status.trust_root = report.cluster.trust_root;
    status.worker_token = report.cluster.worker_token;
    status.manager_token = report.cluster.manager_token;
    for (const std::string& id : status.rotation.blocked_by) {
        auto node = std::find_if(report.nodes.begin(), report.nodes.end(),
                                 [&id](const ClusterNode& n) { return n.id == id; });
        if (node == report.nodes.end()) {  // blocked_by is built from the nodes: not reached
            status.blockers.push_back({id, {}, std::nullopt, {}, {}});
            continue;
        }
        status.blockers.push_back(
            {node->id, node->hostname, node->role, node->state, node->reason});
    }
    status.finished = !status.rotation.in_progress && previous &&
                      (previous->rotation.in_progress || previous->finished);
    return status;
}

bool rotation_status_changed(const RotationStatus& before, const RotationStatus& after) {
    return watched(before.rotation) != watched(after.rotation) ||
           before.blockers != after.blockers ||
           watched(before.trust_root) != watched(after.trust_root) ||
           watched(before.worker_token) != watched(after.worker_token) ||
           watched(before.manager_token) != watched(after.manager_token) ||
           before.finished != after.finished;
}

ExitCode rotation_status_exit_code(const RotationStatus& status, RotationWaitEnd end) {
    if (rotation_settled(status))
        return status.tokens_pin_trust_root() ? ExitCode::ok : ExitCode::critical;
    if (status.blocked()) return ExitCode::critical;
    return end == RotationWaitEnd::timed_out ? ExitCode::critical : ExitCode::warning;
}

}  // namespace swarmpki
