// consult_engine in `swarmpki`: when there is an engine to ask, the command runs again in
// swarmpki-serve, which can (engine_seam.hpp). Here nothing is asked, so nothing of HTTP is loaded.
#include "commands.hpp"
#include "engine_seam.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <string_view>

namespace swarmpki::cli {

namespace {

// The docker CLI's default when DOCKER_HOST is unset.
constexpr std::string_view kDefaultEngineHost = "unix:///var/run/docker.sock";

std::string engine_host(const EngineRequest& request) {
    if (request.host) return *request.host;
    const char* env = std::getenv("DOCKER_HOST");
    return env && *env ? env : std::string(kDefaultEngineHost);
}

// Of the engine's own directory, a unix socket that is not there is no engine to ask: say so
// without starting the helper (the common case on a machine without Docker).
bool socket_absent(const std::string& host) {
    constexpr std::string_view scheme = "unix://";
    if (host.rfind(scheme, 0) != 0) return false;
    struct stat st {};
    return ::stat(host.c_str() + scheme.size(), &st) != 0;
}

}  // namespace

EngineAnswer consult_engine(const char* command, const Args& args, const EngineRequest& request) {
    if (request.ask == EngineAsk::never) return {};
    const std::string host = engine_host(request);
    if (request.ask == EngineAsk::if_answering && socket_absent(host)) {
        EngineAnswer answer;
        answer.setting.origin = "no engine at " + host;
        return answer;
    }
    exec_helper(command, args);  // does not return
    return {};
}

}  // namespace swarmpki::cli
