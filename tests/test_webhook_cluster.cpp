// The engine events of `serve --engine` (webhook_cluster.cpp) over the real captures of
// fixtures/engine-api, read through the engine client from the fake engine and decided by
// build_cluster_report: healthy -> rotation-blocked (worker2 Down) -> rotation-finished-after-rm,
// each event once per transition, and the first report's problems only.
#include "fake_engine.hpp"
#include "support.hpp"
#include "swarmpki/engine_client.hpp"
#include "swarmpki/webhook.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

using namespace swarmpki;
namespace fs = std::filesystem;

namespace {

constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";
constexpr const char* kSource = "swarmpki://test/serve";

ClusterReport report_of(const fs::path& fixtures, const std::string& scenario,
                        bool with_leaf = false) {
    test::FakeEngine engine;
    engine.load_capture(fixtures / scenario / "manager1");
    EngineClient client(resolve_engine_endpoint(engine.url(), {}));
    ClusterInputs inputs = read_cluster_inputs(client, *parse_rfc3339("2026-12-01T20:00:00Z"));
    if (with_leaf)
        inputs.local_leaf = read_local_leaf(
            (fixtures / scenario / "certificates/manager1").string(), inputs.info);
    return build_cluster_report(inputs);
}

std::map<std::string, int> count_types(const std::vector<Event>& events) {
    std::map<std::string, int> out;
    for (const Event& e : events) ++out[std::string(to_string(e.type))];
    return out;
}

const Event& only(const std::vector<Event>& events, EventType type) {
    auto it = std::find_if(events.begin(), events.end(),
                           [type](const Event& e) { return e.type == type; });
    REQUIRE(it != events.end());
    return *it;
}

}  // namespace

TEST_CASE("cluster events: a rotation blocked by a down worker, then finished after node rm, "
          "each once",
          "[webhook][cluster]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    ClusterReport healthy = report_of(*dir, "healthy");
    ClusterReport blocked = report_of(*dir, "rotation-blocked");
    ClusterReport finished = report_of(*dir, "rotation-finished-after-rm");

    CHECK(detect_cluster_transitions(nullptr, healthy, kSource).empty());
    CHECK(detect_cluster_transitions(&healthy, healthy, kSource).empty());

    auto started = detect_cluster_transitions(&healthy, blocked, kSource);
    CHECK(count_types(started) == std::map<std::string, int>{{"io.swarmpki.rotation.started", 1},
                                                             {"io.swarmpki.rotation.blocked", 1},
                                                             {"io.swarmpki.node.down", 1}});
    const Event& block = only(started, EventType::rotation_blocked);
    CHECK(block.severity == Severity::critical);
    CHECK(block.subject == "cluster/" + blocked.cluster.id);
    REQUIRE(block.data.nodes.size() == 1);
    CHECK(block.data.nodes[0].node_id == kWorker2);
    CHECK(block.data.nodes[0].state == "down");
    CHECK(block.data.nodes[0].reason.find("docker node rm " + std::string(kWorker2)) !=
          std::string::npos);
    CHECK(block.summary.find(kWorker2) != std::string::npos);
    CHECK(block.data.converged == std::size_t{2});
    CHECK(block.data.total == std::size_t{3});
    const Event& down = only(started, EventType::node_down);
    CHECK(down.data.node_id == std::string(kWorker2));
    CHECK(down.subject == std::string("node/") + kWorker2);

    // The same report again (the next scan while it stays blocked): nothing new.
    CHECK(detect_cluster_transitions(&blocked, blocked, kSource).empty());

    auto done = detect_cluster_transitions(&blocked, finished, kSource);
    CHECK(count_types(done) == std::map<std::string, int>{{"io.swarmpki.rotation.finished", 1}});
    CHECK(done[0].data.converged == done[0].data.total);
    CHECK(detect_cluster_transitions(&finished, finished, kSource).empty());
}

TEST_CASE("cluster events: the first report gives only its problems", "[webhook][cluster]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    auto first = detect_cluster_transitions(nullptr, report_of(*dir, "rotation-blocked"), kSource);
    CHECK(count_types(first) == std::map<std::string, int>{{"io.swarmpki.rotation.started", 1},
                                                           {"io.swarmpki.rotation.blocked", 1},
                                                           {"io.swarmpki.node.down", 1}});
    CHECK(
        detect_cluster_transitions(nullptr, report_of(*dir, "rotation-finished-after-rm"), kSource)
            .empty());
}

TEST_CASE("cluster events: cert_expiry.not_applied once when this manager's leaf has the old "
          "lifetime",
          "[webhook][cluster]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    ClusterReport healthy = report_of(*dir, "healthy", true);
    ClusterReport changed = report_of(*dir, "cert-expiry-changed", true);
    REQUIRE(changed.cluster.cert_expiry_applied);
    REQUIRE_FALSE(changed.cluster.cert_expiry_applied->applied);
    auto events = detect_cluster_transitions(&healthy, changed, kSource);
    REQUIRE(count_types(events) ==
            std::map<std::string, int>{{"io.swarmpki.cert_expiry.not_applied", 1}});
    CHECK(events[0].data.cert_expiry_seconds == std::int64_t{3 * 3600});
    CHECK(events[0].data.leaf_lifetime_seconds == std::int64_t{2161 * 3600});
    CHECK(detect_cluster_transitions(&changed, changed, kSource).empty());
}

TEST_CASE("cluster events: the native body names the blockers with their reasons",
          "[webhook][cluster]") {
    auto dir = test::engine_fixtures_dir();
    if (!dir) return test::note_engine_fixtures_missing();
    auto events = detect_cluster_transitions(nullptr, report_of(*dir, "rotation-blocked"), kSource);
    auto body = nlohmann::json::parse(
        render_event_body(only(events, EventType::rotation_blocked), WebhookFormat::native));
    CHECK(body["type"] == "io.swarmpki.rotation.blocked");
    CHECK(body["data"]["nodes"][0]["node_id"] == kWorker2);
    CHECK(body["data"]["nodes"][0]["reason"].get<std::string>().find("down") != std::string::npos);
    CHECK(body["data"]["converged"] == 2);
    CHECK(body["data"]["total"] == 3);
    auto alert = nlohmann::json::parse(
        render_event_body(only(events, EventType::rotation_blocked), WebhookFormat::alertmanager));
    CHECK(alert[0]["labels"]["alertname"] == "SwarmpkiRotationBlocked");
}
