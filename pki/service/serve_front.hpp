// serve's bounded front: the listening socket, every connection until its request head is
// complete, and the workers that hand complete requests to cpp-httplib (internal; the design and
// the reasons for it are at the top of serve_front.cpp).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/serve_front.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "serve_tls.hpp"
#include "swarmpki/serve.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace httplib {
class Server;
}

namespace swarmpki::serve_detail {

// Why the front closed a connection that had not been answered normally.
enum class RefusalReason {
    max_connections,   // at the limit with every connection busy in a worker: closed at accept
    evicted,           // the connection nearest its deadline, closed to make room at the limit
    method,            // not GET or HEAD: 405
    body,              // Transfer-Encoding or Content-Length > 0: 413
    header_too_large,  // head over the byte or field limit: 431
    tls_handshake,     // the handshake failed (client certificate refused, not TLS, ...)
};
inline constexpr std::size_t kRefusalReasons = 6;
const char* to_string(RefusalReason reason);

enum class TimeoutPhase {
    tls_handshake,   // the handshake did not finish in time
    idle,            // no byte of a (next) request arrived in time
    request_header,  // part of a head arrived, not all of it in time
    write,           // the client did not take the response in time
};
inline constexpr std::size_t kTimeoutPhases = 4;
const char* to_string(TimeoutPhase phase);

struct FrontCounters {
    std::uint64_t accepted = 0;
    std::uint64_t open = 0;
    std::array<std::uint64_t, kRefusalReasons> refused{};
    std::array<std::uint64_t, kTimeoutPhases> timed_out{};
};

class Front {
public:
    Front(const ServeLimits& limits, std::size_t workers,
          std::function<void(std::string_view)> log);
    ~Front();  // stop()
    Front(const Front&) = delete;
    Front& operator=(const Front&) = delete;

    // Where routes, logger and error handlers go: the cpp-httplib server whose request
    // processing the workers run. Configure it before start().
    httplib::Server& http();

    // Connections accepted from now on use `context` (null: plain HTTP). Thread-safe.
    void set_tls(std::shared_ptr<const TlsContext> context);

    // Binds (throws swarmpki::Error naming the address when it cannot), then starts the poll
    // thread and the workers.
    void start(const ListenAddress& at);
    int port() const;
    std::size_t max_connections() const;  // after fitting it to the open-file limit
    // Stops accepting, closes connections waiting for a request, lets the workers finish the
    // requests they hold (bounded by the write timeout), joins every thread. Idempotent.
    void stop();

    FrontCounters counters() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace swarmpki::serve_detail
