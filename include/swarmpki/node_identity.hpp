// Who a swarm leaf certificate says its node is (the reading side of ca.hpp's NodeIdentity),
// decided here only: every command and format (inspect, verify, expiry, serve's metrics and
// webhooks) reports what this returns.
//
// The engine writes O=<cluster>, OU=swarm-manager|swarm-worker, CN=<node id> (DOMAIN.md §3.1),
// and a FIPS-mandatory cluster's O is "FIPS." + its ID (DOMAIN.md §2). swarmpki reports the bare
// ID as cluster_id and the prefix as a separate boolean `fips`, so one cluster has one ID in
// every output and a fleet can be grouped or joined on it without string surgery.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "swarmpki/node_identity.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include <optional>
#include <string>
#include <string_view>

namespace swarmpki {

struct ClusterName {
    std::string id;     // the O without its "FIPS." prefix
    bool fips = false;  // O starts with "FIPS.": every node must run in FIPS mode

    friend bool operator==(const ClusterName&, const ClusterName&) = default;
};

// Any O, as the engine names a cluster by it.
ClusterName parse_cluster_name(std::string_view organization);

// "manager" for OU swarm-manager, "worker" for swarm-worker, nullopt for anything else.
std::optional<std::string> role_of_organizational_unit(std::string_view ou);

struct SwarmIdentity {
    std::string node_id;  // CN
    std::string role;     // "manager" | "worker"
    ClusterName cluster;
};

// The identity of a swarm node certificate from its subject's CN, OU and O; nullopt when the
// OU is not a swarm role (then the certificate is not one the swarm CA issued for a node).
std::optional<SwarmIdentity> parse_node_identity(std::string_view cn, std::string_view ou,
                                                 std::string_view o);

}  // namespace swarmpki
