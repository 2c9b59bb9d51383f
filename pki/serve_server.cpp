// The server's lifecycle: first scan, bind, listener and scanner threads, snapshot swaps, stop.
//
// Three kinds of threads run: cpp-httplib's connection pool (reads the snapshot pointer only),
// the scanner (reads the disk every interval, publishes a new snapshot, feeds the transition
// detector) and the webhook worker (owned by WebhookDelivery). stop() stops the listener, wakes
// the scanner, aborts any in-flight webhook, and joins all of them, so sanitizer builds see no
// leaked thread or allocation.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "serve_http.hpp"
#include "serve_tls.hpp"
#include "thread_signals.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/ossl.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace swarmpki {

struct Server::Impl {
    ServeOptions options;
    std::optional<serve_detail::TlsMaterial> tls;  // outlives `http`: its SSL_CTX points into it
    serve_detail::RouteContext routes;
    std::unique_ptr<WebhookDelivery> webhooks;
    std::unique_ptr<httplib::Server> http;
    int bound_port = -1;
    std::atomic<bool> listener_exited{false};

    mutable std::mutex snapshot_mutex;
    std::shared_ptr<const Snapshot> current;

    std::mutex scan_mutex;  // one scan at a time; guards previous_state
    std::optional<ScanState> previous_state;

    std::mutex stop_mutex;
    std::condition_variable stop_signal;
    bool started = false, stopping = false, stopped = false;
    std::thread listener, scanner;

    void log(std::string_view line) const {
        if (options.log) options.log(line);
    }
    Instant now() const { return options.clock ? options.clock() : wall_clock_now(); }
    std::shared_ptr<const Snapshot> snapshot() const {
        std::lock_guard lock(snapshot_mutex);
        return current;
    }
    void rescan();
    void scan_loop();
    void create_http_server();
};

void Server::Impl::rescan() {
    std::lock_guard scan_lock(scan_mutex);
    Snapshot next = scan_directories(options.scan, now());
    auto previous = snapshot();
    if (next.scan_succeeded) {
        next.last_success_at = next.scanned_at;
    } else {
        log("level=error msg=\"scan failed\" error=" + logfmt_value(*next.state.failure));
        if (previous) {
            // Keep serving the last good bodies; swarmpki_last_scan_success shows the failure.
            next.metrics = previous->metrics;
            next.inspect_json = previous->inspect_json;
            next.last_success_at = previous->last_success_at;
        }
    }
    std::vector<Event> events = detect_transitions(
        previous_state ? &*previous_state : nullptr, next.state, options.event_source);
    previous_state = next.state;
    {
        std::lock_guard lock(snapshot_mutex);
        current = std::make_shared<const Snapshot>(std::move(next));
    }
    for (const Event& event : events) {
        log("level=info msg=event type=" + std::string(to_string(event.type)) + " subject=" +
            logfmt_value(event.subject) + " severity=" + std::string(to_string(event.severity)) +
            " id=" + event.id);
        if (webhooks) webhooks->enqueue(event);
    }
}

void Server::Impl::scan_loop() {
    std::unique_lock lock(stop_mutex);
    while (!stopping) {
        if (stop_signal.wait_for(lock, options.interval, [this] { return stopping; })) break;
        lock.unlock();
        rescan();
        lock.lock();
    }
}

void Server::Impl::create_http_server() {
    if (tls) {
        auto server = std::make_unique<httplib::SSLServer>(
            [this](SSL_CTX& ctx) { return serve_detail::configure_server_context(ctx, *tls); });
        if (!server->is_valid())
            throw Error(options.tls->cert_file,
                        "cannot set up TLS with this certificate and key: " + ossl::drain_errors(),
                        "check that the files are a certificate chain and its key");
        http = std::move(server);
    } else {
        http = std::make_unique<httplib::Server>();
    }
    std::size_t threads = std::max<std::size_t>(options.worker_threads, 1);
    http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http->set_payload_max_length(options.max_payload_bytes);
    // Small responses written as headers + body would otherwise meet Nagle and delayed ACKs
    // (40 ms stalls per keep-alive request).
    http->set_tcp_nodelay(true);
    http->set_read_timeout(options.read_timeout);
    http->set_write_timeout(options.write_timeout);
    http->set_keep_alive_max_count(1000);
    http->set_keep_alive_timeout(5);
    serve_detail::install_routes(*http, routes);
}

Server::Server(ServeOptions options) : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    s.options = std::move(options);
    if (s.options.scan.dirs.empty()) throw UsageError("give at least one --dir to scan");
    if (!s.options.tls && !is_loopback_host(s.options.listen.host) &&
        !s.options.allow_insecure_public)
        throw UsageError("refusing to serve plain HTTP on non-loopback address '" +
                         s.options.listen.host +
                         "': add --tls-cert/--tls-key (or --tls-from-dir), or "
                         "--allow-insecure-public if a proxy in front provides TLS");
    if (s.options.interval < std::chrono::seconds(1))
        throw UsageError("--interval must be at least 1s");
    if (s.options.tls) {
        if (s.options.tls->client_ca_file && s.options.tls->client_ca_file->empty())
            s.options.tls->client_ca_file.reset();
        s.tls.emplace(serve_detail::load_tls_material(*s.options.tls, s.options.scan.unlock_key.get()));
        s.tls->verifier.clock = [impl = &s] { return impl->now(); };
        s.tls->verifier.log = [impl = &s](std::string_view line) { impl->log(line); };
    }
    if (s.options.webhooks) {
        if (!s.options.webhook_secret)
            throw UsageError("--webhook needs --webhook-secret-file");
        DeliveryOptions delivery = *s.options.webhooks;
        if (!delivery.clock) delivery.clock = [impl = &s] { return impl->now(); };
        if (!delivery.log) delivery.log = [impl = &s](std::string_view line) { impl->log(line); };
        for (const auto& url : delivery.urls) parse_webhook_url(url);  // refuse bad URLs early
        s.webhooks = std::make_unique<WebhookDelivery>(std::move(delivery),
                                                       s.options.webhook_secret);
    }
    s.routes.snapshot = [impl = &s] { return impl->snapshot(); };
    s.routes.webhook_counters = [impl = &s]() -> std::optional<DeliveryCounters> {
        if (!impl->webhooks) return std::nullopt;
        return impl->webhooks->counters();
    };
    s.routes.log = [impl = &s](std::string_view line) { impl->log(line); };
    s.routes.max_header_count = s.options.max_header_count;
}

Server::~Server() { stop(); }

void Server::start() {
    Impl& s = *impl_;
    {
        std::lock_guard lock(s.stop_mutex);
        if (s.started) return;
        s.started = true;
    }
    s.rescan();
    s.create_http_server();
    const ListenAddress& at = s.options.listen;
    if (at.port == 0) {
        s.bound_port = s.http->bind_to_any_port(at.host);
    } else if (s.http->bind_to_port(at.host, at.port)) {
        s.bound_port = at.port;
    }
    if (s.bound_port <= 0)
        throw Error(at.host + ":" + std::to_string(at.port), "cannot listen on this address",
                    "is another process using the port, or the address not on this host?");
    s.listener = std::thread([impl = &s] {
        block_sigpipe_on_this_thread();
        impl->http->listen_after_bind();
        impl->listener_exited = true;
    });
    // httplib's stop() is a no-op until the accept loop runs: wait for it, so that a stop()
    // right after start() cannot leave the listener running.
    while (!s.http->is_running() && !s.listener_exited) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    s.scanner = std::thread([impl = &s] {
        block_sigpipe_on_this_thread();
        impl->scan_loop();
    });
    s.log("level=info msg=listening address=" + logfmt_value(at.host) + " port=" +
          std::to_string(s.bound_port) + " tls=" + (s.tls ? "true" : "false") +
          " client_auth=" + (s.tls && s.tls->require_client_certificate ? "true" : "false") +
          " dirs=" + std::to_string(s.options.scan.dirs.size()));
}

int Server::port() const { return impl_->bound_port; }

void Server::stop() {
    Impl& s = *impl_;
    {
        std::lock_guard lock(s.stop_mutex);
        if (s.stopped) return;
        s.stopping = true;
    }
    s.stop_signal.notify_all();
    if (s.http) s.http->stop();
    if (s.listener.joinable()) s.listener.join();
    if (s.scanner.joinable()) s.scanner.join();
    if (s.webhooks) s.webhooks->stop();
    {
        std::lock_guard lock(s.stop_mutex);
        s.stopped = true;
    }
    s.stop_signal.notify_all();
}

void Server::wait() {
    Impl& s = *impl_;
    std::unique_lock lock(s.stop_mutex);
    s.stop_signal.wait(lock, [&s] { return s.stopped; });
}

std::shared_ptr<const Snapshot> Server::snapshot() const { return impl_->snapshot(); }

void Server::rescan() { impl_->rescan(); }

DeliveryCounters Server::webhook_counters() const {
    return impl_->webhooks ? impl_->webhooks->counters() : DeliveryCounters{};
}

}  // namespace swarmpki
