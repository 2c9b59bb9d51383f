// The HTTP surface of `serve`: three GET routes, 404/405, limits, and one logfmt line per request.
//
// Handlers only copy the current snapshot pointer and write a pre-rendered body; nothing here
// reads a file or waits on the scanner.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "serve_http.hpp"
#include "serve_tls.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

namespace swarmpki::serve_detail {

namespace {

constexpr std::array kRoutes = {"/metrics", "/healthz", "/v1/inspect"};

bool known_route(const std::string& path) {
    for (const char* route : kRoutes)
        if (path == route) return true;
    return false;
}

// Set in the pre-routing handler and read by the logger, both on the connection's thread.
thread_local std::chrono::steady_clock::time_point request_started{};

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
    res.set_content_provider(
        total, content_type,
        [snapshot = std::move(snapshot), &body, tail](std::size_t offset, std::size_t length,
                                                      httplib::DataSink& sink) {
            constexpr std::size_t kChunk = 64 * 1024;
            std::size_t n = std::min(length, kChunk);
            if (offset < body.size()) {
                n = std::min(n, body.size() - offset);
                return sink.write(body.data() + offset, n);
            }
            std::size_t at = offset - body.size();
            return sink.write(tail->data() + at, std::min(n, tail->size() - at));
        });
}

}  // namespace

std::string serve_metric_families(const Snapshot& snapshot,
                                  const std::optional<DeliveryCounters>& webhooks) {
    std::string out;
    gauge(out, "swarmpki_scrape_duration_seconds",
          "Seconds the last background scan of the configured directories took; a scrape "
          "serves that scan's result and never reads the disk itself.",
          snapshot.scan_seconds);
    gauge(out, "swarmpki_last_scan_timestamp_seconds",
          "When the metrics served were produced (the last successful scan), as a Unix "
          "timestamp.",
          snapshot.last_success_at ? static_cast<double>(unix_seconds(*snapshot.last_success_at))
                                   : 0.0);
    gauge(out, "swarmpki_last_scan_success",
          "1 when the most recent scan succeeded, 0 when it failed (the metrics are then those "
          "of the last successful scan).",
          snapshot.scan_succeeded ? 1 : 0);
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
    return out;
}

void install_routes(httplib::Server& http, const RouteContext& context) {
    http.set_pre_routing_handler([&context](const httplib::Request& req, httplib::Response& res) {
        request_started = std::chrono::steady_clock::now();
        if (req.headers.size() > context.max_header_count) {
            res.status = 431;
            res.set_content("too many header fields\n", "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (known_route(req.path) && req.method != "GET" && req.method != "HEAD") {
            res.status = 405;
            res.set_header("Allow", "GET, HEAD");
            res.set_content("method not allowed\n", "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });

    http.Get("/metrics", [&context](const httplib::Request& req, httplib::Response& res) {
        auto snapshot = context.snapshot();
        std::string families = serve_metric_families(*snapshot, context.webhook_counters());
        const std::string& expiry_families = snapshot->metrics;
        serve_from_snapshot(req, res, std::move(snapshot), expiry_families, std::move(families),
                            "text/plain; version=0.0.4; charset=utf-8");
    });
    http.Get("/healthz", [&context](const httplib::Request&, httplib::Response& res) {
        auto snapshot = context.snapshot();
        res.set_content(snapshot->scan_succeeded ? "ok\n" : "ok (last scan failed)\n",
                        "text/plain");
    });
    http.Get("/v1/inspect", [&context](const httplib::Request& req, httplib::Response& res) {
        auto snapshot = context.snapshot();
        const std::string& document = snapshot->inspect_json;
        serve_from_snapshot(req, res, std::move(snapshot), document, {}, "application/json");
    });

    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const char* text = res.status == 404   ? "not found (try /metrics, /healthz or /v1/inspect)\n"
                           : res.status == 413 ? "request body too large\n"
                                               : "bad request\n";
        res.set_content(text, "text/plain");
        return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler(
        [&context](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
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
                           " status=" + std::to_string(res.status) +
                           " bytes=" + std::to_string(res.body.empty() ? res.content_length_
                                                                       : res.body.size());
        if (started != std::chrono::steady_clock::time_point{}) {
            double ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - started)
                            .count();
            line += fmt::format(" duration_ms={:.3f}", ms);
        }
        line += " remote=" + logfmt_value(req.remote_addr);
        if (std::string cn = peer_common_name(req.ssl); !cn.empty())
            line += " client_cn=" + logfmt_value(cn);
        context.log(line);
    });
}

}  // namespace swarmpki::serve_detail
