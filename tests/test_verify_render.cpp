// pki/render/verify_render.cpp: the exact bytes of `verify`'s text and JSON for one refused pair.
#include "swarmpki/verify_render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace swarmpki;

namespace {

PeerMaterial node(const std::string& dir, const char* role) {
    PeerMaterial m;
    m.dir = dir;
    m.root_file_sha256 = std::string(64, '1');
    m.node_id = "n-" + dir;
    m.role = role;
    m.cluster_id = "c1";
    m.fips = false;
    return m;
}

VerifyResult refused_pair() {
    VerifyResult r;
    r.node = node("m1", "manager");
    r.peers.push_back(node("w1", "worker"));
    r.peers.back().cluster_id.reset();  // a peer whose leaf is not a swarm node's: nulls
    r.peers.back().fips.reset();
    PeerVerdict v;
    v.dir = "m1";
    v.peer_dir = "w1";
    v.checks.push_back({"m1", "w1", TlsRole::client, true, "", "", {"CN=w1", "CN=swarm-ca"}});
    v.checks.push_back({"w1", "m1", TlsRole::server, false, "expired", "the leaf expired", {}});
    v.severity = Severity::critical;
    r.verdicts.push_back(v);
    r.evaluated_at = *parse_rfc3339("2027-01-01T00:00:00Z");
    r.status = Severity::critical;
    return r;
}

}  // namespace

TEST_CASE("render_verify_text: a line a pair, a line a check, then the status", "[render]") {
    CHECK(render_verify_text(refused_pair()) ==
          "m1 <-> w1: REFUSED\n"
          "  m1 verifies w1 as client: ok\n"
          "  w1 verifies m1 as server: the leaf expired [expired]\n"
          "status: critical\n");
}

TEST_CASE("render_verify_json: swarmpki.verify/v1 with nulls for what a node lacks", "[render]") {
    std::string json = render_verify_json(refused_pair());
    CHECK(json.rfind("{\n  \"schema\": \"swarmpki.verify/v1\",\n  \"evaluated_at\": "
                     "\"2027-01-01T00:00:00Z\",\n  \"status\": \"critical\",\n  \"accepted\": "
                     "false,\n  \"node\": {\n    \"dir\": \"m1\",\n",
                     0) == 0);
    nlohmann::json doc = nlohmann::json::parse(json);
    CHECK(doc["node"] == nlohmann::json({{"dir", "m1"},
                                         {"node_id", "n-m1"},
                                         {"role", "manager"},
                                         {"cluster_id", "c1"},
                                         {"fips", false},
                                         {"root_file_sha256", std::string(64, '1')}}));
    const auto& peer = doc["peers"][0];
    CHECK(peer["node"]["cluster_id"].is_null());
    CHECK(peer["node"]["fips"].is_null());
    CHECK(peer["accepted"] == false);
    CHECK(peer["checks"][0] == nlohmann::json({{"verifier", "m1"},
                                               {"presenter", "w1"},
                                               {"presenter_role", "client"},
                                               {"accepted", true},
                                               {"code", nullptr},
                                               {"reason", nullptr},
                                               {"path", {"CN=w1", "CN=swarm-ca"}}}));
    CHECK(peer["checks"][1]["code"] == "expired");
    CHECK(peer["checks"][1]["reason"] == "the leaf expired");
}
