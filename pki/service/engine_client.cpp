// The engine client's HTTP: one GET per call over cpp-httplib (docs/architecture.md says why that
// library), bounded in time and size whatever the other end does, and every failure turned into
// one EngineError naming the endpoint, the path, the problem and the remedy.
//
// Bounds. cpp-httplib 0.11.4 times each read, not the request, so an engine dripping one byte a
// second would hold us for ever; a guard thread ends each request at its total deadline by
// shutting down its own duplicate of the socket (taken in set_socket_options, before connect;
// Client::stop() would wait on a mutex held through connect and the TLS handshake), as the
// webhook sender does. The body goes to a receiver that refuses the byte past max_reply_bytes;
// a Content-Length above it is refused before any body is read. cpp-httplib de-chunks chunked
// replies (dockerd chunks /info and /nodes). Headers are bounded only by the deadline: cpp-httplib
// has no header budget, and a unix socket no received-byte count to cut them by.
//
// Secrets. A /swarm body holds both join tokens: no body text ever reaches an error except the
// `message` of an engine error body (engine_error_message), and parse errors, which name members.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "engine_internal.hpp"
#include "socket_guard.hpp"
#include "swarmpki/file.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace swarmpki {

namespace engine_detail {

std::optional<ApiVersion> parse_api_version(std::string_view text) {
    auto number = [](std::string_view part) -> std::optional<int> {
        int value = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        // from_chars takes a sign; a version has none.
        if (part.empty() || part.front() == '-' || ec != std::errc() ||
            end != part.data() + part.size())
            return {};
        return value;
    };
    auto dot = text.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto major = number(text.substr(0, dot));
    auto minor = number(text.substr(dot + 1));
    if (!major || !minor) return std::nullopt;
    return ApiVersion{*major, *minor};
}

}  // namespace engine_detail

namespace {

using engine_detail::ApiVersion;
using SteadyClock = std::chrono::steady_clock;

// cpp-httplib writes with send(2) flags 0 (and SSL_write), so a peer that closes first raises
// SIGPIPE. Blocked for the request on the caller's thread, a pending one is consumed before the
// caller's mask comes back: the library leaves the process's disposition to the program.
class SigpipeBlock {
public:
    SigpipeBlock() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    }
    ~SigpipeBlock() {
        if (sigismember(&previous_, SIGPIPE) == 0) {
            timespec zero{};
            while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
    sigset_t pipe_{}, previous_{};
};

// One read's deadline (socket_guard.hpp): every socket the client opened is shut down at it.
using RequestGuard = service_detail::SocketGuard;

// connect(2)'s own answer for a unix socket: cpp-httplib reports every failure as one error, and
// ENOENT, EACCES and ECONNREFUSED have different remedies. A non-blocking probe, closed at once.
int unix_connect_errno(const std::string& path) {
    Fd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (socket.get() < 0) return errno;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), std::min(path.size(), sizeof address.sun_path - 1));
    int rc = ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    return rc == 0 ? 0 : errno;
}

template <class Duration>
std::pair<time_t, time_t> sec_usec(Duration duration) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
    return {static_cast<time_t>(micros / 1000000), static_cast<time_t>(micros % 1000000)};
}

std::string milliseconds_text(std::chrono::milliseconds ms) {
    return std::to_string(ms.count()) + " ms";
}

struct Reply {
    int status = 0;
    std::string body;
    std::string api_version;  // the Api-Version header
    std::string server;       // the Server header
};

// What one request saw, for the refusal when it failed.
struct Attempt {
    bool answered = false;   // the status line and headers arrived
    bool oversized = false;  // the receiver or the Content-Length check refused
};

}  // namespace

struct EngineClient::Impl {
    EngineEndpoint endpoint;
    EngineLimits limits;
    std::unique_ptr<httplib::ClientImpl> http;
    std::string api_version;  // empty until negotiated
    std::string server_version;

    std::string subject(const std::string& path) const {
        return endpoint.display + " (GET " + path + ")";
    }
    void connect_client();
    std::unique_ptr<httplib::ClientImpl> make_client() const;
    Reply get(const std::string& path);
    Reply get(httplib::ClientImpl& client, RequestGuard& guard, const std::string& path);
    [[noreturn]] void refuse(const std::string& path, httplib::Error error, const Attempt& attempt,
                             bool expired) const;
    [[noreturn]] void refuse_tls_files() const;
    std::string versioned(const char* path) const { return "/v" + api_version + path; }
};

void EngineClient::Impl::refuse_tls_files() const {
    for (const std::string* file : {&endpoint.ca_file, &endpoint.cert_file, &endpoint.key_file})
        if (::access(file->c_str(), R_OK) != 0)
            throw EngineError(EngineFailure::connect_failed, endpoint.display,
                              "cannot read " + *file + ": " + std::strerror(errno),
                              "set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem "
                              "and key.pem");
    throw EngineError(EngineFailure::connect_failed, endpoint.display,
                      "cannot load the client certificate " + endpoint.cert_file + " with " +
                          endpoint.key_file,
                      "check that cert.pem and key.pem in DOCKER_CERT_PATH are a PEM pair");
}

void EngineClient::Impl::connect_client() { http = make_client(); }

// A client per concurrent request: cpp-httplib's ClientImpl holds one socket at a time.
std::unique_ptr<httplib::ClientImpl> EngineClient::Impl::make_client() const {
    std::unique_ptr<httplib::ClientImpl> made;
    switch (endpoint.transport) {
        case EngineTransport::unix_socket:
            // The socket path is the host; the Host header is set per request (never the path).
            made = std::make_unique<httplib::ClientImpl>(endpoint.socket_path);
            made->set_address_family(AF_UNIX);
            break;
        case EngineTransport::tcp:
            made = std::make_unique<httplib::ClientImpl>(endpoint.host, endpoint.port);
            break;
        case EngineTransport::tls: {
            auto tls = std::make_unique<httplib::SSLClient>(endpoint.host, endpoint.port,
                                                            endpoint.cert_file, endpoint.key_file);
            if (!tls->is_valid()) refuse_tls_files();
            tls->set_ca_cert_path(endpoint.ca_file, "");
            tls->enable_server_certificate_verification(true);
            made = std::move(tls);
            break;
        }
    }
    auto [connect_sec, connect_usec] = sec_usec(limits.connect_timeout);
    auto [total_sec, total_usec] = sec_usec(limits.total_timeout);
    made->set_connection_timeout(connect_sec, connect_usec);
    made->set_read_timeout(total_sec, total_usec);  // the guard enforces the total
    made->set_write_timeout(total_sec, total_usec);
    made->set_keep_alive(false);
    made->set_follow_location(false);
    made->set_decompress(false);  // dockerd never compresses; an inflated bomb is not our problem
    return made;
}

Reply EngineClient::Impl::get(const std::string& path) {
    if (!http) connect_client();
    RequestGuard guard(SteadyClock::now() + limits.total_timeout);
    return get(*http, guard, path);
}

// One GET on `http`, ended by `guard` (which may watch other requests too). SIGPIPE is blocked
// on the calling thread, so each thread of a concurrent read blocks its own.
Reply EngineClient::Impl::get(httplib::ClientImpl& client, RequestGuard& guard,
                              const std::string& path) {
    SigpipeBlock no_sigpipe;
    client.set_socket_options([&guard](socket_t socket) { guard.adopt(socket); });

    httplib::Request request;
    request.method = "GET";
    request.path = path;
    request.headers = {{"Accept", "application/json"},
                       {"User-Agent", std::string("swarmpki/") + SWARMPKI_VERSION}};
    // cpp-httplib would send the socket path as Host, and dockerd answers 400 "malformed Host
    // header" to a Host with a '/'. Over TCP its host:port is right.
    if (endpoint.transport == EngineTransport::unix_socket)
        request.headers.emplace("Host", "localhost");

    Reply reply;
    Attempt attempt;
    const std::size_t cap = limits.max_reply_bytes;
    request.response_handler = [&attempt, cap](const httplib::Response& response) {
        attempt.answered = true;
        if (!response.has_header("Content-Length")) return true;
        std::string length = response.get_header_value("Content-Length");
        std::uint64_t declared = 0;
        auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), declared);
        // Unparsable lengths are cpp-httplib's to read as 0: the body then fails to parse.
        if (ec == std::errc() && end == length.data() + length.size() && declared > cap)
            attempt.oversized = true;
        return !attempt.oversized;
    };
    request.content_receiver = [&reply, &attempt, cap](const char* data, std::size_t size,
                                                       std::uint64_t, std::uint64_t) {
        if (reply.body.size() + size > cap) {
            attempt.oversized = true;
            return false;
        }
        reply.body.append(data, size);
        return true;
    };

    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    bool complete = client.send(request, response, error);
    client.set_socket_options(nullptr);  // the guard may end after this call
    if (!complete) refuse(path, error, attempt, guard.cut() == RequestGuard::Cut::deadline);
    reply.status = response.status;
    reply.api_version = response.get_header_value("Api-Version");
    reply.server = response.get_header_value("Server");
    return reply;
}

void EngineClient::Impl::refuse(const std::string& path, httplib::Error error,
                                const Attempt& attempt, bool expired) const {
    const std::string there = subject(path);
    if (expired)
        throw EngineError(EngineFailure::timeout, there,
                          "no complete reply within " + milliseconds_text(limits.total_timeout),
                          "check that dockerd is responsive (docker info)");
    if (attempt.oversized)
        throw EngineError(EngineFailure::too_large, there,
                          "the reply is larger than " + std::to_string(limits.max_reply_bytes) +
                              " bytes",
                          "a reply this large is beyond swarmpki's cap; ask the engine directly");
    switch (error) {
        case httplib::Error::Connection:
            if (endpoint.transport == EngineTransport::unix_socket) {
                int err = unix_connect_errno(endpoint.socket_path);
                if (err != 0) throw engine_detail::connect_refusal(endpoint, err);
            }
            throw EngineError(EngineFailure::connect_failed, endpoint.display,
                              "cannot connect (refused or unreachable)",
                              "check that dockerd listens there, or name the engine with --host");
        case httplib::Error::ConnectionTimeout:
            throw EngineError(EngineFailure::timeout, endpoint.display,
                              "no connection within " + milliseconds_text(limits.connect_timeout),
                              "check that dockerd listens there and the address is reachable");
        case httplib::Error::SSLConnection:
            throw EngineError(EngineFailure::connect_failed, endpoint.display,
                              "the TLS handshake failed",
                              "check that the engine speaks TLS on that port, with a "
                              "certificate signed by DOCKER_CERT_PATH's ca.pem");
        case httplib::Error::SSLLoadingCerts:
            throw EngineError(EngineFailure::connect_failed, endpoint.display,
                              "cannot load " + endpoint.ca_file + " as the trusted roots",
                              "check that DOCKER_CERT_PATH's ca.pem is the engine's CA in PEM");
        case httplib::Error::SSLServerVerification:
            throw EngineError(EngineFailure::connect_failed, endpoint.display,
                              "the engine's certificate does not verify against " +
                                  endpoint.ca_file + " for the name " + endpoint.host,
                              "name the engine as its certificate does, or use the CA that "
                              "signed it");
        case httplib::Error::Write:
            throw EngineError(EngineFailure::connect_failed, there,
                              "the connection closed before the request was sent",
                              "check that this is a Docker engine's socket");
        default: break;
    }
    throw EngineError(EngineFailure::malformed, there,
                      attempt.answered ? "the reply ended before its body was complete"
                                       : "no HTTP reply (not HTTP, or the connection closed)",
                      "check that --host or DOCKER_HOST names a Docker engine");
}

EngineClient::EngineClient(EngineEndpoint endpoint, EngineLimits limits)
    : impl_(std::make_unique<Impl>()) {
    impl_->endpoint = std::move(endpoint);
    impl_->limits = limits;
}

EngineClient::~EngineClient() = default;

void EngineClient::negotiate() {
    const std::string path = "/_ping";
    Reply reply = impl_->get(path);
    if (reply.status != 200)
        throw engine_detail::status_refusal(impl_->subject(path), reply.status, reply.body);
    const std::string& header = reply.api_version;
    auto version = engine_detail::parse_api_version(header);
    if (!version)
        throw EngineError(EngineFailure::malformed, impl_->subject(path),
                          "no API version in the reply's Api-Version header",
                          "check that --host or DOCKER_HOST names a Docker engine");
    const ApiVersion minimum = engine_detail::kMinimumApiVersion;
    if (version->major < minimum.major ||
        (version->major == minimum.major && version->minor < minimum.minor))
        throw EngineError(EngineFailure::api_too_old, impl_->subject(path),
                          "the engine speaks API " + header +
                              ", older than the 1.41 swarmpki needs",
                          "upgrade the engine to Docker 20.10 or later");
    // An engine newer than we know gets its own version: Docker 29 refuses 1.41's paths.
    impl_->api_version = std::to_string(version->major) + "." + std::to_string(version->minor);
    // "Docker/20.10.24+dfsg1 (linux)"; /info's ServerVersion replaces it once read.
    const std::string& server = reply.server;
    if (server.starts_with("Docker/"))
        impl_->server_version = server.substr(7, server.find(' ') - 7);
}

EngineIdentity EngineClient::identity() const {
    return {impl_->endpoint.display, impl_->api_version, impl_->server_version};
}

namespace {

template <class T>
T parsed_or_refused(EngineParse<T> parse, const std::string& subject) {
    if (!parse.value)
        throw EngineError(EngineFailure::malformed, subject,
                          "the reply is not what the Engine API gives: " + parse.error,
                          "check that --host or DOCKER_HOST names a Docker engine");
    return std::move(*parse.value);
}

}  // namespace

EngineInfo EngineClient::info() {
    if (impl_->api_version.empty()) negotiate();
    const std::string path = impl_->versioned("/info");
    Reply reply = impl_->get(path);
    if (reply.status != 200)
        throw engine_detail::status_refusal(impl_->subject(path), reply.status, reply.body);
    EngineInfo info = parsed_or_refused(parse_engine_info(reply.body), impl_->subject(path));
    if (!info.server_version.empty()) impl_->server_version = info.server_version;
    return info;
}

EngineSwarm EngineClient::swarm() {
    if (impl_->api_version.empty()) negotiate();
    const std::string path = impl_->versioned("/swarm");
    Reply reply = impl_->get(path);
    if (reply.status != 200)
        throw engine_detail::status_refusal(impl_->subject(path), reply.status, reply.body);
    return parsed_or_refused(parse_engine_swarm(reply.body), impl_->subject(path));
}

namespace {

// What one request of a concurrent read gave: the parsed reply, or what its own call would
// have thrown (transport, status, parse), rethrown by the caller in the caller's order.
template <class T>
struct Outcome {
    std::optional<T> value;
    std::exception_ptr failure;
    T take() {
        if (failure) std::rethrow_exception(failure);
        return std::move(*value);
    }
};

}  // namespace

EngineClient::InfoSwarmNodes EngineClient::info_swarm_nodes(
    const std::function<void(const EngineInfo&)>& judge_info) {
    if (impl_->api_version.empty()) negotiate();
    Impl& impl = *impl_;
    // One watchdog for the three: the deadline is the read's, not each request's.
    RequestGuard guard(SteadyClock::now() + impl.limits.total_timeout);
    auto ask = [&impl, &guard](const char* endpoint, auto parse, auto& outcome) {
        try {
            const std::string path = impl.versioned(endpoint);
            auto client = impl.make_client();
            Reply reply = impl.get(*client, guard, path);
            if (reply.status != 200)
                throw engine_detail::status_refusal(impl.subject(path), reply.status, reply.body);
            outcome.value.emplace(parsed_or_refused(parse(reply.body), impl.subject(path)));
        } catch (...) {
            outcome.failure = std::current_exception();
        }
    };
    Outcome<EngineInfo> info;
    Outcome<EngineSwarm> swarm;
    Outcome<std::vector<EngineNode>> nodes;
    {
        std::jthread swarm_reader([&] { ask("/swarm", parse_engine_swarm, swarm); });
        std::jthread nodes_reader([&] { ask("/nodes", parse_engine_nodes, nodes); });
        ask("/info", parse_engine_info, info);
    }  // both joined: nothing outlives the guard
    InfoSwarmNodes replies;
    replies.info = info.take();
    if (!replies.info.server_version.empty()) impl.server_version = replies.info.server_version;
    judge_info(replies.info);
    replies.swarm = swarm.take();
    replies.nodes = nodes.take();
    return replies;
}

std::vector<EngineNode> EngineClient::nodes() {
    if (impl_->api_version.empty()) negotiate();
    const std::string path = impl_->versioned("/nodes");
    Reply reply = impl_->get(path);
    if (reply.status != 200)
        throw engine_detail::status_refusal(impl_->subject(path), reply.status, reply.body);
    return parsed_or_refused(parse_engine_nodes(reply.body), impl_->subject(path));
}

}  // namespace swarmpki
