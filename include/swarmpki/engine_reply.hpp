// What the Docker Engine API says about a swarm, parsed from its replies (DOMAIN.md sections 6
// and 12; moby api/types/swarm). Parsing only: no I/O, so the fuzz target and the fixture tests
// drive exactly what `swarmpki cluster` runs on a live engine's bytes.
//
// Every reply is hostile until proven otherwise: a member of the wrong type, a base64 field that
// does not decode, a duplicate or out-of-range value is a refusal naming the member, never a
// guess. Members the engine may omit (ForceRotate while 0, TLSInfo of an old engine) are absent,
// not errors. Join tokens are reduced to their digests while parsing: no secret is kept.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "swarmpki/engine_reply.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/ca.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

// The TLS information a node reports (`Description.TLSInfo`) or the cluster's (`/info`
// `Swarm.Cluster.TLSInfo`, `/swarm` `TLSInfo`). Compared byte for byte, as the docker CLI does.
struct EngineTlsInfo {
    std::string trust_root_pem;  // exact bytes of `TrustRoot`
    Bytes issuer_subject;        // DER of the issuer's Name (`CertIssuerSubject`, base64 in JSON)
    Bytes issuer_public_key;     // DER SubjectPublicKeyInfo (`CertIssuerPublicKey`)

    bool empty() const {
        return trust_root_pem.empty() && issuer_subject.empty() && issuer_public_key.empty();
    }
    friend bool operator==(const EngineTlsInfo&, const EngineTlsInfo&) = default;
};

// A join token as `/swarm` gives it, without its secret.
struct EngineJoinToken {
    bool present = false;       // the member was there and non-empty
    bool well_formed = false;   // parse_join_token accepted it
    std::string digest_base36;  // its root digest (50 characters) when well formed
    Sha256 digest{};            // the same, decoded
};

struct EngineExternalCa {
    std::string protocol;  // "cfssl"
    std::string url;
    std::string ca_cert_pem;  // `CACert`, may be empty
};

// `Spec.CAConfig` plus what `/swarm` and `/info` say about the rotation.
struct EngineCaConfig {
    std::optional<Seconds> node_cert_expiry;  // `NodeCertExpiry` (nanoseconds in JSON)
    std::uint64_t force_rotate = 0;           // absent while 0
    std::vector<EngineExternalCa> external_cas;
};

// GET /swarm (managers only).
struct EngineSwarm {
    std::string id;
    EngineCaConfig ca_config;
    EngineTlsInfo tls_info;  // TrustRoot = current root; issuer = desired issuer
    bool root_rotation_in_progress = false;
    EngineJoinToken worker_token, manager_token;
};

// `Swarm.LocalNodeState` of /info.
enum class EngineNodeState { inactive, pending, active, error, locked };
std::optional<EngineNodeState> parse_engine_node_state(std::string_view text);
const char* to_string(EngineNodeState state);

// GET /info: always answers; `Swarm.Cluster` only on an active manager.
struct EngineInfo {
    std::string server_version;   // `ServerVersion`
    std::string docker_root_dir;  // `DockerRootDir`: where swarm/certificates lives
    std::string node_id;          // `Swarm.NodeID`, empty outside a swarm
    EngineNodeState local_node_state = EngineNodeState::inactive;
    bool control_available = false;  // `Swarm.ControlAvailable`: a manager
    bool has_cluster = false;        // `Swarm.Cluster` was present
    std::string cluster_id;
    EngineTlsInfo cluster_tls_info;  // `Swarm.Cluster.TLSInfo`: the CLI's TLS STATUS compares this
    EngineCaConfig ca_config;
    bool root_rotation_in_progress = false;
};

// One element of GET /nodes.
struct EngineNode {
    std::string id;
    std::string hostname;               // `Description.Hostname`
    std::optional<NodeRole> role;       // `Spec.Role`
    std::string availability;           // `Spec.Availability`: active, pause, drain
    std::string state;                  // `Status.State`: unknown, down, ready, disconnected
    std::string message;                // `Status.Message`
    std::string addr;                   // `Status.Addr`
    std::optional<Instant> updated_at;  // `UpdatedAt` (RFC 3339, fractional seconds dropped)
    bool leader = false;                // `ManagerStatus.Leader`
    std::string reachability;           // `ManagerStatus.Reachability`, empty for workers
    std::string engine_version;         // `Description.Engine.EngineVersion`
    EngineTlsInfo tls_info;  // `Description.TLSInfo`, empty from an engine that reports none
};

// GET /version (the engine's own, and the API range it speaks).
struct EngineVersion {
    std::string version;          // `Version`
    std::string api_version;      // `ApiVersion`
    std::string min_api_version;  // `MinAPIVersion`
};

// Each parse: the value, or `error` as one line naming the member and the rule
// ("Nodes[3].Description.TLSInfo.CertIssuerPublicKey: not base64"). Never holds a token secret.
template <class T>
struct EngineParse {
    std::optional<T> value;
    std::string error;
};
EngineParse<EngineInfo> parse_engine_info(std::string_view body);
EngineParse<EngineSwarm> parse_engine_swarm(std::string_view body);
EngineParse<std::vector<EngineNode>> parse_engine_nodes(std::string_view body);
EngineParse<EngineVersion> parse_engine_version(std::string_view body);

// The `message` of an engine error body ({"message": "..."}), cut to one line of at most 300
// characters; empty when the body is not such an object.
std::string engine_error_message(std::string_view body);

// The bounds a parser keeps before anything is trusted: the reply size the client reads at most
// (5,000 nodes are about 9 MB), how many nodes, how deep the JSON nests.
inline constexpr std::size_t kMaxEngineReplyBytes = 64u << 20;
inline constexpr std::size_t kMaxEngineNodes = 100000;
inline constexpr std::size_t kMaxEngineJsonDepth = 32;

}  // namespace swarmpki
