// One serve scan as every endpoint sees it: each node file read once per scan and the same
// generation behind /metrics, /v1/inspect and /healthz; inspect's verdict per node directory in
// /metrics and swarmpki_status the worst served; trees expanded alike for both documents; a
// failed scan said alike by health, metrics, log and webhook events, and its recovery too.
#include "support.hpp"
#include "swarmpki/ca.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/serve.hpp"
#include "test_serve_support.hpp"
#include "test_webhook_receiver.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <map>

using namespace swarmpki;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using test::LogLines;

Instant captured_at(const std::string& name) {
    return *parse_rfc3339(test::fixture_captured_at(name));
}

// Opens of the files in one directory, counted by name from inotify's IN_OPEN events: what the
// kernel saw, whoever in the process did it.
class OpenCounter {
public:
    explicit OpenCounter(const fs::path& dir) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
        REQUIRE(fd_ >= 0);
        REQUIRE(::inotify_add_watch(fd_, dir.c_str(), IN_OPEN) >= 0);
    }
    ~OpenCounter() { ::close(fd_); }
    OpenCounter(const OpenCounter&) = delete;
    OpenCounter& operator=(const OpenCounter&) = delete;
    // The opens since the last call, by file name (the directory's own opens are left out).
    std::map<std::string, int> take() {
        std::map<std::string, int> opens;
        alignas(inotify_event) char buffer[64 * 1024];
        for (;;) {
            ssize_t n = ::read(fd_, buffer, sizeof buffer);
            if (n <= 0) break;
            for (ssize_t at = 0; at < n;) {
                const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
                if (event->len > 0 && (event->mask & IN_ISDIR) == 0) ++opens[event->name];
                at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            }
        }
        return opens;
    }

private:
    int fd_;
};

std::shared_ptr<const SecretBytes> secret_of(const std::string& text) {
    return std::make_shared<const SecretBytes>(Bytes(text.begin(), text.end()));
}

std::string get(httplib::Client& client, const std::string& path, int status = 200) {
    auto response = client.Get(path);
    REQUIRE(response);
    CHECK(response->status == status);
    return response->body;
}

std::string generation_of(httplib::Client& client, const std::string& path) {
    auto response = client.Get(path);
    REQUIRE(response);
    return response->get_header_value("Swarmpki-Scan-Generation");
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void check_exposition(const std::string& body, const test::TempDir& tmp) {
    CHECK(test::exposition_violation(body).empty());
    INFO(test::exposition_violation(body));
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
        WARN("promtool not installed: skipping `promtool check metrics`");
        return;
    }
    test::write_text(tmp / "scrape.prom", body);
    std::string command = "promtool check metrics < '" + (tmp / "scrape.prom").string() + "'";
    CHECK(std::system(command.c_str()) == 0);
}

std::string node_status_line(const NodeReport& node) {
    return "swarmpki_node_status{dir=\"" + node.dir + "\",node_id=\"" + node.node->id +
           "\",role=\"" + node.node->role.value_or("") + "\",cluster_id=\"" +
           node.node->cluster_id + "\"} " +
           std::to_string(static_cast<int>(exit_code_for(node.severity))) + "\n";
}

}  // namespace

TEST_CASE("One serve scan opens each node file once and every endpoint answers from it",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("rotation-in-progress", "manager1", tmp / "m1");
    Instant now = captured_at("rotation-in-progress");
    LogLines log;
    Server server(test::loopback_serve_options({m1.string()}, now, log));
    OpenCounter opens(m1);
    server.start();
    CHECK(opens.take() == std::map<std::string, int>{{"swarm-node.crt", 1},
                                                     {"swarm-node.key", 1},
                                                     {"swarm-root-ca.crt", 1}});
    server.rescan();
    // Before: the expiry scan and the inspect report each opened the certificates (two each).
    CHECK(opens.take() == std::map<std::string, int>{{"swarm-node.crt", 1},
                                                     {"swarm-node.key", 1},
                                                     {"swarm-root-ca.crt", 1}});

    auto snapshot = server.snapshot();
    CHECK(snapshot->generation == 2);
    REQUIRE(snapshot->expiry);
    REQUIRE(snapshot->inspect);
    CHECK(snapshot->expiry->evaluated_at == now);
    CHECK(snapshot->inspect->evaluated_at == now);
    httplib::Client client("127.0.0.1", server.port());
    CHECK(generation_of(client, "/metrics") == "2");
    CHECK(generation_of(client, "/v1/inspect") == "2");
    CHECK(generation_of(client, "/healthz") == "2");
    std::string metrics = get(client, "/metrics");
    CHECK(test::metric_value(metrics, "swarmpki_scans_total") == 2);
    CHECK(test::metric_value(metrics, "swarmpki_evaluated_at_timestamp_seconds") ==
          static_cast<double>(unix_seconds(now)));
    CHECK(json::parse(get(client, "/v1/inspect"))["evaluated_at"] == format_rfc3339(now));
    server.stop();
}

TEST_CASE("/metrics carries inspect's verdict per node directory; swarmpki_status is the worst",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    Instant now = captured_at("rotation-complete");
    auto ok = test::copy_node_dir("rotation-complete", "manager1", tmp / "ok");
    auto other_key = test::copy_node_dir("rotation-complete", "manager1", tmp / "other-key");
    fs::copy_file(*test::fixtures_dir() / "rotation-complete" / "certificates" / "worker1" /
                      "swarm-node.key",
                  other_key / "swarm-node.key", fs::copy_options::overwrite_existing);
    auto foreign = test::copy_node_dir("rotation-complete", "manager1", tmp / "foreign");
    test::write_text(foreign / "swarm-root-ca.crt",
                     create_root(RootOptions{}, now - 24h).certificate.to_pem());
    auto readable = test::copy_node_dir("rotation-complete", "manager1", tmp / "readable");
    REQUIRE(::chmod((readable / "swarm-node.key").c_str(), 0644) == 0);

    struct Case {
        fs::path dir;
        std::string code, severity;
        int status;
    };
    for (const Case& c : {Case{other_key, "key-mismatch", "critical", 2},
                          Case{foreign, "chain-not-verified", "critical", 2},
                          Case{readable, "key-permissions", "warning", 1}}) {
        INFO(c.dir);
        LogLines log;
        Server server(test::loopback_serve_options({c.dir.string()}, now, log));
        server.start();
        httplib::Client client("127.0.0.1", server.port());
        std::string metrics = get(client, "/metrics");
        // Inspect's own verdict, not one decided again: the library's report of the same files.
        NodeReport inspected = inspect_node(c.dir.string(), {}, now);
        REQUIRE(inspected.node);
        CHECK(static_cast<int>(exit_code_for(inspected.severity)) == c.status);
        CHECK(test::metric_value(metrics, "swarmpki_status") == c.status);
        CHECK(contains(metrics, node_status_line(inspected)));
        CHECK(contains(metrics, "\nswarmpki_node_finding{dir=\"" + c.dir.string() + "\",code=\"" +
                                    c.code + "\",severity=\"" + c.severity + "\"} 1\n"));
        server.stop();
    }

    // All four at once: every verdict, the worst of them as the status, a valid exposition.
    std::vector<std::string> dirs{ok.string(), other_key.string(), foreign.string(),
                                  readable.string()};
    LogLines log;
    Server server(test::loopback_serve_options(dirs, now, log));
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    std::string metrics = get(client, "/metrics");
    CHECK(test::metric_value(metrics, "swarmpki_status") == 2);
    auto doc = json::parse(get(client, "/v1/inspect"));
    CHECK(doc["status"] == "critical");
    // In path order, as the expiry scan expands them.
    std::vector<std::string> served;
    for (const NodeReport& node : server.snapshot()->inspect->nodes) {
        INFO(node.dir);
        served.push_back(node.dir);
        CHECK(contains(metrics, node_status_line(node)));
        if (node.dir == ok.string()) CHECK(node.severity == Severity::ok);
    }
    std::sort(dirs.begin(), dirs.end());
    CHECK(served == dirs);
    CHECK_FALSE(contains(metrics, "swarmpki_node_finding{dir=\"" + ok.string() + "\""));
    check_exposition(metrics, tmp);
    server.stop();
}

TEST_CASE("/v1/inspect expands a tree --dir into the node directories /metrics reports",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto tree = tmp / "collected";
    auto m1 = test::copy_node_dir("rotation-in-progress", "manager1", tree / "site-a");
    auto w1 = test::copy_node_dir("rotation-in-progress", "worker1", tree / "site-b");
    auto missing = tmp / "not-there";
    Instant now = captured_at("rotation-in-progress");
    LogLines log;
    Server server(test::loopback_serve_options({tree.string(), missing.string()}, now, log));
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    auto doc = json::parse(get(client, "/v1/inspect"));
    REQUIRE(doc["nodes"].size() == 3);
    CHECK(doc["nodes"][0]["dir"] == m1.string());
    CHECK(doc["nodes"][0]["error"].is_null());
    CHECK(doc["nodes"][0]["rotation"]["state"] == "in-progress");
    CHECK(doc["nodes"][1]["dir"] == w1.string());
    CHECK(doc["nodes"][1]["error"].is_null());
    CHECK(doc["nodes"][1]["status"] == "ok");
    // A --dir that expands to nothing because it is not there says so, as /metrics does.
    CHECK(doc["nodes"][2]["dir"] == missing.string());
    CHECK(doc["nodes"][2]["status"] == "unknown");
    CHECK(doc["nodes"][2]["error"].get<std::string>().rfind(missing.string() + ": ", 0) == 0);
    CHECK_FALSE(contains(doc.dump(), "swarm-root-ca.crt: no such file"));

    std::string metrics = get(client, "/metrics");
    for (const auto& dir : {m1, w1})
        CHECK(contains(metrics, "swarmpki_expected_file_present{path=\"" + dir.string() +
                                    "\",file=\"swarm-node.crt\"} 1\n"));
    for (const NodeReport& node : server.snapshot()->inspect->nodes)
        if (node.node) CHECK(contains(metrics, node_status_line(node)));
    CHECK(contains(metrics, "swarmpki_node_status{dir=\"" + missing.string() +
                                "\",node_id=\"\",role=\"\",cluster_id=\"\"} 3\n"));
    server.stop();
}

TEST_CASE("After a failed scan health, metrics, log and events agree, and so on recovery",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("init-manager", "manager1", tmp / "m1");
    std::atomic<std::int64_t> now{unix_seconds(captured_at("init-manager"))};
    std::int64_t first_scan = now;
    test::WebhookReceiver receiver;
    LogLines log;
    auto options = test::loopback_serve_options({m1.string()}, {}, log);
    options.clock = [&now] { return from_unix_seconds(now.load()); };
    options.webhooks = DeliveryOptions{};
    options.webhooks->urls = {receiver.url()};
    options.webhook_secret = secret_of("recovery");
    Server server(options);
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    CHECK(get(client, "/healthz") == "ok\n");
    CHECK(test::metric_value(get(client, "/metrics"), "swarmpki_last_scan_success") == 1);

    std::string kept = test::read_text(m1 / "swarm-node.crt");
    fs::remove(m1 / "swarm-node.crt");
    now += 60;
    server.rescan();
    std::string health = get(client, "/healthz", 503);
    CHECK(health.rfind("scan failed: " + (m1 / "swarm-node.crt").string() + ": no such file", 0) ==
          0);
    std::string metrics = get(client, "/metrics");
    CHECK(test::metric_value(metrics, "swarmpki_last_scan_success") == 0);
    CHECK(test::metric_value(metrics, "swarmpki_last_scan_timestamp_seconds") == first_scan);
    CHECK(test::metric_value(metrics, "swarmpki_status") == 3);
    CHECK(log.count_with({"level=error msg=\"scan failed\" generation=2 error=",
                          "swarm-node.crt: no such file"}) == 1);
    REQUIRE(receiver.wait_for(1, 5s));
    CHECK(json::parse(receiver.received()[0].body)["type"] == "io.swarmpki.scan.failed");

    now += 60;
    server.rescan();  // still failing the same way: no second line, no second event
    CHECK(log.count("msg=\"scan failed\"") == 1);

    test::write_text(m1 / "swarm-node.crt", kept);
    now += 60;
    server.rescan();
    CHECK(get(client, "/healthz") == "ok\n");
    metrics = get(client, "/metrics");
    CHECK(test::metric_value(metrics, "swarmpki_last_scan_success") == 1);
    CHECK(test::metric_value(metrics, "swarmpki_last_scan_timestamp_seconds") == now.load());
    CHECK(test::metric_value(metrics, "swarmpki_status") == 0);
    CHECK(log.count_with({"level=info msg=\"scan recovered\" generation=4 error_was=",
                          "swarm-node.crt: no such file"}) == 1);
    REQUIRE(receiver.wait_for(2, 5s));
    auto recovered = json::parse(receiver.received()[1].body);
    CHECK(recovered["type"] == "io.swarmpki.scan.recovered");
    CHECK(recovered["subject"] == m1.string());
    CHECK(recovered["severity"] == "info");
    CHECK(recovered["data"]["error"].is_null());
    CHECK(log.count("msg=event type=io.swarmpki.scan.recovered") == 1);
    server.stop();
    CHECK(receiver.received().size() == 2);
}

TEST_CASE("A wrong unlock key is reported by the first scan: log, metrics and health",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("autolock", "manager1", tmp / "m1");
    LogLines log;
    auto options = test::loopback_serve_options({m1.string()}, captured_at("autolock"), log);
    options.scan.unlock_key = std::make_shared<const SecretBytes>(Bytes(32, 0x5a));
    Server server(options);
    server.start();
    std::string key = (m1 / "swarm-node.key").string();
    CHECK(log.count_with({"level=error msg=\"scan failed\" generation=1 error=", key,
                          "the unlock key does not decrypt this key"}) == 1);
    httplib::Client client("127.0.0.1", server.port());
    std::string metrics = get(client, "/metrics");
    CHECK(test::metric_value(metrics, "swarmpki_last_scan_success") == 0);
    CHECK(test::metric_value(metrics, "swarmpki_status") == 3);
    CHECK(contains(metrics, "swarmpki_node_status{dir=\"" + m1.string() + "\","));
    const NodeReport& node = server.snapshot()->inspect->nodes.at(0);
    CHECK(node.severity == Severity::unknown);
    CHECK(contains(metrics, node_status_line(node)));
    CHECK(get(client, "/healthz", 503).find("the unlock key does not decrypt this key") !=
          std::string::npos);
    server.stop();
}

TEST_CASE("scan.recovered answers each scan.failed subject and resolves it in Alertmanager",
          "[serve]") {
    ScanState broken;
    broken.at = *parse_rfc3339("2026-12-01T00:00:00Z");
    DirectoryState dir;
    dir.dir = "/srv/m1";
    dir.node_id = "n1";
    dir.error = "/srv/m1/swarm-node.crt: no such file";
    broken.directories.push_back(dir);
    ScanState fixed = broken;
    fixed.at += 60s;
    fixed.directories[0].error.reset();
    fixed.directories[0].node_id = "n1";
    fixed.directories[0].rotation_state = "none";

    auto failed = detect_transitions(nullptr, broken, "swarmpki://h/serve");
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].type == EventType::scan_failed);
    auto recovered = detect_transitions(&broken, fixed, "swarmpki://h/serve");
    REQUIRE(recovered.size() == 1);
    CHECK(to_string(recovered[0].type) == "io.swarmpki.scan.recovered");
    CHECK(recovered[0].subject == "/srv/m1");
    CHECK(recovered[0].severity == Severity::info);
    CHECK(recovered[0].summary ==
          "/srv/m1: read and evaluated again (was: /srv/m1/swarm-node.crt: no such file)");
    CHECK(detect_transitions(&fixed, fixed, "swarmpki://h/serve").empty());

    // The same labels as the alert it resolves, with endsAt.
    auto firing = json::parse(render_event_body(failed[0], WebhookFormat::alertmanager))[0];
    auto resolved = json::parse(render_event_body(recovered[0], WebhookFormat::alertmanager))[0];
    CHECK(resolved["labels"] == firing["labels"]);
    CHECK(resolved["labels"]["alertname"] == "SwarmpkiScanFailed");
    CHECK(resolved.contains("endsAt"));
    CHECK_FALSE(firing.contains("endsAt"));

    // The whole scan: failed, then recovered, under the subject "scan".
    ScanState thrown;
    thrown.at = fixed.at + 60s;
    thrown.failure = "out of memory";
    ScanState back = fixed;
    back.at = thrown.at + 60s;
    auto whole = detect_transitions(&thrown, back, "swarmpki://h/serve");
    REQUIRE_FALSE(whole.empty());
    CHECK(whole[0].type == EventType::scan_recovered);
    CHECK(whole[0].subject == "scan");
    CHECK(whole[0].summary == "scan recovered (was: out of memory)");
}

TEST_CASE("The exposition check used on serve's scrapes refuses what Prometheus refuses",
          "[serve]") {
    const std::string family = "# HELP a_b A.\n# TYPE a_b gauge\n";
    CHECK(test::exposition_violation(family + "a_b{x=\"1\",y=\"q\\\"\\n\"} 1.5e-05\n").empty());
    CHECK(test::exposition_violation(family + "a_b 1") == "(no newline at the end)");
    CHECK(test::exposition_violation(family + "a_c 1\n") == "a_c 1");  // not the family's
    CHECK(test::exposition_violation(family + "a_b{x=\"1\"} 1\na_b{x=\"1\"} 2\n") ==
          "a_b{x=\"1\"} 2");  // a series twice
    CHECK(test::exposition_violation(family + "a_b{x=\"\\t\"} 1\n") == "a_b{x=\"\\t\"} 1");
    CHECK(test::exposition_violation(family + "a_b{1x=\"1\"} 1\n") == "a_b{1x=\"1\"} 1");
    CHECK(test::exposition_violation(family + "a_b one\n") == "a_b one");
    CHECK(test::exposition_violation(family + family + "a_b 1\n") == "# HELP a_b A.");
    CHECK(test::exposition_violation("a_b 1\n") == "a_b 1");  // no HELP/TYPE before it
}
