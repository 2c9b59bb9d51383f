// Ends one HTTP exchange that cpp-httplib 0.11.4 cannot bound by itself: it has only per-read
// timeouts, which a peer dripping a byte a second never trips, and its Client::stop() waits on a
// mutex held through the whole connect and TLS handshake. So the guard keeps its own duplicate
// of each socket the client opens (set_socket_options runs before connect) and shuts them all
// down when it fires: at the deadline, when the caller's limit says so (checked every period),
// or on abort(). Every read and write on them then fails at once; being the guard's own
// descriptors, they cannot have been closed and reused for another file meanwhile. The webhook
// sender and the engine client both use it.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error "pki/service/socket_guard.hpp is service layer (5)"
#endif

#include "swarmpki/file.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace swarmpki::service_detail {

class SocketGuard {
public:
    using Clock = std::chrono::steady_clock;
    enum class Cut { no, deadline, limit, stopping };
    // Called with the guard's sockets every period, under its lock: true cuts (Cut::limit).
    using Limit = std::function<bool(const std::vector<Fd>& sockets)>;
    static constexpr std::chrono::milliseconds kPeriod{10};

    explicit SocketGuard(Clock::time_point deadline, Limit limit = {});
    ~SocketGuard();
    SocketGuard(const SocketGuard&) = delete;
    SocketGuard& operator=(const SocketGuard&) = delete;

    // From the client's socket options callback, before connect. Without a duplicate the
    // deadline could not be kept: the socket is shut down at once (the exchange fails).
    void adopt(int socket);
    void abort();     // Cut::stopping
    Cut cut() const;  // what fired; Cut::deadline also once the deadline has passed

private:
    void watch();
    void fire(Cut why);    // mutex_ held
    void shut_down_all();  // mutex_ held

    Clock::time_point deadline_;
    Limit limit_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Fd> sockets_;  // the guard's own duplicates, closed with it
    Cut cut_ = Cut::no;
    bool done_ = false;
    std::thread thread_;  // last: it starts watching once everything above exists
};

}  // namespace swarmpki::service_detail
