// JSON and JSON Lines renderings of the expiry report: swarmpki.expiry/v1 (docs/expiry.md).
//
// The certificates and directories arrays of a fleet report are most of the document (about
// 1 KiB per certificate, 100 MB for 100,000 files), so they are appended directly, byte for byte
// what JsonWriter's pretty style writes (tests compare the two), rendered in chunks on every
// core and appended in order into one pre-sized string; the rest of the document goes through
// JsonWriter.
#include "swarmpki/expiry_render.hpp"
#include "swarmpki/cert_scan.hpp"
#include "swarmpki/json_writer.hpp"

#include <charconv>
#include <condition_variable>
#include <mutex>

namespace swarmpki {

namespace {

constexpr const char* kSchema = "swarmpki.expiry/v1";

// --- the certificates array, appended directly ----------------------------------------------

// A JSON string: in one append when nothing needs escaping (identifiers, hex, paths), else
// through append_json_string (escapes, U+FFFD for invalid UTF-8).
void append_string(std::string& out, std::string_view text) {
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            append_json_string(out, text);
            return;
        }
    }
    out += '"';
    out += text;
    out += '"';
}

void append_number(std::string& out, std::int64_t value) {
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
}

void append_digits(char*& p, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    p += width;
}

// "2026-11-28T21:55:00Z", as format_rfc3339 writes it (which handles years past 9999).
void append_time(std::string& out, Instant instant) {
    auto days = std::chrono::floor<std::chrono::days>(instant);
    std::chrono::year_month_day ymd{days};
    int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) {
        append_string(out, format_rfc3339(instant));
        return;
    }
    auto seconds = static_cast<unsigned>((instant - days).count());
    char buffer[22];
    char* p = buffer;
    *p++ = '"';
    append_digits(p, static_cast<unsigned>(year), 4);
    *p++ = '-';
    append_digits(p, static_cast<unsigned>(ymd.month()), 2);
    *p++ = '-';
    append_digits(p, static_cast<unsigned>(ymd.day()), 2);
    *p++ = 'T';
    append_digits(p, seconds / 3600, 2);
    *p++ = ':';
    append_digits(p, seconds / 60 % 60, 2);
    *p++ = ':';
    append_digits(p, seconds % 60, 2);
    *p++ = 'Z';
    *p++ = '"';
    out.append(buffer, p);
}

// Members of one object inside the document's certificates or directories array (the pretty
// style's depth 3), or of an object nested one deeper.
class ObjectAppender {
public:
    explicit ObjectAppender(std::string& out, std::string_view indent = "\n      ")
        : out_(out), indent_(indent) {}

    void key(std::string_view name) {
        if (!first_) out_ += ',';
        out_ += indent_;
        out_ += '"';
        first_ = false;
        out_ += name;
        out_ += "\": ";
    }
    void member(std::string_view name, std::string_view text) {
        key(name);
        append_string(out_, text);
    }
    void optional_member(std::string_view name, const std::optional<std::string>& text) {
        key(name);
        if (text)
            append_string(out_, *text);
        else
            out_ += "null";
    }
    void member(std::string_view name, std::int64_t number) {
        key(name);
        append_number(out_, number);
    }
    void bool_member(std::string_view name, bool value) {
        key(name);
        out_ += value ? "true" : "false";
    }
    void time_member(std::string_view name, Instant instant) {
        key(name);
        append_time(out_, instant);
    }

private:
    std::string& out_;
    std::string_view indent_;
    bool first_ = true;
};

void append_certificate(std::string& out, const CertExpiry& e) {
    out += "\n    {";
    ObjectAppender a(out);
    a.member("path", e.path);
    a.member("index", static_cast<std::int64_t>(e.index));
    a.member("kind", to_string(e.kind));
    a.member("subject", e.subject);
    a.optional_member("node_id", e.node_id);
    a.optional_member("role", e.role);
    a.optional_member("cluster_id", e.cluster_id);
    a.member("serial", e.serial);
    a.member("issuer_cn", e.issuer_cn);
    a.member("public_key_sha256", e.public_key_sha256);
    a.time_member("not_before", e.not_before);
    a.time_member("not_after", e.not_after);
    a.member("lifetime_seconds", static_cast<std::int64_t>(e.lifetime.count()));
    a.member("remaining_seconds", static_cast<std::int64_t>(e.remaining.count()));
    a.key("renewal_window");
    if (e.renewal_window) {
        out += "{\n        \"start\": ";
        append_time(out, e.renewal_window->start);
        out += ",\n        \"end\": ";
        append_time(out, e.renewal_window->end);
        out += "\n      }";
    } else {
        out += "null";
    }
    a.member("status", to_string(e.status));
    a.member("severity", to_string(e.severity));
    a.key("lifetime_mismatch");
    out += !e.lifetime_mismatch ? "null" : *e.lifetime_mismatch ? "true" : "false";
    out += "\n    }";
}

void append_directory(std::string& out, const NodeDirectory& d) {
    out += "\n    {";
    ObjectAppender a(out);
    a.member("path", d.path);
    a.optional_member("node_id", d.node_id);
    a.optional_member("role", d.role);
    a.optional_member("cluster_id", d.cluster_id);
    a.optional_member("root_file_sha256", d.root_file_sha256);
    a.member("rotation", to_string(d.rotation));
    a.key("files");
    out += '{';
    ObjectAppender files(out, "\n        ");
    files.bool_member(kNodeCertFile, d.node_cert_present);
    files.bool_member(kRootCertFile, d.root_file_present);
    files.bool_member(kNodeKeyFile, d.key_present);
    out += "\n      }\n    }";
}

// Enough for one record, so a chunk is written without reallocating (escapes may exceed it).
std::size_t size_estimate(const CertExpiry& e) {
    return 640 + e.path.size() + e.subject.size() + e.node_id.value_or("").size() +
           e.cluster_id.value_or("").size() + e.serial.size() + e.issuer_cn.size() +
           e.public_key_sha256.size();
}
std::size_t size_estimate(const NodeDirectory& d) {
    return 320 + d.path.size() + d.node_id.value_or("").size() +
           d.cluster_id.value_or("").size() + 64;
}

// Records per chunk: big enough that handing chunks out costs nothing, small enough that the
// chunks in flight (one per worker) are a sliver of the document.
constexpr std::size_t kChunk = 2048;

template <typename T>
std::size_t array_size_estimate(const std::vector<T>& items) {
    std::size_t size = 8;
    for (const T& item : items) size += size_estimate(item);
    return size;
}

// Appends the array "[ ... ]" of `items` to `out` (reserved by the caller), records rendered
// by `append_one`. Chunks
// are rendered on every core and appended in order as they finish, so a fleet's array (about
// 1 KiB a certificate) costs a fraction of its sequential time and the document is built in
// place: no second copy of it exists at any time.
template <typename T, typename AppendOne>
void append_array(std::string& out, const std::vector<T>& items, AppendOne append_one) {
    if (items.empty()) {
        out += "[]";
        return;
    }
    out += '[';
    std::size_t chunks = (items.size() + kChunk - 1) / kChunk;
    std::mutex mutex;
    std::condition_variable turn;
    std::size_t next_to_append = 0;
    parallel_for(chunks, default_thread_count(), [&](std::size_t chunk) {
        std::size_t begin = chunk * kChunk, end = std::min(items.size(), begin + kChunk);
        std::string text;
        std::size_t chunk_estimate = 0;
        for (std::size_t i = begin; i < end; ++i) chunk_estimate += size_estimate(items[i]);
        text.reserve(chunk_estimate);
        for (std::size_t i = begin; i < end; ++i) {
            if (i > 0) text += ',';
            append_one(text, items[i]);
        }
        std::unique_lock lock(mutex);
        turn.wait(lock, [&] { return next_to_append == chunk; });
        out += text;
        ++next_to_append;
        turn.notify_all();
    });
    out += "\n  ]";
}

// --- everything else, through JsonWriter ----------------------------------------------------

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
    // Everything but the two large arrays through JsonWriter, with "[]" in their places; then
    // the document once, into one string, the arrays appended directly in JsonWriter's layout
    // (tests compare it byte for byte): no copy of the large parts, no regrowth.
    JsonWriter w;
    w.begin_object();
    write_header(w, report);
    w.key("certificates");
    std::size_t certificates_at = w.str().size();
    w.raw("[]");
    w.key("directories");
    std::size_t directories_at = w.str().size();
    w.raw("[]");
    w.key("errors").begin_array();
    for (const ScanError& error : report.errors) write_error(w, error);
    w.end_array();
    w.key("summary");
    write_summary(w, report);
    w.end_object();
    const std::string& rest = w.str();

    std::string out;
    out.reserve(rest.size() + array_size_estimate(report.certificates) +
                array_size_estimate(report.directories) + 1);
    out.append(rest, 0, certificates_at);
    append_array(out, report.certificates, append_certificate);
    out.append(rest, certificates_at + 2, directories_at - certificates_at - 2);
    append_array(out, report.directories, append_directory);
    out.append(rest, directories_at + 2);
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
