// The inspect side of a serve scan: a NodeReport for every node directory the expiry scan read
// (the same read: see ExpiryOptions::on_node_directory), and its verdict as metrics. The
// verdicts are inspect's own (NodeReport::severity, its findings): nothing is decided here.
#include "serve_internal.hpp"
#include "swarmpki/node_directory.hpp"

#include <exception>
#include <set>

namespace swarmpki::serve_detail {

bool is_under(const std::string& path, const std::string& dir) {
    if (path == dir) return true;
    std::string prefix = !dir.empty() && dir.back() == '/' ? dir : dir + '/';
    return path.rfind(prefix, 0) == 0;
}

NodeInspector::NodeInspector(const SecretBytes* unlock_key, Instant now) : now_(now) {
    options_.unlock_key = unlock_key;
}

void NodeInspector::inspect(const CertificatesDirectory& dir) {
    NodeReport report;
    // A failure nobody foresaw still leaves a complete document, as in inspect_nodes.
    try {
        report = inspect_directory(dir, options_, now_);
    } catch (const std::exception& e) {
        report.dir = dir.dir;
        report.severity = Severity::unknown;
        report.error = dir.dir + ": could not be evaluated: " + e.what();
    }
    try {
        std::lock_guard lock(mutex_);
        by_dir_.insert_or_assign(dir.dir, std::move(report));
    } catch (const std::exception&) {
        // Out of memory: the unit then has no report, and reports() names it unevaluated.
    }
}

namespace {

NodeReport unevaluated(const std::string& dir, const std::vector<ScanError>& errors) {
    NodeReport report;
    report.dir = dir;
    report.severity = Severity::unknown;
    for (const ScanError& e : errors)
        if (is_under(e.path, dir)) {
            report.error = e.message;
            return report;
        }
    report.error = dir + ": could not be evaluated";
    return report;
}

}  // namespace

std::vector<NodeReport> NodeInspector::reports(const ScanPlan& plan,
                                               const std::vector<std::string>& configured,
                                               const std::vector<ScanError>& errors) {
    std::lock_guard lock(mutex_);
    std::vector<NodeReport> out;
    std::set<std::string> done;
    for (const ScanUnit& unit : plan.units) {
        if (unit.kind != ScanUnit::Kind::node_directory || !done.insert(unit.path).second) continue;
        auto found = by_dir_.find(unit.path);
        out.push_back(found != by_dir_.end() ? std::move(found->second)
                                             : unevaluated(unit.path, errors));
    }
    // A --dir that is missing or unreadable expands to nothing: it is still a directory the
    // operator asked about, and /v1/inspect says why it has no report, as /metrics does.
    for (const std::string& dir : configured) {
        bool covered = false;
        for (const NodeReport& report : out) covered = covered || is_under(report.dir, dir);
        bool failed = false;
        for (const ScanError& e : plan.errors) failed = failed || e.path == dir;
        if (!covered && failed && done.insert(dir).second)
            out.push_back(unevaluated(dir, plan.errors));
    }
    return out;
}

std::vector<ExtraGauge> verdict_gauges(const InspectReport& report) {
    static const char* const kStatusHelp =
        "The inspect verdict of the node directory (as `swarmpki inspect` gives it) as its exit "
        "code: 0 ok, 1 warning, 2 critical, 3 unknown (could not be evaluated).";
    static const char* const kFindingHelp =
        "1 for each finding `swarmpki inspect` reports for the node directory, by its stable "
        "code and severity (docs/inspect.md lists the codes).";
    static const char* const kFleetHelp =
        "1 for each finding of the inspect fleet summary across the node directories served.";
    std::vector<ExtraGauge> gauges;
    for (const NodeReport& node : report.nodes) {
        std::vector<PrometheusLabel> labels{{"dir", node.dir}};
        labels.push_back({"node_id", node.node ? node.node->id : ""});
        labels.push_back({"role", node.node ? node.node->role.value_or("") : ""});
        labels.push_back({"cluster_id", node.node ? node.node->cluster_id : ""});
        gauges.push_back({"swarmpki_node_status", kStatusHelp, std::move(labels),
                          static_cast<double>(exit_code_for(node.severity))});
    }
    for (const NodeReport& node : report.nodes)
        for (const Finding& f : node.findings)
            gauges.push_back({"swarmpki_node_finding",
                              kFindingHelp,
                              {{"dir", node.dir},
                               {"code", f.code},
                               {"severity", std::string(to_string(f.severity))}},
                              1});
    if (report.fleet)
        for (const Finding& f : report.fleet->findings)
            gauges.push_back({"swarmpki_fleet_finding",
                              kFleetHelp,
                              {{"code", f.code}, {"severity", std::string(to_string(f.severity))}},
                              1});
    return gauges;
}

}  // namespace swarmpki::serve_detail
