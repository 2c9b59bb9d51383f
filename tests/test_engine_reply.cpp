// The Engine API reply parser: every real capture, and every way a reply can be wrong.
#include "swarmpki/engine_reply.hpp"

#include "swarmpki/join_token.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

using namespace swarmpki;
using namespace swarmpki::test;

namespace {

constexpr const char* kManager1 = "30p93im1v3drfo09h69zoahb7";
constexpr const char* kWorker1 = "y7ptmpaut5ge7aajs8i8q81zp";
constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";

// The 25-character secrets of every join token in the captures' /swarm replies.
std::vector<std::string> capture_secrets(const std::filesystem::path& dir) {
    std::vector<std::string> secrets;
    std::regex token("SWMTKN-1-[0-9a-z]{50}-([0-9a-z]{25})");
    for (const char* scenario : kEngineScenarios) {
        std::string body = engine_capture(dir, scenario, "manager1", "swarm");
        for (std::sregex_iterator it(body.begin(), body.end(), token), end; it != end; ++it)
            secrets.push_back((*it)[1].str());
    }
    return secrets;
}

std::string node_error(const std::string& node_json) {
    auto parsed = parse_engine_nodes("[" + node_json + "]");
    CHECK_FALSE(parsed.value);
    return parsed.error;
}

}  // namespace

TEST_CASE("every captured manager reply parses", "[engine-reply]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    for (const char* scenario : kEngineScenarios) {
        INFO(scenario);
        auto info = parse_engine_info(engine_capture(*dir, scenario, "manager1", "info"));
        REQUIRE(info.error == "");
        CHECK(info.value->local_node_state == EngineNodeState::active);
        CHECK(info.value->control_available);
        CHECK(info.value->has_cluster);
        CHECK(info.value->node_id == kManager1);
        CHECK(info.value->cluster_id == "qlqh72pgzz9anas0okg37ohut");
        CHECK(info.value->server_version == "20.10.24+dfsg1");
        CHECK(info.value->docker_root_dir == "/tmp/engapi.ez8Y/manager1/data");
        CHECK(info.value->cluster_tls_info.issuer_subject.size() == 21);
        auto swarm = parse_engine_swarm(engine_capture(*dir, scenario, "manager1", "swarm"));
        REQUIRE(swarm.error == "");
        CHECK(swarm.value->id == "qlqh72pgzz9anas0okg37ohut");
        CHECK(swarm.value->tls_info.trust_root_pem == info.value->cluster_tls_info.trust_root_pem);
        CHECK(swarm.value->tls_info == info.value->cluster_tls_info);
        CHECK(swarm.value->root_rotation_in_progress == info.value->root_rotation_in_progress);
        auto nodes = parse_engine_nodes(engine_capture(*dir, scenario, "manager1", "nodes"));
        REQUIRE(nodes.error == "");
        CHECK(nodes.value->size() ==
              (std::string(scenario) == "rotation-finished-after-rm" ? 2 : 3));
        auto version = parse_engine_version(engine_capture(*dir, scenario, "manager1", "version"));
        REQUIRE(version.error == "");
        CHECK(version.value->version == "20.10.24+dfsg1");
        CHECK(version.value->api_version == "1.41");
        CHECK(version.value->min_api_version == "1.12");
    }
}

TEST_CASE("the CA configuration and rotation flag are read as the engine sets them",
          "[engine-reply]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    auto healthy = parse_engine_swarm(engine_capture(*dir, "healthy", "manager1", "swarm"));
    REQUIRE(healthy.value);
    CHECK(healthy.value->ca_config.node_cert_expiry == Seconds{2160 * 3600});
    CHECK(healthy.value->ca_config.force_rotate == 0);  // absent while 0
    CHECK(healthy.value->ca_config.external_cas.empty());
    CHECK_FALSE(healthy.value->root_rotation_in_progress);

    auto blocked = parse_engine_swarm(
        engine_capture(*dir, "rotation-blocked", "manager1", "swarm"));
    REQUIRE(blocked.value);
    CHECK(blocked.value->ca_config.node_cert_expiry == Seconds{3 * 3600});
    CHECK(blocked.value->ca_config.force_rotate == 1);
    CHECK(blocked.value->root_rotation_in_progress);
    auto info = parse_engine_info(engine_capture(*dir, "rotation-blocked", "manager1", "info"));
    REQUIRE(info.value);
    CHECK(info.value->root_rotation_in_progress);
    CHECK(info.value->ca_config.node_cert_expiry == Seconds{3 * 3600});
    CHECK(info.value->ca_config.force_rotate == 1);
}

TEST_CASE("join tokens keep only their digest, which pins the captured trust root",
          "[engine-reply]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    for (const char* scenario : kEngineScenarios) {
        INFO(scenario);
        auto swarm = parse_engine_swarm(engine_capture(*dir, scenario, "manager1", "swarm"));
        REQUIRE(swarm.value);
        Sha256 root = sha256(swarm.value->tls_info.trust_root_pem);
        for (const EngineJoinToken* token :
             {&swarm.value->worker_token, &swarm.value->manager_token}) {
            CHECK(token->present);
            CHECK(token->well_formed);
            CHECK(token->digest == root);
            CHECK(token->digest_base36 == digest_to_base36(root));
        }
    }
}

TEST_CASE("nodes are read member by member, with optional members absent", "[engine-reply]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    auto nodes = parse_engine_nodes(engine_capture(*dir, "rotation-blocked", "manager1", "nodes"));
    REQUIRE(nodes.value);
    const auto& n = *nodes.value;
    REQUIRE(n.size() == 3);
    CHECK(n[0].id == kManager1);
    CHECK(n[0].role == NodeRole::manager);
    CHECK(n[0].leader);
    CHECK(n[0].reachability == "reachable");
    CHECK(n[0].state == "ready");
    CHECK(n[0].addr == "127.0.0.71");
    CHECK(n[0].availability == "active");
    CHECK(n[0].hostname == "vm");
    CHECK(n[0].engine_version == "20.10.24+dfsg1");
    CHECK(n[0].updated_at == parse_rfc3339("2026-12-01T18:56:47Z"));
    CHECK(n[1].id == kWorker2);
    CHECK(n[1].role == NodeRole::worker);
    CHECK(n[1].state == "down");
    CHECK(n[1].message == "heartbeat failure");
    CHECK_FALSE(n[1].leader);
    CHECK(n[1].reachability == "");  // no ManagerStatus on a worker
    CHECK(n[1].updated_at == parse_rfc3339("2026-12-01T18:56:46Z"));
    CHECK(n[2].id == kWorker1);
    CHECK(base64_encode(n[1].tls_info.issuer_subject) == "MBMxETAPBgNVBAMTCHN3YXJtLWNh");
    CHECK(n[1].tls_info.issuer_public_key != n[2].tls_info.issuer_public_key);
    CHECK(n[1].tls_info.trust_root_pem == n[2].tls_info.trust_root_pem);

    // An engine older than 1.13 reports no TLSInfo: absent, not an error.
    auto old = parse_engine_nodes(
        R"([{"ID":"abc","Spec":{"Role":"worker"},"Status":{"State":"ready"}}])");
    REQUIRE(old.value);
    CHECK(old.value->at(0).tls_info.empty());
    CHECK_FALSE(old.value->at(0).updated_at);
    CHECK(parse_engine_nodes("[]").value->empty());
}

TEST_CASE("/info says which kind of socket answered", "[engine-reply]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    auto worker = parse_engine_info(engine_capture(*dir, "healthy", "worker1", "info"));
    REQUIRE(worker.value);
    CHECK(worker.value->local_node_state == EngineNodeState::active);
    CHECK_FALSE(worker.value->control_available);
    CHECK_FALSE(worker.value->has_cluster);
    CHECK(worker.value->node_id == kWorker1);
    auto stranger = parse_engine_info(engine_capture(*dir, "healthy", "stranger", "info"));
    REQUIRE(stranger.value);
    CHECK(stranger.value->local_node_state == EngineNodeState::inactive);
    CHECK(stranger.value->node_id == "");
    CHECK_FALSE(stranger.value->has_cluster);
    auto locked = parse_engine_info(engine_capture(*dir, "locked", "manager1", "info"));
    REQUIRE(locked.value);
    CHECK(locked.value->local_node_state == EngineNodeState::locked);
    CHECK_FALSE(locked.value->control_available);
    CHECK_FALSE(locked.value->has_cluster);
}

TEST_CASE("the engine's 503 bodies give their message", "[engine-reply]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    const std::string worker =
        "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster "
        "state. Please run this command on a manager node or promote the current node to a "
        "manager.";
    const std::string stranger =
        "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to "
        "connect this node to swarm and try again.";
    const std::string locked =
        "Swarm is encrypted and needs to be unlocked before it can be used. Please use \"docker "
        "swarm unlock\" to unlock it.";
    for (const char* reply : {"swarm", "nodes"}) {
        CHECK(engine_error_message(engine_capture(*dir, "healthy", "worker1", reply)) == worker);
        CHECK(engine_error_message(engine_capture(*dir, "healthy", "stranger", reply)) == stranger);
        CHECK(engine_error_message(engine_capture(*dir, "locked", "manager1", reply)) == locked);
    }
    // A 503 body is no /swarm reply.
    auto swarm = parse_engine_swarm(engine_capture(*dir, "locked", "manager1", "swarm"));
    CHECK(swarm.error == "ID: missing or empty");
}

TEST_CASE("engine_error_message keeps one clean line and no secret", "[engine-reply]") {
    CHECK(engine_error_message(R"({"message":"first\nsecond"})") == "first");
    CHECK(engine_error_message(R"({"message":"a\tb\u001bc"})") == "a b c");
    CHECK(engine_error_message(std::string(R"({"message":")") + std::string(400, 'x') + "\"}") ==
          std::string(300, 'x'));
    // Cut on a character boundary: 299 ASCII then a 2-byte character across position 300.
    std::string long_utf8 = std::string(299, 'x') + "\xc3\xa9" + "tail";
    CHECK(engine_error_message(R"({"message":")" + long_utf8 + "\"}") == std::string(299, 'x'));
    CHECK(
        engine_error_message(
            R"({"message":"bad token SWMTKN-1-2idrohhim5k3zbcvarzzfrb2s7oc3506d7c7jfaw2jy4ogax4t-a0lka6mm68aueb1gcfprzppdb"})") ==
        "bad token <join token>");
    CHECK(engine_error_message("") == "");
    CHECK(engine_error_message("not json") == "");
    CHECK(engine_error_message(R"({"message":5})") == "");
    CHECK(engine_error_message(R"(["message"])") == "");
    CHECK(engine_error_message(R"({"other":"x"})") == "");
}

TEST_CASE("a reply of the wrong shape is refused naming the member", "[engine-reply]") {
    CHECK(node_error(R"({"ID":5})") == "Nodes[0].ID: not a string");
    CHECK(node_error(R"({"Spec":{}})") == "Nodes[0].ID: missing or empty");
    CHECK(node_error(R"({"ID":"a","Spec":[]})") == "Nodes[0].Spec: not an object");
    CHECK(node_error(R"({"ID":"a","Spec":{"Role":"boss"}})") ==
          "Nodes[0].Spec.Role: neither manager nor worker");
    CHECK(node_error(R"({"ID":"a","ManagerStatus":{"Leader":"yes"}})") ==
          "Nodes[0].ManagerStatus.Leader: not true or false");
    CHECK(node_error(R"({"ID":"a","UpdatedAt":"yesterday"})") ==
          "Nodes[0].UpdatedAt: not an RFC 3339 time");
    CHECK(node_error(R"({"ID":"a","Description":{"TLSInfo":{"TrustRoot":1}}})") ==
          "Nodes[0].Description.TLSInfo.TrustRoot: not a string");
    auto three_then_bad = parse_engine_nodes(
        R"([{"ID":"a"},{"ID":"b"},{"ID":"c"},{"ID":"d","Description":{"TLSInfo":{"CertIssuerPublicKey":"not*base64"}}}])");
    CHECK(three_then_bad.error == "Nodes[3].Description.TLSInfo.CertIssuerPublicKey: not base64");
    CHECK(
        node_error(
            R"({"ID":"a","Description":{"TLSInfo":{"CertIssuerSubject":"MBMxETAPBgNVBAMTCHN3YXJtLWN"}}})") ==
        "Nodes[0].Description.TLSInfo.CertIssuerSubject: not base64");
    CHECK(node_error("5") == "Nodes[0]: not an object");
    CHECK(parse_engine_nodes(R"({"ID":"a"})").error == "not a JSON array");
    CHECK(parse_engine_swarm("[]").error == "not a JSON object");
    CHECK(parse_engine_info("\"text\"").error == "not a JSON object");
    CHECK(parse_engine_info(R"({"Swarm":{"LocalNodeState":"sleeping"}})").error ==
          "Swarm.LocalNodeState: not inactive, pending, active, error or locked");
    CHECK(parse_engine_info(R"({"Swarm":{"Cluster":"x"}})").error ==
          "Swarm.Cluster: not an object");
    CHECK(parse_engine_version(R"({"ApiVersion":1.41})").error == "ApiVersion: not a string");
}

TEST_CASE("NodeCertExpiry and ForceRotate must be non-negative integers", "[engine-reply]") {
    auto swarm = [](const std::string& ca) {
        return parse_engine_swarm(R"({"ID":"c","Spec":{"CAConfig":)" + ca + "}}");
    };
    CHECK(swarm(R"({"NodeCertExpiry":-1})").error == "Spec.CAConfig.NodeCertExpiry: negative");
    CHECK(swarm(R"({"NodeCertExpiry":1.5})").error ==
          "Spec.CAConfig.NodeCertExpiry: not an integer");
    CHECK(swarm(R"({"NodeCertExpiry":"3h"})").error ==
          "Spec.CAConfig.NodeCertExpiry: not an integer");
    CHECK(swarm(R"({"NodeCertExpiry":1e30})").error ==
          "Spec.CAConfig.NodeCertExpiry: not an integer");
    CHECK(swarm(R"({"ForceRotate":-2})").error == "Spec.CAConfig.ForceRotate: negative");
    CHECK(swarm(R"({"ExternalCAs":{}})").error == "Spec.CAConfig.ExternalCAs: not an array");
    CHECK(swarm(R"({"ExternalCAs":[{"URL":7}]})").error ==
          "Spec.CAConfig.ExternalCAs[0].URL: not a string");
    auto fine = swarm(
        R"({"NodeCertExpiry":10800999999999,"ExternalCAs":[{"Protocol":"cfssl","URL":"https://ca","CACert":""}]})");
    REQUIRE(fine.value);
    CHECK(fine.value->ca_config.node_cert_expiry == Seconds{10800});  // fractions dropped
    REQUIRE(fine.value->ca_config.external_cas.size() == 1);
    CHECK(fine.value->ca_config.external_cas[0].protocol == "cfssl");
    CHECK(fine.value->ca_config.external_cas[0].url == "https://ca");
    auto null_list = swarm(R"({"ExternalCAs":null})");  // Go's nil slice
    REQUIRE(null_list.value);
    CHECK(null_list.value->ca_config.external_cas.empty());
}

TEST_CASE("bounds are kept before the reply is built", "[engine-reply]") {
    std::string deep(kMaxEngineJsonDepth, '[');
    deep += std::string(kMaxEngineJsonDepth, ']');
    CHECK(parse_engine_nodes(deep).error == "Nodes[0]: not an object");  // 32 levels: parsed
    std::string deeper = "[" + deep + "]";
    CHECK(parse_engine_nodes(deeper).error == "nested deeper than 32 levels");
    // A million open brackets cost one refusal at the 33rd, not a million-level DOM.
    CHECK(parse_engine_info(std::string(1'000'000, '[')).error == "nested deeper than 32 levels");
    CHECK(parse_engine_info(R"({"a":)" + std::string(40, '[')).error ==
          "nested deeper than 32 levels");

    std::string many = "[";
    for (std::size_t i = 0; i <= kMaxEngineNodes; ++i) many += i ? ",0" : "0";
    many += "]";
    CHECK(parse_engine_nodes(many).error == "more than 100000 nodes");

    std::string huge(kMaxEngineReplyBytes + 1, ' ');
    CHECK(parse_engine_info(huge).error == "reply of 67108865 bytes, over the 67108864-byte limit");
    CHECK(parse_engine_info(R"({"ServerVersion":"a","ServerVersion":"b"})").error ==
          "a member is repeated in one object");
}

TEST_CASE("a truncated or malformed reply is refused by position only", "[engine-reply]") {
    CHECK(parse_engine_info("").error == "not complete JSON: it ends after 0 bytes (truncated?)");
    CHECK(parse_engine_info(R"({"ServerVersion":"20.)").error ==
          "not complete JSON: it ends after 21 bytes (truncated?)");
    CHECK(parse_engine_info(R"({"ServerVersion" 1})").error == "not valid JSON at byte 18");
    CHECK(parse_engine_info(R"({"ServerVersion":"20.24"})").value);
    CHECK(parse_engine_info(R"({"ServerVersion":"20.24"}  )").value);
    CHECK(parse_engine_nodes("[{}]x").error == "not valid JSON at byte 5");
    CHECK(parse_engine_info(R"({"a":1)").error ==
          "not complete JSON: it ends after 6 bytes (truncated?)");
    CHECK(parse_engine_nodes("[1,").error ==
          "not complete JSON: it ends after 3 bytes (truncated?)");
}

TEST_CASE("no join-token secret reaches an error, however the /swarm reply is cut or bent",
          "[engine-reply]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    auto secrets = capture_secrets(*dir);
    REQUIRE(secrets.size() == 8);
    std::size_t refused = 0;
    auto check = [&](const std::string& body) {
        auto parsed = parse_engine_swarm(body);
        if (parsed.value) return;
        ++refused;
        for (const std::string& secret : secrets) {
            INFO(parsed.error);
            CHECK(parsed.error.find(secret) == std::string::npos);
            CHECK(parsed.error.find(secret.substr(0, 8)) == std::string::npos);
        }
    };
    for (const char* scenario : kEngineScenarios) {
        std::string body = engine_capture(*dir, scenario, "manager1", "swarm");
        for (std::size_t cut = 0; cut < body.size(); ++cut) check(body.substr(0, cut));
        // A stray byte in the middle of the token, and a token of the wrong type.
        std::size_t at = body.find("SWMTKN-1-");
        REQUIRE(at != std::string::npos);
        check(body.substr(0, at + 70) + "\"" + body.substr(at + 70));
        check(body.substr(0, at + 70) + "\x01" + body.substr(at + 70));
        std::string bent = body;
        bent.replace(at - 1, 1, "[");  // "Worker":[SWMTKN...
        check(bent);
    }
    CHECK(refused > 4 * 1500);
}

TEST_CASE("a malformed join token is kept as not well formed, without its text", "[engine-reply]") {
    auto parsed = parse_engine_swarm(
        R"({"ID":"c","JoinTokens":{"Worker":"SWMTKN-1-abc-def","Manager":""}})");
    REQUIRE(parsed.value);
    CHECK(parsed.value->worker_token.present);
    CHECK_FALSE(parsed.value->worker_token.well_formed);
    CHECK(parsed.value->worker_token.digest_base36 == "");
    CHECK_FALSE(parsed.value->manager_token.present);
    CHECK(parse_engine_swarm(R"({"ID":"c","JoinTokens":{"Worker":1}})").error ==
          "JoinTokens.Worker: not a string");
}

TEST_CASE("the local node state words round-trip", "[engine-reply]") {
    for (auto state : {EngineNodeState::inactive, EngineNodeState::pending, EngineNodeState::active,
                       EngineNodeState::error, EngineNodeState::locked})
        CHECK(parse_engine_node_state(to_string(state)) == state);
    CHECK_FALSE(parse_engine_node_state("Active"));
}
