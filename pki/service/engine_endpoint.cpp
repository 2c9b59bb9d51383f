// Where the engine is, read the way the docker CLI reads it (docker/cli opts/hosts.go ParseHost,
// cli/context/docker/load.go): `--host` beats DOCKER_HOST beats unix:///var/run/docker.sock; a
// tcp:// host speaks TLS when DOCKER_TLS_VERIFY is non-empty, with ca.pem, cert.pem and key.pem
// from DOCKER_CERT_PATH (default ~/.docker). Only unix:// and tcp:// are spoken: ssh:// and fd://
// need the docker CLI's own machinery, and saying so beats a confusing connect failure.
#include "swarmpki/engine_client.hpp"

#include <sys/un.h>

#include <charconv>
#include <cstdlib>

namespace swarmpki {

namespace {

constexpr std::string_view kDefaultHost = "unix:///var/run/docker.sock";
// The docker CLI's defaults when a tcp:// host names no port (opts/hosts.go).
constexpr int kDefaultTcpPort = 2375;
constexpr int kDefaultTlsPort = 2376;

std::optional<std::string> environment(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

// The docker CLI treats an empty variable as an unset one.
bool present(const std::optional<std::string>& value) { return value && !value->empty(); }

[[noreturn]] void bad_host(const std::string& url, const std::string& why) {
    throw UsageError("engine host '" + url + "': " + why +
                     " (use unix:///PATH or tcp://HOST:PORT, in --host or DOCKER_HOST)");
}

EngineEndpoint unix_endpoint(const std::string& url, std::string path) {
    if (path.empty()) bad_host(url, "no socket path after unix://");
    if (path.find('\0') != std::string::npos) bad_host(url, "the socket path holds a NUL byte");
    // sun_path holds the path and its terminating NUL.
    if (path.size() >= sizeof(sockaddr_un::sun_path))
        bad_host(url, "the socket path is longer than " +
                          std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
    EngineEndpoint endpoint;
    endpoint.transport = EngineTransport::unix_socket;
    endpoint.display = "unix://" + path;
    endpoint.socket_path = std::move(path);
    return endpoint;
}

std::optional<int> parse_port(std::string_view text) {
    int port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535)
        return std::nullopt;
    return port;
}

// "HOST:PORT", "[V6]:PORT", "HOST" or "HOST:" (the default port), "" or ":PORT" (127.0.0.1, as
// the CLI has it); a trailing "/" is allowed, any other path is not.
void parse_host_port(const std::string& url, std::string_view rest, int default_port,
                     EngineEndpoint& endpoint) {
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find_first_of("/?#@") != std::string_view::npos)
        bad_host(url, "a tcp:// host is HOST:PORT, with no path, query or user");
    std::string_view host = rest, port;
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos) bad_host(url, "an IPv6 address without its ']'");
        host = rest.substr(1, close - 1);
        std::string_view after = rest.substr(close + 1);
        if (!after.empty() && after.front() != ':') bad_host(url, "junk after the IPv6 address");
        if (!after.empty()) port = after.substr(1);
        if (host.empty()) bad_host(url, "an empty IPv6 address");
    } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            bad_host(url, "an IPv6 address must be in brackets: tcp://[ADDRESS]:PORT");
    }
    endpoint.host = host.empty() ? "127.0.0.1" : std::string(host);
    endpoint.port = default_port;
    if (!port.empty()) {
        auto parsed = parse_port(port);
        if (!parsed) bad_host(url, "the port is not a number from 1 to 65535");
        endpoint.port = *parsed;
    }
    bool v6 = endpoint.host.find(':') != std::string::npos;
    endpoint.display = "tcp://" + (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
                       std::to_string(endpoint.port);
}

EngineEndpoint tcp_endpoint(const std::string& url, std::string_view rest,
                            const EngineEnvironment& env) {
    EngineEndpoint endpoint;
    bool tls = present(env.docker_tls_verify);
    endpoint.transport = tls ? EngineTransport::tls : EngineTransport::tcp;
    parse_host_port(url, rest, tls ? kDefaultTlsPort : kDefaultTcpPort, endpoint);
    if (!tls) return endpoint;
    std::string dir;
    if (present(env.docker_cert_path)) dir = *env.docker_cert_path;
    else if (present(env.home)) dir = *env.home + "/.docker";
    else
        throw UsageError("DOCKER_TLS_VERIFY is set, but neither DOCKER_CERT_PATH nor HOME says "
                         "where ca.pem, cert.pem and key.pem are (set DOCKER_CERT_PATH)");
    if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    endpoint.ca_file = dir + "/ca.pem";
    endpoint.cert_file = dir + "/cert.pem";
    endpoint.key_file = dir + "/key.pem";
    return endpoint;
}

}  // namespace

EngineEnvironment EngineEnvironment::from_process() {
    EngineEnvironment env;
    env.docker_host = environment("DOCKER_HOST");
    env.docker_tls_verify = environment("DOCKER_TLS_VERIFY");
    env.docker_cert_path = environment("DOCKER_CERT_PATH");
    env.home = environment("HOME");
    return env;
}

EngineEndpoint resolve_engine_endpoint(const std::optional<std::string>& host_flag,
                                       const EngineEnvironment& env) {
    std::string url = host_flag                  ? *host_flag
                      : present(env.docker_host) ? *env.docker_host
                                                 : std::string(kDefaultHost);
    std::string_view view = url;
    if (view.starts_with("unix://")) return unix_endpoint(url, std::string(view.substr(7)));
    if (view.starts_with("tcp://")) return tcp_endpoint(url, view.substr(6), env);
    if (url.empty()) bad_host(url, "empty");
    auto scheme = view.find("://");
    if (scheme == std::string_view::npos) bad_host(url, "no scheme");
    bad_host(url, "swarmpki speaks unix:// and tcp:// only, not " +
                      std::string(view.substr(0, scheme)) + "://");
}

}  // namespace swarmpki
