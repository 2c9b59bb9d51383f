// Fuzzes every renderer with hostile text in every string a file or directory name can feed it
// (paths, subjects, identities, messages), and checks what consumers rely on: each JSON document
// parses (nlohmann-json rejects invalid UTF-8), each Prometheus exposition passes a strict line
// grammar with valid UTF-8 label values, and the Nagios line stays one line with one '|'.
#include "swarmpki/expiry_render.hpp"
#include "swarmpki/inspect_render.hpp"
#include "swarmpki/nagios.hpp"
#include "swarmpki/prometheus.hpp"
#include "swarmpki/utf8.hpp"
#include "swarmpki/webhook.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace swarmpki;

// Splits the input at NUL bytes into up to `count` fields (missing ones are empty).
std::vector<std::string> fields(std::string_view data, std::size_t count) {
    std::vector<std::string> out;
    while (out.size() + 1 < count) {
        std::size_t nul = data.find('\0');
        if (nul == std::string_view::npos) break;
        out.emplace_back(data.substr(0, nul));
        data.remove_prefix(nul + 1);
    }
    out.emplace_back(data);
    out.resize(count);
    return out;
}

void require_json(const std::string& document) {
    if (!nlohmann::json::accept(document)) std::abort();
}

bool name_char(char c, bool first) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    return alpha || (!first && c >= '0' && c <= '9');
}

// Consumes a metric or label name at `p`; false when there is none.
bool take_name(std::string_view line, std::size_t& p, bool label) {
    std::size_t start = p;
    while (p < line.size() && name_char(line[p], p == start) && !(label && line[p] == ':')) ++p;
    return p > start;
}

// `name{label="value",...} number [timestamp]`, escapes only \\ \" \n inside values.
bool sample_line(std::string_view line) {
    std::size_t p = 0;
    if (!take_name(line, p, false)) return false;
    if (p < line.size() && line[p] == '{') {
        ++p;
        while (p < line.size() && line[p] != '}') {
            if (!take_name(line, p, true) || line.substr(p, 2) != "=\"") return false;
            for (p += 2; p < line.size() && line[p] != '"'; ++p)
                if (line[p] == '\\' &&
                    (++p >= line.size() ||
                     std::string_view("\\\"n").find(line[p]) == std::string_view::npos))
                    return false;
            if (p++ >= line.size()) return false;
            if (p < line.size() && line[p] == ',') ++p;
        }
        if (p++ >= line.size()) return false;
    }
    if (p >= line.size() || line[p++] != ' ') return false;
    std::string rest(line.substr(p));
    std::size_t space = rest.find(' ');
    std::string value = rest.substr(0, space);
    char* end = nullptr;
    if (value != "+Inf" && value != "-Inf" && value != "NaN") {
        std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0') return false;
    }
    if (space == std::string::npos) return true;
    std::string stamp = rest.substr(space + 1);
    std::strtoll(stamp.c_str(), &end, 10);
    return !stamp.empty() && *end == '\0';
}

// The exposition format, strictly: `# HELP`/`# TYPE` comments and sample lines, all valid UTF-8.
void require_exposition(const std::string& text) {
    if (!is_valid_utf8(text)) std::abort();
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) std::abort();  // every line ends with a newline
        std::string_view line(text.data() + start, end - start);
        bool ok = line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0
                      ? true
                      : sample_line(line);
        if (!ok) std::abort();
        start = end + 1;
    }
}

ExpiryReport expiry_report(const std::vector<std::string>& f) {
    ExpiryReport r;
    r.evaluated_at = *parse_rfc3339("2026-12-01T00:00:00Z");
    r.status = Severity::warning;
    r.threads = 1;  // the renderers' parallel path is the same code; threads only slow the run
    for (ExpiryStatus s : kAllExpiryStatuses) r.summary.by_status[s] = 0;
    CertExpiry e;
    e.path = f[0];
    e.subject = f[1];
    e.issuer_cn = f[2];
    e.node_id = f[3];
    e.role = f[4];
    e.cluster_id = f[5];
    e.serial = f[6];
    e.not_after = *parse_rfc3339("2027-01-01T00:00:00Z");
    r.certificates.push_back(e);
    ++r.summary.by_status[e.status];
    r.summary.earliest_not_after = e.not_after;
    NodeDirectory d;
    d.path = f[0];
    d.node_id = f[3];
    d.cluster_id = f[5];
    r.directories.push_back(d);
    r.errors.push_back(ScanError{f[7], ScanReason{}, f[7] + ": unreadable"});
    ClusterSummary c;
    c.cluster_id = f[5];
    c.root_digests = {f[6], "b"};
    c.severity = Severity::critical;
    c.finding = f[1];
    r.summary.clusters.push_back(c);
    return r;
}

InspectReport inspect_report(const std::vector<std::string>& f) {
    InspectReport r;
    r.evaluated_at = *parse_rfc3339("2026-12-01T00:00:00Z");
    NodeReport n;
    n.dir = f[0];
    n.error = f[7];
    LeafIdentity leaf;
    leaf.id = f[3];
    leaf.role = f[4];
    leaf.organizational_unit = f[4];
    leaf.cluster_id = f[5];
    leaf.sans = {f[1], f[2]};
    leaf.serial = f[6];
    leaf.issuer = f[2];
    n.node = leaf;
    n.chain_failure = f[1];
    n.findings.push_back(Finding{Severity::warning, f[2], f[1], f[7]});
    r.nodes.push_back(n);
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 4096) return 0;
    std::vector<std::string> f = fields({reinterpret_cast<const char*>(data), size}, 8);
    ExpiryReport expiry = expiry_report(f);
    require_json(render_expiry_json(expiry));
    for (const std::string& line : [&] {
             std::vector<std::string> lines;
             std::string jsonl = render_expiry_jsonl(expiry);
             for (std::size_t s = 0, e; s < jsonl.size(); s = e + 1) {
                 e = jsonl.find('\n', s);
                 if (e == std::string::npos) e = jsonl.size();
                 lines.push_back(jsonl.substr(s, e - s));
             }
             return lines;
         }())
        if (!line.empty()) require_json(line);
    require_exposition(render_prometheus(expiry));
    NagiosOutput nagios = render_nagios(expiry);
    if (!is_valid_utf8(nagios.line) || nagios.line.find('\n') != nagios.line.size() - 1 ||
        std::count(nagios.line.begin(), nagios.line.end(), '|') != 1)
        std::abort();
    require_json(render_inspect_json(inspect_report(f)));
    for (const std::string& value : f)
        if (!is_valid_utf8(logfmt_value(value))) std::abort();
    return 0;
}
