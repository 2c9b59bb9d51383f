// One background scan: expiry over the configured directories, rendered once for /metrics, the
// inspect document for /v1/inspect, and the reduced state the webhook detector compares.
#include "serve_internal.hpp"
#include "swarmpki/cert_scan.hpp"
#include "swarmpki/prometheus.hpp"

#include <chrono>
#include <exception>

namespace swarmpki {

namespace {

CertificateState certificate_state(const CertExpiry& c) {
    CertificateState s;
    s.path = c.path;
    s.serial = c.serial;
    s.kind = std::string(to_string(c.kind));
    s.node_id = c.node_id.value_or("");
    s.role = c.role.value_or("");
    s.cluster_id = c.cluster_id.value_or("");
    s.fips = c.fips;
    s.not_after = c.not_after;
    s.remaining_seconds = c.remaining.count();
    s.status = std::string(to_string(c.status));
    s.severity = c.severity;
    return s;
}

// Scan errors are per file; a directory is "unreadable" for webhook purposes when any of its
// files could not be read.
std::optional<std::string> error_under(const std::string& dir, const ExpiryReport& report) {
    for (const ScanError& e : report.errors)
        if (e.path == dir || e.path.rfind(dir + "/", 0) == 0) return e.message;
    return std::nullopt;
}

ScanState reduce(const ExpiryReport& report, const std::vector<std::string>& configured) {
    ScanState state;
    state.at = report.evaluated_at;
    for (const CertExpiry& c : report.certificates)
        state.certificates.push_back(certificate_state(c));
    for (const auto& d : report.directories) {
        DirectoryState s;
        s.dir = d.path;
        s.node_id = d.node_id.value_or("");
        s.role = d.role.value_or("");
        s.cluster_id = d.cluster_id.value_or("");
        s.fips = d.fips;
        s.rotation_state = std::string(to_string(d.rotation));
        s.root_sha256 = d.root_file_sha256.value_or("");
        s.error = error_under(d.path, report);
        state.directories.push_back(std::move(s));
    }
    // A configured directory that vanished entirely produces no NodeDirectory, only an error.
    for (const std::string& dir : configured) {
        bool seen = false;
        for (const auto& s : state.directories) seen = seen || s.dir == dir;
        if (seen) continue;
        if (auto error = error_under(dir, report)) {
            DirectoryState s;
            s.dir = dir;
            s.error = error;
            state.directories.push_back(std::move(s));
        }
    }
    return state;
}

}  // namespace

Snapshot scan_directories(const ScanSettings& settings, Instant now) {
    auto started = std::chrono::steady_clock::now();
    Snapshot snapshot;
    snapshot.scanned_at = now;
    try {
        ExpiryOptions options = settings.expiry;
        options.at = now;
        ExpiryReport report = evaluate_expiry(plan_scan(settings.dirs, options.threads), options);
        snapshot.metrics = render_prometheus(report);
        snapshot.status = report.status;
        snapshot.state = reduce(report, settings.dirs);
        snapshot.inspect_json = serve_detail::render_inspect_document(settings, now);
        snapshot.scan_succeeded = true;
    } catch (const std::exception& e) {
        snapshot.state.at = now;
        snapshot.state.failure = e.what();
        snapshot.status = Severity::unknown;
    }
    snapshot.scan_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return snapshot;
}

}  // namespace swarmpki
