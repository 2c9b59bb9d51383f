// The node identity rule of node_identity.hpp, the only place that reads OU and O for it.
#include "swarmpki/node_identity.hpp"

namespace swarmpki {

namespace {
constexpr std::string_view kFipsPrefix = "FIPS.";  // swarmkit node/node.go, "FIPS." + NewID()
}

ClusterName parse_cluster_name(std::string_view organization) {
    ClusterName name;
    name.fips = organization.substr(0, kFipsPrefix.size()) == kFipsPrefix;
    if (name.fips) organization.remove_prefix(kFipsPrefix.size());
    name.id = std::string(organization);
    return name;
}

std::optional<std::string> role_of_organizational_unit(std::string_view ou) {
    if (ou == "swarm-manager") return "manager";
    if (ou == "swarm-worker") return "worker";
    return std::nullopt;
}

std::optional<SwarmIdentity> parse_node_identity(std::string_view cn, std::string_view ou,
                                                 std::string_view o) {
    std::optional<std::string> role = role_of_organizational_unit(ou);
    if (!role) return std::nullopt;
    return SwarmIdentity{std::string(cn), std::move(*role), parse_cluster_name(o)};
}

}  // namespace swarmpki
