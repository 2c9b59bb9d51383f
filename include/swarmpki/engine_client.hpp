// A read-only Docker Engine API client (SPEC section 9, DOMAIN.md section 12): where the engine
// is (DOCKER_HOST as the docker CLI reads it, or --host), the API version by `/_ping`, and GETs
// of /info, /swarm, /nodes, bounded in time and size. HTTP is cpp-httplib's (docs/architecture.md
// says why); replies are parsed by engine_reply.hpp. Only `swarmpki-serve` links this layer, so
// commands that never ask the engine do not pay to load libssl and cpp-httplib.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "swarmpki/engine_client.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "swarmpki/cluster.hpp"
#include "swarmpki/engine_reply.hpp"
#include "swarmpki/error.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace swarmpki {

// The environment the docker CLI reads, passed in (no global state): the command fills it from
// its process environment, tests from literals.
struct EngineEnvironment {
    std::optional<std::string> docker_host;        // DOCKER_HOST
    std::optional<std::string> docker_tls_verify;  // DOCKER_TLS_VERIFY: non-empty means verify
    std::optional<std::string> docker_cert_path;   // DOCKER_CERT_PATH, default ~/.docker
    std::optional<std::string> home;               // HOME
    static EngineEnvironment from_process();
};

enum class EngineTransport { unix_socket, tcp, tls };

struct EngineEndpoint {
    EngineTransport transport = EngineTransport::unix_socket;
    std::string socket_path;                   // unix
    std::string host;                          // tcp, tls
    int port = 0;                              // tcp, tls
    std::string ca_file, cert_file, key_file;  // tls: DOCKER_CERT_PATH/{ca,cert,key}.pem
    std::string display;  // how messages name it: "unix:///var/run/docker.sock"
};

// `--host URL` when given, else DOCKER_HOST, else unix:///var/run/docker.sock. Throws
// UsageError on a URL that is neither unix://PATH nor tcp://HOST:PORT.
EngineEndpoint resolve_engine_endpoint(const std::optional<std::string>& host_flag,
                                       const EngineEnvironment& env);

struct EngineLimits {
    std::chrono::milliseconds connect_timeout{3000};
    // Per request, headers and body together; the three requests of info_swarm_nodes share one.
    std::chrono::milliseconds total_timeout{15000};
    std::size_t max_reply_bytes = kMaxEngineReplyBytes;
};

// Why the engine could not be asked; each maps to one line with a remedy (EngineError::what()).
enum class EngineFailure {
    no_socket,          // nothing listens there
    permission_denied,  // the socket exists; root or the docker group may use it
    connect_failed,     // refused, unreachable, TLS handshake failed
    timeout,
    too_large,
    malformed,    // not HTTP, not JSON, a member of the wrong type, truncated
    http_error,   // an unexpected status
    api_too_old,  // the engine speaks less than 1.41
    not_in_swarm,
    worker,  // a worker: run on a manager, or use inspect
    locked,  // docker swarm unlock
};
const char* to_string(EngineFailure failure);  // "no-socket", "permission-denied", ...

// Subject: the endpoint (and the path asked); problem and remedy as for every swarmpki::Error.
// Never carries a join-token secret.
class EngineError : public Error {
public:
    EngineError(EngineFailure failure, std::string subject, std::string problem,
                std::string remedy);
    EngineFailure failure() const { return failure_; }

private:
    EngineFailure failure_;
};

// One connection's worth of state: the negotiated version. Each call is one GET; none retries.
class EngineClient {
public:
    EngineClient(EngineEndpoint endpoint, EngineLimits limits = {});
    ~EngineClient();
    EngineClient(const EngineClient&) = delete;
    EngineClient& operator=(const EngineClient&) = delete;

    // GET /_ping: the version used from then on is the engine's Api-Version, never below 1.41.
    // Throws EngineError. The others call it first when it has not run.
    void negotiate();
    EngineIdentity identity() const;  // host, api_version, server_version (after negotiate)

    EngineInfo info();                // GET /vX/info
    EngineSwarm swarm();              // GET /vX/swarm
    std::vector<EngineNode> nodes();  // GET /vX/nodes

    // info(), swarm() and nodes() asked at once, on three connections under one total deadline,
    // so a cluster read waits for the slowest reply rather than the sum of three. The replies are
    // judged in that order, whatever order they arrive in: /info's failure first, then
    // `judge_info` on /info (it may throw: a worker's refusal beats /swarm's 503), then /swarm's
    // failure, then /nodes'. Each failure is the EngineError the single call would throw.
    struct InfoSwarmNodes {
        EngineInfo info;
        EngineSwarm swarm;
        std::vector<EngineNode> nodes;
    };
    InfoSwarmNodes info_swarm_nodes(const std::function<void(const EngineInfo&)>& judge_info);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Everything build_cluster_report needs from the engine, read in the order that gives the best
// refusal: /info first (not in a swarm, a worker, locked are told apart there), then /swarm and
// /nodes. Throws EngineError.
ClusterInputs read_cluster_inputs(EngineClient& client, Instant at);

// The configured cert-expiry of this engine's swarm, for inspect and expiry, from the /info the
// caller already has (they also want its DockerRootDir): nullopt when the engine is not an
// active manager (a worker's engine does not know it); asks /swarm only when that /info lacks
// the Spec. Throws EngineError when the engine cannot be asked.
std::optional<Seconds> cert_expiry_of(EngineClient& client, const EngineInfo& info);

}  // namespace swarmpki
