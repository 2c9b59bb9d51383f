// One node identity (node_identity.hpp): for a FIPS cluster (O = FIPS.<id>) every command and
// format reports cluster_id = <id> and fips = true. Before, inspect and verify said FIPS.<id>
// while expiry, Prometheus and webhooks said <id>.
#include "support.hpp"
#include "swarmpki/node_identity.hpp"
#include "swarmpki/serve.hpp"
#include "swarmpki/webhook.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace swarmpki;
using swarmpki::test::run_swarmpki;

namespace {

constexpr const char* kCluster = "4b6m8xq2v9w1z3y5t7r0p2k4d";
constexpr const char* kAt = "2026-06-01T00:00:00Z";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A CA and two nodes of the FIPS cluster, plus one of the plain cluster with the same bare ID.
struct FipsSwarm {
    test::TempDir tmp;
    std::string ca = (tmp / "ca").string(), manager = (tmp / "m").string(),
                worker = (tmp / "w").string(), plain = (tmp / "p").string();
    FipsSwarm() {
        REQUIRE(
            run_swarmpki({"ca", "init", "--out", ca, "--at", "2026-05-01T00:00:00Z"}).exit_code ==
            0);
        auto issue = [&](const std::string& out, const char* role, const std::string& cluster) {
            auto r = run_swarmpki({"ca", "issue", "--ca", ca, "--role", role, "--cluster-id",
                                   cluster, "--out", out, "--at", "2026-05-20T00:00:00Z"});
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        };
        issue(manager, "manager", std::string("FIPS.") + kCluster);
        issue(worker, "worker", std::string("FIPS.") + kCluster);
        issue(plain, "worker", kCluster);
    }
};

}  // namespace

TEST_CASE("node identity: FIPS. prefix is split off into fips, case and role exact", "[identity]") {
    CHECK(parse_cluster_name("FIPS.abc") == ClusterName{"abc", true});
    CHECK(parse_cluster_name("abc") == ClusterName{"abc", false});
    CHECK(parse_cluster_name("fips.abc") == ClusterName{"fips.abc", false});
    CHECK(parse_cluster_name("FIPS.") == ClusterName{"", true});
    auto manager = parse_node_identity("n1", "swarm-manager", "FIPS.c1");
    REQUIRE(manager);
    CHECK(manager->node_id == "n1");
    CHECK(manager->role == "manager");
    CHECK(manager->cluster == ClusterName{"c1", true});
    CHECK(parse_node_identity("n1", "swarm-worker", "c1")->role == "worker");
    CHECK_FALSE(parse_node_identity("n1", "swarm-other", "c1"));
    CHECK_FALSE(role_of_organizational_unit("swarm-"));
}

TEST_CASE("a FIPS cluster is cluster_id <id>, fips true, in inspect, verify and expiry",
          "[identity][cli]") {
    FipsSwarm swarm;
    SECTION("inspect json and text") {
        auto r = run_swarmpki({"inspect", "--dir", swarm.manager, "--format", "json", "--at", kAt});
        INFO(r.out << r.err);
        auto node = r.json()["nodes"][0];
        CHECK(node["node"]["cluster_id"] == kCluster);
        CHECK(node["node"]["fips"] == true);
        bool fips_finding = false;
        for (const auto& f : node["findings"])
            fips_finding = fips_finding || (f["code"] == "fips-cluster" && f["severity"] == "info");
        CHECK(fips_finding);
        auto text = run_swarmpki({"inspect", "--dir", swarm.manager, "--at", kAt});
        CHECK(contains(text.out, std::string("cluster ") + kCluster + " (FIPS)"));
        auto plain = run_swarmpki(
            {"inspect", "--dir", swarm.plain, "--format", "json", "--at", kAt});
        CHECK(plain.json()["nodes"][0]["node"]["cluster_id"] == kCluster);
        CHECK(plain.json()["nodes"][0]["node"]["fips"] == false);
    }
    SECTION("verify json; FIPS.<id> and <id> are two clusters, as the engine compares O") {
        auto r = run_swarmpki({"verify", "--dir", swarm.manager, "--peer-dir", swarm.worker,
                               "--format", "json", "--at", kAt});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        auto doc = r.json();
        CHECK(doc["node"]["cluster_id"] == kCluster);
        CHECK(doc["node"]["fips"] == true);
        CHECK(doc["peers"][0]["node"]["cluster_id"] == kCluster);
        CHECK(doc["peers"][0]["node"]["fips"] == true);
        auto other = run_swarmpki({"verify", "--dir", swarm.manager, "--peer-dir", swarm.plain,
                                   "--format", "json", "--at", kAt});
        CHECK(other.exit_code == 2);
        CHECK(other.json()["peers"][0]["checks"][0]["code"] == "different-cluster");
        CHECK(other.json()["peers"][0]["node"]["fips"] == false);
    }
    SECTION("expiry json, jsonl, text, prometheus and nagios") {
        auto r = run_swarmpki({"expiry", swarm.manager, "--format", "json", "--at", kAt});
        INFO(r.out << r.err);
        auto doc = r.json();
        REQUIRE(doc["certificates"].size() == 2);
        for (const auto& c : doc["certificates"]) {
            CHECK(c["cluster_id"] == kCluster);
            CHECK(c["fips"] == true);
        }
        CHECK(doc["directories"][0]["cluster_id"] == kCluster);
        CHECK(doc["directories"][0]["fips"] == true);
        CHECK(doc["summary"]["clusters"][0]["cluster_id"] == kCluster);
        CHECK(doc["summary"]["clusters"][0]["fips"] == true);
        auto lines = run_swarmpki({"expiry", swarm.manager, "--format", "jsonl", "--at", kAt});
        CHECK(
            contains(lines.out, std::string("\"cluster_id\":\"") + kCluster + "\",\"fips\":true"));
        auto text = run_swarmpki({"expiry", swarm.manager, "--at", kAt});
        CHECK(contains(text.out, std::string("cluster ") + kCluster + " (FIPS): 1 directory"));
        auto prom = run_swarmpki({"expiry", swarm.manager, "--format", "prometheus", "--at", kAt});
        CHECK(contains(prom.out, std::string("cluster_id=\"") + kCluster + "\""));
        CHECK(contains(prom.out,
                       std::string("swarmpki_cluster_fips{cluster_id=\"") + kCluster + "\"} 1"));
        auto nagios = run_swarmpki({"expiry", swarm.manager, "--format", "nagios", "--at", kAt});
        // Only `subject` (the DN as written, in json and jsonl) still shows the O with its prefix.
        for (const auto* out : {&text.out, &prom.out, &nagios.out})
            CHECK_FALSE(contains(*out, "FIPS." + std::string(kCluster)));
        CHECK(doc["certificates"][0]["subject"].get<std::string>().find(
                  std::string("O=FIPS.") + kCluster) != std::string::npos);
    }
}

TEST_CASE("a FIPS cluster is cluster_id <id>, fips true, in serve's bodies and webhook events",
          "[identity][serve][webhook]") {
    FipsSwarm swarm;
    ScanSettings settings;
    settings.dirs = {swarm.manager};
    Snapshot snapshot = scan_directories(settings, *parse_rfc3339(kAt));
    REQUIRE(snapshot.scan_succeeded);
    CHECK(contains(snapshot.metrics,
                   std::string("swarmpki_cluster_fips{cluster_id=\"") + kCluster + "\"} 1"));
    auto inspect = nlohmann::json::parse(snapshot.inspect_json);
    CHECK(inspect["nodes"][0]["node"]["cluster_id"] == kCluster);
    CHECK(inspect["nodes"][0]["node"]["fips"] == true);
    REQUIRE(snapshot.state.directories.size() == 1);
    CHECK(snapshot.state.directories[0].cluster_id == kCluster);
    CHECK(snapshot.state.directories[0].fips == std::optional<bool>(true));
    for (const CertificateState& c : snapshot.state.certificates) {
        CHECK(c.cluster_id == kCluster);
        CHECK(c.fips == std::optional<bool>(true));
    }
    // A certificate event: the node certificate expired, seen against a scan where it was ok.
    ScanState later = snapshot.state;
    later.at = *parse_rfc3339("2027-01-01T00:00:00Z");
    for (CertificateState& c : later.certificates)
        if (c.kind == "node") c.status = "expired", c.severity = Severity::critical;
    auto events = detect_transitions(&snapshot.state, later, "test");
    REQUIRE_FALSE(events.empty());
    auto body = nlohmann::json::parse(render_event_body(events[0], WebhookFormat::native));
    CHECK(body["data"]["cluster_id"] == kCluster);
    CHECK(body["data"]["fips"] == true);
    auto alert = nlohmann::json::parse(render_event_body(events[0], WebhookFormat::alertmanager));
    CHECK(alert[0]["labels"]["cluster_id"] == kCluster);
    CHECK(alert[0]["labels"]["fips"] == "true");
    auto slack = render_event_body(events[0], WebhookFormat::slack);
    CHECK(contains(slack, std::string(kCluster) + " (FIPS)"));
}
