// swarmpki expiry end to end: statuses and exit codes at chosen instants on the engine's own
// certificates, the JSON contract, --cert-expiry, Prometheus (checked by promtool when present),
// Nagios, and hostile inputs.
#include "support.hpp"
#include "swarmpki/time.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;
using swarmpki::test::run_swarmpki;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& scenario, const std::string& node,
                    const std::string& file = {}) {
    fs::path p = *fixtures_dir() / scenario / "certificates" / node;
    if (!file.empty()) p /= file;
    return p.string();
}

// worker/worker1's leaf: NotBefore 2026-11-28T21:54:00Z, lifetime 2161h.
std::string leaf_instant(double fraction) {
    Instant nb = *parse_rfc3339("2026-11-28T21:54:00Z");
    return format_rfc3339(nb + Seconds(static_cast<std::int64_t>(7779600 * fraction)));
}

bool on_path(const std::string& tool) {
    return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

TEST_CASE("expiry: status and exit code at chosen instants", "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::string leaf = fixture("worker", "worker1", "swarm-node.crt");
    struct Case {
        std::string at;
        const char* status;
        const char* report_status;
        int exit_code;
    };
    const Case cases[] = {
        {"2026-11-28T21:53:00Z", "not-yet-valid", "critical", 2},
        {leaf_instant(0.30), "ok", "ok", 0},
        {leaf_instant(0.60), "renewal-window", "ok", 0},
        {leaf_instant(0.85), "renewal-overdue", "warning", 1},
        {leaf_instant(0.95), "expiring", "critical", 2},
        {"2027-02-26T22:54:01Z", "expired", "critical", 2},
    };
    for (const Case& c : cases) {
        auto r = run_swarmpki({"expiry", leaf, "--at", c.at, "--format", "json"});
        INFO(c.at << "\n" << r.err);
        CHECK(r.exit_code == c.exit_code);
        auto doc = r.json();
        CHECK(doc["status"] == c.report_status);
        REQUIRE(doc["certificates"].size() == 1);
        CHECK(doc["certificates"][0]["status"] == c.status);
        auto nagios = run_swarmpki({"expiry", leaf, "--at", c.at, "--format", "nagios"});
        CHECK(nagios.exit_code == c.exit_code);
        const char* words[] = {"SWARMPKI OK - ", "SWARMPKI WARNING - ", "SWARMPKI CRITICAL - "};
        CHECK(nagios.out.rfind(words[c.exit_code], 0) == 0);
    }
}

TEST_CASE("expiry --format json follows swarmpki.expiry/v1", "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto r = run_swarmpki({"expiry", fixture("rotation-in-progress", "manager1"), "--at",
                           "2026-11-28T22:54:50Z", "--format", "json"});
    REQUIRE(r.exit_code == 0);
    auto doc = r.json();
    CHECK(r.out.rfind("{\n  \"schema\": ", 0) == 0);  // the schema member first
    CHECK(doc["schema"] == "swarmpki.expiry/v1");
    CHECK(doc["evaluated_at"] == "2026-11-28T22:54:50Z");
    REQUIRE(doc["certificates"].size() == 3);
    auto leaf = doc["certificates"][0];
    for (const char* member : {"path", "kind", "node_id", "role", "cluster_id", "not_before",
                               "not_after", "lifetime_seconds", "remaining_seconds",
                               "renewal_window", "status", "severity", "lifetime_mismatch"})
        CHECK(leaf.contains(member));
    CHECK(leaf["kind"] == "node");
    CHECK(leaf["node_id"] == "2i2jiz7b6wivuwtazt3d7zta8");
    CHECK(leaf["role"] == "manager");
    CHECK(leaf["not_before"] == "2026-11-28T21:55:00Z");
    CHECK(leaf["lifetime_seconds"] == 7779600);
    CHECK(leaf["remaining_seconds"] == 7779600 - 3600 + 10);
    CHECK(leaf["renewal_window"]["start"] == "2027-01-12T22:25:00Z");
    CHECK(leaf["lifetime_mismatch"].is_null());
    CHECK(doc["certificates"][1]["kind"] == "intermediate");
    CHECK(doc["certificates"][2]["kind"] == "root");
    CHECK(doc["certificates"][2]["renewal_window"].is_null());
    auto summary = doc["summary"];
    CHECK(summary["by_status"]["ok"] == 3);
    CHECK(summary["by_status"]["expired"] == 0);
    CHECK(summary["earliest_not_after"] == "2027-02-26T22:55:00Z");
    REQUIRE(summary["clusters"].size() == 1);
    CHECK(summary["clusters"][0]["cluster_id"] == "45dwjg326020dkgqtum4kdw4o");
    CHECK(summary["clusters"][0]["root_digests"] ==
          nlohmann::json::array(
              {"f8425b7b5df6df6e3d15d12bea219238c4f7dc9267ea074bcffa534da0b19726"}));
    CHECK(summary["clusters"][0]["rotation_in_progress"] == true);
    CHECK(doc["errors"].empty());
}

TEST_CASE("expiry --cert-expiry flags certificates issued with another lifetime",
          "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::string dir = (*fixtures_dir() / "cert-expiry-1h").string();
    auto check = [&](const char* setting, bool expected) {
        auto r = run_swarmpki({"expiry", dir, "--at", "2026-11-28T23:00:00Z", "--cert-expiry",
                               setting, "--format", "json"});
        INFO(setting << " " << r.err);
        CHECK(r.exit_code == 0);  // a mismatch is a notice
        auto doc = r.json();
        int nodes = 0;
        for (auto& c : doc["certificates"]) {
            if (c["kind"] == "node") {
                ++nodes;
                CHECK(c["lifetime_mismatch"] == expected);
            } else {
                CHECK(c["lifetime_mismatch"].is_null());
            }
        }
        CHECK(nodes == 3);
        CHECK(doc["summary"]["lifetime_mismatches"] == (expected ? 3 : 0));
    };
    check("2160h", true);
    check("2160h0m0s", true);
    check("1h", false);
    check("3600s", false);
    auto bad = run_swarmpki({"expiry", dir, "--cert-expiry", "soon"});
    CHECK(bad.exit_code == 64);
    CHECK(bad.err.find("--cert-expiry 'soon'") != std::string::npos);
}

TEST_CASE("expiry Prometheus output and --metrics-file pass promtool", "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    swarmpki::test::TempDir tmp;
    std::string metrics = (tmp / "swarmpki.prom").string();
    swarmpki::test::write_text(tmp / "swarmpki.prom", "stale");  // replaced atomically
    auto r = run_swarmpki({"expiry", fixtures_dir()->string(), "--at", "2026-11-28T22:57:06Z",
                           "--cert-expiry", "2160h", "--format", "prometheus", "--metrics-file",
                           metrics});
    INFO(r.err);
    CHECK(r.exit_code == 1);  // four roots in one cluster, linked by rotations: a warning
    CHECK(swarmpki::test::read_text(metrics) == r.out);
    CHECK(r.out.find("swarmpki_cert_lifetime_mismatch{") != std::string::npos);
    CHECK(r.out.find("swarmpki_rotation_in_progress{cluster_id=\"45dwjg326020dkgqtum4kdw4o\"} 1") !=
          std::string::npos);
    for (const auto& entry : fs::directory_iterator(tmp.path()))
        CHECK(entry.path().filename() == "swarmpki.prom");  // no temporary left behind
    if (!on_path("promtool")) {
        WARN("promtool not on PATH (Debian package prometheus): skipping promtool check metrics");
        return;
    }
    std::string report = (tmp / "promtool.out").string();
    int status = std::system(
        ("promtool check metrics < '" + metrics + "' > '" + report + "' 2>&1").c_str());
    INFO(swarmpki::test::read_text(report));
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("expiry survives a hostile tree and says what it skipped", "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    swarmpki::test::TempDir tmp;
    swarmpki::test::copy_node_dir("worker", "manager1", tmp.path());
    fs::create_symlink(tmp / "missing.crt", tmp / "dangling.crt");
    swarmpki::test::write_text(tmp / "huge.pem", std::string(2 * 1024 * 1024, '-'));
    swarmpki::test::write_text(tmp / "junk.crt", "not a certificate\n");
    auto r = run_swarmpki(
        {"expiry", tmp.str(), "--at", "2026-12-01T00:00:00Z", "--format", "json"});
    // What was read is ok; what was not makes the run unknown (run_verdict, as in inspect).
    CHECK(r.exit_code == 3);
    auto doc = r.json();
    CHECK(doc["status"] == "unknown");
    CHECK(doc["certificates"].size() == 2);
    CHECK(doc["errors"].size() == 3);
    CHECK(doc["summary"]["scan_errors"]["broken_symlink"] == 1);
    CHECK(doc["summary"]["scan_errors"]["too_large"] == 1);
    CHECK(doc["summary"]["scan_errors"]["bad_pem"] == 1);
    for (auto& e : doc["errors"]) {
        CHECK(e.contains("path"));
        CHECK(e.contains("reason"));
    }
    auto nagios = run_swarmpki(
        {"expiry", tmp.str(), "--at", "2026-12-01T00:00:00Z", "--format", "nagios"});
    CHECK(nagios.exit_code == 3);
    CHECK(nagios.out.rfind("SWARMPKI UNKNOWN - 2 certificates: 3 scan errors", 0) == 0);
    auto text = run_swarmpki({"expiry", tmp.str(), "--at", "2026-12-01T00:00:00Z"});
    CHECK(text.out.find("broken_symlink") != std::string::npos);
    CHECK(text.out.find("\033[") == std::string::npos);  // not a terminal: no colour
}

TEST_CASE("expiry exits 3 when something could not be evaluated and nothing worse was found",
          "[cli]") {
    swarmpki::test::TempDir tmp;
    swarmpki::test::write_text(tmp / "junk.crt", "nothing here\n");
    auto r = run_swarmpki({"expiry", tmp.str(), (tmp / "absent").string(), "--format", "json"});
    CHECK(r.exit_code == 3);
    auto doc = r.json();
    CHECK(doc["status"] == "unknown");
    CHECK(doc["errors"].size() == 2);
    auto nagios = run_swarmpki({"expiry", (tmp / "absent").string(), "--format", "nagios"});
    CHECK(nagios.exit_code == 3);
    CHECK(nagios.out.rfind("SWARMPKI UNKNOWN - ", 0) == 0);
    CHECK(run_swarmpki({"expiry", tmp.str(), "--warn", "lots"}).exit_code == 64);
    CHECK(run_swarmpki({"expiry", tmp.str(), "--format", "xml"}).exit_code == 64);
}

TEST_CASE("expiry --format jsonl writes one record a line", "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto r = run_swarmpki({"expiry", fixture("worker", "worker1"), "--at", "2026-12-01T00:00:00Z",
                           "--format", "jsonl"});
    CHECK(r.exit_code == 0);
    std::vector<nlohmann::json> lines;
    std::size_t start = 0;
    while (start < r.out.size()) {
        std::size_t end = r.out.find('\n', start);
        REQUIRE(end != std::string::npos);
        lines.push_back(nlohmann::json::parse(r.out.substr(start, end - start)));
        start = end + 1;
    }
    REQUIRE(lines.size() == 3);
    CHECK(lines[0]["schema"] == "swarmpki.expiry/v1");
    CHECK(lines[0]["record"] == "certificate");
    CHECK(lines[0]["kind"] == "node");
    CHECK(lines[2]["record"] == "summary");
    CHECK(lines[2]["status"] == "ok");
}

TEST_CASE("expiry reports both of a node directory's unreadable files, in every format",
          "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    swarmpki::test::TempDir tmp;
    fs::path dir = swarmpki::test::copy_node_dir("worker", "worker1", tmp.path());
    swarmpki::test::write_text(dir / "swarm-node.crt", "not a certificate\n");
    swarmpki::test::write_text(dir / "swarm-root-ca.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n");
    std::string node = (dir / "swarm-node.crt").string();
    std::string root = (dir / "swarm-root-ca.crt").string();
    std::vector<std::string> base{"expiry", "--dir", dir.string(), "--at", "2026-12-01T00:00:00Z"};
    auto run = [&](const std::string& format) {
        std::vector<std::string> args = base;
        args.insert(args.end(), {"--format", format});
        return run_swarmpki(args);
    };

    auto json = run("json");
    CHECK(json.exit_code == 3);
    auto doc = json.json();
    REQUIRE(doc["errors"].size() == 2);
    CHECK(doc["errors"][0]["path"] == node);
    CHECK(doc["errors"][0]["reason"] == "bad_pem");
    CHECK(doc["errors"][1]["path"] == root);
    CHECK(doc["errors"][1]["reason"] == "bad_pem");
    CHECK(doc["summary"]["scan_errors"]["bad_pem"] == 2);

    auto text = run("text");
    CHECK(text.out.find("2 file(s) could not be evaluated:\n  bad_pem            " + node) !=
          std::string::npos);
    CHECK(text.out.find("\n  bad_pem            " + root) != std::string::npos);
    auto jsonl = run("jsonl");
    std::vector<std::string> error_paths;
    for (std::size_t start = 0, end; (end = jsonl.out.find('\n', start)) != std::string::npos;
         start = end + 1) {
        auto record = nlohmann::json::parse(jsonl.out.substr(start, end - start));
        if (record["record"] == "error") error_paths.push_back(record["path"]);
    }
    CHECK(error_paths == std::vector<std::string>{node, root});
    auto prometheus = run("prometheus");
    CHECK(prometheus.out.find("swarmpki_scan_errors{reason=\"bad_pem\"} 2\n") != std::string::npos);
    auto nagios = run("nagios");
    CHECK(nagios.exit_code == 3);
    CHECK(nagios.out.rfind("SWARMPKI UNKNOWN - ", 0) == 0);
    CHECK(nagios.out.find("'scan_errors'=2;") != std::string::npos);
}
