// What `cluster`, `inspect` and `expiry` ask the engine, in the order that gives the best
// refusal. /info answers on every engine, and its Swarm.LocalNodeState and ControlAvailable tell
// a non-member, a locked manager and a worker apart before /swarm's 503 would say the same thing
// less precisely (the 503 bodies are classified too, for an engine whose state changed between
// the two requests).
#include "engine_internal.hpp"

#include <utility>

namespace swarmpki {

namespace engine_detail {

std::optional<EngineError> membership_refusal(const std::string& subject, const EngineInfo& info) {
    switch (info.local_node_state) {
        case EngineNodeState::inactive:
        case EngineNodeState::pending: return refusal(EngineFailure::not_in_swarm, subject);
        case EngineNodeState::locked: return refusal(EngineFailure::locked, subject);
        case EngineNodeState::error:
            return EngineError(EngineFailure::not_in_swarm, subject,
                               "the engine's swarm state is 'error'",
                               "see the Swarm section of docker info, then rejoin or re-init");
        case EngineNodeState::active: break;
    }
    if (!info.control_available) return refusal(EngineFailure::worker, subject);
    return std::nullopt;
}

}  // namespace engine_detail

namespace {

std::string info_subject(EngineClient& client) {
    EngineIdentity engine = client.identity();
    return engine.host + " (GET /v" + engine.api_version + "/info)";
}

}  // namespace

ClusterInputs read_cluster_inputs(EngineClient& client, Instant at) {
    ClusterInputs inputs;
    inputs.at = at;
    // The three at once: live, the engine's round trips were most of the command's wall time.
    // The refusal order stays /info's: membership is judged before /swarm's answer is looked at.
    if (client.identity().api_version.empty()) client.negotiate();
    auto replies = client.info_swarm_nodes([&client](const EngineInfo& info) {
        if (auto refused = engine_detail::membership_refusal(info_subject(client), info))
            throw EngineError(std::move(*refused));
    });
    inputs.info = std::move(replies.info);
    inputs.swarm = std::move(replies.swarm);
    inputs.nodes = std::move(replies.nodes);
    inputs.engine = client.identity();
    // local_leaf stays for the caller: only it knows --dir and what it may read.
    return inputs;
}

std::optional<Seconds> cert_expiry_of(EngineClient& client, const EngineInfo& info) {
    if (engine_detail::membership_refusal(info_subject(client), info)) return std::nullopt;
    if (info.has_cluster && info.ca_config.node_cert_expiry) return info.ca_config.node_cert_expiry;
    // An active manager whose /info lacks Swarm.Cluster.Spec: /swarm has the same Spec.
    return client.swarm().ca_config.node_cert_expiry;
}

}  // namespace swarmpki
