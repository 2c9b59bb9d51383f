// JSON and JSON Lines renderings of the expiry report: swarmpki.expiry/v1 (docs/expiry.md).
//
// The certificates and directories arrays of a fleet report are most of the document (about
// 1 KiB per certificate, 100 MB for 100,000 files), so they are appended directly, byte for byte
// what JsonWriter's pretty style writes (tests compare the two), rendered in chunks on every
// core and appended in order into one pre-sized string; the rest of the document goes through
// JsonWriter.
#include "swarmpki/expiry_render.hpp"

#include "cert_expiry_render.hpp"

#include "../swarm/expiry_ordered.hpp"
#include "swarmpki/cert_scan.hpp"
#include "swarmpki/json_writer.hpp"
#include "swarmpki/node_files.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <memory>

namespace swarmpki {

namespace {

constexpr const char* kSchema = "swarmpki.expiry/v1";

// --- the certificates and directories arrays, written directly -------------------------------

// Bytes JSON text cannot hold as they are: controls, '"', '\\', and everything from DEL up (the
// slow path escapes DEL and checks UTF-8).
constexpr std::array<bool, 256> make_needs_escape() {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) table[c] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
    return table;
}
constexpr std::array<bool, 256> kNeedsEscape = make_needs_escape();

bool plain_json(std::string_view text) {
    for (char ch : text)
        if (kNeedsEscape[static_cast<unsigned char>(ch)]) return false;
    return true;
}

// The most a JSON string of `text` can take: append_json_string writes at most six bytes a
// byte (\u00XX), plus the quotes.
std::size_t string_bound(std::string_view text) { return 6 * text.size() + 2; }
std::size_t optional_bound(const std::optional<std::string>& text) {
    return text ? string_bound(*text) : 4;
}

void append_digits(char*& p, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    p += width;
}

// Writes records through a pointer into room reserved for them (record_bound each): literal
// pieces are fixed-size copies the compiler inlines, where one std::string append per piece
// (size check, copy, terminator) cost more than all the rest of the rendering.
class RecordWriter {
public:
    explicit RecordWriter(char* out) : p_(out) {}
    char* end() const { return p_; }

    template <std::size_t N>
    void literal(const char (&text)[N]) {
        std::memcpy(p_, text, N - 1);
        p_ += N - 1;
    }
    void raw(std::string_view text) {
        std::memcpy(p_, text.data(), text.size());
        p_ += text.size();
    }
    // A JSON string: copied between quotes when nothing needs escaping (identifiers, hex,
    // paths), else escaped by append_json_string (U+FFFD for invalid UTF-8), as JsonWriter does.
    void string(std::string_view text) {
        if (plain_json(text)) {
            *p_++ = '"';
            raw(text);
            *p_++ = '"';
            return;
        }
        std::string escaped;
        append_json_string(escaped, text);
        raw(escaped);
    }
    void optional_string(const std::optional<std::string>& text) {
        if (text) string(*text);
        else literal("null");
    }
    void number(std::int64_t value) {
        auto [end, ec] = std::to_chars(p_, p_ + 20, value);
        p_ = end;
    }
    void boolean(bool value) {
        if (value) literal("true");
        else literal("false");
    }
    // "2026-11-28T21:55:00Z", as format_rfc3339 writes it (which handles years past 9999).
    void time(Instant instant) {
        auto days = std::chrono::floor<std::chrono::days>(instant);
        std::chrono::year_month_day ymd{days};
        int year = static_cast<int>(ymd.year());
        if (year < 0 || year > 9999) {
            string(format_rfc3339(instant));
            return;
        }
        auto seconds = static_cast<unsigned>((instant - days).count());
        *p_++ = '"';
        append_digits(p_, static_cast<unsigned>(year), 4);
        *p_++ = '-';
        append_digits(p_, static_cast<unsigned>(ymd.month()), 2);
        *p_++ = '-';
        append_digits(p_, static_cast<unsigned>(ymd.day()), 2);
        *p_++ = 'T';
        append_digits(p_, seconds / 3600, 2);
        *p_++ = ':';
        append_digits(p_, seconds / 60 % 60, 2);
        *p_++ = ':';
        append_digits(p_, seconds % 60, 2);
        *p_++ = 'Z';
        *p_++ = '"';
    }

private:
    char* p_;
};

// Fixed text, numbers and times of a record, with room to spare: 21-byte numbers, times of up
// to 40 bytes (format_rfc3339 past year 9999), the longest enum words.
constexpr std::size_t kCertificateFixed = 1024;
constexpr std::size_t kDirectoryFixed = 512;

std::size_t record_bound(const CertExpiry& e) {
    return kCertificateFixed + string_bound(e.path) + string_bound(e.subject) +
           optional_bound(e.node_id) + optional_bound(e.role) + optional_bound(e.cluster_id) +
           string_bound(e.serial) + string_bound(e.issuer_cn) + string_bound(e.public_key_sha256);
}
std::size_t record_bound(const NodeDirectory& d) {
    return kDirectoryFixed + string_bound(d.path) + optional_bound(d.node_id) +
           optional_bound(d.role) + optional_bound(d.cluster_id) +
           optional_bound(d.root_file_sha256);
}

// One element of the certificates array, in JsonWriter's pretty layout at that depth.
void write_record(RecordWriter& w, const CertExpiry& e) {
    w.literal("\n    {\n      \"path\": ");
    w.string(e.path);
    w.literal(",\n      \"index\": ");
    w.number(static_cast<std::int64_t>(e.index));
    w.literal(",\n      \"kind\": ");
    w.string(to_string(e.kind));
    w.literal(",\n      \"subject\": ");
    w.string(e.subject);
    w.literal(",\n      \"node_id\": ");
    w.optional_string(e.node_id);
    w.literal(",\n      \"role\": ");
    w.optional_string(e.role);
    w.literal(",\n      \"cluster_id\": ");
    w.optional_string(e.cluster_id);
    w.literal(",\n      \"fips\": ");
    if (e.fips) w.boolean(*e.fips);
    else w.literal("null");
    w.literal(",\n      \"serial\": ");
    w.string(e.serial);
    w.literal(",\n      \"issuer_cn\": ");
    w.string(e.issuer_cn);
    w.literal(",\n      \"public_key_sha256\": ");
    w.string(e.public_key_sha256);
    w.literal(",\n      \"not_before\": ");
    w.time(e.not_before);
    w.literal(",\n      \"not_after\": ");
    w.time(e.not_after);
    w.literal(",\n      \"lifetime_seconds\": ");
    w.number(static_cast<std::int64_t>(e.lifetime.count()));
    w.literal(",\n      \"remaining_seconds\": ");
    w.number(static_cast<std::int64_t>(e.remaining.count()));
    w.literal(",\n      \"renewal_window\": ");
    if (e.renewal_window) {
        w.literal("{\n        \"start\": ");
        w.time(e.renewal_window->start);
        w.literal(",\n        \"end\": ");
        w.time(e.renewal_window->end);
        w.literal("\n      }");
    } else {
        w.literal("null");
    }
    w.literal(",\n      \"status\": ");
    w.string(to_string(e.status));
    w.literal(",\n      \"severity\": ");
    w.string(to_string(e.severity));
    w.literal(",\n      \"lifetime_mismatch\": ");
    if (e.lifetime_mismatch) w.boolean(*e.lifetime_mismatch);
    else w.literal("null");
    w.literal("\n    }");
}

// One element of the directories array, likewise.
void write_record(RecordWriter& w, const NodeDirectory& d) {
    w.literal("\n    {\n      \"path\": ");
    w.string(d.path);
    w.literal(",\n      \"kind\": ");
    w.string(to_string(d.kind));
    w.literal(",\n      \"node_id\": ");
    w.optional_string(d.node_id);
    w.literal(",\n      \"role\": ");
    w.optional_string(d.role);
    w.literal(",\n      \"cluster_id\": ");
    w.optional_string(d.cluster_id);
    w.literal(",\n      \"fips\": ");
    if (d.fips) w.boolean(*d.fips);
    else w.literal("null");
    w.literal(",\n      \"root_file_sha256\": ");
    w.optional_string(d.root_file_sha256);
    w.literal(",\n      \"rotation\": ");
    w.string(to_string(d.rotation));
    w.literal(",\n      \"renewal\": ");
    w.string(to_string(d.renewal));
    w.literal(",\n      \"files\": {\n        ");
    w.string(kNodeCertFile);
    w.literal(": ");
    w.boolean(d.node_cert_present);
    w.literal(",\n        ");
    w.string(kRootCertFile);
    w.literal(": ");
    w.boolean(d.root_file_present);
    w.literal(",\n        ");
    w.string(kNodeKeyFile);
    w.literal(": ");
    w.boolean(d.key_present);
    w.literal("\n      }\n    }");
}

// What a record usually takes (escapes aside), for reserving the document; record_bound is the
// most it can take.
std::size_t size_estimate(const CertExpiry& e) {
    return 640 + e.path.size() + e.subject.size() + e.node_id.value_or("").size() +
           e.cluster_id.value_or("").size() + e.serial.size() + e.issuer_cn.size() +
           e.public_key_sha256.size();
}
std::size_t size_estimate(const NodeDirectory& d) {
    return 320 + d.path.size() + d.node_id.value_or("").size() + d.cluster_id.value_or("").size() +
           64;
}

// Records per chunk: big enough that handing chunks out costs nothing, small enough that the
// chunks in flight are a sliver of the document.
constexpr std::size_t kChunk = 2048;

template <typename T>
std::size_t array_size_estimate(const std::vector<T>& items) {
    std::size_t size = 8;
    for (const T& item : items) size += size_estimate(item);
    return size;
}

// One chunk of an array's text, written into a buffer sized by record_bound and left
// uninitialised (zero-filling the bound would cost as much as writing the text).
struct ChunkText {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
};

// Appends the array "[ ... ]" of `items` to `out` (reserved by the caller). Chunks are rendered
// on `threads` workers and appended in order as they finish, so a fleet's array (about 1 KiB a
// certificate) costs a fraction of its sequential time and the document is built in place: no
// second copy of it exists at any time.
template <typename T>
void append_array(std::string& out, const std::vector<T>& items, unsigned threads) {
    if (items.empty()) {
        out += "[]";
        return;
    }
    out += '[';
    std::size_t chunks = (items.size() + kChunk - 1) / kChunk;
    expiry_detail::for_each_chunk_in_order<ChunkText>(
        chunks, threads,
        [&](std::size_t chunk, unsigned) {
            std::size_t begin = chunk * kChunk, end = std::min(items.size(), begin + kChunk);
            std::size_t bound = 0;
            for (std::size_t i = begin; i < end; ++i) bound += 1 + record_bound(items[i]);
            ChunkText text{std::make_unique_for_overwrite<char[]>(bound)};
            RecordWriter w(text.data.get());
            for (std::size_t i = begin; i < end; ++i) {
                if (i > 0) w.literal(",");
                write_record(w, items[i]);
            }
            text.size = static_cast<std::size_t>(w.end() - text.data.get());
            return text;
        },
        [&](ChunkText&& text) { out.append(text.data.get(), text.size); });
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
    w.member("fips", e.fips);
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
        w.member("fips", c.fips);
        w.member("root_digests", c.root_digests);
        w.member("directories", c.directories);
        w.member("rotation_in_progress", c.rotation_in_progress);
        w.member("status", status_word(c.severity));
        if (c.finding.empty()) w.null_member("finding");
        else w.member("finding", c.finding);
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
    else w.null_member("cert_expiry_seconds");
    render_detail::write_cert_expiry_member(w, report.cert_expiry_setting);
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
    append_array(out, report.certificates, report.threads);
    out.append(rest, certificates_at + 2, directories_at - certificates_at - 2);
    append_array(out, report.directories, report.threads);
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
