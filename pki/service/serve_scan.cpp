// One background scan: the configured directories expanded once (plan_scan, as `expiry` does),
// each node directory read once by expiry's workers and inspected from that same read, then
// rendered once for /metrics and /v1/inspect, with the scan's outcome and the reduced state the
// webhook detector compares.
#include "serve_internal.hpp"
#include "swarmpki/inspect_render.hpp"

#include <chrono>
#include <exception>

namespace swarmpki {

namespace {

using serve_detail::is_under;

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
        if (is_under(e.path, dir)) return e.message;
    return std::nullopt;
}

DirectoryState& directory_state(ScanState& state, const std::string& dir) {
    for (DirectoryState& s : state.directories)
        if (s.dir == dir) return s;
    state.directories.push_back({});
    state.directories.back().dir = dir;
    return state.directories.back();
}

ScanState reduce(const ExpiryReport& report, const InspectReport& inspect,
                 const std::vector<std::string>& configured) {
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
    for (const std::string& dir : configured)
        if (auto error = error_under(dir, report)) {
            DirectoryState& s = directory_state(state, dir);
            if (!s.error) s.error = error;
        }
    // What inspect could not evaluate (a key the unlock key does not decrypt) is as much a
    // failure to read the directory as a missing file: the same event, health and metrics.
    for (const NodeReport& node : inspect.nodes)
        if (node.error) {
            DirectoryState& s = directory_state(state, node.dir);
            if (!s.error) s.error = node.error;
        }
    return state;
}

// What the scan could not read or evaluate, in one line: the first problem and how many more.
std::optional<std::string> failure_of(const ExpiryReport& report, const InspectReport& inspect) {
    std::vector<const std::string*> problems;
    for (const ScanError& e : report.errors) problems.push_back(&e.message);
    for (const NodeReport& node : inspect.nodes)
        if (node.error && !error_under(node.dir, report)) problems.push_back(&*node.error);
    if (problems.empty()) return std::nullopt;
    std::string line = *problems.front();
    if (problems.size() > 1)
        line += " (and " + std::to_string(problems.size() - 1) + " more; /v1/inspect has each)";
    return line;
}

std::string render_metrics(const ExpiryReport& report, const InspectReport& inspect) {
    std::vector<ExtraGauge> verdicts = serve_detail::verdict_gauges(inspect);
    return render_prometheus(report, verdicts);
}

}  // namespace

Snapshot scan_directories(const ScanSettings& settings, Instant now) {
    auto started = std::chrono::steady_clock::now();
    Snapshot snapshot;
    snapshot.scanned_at = now;
    try {
        ExpiryOptions options = settings.expiry;
        options.at = now;
        options.unlock_key = settings.unlock_key;
        serve_detail::NodeInspector inspector(settings.unlock_key.get(), now);
        options.on_node_directory = [&inspector](const CertificatesDirectory& dir) {
            inspector.inspect(dir);
        };
        ScanPlan plan = plan_scan(settings.dirs, options.threads);
        auto report = std::make_shared<ExpiryReport>(evaluate_expiry(plan, options));
        auto inspect = std::make_shared<const InspectReport>(
            inspect_report(inspector.reports(plan, settings.dirs, report->errors), now));
        // The status served is the worst of every verdict served: expiry's, and each node's and
        // the fleet's from inspect. The report carries it so that swarmpki_status says it.
        report->status = worst(report->status, inspect->severity);
        snapshot.status = report->status;
        snapshot.failure = failure_of(*report, *inspect);
        snapshot.scan_succeeded = !snapshot.failure;
        snapshot.state = reduce(*report, *inspect, settings.dirs);
        snapshot.metrics = render_metrics(*report, *inspect);
        snapshot.inspect_json = render_inspect_json(*inspect);
        snapshot.expiry = std::move(report);
        snapshot.inspect = std::move(inspect);
    } catch (const std::exception& e) {
        snapshot = Snapshot{};
        snapshot.scanned_at = now;
        snapshot.state.at = now;
        snapshot.state.failure = e.what();
        snapshot.failure = "the scan could not complete: " + std::string(e.what());
        snapshot.status = Severity::unknown;
    }
    snapshot.scan_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return snapshot;
}

namespace serve_detail {

void carry_forward(Snapshot& next, const Snapshot& previous) {
    next.last_success_at = previous.last_success_at;
    if (next.expiry || !previous.expiry || !previous.inspect) return;
    // Last scan's facts, but the status says this scan could not be made.
    ExpiryReport report = *previous.expiry;
    report.status = Severity::unknown;
    next.metrics = render_metrics(report, *previous.inspect);
    next.inspect_json = previous.inspect_json;
    next.expiry = previous.expiry;
    next.inspect = previous.inspect;
}

}  // namespace serve_detail

}  // namespace swarmpki
