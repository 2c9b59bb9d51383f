// One UTF-8 rule (RFC 3629) behind every escaper: a table of the byte sequences that broke
// parsers, checked against the validator and then through JSON, Prometheus label values,
// logfmt, Nagios and the commands' own documents. nlohmann-json is the independent judge: its
// dump() throws on any string that is not valid UTF-8, and parse() on any document that is not.
#include "support.hpp"
#include "swarmpki/expiry_render.hpp"
#include "swarmpki/json_writer.hpp"
#include "swarmpki/nagios.hpp"
#include "swarmpki/prometheus.hpp"
#include "swarmpki/utf8.hpp"
#include "swarmpki/webhook.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace swarmpki;
using swarmpki::test::run_swarmpki;
namespace fs = std::filesystem;

namespace {

struct Case {
    const char* what;
    std::string bytes;
    bool valid;
};

const std::vector<Case>& cases() {
    static const std::vector<Case> table = {
        {"ascii", "node-1", true},
        {"two-byte e-acute", "\xc3\xa9", true},
        {"three-byte euro", "\xe2\x82\xac", true},
        {"four-byte emoji", "\xf0\x9f\x98\x80", true},
        {"last code point U+10FFFF", "\xf4\x8f\xbf\xbf", true},
        {"last before surrogates U+D7FF", "\xed\x9f\xbf", true},
        {"first after surrogates U+E000", "\xee\x80\x80", true},
        {"lead 0xFF with continuations", "n\xff\x80\x80", false},
        {"lead 0xF5", "\xf5\x80\x80\x80", false},
        {"lead 0xF8 (old five-byte form)", "\xf8\x88\x80\x80\x80", false},
        {"above U+10FFFF", "\xf4\x90\x80\x80", false},
        {"surrogate U+D800", "\xed\xa0\x80", false},
        {"surrogate U+DFFF", "\xed\xbf\xbf", false},
        {"overlong slash C0 AF", "\xc0\xaf", false},
        {"overlong C1 BF", "\xc1\xbf", false},
        {"overlong three-byte", "\xe0\x80\xaf", false},
        {"overlong four-byte", "\xf0\x80\x80\xaf", false},
        {"stray continuation", "\x80", false},
        {"truncated three-byte", "a\xe2\x82", false},
        {"truncated four-byte at end", "\xf0\x9f\x98", false},
        {"lead followed by ascii", "\xc3(", false},
    };
    return table;
}

// Throws (failing the CHECK_NOTHROW) when `text` is not valid UTF-8.
void judge_utf8(const std::string& text) { (void)nlohmann::json(text).dump(); }

}  // namespace

TEST_CASE("utf8_sequence_length accepts RFC 3629 and nothing else", "[utf8]") {
    for (const Case& c : cases()) {
        INFO(c.what);
        CHECK(is_valid_utf8(c.bytes) == c.valid);
        std::string repaired = to_valid_utf8(c.bytes);
        CHECK(is_valid_utf8(repaired));
        CHECK_NOTHROW(judge_utf8(repaired));
        if (c.valid) CHECK(repaired == c.bytes);
        else CHECK(repaired.find(kUtf8Replacement) != std::string::npos);
    }
    CHECK(utf8_sequence_length("\xed\xa0\x80", 0) == 0);
    CHECK(utf8_sequence_length("\xf0\x9f\x98\x80", 0) == 4);
    CHECK(to_valid_utf8("n\xff\x80\x80") == "n\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("every escaper writes valid UTF-8 and keeps valid text", "[utf8]") {
    for (const Case& c : cases()) {
        INFO(c.what);
        std::string json;
        append_json_string(json, c.bytes);
        nlohmann::json parsed;
        REQUIRE_NOTHROW(parsed = nlohmann::json::parse(json));
        CHECK(parsed.get<std::string>() == to_valid_utf8(c.bytes));

        std::string label = escape_label_value(c.bytes);
        CHECK_NOTHROW(judge_utf8(label));
        if (c.valid) CHECK(label == c.bytes);

        std::string logfmt = logfmt_value(c.bytes);
        CHECK_NOTHROW(judge_utf8(logfmt));
        if (c.valid && c.bytes != "node-1") CHECK(logfmt == "\"" + c.bytes + "\"");
    }
}

TEST_CASE("Nagios output stays one valid line whatever a cluster ID holds", "[utf8][nagios]") {
    for (const std::string& hostile : {std::string("c\xff\xfe|x=1\nSWARMPKI OK"),
                                       std::string("\xed\xa0\x80"), std::string("ok\x7f\x01")}) {
        ExpiryReport report;
        report.evaluated_at = *parse_rfc3339("2026-12-01T00:00:00Z");
        report.status = Severity::critical;
        for (ExpiryStatus s : kAllExpiryStatuses) report.summary.by_status[s] = 0;
        CertExpiry e;
        e.path = "/x/swarm-root-ca.crt";
        e.kind = CertKind::root;
        e.not_after = *parse_rfc3339("2027-12-01T00:00:00Z");
        report.certificates.push_back(e);
        ++report.summary.by_status[e.status];
        ClusterSummary cluster;
        cluster.cluster_id = hostile;
        cluster.root_digests = {"a", "b"};
        cluster.severity = Severity::critical;
        report.summary.clusters.push_back(cluster);
        NagiosOutput out = render_nagios(report);
        INFO(out.line);
        CHECK_NOTHROW(judge_utf8(out.line));
        CHECK(out.line.find('\n') == out.line.size() - 1);
        CHECK(std::count(out.line.begin(), out.line.end(), '|') == 1);
        CHECK(out.line.find('\x7f') == std::string::npos);
    }
}

TEST_CASE("commands write valid UTF-8 for a directory named with invalid bytes", "[utf8][cli]") {
    test::TempDir tmp;
    for (const Case& c : cases()) {
        if (c.valid) continue;
        INFO(c.what);
        fs::path dir = tmp / ("n" + c.bytes);
        auto inspect = run_swarmpki({"inspect", "--dir", dir.string(), "--format", "json"});
        CHECK(inspect.exit_code == 3);  // no such directory: still one complete document
        nlohmann::json doc;
        REQUIRE_NOTHROW(doc = nlohmann::json::parse(inspect.out));
        CHECK(doc["nodes"][0]["dir"] == to_valid_utf8(dir.string()));
    }
    if (!test::fixtures_dir()) {
        test::note_fixtures_missing();
        return;
    }
    // A real node directory under a name with every kind of bad byte, through expiry's formats.
    fs::path root = tmp / "tree\xff\xed\xa0\x80\xc0\xaf";
    fs::create_directories(root);
    fs::path node = test::copy_node_dir("rotation-in-progress", "manager1", root / "m\xf5\x80");
    const std::string at = test::fixture_captured_at("rotation-in-progress");
    auto json = run_swarmpki({"expiry", root.string(), "--format", "json", "--at", at});
    nlohmann::json doc;
    REQUIRE_NOTHROW(doc = nlohmann::json::parse(json.out));
    CHECK(doc["certificates"].size() >= 2);
    auto metrics = run_swarmpki({"expiry", root.string(), "--format", "prometheus", "--at", at});
    CHECK(metrics.out.find("swarmpki_cert_not_after_timestamp_seconds") != std::string::npos);
    CHECK_NOTHROW(judge_utf8(metrics.out));
    CHECK(metrics.out.find("\xef\xbf\xbd") != std::string::npos);
    auto nagios = run_swarmpki({"expiry", root.string(), "--format", "nagios", "--at", at});
    CHECK_NOTHROW(judge_utf8(nagios.out));
    auto text = run_swarmpki({"inspect", "--dir", node.string(), "--format", "json", "--at", at});
    REQUIRE_NOTHROW(doc = nlohmann::json::parse(text.out));
}

TEST_CASE("utf8_sequence_length at each length's first and last code point, and mid-text",
          "[utf8]") {
    CHECK(utf8_sequence_length(std::string_view("\0", 1), 0) == 1);  // NUL is a code point
    CHECK(utf8_sequence_length("\x7f", 0) == 1);
    CHECK(utf8_sequence_length("\xc2\x80", 0) == 2);      // U+0080, the first two-byte
    CHECK(utf8_sequence_length("\xdf\xbf", 0) == 2);      // U+07FF
    CHECK(utf8_sequence_length("\xe0\xa0\x80", 0) == 3);  // U+0800, the first three-byte
    CHECK(utf8_sequence_length("\xef\xbf\xbf", 0) == 3);  // U+FFFF (a noncharacter, still valid)
    CHECK(utf8_sequence_length("\xf0\x90\x80\x80", 0) == 4);  // U+10000, the first four-byte
    CHECK(utf8_sequence_length("\xe0\x9f\xbf", 0) == 0);      // U+07FF in three bytes: overlong
    CHECK(utf8_sequence_length("\xf0\x8f\xbf\xbf", 0) == 0);  // U+FFFF in four bytes: overlong
    std::string_view mixed = "a\xc3\xa9\x80z";
    CHECK(utf8_sequence_length(mixed, 1) == 2);
    CHECK(utf8_sequence_length(mixed, 2) == 0);  // inside a sequence is not its start
    CHECK(utf8_sequence_length(mixed, 3) == 0);
    CHECK(utf8_sequence_length(mixed, 4) == 1);
    CHECK(is_valid_utf8(""));
    CHECK(to_valid_utf8("") == "");
}

TEST_CASE("append_utf8_sequence copies a valid sequence or writes one U+FFFD for one byte",
          "[utf8]") {
    std::string out;
    CHECK(append_utf8_sequence(out, "\xf0\x9f\x98\x80!", 0) == 4);
    CHECK(out == "\xf0\x9f\x98\x80");
    out.clear();
    CHECK(append_utf8_sequence(out, "\xe2\x82", 0) == 1);  // truncated: one byte, one mark
    CHECK(out == kUtf8Replacement);
    out.clear();
    CHECK(append_utf8_sequence(out, "x\xff", 1) == 1);
    CHECK(append_utf8_sequence(out, "x\xff", 0) == 1);
    CHECK(out == std::string(kUtf8Replacement) + "x");
}
