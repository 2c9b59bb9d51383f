// The rehearsal on the real cluster (rotation_live.hpp): the cluster report's decisions on the
// Engine API captures become the simulator's inputs unchanged (real IDs, roles, the leader, who
// is down and why, the configured cert-expiry), the crypto runs on a stand-in of the live root,
// and an operator's root is checked against the live root itself.
#include "swarmpki/rotation_live.hpp"

#include "swarmpki/certificate.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

using namespace swarmpki;
using namespace swarmpki::test;

namespace {

constexpr const char* kManager1 = "30p93im1v3drfo09h69zoahb7";
constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";
constexpr const char* kClusterId = "qlqh72pgzz9anas0okg37ohut";

ClusterInputs capture_inputs(const std::filesystem::path& dir, const std::string& scenario) {
    return manager_capture_inputs(dir, scenario, *parse_rfc3339("2026-12-01T20:00:00Z"));
}

RotationOptions rehearsal(const ClusterInputs& in, RotationOptions options = {},
                          bool cert_expiry_given = false) {
    ClusterReport report = build_cluster_report(in);
    options.now = in.at;
    options.seed = 7;
    options.threads = 1;
    return live_rotation_options(std::move(options),
                                 live_cluster_from(report, in.swarm.tls_info.trust_root_pem),
                                 report, cert_expiry_given);
}

EngineNode& node_of(ClusterInputs& in, const std::string& id) {
    auto it = std::find_if(in.nodes.begin(), in.nodes.end(),
                           [&](const EngineNode& n) { return n.id == id; });
    REQUIRE(it != in.nodes.end());
    return *it;
}

}  // namespace

TEST_CASE("the live cluster maps the report's nodes: real IDs, roles, leader, none down",
          "[rotation][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "healthy");
    ClusterReport report = build_cluster_report(in);
    LiveCluster live = live_cluster_from(report, in.swarm.tls_info.trust_root_pem);
    CHECK(live.cluster_id == kClusterId);
    CHECK(live.host == "unix:///var/run/docker.sock");
    CHECK(live.api_version == "1.41");
    REQUIRE(live.nodes.size() == report.nodes.size());
    for (std::size_t i = 0; i < live.nodes.size(); ++i) {
        CHECK(live.nodes[i].id == report.nodes[i].id);
        CHECK(live.nodes[i].role == *report.nodes[i].role);
        CHECK(live.nodes[i].leader == report.nodes[i].leader);
        CHECK_FALSE(live.nodes[i].offline);
        CHECK(live.nodes[i].reason.empty());
    }
    CHECK(std::count_if(live.nodes.begin(), live.nodes.end(),
                        [](const LiveNode& n) { return n.leader && n.id == kManager1; }) == 1);
}

TEST_CASE("a rehearsal on a healthy live cluster converges with its own IDs and the engine's "
          "pacing",
          "[rotation][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "healthy");
    RotationOptions options = rehearsal(in);
    CHECK(options.cert_expiry == Seconds(90 * 24 * 3600));  // NodeCertExpiry of the capture
    RotationReport r = simulate_rotation(options);
    CHECK(r.converged);
    CHECK(r.cluster_id == kClusterId);
    CHECK(r.managers == 1);
    CHECK(r.workers == 2);
    CHECK(r.offline == 0);
    CHECK(r.blocked_by.empty());
    REQUIRE(r.engine);
    CHECK(r.engine->would_block.empty());
    REQUIRE(r.engine->estimated_engine_seconds);
    // Three nodes: marked at the first tick, found converged at the next (DOMAIN.md section 11).
    CHECK(*r.engine->estimated_engine_seconds == Approx(estimated_engine_seconds(3)));
    CHECK(r.severity == Severity::ok);
    // The stand-in has the live root's subject and key type, never its key.
    Certificate live = certificates_from_pem(
                           parse_pem_or_throw(in.swarm.tls_info.trust_root_pem, "root"), "root")
                           .front();
    CHECK(r.engine->trust_root_public_key_sha256 == live.public_key_sha256());
    CHECK(r.engine->trust_root_subject == live.subject());
    CHECK(r.old_root_public_key_sha256 != live.public_key_sha256());
    Certificate stand_in = certificates_from_pem(parse_pem_or_throw(options.current_cert->text,
                                                                    "stand-in"),
                                                 "stand-in")
                               .front();
    CHECK(stand_in.subject() == live.subject());
    CHECK(stand_in.key_type() == live.key_type());
    CHECK(stand_in.not_after() == live.not_after());
    CHECK(r.engine->stand_in.find("stand-in") != std::string::npos);
    auto json = nlohmann::json::parse(render_rotation_json(r));
    CHECK(json["engine"]["host"] == "unix:///var/run/docker.sock");
    CHECK(json["engine"]["would_block"].empty());
    CHECK(json["engine"]["estimated_engine_seconds"].get<double>() == Approx(3.15));
    // Without the engine the member is there, and null.
    RotationOptions drawn;
    drawn.managers = 1;
    drawn.seed = 7;
    drawn.now = in.at;
    CHECK(
        nlohmann::json::parse(render_rotation_json(simulate_rotation(drawn)))["engine"].is_null());
}

TEST_CASE("a down worker of the live cluster blocks the rehearsal by its real ID, with the "
          "report's reason",
          "[rotation][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "healthy");
    node_of(in, kWorker2).state = "down";
    ClusterReport report = build_cluster_report(in);
    auto reported = std::find_if(report.nodes.begin(), report.nodes.end(),
                                 [](const ClusterNode& n) { return n.id == kWorker2; });
    REQUIRE(reported != report.nodes.end());
    CHECK(reported->would_block_rotation);
    CHECK_FALSE(reported->blocking_rotation);  // no rotation in progress: nothing blocked yet

    RotationReport r = simulate_rotation(rehearsal(in));
    CHECK_FALSE(r.converged);
    REQUIRE(r.blocked_by.size() == 1);
    CHECK(r.blocked_by[0].node == kWorker2);
    CHECK(r.blocked_by[0].role == NodeRole::worker);
    REQUIRE(r.engine);
    REQUIRE(r.engine->would_block.size() == 1);
    CHECK(r.engine->would_block[0].id == kWorker2);
    CHECK(r.engine->would_block[0].hostname == "vm");
    CHECK(r.engine->would_block[0].reason == reported->blocker_reason);
    CHECK(r.engine->would_block[0].reason.find("docker node rm " + std::string(kWorker2)) !=
          std::string::npos);
    CHECK_FALSE(r.engine->estimated_engine_seconds);
    CHECK(r.severity == Severity::critical);
    CHECK(render_rotation_text(r).find("would block: " + std::string(kWorker2)) !=
          std::string::npos);

    RotationOptions removing;
    removing.remove_offline = true;
    RotationReport removed = simulate_rotation(rehearsal(in, removing));
    CHECK(removed.converged);
    REQUIRE(removed.stranded.size() == 1);
    CHECK(removed.stranded[0].node == kWorker2);
    REQUIRE(removed.engine);
    CHECK(removed.engine->would_block.size() == 1);
    CHECK(removed.engine->estimated_engine_seconds);
}

TEST_CASE("a disconnected node and a node without TLS info block as the cluster report says",
          "[rotation][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "healthy");
    node_of(in, kWorker2).state = "disconnected";
    node_of(in, "y7ptmpaut5ge7aajs8i8q81zp").tls_info = {};
    RotationReport r = simulate_rotation(rehearsal(in));
    REQUIRE(r.engine);
    CHECK(r.engine->would_block.size() == 2);
    CHECK(r.blocked_by.size() == 2);
    CHECK(r.offline == 2);
    CHECK(r.quorum.reachable == 1);  // the manager is up
}

TEST_CASE("the cluster's configured cert-expiry is the rehearsal's default, a given one wins",
          "[rotation][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "cert-expiry-changed");
    CHECK(rehearsal(in).cert_expiry == Seconds(3 * 3600));
    RotationOptions given;
    given.cert_expiry = Seconds(24 * 3600);
    CHECK(rehearsal(in, given, true).cert_expiry == Seconds(24 * 3600));
}

TEST_CASE("an operator's root is checked against the live trust root: its key and subject are "
          "the hazard",
          "[rotation][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "healthy");
    // The live root is one whose key this test holds, as the engine holds its own.
    RootCa live = create_root({}, in.at - Seconds(86400));
    in.swarm.tls_info.trust_root_pem = live.certificate.to_pem();
    Certificate reissued = create_root_certificate(live.key, kDefaultRootCommonName, kRootLifetime,
                                                   in.at);
    RotationOptions options;
    options.desired_cert = PemInput{reissued.to_pem(), "reissued.crt"};
    options.desired_key = PemInput{encode_sec1_pem(live.key), "reissued.key"};
    RotationReport r = simulate_rotation(rehearsal(in, options));
    REQUIRE(r.refusal);
    CHECK(r.refusal->message == "Cannot update to a cert with an identical key");
    CHECK(r.refusal->hazard.find("20.10") != std::string::npos);
    CHECK(rotation_exit_code(r) == ExitCode::unevaluable);
    REQUIRE(r.engine);

    // A fresh root is accepted against the same live root.
    RootCa fresh = create_root({}, in.at);
    RotationOptions ok;
    ok.desired_cert = PemInput{fresh.certificate.to_pem(), "fresh.crt"};
    ok.desired_key = PemInput{encode_sec1_pem(fresh.key), "fresh.key"};
    RotationReport accepted = simulate_rotation(rehearsal(in, ok));
    CHECK_FALSE(accepted.refusal);
    CHECK(accepted.converged);
}

TEST_CASE("a live trust root that does not parse is refused before any simulation",
          "[rotation][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "healthy");
    ClusterReport report = build_cluster_report(in);
    CHECK_THROWS_AS(live_cluster_from(report, "not a certificate"), swarmpki::Error);
}
