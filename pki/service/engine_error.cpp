// The engine client's refusals: one kind a caller can branch on, one line an operator can act on.
#include "engine_internal.hpp"

#include <cerrno>
#include <cstring>

namespace swarmpki {

const char* to_string(EngineFailure failure) {
    switch (failure) {
        case EngineFailure::no_socket: return "no-socket";
        case EngineFailure::permission_denied: return "permission-denied";
        case EngineFailure::connect_failed: return "connect-failed";
        case EngineFailure::timeout: return "timeout";
        case EngineFailure::too_large: return "too-large";
        case EngineFailure::malformed: return "malformed";
        case EngineFailure::http_error: return "http-error";
        case EngineFailure::api_too_old: return "api-too-old";
        case EngineFailure::not_in_swarm: return "not-in-swarm";
        case EngineFailure::worker: return "worker";
        case EngineFailure::locked: return "locked";
    }
    return "connect-failed";
}

EngineError::EngineError(EngineFailure failure, std::string subject, std::string problem,
                         std::string remedy)
    : Error(std::move(subject), std::move(problem), std::move(remedy)), failure_(failure) {}

namespace engine_detail {

EngineError connect_refusal(const EngineEndpoint& endpoint, int connect_errno) {
    const std::string& subject = endpoint.display;
    switch (connect_errno) {
        case ENOENT:
        case ENOTDIR:
            return {EngineFailure::no_socket, subject, "no such socket",
                    "is dockerd running? name the engine with --host or DOCKER_HOST"};
        case EACCES:
        case EPERM:
            return {EngineFailure::permission_denied, subject, "permission denied",
                    "run as root or as a member of the docker group"};
        case ECONNREFUSED:
            return {EngineFailure::connect_failed, subject,
                    "connection refused: nothing accepts connections on it",
                    "start dockerd, or name the engine with --host or DOCKER_HOST"};
        default:
            return {EngineFailure::connect_failed, subject,
                    std::string("cannot connect: ") + std::strerror(connect_errno),
                    "check that dockerd is running there"};
    }
}

namespace {

// The three 503 messages of DOMAIN.md section 12, told apart by words each alone carries.
std::optional<EngineFailure> refusal_kind(std::string_view message) {
    if (message.find("Worker nodes can't be used") != std::string_view::npos)
        return EngineFailure::worker;
    if (message.find("needs to be unlocked") != std::string_view::npos)
        return EngineFailure::locked;
    if (message.find("not a swarm manager") != std::string_view::npos)
        return EngineFailure::not_in_swarm;
    return std::nullopt;
}

}  // namespace

EngineError refusal(EngineFailure failure, const std::string& subject) {
    switch (failure) {
        case EngineFailure::worker:
            return {failure, subject,
                    "this engine is a swarm worker: only managers know the cluster",
                    "run on a manager, or use swarmpki inspect on this node's directory"};
        case EngineFailure::locked:
            return {failure, subject, "the swarm is locked on this manager",
                    "unlock it with docker swarm unlock"};
        default:
            return {EngineFailure::not_in_swarm, subject, "this engine is not in a swarm",
                    "run on a swarm manager, or make this one: docker swarm init, or docker swarm "
                    "join"};
    }
}

EngineError status_refusal(const std::string& subject, int status, std::string_view body) {
    std::string message = engine_error_message(body);
    if (status == 503)
        if (auto kind = refusal_kind(message)) return refusal(*kind, subject);
    std::string problem = "the engine answered HTTP " + std::to_string(status);
    if (!message.empty()) problem += ": " + message;
    return {EngineFailure::http_error, subject, problem,
            "check the engine's log (journalctl -u docker) and that --host names a Docker engine"};
}

}  // namespace engine_detail

}  // namespace swarmpki
