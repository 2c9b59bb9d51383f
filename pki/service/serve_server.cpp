// The server's lifecycle: first scan, bind, the front, the scanner thread, snapshot swaps, TLS
// reloads, stop.
//
// Threads: the front's poll thread and workers (serve_front.cpp; handlers read the snapshot
// pointer only), the scanner (reads the disk every interval, publishes a new snapshot, feeds
// the transition detector, reloads changed TLS files) and the webhook worker (owned by
// WebhookDelivery). stop() stops the front, wakes the scanner, aborts any in-flight webhook, and
// joins all of them, so sanitizer builds see no leaked thread or allocation.
#include "../util/thread_signals.hpp"
#include "serve_front.hpp"
#include "serve_http.hpp"
#include "serve_internal.hpp"
#include "serve_tls.hpp"
#include "swarmpki/error.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace swarmpki {

struct Server::Impl {
    ServeOptions options;
    std::shared_ptr<const serve_detail::TlsContext> tls;  // the current one; null: plain HTTP
    serve_detail::TlsFileStamps tls_stamps{};             // of the files `tls` was loaded from
    serve_detail::RouteContext routes;
    std::unique_ptr<WebhookDelivery> webhooks;
    std::unique_ptr<serve_detail::Front> front;
    std::unique_ptr<serve_detail::EngineReader> engine;  // with --engine

    mutable std::mutex snapshot_mutex;
    std::shared_ptr<const Snapshot> current;

    std::mutex scan_mutex;  // one scan at a time; guards previous_state, tls and tls_stamps
    std::optional<ScanState> previous_state;
    std::shared_ptr<const ClusterReport> previous_report;  // the last that answered

    std::mutex stop_mutex;
    std::condition_variable stop_signal;
    bool started = false, stopping = false, stopped = false;
    std::thread scanner;

    void log(std::string_view line) const {
        if (options.log) options.log(line);
    }
    Instant now() const { return options.clock ? options.clock() : wall_clock_now(); }
    std::shared_ptr<const Snapshot> snapshot() const {
        std::lock_guard lock(snapshot_mutex);
        return current;
    }
    std::shared_ptr<const serve_detail::TlsContext> load_tls() const;
    void reload_tls_if_changed();
    void rescan();
    void log_outcome(const Snapshot& next, const Snapshot* previous) const;
    void log_engine(const EngineSnapshot& next, const EngineSnapshot* previous) const;
    std::vector<Event> read_engine(Snapshot& next, const Snapshot* previous, Instant at);
    void scan_loop();
    void create_front();
};

std::shared_ptr<const serve_detail::TlsContext> Server::Impl::load_tls() const {
    return serve_detail::build_tls_context(
        *options.tls, options.scan.unlock_key.get(), [impl = this] { return impl->now(); },
        [impl = this](std::string_view line) { impl->log(line); });
}

// A rotation replaces the node's certificate, key and trust root: after it the old root must
// stop admitting clients and the new one start. A stat() per file per scan notices; broken new
// files (a half-written pair, a key that does not match) leave the working material in place.
void Server::Impl::reload_tls_if_changed() {
    if (!options.tls) return;
    serve_detail::TlsFileStamps stamps = serve_detail::stat_tls_files(*options.tls);
    if (stamps == tls_stamps) return;
    tls_stamps = stamps;  // a broken state is reported once, and retried when the files change
    try {
        tls = load_tls();
    } catch (const std::exception& e) {
        log("level=error msg=\"tls material reload failed, serving the previous material\" "
            "error=" +
            logfmt_value(e.what()));
        return;
    }
    if (front) front->set_tls(tls);
    log("level=info msg=\"tls material reloaded\" cert=" + logfmt_value(options.tls->cert_file) +
        " subject=" + logfmt_value(tls->material.chain.front().subject()) +
        " client_ca=" + logfmt_value(options.tls->client_ca_file.value_or("")));
}

void Server::Impl::rescan() {
    std::lock_guard scan_lock(scan_mutex);
    reload_tls_if_changed();
    Instant at = now();
    Snapshot next = scan_directories(options.scan, at);
    auto previous = snapshot();
    next.generation = previous ? previous->generation + 1 : 1;
    if (previous) serve_detail::carry_forward(next, *previous);
    if (next.scan_succeeded) next.last_success_at = next.scanned_at;
    log_outcome(next, previous.get());
    std::vector<Event> events = detect_transitions(previous_state ? &*previous_state : nullptr,
                                                   next.state, options.event_source);
    previous_state = next.state;
    if (engine) {
        std::vector<Event> cluster_events = read_engine(next, previous.get(), at);
        events.insert(events.end(), cluster_events.begin(), cluster_events.end());
    }
    {
        std::lock_guard lock(snapshot_mutex);
        current = std::make_shared<const Snapshot>(std::move(next));
    }
    for (const Event& event : events) {
        log("level=info msg=event type=" + std::string(to_string(event.type)) +
            " subject=" + logfmt_value(event.subject) +
            " severity=" + std::string(to_string(event.severity)) + " id=" + event.id);
        if (webhooks) webhooks->enqueue(event);
    }
}

// A failure is logged when it begins or changes, a recovery once, as the webhook events go;
// /healthz and swarmpki_last_scan_success say the same thing on every scrape in between. The
// first scan's failure (a wrong unlock key, a missing directory) is logged at start.
void Server::Impl::log_outcome(const Snapshot& next, const Snapshot* previous) const {
    if (next.failure) {
        if (!previous || previous->failure != next.failure)
            log("level=error msg=\"scan failed\" generation=" + std::to_string(next.generation) +
                " error=" + logfmt_value(*next.failure));
        return;
    }
    if (previous && previous->failure)
        log("level=info msg=\"scan recovered\" generation=" + std::to_string(next.generation) +
            " error_was=" + logfmt_value(*previous->failure));
}

// The engine is read on the scanner's thread, after the directories, under the client's own
// deadlines: a scrape still only copies the snapshot pointer. Events compare this report with
// the last one that answered, so an engine that was down in between repeats nothing.
std::vector<Event> Server::Impl::read_engine(Snapshot& next, const Snapshot* previous, Instant at) {
    const EngineSnapshot* was = previous && previous->engine ? &*previous->engine : nullptr;
    next.engine = engine->read(at, was);
    log_engine(*next.engine, was);
    if (!next.engine->up) return {};
    std::vector<Event> events = detect_cluster_transitions(previous_report.get(),
                                                           *next.engine->report,
                                                           options.event_source);
    previous_report = next.engine->report;
    return events;
}

// One line when the engine stops answering (or never did), one when it answers again: not one
// per scan. swarmpki_engine_up says the same on every scrape in between.
void Server::Impl::log_engine(const EngineSnapshot& next, const EngineSnapshot* previous) const {
    const std::string& host = options.engine->endpoint.display;
    if (!next.up && (!previous || previous->up))
        log("level=error msg=\"engine read failed\" engine=" + logfmt_value(host) +
            " error=" + logfmt_value(next.error.value_or("unknown")));
    else if (next.up && previous && !previous->up)
        log("level=info msg=\"engine answers again\" engine=" + logfmt_value(host) +
            " error_was=" + logfmt_value(previous->error.value_or("unknown")));
    else if (next.up && !previous)
        log("level=info msg=\"engine read\" engine=" + logfmt_value(host) +
            " cluster_id=" + logfmt_value(next.report->cluster.id) +
            " nodes=" + std::to_string(next.report->nodes.size()));
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

void Server::Impl::create_front() {
    front = std::make_unique<serve_detail::Front>(options.limits, options.worker_threads,
                                                  [impl = this](std::string_view line) {
                                                      impl->log(line);
                                                  });
    front->set_tls(tls);
    serve_detail::install_routes(front->http(), routes);
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
        s.tls_stamps = serve_detail::stat_tls_files(*s.options.tls);
        s.tls = s.load_tls();
    }
    if (s.options.engine)
        s.engine = std::make_unique<serve_detail::EngineReader>(*s.options.engine);
    if (s.options.webhooks) {
        if (!s.options.webhook_secret) throw UsageError("--webhook needs --webhook-secret-file");
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
    s.routes.front_counters = [impl = &s] {
        return impl->front ? impl->front->counters() : serve_detail::FrontCounters{};
    };
    s.routes.log = [impl = &s](std::string_view line) { impl->log(line); };
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
    s.create_front();
    s.front->start(s.options.listen);
    s.scanner = std::thread([impl = &s] {
        block_sigpipe_on_this_thread();
        impl->scan_loop();
    });
    const ListenAddress& at = s.options.listen;
    s.log("level=info msg=listening address=" + logfmt_value(at.host) + " port=" +
          std::to_string(s.front->port()) + " tls=" + (s.tls ? "true" : "false") + " client_auth=" +
          (s.tls && s.tls->material.require_client_certificate ? "true" : "false") +
          " dirs=" + std::to_string(s.options.scan.dirs.size()) +
          " max_connections=" + std::to_string(s.front->max_connections()));
}

int Server::port() const { return impl_->front ? impl_->front->port() : -1; }

void Server::stop() {
    Impl& s = *impl_;
    {
        std::lock_guard lock(s.stop_mutex);
        if (s.stopped) return;
        s.stopping = true;
    }
    s.stop_signal.notify_all();
    if (s.front) s.front->stop();
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
