// The text rendering of the expiry report: a table for people, soonest expiry first, with
// relative times next to absolute UTC ones; colour only when the caller says the output is a
// terminal.
#include "cert_expiry_render.hpp"
#include "swarmpki/expiry_render.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace swarmpki {

namespace {

const char* colour_of(Severity severity) {
    switch (severity) {
        case Severity::critical:
        case Severity::unknown: return "\033[31m";
        case Severity::warning: return "\033[33m";
        default: return "\033[32m";
    }
}

std::string paint(const std::string& text, Severity severity, Color color, std::size_t width) {
    std::string padded = fmt::format("{:<{}}", text, width);
    if (color == Color::no) return padded;
    return colour_of(severity) + padded + "\033[0m";
}

std::string who(const CertExpiry& e) {
    if (e.node_id) return *e.node_id;
    return e.subject.empty() ? "-" : e.subject;
}

std::string relative(const CertExpiry& e, Instant now) {
    if (e.status == ExpiryStatus::not_yet_valid)
        return "valid " + format_relative(e.not_before, now);
    if (e.status == ExpiryStatus::expired) return "expired " + format_relative(e.not_after, now);
    return format_relative(e.not_after, now);
}

void write_table(std::string& out, const ExpiryReport& report, Color color) {
    std::vector<const CertExpiry*> rows;
    rows.reserve(report.certificates.size());
    for (const CertExpiry& e : report.certificates) rows.push_back(&e);
    std::stable_sort(rows.begin(), rows.end(), [](const CertExpiry* a, const CertExpiry* b) {
        return a->remaining < b->remaining;
    });
    out += fmt::format("{:<16} {:<22} {:<20} {:<12} {:<7} {:<25} {}\n", "STATUS", "EXPIRES",
                       "NOT AFTER (UTC)", "KIND", "ROLE", "NODE / SUBJECT", "PATH");
    for (const CertExpiry* e : rows) {
        std::string status(to_string(e->status));
        if (e->lifetime_mismatch.value_or(false)) status += "*";
        out += paint(status, e->severity, color, 16);
        out += fmt::format(" {:<22} {:<20} {:<12} {:<7} {:<25} {}\n",
                           relative(*e, report.evaluated_at), format_rfc3339(e->not_after),
                           to_string(e->kind), e->role.value_or("-"), who(*e), e->path);
    }
}

void write_summary(std::string& out, const ExpiryReport& report, Color color) {
    const ExpirySummary& s = report.summary;
    out += fmt::format("\n{} certificate(s) in {} file(s) at {}:", report.certificates.size(),
                       s.files_scanned, format_rfc3339(report.evaluated_at));
    for (const auto& [status, count] : s.by_status)
        if (count) out += fmt::format(" {} {}", count, to_string(status));
    out += "\n";
    const ConfiguredCertExpiry& setting = report.cert_expiry_setting;
    if (setting.seconds || !setting.origin.empty()) out += render_detail::cert_expiry_line(setting);
    if (s.lifetime_mismatches)
        out += fmt::format(
            "* {} node certificate(s) issued with a lifetime other than the cert-expiry {}: issued "
            "before the setting changed, or by a signer that has not applied it (docker swarm ca "
            "--rotate re-issues all; a leader restart or change applies it at the next "
            "renewals)\n",
            s.lifetime_mismatches, format_duration(*report.cert_expiry));
    if (s.earliest_not_after)
        out += fmt::format("earliest expiry: {} ({}) {}\n", format_rfc3339(*s.earliest_not_after),
                           format_relative(*s.earliest_not_after, report.evaluated_at),
                           s.earliest_path);
    for (const ClusterSummary& c : s.clusters) {
        out += fmt::format("cluster {}{}: {} director{}, {} root{}{}", c.cluster_id,
                           c.fips ? " (FIPS)" : "", c.directories, c.directories == 1 ? "y" : "ies",
                           c.root_digests.size(), c.root_digests.size() == 1 ? "" : "s",
                           c.rotation_in_progress ? ", rotation in progress" : "");
        if (!c.finding.empty()) out += ": " + paint(c.finding, c.severity, color, 0);
        out += "\n";
    }
    for (const NodeDirectory& d : report.directories)
        if (d.kind == DirectoryKind::ca)
            out += fmt::format("{}: a CA directory (swarm-root-ca.crt and its key, as `swarmpki "
                               "ca init` writes): its root is reported, no node certificate is "
                               "expected\n",
                               d.path);
    if (!report.errors.empty()) {
        out += fmt::format("{} file(s) could not be evaluated:\n", report.errors.size());
        for (const ScanError& error : report.errors)
            out += fmt::format("  {:<18} {}\n", to_string(error.reason), error.message);
    }
    out += "status: " + paint(std::string(status_word(report.status)), report.status, color, 0) +
           "\n";
}

}  // namespace

std::string render_expiry_text(const ExpiryReport& report, Color color) {
    std::string out;
    if (!report.certificates.empty()) write_table(out, report, color);
    write_summary(out, report, color);
    return out;
}

}  // namespace swarmpki
