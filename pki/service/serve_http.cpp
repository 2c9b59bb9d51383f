// The HTTP surface of `serve`: three GET routes, 404, serve's metric families, and one logfmt
// line per request. Methods, bodies and header limits are the front's (serve_front.cpp).
//
// Handlers only copy the current snapshot pointer and write a pre-rendered body; nothing here
// reads a file or waits on the scanner.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "serve_http.hpp"
#include "serve_internal.hpp"
#include "serve_tls.hpp"
#include "swarmpki/json_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace swarmpki::serve_detail {

namespace {

// Set by begin_request and read by the logger, both on the worker's thread.
thread_local std::chrono::steady_clock::time_point request_started{};
thread_local std::string request_remote;

std::string number(double value) { return fmt::format("{}", value); }

void gauge(std::string& out, const char* name, const char* help, double value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, number(value));
}

// Serves `body` (a member of the snapshot) followed by `suffix` straight from the snapshot: no
// per-request copy of a body that is hundreds of kilobytes for a hundred directories. The
// provider holds the snapshot alive until the response is written. httplib compresses only
// bodies it holds, so a client that accepts gzip (Prometheus always does) gets a copy that
// httplib gzips: the bytes on the wire matter more to it than a copy on our side.
void serve_from_snapshot(const httplib::Request& req, httplib::Response& res,
                         std::shared_ptr<const Snapshot> snapshot, const std::string& body,
                         std::string suffix, const char* content_type) {
    if (req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos) {
        res.set_content(body + suffix, content_type);
        return;
    }
    std::size_t total = body.size() + suffix.size();
    auto tail = std::make_shared<const std::string>(std::move(suffix));
    res.set_content_provider(total, content_type,
                             [snapshot = std::move(snapshot), &body, tail](
                                 std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                 constexpr std::size_t kChunk = 64 * 1024;
                                 std::size_t n = std::min(length, kChunk);
                                 if (offset < body.size()) {
                                     n = std::min(n, body.size() - offset);
                                     return sink.write(body.data() + offset, n);
                                 }
                                 std::size_t at = offset - body.size();
                                 return sink.write(tail->data() + at,
                                                   std::min(n, tail->size() - at));
                             });
}

// Which scan an answer comes from: the same number on /metrics, /v1/inspect and /healthz means
// the same facts.
void set_generation(httplib::Response& res, const Snapshot& snapshot) {
    res.set_header("Swarmpki-Scan-Generation", std::to_string(snapshot.generation));
}

void front_families(std::string& out, const FrontCounters& front) {
    out += fmt::format("# HELP swarmpki_serve_connections_accepted_total Connections accepted.\n"
                       "# TYPE swarmpki_serve_connections_accepted_total counter\n"
                       "swarmpki_serve_connections_accepted_total {}\n",
                       front.accepted);
    gauge(out, "swarmpki_serve_connections_open",
          "Connections open now: in a TLS handshake, waiting for a request, or being answered.",
          static_cast<double>(front.open));
    out += "# HELP swarmpki_serve_connections_refused_total Connections serve closed because of a "
           "limit, by reason: max_connections (at the limit with every connection being "
           "answered), evicted (waiting for a request, closed to make room at the limit), "
           "method (not GET or HEAD), body (a request body announced), header_too_large, "
           "tls_handshake (failed).\n"
           "# TYPE swarmpki_serve_connections_refused_total counter\n";
    for (std::size_t i = 0; i < kRefusalReasons; ++i)
        out += fmt::format("swarmpki_serve_connections_refused_total{{reason=\"{}\"}} {}\n",
                           to_string(static_cast<RefusalReason>(i)), front.refused[i]);
    out += "# HELP swarmpki_serve_connections_timed_out_total Connections closed at a deadline, "
           "by phase: tls_handshake, idle (no request began), request_header (a request head "
           "began but was not complete), write (the response was not taken).\n"
           "# TYPE swarmpki_serve_connections_timed_out_total counter\n";
    for (std::size_t i = 0; i < kTimeoutPhases; ++i)
        out += fmt::format("swarmpki_serve_connections_timed_out_total{{phase=\"{}\"}} {}\n",
                           to_string(static_cast<TimeoutPhase>(i)), front.timed_out[i]);
}

// /v1/cluster without a report to serve: 503 while the engine does not answer (or has not yet),
// 404 when serve runs without --engine.
std::string cluster_unavailable_json(const EngineSnapshot* engine) {
    JsonWriter json(JsonStyle::compact);
    json.begin_object();
    if (!engine) {
        json.member("error", "serve runs without --engine: no cluster to report");
    } else {
        json.member("error", engine->last_success_at ? "the engine does not answer"
                                                     : "the engine has not answered yet");
        json.member("engine_up", false);
        json.member("engine_error", engine->error);
        json.key("last_success_at");
        if (engine->last_success_at) json.value(format_rfc3339(*engine->last_success_at));
        else json.null();
    }
    json.end_object();
    return json.take() + "\n";
}

}  // namespace

void begin_request(std::string_view remote) {
    request_started = std::chrono::steady_clock::now();
    request_remote.assign(remote);
}

std::string serve_metric_families(const Snapshot& snapshot,
                                  const std::optional<DeliveryCounters>& webhooks,
                                  const FrontCounters& front) {
    std::string out;
    gauge(out, "swarmpki_scrape_duration_seconds",
          "Seconds the last background scan of the configured directories took; a scrape "
          "serves that scan's result and never reads the disk itself.",
          snapshot.scan_seconds);
    gauge(out, "swarmpki_last_scan_timestamp_seconds",
          "When the last successful scan ran (every configured directory read and evaluated), "
          "as a Unix timestamp; 0 before the first.",
          snapshot.last_success_at ? static_cast<double>(unix_seconds(*snapshot.last_success_at))
                                   : 0.0);
    gauge(out, "swarmpki_last_scan_success",
          "1 when the most recent scan read and evaluated everything configured, 0 when it did "
          "not (the log, /healthz and a scan.failed event say what).",
          snapshot.scan_succeeded ? 1 : 0);
    out += fmt::format("# HELP swarmpki_scans_total Scans run since start; every endpoint "
                       "answers from the latest (its number is the Swarmpki-Scan-Generation "
                       "response header).\n"
                       "# TYPE swarmpki_scans_total counter\n"
                       "swarmpki_scans_total {}\n",
                       snapshot.generation);
    if (webhooks) {
        out += "# HELP swarmpki_webhook_deliveries_total Webhook delivery attempts by outcome "
               "(retried: a retry was scheduled; dropped: the queue was full).\n"
               "# TYPE swarmpki_webhook_deliveries_total counter\n";
        out += fmt::format("swarmpki_webhook_deliveries_total{{result=\"delivered\"}} {}\n",
                           webhooks->delivered);
        out += fmt::format("swarmpki_webhook_deliveries_total{{result=\"failed\"}} {}\n",
                           webhooks->failed);
        out += fmt::format("swarmpki_webhook_deliveries_total{{result=\"retried\"}} {}\n",
                           webhooks->retried);
        out += fmt::format("swarmpki_webhook_deliveries_total{{result=\"dropped\"}} {}\n",
                           webhooks->dropped);
    }
    front_families(out, front);
    return out;
}

void install_routes(httplib::Server& http, const RouteContext& context) {
    // No pre-routing checks: the front refused other methods, bodies, oversized heads and too
    // many fields before cpp-httplib saw the request.
    http.Get("/metrics", [&context](const httplib::Request& req, httplib::Response& res) {
        auto snapshot = context.snapshot();
        set_generation(res, *snapshot);
        std::string families = serve_metric_families(*snapshot, context.webhook_counters(),
                                                     context.front_counters());
        if (snapshot->engine) families += engine_metric_families(*snapshot->engine);
        const std::string& expiry_families = snapshot->metrics;
        serve_from_snapshot(req, res, std::move(snapshot), expiry_families, std::move(families),
                            "text/plain; version=0.0.4; charset=utf-8");
    });
    http.Get("/healthz", [&context](const httplib::Request&, httplib::Response& res) {
        auto snapshot = context.snapshot();
        set_generation(res, *snapshot);
        if (snapshot->scan_succeeded) {
            res.set_content("ok\n", "text/plain");
            return;
        }
        // Not healthy: what is served is not the whole truth (something configured could not
        // be read or evaluated), which is what a probe of an exporter needs to know.
        res.status = 503;
        res.set_content("scan failed: " + snapshot->failure.value_or("unknown") + "\n",
                        "text/plain");
    });
    http.Get("/v1/inspect", [&context](const httplib::Request& req, httplib::Response& res) {
        auto snapshot = context.snapshot();
        set_generation(res, *snapshot);
        const std::string& document = snapshot->inspect_json;
        serve_from_snapshot(req, res, std::move(snapshot), document, {}, "application/json");
    });
    http.Get("/v1/cluster", [&context](const httplib::Request& req, httplib::Response& res) {
        auto snapshot = context.snapshot();
        set_generation(res, *snapshot);
        if (snapshot->engine && snapshot->engine->up) {
            const std::string& document = snapshot->engine->cluster_json;
            serve_from_snapshot(req, res, std::move(snapshot), document, {}, "application/json");
            return;
        }
        res.status = snapshot->engine ? 503 : 404;
        res.set_content(cluster_unavailable_json(snapshot->engine ? &*snapshot->engine : nullptr),
                        "application/json");
    });

    http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                                   httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const char* text = res.status == 404
                               ? "not found (try /metrics, /healthz, /v1/inspect or /v1/cluster)\n"
                               : "bad request\n";
        res.set_content(text, "text/plain");
        return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([&context](const httplib::Request&, httplib::Response& res,
                                          const std::exception_ptr& error) {
        std::string what = "unknown";
        try {
            if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        context.log("level=error msg=\"request handler failed\" error=" + logfmt_value(what));
        res.status = 500;
        res.set_content("internal error\n", "text/plain");
    });

    http.set_logger([&context](const httplib::Request& req, const httplib::Response& res) {
        auto started = request_started;
        request_started = {};
        std::string line = "level=info msg=request method=" + logfmt_value(req.method) +
                           " path=" + logfmt_value(req.path) +
                           " status=" + std::to_string(res.status) + " bytes=" +
                           std::to_string(res.body.empty() ? res.content_length_ : res.body.size());
        if (started != std::chrono::steady_clock::time_point{}) {
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                  started)
                            .count();
            line += fmt::format(" duration_ms={:.3f}", ms);
        }
        line += " remote=" +
                logfmt_value(req.remote_addr.empty() ? request_remote : req.remote_addr);
        if (std::string cn = peer_common_name(req.ssl); !cn.empty())
            line += " client_cn=" + logfmt_value(cn);
        context.log(line);
    });
}

}  // namespace swarmpki::serve_detail
