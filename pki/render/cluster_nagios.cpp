// `cluster --format nagios`: one plugin line, SWARMPKI CLUSTER <WORD> - <summary> | <perfdata>,
// whose word and exit code come from the report's one status, as render_nagios's do.
#include "swarmpki/cluster_render.hpp"

#include "nagios_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace swarmpki {

namespace {

struct NodeCounts {
    std::size_t ready = 0, needs_rotation = 0, unknown = 0, down = 0;
};

bool is_down(const ClusterNode& n) { return n.state == "down" || n.state == "disconnected"; }

NodeCounts count_nodes(const std::vector<ClusterNode>& nodes) {
    NodeCounts c;
    for (const ClusterNode& n : nodes) {
        switch (n.tls_status) {
            case TlsStatus::ready: ++c.ready; break;
            case TlsStatus::needs_rotation: ++c.needs_rotation; break;
            case TlsStatus::unknown: ++c.unknown; break;
        }
        if (is_down(n)) ++c.down;
    }
    return c;
}

// The estimate tells a rotation on its way from a stuck one (cluster.hpp: null when blocked);
// at most three blockers are named, so 5,000 nodes still to renew cannot make a page of it.
std::string rotation_summary(const ClusterRotation& r) {
    if (!r.in_progress) return "no rotation";
    std::string text = fmt::format("rotation {}/{} converged", r.converged, r.total);
    if (r.estimated_engine_seconds)
        return text + fmt::format(", about {:.0f}s left", std::ceil(*r.estimated_engine_seconds));
    if (r.blocked_by.empty()) return text;
    text += fmt::format(", blocked by {} node{} (", r.blocked_by.size(),
                        r.blocked_by.size() == 1 ? "" : "s");
    std::size_t named = std::min<std::size_t>(r.blocked_by.size(), 3);
    for (std::size_t i = 0; i < named; ++i) text += (i ? ", " : "") + r.blocked_by[i];
    return text + (named < r.blocked_by.size() ? ", …)" : ")");
}

std::string summary_text(const ClusterReport& report, const NodeCounts& c) {
    std::string text = fmt::format("cluster {}: {} node{}, {} ready", report.cluster.id,
                                   report.nodes.size(), report.nodes.size() == 1 ? "" : "s",
                                   c.ready);
    if (c.needs_rotation) text += fmt::format(", {} needs-rotation", c.needs_rotation);
    if (c.unknown) text += fmt::format(", {} unknown", c.unknown);
    if (c.down) text += fmt::format(", {} down", c.down);
    text += "; " + rotation_summary(report.cluster.rotation);
    // The codes of what made the word: a person paged at night sees what to look up.
    std::vector<std::string_view> codes;
    for (const Finding& f : report.findings)
        if (f.severity >= Severity::warning &&
            std::find(codes.begin(), codes.end(), f.code) == codes.end())
            codes.push_back(f.code);
    for (std::size_t i = 0; i < codes.size(); ++i)
        text += (i ? ", " : "; ") + std::string(codes[i]);
    return text;
}

// 'label'=value[UOM];[warn];[crit];[min];[max]: a down node warns, as the findings judge it; the
// nodes a rotation waits for carry no threshold (a rotation on its way waits for some too).
std::string perfdata(const ClusterReport& report, const NodeCounts& c) {
    const ClusterRotation& r = report.cluster.rotation;
    return fmt::format(
        "'nodes'={};;;0 'ready'={};;;0 'needs_rotation'={};;;0 'unknown'={};;;0 'down'={};1;;0 "
        "'converged'={};;;0;{} 'blocking'={};;;0",
        report.nodes.size(), c.ready, c.needs_rotation, c.unknown, c.down, r.converged, r.total,
        r.blocked_by.size());
}

}  // namespace

NagiosOutput render_cluster_nagios(const ClusterReport& report) {
    NodeCounts counts = count_nodes(report.nodes);
    NagiosOutput out;
    out.exit_code = exit_code_for(report.status);
    out.line = fmt::format("SWARMPKI CLUSTER {} - {} | {}\n", nagios_word(report.status),
                           plugin_text(summary_text(report, counts)), perfdata(report, counts));
    return out;
}

}  // namespace swarmpki
