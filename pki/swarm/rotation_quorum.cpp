// Raft quorum in the rotation simulator: whether `docker swarm ca --rotate` can start at all, and
// how the operator takes down nodes out of the store without losing quorum.
//
// The managers are the raft members. A leader needs more than half of them reachable; without one
// every control-API call fails with swarmkit's lostQuorumMessage (an untyped error, so the docker
// CLI shows gRPC code Unknown). `docker node rm` refuses a manager that is still a raft member
// (controlapi RemoveNode, FailedPrecondition), so a down manager is demoted first: UpdateNode
// checks CanRemoveMember (the reachable members left, the leader included, must be a quorum of
// the members left) and the role manager then removes it from the raft. The down node itself is
// never reachable, so with a leader each demotion keeps quorum: reachable > managers/2 implies
// reachable >= (managers-1)/2 + 1. The check is kept in the plan all the same, as the engine
// makes it, so that the plan is the engine's verdict and not our arithmetic.
#include "rotation_internal.hpp"
#include "swarmpki/rotation.hpp"

#include <fmt/format.h>

namespace swarmpki {

namespace {

constexpr const char* kCannotRemoveMember =
    "can't remove member from the raft: this would result in a loss of quorum";

// swarmkit's CanRemoveMember for a member that is down: it is not among the reachable ones.
bool can_remove_down_member(std::size_t members, std::size_t reachable) {
    std::size_t left = members - 1;
    return reachable >= left / 2 + 1;
}

}  // namespace

RemovalPlan plan_removals(const RaftQuorum& quorum, const std::vector<NodeRef>& down) {
    RemovalPlan plan;
    if (!quorum.has_leader()) {
        plan.keeps_quorum = false;
        plan.refusal = rotation_detail::kNoLeaderMessage;
        return plan;
    }
    std::size_t members = quorum.managers;
    for (const NodeRef& n : down) {
        if (n.role != NodeRole::manager) continue;
        if (!can_remove_down_member(members, quorum.reachable)) {
            plan.keeps_quorum = false;
            plan.refusal = fmt::format("docker node demote {}: {}", n.node, kCannotRemoveMember);
            break;
        }
        --members;
        plan.steps.push_back({n.node, n.role, "docker node demote " + n.node, members});
        plan.steps.push_back({n.node, n.role, "docker node rm " + n.node, members});
    }
    // Workers are not raft members: removing a down one never touches quorum.
    for (const NodeRef& n : down)
        if (n.role == NodeRole::worker)
            plan.steps.push_back({n.node, n.role, "docker node rm " + n.node, members});
    return plan;
}

namespace rotation_detail {

RotationNotStarted no_leader(const RaftQuorum& quorum, std::vector<std::string> down_managers) {
    std::size_t missing = quorum.needed() - quorum.reachable;
    return RotationNotStarted{
        "no-leader", kNoLeaderMessage,
        std::string("Error response from daemon: rpc error: code = Unknown desc = ") +
            kNoLeaderMessage,
        fmt::format("bring back {} of the {} down managers ({} of {} must be reachable); if they "
                    "are lost for good, run `docker swarm init --force-new-cluster` on a "
                    "reachable manager and add managers again. Demoting or removing the down "
                    "managers needs a leader too",
                    missing, down_managers.size(), quorum.needed(), quorum.managers),
        std::move(down_managers)};
}

}  // namespace rotation_detail

}  // namespace swarmpki
