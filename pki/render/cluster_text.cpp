// `swarmpki cluster`'s table: what a person on a manager reads in five seconds. A header of the
// cluster's facts (labels in a column, as inspect's card has them), the rotation, one row per node
// with the reason under a node that lags, findings worst first with their remedies. Colour only
// when asked, with inspect's palette.
//
// Hostnames, versions and messages come from the engine, and a node writes its own hostname:
// every such string is made printable here (controls become '?', invalid UTF-8 U+FFFD) so a
// hostile node cannot put terminal escapes on an operator's screen.
#include "swarmpki/cluster_render.hpp"

#include "cluster_text_parts.hpp"
#include "text_palette.hpp"

#include "swarmpki/utf8.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace swarmpki {

namespace {

// Engine strings a node chose (its hostname): no terminal escapes on an operator's screen.
std::string printable(std::string_view text) { return to_one_line_utf8(text, '?'); }

// Terminal columns of printable UTF-8: one per code point (engine strings are names and
// versions, not wide scripts).
std::size_t columns(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    }));
}

std::string padded(std::string text, std::size_t width) {
    std::size_t used = columns(text);
    if (used < width) text.append(width - used, ' ');
    return text;
}

// The way `--cert-expiry` is given and the fixtures speak of leaves: "2160h", "2161h", "1h30m",
// "90s"; days would hide the one hour a leaf is backdated by.
std::string hours(Seconds duration) {
    std::int64_t s = duration.count();
    std::string out = s < 0 ? "-" : "";
    if (s < 0) s = -s;
    std::int64_t h = s / 3600, m = s % 3600 / 60, sec = s % 60;
    if (h) out += std::to_string(h) + "h";
    if (m) out += std::to_string(m) + "m";
    if (sec || (!h && !m)) out += std::to_string(sec) + "s";
    return out;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

namespace render_detail {

// A rotation with an estimate is on its way, however many nodes it still waits for; without one
// (cluster.hpp: null when blocked) the nodes it waits for cannot converge by themselves.
bool rotation_stuck(const ClusterRotation& r) {
    return r.in_progress && !r.estimated_engine_seconds && !r.blocked_by.empty();
}

std::string rotation_words(const Palette& palette, const ClusterRotation& r) {
    if (!r.in_progress) return "none in progress";
    std::string text = "in progress, " + std::to_string(r.converged) + "/" +
                       std::to_string(r.total) + " nodes converged, ";
    if (r.estimated_engine_seconds)
        return text + "about " +
               hours(Seconds(static_cast<std::int64_t>(std::ceil(*r.estimated_engine_seconds)))) +
               " left by the engine's pacing";
    if (rotation_stuck(r))
        return text +
               palette.severity_word(Severity::critical,
                                     "blocked by " + plural(r.blocked_by.size(), "node", "nodes") +
                                         " (it never finishes by itself)");
    return text + "no estimate";
}

std::string join_token_words(const Palette& palette, std::string_view role,
                             const ClusterJoinToken& t) {
    std::string name(role);
    if (t.digest_base36.empty())
        return palette.severity_word(Severity::warning, name + " none given");
    if (t.pins_trust_root)
        return palette.severity_word(Severity::ok, name + " pins the trust root");
    return palette.severity_word(Severity::critical, name + " does NOT pin the trust root");
}

}  // namespace render_detail

namespace {

using render_detail::join_token_words;
using render_detail::rotation_stuck;
using render_detail::rotation_words;

class Sheet {
public:
    Sheet(TextColor color, Instant now) : palette_(color == TextColor::yes), now_(now) {}

    std::string paint(std::string_view text, const char* code) const {
        return palette_.paint(text, code);
    }
    std::string severity_word(Severity s, std::string_view word) const {
        return palette_.severity_word(s, word);
    }
    void line(std::string_view label, const std::string& text) {
        out_ += "  " + paint(padded(std::string(label), 12), "2") + text + "\n";
    }
    void raw(const std::string& text) { out_ += text; }
    const render_detail::Palette& palette() const { return palette_; }
    std::string at(Instant t) const {
        return format_rfc3339(t) + " (" + format_relative(t, now_) + ")";
    }
    std::string take() { return std::move(out_); }

private:
    render_detail::Palette palette_;
    Instant now_;
    std::string out_;
};

std::string upper(std::string_view word) {
    std::string out(word);
    for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return out;
}

std::string engine_text(const EngineIdentity& e) {
    std::string text = printable(e.host);
    std::string detail;
    if (!e.server_version.empty()) detail = "Docker " + printable(e.server_version);
    if (!e.api_version.empty())
        detail += (detail.empty() ? "" : ", ") + std::string("API ") + printable(e.api_version);
    return detail.empty() ? text : text + " (" + detail + ")";
}

std::string trust_root_text(const Sheet& sheet, const ClusterTrustRoot& r) {
    if (r.subject.empty() && !r.not_after)
        return sheet.severity_word(Severity::warning, "unreadable");
    std::string text = printable(r.subject);
    if (!r.key_type.empty()) text += ", " + r.key_type;
    if (r.not_after) text += ", until " + sheet.at(*r.not_after);
    return text;
}

std::string cert_expiry_text(const Sheet& sheet, const ClusterFacts& c) {
    if (!c.cert_expiry) return "not reported by the engine";
    std::string text = hours(*c.cert_expiry) + " ";
    if (!c.cert_expiry_applied)
        return text + "(applied: unknown, this manager's certificate could not be read)";
    const CertExpiryApplied& a = *c.cert_expiry_applied;
    if (a.applied)
        return text +
               sheet.severity_word(Severity::ok, "(applied: leaf " + hours(a.leaf_lifetime) + ")");
    return text +
           sheet.severity_word(Severity::warning,
                               "(NOT applied: this manager's leaf has " + hours(a.leaf_lifetime) +
                                   ", not " + hours(*c.cert_expiry + std::chrono::hours(1)) +
                                   "; the signer is stale, see findings)");
}

std::string nodes_text(const std::vector<ClusterNode>& nodes) {
    std::array<std::size_t, 3> by_tls{};
    std::size_t down = 0;
    for (const ClusterNode& n : nodes) {
        ++by_tls[static_cast<std::size_t>(n.tls_status)];
        if (n.state == "down" || n.state == "disconnected") ++down;
    }
    return std::to_string(nodes.size()) + ": " + std::to_string(by_tls[0]) + " ready, " +
           std::to_string(by_tls[1]) + " needs-rotation, " + std::to_string(by_tls[2]) +
           " unknown; " + std::to_string(down) + " down";
}

void render_header(Sheet& sheet, const ClusterReport& report) {
    const ClusterFacts& c = report.cluster;
    std::string status = upper(status_word(report.status));
    sheet.raw(sheet.paint("cluster " + printable(c.id), "1") + "  " +
              sheet.severity_word(report.status, status) + "\n");
    sheet.line("engine", engine_text(report.engine));
    sheet.line("trust root", trust_root_text(sheet, c.trust_root));
    sheet.line("cert-expiry", cert_expiry_text(sheet, c));
    sheet.line("rotation", rotation_words(sheet.palette(), c.rotation));
    sheet.line("join tokens", join_token_words(sheet.palette(), "worker", c.worker_token) + ", " +
                                  join_token_words(sheet.palette(), "manager", c.manager_token));
    sheet.line("nodes", nodes_text(report.nodes));
}

// Severity of a cell, for colour only: what the findings say about the same facts.
Severity tls_severity(const ClusterNode& n, bool stuck) {
    if (n.blocking_rotation && stuck) return Severity::critical;
    switch (n.tls_status) {
        case TlsStatus::ready: return Severity::ok;
        case TlsStatus::needs_rotation: return Severity::warning;
        case TlsStatus::unknown: return Severity::unknown;
    }
    return Severity::unknown;
}
Severity state_severity(const ClusterNode& n) {
    return n.state == "ready" ? Severity::ok : Severity::warning;
}

std::vector<std::array<std::string, 6>> node_rows(const std::vector<ClusterNode>& nodes) {
    std::vector<std::array<std::string, 6>> rows;
    rows.reserve(nodes.size() + 1);
    rows.push_back({"ID", "HOSTNAME", "ROLE", "STATE", "AVAILABILITY", "TLS STATUS"});
    for (const ClusterNode& n : nodes) {
        std::string role = n.role ? to_string(*n.role) : "?";
        if (n.leader) role += " (leader)";
        rows.push_back({printable(n.id), printable(n.hostname), role, printable(n.state),
                        printable(n.availability), to_string(n.tls_status)});
    }
    return rows;
}

void render_nodes(Sheet& sheet, const std::vector<ClusterNode>& nodes, bool stuck) {
    auto rows = node_rows(nodes);
    std::array<std::size_t, 6> width{};
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], columns(row[i]));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const auto& row = rows[r];
        std::string line = "  ";
        for (std::size_t i = 0; i + 1 < row.size(); ++i) {
            std::string cell = padded(row[i], width[i] + 2);
            if (r == 0) cell = sheet.paint(cell, "2");
            else if (i == 3) cell = sheet.severity_word(state_severity(nodes[r - 1]), cell);
            line += cell;
        }
        line += r == 0 ? sheet.paint(row.back(), "2")
                       : sheet.severity_word(tls_severity(nodes[r - 1], stuck), row.back());
        sheet.raw(line + "\n");
        if (r == 0) continue;
        const ClusterNode& n = nodes[r - 1];
        if (n.reason.empty() && !n.blocking_rotation) continue;
        std::string why = n.reason.empty() ? "the rotation waits for it" : printable(n.reason);
        sheet.raw(std::string(width[0] + 4, ' ') + "↳ " +
                  sheet.severity_word(tls_severity(n, stuck), why) + "\n");
    }
}

// Worst first, as a person should read them; equal severities keep the report's order.
void render_findings(Sheet& sheet, std::vector<Finding> findings) {
    if (findings.empty()) {
        sheet.line("findings", "none");
        return;
    }
    std::stable_sort(findings.begin(), findings.end(),
                     [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
    bool first = true;
    for (const Finding& f : findings) {
        std::string word(to_string(f.severity));
        word.resize(9, ' ');
        sheet.line(first ? "findings" : "",
                   sheet.severity_word(f.severity, word) + f.code + ": " + printable(f.message));
        if (!f.remedy.empty()) sheet.line("", std::string(9, ' ') + "→ " + printable(f.remedy));
        first = false;
    }
}

}  // namespace

std::string render_cluster_text(const ClusterReport& report, TextColor color) {
    Sheet sheet(color, report.evaluated_at);
    render_header(sheet, report);
    sheet.raw("\n");
    render_nodes(sheet, report.nodes, rotation_stuck(report.cluster.rotation));
    sheet.raw("\n");
    render_findings(sheet, report.findings);
    sheet.raw("\nevaluated at " + format_rfc3339(report.evaluated_at) + "\n");
    return sheet.take();
}

}  // namespace swarmpki
