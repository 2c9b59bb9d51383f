// A connection of serve's front, and the stream cpp-httplib processes a request on.
#include "serve_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace swarmpki::serve_detail {

PeerAddress peer_address(const sockaddr_storage& address) {
    char text[INET6_ADDRSTRLEN] = {};
    PeerAddress peer;
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        peer.port = ntohs(v4.sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        peer.port = ntohs(v6.sin6_port);
    }
    peer.ip = text;
    return peer;
}

Connection::Connection(Fd accepted, PeerAddress remote_address, PeerAddress local_address,
                       HeadLimits limits, std::atomic<std::size_t>& open_counter)
    : socket(std::move(accepted)),
      remote(std::move(remote_address)),
      local(std::move(local_address)),
      open_count(open_counter),
      scanner(limits) {
    ++open_count;
}

// Members go in reverse order: the SSL, then the context it was made from, then the descriptor.
Connection::~Connection() { --open_count; }

bool ConnectionStream::is_writable() const {
    return !failed_ && !timed_out_ && SteadyClock::now() < deadline_;
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
    std::size_t n = std::min(size, head_length_ - offset_);
    std::memcpy(ptr, connection_.buffer.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
    ip = connection_.remote.ip;
    port = connection_.remote.port;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
    ip = connection_.local.ip;
    port = connection_.local.port;
}

// Waits until the socket is ready for `events` or the response's deadline passes.
bool ConnectionStream::wait_for(short events) {
    while (true) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - SteadyClock::now());
        if (left.count() <= 0) break;
        pollfd one{connection_.socket.get(), events, 0};
        int ready = ::poll(&one, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) {
            failed_ = true;
            return false;
        }
    }
    timed_out_ = true;
    return false;
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
    if (failed_ || timed_out_) return -1;
    return connection_.ssl ? write_tls(ptr, size) : write_plain(ptr, size);
}

ssize_t ConnectionStream::write_plain(const char* ptr, size_t size) {
    while (true) {
        ssize_t sent = ::send(connection_.socket.get(), ptr, size, MSG_NOSIGNAL);
        if (sent >= 0) return sent;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) break;
        if (!wait_for(POLLOUT)) return -1;
    }
    failed_ = true;
    return -1;
}

// The context sets SSL_MODE_ENABLE_PARTIAL_WRITE and ACCEPT_MOVING_WRITE_BUFFER, so a retry
// after WANT_WRITE may pass the same bytes again and a short count is an ordinary answer.
ssize_t ConnectionStream::write_tls(const char* ptr, size_t size) {
    int length = static_cast<int>(std::min<size_t>(size, INT_MAX));
    while (true) {
        ERR_clear_error();
        int sent = SSL_write(connection_.ssl.get(), ptr, length);
        if (sent > 0) return sent;
        int error = SSL_get_error(connection_.ssl.get(), sent);
        if (error == SSL_ERROR_WANT_WRITE && wait_for(POLLOUT)) continue;
        if (error == SSL_ERROR_WANT_READ && wait_for(POLLIN)) continue;
        break;
    }
    ERR_clear_error();
    failed_ = true;
    return -1;
}

}  // namespace swarmpki::serve_detail
