// One client connection of serve's bounded front, and the httplib::Stream that lets cpp-httplib
// process a request on it (internal).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/serve_connection.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "../crypto/ossl.hpp"
#include "serve_head.hpp"
#include "serve_tls.hpp"
#include "swarmpki/file.hpp"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace swarmpki::serve_detail {

using SteadyClock = std::chrono::steady_clock;

struct PeerAddress {
    std::string ip;  // "127.0.0.1", "::1": what logs call remote=
    int port = 0;
};
PeerAddress peer_address(const sockaddr_storage& address);

enum class ConnectionPhase {
    handshake,  // TLS handshake under way
    reading,    // reading a request head (or waiting, idle, for the next one)
    draining,   // refused: the answer is sent, what the client still sends is read and dropped
};

// Owned by exactly one thread at a time: the front's poll thread while it waits, a worker while
// a request is processed; the hand-over through the front's locked queues orders the accesses.
struct Connection {
    Connection(Fd accepted, PeerAddress remote_address, PeerAddress local_address,
               HeadLimits limits, std::atomic<std::size_t>& open_counter);
    ~Connection();  // SSL first, then the context it points into, then the descriptor
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    Fd socket;
    PeerAddress remote, local;
    std::atomic<std::size_t>& open_count;   // the front's count of open connections
    std::shared_ptr<const TlsContext> tls;  // null for plain HTTP; outlives `ssl`
    ossl::UniquePtr<SSL> ssl;
    ConnectionPhase phase = ConnectionPhase::reading;
    SteadyClock::time_point deadline{};
    short events = 0;    // what poll() should wait for
    std::string buffer;  // the request head being read, and any bytes pipelined after it
    HeadScanner scanner;
    std::size_t requests = 0;  // served on this connection
    std::size_t drained = 0;   // bytes dropped while draining
};

// What cpp-httplib's process_request reads and writes. Reads replay the complete head the front
// has already read (and then report end of stream: no body is ever read, none is accepted);
// writes go to the non-blocking socket (or SSL) and share one deadline for the whole response,
// so a client that stops reading holds a worker for at most the write timeout.
class ConnectionStream final : public httplib::Stream {
public:
    ConnectionStream(Connection& connection, std::size_t head_length,
                     SteadyClock::time_point deadline)
        : connection_(connection), head_length_(head_length), deadline_(deadline) {}

    bool is_readable() const override { return offset_ < head_length_; }
    bool is_writable() const override;
    ssize_t read(char* ptr, size_t size) override;
    ssize_t write(const char* ptr, size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override;
    void get_local_ip_and_port(std::string& ip, int& port) const override;
    // Consulted only by process_request's guard for select()'s FD_SETSIZE. This stream never
    // selects (it polls), so it names no descriptor and descriptors above 1023 are served.
    socket_t socket() const override { return INVALID_SOCKET; }

    bool timed_out() const { return timed_out_; }

private:
    bool wait_for(short events);
    ssize_t write_plain(const char* ptr, size_t size);
    ssize_t write_tls(const char* ptr, size_t size);

    Connection& connection_;
    std::size_t head_length_;
    std::size_t offset_ = 0;
    SteadyClock::time_point deadline_;
    bool failed_ = false, timed_out_ = false;
};

}  // namespace swarmpki::serve_detail
