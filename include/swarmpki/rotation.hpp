// A cross-signed root rotation over a whole simulated cluster, the way the engine runs it
// (DOMAIN.md section 5), with real keys, real certificates and real signature checks.
//
// The simulator answers what an operator asks before `docker swarm ca --rotate`: will my root be
// refused, how long will convergence take, which nodes block it, who is stranded if I remove the
// down nodes, and does the old join token still work afterwards. Engine time is modelled on the
// engine's reconciler (a 3 s tick, up to 30 nodes marked per tick, renewals 0.65-0.8 s after
// marking, completion 0.15 s after the tick that finds every node converged: DOMAIN.md section 11).
// Real time is what the crypto costs here.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "swarmpki/rotation.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/ca.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/severity.hpp"
#include "swarmpki/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swarmpki {

// PEM text as the operator gave it, with the names to use in messages.
struct PemInput {
    std::string text;
    std::string name;  // a path, for messages
};

// A node of the real cluster (`rotate simulate --engine`), as the cluster report decided it.
struct LiveNode {
    std::string id, hostname;
    NodeRole role = NodeRole::worker;
    bool leader = false;
    bool offline = false;  // the report's would_block_rotation: it never renews, so it blocks
    std::string reason;    // the report's words for why; empty when it would not block
};

// The real cluster to rehearse on (rotation_live.hpp makes it from the cluster report). Its nodes
// replace managers, workers, offline and the drawn IDs; the desired root is checked against its
// live trust root, while the crypto runs on current_cert/current_key: a stand-in, since the
// engine never gives out the root's key.
struct LiveCluster {
    std::string host, api_version, server_version;
    std::string cluster_id;
    std::vector<LiveNode> nodes;  // in /nodes order
    PemInput trust_root;          // TLSInfo.TrustRoot, the certificate only
    std::string stand_in;         // how the stand-in root was made, in the report's words
};

struct RotationOptions {
    std::size_t managers = 3;
    std::size_t workers = 0;
    std::size_t offline = 0;
    bool remove_offline = false;
    // The operator's desired root (`docker swarm ca --rotate --ca-cert F --ca-key K`); when absent
    // the engine makes one (CN=swarm-ca, P-256).
    std::optional<PemInput> desired_cert, desired_key;
    // The cluster's current root; when absent the simulator makes one as `swarm init` does.
    std::optional<PemInput> current_cert, current_key;
    Seconds cert_expiry = kDefaultNodeCertExpiry;
    std::optional<std::uint64_t> seed;  // IDs, offline choices, engine timings; keys stay random
    std::optional<std::string> out_dir;
    Overwrite overwrite = Overwrite::no;
    Instant now{};                    // when the operator starts the rotation
    unsigned threads = 0;             // 0: every core
    std::optional<LiveCluster> live;  // rehearse on the real cluster (rotate simulate --engine)
};

// The engine refusing the desired root, in its own words.
struct RotationRefusal {
    std::string subject;       // the file refused
    std::string message;       // the engine's text, e.g. "CA certificate expires too soon"
    std::string engine_error;  // as the docker CLI prints it
    std::string hazard;        // what an engine without this check would do; may be empty
    std::string remedy;
};

struct SimulatedPhase {
    std::string name;
    double seconds = 0;         // real time spent here
    double engine_seconds = 0;  // what the engine would take
    std::size_t verifications = 0;
    std::size_t failures = 0;
};

// A node the report names, with its role: what the operator can do to a down node depends on it.
struct NodeRef {
    std::string node;
    NodeRole role = NodeRole::worker;
    bool operator==(const NodeRef&) const = default;
};

struct StrandedNode {
    std::string node;
    NodeRole role = NodeRole::worker;
    std::string reason;
};

// Raft among the managers: a leader needs more than half of them reachable. Without one every
// control-API call fails, `docker swarm ca --rotate`, `docker node demote` and `docker node rm`
// included (swarmkit raft.go lostQuorumMessage).
struct RaftQuorum {
    std::size_t managers = 0;   // raft members
    std::size_t reachable = 0;  // of them up
    std::size_t needed() const { return managers / 2 + 1; }
    bool has_leader() const { return reachable >= needed(); }
};

// The rotation never started: no leader to take `docker swarm ca --rotate`.
struct RotationNotStarted {
    std::string reason;        // "no-leader"
    std::string message;       // the engine's text
    std::string engine_error;  // as the docker CLI prints it
    std::string remedy;
    std::vector<std::string> down_managers;
};

// One command of the operator's removal of the down nodes that hold a rotation up. A down
// manager is a raft member, which `docker node rm` refuses: it is demoted first, and each
// demotion shrinks the raft, so the steps run in an order the engine's quorum check accepts.
struct RemovalStep {
    std::string node;
    NodeRole role = NodeRole::worker;
    std::string command;                  // "docker node demote ID" or "docker node rm ID"
    std::size_t raft_managers_after = 0;  // raft members once this step is done
};

struct RemovalPlan {
    std::vector<RemovalStep> steps;
    bool keeps_quorum = true;  // every step passes the engine's checks
    std::string refusal;       // the engine's words for the first step it would refuse; or empty
    bool performed = false;    // --remove-offline: the steps were run
};

struct CryptoCounts {
    std::uint64_t keygen = 0;
    std::uint64_t sign = 0;
    std::uint64_t verify = 0;  // signature verifications actually computed
};

// What a rehearsal on the real cluster adds to the report.
struct LiveRotationReport {
    std::string host, api_version, server_version;
    // The live trust root: what the desired root was checked against.
    std::string trust_root_subject, trust_root_key_type, trust_root_public_key_sha256,
        trust_root_file_sha256;
    std::string stand_in;
    // The real nodes the simulated rotation could not converge: they hold it forever, or were
    // removed with --remove-offline. In /nodes order.
    std::vector<LiveNode> would_block;
    // The engine's time for the rotation (the simulator's engine_seconds); null when blocked.
    std::optional<double> estimated_engine_seconds;
};

struct RotationReport {
    std::size_t managers = 0, workers = 0, offline = 0;
    std::string cluster_id;
    std::vector<SimulatedPhase> phases;
    RaftQuorum quorum;
    std::optional<RotationNotStarted> not_started;  // set: nothing of the rotation happened
    bool converged = false;
    std::vector<NodeRef> blocked_by;
    RemovalPlan removal;  // how the down nodes in blocked_by (or removed) leave the store
    std::vector<StrandedNode> stranded;
    bool old_token_accepted_after = true;
    CryptoCounts crypto;
    double seconds = 0;
    double engine_seconds = 0;
    // ok: converged; warning: stranded; critical: blocked, no leader, or failures
    Severity severity = Severity::ok;
    std::optional<RotationRefusal> refusal;
    std::vector<std::string> failure_details;      // the first few, in operator words
    std::string old_root_sha256, new_root_sha256;  // root files' exact bytes
    std::string old_root_public_key_sha256, new_root_public_key_sha256;
    std::optional<std::string> out_dir;
    unsigned threads = 1;
    std::optional<LiveRotationReport> engine;  // set on a rehearsal on the real cluster
};

// "ok", "warning", "critical", or "refused".
std::string rotation_status(const RotationReport& report);
ExitCode rotation_exit_code(const RotationReport& report);

// The engine's checks on a desired root (controlapi validateCAConfig, NewRootCA, the identical-key
// check of newer engines, and the cross-signing that needs a CA), in the engine's order. Returns
// the refusal, or nothing when the engine would start the rotation.
std::optional<RotationRefusal> check_desired_root(const PemInput& cert, const PemInput& key,
                                                  const Certificate& current_root, Instant now);

// The operator's commands that take the down nodes out of the store, managers first (each
// demoted, then removed), each checked as the engine checks it: a leader must exist, and a
// demotion must leave a raft in which the reachable managers are still a quorum (swarmkit
// CanRemoveMember). Stops at the first manager step the engine would refuse.
RemovalPlan plan_removals(const RaftQuorum& quorum, const std::vector<NodeRef>& down);

// Runs the rotation. Bad options (sizes, unreadable current root) throw swarmpki::Error; an
// engine refusal of the desired root comes back as report.refusal.
RotationReport simulate_rotation(const RotationOptions& options);

std::string render_rotation_json(const RotationReport& report);
std::string render_rotation_text(const RotationReport& report);

}  // namespace swarmpki
