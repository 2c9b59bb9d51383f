// Nagios plugin output for expiry (docs/expiry.md, "Nagios").
#include "swarmpki/nagios.hpp"

#include "nagios_text.hpp"
#include "swarmpki/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace swarmpki {

std::string plugin_text(std::string_view text) { return to_one_line_utf8(text, ' ', '|', '/'); }

namespace {

std::string summary_text(const ExpiryReport& report) {
    const ExpirySummary& s = report.summary;
    if (report.certificates.empty())
        return fmt::format("no certificate could be evaluated ({} scan error{})",
                           report.errors.size(), report.errors.size() == 1 ? "" : "s");
    std::vector<std::string> parts;
    for (ExpiryStatus status : {ExpiryStatus::expired, ExpiryStatus::not_yet_valid,
                                ExpiryStatus::expiring, ExpiryStatus::renewal_overdue}) {
        std::size_t count = s.by_status.at(status);
        if (count) parts.push_back(fmt::format("{} {}", count, to_string(status)));
    }
    for (const ClusterSummary& c : s.clusters)
        if (c.severity >= Severity::warning)
            parts.push_back(
                fmt::format("cluster {}: {} roots", c.cluster_id, c.root_digests.size()));
    if (!report.errors.empty())
        parts.push_back(fmt::format("{} scan error{}", report.errors.size(),
                                    report.errors.size() == 1 ? "" : "s"));
    std::string text = fmt::format("{} certificate{}", report.certificates.size(),
                                   report.certificates.size() == 1 ? "" : "s");
    for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? ", " : ": ") + parts[i];
    if (parts.empty()) text += ", all ok";
    if (s.earliest_not_after)
        text += fmt::format("; earliest expiry {}", format_rfc3339(*s.earliest_not_after));
    return text;
}

std::string perfdata(const ExpiryReport& report) {
    const ExpirySummary& s = report.summary;
    std::string out = fmt::format("'certificates'={};;;0", report.certificates.size());
    for (const auto& [status, count] : s.by_status) {
        std::string label(to_string(status));
        std::replace(label.begin(), label.end(), '-', '_');
        out += fmt::format(" '{}'={};;;0", label, count);
    }
    std::size_t errors = report.errors.size();
    out += fmt::format(" 'scan_errors'={};1;;0", errors);
    if (s.earliest_not_after)
        out += fmt::format(" 'earliest_remaining'={}s;;;",
                           unix_seconds(*s.earliest_not_after) - unix_seconds(report.evaluated_at));
    return out;
}

}  // namespace

std::string_view nagios_word(Severity severity) {
    switch (exit_code_for(severity)) {
        case ExitCode::ok: return "OK";
        case ExitCode::warning: return "WARNING";
        case ExitCode::critical: return "CRITICAL";
        default: return "UNKNOWN";
    }
}

NagiosOutput render_nagios(const ExpiryReport& report) {
    NagiosOutput out;
    out.exit_code = exit_code_for(report.status);
    out.line = fmt::format("SWARMPKI {} - {} | {}\n", nagios_word(report.status),
                           plugin_text(summary_text(report)), perfdata(report));
    return out;
}

}  // namespace swarmpki
