// Webhook receivers for tests. WebhookReceiver: an httplib::Server on a free loopback port that
// records every POST (headers and body) and answers with whatever status the test decides;
// `hang` makes it never answer until the receiver is destroyed, to prove a dead receiver blocks
// nothing. RawReceiver: plain loopback TCP for the hostile answers no HTTP server library will
// give (one byte at a time, a gigabyte of body).
#pragma once

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace swarmpki::test {

// Test clients write to servers that may close first (413, refused TLS): that must fail the
// request, not kill the test binary with SIGPIPE.
inline void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

struct ReceivedHook {
    std::string id, timestamp, signature, user_agent, content_type, body;
};

class WebhookReceiver {
public:
    enum class Mode { answer, hang };
    // status(n) is the HTTP status for the n-th request (0-based).
    explicit WebhookReceiver(
        std::function<int(std::size_t)> status = [](std::size_t) { return 204; },
        Mode mode = Mode::answer)
        : status_(std::move(status)), mode_(mode) {
        ignore_sigpipe();
        server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
            std::unique_lock lock(mutex_);
            std::size_t n = received_.size();
            received_.push_back(
                {req.get_header_value("webhook-id"), req.get_header_value("webhook-timestamp"),
                 req.get_header_value("webhook-signature"), req.get_header_value("User-Agent"),
                 req.get_header_value("Content-Type"), req.body});
            changed_.notify_all();
            if (mode_ == Mode::hang) changed_.wait(lock, [this] { return released_; });
            res.status = status_(n);
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~WebhookReceiver() {
        {
            std::lock_guard lock(mutex_);
            released_ = true;
        }
        changed_.notify_all();
        server_.stop();
        thread_.join();
    }
    WebhookReceiver(const WebhookReceiver&) = delete;
    WebhookReceiver& operator=(const WebhookReceiver&) = delete;

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

    std::vector<ReceivedHook> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    // Waits until at least `count` requests arrived; false on timeout.
    bool wait_for(std::size_t count, std::chrono::milliseconds timeout) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
    }

private:
    std::function<int(std::size_t)> status_;
    Mode mode_;
    httplib::Server server_;
    std::thread thread_;
    int port_ = -1;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<ReceivedHook> received_;
    bool released_ = false;
};

// Accepts loopback connections one at a time; reads each request's head (up to its blank line)
// and hands the socket to `answer`, which must return soon after stopping() turns true.
class RawReceiver {
public:
    using Answer = std::function<void(int socket, const RawReceiver& self)>;
    explicit RawReceiver(Answer answer) : answer_(std::move(answer)) {
        ignore_sigpipe();
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (listener_ >= 0 &&
            ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            ::listen(listener_, 8) == 0 &&
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) == 0)
            port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { accept_loop(); });
    }
    ~RawReceiver() {
        stopping_ = true;
        thread_.join();
        if (listener_ >= 0) ::close(listener_);
    }
    RawReceiver(const RawReceiver&) = delete;
    RawReceiver& operator=(const RawReceiver&) = delete;

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
    bool stopping() const { return stopping_; }
    std::size_t requests() const { return requests_; }

    // Writes all of `bytes` unless the peer is gone or the receiver stops; false then.
    bool send_all(int socket, std::string_view bytes) const {
        while (!bytes.empty() && !stopping_) {
            pollfd ready{socket, POLLOUT, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            ssize_t sent = ::send(socket, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (sent <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(sent));
        }
        return bytes.empty();
    }

private:
    void accept_loop() {
        while (!stopping_) {
            pollfd ready{listener_, POLLIN, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            int socket = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (socket < 0) continue;
            if (read_head(socket)) {
                ++requests_;
                answer_(socket, *this);
            }
            ::close(socket);
        }
    }
    // Up to the blank line ending the request head (the small body may follow; it is ignored).
    bool read_head(int socket) const {
        std::string head;
        char buffer[4096];
        while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536 && !stopping_) {
            pollfd ready{socket, POLLIN, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            ssize_t got = ::recv(socket, buffer, sizeof buffer, 0);
            if (got <= 0) return false;
            head.append(buffer, static_cast<std::size_t>(got));
        }
        return head.find("\r\n\r\n") != std::string::npos;
    }

    Answer answer_;
    int listener_ = -1;
    int port_ = -1;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> requests_{0};
    std::thread thread_;
};

}  // namespace swarmpki::test
