// Pieces of the engine client shared between its own .cpp files and its tests (not public API).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/engine_internal.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "swarmpki/engine_client.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace swarmpki::engine_detail {

// What connect(2) said about a unix socket, as the refusal an operator reads: ENOENT (and
// ENOTDIR) no-socket, EACCES and EPERM permission-denied, anything else connect-failed.
EngineError connect_refusal(const EngineEndpoint& endpoint, int connect_errno);

// The refusal of a worker, a locked manager or (any other kind) a non-member.
EngineError refusal(EngineFailure failure, const std::string& subject);

// A reply other than 200. The engine's 503 on /swarm and /nodes says why it will not answer
// (DOMAIN.md section 12): a worker, a non-member and a locked manager each get their own kind and
// remedy; any other status is http-error with the engine's `message`. Only that message, cut to
// one line by engine_error_message, ever comes from the body: a /swarm body holds join tokens.
EngineError status_refusal(const std::string& subject, int status, std::string_view body);

// The refusal for /info's Swarm.LocalNodeState and ControlAvailable, or nullopt for an active
// manager.
std::optional<EngineError> membership_refusal(const std::string& subject, const EngineInfo& info);

// "1.41" -> {1, 41}; nullopt for anything that is not two dot-separated decimal numbers.
struct ApiVersion {
    int major = 0, minor = 0;
};
std::optional<ApiVersion> parse_api_version(std::string_view text);

// The oldest API whose paths swarmpki uses.
inline constexpr ApiVersion kMinimumApiVersion{1, 41};

}  // namespace swarmpki::engine_detail
