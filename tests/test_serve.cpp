// swarmpki::Server on an ephemeral loopback port, over the real-engine fixtures: the three
// routes, 404/405 and limits, promtool, webhooks for an expired certificate (time injected),
// retries, and a dead receiver that must not hold up scrapes.
#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/serve.hpp"
#include "test_serve_support.hpp"
#include "test_webhook_receiver.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>

using namespace swarmpki;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json scenario(const std::string& name) { return test::fixture_scenario(name); }
Instant captured_at(const std::string& name) {
    return *parse_rfc3339(test::fixture_captured_at(name));
}

using test::LogLines;

ServeOptions options_for(std::vector<std::string> dirs, Instant now, LogLines& log) {
    return test::loopback_serve_options(std::move(dirs), now, log);
}

std::shared_ptr<const SecretBytes> secret_of(const std::string& text) {
    return std::make_shared<const SecretBytes>(Bytes(text.begin(), text.end()));
}

bool promtool_available() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("Server gzips /metrics and /v1/inspect for clients that accept it, and only for them",
          "[serve][conformance]") {
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
    WARN("cpp-httplib built without zlib here: no compression to test");
    return;
#else
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("rotation-in-progress", "manager1", tmp / "m1");
    LogLines log;
    Server server(options_for({m1.string()}, captured_at("rotation-in-progress"), log));
    server.start();
    REQUIRE(server.port() > 0);
    httplib::Client raw("127.0.0.1", server.port());
    raw.set_decompress(false);
    httplib::Client inflating("127.0.0.1", server.port());  // asks for gzip and inflates
    for (const char* path : {"/metrics", "/v1/inspect"}) {
        INFO(path);
        auto plain = raw.Get(path);
        auto zipped = raw.Get(path, {{"Accept-Encoding", "gzip"}});
        auto inflated = inflating.Get(path);
        REQUIRE(plain);
        REQUIRE(zipped);
        REQUIRE(inflated);
        CHECK(plain->get_header_value("Content-Encoding").empty());
        CHECK(zipped->get_header_value("Content-Encoding") == "gzip");
        CHECK(zipped->body.size() < plain->body.size() / 2);
        // The connection counters at the end move between requests; the rest is the snapshot.
        auto stable = [](const std::string& body) {
            return body.substr(0, body.find("# HELP swarmpki_serve_connections_"));
        };
        CHECK(stable(inflated->body) == stable(plain->body));
    }
    server.stop();
#endif
}

TEST_CASE("Server serves /metrics, /healthz and /v1/inspect from the last scan",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("rotation-in-progress", "manager1", tmp / "m1");
    auto w1 = test::copy_node_dir("rotation-in-progress", "worker1", tmp / "w1");
    Instant now = captured_at("rotation-in-progress");
    LogLines log;
    Server server(options_for({m1.string(), w1.string()}, now, log));
    server.start();
    REQUIRE(server.port() > 0);
    httplib::Client client("127.0.0.1", server.port());

    auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    CHECK(metrics->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    const std::string& body = metrics->body;
    CHECK(body.find("# TYPE swarmpki_cert_not_after_timestamp_seconds gauge") != std::string::npos);
    CHECK(body.find("swarmpki_rotation_in_progress{cluster_id=\"" +
                    scenario("rotation-in-progress")["cluster_id"].get<std::string>() + "\"} 1") !=
          std::string::npos);
    CHECK(body.find("\nswarmpki_scrape_duration_seconds ") != std::string::npos);
    CHECK(body.find("\nswarmpki_last_scan_timestamp_seconds " + std::to_string(unix_seconds(now)) +
                    "\n") != std::string::npos);
    CHECK(body.find("\nswarmpki_last_scan_success 1\n") != std::string::npos);
    CHECK(body.find(m1.string() + "/swarm-node.crt") != std::string::npos);

    if (promtool_available()) {
        test::write_text(tmp / "scrape.prom", body);
        std::string command = "promtool check metrics < '" + (tmp / "scrape.prom").string() + "'";
        CHECK(std::system(command.c_str()) == 0);
    } else {
        WARN("promtool not installed: skipping `promtool check metrics`");
    }

    auto inspect = client.Get("/v1/inspect");
    REQUIRE(inspect);
    CHECK(inspect->status == 200);
    CHECK(inspect->get_header_value("Content-Type") == "application/json");
    auto doc = json::parse(inspect->body);
    CHECK(doc["schema"] == "swarmpki.inspect/v1");
    CHECK(doc["evaluated_at"] == format_rfc3339(now));
    REQUIRE(doc["nodes"].size() == 2);
    CHECK(doc["nodes"][0]["dir"] == m1.string());
    CHECK(doc["nodes"][0]["rotation"]["state"] == "in-progress");
    CHECK(doc["nodes"][0]["chain_verified"] == true);
    CHECK(doc["nodes"][1]["node"]["id"] ==
          scenario("rotation-in-progress")["nodes"]["worker1"]["node_id"]);

    auto health = client.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(health->body == "ok\n");

    // The first scan saw a rotation under way: logged as an event even without webhooks.
    CHECK(log.count("type=io.swarmpki.rotation.started") == 1);
    CHECK(log.count("msg=request method=GET path=/metrics status=200") == 1);
    server.stop();
}

TEST_CASE("Server answers 405 for other methods, 404 for other paths, and 431 for crowded heads",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("init-manager", "manager1", tmp / "m1");
    LogLines log;
    Server server(options_for({m1.string()}, captured_at("init-manager"), log));
    server.start();
    httplib::Client client("127.0.0.1", server.port());

    auto post = client.Post("/metrics", "x", "text/plain");
    REQUIRE(post);
    CHECK(post->status == 405);
    CHECK(post->get_header_value("Allow") == "GET, HEAD");
    auto del = client.Delete("/v1/inspect");
    REQUIRE(del);
    CHECK(del->status == 405);
    auto head = client.Head("/metrics");
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->body.empty());

    auto missing = client.Get("/metrics/extra");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK(missing->body.find("not found") == 0);
    auto root = client.Post("/", "x", "text/plain");  // the front refuses before routing
    REQUIRE(root);
    CHECK(root->status == 405);

    httplib::Headers many;
    for (int i = 0; i < 100; ++i) many.emplace("X-Filler-" + std::to_string(i), "x");
    auto crowded = client.Get("/metrics", many);
    REQUIRE(crowded);
    CHECK(crowded->status == 431);

    // No body is ever read: the method alone refuses it.
    auto big = client.Post("/upload", std::string(64 * 1024, 'x'), "text/plain");
    REQUIRE(big);
    CHECK(big->status == 405);
    CHECK(log.count("msg=\"request refused\" status=405 reason=method remote=127.0.0.1") == 4);
    CHECK(log.count(
              "msg=\"request refused\" status=431 reason=header_too_large remote=127.0.0.1") == 1);
    server.stop();
}

TEST_CASE("Server refuses plain HTTP on a public address unless told otherwise", "[serve]") {
    LogLines log;
    auto options = options_for({"/nonexistent"}, *parse_rfc3339("2026-11-28T23:00:00Z"), log);
    options.listen = {"0.0.0.0", 0};
    try {
        Server refused(options);
        FAIL("a public plain-HTTP server was accepted");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("refusing to serve plain HTTP on non-loopback address "
                                         "'0.0.0.0'") == 0);
    }
    options.allow_insecure_public = true;
    CHECK_NOTHROW(Server(options));
}

TEST_CASE("parse_listen_address and is_loopback_host", "[serve]") {
    auto v4 = parse_listen_address("127.0.0.1:9323");
    CHECK(v4.host == "127.0.0.1");
    CHECK(v4.port == 9323);
    auto v6 = parse_listen_address("[::1]:0");
    CHECK(v6.host == "::1");
    CHECK(v6.port == 0);
    CHECK(parse_listen_address(":9323").host == "0.0.0.0");
    CHECK_THROWS_AS(parse_listen_address("127.0.0.1"), UsageError);
    CHECK_THROWS_AS(parse_listen_address("::1:80"), UsageError);
    CHECK_THROWS_AS(parse_listen_address("127.0.0.1:99999"), UsageError);
    CHECK_THROWS_AS(parse_listen_address("127.0.0.1:http"), UsageError);
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.3.2.1"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("localhost"));
    CHECK_FALSE(is_loopback_host("0.0.0.0"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK_FALSE(is_loopback_host("::"));
    CHECK_FALSE(is_loopback_host("example.com"));
}

TEST_CASE("Server posts a signed cert.expired event for an expired fixture certificate",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto w1 = test::copy_node_dir("cert-expiry-1h", "worker1", tmp / "w1");
    auto facts = scenario("cert-expiry-1h")["nodes"]["worker1"];
    // The 1h certificate is fine at capture time and expired two hours later.
    std::atomic<std::int64_t> now{unix_seconds(captured_at("cert-expiry-1h"))};
    test::WebhookReceiver receiver;
    LogLines log;
    auto options = options_for({w1.string()}, {}, log);
    options.clock = [&now] { return from_unix_seconds(now.load()); };
    options.webhooks = DeliveryOptions{};
    options.webhooks->urls = {receiver.url()};
    options.webhooks->first_retry_delay = 20ms;
    options.webhook_secret = secret_of("expired-test-secret");
    Server server(options);
    server.start();
    CHECK_FALSE(receiver.wait_for(1, 200ms));  // nothing wrong at capture time

    now = unix_seconds(*parse_rfc3339(facts["not_after"].get<std::string>())) + 3600;
    server.rescan();
    REQUIRE(receiver.wait_for(1, 5s));
    auto hook = receiver.received().at(0);
    CHECK(webhook_signature_valid(*options.webhook_secret, hook.id, std::stoll(hook.timestamp),
                                  hook.body, hook.signature));
    CHECK(std::stoll(hook.timestamp) == now.load());
    auto event = json::parse(hook.body);
    CHECK(event["specversion"] == "1.0");
    CHECK(event["id"] == hook.id);
    CHECK(event["type"] == "io.swarmpki.cert.expired");
    CHECK(event["subject"] == (w1 / "swarm-node.crt").string());
    CHECK(event["severity"] == "critical");
    CHECK(event["data"]["node_id"] == facts["node_id"]);
    CHECK(event["data"]["role"] == "worker");
    CHECK(event["data"]["cluster_id"] == scenario("cert-expiry-1h")["cluster_id"]);
    CHECK(event["data"]["not_after"] == facts["not_after"]);
    CHECK(event["data"]["remaining_seconds"] == -3600);
    CHECK(event["data"]["previous_status"] == "renewal-window");  // past 50% at capture

    // Still expired on the next scan: no new event.
    server.rescan();
    std::this_thread::sleep_for(200ms);
    server.stop();
    std::size_t expired = 0;
    for (const auto& h : receiver.received())
        expired += json::parse(h.body)["type"] == "io.swarmpki.cert.expired";
    CHECK(expired == 1);
}

TEST_CASE("Server retries a webhook after a 500 with the same id", "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto w1 = test::copy_node_dir("cert-expiry-1h", "worker1", tmp / "w1");
    Instant later = captured_at("cert-expiry-1h") + 3h;  // expired from the first scan on
    test::WebhookReceiver receiver([](std::size_t n) { return n == 0 ? 500 : 204; });
    LogLines log;
    auto options = options_for({w1.string()}, later, log);
    options.webhooks = DeliveryOptions{};
    options.webhooks->urls = {receiver.url()};
    options.webhooks->first_retry_delay = 20ms;
    options.webhook_secret = secret_of("retry-secret");
    Server server(options);
    server.start();
    REQUIRE(receiver.wait_for(2, 5s));
    auto hooks = receiver.received();
    CHECK(hooks[0].id == hooks[1].id);
    CHECK(hooks[0].body == hooks[1].body);
    CHECK(json::parse(hooks[1].body)["type"] == "io.swarmpki.cert.expired");
    for (int i = 0; i < 200 && server.webhook_counters().delivered == 0; ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(server.webhook_counters().retried == 1);
    CHECK(server.webhook_counters().delivered == 1);

    httplib::Client client("127.0.0.1", server.port());
    auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->body.find("swarmpki_webhook_deliveries_total{result=\"retried\"} 1") !=
          std::string::npos);
    server.stop();
}

TEST_CASE("A receiver that never answers does not hold up scrapes or scans",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto w1 = test::copy_node_dir("cert-expiry-1h", "worker1", tmp / "w1");
    auto m1 = test::copy_node_dir("cert-expiry-1h", "manager1", tmp / "m1");
    test::WebhookReceiver receiver([](std::size_t) { return 204; },
                                   test::WebhookReceiver::Mode::hang);
    LogLines log;
    auto options = options_for({w1.string(), m1.string()}, captured_at("cert-expiry-1h") + 3h, log);
    options.webhooks = DeliveryOptions{};
    options.webhooks->urls = {receiver.url()};
    options.webhooks->timeout = 60s;  // far longer than the test: only a stuck worker waits
    options.webhook_secret = secret_of("hang-secret");
    Server server(options);
    server.start();
    REQUIRE(receiver.wait_for(1, 5s));  // the worker is now blocked on the receiver

    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(5s);  // a generous bound, far below the receiver's 60 s
    for (int i = 0; i < 20; ++i) {
        auto metrics = client.Get("/metrics");
        REQUIRE(metrics);
        CHECK(metrics->status == 200);
    }
    server.rescan();  // enqueues more events while the worker is stuck: must not block
    auto again = client.Get("/v1/inspect");
    REQUIRE(again);
    CHECK(again->status == 200);
    server.stop();  // aborts the hanging delivery and joins every thread
}

TEST_CASE("Server reports rotation completed, root changed and scan failed between scans",
          "[serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    // One node directory followed through time: mid-rotation, converged, then broken.
    auto m1 = test::copy_node_dir("rotation-in-progress", "manager1", tmp / "m1");
    std::atomic<std::int64_t> now{unix_seconds(captured_at("rotation-in-progress"))};
    test::WebhookReceiver receiver;
    LogLines log;
    auto options = options_for({m1.string()}, {}, log);
    options.clock = [&now] { return from_unix_seconds(now.load()); };
    options.webhooks = DeliveryOptions{};
    options.webhooks->urls = {receiver.url()};
    options.webhook_secret = secret_of("transitions");
    Server server(options);
    server.start();
    REQUIRE(receiver.wait_for(1, 5s));
    CHECK(json::parse(receiver.received()[0].body)["type"] == "io.swarmpki.rotation.started");

    auto converged = fs::path(*test::fixtures_dir()) / "rotation-complete" / "certificates" /
                     "manager1";
    for (const char* name : {"swarm-root-ca.crt", "swarm-node.crt", "swarm-node.key"})
        fs::copy_file(converged / name, m1 / name, fs::copy_options::overwrite_existing);
    now = unix_seconds(captured_at("rotation-complete"));
    server.rescan();
    REQUIRE(receiver.wait_for(3, 5s));
    auto completed = json::parse(receiver.received()[1].body);
    auto changed = json::parse(receiver.received()[2].body);
    CHECK(completed["type"] == "io.swarmpki.rotation.completed");
    CHECK(changed["type"] == "io.swarmpki.root.changed");
    CHECK(changed["subject"] == m1.string());
    CHECK(changed["data"]["root_sha256"] ==
          scenario("rotation-complete")["nodes"]["manager1"]["root_ca_sha256"]);
    CHECK(changed["data"]["previous_root_sha256"] ==
          scenario("rotation-in-progress")["nodes"]["manager1"]["root_ca_sha256"]);

    fs::remove(m1 / "swarm-node.crt");
    server.rescan();
    REQUIRE(receiver.wait_for(4, 5s));
    auto failed = json::parse(receiver.received()[3].body);
    CHECK(failed["type"] == "io.swarmpki.scan.failed");
    CHECK(failed["severity"] == "critical");
    CHECK(failed["data"]["error"].get<std::string>().find("swarm-node.crt") != std::string::npos);
    server.stop();
}
