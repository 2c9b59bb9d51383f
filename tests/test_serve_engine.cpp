// `serve --engine` in process (swarmpki::Server with ServeOptions::engine) against the fake
// engine serving the real captures of fixtures/engine-api: the cluster families beside the file
// metrics (promtool-clean), /v1/cluster, an engine that stops answering (swarmpki_engine_up 0,
// one log line, 503, no crash) and comes back, and the rotation events delivered signed, once.
// The live counterpart is tests/integration/test_serve_engine.sh.
#include "fake_engine.hpp"
#include "support.hpp"
#include "swarmpki/serve.hpp"
#include "test_engine_fixtures.hpp"
#include "test_serve_support.hpp"
#include "test_webhook_receiver.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <map>

using namespace swarmpki;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";

fs::path copy_certificates(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const char* name : {"swarm-root-ca.crt", "swarm-node.crt", "swarm-node.key"}) {
        fs::copy_file(from / name, to / name, fs::copy_options::overwrite_existing);
        ::chmod((to / name).c_str(), std::string(name) == "swarm-node.key" ? 0600 : 0644);
    }
    return to;
}

// promtool's verdict on `text`: empty when clean (or promtool absent: warned), else its words.
std::string promtool_problems(const std::string& text) {
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
        WARN("promtool not installed: skipping `promtool check metrics`");
        return "";
    }
    test::TempDir tmp;
    test::write_text(tmp / "scrape.prom", text);
    std::string report = (tmp / "promtool.out").string();
    int status = std::system(("promtool check metrics < '" + (tmp / "scrape.prom").string() +
                              "' > '" + report + "' 2>&1")
                                 .c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    std::string said = test::read_text(report);
    return said.empty() ? "promtool failed" : said;
}

bool has(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

ServeOptions engine_options(const fs::path& certs, const std::string& engine_url,
                            test::LogLines& log) {
    ServeOptions options = test::loopback_serve_options({certs.string()},
                                                        *parse_rfc3339("2026-12-01T20:00:00Z"),
                                                        log);
    options.engine = ServeEngineSettings{};
    options.engine->endpoint = resolve_engine_endpoint(engine_url, {});
    options.engine->limits.total_timeout = 2s;
    options.engine->leaf_dir = certs.string();
    return options;
}

}  // namespace

TEST_CASE("serve --engine: /metrics has the cluster families beside the file metrics, "
          "promtool-clean, and /v1/cluster the cluster document",
          "[serve][cluster]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    test::TempDir tmp;
    test::FakeEngine engine;
    engine.load_capture(*dir / "rotation-blocked/manager1");
    auto certs = copy_certificates(*dir / "rotation-blocked/certificates/manager1", tmp / "m1");
    test::LogLines log;
    Server server(engine_options(certs, engine.url(), log));
    server.start();
    httplib::Client client("127.0.0.1", server.port());

    auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    const std::string& body = metrics->body;
    CHECK(has(body, "\nswarmpki_engine_up 1\n"));
    CHECK(has(body, "\nswarmpki_engine_last_success_timestamp_seconds " +
                        std::to_string(unix_seconds(*parse_rfc3339("2026-12-01T20:00:00Z"))) +
                        "\n"));
    CHECK(has(body, "# TYPE swarmpki_engine_read_duration_seconds gauge\n"));
    CHECK(has(body, "swarmpki_cluster_rotation_blocking_nodes{cluster_id="));
    CHECK(has(body, "swarmpki_cluster_node_blocking_rotation{cluster_id=\""));
    CHECK(has(body, "node_id=\"" + std::string(kWorker2) + "\"} 1\n"));
    CHECK(has(body, "# TYPE swarmpki_cert_not_after_timestamp_seconds gauge"));  // the files'
    CHECK(promtool_problems(body).empty());
    CHECK(log.count("msg=\"engine read\"") == 1);

    auto cluster = client.Get("/v1/cluster");
    REQUIRE(cluster);
    CHECK(cluster->status == 200);
    CHECK(cluster->get_header_value("Content-Type") == "application/json");
    auto doc = json::parse(cluster->body);
    CHECK(doc["schema"] == "swarmpki.cluster/v1");
    CHECK(doc["cluster"]["rotation"]["blocked_by"] == json::array({kWorker2}));
    CHECK(doc["cluster"]["cert_expiry_applied"]["applied"] == true);

    // A scan costs the engine three GETs (/info, /swarm, /nodes): the version is kept.
    std::size_t before = engine.requests().size();
    server.rescan();
    auto seen = engine.requests();
    REQUIRE(seen.size() == before + 3);
    for (std::size_t i = before; i < seen.size(); ++i) {
        CHECK(seen[i].method == "GET");
        CHECK(seen[i].path.find("/_ping") == std::string::npos);
    }
    server.stop();
}

TEST_CASE("serve --engine: an engine that stops answering is swarmpki_engine_up 0, one log line "
          "and a 503, and it recovers",
          "[serve][cluster]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    test::TempDir tmp;
    test::FakeEngine engine;
    engine.load_capture(*dir / "healthy/manager1");
    auto certs = copy_certificates(*dir / "healthy/certificates/manager1", tmp / "m1");
    test::LogLines log;
    Server server(engine_options(certs, engine.url(), log));
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    REQUIRE(client.Get("/v1/cluster")->status == 200);

    engine.set("/info", test::FakeReply{"", "", test::FakeFault::garbage});
    server.rescan();
    server.rescan();
    auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    CHECK(has(metrics->body, "\nswarmpki_engine_up 0\n"));
    // No stale cluster series (the files' own swarmpki_cluster_fips and _roots stay).
    CHECK_FALSE(has(metrics->body, "# TYPE swarmpki_cluster_status "));
    CHECK(has(metrics->body, "\nswarmpki_last_scan_success 1\n"));  // the files still serve
    CHECK(promtool_problems(metrics->body).empty());
    CHECK(log.count("msg=\"engine read failed\"") == 1);  // per transition, not per scan
    auto down = client.Get("/v1/cluster");
    REQUIRE(down);
    CHECK(down->status == 503);
    auto error = json::parse(down->body);
    CHECK(error["engine_up"] == false);
    CHECK(error["error"] == "the engine does not answer");
    CHECK(error["last_success_at"] == "2026-12-01T20:00:00Z");
    CHECK(client.Get("/healthz")->status == 200);  // the exporter itself is healthy

    engine.load_capture(*dir / "healthy/manager1");
    server.rescan();
    CHECK(has(client.Get("/metrics")->body, "\nswarmpki_engine_up 1\n"));
    CHECK(client.Get("/v1/cluster")->status == 200);
    CHECK(log.count("msg=\"engine answers again\"") == 1);
    server.stop();
}

TEST_CASE("serve --engine: an engine that never answered is a 503 and no crash",
          "[serve][cluster]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    test::TempDir tmp;
    auto certs = copy_certificates(*dir / "healthy/certificates/manager1", tmp / "m1");
    test::LogLines log;
    Server server(engine_options(certs, "unix://" + (tmp / "no.sock").string(), log));
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(has(metrics->body, "\nswarmpki_engine_up 0\n"));
    CHECK(has(metrics->body, "\nswarmpki_engine_last_success_timestamp_seconds 0\n"));
    CHECK(promtool_problems(metrics->body).empty());
    auto cluster = client.Get("/v1/cluster");
    REQUIRE(cluster);
    CHECK(cluster->status == 503);
    CHECK(json::parse(cluster->body)["error"] == "the engine has not answered yet");
    CHECK(log.count_with({"msg=\"engine read failed\"", "no.sock"}) == 1);
    server.stop();
}

TEST_CASE("serve without --engine answers /v1/cluster 404 and has no engine families",
          "[serve][cluster]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    test::TempDir tmp;
    auto certs = copy_certificates(*dir / "healthy/certificates/manager1", tmp / "m1");
    test::LogLines log;
    Server server(test::loopback_serve_options({certs.string()},
                                               *parse_rfc3339("2026-12-01T20:00:00Z"), log));
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    CHECK(client.Get("/v1/cluster")->status == 404);
    CHECK_FALSE(has(client.Get("/metrics")->body, "swarmpki_engine_up"));
    server.stop();
}

TEST_CASE("serve --engine: a rotation's events reach the receiver signed, once each",
          "[serve][cluster][webhook]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    test::TempDir tmp;
    test::FakeEngine engine;
    engine.load_capture(*dir / "healthy/manager1");
    auto certs = copy_certificates(*dir / "healthy/certificates/manager1", tmp / "m1");
    test::WebhookReceiver receiver;
    test::LogLines log;
    ServeOptions options = engine_options(certs, engine.url(), log);
    options.webhooks = DeliveryOptions{};
    options.webhooks->urls = {receiver.url()};
    options.webhooks->first_retry_delay = 20ms;
    const std::string secret_text = "cluster-test-secret";
    options.webhook_secret = std::make_shared<const SecretBytes>(
        Bytes(secret_text.begin(), secret_text.end()));
    Server server(options);
    server.start();
    CHECK_FALSE(receiver.wait_for(1, 200ms));  // a healthy cluster says nothing

    engine.load_capture(*dir / "rotation-blocked/manager1");
    server.rescan();
    server.rescan();  // still blocked: nothing new
    engine.load_capture(*dir / "rotation-finished-after-rm/manager1");
    server.rescan();
    server.rescan();
    // The rotation-blocked swarm has cert-expiry 3h; this manager's files are still healthy's,
    // 2160 h + 1 h: not applied, said once and not again after the rotation.
    REQUIRE(receiver.wait_for(5, 5s));
    CHECK_FALSE(receiver.wait_for(6, 300ms));
    std::map<std::string, int> types;
    for (const auto& hook : receiver.received()) {
        CHECK(webhook_signature_valid(*options.webhook_secret, hook.id, std::stoll(hook.timestamp),
                                      hook.body, hook.signature));
        auto event = json::parse(hook.body);
        ++types[event["type"].get<std::string>()];
        if (event["type"] == "io.swarmpki.rotation.blocked")
            CHECK(event["data"]["nodes"][0]["node_id"] == kWorker2);
    }
    CHECK(types == std::map<std::string, int>{{"io.swarmpki.rotation.started", 1},
                                              {"io.swarmpki.rotation.blocked", 1},
                                              {"io.swarmpki.node.down", 1},
                                              {"io.swarmpki.rotation.finished", 1},
                                              {"io.swarmpki.cert_expiry.not_applied", 1}});
    server.stop();
}

TEST_CASE("serve --host without --engine is a usage error", "[cli][serve][cluster]") {
    auto r = test::run_swarmpki({"serve", "--dir", "x", "--host", "unix:///nowhere.sock"});
    CHECK(r.exit_code == 64);
    CHECK(r.err.find("--host names the engine for --engine") != std::string::npos);
}
