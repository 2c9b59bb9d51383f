// A webhook receiver for tests: an httplib::Server on a free loopback port that records every
// POST (headers and body) and answers with whatever status the test decides. `hang` makes it
// never answer until the receiver is destroyed, to prove a dead receiver blocks nothing.
#pragma once

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include <chrono>
#include <csignal>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
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
    explicit WebhookReceiver(std::function<int(std::size_t)> status = [](std::size_t) { return 204; },
                             Mode mode = Mode::answer)
        : status_(std::move(status)), mode_(mode) {
        ignore_sigpipe();
        server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
            std::unique_lock lock(mutex_);
            std::size_t n = received_.size();
            received_.push_back({req.get_header_value("webhook-id"),
                                 req.get_header_value("webhook-timestamp"),
                                 req.get_header_value("webhook-signature"),
                                 req.get_header_value("User-Agent"),
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

}  // namespace swarmpki::test
