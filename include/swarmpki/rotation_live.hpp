// The rotation rehearsal on the real cluster (`rotate simulate --engine`): the cluster report's
// decisions (roles, the leader, who is down or disconnected and why, the configured
// cert-expiry) turned into the simulator's inputs. Nothing is decided again here: a node blocks
// in the simulation exactly when the report says a rotation would wait for it forever.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "swarmpki/rotation_live.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/cluster.hpp"
#include "swarmpki/rotation.hpp"

#include <string>

namespace swarmpki {

// The real cluster as the simulator takes it: the report's nodes (ID, hostname, role, leader,
// would_block_rotation as offline, blocker_reason), its ID and engine, and the engine's trust
// root PEM (`TLSInfo.TrustRoot`, from /swarm). Throws Error when the trust root does not parse.
LiveCluster live_cluster_from(const ClusterReport& report, const std::string& trust_root_pem);

// `options` as the operator gave them, set to rehearse on `live`: its nodes replace the drawn
// cluster, the current root is a stand-in with the live root's subject, validity and key type
// (P-256 when swarmpki cannot make that type), and the cluster's configured cert-expiry
// (Spec.CAConfig.NodeCertExpiry) is used unless the operator gave one.
RotationOptions live_rotation_options(RotationOptions options, LiveCluster live,
                                      const ClusterReport& report, bool cert_expiry_given);

}  // namespace swarmpki
