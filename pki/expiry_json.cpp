// JSON and JSON Lines renderings of the expiry report: swarmpki.expiry/v1 (docs/expiry.md).
#include "swarmpki/expiry_render.hpp"
#include "swarmpki/json_writer.hpp"

namespace swarmpki {

namespace {

constexpr const char* kSchema = "swarmpki.expiry/v1";

void write_certificate_members(JsonWriter& w, const CertExpiry& e) {
    w.member("path", e.path);
    w.member("index", e.index);
    w.member("kind", to_string(e.kind));
    w.member("subject", e.subject);
    w.member("node_id", e.node_id);
    w.member("role", e.role);
    w.member("cluster_id", e.cluster_id);
    w.member("serial", e.serial);
    w.member("issuer_cn", e.issuer_cn);
    w.member("public_key_sha256", e.public_key_sha256);
    w.member("not_before", format_rfc3339(e.not_before));
    w.member("not_after", format_rfc3339(e.not_after));
    w.member("lifetime_seconds", static_cast<std::int64_t>(e.lifetime.count()));
    w.member("remaining_seconds", static_cast<std::int64_t>(e.remaining.count()));
    w.key("renewal_window");
    if (e.renewal_window) {
        w.begin_object();
        w.member("start", format_rfc3339(e.renewal_window->start));
        w.member("end", format_rfc3339(e.renewal_window->end));
        w.end_object();
    } else {
        w.null();
    }
    w.member("status", to_string(e.status));
    w.member("severity", to_string(e.severity));
    w.member("lifetime_mismatch", e.lifetime_mismatch);
}

void write_certificate(JsonWriter& w, const CertExpiry& e) {
    w.begin_object();
    write_certificate_members(w, e);
    w.end_object();
}

void write_error_members(JsonWriter& w, const ScanError& error) {
    w.member("path", error.path);
    w.member("reason", to_string(error.reason));
    w.member("message", error.message);
}

void write_error(JsonWriter& w, const ScanError& error) {
    w.begin_object();
    write_error_members(w, error);
    w.end_object();
}

void write_directory(JsonWriter& w, const NodeDirectory& d) {
    w.begin_object();
    w.member("path", d.path);
    w.member("node_id", d.node_id);
    w.member("role", d.role);
    w.member("cluster_id", d.cluster_id);
    w.member("root_file_sha256", d.root_file_sha256);
    w.member("rotation", to_string(d.rotation));
    w.key("files").begin_object();
    w.member(kNodeCertFile, d.node_cert_present);
    w.member(kRootCertFile, d.root_file_present);
    w.member(kNodeKeyFile, d.key_present);
    w.end_object();
    w.end_object();
}

void write_summary(JsonWriter& w, const ExpiryReport& report) {
    const ExpirySummary& s = report.summary;
    w.begin_object();
    w.key("by_status").begin_object();
    for (const auto& [status, count] : s.by_status) w.member(to_string(status), count);
    w.end_object();
    if (s.earliest_not_after) {
        w.member("earliest_not_after", format_rfc3339(*s.earliest_not_after));
        w.member("earliest_path", s.earliest_path);
    } else {
        w.null_member("earliest_not_after");
        w.null_member("earliest_path");
    }
    w.key("clusters").begin_array();
    for (const ClusterSummary& c : s.clusters) {
        w.begin_object();
        w.member("cluster_id", c.cluster_id);
        w.member("root_digests", c.root_digests);
        w.member("directories", c.directories);
        w.member("rotation_in_progress", c.rotation_in_progress);
        w.member("status", status_word(c.severity));
        if (c.finding.empty())
            w.null_member("finding");
        else
            w.member("finding", c.finding);
        w.end_object();
    }
    w.end_array();
    w.member("certificates", report.certificates.size());
    w.member("files_scanned", s.files_scanned);
    w.member("files_skipped", s.files_skipped);
    w.member("lifetime_mismatches", s.lifetime_mismatches);
    w.key("scan_errors").begin_object();
    for (const auto& [reason, count] : s.errors_by_reason) w.member(to_string(reason), count);
    w.end_object();
    w.end_object();
}

void write_header(JsonWriter& w, const ExpiryReport& report) {
    w.member("schema", kSchema);
    w.member("evaluated_at", format_rfc3339(report.evaluated_at));
    w.member("status", status_word(report.status));
    if (report.cert_expiry)
        w.member("cert_expiry_seconds", static_cast<std::int64_t>(report.cert_expiry->count()));
    else
        w.null_member("cert_expiry_seconds");
}

}  // namespace

std::string render_expiry_json(const ExpiryReport& report) {
    JsonWriter w;
    w.begin_object();
    write_header(w, report);
    w.key("certificates").begin_array();
    for (const CertExpiry& e : report.certificates) write_certificate(w, e);
    w.end_array();
    w.key("directories").begin_array();
    for (const NodeDirectory& d : report.directories) write_directory(w, d);
    w.end_array();
    w.key("errors").begin_array();
    for (const ScanError& error : report.errors) write_error(w, error);
    w.end_array();
    w.key("summary");
    write_summary(w, report);
    w.end_object();
    std::string out = w.take();
    out += '\n';
    return out;
}

std::string render_expiry_jsonl(const ExpiryReport& report) {
    std::string out;
    auto line = [&](const char* record, auto&& write_body) {
        JsonWriter w(JsonStyle::compact);
        w.begin_object();
        w.member("schema", kSchema);
        w.member("record", record);
        write_body(w);
        w.end_object();
        out += w.str();
        out += '\n';
    };
    for (const CertExpiry& e : report.certificates)
        line("certificate", [&](JsonWriter& w) { write_certificate_members(w, e); });
    for (const ScanError& error : report.errors)
        line("error", [&](JsonWriter& w) { write_error_members(w, error); });
    line("summary", [&](JsonWriter& w) {
        w.member("evaluated_at", format_rfc3339(report.evaluated_at));
        w.member("status", status_word(report.status));
        w.key("summary");
        write_summary(w, report);
    });
    return out;
}

}  // namespace swarmpki
