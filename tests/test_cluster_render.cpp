// The four renderings of a ClusterReport (cluster_render.hpp): the swarmpki.cluster/v1 members
// in SPEC section 9's order with nulls for what the engine did not give, the text table, the
// Prometheus families (exact text, and promtool), the Nagios line. Every report here is built by
// hand from the engine-api fixtures' values (IDs, digests, lifetimes), so these tests pin the
// rendering alone, whatever build_cluster_report decides.
#include "support.hpp"
#include "swarmpki/cluster_render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

#include <sys/wait.h>

using namespace swarmpki;
using ordered_json = nlohmann::ordered_json;

namespace {

constexpr const char* kClusterId = "qlqh72pgzz9anas0okg37ohut";
constexpr const char* kManager1 = "30p93im1v3drfo09h69zoahb7";
constexpr const char* kWorker1 = "y7ptmpaut5ge7aajs8i8q81zp";
constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";
constexpr const char* kOldKey = "e3e222614f8e888e7c0176d03e8bc62e594bfe308837c7bc81967336f648b30d";
constexpr const char* kNewKey = "d68f033cc814d1c1d089fcd10ef31be1c1c7a92cba53a4f84314c5fb8c5f401f";
constexpr const char* kOldRootFile =
    "64bb43c8cd2e91f14e38505fd3f93dfcf2dd4d471330657efd233fe8683cf63d";
constexpr const char* kNewRootFile =
    "2fed3df8fab150950dcd96469b69cf3d7f465af02375ca238a5c368828133130";
constexpr const char* kOldDigest = "2idrohhim5k3zbcvarzzfrb2s7oc3506d7c7jfaw2jy4ogax4t";
constexpr const char* kNewDigest = "1703ma8fehw3fyunxt7f36hvlmkhsq95oqs45fw5uh1ipi7p68";
constexpr const char* kLeafPath = "/var/lib/docker/swarm/certificates/swarm-node.crt";

Instant at(const char* text) { return *parse_rfc3339(text); }

ClusterNode node(const char* id, const char* hostname, NodeRole role, const char* issuer_key,
                 const char* root_file) {
    ClusterNode n;
    n.id = id;
    n.hostname = hostname;
    n.role = role;
    n.availability = "active";
    n.state = "ready";
    n.engine_version = "20.10.24+dfsg1";
    n.tls_status = TlsStatus::ready;
    n.issuer_public_key_sha256 = issuer_key;
    n.trust_root_sha256 = root_file;
    n.converged = true;
    return n;
}

ClusterTrustRoot root(const char* key, const char* not_after, const char* file,
                      const char* digest) {
    return {"CN=swarm-ca", key, "ecdsa-p256", at(not_after), file, digest};
}

// fixtures/engine-api/healthy: swarm init, two workers joined, the default 2160h.
ClusterReport healthy() {
    ClusterReport r;
    r.evaluated_at = at("2026-12-01T18:56:31Z");
    r.status = Severity::ok;
    r.engine = {"unix:///var/run/docker.sock", "1.41", "20.10.24+dfsg1"};
    ClusterFacts& c = r.cluster;
    c.id = kClusterId;
    c.cert_expiry = std::chrono::hours(2160);
    c.trust_root = root(kOldKey, "2046-11-26T18:51:00Z", kOldRootFile, kOldDigest);
    c.desired_issuer = {"CN=swarm-ca", kOldKey};
    c.rotation = {false, 3, 3, {}, std::nullopt};
    c.worker_token = {kOldDigest, true};
    c.manager_token = {kOldDigest, true};
    c.cert_expiry_applied = CertExpiryApplied{kLeafPath, std::chrono::hours(2161), true};
    r.nodes = {node(kManager1, "manager1", NodeRole::manager, kOldKey, kOldRootFile),
               node(kWorker1, "worker1", NodeRole::worker, kOldKey, kOldRootFile),
               node(kWorker2, "worker2", NodeRole::worker, kOldKey, kOldRootFile)};
    r.nodes[0].leader = true;
    return r;
}

// fixtures/engine-api/rotation-blocked: worker2 stopped, then `docker swarm ca --rotate
// --detach` with the 3h setting; manager1 and worker1 re-issued, worker2 holds it forever.
ClusterReport blocked() {
    ClusterReport r = healthy();
    r.evaluated_at = at("2026-12-01T18:57:03Z");
    r.status = Severity::critical;
    ClusterFacts& c = r.cluster;
    c.cert_expiry = std::chrono::hours(3);
    c.force_rotate = 1;
    c.desired_issuer = {"CN=swarm-ca", kNewKey};
    c.rotation = {true, 2, 3, {kWorker2}, std::nullopt};
    c.cert_expiry_applied = CertExpiryApplied{kLeafPath, std::chrono::hours(4), true};
    r.nodes[0].issuer_public_key_sha256 = kNewKey;
    r.nodes[1].issuer_public_key_sha256 = kNewKey;
    ClusterNode& w2 = r.nodes[2];
    w2.state = "down";
    w2.tls_status = TlsStatus::needs_rotation;
    w2.converged = false;
    w2.blocking_rotation = true;
    w2.reason =
        "down since 2026-12-01T18:56:46Z: a down node never renews; bring it back, or docker node "
        "rm kjlnisi3uorlqb4epqlj8pvvl (it must then rejoin with the new token)";
    r.findings = {
        {Severity::warning, "node-down",
         "worker2 (kjlnisi3uorlqb4epqlj8pvvl) is down since 2026-12-01T18:56:46Z: heartbeat "
         "failure",
         "start its engine, or docker node rm kjlnisi3uorlqb4epqlj8pvvl if it is gone"},
        {Severity::critical, "rotation-blocked",
         "the CA rotation waits for 1 node that is down and never finishes by itself: "
         "kjlnisi3uorlqb4epqlj8pvvl (worker2)",
         "bring it back, or docker node rm kjlnisi3uorlqb4epqlj8pvvl: it must then rejoin with "
         "the new token"}};
    return r;
}

// fixtures/engine-api/rotation-finished-after-rm: worker2 removed, the new root is the trust
// root, new join tokens.
ClusterReport finished() {
    ClusterReport r = blocked();
    r.evaluated_at = at("2026-12-01T18:56:54Z");
    r.status = Severity::ok;
    ClusterFacts& c = r.cluster;
    c.trust_root = root(kNewKey, "2046-11-26T18:52:00Z", kNewRootFile, kNewDigest);
    c.rotation = {false, 2, 2, {}, std::nullopt};
    c.worker_token = {kNewDigest, true};
    c.manager_token = {kNewDigest, true};
    r.nodes.pop_back();
    for (ClusterNode& n : r.nodes) n.trust_root_sha256 = kNewRootFile;
    r.findings.clear();
    return r;
}

// fixtures/engine-api/cert-expiry-changed: 3h configured, the manager's leaf still 2161h.
ClusterReport not_applied() {
    ClusterReport r = healthy();
    r.evaluated_at = at("2026-12-01T18:57:00Z");
    r.status = Severity::warning;
    r.cluster.cert_expiry = std::chrono::hours(3);
    r.cluster.cert_expiry_applied->applied = false;
    r.findings = {{Severity::warning, "cert-expiry-not-applied",
                   "cert-expiry is 3h but this manager's leaf has 2161h: the signer is stale",
                   "docker swarm ca --rotate, restart the leader's engine, or change the leader"}};
    return r;
}

// What an engine that gives little looks like: no cert-expiry, a TrustRoot that did not parse,
// a node of an old engine that reports no TLS information, no leaf read here.
ClusterReport sparse() {
    ClusterReport r;
    r.evaluated_at = at("2026-12-01T18:56:31Z");
    r.status = Severity::warning;
    r.engine.host = "unix:///run/docker.sock";
    r.cluster.id = kClusterId;
    ClusterNode n;
    n.id = kWorker1;
    n.hostname = "worker1";
    n.availability = "drain";
    n.state = "unknown";
    r.nodes = {n};
    r.cluster.rotation.total = 1;
    r.cluster.external_cas = {{"cfssl", "https://ca.example:8888/sign", ""}};
    return r;
}

std::vector<std::string> keys(const ordered_json& object) {
    std::vector<std::string> out;
    for (const auto& item : object.items()) out.push_back(item.key());
    return out;
}

using Keys = std::vector<std::string>;

bool promtool_available() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

// promtool's verdict on `text`: empty when clean, else what it said.
std::string promtool_problems(const std::string& text) {
    swarmpki::test::TempDir tmp;
    swarmpki::test::write_text(tmp / "cluster.prom", text);
    std::string report = (tmp / "promtool.out").string();
    int status = std::system(("promtool check metrics < '" + (tmp / "cluster.prom").string() +
                              "' > '" + report + "' 2>&1")
                                 .c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    std::string said = swarmpki::test::read_text(report);
    return said.empty() ? "promtool failed" : said;
}

}  // namespace

TEST_CASE("cluster JSON writes SPEC section 9's members in its order", "[cluster][render]") {
    ordered_json j = ordered_json::parse(render_cluster_json(healthy()));
    CHECK(keys(j) ==
          Keys{"schema", "evaluated_at", "status", "engine", "cluster", "nodes", "findings"});
    CHECK(j["schema"] == "swarmpki.cluster/v1");
    CHECK(j["evaluated_at"] == "2026-12-01T18:56:31Z");
    CHECK(j["status"] == "ok");
    CHECK(keys(j["engine"]) == Keys{"host", "api_version", "server_version"});
    CHECK(j["engine"]["host"] == "unix:///var/run/docker.sock");
    CHECK(j["engine"]["api_version"] == "1.41");
    CHECK(j["engine"]["server_version"] == "20.10.24+dfsg1");

    const ordered_json& c = j["cluster"];
    CHECK(keys(c) == Keys{"id", "cert_expiry_seconds", "force_rotate", "external_cas", "trust_root",
                          "desired_issuer", "rotation", "join_tokens", "cert_expiry_applied"});
    CHECK(c["id"] == kClusterId);
    CHECK(c["cert_expiry_seconds"] == 7776000);
    CHECK(c["force_rotate"] == 0);
    CHECK(c["external_cas"] == ordered_json::array());
    CHECK(keys(c["trust_root"]) == Keys{"subject", "public_key_sha256", "not_after", "key_type",
                                        "root_file_sha256", "join_token_digest"});
    CHECK(c["trust_root"]["subject"] == "CN=swarm-ca");
    CHECK(c["trust_root"]["public_key_sha256"] == kOldKey);
    CHECK(c["trust_root"]["not_after"] == "2046-11-26T18:51:00Z");
    CHECK(c["trust_root"]["key_type"] == "ecdsa-p256");
    CHECK(c["trust_root"]["root_file_sha256"] == kOldRootFile);
    CHECK(c["trust_root"]["join_token_digest"] == kOldDigest);
    CHECK(keys(c["desired_issuer"]) == Keys{"subject", "public_key_sha256"});
    CHECK(c["desired_issuer"]["public_key_sha256"] == kOldKey);
    CHECK(keys(c["rotation"]) ==
          Keys{"in_progress", "converged", "total", "blocked_by", "estimated_engine_seconds"});
    CHECK(c["rotation"]["in_progress"] == false);
    CHECK(c["rotation"]["converged"] == 3);
    CHECK(c["rotation"]["total"] == 3);
    CHECK(c["rotation"]["blocked_by"] == ordered_json::array());
    CHECK(c["rotation"]["estimated_engine_seconds"].is_null());
    CHECK(keys(c["join_tokens"]) == Keys{"worker", "manager"});
    for (const char* role : {"worker", "manager"}) {
        INFO(role);
        CHECK(keys(c["join_tokens"][role]) == Keys{"digest_base36", "pins_trust_root"});
        CHECK(c["join_tokens"][role]["digest_base36"] == kOldDigest);
        CHECK(c["join_tokens"][role]["pins_trust_root"] == true);
    }
    CHECK(keys(c["cert_expiry_applied"]) == Keys{"leaf_path", "leaf_lifetime_seconds", "applied"});
    CHECK(c["cert_expiry_applied"]["leaf_path"] == kLeafPath);
    CHECK(c["cert_expiry_applied"]["leaf_lifetime_seconds"] == 7779600);
    CHECK(c["cert_expiry_applied"]["applied"] == true);

    REQUIRE(j["nodes"].size() == 3);
    const ordered_json& m = j["nodes"][0];
    CHECK(keys(m) == Keys{"id", "hostname", "role", "availability", "state", "leader",
                          "engine_version", "tls_status", "issuer_public_key_sha256",
                          "trust_root_sha256", "converged", "blocking_rotation", "reason"});
    CHECK(m["id"] == kManager1);
    CHECK(m["hostname"] == "manager1");
    CHECK(m["role"] == "manager");
    CHECK(m["availability"] == "active");
    CHECK(m["state"] == "ready");
    CHECK(m["leader"] == true);
    CHECK(m["engine_version"] == "20.10.24+dfsg1");
    CHECK(m["tls_status"] == "ready");
    CHECK(m["issuer_public_key_sha256"] == kOldKey);
    CHECK(m["trust_root_sha256"] == kOldRootFile);
    CHECK(m["converged"] == true);
    CHECK(m["blocking_rotation"] == false);
    CHECK(m["reason"].is_null());
    CHECK(j["nodes"][1]["leader"] == false);
    CHECK(j["nodes"][2]["id"] == kWorker2);
    CHECK(j["findings"] == ordered_json::array());
}

TEST_CASE("cluster JSON of a blocked rotation names the blocker and writes findings as inspect",
          "[cluster][render]") {
    ordered_json j = ordered_json::parse(render_cluster_json(blocked()));
    CHECK(j["status"] == "critical");
    const ordered_json& c = j["cluster"];
    CHECK(c["cert_expiry_seconds"] == 10800);
    CHECK(c["force_rotate"] == 1);
    CHECK(c["trust_root"]["public_key_sha256"] == kOldKey);  // the old root until it finishes
    CHECK(c["desired_issuer"]["public_key_sha256"] == kNewKey);
    CHECK(c["rotation"]["in_progress"] == true);
    CHECK(c["rotation"]["converged"] == 2);
    CHECK(c["rotation"]["total"] == 3);
    CHECK(c["rotation"]["blocked_by"] == ordered_json::array({kWorker2}));
    CHECK(c["rotation"]["estimated_engine_seconds"].is_null());
    const ordered_json& w2 = j["nodes"][2];
    CHECK(w2["state"] == "down");
    CHECK(w2["tls_status"] == "needs-rotation");
    CHECK(w2["converged"] == false);
    CHECK(w2["blocking_rotation"] == true);
    CHECK(w2["reason"] ==
          "down since 2026-12-01T18:56:46Z: a down node never renews; bring it back, or docker "
          "node rm kjlnisi3uorlqb4epqlj8pvvl (it must then rejoin with the new token)");
    REQUIRE(j["findings"].size() == 2);
    const ordered_json& f = j["findings"][1];
    CHECK(keys(f) == Keys{"severity", "code", "message", "remedy"});
    CHECK(f["severity"] == "critical");
    CHECK(f["code"] == "rotation-blocked");
    CHECK(f["remedy"] == "bring it back, or docker node rm kjlnisi3uorlqb4epqlj8pvvl: it must "
                         "then rejoin with the new token");
    CHECK(j["findings"][0]["code"] == "node-down");
}

TEST_CASE("cluster JSON writes the engine's estimate and null for what was not given",
          "[cluster][render]") {
    ClusterReport in_flight = blocked();
    in_flight.cluster.rotation.blocked_by.clear();
    in_flight.cluster.rotation.estimated_engine_seconds = 3.15;
    ordered_json e = ordered_json::parse(render_cluster_json(in_flight));
    CHECK(e["cluster"]["rotation"]["estimated_engine_seconds"] == 3.15);

    ordered_json j = ordered_json::parse(render_cluster_json(sparse()));
    CHECK(j["engine"]["api_version"].is_null());
    CHECK(j["engine"]["server_version"].is_null());
    const ordered_json& c = j["cluster"];
    CHECK(c["cert_expiry_seconds"].is_null());
    CHECK(c["external_cas"] == ordered_json::parse(R"([{"protocol": "cfssl", "url":
              "https://ca.example:8888/sign", "ca_cert_sha256": null}])"));
    for (const char* member : {"subject", "public_key_sha256", "not_after", "key_type",
                               "root_file_sha256", "join_token_digest"}) {
        INFO(member);
        CHECK(c["trust_root"][member].is_null());
    }
    CHECK(c["desired_issuer"]["subject"].is_null());
    CHECK(c["desired_issuer"]["public_key_sha256"].is_null());
    CHECK(c["join_tokens"]["worker"]["digest_base36"].is_null());
    CHECK(c["join_tokens"]["worker"]["pins_trust_root"] == false);
    CHECK(c["cert_expiry_applied"].is_null());
    const ordered_json& n = j["nodes"][0];
    CHECK(n["role"].is_null());
    CHECK(n["engine_version"].is_null());
    CHECK(n["tls_status"] == "unknown");
    CHECK(n["issuer_public_key_sha256"].is_null());
    CHECK(n["trust_root_sha256"].is_null());
    CHECK(n["availability"] == "drain");
    CHECK(n["state"] == "unknown");
}

TEST_CASE("cluster text of a healthy swarm", "[cluster][render]") {
    CHECK(
        render_cluster_text(healthy(), TextColor::no) ==
        "cluster qlqh72pgzz9anas0okg37ohut  OK\n"
        "  engine      unix:///var/run/docker.sock (Docker 20.10.24+dfsg1, API 1.41)\n"
        "  trust root  CN=swarm-ca, ecdsa-p256, until 2046-11-26T18:51:00Z (in 19 years)\n"
        "  cert-expiry 2160h (applied: leaf 2161h)\n"
        "  rotation    none in progress\n"
        "  join tokens worker pins the trust root, manager pins the trust root\n"
        "  nodes       3: 3 ready, 0 needs-rotation, 0 unknown; 0 down\n"
        "\n"
        "  ID                         HOSTNAME  ROLE              STATE  AVAILABILITY  TLS STATUS\n"
        "  30p93im1v3drfo09h69zoahb7  manager1  manager (leader)  ready  active        ready\n"
        "  y7ptmpaut5ge7aajs8i8q81zp  worker1   worker            ready  active        ready\n"
        "  kjlnisi3uorlqb4epqlj8pvvl  worker2   worker            ready  active        ready\n"
        "\n"
        "  findings    none\n"
        "\n"
        "evaluated at 2026-12-01T18:56:31Z\n");
}

TEST_CASE("cluster text of a blocked rotation says why under the node and what to do",
          "[cluster][render]") {
    CHECK(
        render_cluster_text(blocked(), TextColor::no) ==
        "cluster qlqh72pgzz9anas0okg37ohut  CRITICAL\n"
        "  engine      unix:///var/run/docker.sock (Docker 20.10.24+dfsg1, API 1.41)\n"
        "  trust root  CN=swarm-ca, ecdsa-p256, until 2046-11-26T18:51:00Z (in 19 years)\n"
        "  cert-expiry 3h (applied: leaf 4h)\n"
        "  rotation    in progress, 2/3 nodes converged, blocked by 1 node (it never finishes "
        "by itself)\n"
        "  join tokens worker pins the trust root, manager pins the trust root\n"
        "  nodes       3: 2 ready, 1 needs-rotation, 0 unknown; 1 down\n"
        "\n"
        "  ID                         HOSTNAME  ROLE              STATE  AVAILABILITY  TLS STATUS\n"
        "  30p93im1v3drfo09h69zoahb7  manager1  manager (leader)  ready  active        ready\n"
        "  y7ptmpaut5ge7aajs8i8q81zp  worker1   worker            ready  active        ready\n"
        "  kjlnisi3uorlqb4epqlj8pvvl  worker2   worker            down   active        "
        "needs-rotation\n"
        "                             ↳ down since 2026-12-01T18:56:46Z: a down node never "
        "renews; bring it back, or docker node rm kjlnisi3uorlqb4epqlj8pvvl (it must then "
        "rejoin with the new token)\n"
        "\n"
        "  findings    critical rotation-blocked: the CA rotation waits for 1 node that is "
        "down and never finishes by itself: kjlnisi3uorlqb4epqlj8pvvl (worker2)\n"
        "                       → bring it back, or docker node rm kjlnisi3uorlqb4epqlj8pvvl: "
        "it must then rejoin with the new token\n"
        "              warning  node-down: worker2 (kjlnisi3uorlqb4epqlj8pvvl) is down since "
        "2026-12-01T18:56:46Z: heartbeat failure\n"
        "                       → start its engine, or docker node rm "
        "kjlnisi3uorlqb4epqlj8pvvl if it is gone\n"
        "\n"
        "evaluated at 2026-12-01T18:57:03Z\n");
}

TEST_CASE("cluster text says when the configured cert-expiry is not applied", "[cluster][render]") {
    std::string text = render_cluster_text(not_applied(), TextColor::no);
    CHECK(text.find("\n  cert-expiry 3h (NOT applied: this manager's leaf has 2161h, not 4h; the "
                    "signer is stale, see findings)\n") != std::string::npos);
    ClusterReport unread = not_applied();
    unread.cluster.cert_expiry_applied.reset();
    CHECK(render_cluster_text(unread, TextColor::no)
              .find("\n  cert-expiry 3h (applied: unknown, this manager's certificate could not "
                    "be read)\n") != std::string::npos);
    unread.cluster.cert_expiry.reset();
    CHECK(render_cluster_text(unread, TextColor::no)
              .find("\n  cert-expiry not reported by the engine\n") != std::string::npos);
}

TEST_CASE("cluster text colours only when asked, and never passes an engine's escapes through",
          "[cluster][render]") {
    ClusterReport r = blocked();
    r.nodes[1].hostname = "evil\x1b]0;owned\x07\xff";
    std::string plain = render_cluster_text(r, TextColor::no);
    CHECK(plain.find('\x1b') == std::string::npos);
    CHECK(plain.find("evil?]0;owned?\xef\xbf\xbd ") != std::string::npos);
    std::string colour = render_cluster_text(r, TextColor::yes);
    CHECK(colour.find("\x1b[1;31mCRITICAL\x1b[0m") != std::string::npos);
    CHECK(colour.find("\x1b[33mdown   \x1b[0m") != std::string::npos);
    CHECK(colour.find("\x1b[1;31mneeds-rotation\x1b[0m") != std::string::npos);
    // The escapes colour adds are the only ones: the hostname's ESC stays replaced.
    CHECK(colour.find("evil\x1b") == std::string::npos);
}

TEST_CASE("cluster Prometheus families of a blocked rotation, exactly", "[cluster][render]") {
    const std::string id = "{cluster_id=\"qlqh72pgzz9anas0okg37ohut\"}";
    const std::string info_labels =
        ",availability=\"active\",state=\"ready\",tls_status=\"ready\",leader=\"false\","
        "engine_version=\"20.10.24+dfsg1\"} 1\n";
    CHECK(render_cluster_prometheus(blocked()) ==
          "# HELP swarmpki_cluster_nodes Nodes of the swarm by role, engine state and TLS status "
          "(the docker CLI's rule).\n"
          "# TYPE swarmpki_cluster_nodes gauge\n"
          "swarmpki_cluster_nodes{role=\"manager\",state=\"ready\",tls_status=\"ready\"} 1\n"
          "swarmpki_cluster_nodes{role=\"worker\",state=\"down\",tls_status=\"needs-rotation\"} 1\n"
          "swarmpki_cluster_nodes{role=\"worker\",state=\"ready\",tls_status=\"ready\"} 1\n"
          "# HELP swarmpki_cluster_node_info One series per node with its identity and state as "
          "labels; always 1.\n"
          "# TYPE swarmpki_cluster_node_info gauge\n"
          "swarmpki_cluster_node_info{cluster_id=\"qlqh72pgzz9anas0okg37ohut\",node_id="
          "\"30p93im1v3drfo09h69zoahb7\",hostname=\"manager1\",role=\"manager\",availability="
          "\"active\",state=\"ready\",tls_status=\"ready\",leader=\"true\",engine_version="
          "\"20.10.24+dfsg1\"} 1\n"
          "swarmpki_cluster_node_info{cluster_id=\"qlqh72pgzz9anas0okg37ohut\",node_id="
          "\"y7ptmpaut5ge7aajs8i8q81zp\",hostname=\"worker1\",role=\"worker\"" +
              info_labels +
              "swarmpki_cluster_node_info{cluster_id=\"qlqh72pgzz9anas0okg37ohut\",node_id="
              "\"kjlnisi3uorlqb4epqlj8pvvl\",hostname=\"worker2\",role=\"worker\",availability="
              "\"active\",state=\"down\",tls_status=\"needs-rotation\",leader=\"false\","
              "engine_version=\"20.10.24+dfsg1\"} 1\n"
              "# HELP swarmpki_cluster_node_converged 1 when the node reports the desired issuer "
              "(the reconciler's rule), else 0.\n"
              "# TYPE swarmpki_cluster_node_converged gauge\n"
              "swarmpki_cluster_node_converged{cluster_id=\"qlqh72pgzz9anas0okg37ohut\",node_id="
              "\"30p93im1v3drfo09h69zoahb7\"} 1\n"
              "swarmpki_cluster_node_converged{cluster_id=\"qlqh72pgzz9anas0okg37ohut\",node_id="
              "\"y7ptmpaut5ge7aajs8i8q81zp\"} 1\n"
              "swarmpki_cluster_node_converged{cluster_id=\"qlqh72pgzz9anas0okg37ohut\",node_id="
              "\"kjlnisi3uorlqb4epqlj8pvvl\"} 0\n"
              "# HELP swarmpki_cluster_node_blocking_rotation 1 when a CA rotation is in "
              "progress and waits for this node, else 0.\n"
              "# TYPE swarmpki_cluster_node_blocking_rotation gauge\n"
              "swarmpki_cluster_node_blocking_rotation{cluster_id=\"qlqh72pgzz9anas0okg37ohut\","
              "node_id=\"30p93im1v3drfo09h69zoahb7\"} 0\n"
              "swarmpki_cluster_node_blocking_rotation{cluster_id=\"qlqh72pgzz9anas0okg37ohut\","
              "node_id=\"y7ptmpaut5ge7aajs8i8q81zp\"} 0\n"
              "swarmpki_cluster_node_blocking_rotation{cluster_id=\"qlqh72pgzz9anas0okg37ohut\","
              "node_id=\"kjlnisi3uorlqb4epqlj8pvvl\"} 1\n"
              "# HELP swarmpki_cluster_rotation_in_progress 1 while the engine reports a CA "
              "rotation in progress, else 0.\n"
              "# TYPE swarmpki_cluster_rotation_in_progress gauge\n"
              "swarmpki_cluster_rotation_in_progress" +
              id +
              " 1\n"
              "# HELP swarmpki_cluster_rotation_converged_nodes Nodes that report the desired "
              "issuer (the new root during a rotation).\n"
              "# TYPE swarmpki_cluster_rotation_converged_nodes gauge\n"
              "swarmpki_cluster_rotation_converged_nodes" +
              id +
              " 2\n"
              "# HELP swarmpki_cluster_rotation_total_nodes Nodes the rotation has to converge.\n"
              "# TYPE swarmpki_cluster_rotation_total_nodes gauge\n"
              "swarmpki_cluster_rotation_total_nodes" +
              id +
              " 3\n"
              "# HELP swarmpki_cluster_rotation_blocking_nodes Nodes the in-progress CA rotation "
              "waits for; while one of them cannot converge by itself the estimate has no "
              "sample.\n"
              "# TYPE swarmpki_cluster_rotation_blocking_nodes gauge\n"
              "swarmpki_cluster_rotation_blocking_nodes" +
              id +
              " 1\n"
              "# HELP swarmpki_cluster_rotation_estimated_engine_seconds The engine's remaining "
              "time for the rotation by its own pacing (3 s ticks, 30 nodes a tick); no sample "
              "when blocked or when no rotation is in progress.\n"
              "# TYPE swarmpki_cluster_rotation_estimated_engine_seconds gauge\n"
              "# HELP swarmpki_cluster_cert_expiry_seconds The configured node certificate "
              "lifetime (Spec.CAConfig.NodeCertExpiry).\n"
              "# TYPE swarmpki_cluster_cert_expiry_seconds gauge\n"
              "swarmpki_cluster_cert_expiry_seconds 10800\n"
              "# HELP swarmpki_cluster_cert_expiry_applied 1 when this manager's leaf lifetime is "
              "the configured cert-expiry plus the 1 h backdate, 0 when it is not (a stale "
              "signer); no sample when the leaf was not read.\n"
              "# TYPE swarmpki_cluster_cert_expiry_applied gauge\n"
              "swarmpki_cluster_cert_expiry_applied 1\n"
              "# HELP swarmpki_cluster_join_token_pins_root 1 when the role's join token carries "
              "the trust root's digest, else 0.\n"
              "# TYPE swarmpki_cluster_join_token_pins_root gauge\n"
              "swarmpki_cluster_join_token_pins_root{role=\"worker\"} 1\n"
              "swarmpki_cluster_join_token_pins_root{role=\"manager\"} 1\n"
              "# HELP swarmpki_cluster_trust_root_not_after_timestamp_seconds NotAfter of the "
              "cluster's trust root as a Unix timestamp.\n"
              "# TYPE swarmpki_cluster_trust_root_not_after_timestamp_seconds gauge\n"
              "swarmpki_cluster_trust_root_not_after_timestamp_seconds 2426871060\n"
              "# HELP swarmpki_cluster_findings Findings of the cluster report by code and "
              "severity.\n"
              "# TYPE swarmpki_cluster_findings gauge\n"
              "swarmpki_cluster_findings{code=\"node-down\",severity=\"warning\"} 1\n"
              "swarmpki_cluster_findings{code=\"rotation-blocked\",severity=\"critical\"} 1\n"
              "# HELP swarmpki_cluster_status Worst severity of the cluster report as its exit "
              "code: 0 ok, 1 warning, 2 critical, 3 unknown.\n"
              "# TYPE swarmpki_cluster_status gauge\n"
              "swarmpki_cluster_status 2\n"
              "# HELP swarmpki_cluster_evaluated_at_timestamp_seconds The instant the cluster "
              "report was evaluated at, as a Unix timestamp.\n"
              "# TYPE swarmpki_cluster_evaluated_at_timestamp_seconds gauge\n"
              "swarmpki_cluster_evaluated_at_timestamp_seconds 1796151423\n");
}

TEST_CASE("cluster Prometheus output passes promtool and escapes label values",
          "[cluster][render]") {
    ClusterReport hostile = sparse();
    hostile.nodes[0].hostname = "a\"b\\c\nd";
    std::string text = render_cluster_prometheus(hostile);
    CHECK(text.find("hostname=\"a\\\"b\\\\c\\nd\"") != std::string::npos);
    // No sample for what the engine did not give: the families stay, the series do not.
    CHECK(text.find("\nswarmpki_cluster_cert_expiry_seconds ") == std::string::npos);
    CHECK(text.find("\nswarmpki_cluster_cert_expiry_applied ") == std::string::npos);
    CHECK(text.find("\nswarmpki_cluster_trust_root_not_after_timestamp_seconds ") ==
          std::string::npos);
    CHECK(text.find("swarmpki_cluster_nodes{role=\"\",state=\"unknown\",tls_status=\"unknown\"} "
                    "1\n") != std::string::npos);
    ClusterReport estimating = blocked();
    estimating.cluster.rotation.blocked_by.clear();
    estimating.cluster.rotation.estimated_engine_seconds = 3.15;
    CHECK(render_cluster_prometheus(estimating)
              .find("\nswarmpki_cluster_rotation_estimated_engine_seconds{cluster_id="
                    "\"qlqh72pgzz9anas0okg37ohut\"} 3.15\n") != std::string::npos);
    if (!promtool_available()) {
        WARN("promtool not on PATH (Debian package prometheus): skipping promtool check metrics");
        return;
    }
    for (const ClusterReport& r :
         {healthy(), blocked(), finished(), not_applied(), sparse(), hostile, estimating}) {
        std::string metrics = render_cluster_prometheus(r);
        INFO(metrics);
        CHECK(promtool_problems(metrics) == "");
    }
}

TEST_CASE("cluster Nagios line: word and exit code from the status, perfdata by the guidelines",
          "[cluster][render]") {
    NagiosOutput ok = render_cluster_nagios(healthy());
    CHECK(ok.exit_code == ExitCode::ok);
    CHECK(ok.line ==
          "SWARMPKI CLUSTER OK - cluster qlqh72pgzz9anas0okg37ohut: 3 nodes, 3 ready; no "
          "rotation | 'nodes'=3;;;0 'ready'=3;;;0 'needs_rotation'=0;;;0 'unknown'=0;;;0 "
          "'down'=0;1;;0 'converged'=3;;;0;3 'blocking'=0;;;0\n");
    NagiosOutput critical = render_cluster_nagios(blocked());
    CHECK(critical.exit_code == ExitCode::critical);
    CHECK(critical.line ==
          "SWARMPKI CLUSTER CRITICAL - cluster qlqh72pgzz9anas0okg37ohut: 3 nodes, 2 ready, 1 "
          "needs-rotation, 1 down; rotation 2/3 converged, blocked by 1 node "
          "(kjlnisi3uorlqb4epqlj8pvvl); node-down, rotation-blocked | 'nodes'=3;;;0 "
          "'ready'=2;;;0 'needs_rotation'=1;;;0 'unknown'=0;;;0 'down'=1;1;;0 "
          "'converged'=2;;;0;3 'blocking'=1;;;0\n");
    NagiosOutput warning = render_cluster_nagios(not_applied());
    CHECK(warning.exit_code == ExitCode::warning);
    CHECK(warning.line.rfind("SWARMPKI CLUSTER WARNING - ", 0) == 0);
    CHECK(warning.line.find("; no rotation; cert-expiry-not-applied | ") != std::string::npos);
}

TEST_CASE("cluster Nagios line stays one line whatever the engine says", "[cluster][render]") {
    for (Severity s : {Severity::ok, Severity::notice, Severity::warning, Severity::critical,
                       Severity::unknown}) {
        ClusterReport r = sparse();
        r.status = s;
        r.cluster.id = "x|y\nz";
        NagiosOutput out = render_cluster_nagios(r);
        INFO(out.line);
        CHECK(out.exit_code == exit_code_for(s));
        CHECK(out.line.rfind("SWARMPKI CLUSTER " + std::string(nagios_word(s)) + " - ", 0) == 0);
        CHECK(out.line.find('\n') == out.line.size() - 1);
        CHECK(std::count(out.line.begin(), out.line.end(), '|') == 1);
    }
}

TEST_CASE("a rotation on its way is not called blocked, however many nodes it waits for",
          "[cluster][render]") {
    ClusterReport r = blocked();
    r.status = Severity::info;
    ClusterNode& w2 = r.nodes[2];
    w2.state = "ready";
    w2.reason = "still on the old root";
    r.cluster.rotation.estimated_engine_seconds = 3.15;  // blocked_by still names worker2
    r.findings = {{Severity::info, "rotation-in-progress", "CA rotation in progress", ""}};
    std::string text = render_cluster_text(r, TextColor::no);
    CHECK(text.find("\n  rotation    in progress, 2/3 nodes converged, about 4s left by the "
                    "engine's pacing\n") != std::string::npos);
    CHECK(text.find("blocked") == std::string::npos);
    CHECK(text.find("\n                             ↳ still on the old root\n") !=
          std::string::npos);
    std::string colour = render_cluster_text(r, TextColor::yes);
    CHECK(colour.find("\x1b[33mneeds-rotation\x1b[0m") != std::string::npos);  // not critical
    NagiosOutput out = render_cluster_nagios(r);
    CHECK(out.exit_code == ExitCode::ok);
    CHECK(out.line.find("; rotation 2/3 converged, about 4s left | ") != std::string::npos);
}

TEST_CASE("cluster Nagios names at most three blockers", "[cluster][render]") {
    ClusterReport r = blocked();
    r.cluster.rotation.blocked_by = {"a", "b", "c", "d"};
    CHECK(render_cluster_nagios(r).line.find("blocked by 4 nodes (a, b, c, …); ") !=
          std::string::npos);
}

TEST_CASE("the engine-read families are written by the exposition rule, 0 before any answer",
          "[cluster][render][prometheus]") {
    Instant at{std::chrono::seconds(1764370490)};
    CHECK(render_engine_read_prometheus({true, at, 0.25}) ==
          "# HELP swarmpki_engine_up 1 when the last engine read (/info, /swarm, /nodes) "
          "answered, 0 when it did not (the log says why, once per change); the "
          "swarmpki_cluster_* families are served only while it is 1.\n"
          "# TYPE swarmpki_engine_up gauge\n"
          "swarmpki_engine_up 1\n"
          "# HELP swarmpki_engine_last_success_timestamp_seconds When the engine last answered, "
          "as a Unix timestamp; 0 before it first did.\n"
          "# TYPE swarmpki_engine_last_success_timestamp_seconds gauge\n"
          "swarmpki_engine_last_success_timestamp_seconds 1764370490\n"
          "# HELP swarmpki_engine_read_duration_seconds Seconds the last engine read took, "
          "answered or not.\n"
          "# TYPE swarmpki_engine_read_duration_seconds gauge\n"
          "swarmpki_engine_read_duration_seconds 0.25\n");
    std::string never = render_engine_read_prometheus({false, std::nullopt, 3});
    CHECK(never.find("\nswarmpki_engine_up 0\n") != std::string::npos);
    CHECK(never.find("\nswarmpki_engine_last_success_timestamp_seconds 0\n") != std::string::npos);
    CHECK(never.find("\nswarmpki_engine_read_duration_seconds 3\n") != std::string::npos);
}
