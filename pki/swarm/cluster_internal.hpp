// Pieces of the cluster report shared by its files. Not public: see swarmpki/cluster.hpp.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "pki/swarm/cluster_internal.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/cluster.hpp"

#include <optional>
#include <string>
#include <vector>

namespace swarmpki::cluster_detail {

// A node that cannot converge by itself: the reconciler marks it, but it renews only once it is
// back (Status.State down, disconnected or unknown), and an engine that reports no TLSInfo
// (older than 1.13) never shows a new issuer at all.
bool cannot_converge(const EngineNode& node);

// "down since 2026-12-01T18:56:46Z", "disconnected", ...: the node's state in operator words,
// empty for a ready node.
std::string state_words(const EngineNode& node);

// What to do about a node that holds a rotation up (SPEC section 9).
std::string blocker_remedy(const std::string& node_id);

// The trust root's facts, and why they could not be read (empty when they could).
struct TrustRootRead {
    ClusterTrustRoot facts;
    std::optional<Instant> not_before;
    std::string problem;
};
TrustRootRead read_trust_root(const std::string& pem);

// Every finding the report carries, from the inputs and the facts already decided.
std::vector<Finding> cluster_findings(const ClusterInputs& inputs, const ClusterReport& report,
                                      const TrustRootRead& root);

}  // namespace swarmpki::cluster_detail
