// The cluster as the engine sees it: one report built from the engine's replies (/info, /swarm,
// /nodes) and, when readable, this manager's own leaf (SPEC section 9). Every decision about the
// cluster is made here, once: a node's TLS STATUS (the docker CLI's rule), whether it has
// converged (the reconciler's rule), what blocks a rotation and why, whether the configured
// cert-expiry is applied, whether the join tokens pin the trust root. `swarmpki cluster`,
// `serve --engine` and `rotate status` render this; none of them decides again.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "swarmpki/cluster.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/engine_reply.hpp"
#include "swarmpki/finding.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace swarmpki {

// `docker node ls` TLS STATUS (docker/cli formatter.go TLSStatus): unknown when the cluster's or
// the node's TLSInfo is empty, ready when they are equal, needs-rotation otherwise.
enum class TlsStatus { ready, needs_rotation, unknown };
const char* to_string(TlsStatus status);  // "ready", "needs-rotation", "unknown"
TlsStatus tls_status(const EngineTlsInfo& cluster, const EngineTlsInfo& node);

// The reconciler's rule (swarmkit ca/reconciler.go): a node has converged when the issuer it
// reports is the desired issuer, subject and key; its status does not matter.
bool issuer_converged(const EngineTlsInfo& desired, const EngineTlsInfo& node);

// Where the engine is and what it speaks; filled by the client, shown by the renderers.
struct EngineIdentity {
    std::string host;            // "unix:///var/run/docker.sock", "tcp://10.0.0.5:2376"
    std::string api_version;     // the version used in paths: "1.41"
    std::string server_version;  // "20.10.24+dfsg1"
};

struct ClusterNode {
    std::string id, hostname;
    std::optional<NodeRole> role;
    std::string availability, state;  // as the engine says them: "active", "ready", "down"
    bool leader = false;
    std::string engine_version;
    TlsStatus tls_status = TlsStatus::unknown;
    std::string issuer_public_key_sha256;  // of the DER SPKI it reports; empty when none
    std::string trust_root_sha256;         // of its TrustRoot PEM bytes; empty when none
    bool converged = false;
    bool blocking_rotation = false;  // a rotation is in progress and this node holds it
    std::string reason;              // operator words for why it lags; empty when it does not
    // A rotation started now would wait for it forever (down, disconnected, or no TLS info), and
    // why in operator words (empty when it would not): what `rotate simulate --engine` rehearses.
    bool would_block_rotation = false;
    std::string blocker_reason;
};

struct ClusterTrustRoot {
    std::string subject, public_key_sha256, key_type;
    std::optional<Instant> not_after;  // null when the PEM did not parse
    std::string root_file_sha256;      // of the TrustRoot bytes, as inspect reports a root file
    std::string join_token_digest;     // the digest a token pinning it carries (base 36)
};

struct ClusterIssuer {
    std::string subject;            // RFC 2253, from the DER Name
    std::string public_key_sha256;  // of the DER SPKI
};

struct ClusterRotation {
    bool in_progress = false;
    std::size_t converged = 0, total = 0;
    std::vector<std::string> blocked_by;  // node IDs that keep it from finishing
    // The engine's remaining time by the simulator's pacing model; null when blocked or when no
    // rotation is in progress.
    std::optional<double> estimated_engine_seconds;
};

struct ClusterJoinToken {
    std::string digest_base36;  // empty when the engine gave none or it did not parse
    bool pins_trust_root = false;
};

struct ClusterExternalCa {
    std::string protocol, url, ca_cert_sha256;  // ca_cert_sha256 empty without a CACert
};

// The configured cert-expiry measured against this manager's own leaf.
struct CertExpiryApplied {
    std::string leaf_path;    // the swarm-node.crt that was read
    Seconds leaf_lifetime{};  // NotAfter - NotBefore
    bool applied = false;     // leaf_lifetime is cert_expiry + the 1 h backdate, within tolerance
};

struct ClusterFacts {
    std::string id;
    std::optional<Seconds> cert_expiry;  // Spec.CAConfig.NodeCertExpiry
    std::uint64_t force_rotate = 0;
    std::vector<ClusterExternalCa> external_cas;
    ClusterTrustRoot trust_root;
    ClusterIssuer desired_issuer;
    ClusterRotation rotation;
    ClusterJoinToken worker_token, manager_token;
    std::optional<CertExpiryApplied> cert_expiry_applied;  // null when no leaf could be read
};

struct ClusterReport {
    Instant evaluated_at{};
    Severity status = Severity::ok;  // the worst finding
    EngineIdentity engine;
    ClusterFacts cluster;
    std::vector<ClusterNode> nodes;  // in /nodes order
    std::vector<Finding> findings;
};

// This manager's leaf, when it could be read (`--dir`, or <DockerRootDir>/swarm/certificates).
struct LocalLeaf {
    std::string path;
    Instant not_before{}, not_after{};
};

struct ClusterInputs {
    EngineIdentity engine;
    EngineInfo info;
    EngineSwarm swarm;
    std::vector<EngineNode> nodes;
    std::optional<LocalLeaf> local_leaf;
    Instant at{};
};

// This manager's leaf: `<dir>/swarm-node.crt`, else `<DockerRootDir>/swarm/certificates/`
// from /info. Throws swarmpki::Error when `dir` was given and its leaf cannot be read; nullopt
// when the default one cannot be.
std::optional<LocalLeaf> read_local_leaf(const std::optional<std::string>& dir,
                                         const EngineInfo& info);

// Decides everything above. Never throws on engine content: what cannot be decided (a trust
// root that does not parse) is a finding.
ClusterReport build_cluster_report(const ClusterInputs& inputs);

// The engine's remaining seconds for a rotation with `unconverged` nodes left, all reachable: the
// reconciler's pacing the simulator models (3 s ticks, 30 nodes marked a tick, finished 0.15 s
// after the tick that finds every node converged). One model: rotation_schedule.cpp owns it.
double estimated_engine_seconds(std::size_t unconverged);

}  // namespace swarmpki
