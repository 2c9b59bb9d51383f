// The cluster report's decisions on every Engine API capture: TLS STATUS as `docker node ls`
// printed it, convergence and blockers as the reconciler decides them, the configured
// cert-expiry against the captured leaves, the join tokens' pins, and the findings.
#include "swarmpki/cluster.hpp"

#include "rotation_internal.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/join_token.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace swarmpki;
using namespace swarmpki::test;

namespace {

constexpr const char* kManager1 = "30p93im1v3drfo09h69zoahb7";
constexpr const char* kWorker1 = "y7ptmpaut5ge7aajs8i8q81zp";
constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    return text;
}

// One scenario's replies as the client hands them over, with `leaf_of`'s certificate as the
// local leaf (empty: none), at the capture's instant.
ClusterInputs capture_inputs(const std::filesystem::path& dir, const std::string& scenario,
                             const std::string& leaf_of = "manager1") {
    ClusterInputs in = manager_capture_inputs(
        dir, scenario, *parse_rfc3339(trimmed(read_text(dir / scenario / "captured_at"))));
    if (!leaf_of.empty()) {
        std::string path = (dir / scenario / "certificates" / leaf_of / "swarm-node.crt").string();
        auto chain = load_certificate_file(path);
        in.local_leaf = LocalLeaf{path, chain.at(0).not_before(), chain.at(0).not_after()};
    }
    return in;
}

struct LsRow {
    std::string status, availability, manager_status, tls_status;
};

// docker_node_ls.txt: ID HOSTNAME STATUS AVAILABILITY [MANAGER STATUS] TLS STATUS, one space
// apart, the manager status empty on workers (two spaces), TLS STATUS possibly two words.
std::map<std::string, LsRow> docker_node_ls(const std::filesystem::path& dir,
                                            const std::string& scenario) {
    std::map<std::string, LsRow> rows;
    std::istringstream lines(read_text(dir / scenario / "docker_node_ls.txt"));
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t i = 0; i <= line.size(); ++i)
            if (i == line.size() || line[i] == ' ') {
                fields.push_back(line.substr(start, i - start));
                start = i + 1;
            }
        REQUIRE(fields.size() >= 6);
        std::string tls = fields[5];
        for (std::size_t i = 6; i < fields.size(); ++i) tls += " " + fields[i];
        rows[fields[0]] = {fields[2], fields[3], fields[4], tls};
    }
    return rows;
}

const char* cli_words(TlsStatus status) {
    switch (status) {
        case TlsStatus::ready: return "Ready";
        case TlsStatus::needs_rotation: return "Needs Rotation";
        case TlsStatus::unknown: return "Unknown";
    }
    return "?";
}

std::vector<std::string> codes(const ClusterReport& report) {
    std::vector<std::string> out;
    for (const Finding& f : report.findings) out.push_back(f.code);
    return out;
}

const ClusterNode& node(const ClusterReport& report, const std::string& id) {
    auto it = std::find_if(report.nodes.begin(), report.nodes.end(),
                           [&](const ClusterNode& n) { return n.id == id; });
    REQUIRE(it != report.nodes.end());
    return *it;
}

}  // namespace

TEST_CASE("TLS STATUS is docker node ls's, node by node, in every capture", "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    for (const char* scenario : kEngineScenarios) {
        INFO(scenario);
        ClusterReport report = build_cluster_report(capture_inputs(*dir, scenario));
        auto rows = docker_node_ls(*dir, scenario);
        REQUIRE(report.nodes.size() == rows.size());
        for (const ClusterNode& n : report.nodes) {
            INFO(n.id);
            REQUIRE(rows.count(n.id) == 1);
            const LsRow& row = rows[n.id];
            CHECK(cli_words(n.tls_status) == row.tls_status);
            CHECK(n.leader == (row.manager_status == "Leader"));
            std::string state = n.state;
            state[0] = static_cast<char>(std::toupper(state[0]));
            CHECK(state == row.status);
            std::string availability = n.availability;
            availability[0] = static_cast<char>(std::toupper(availability[0]));
            CHECK(availability == row.availability);
        }
    }
}

TEST_CASE("a healthy swarm: every node ready and converged, the setting applied, no finding",
          "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterReport report = build_cluster_report(capture_inputs(*dir, "healthy"));
    CHECK(report.status == Severity::ok);
    CHECK(report.findings.empty());
    const ClusterFacts& c = report.cluster;
    CHECK(c.id == "qlqh72pgzz9anas0okg37ohut");
    CHECK(c.cert_expiry == Seconds{2160 * 3600});
    CHECK(c.force_rotate == 0);
    CHECK_FALSE(c.rotation.in_progress);
    CHECK(c.rotation.converged == 3);
    CHECK(c.rotation.total == 3);
    CHECK(c.rotation.blocked_by.empty());
    CHECK_FALSE(c.rotation.estimated_engine_seconds);
    REQUIRE(c.cert_expiry_applied);
    CHECK(c.cert_expiry_applied->applied);
    CHECK(c.cert_expiry_applied->leaf_lifetime == Seconds{2161 * 3600});
    CHECK(c.trust_root.subject == "CN=swarm-ca");
    CHECK(c.trust_root.key_type == "ecdsa-p256");
    CHECK(c.trust_root.not_after == parse_rfc3339("2046-11-26T18:51:00Z"));
    CHECK(c.desired_issuer.subject == "CN=swarm-ca");
    CHECK(c.desired_issuer.public_key_sha256 == c.trust_root.public_key_sha256);
    for (const ClusterNode& n : report.nodes) {
        CHECK(n.tls_status == TlsStatus::ready);
        CHECK(n.converged);
        CHECK_FALSE(n.blocking_rotation);
        CHECK(n.reason == "");
        CHECK(n.issuer_public_key_sha256 == c.trust_root.public_key_sha256);
        CHECK(n.trust_root_sha256 == c.trust_root.root_file_sha256);
    }
}

TEST_CASE("the trust root's digests are the root file's and the join tokens pin it", "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    for (const char* scenario : kEngineScenarios) {
        INFO(scenario);
        ClusterReport report = build_cluster_report(capture_inputs(*dir, scenario));
        // manager1's swarm-root-ca.crt is what the engine reports as TrustRoot, byte for byte.
        std::string root_file = read_text(*dir / scenario / "certificates" / "manager1" /
                                          "swarm-root-ca.crt");
        const ClusterFacts& c = report.cluster;
        CHECK(c.trust_root.root_file_sha256 == sha256_hex(root_file));
        CHECK(c.trust_root.join_token_digest == digest_to_base36(sha256(root_file)));
        CHECK(c.worker_token.pins_trust_root);
        CHECK(c.manager_token.pins_trust_root);
        CHECK(c.worker_token.digest_base36 == c.trust_root.join_token_digest);
        CHECK(c.manager_token.digest_base36 == c.trust_root.join_token_digest);
    }
}

TEST_CASE("the changed cert-expiry is not applied: this manager's leaf still lasts 2161h",
          "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    for (const char* leaf : {"manager1", "worker1"}) {
        INFO(leaf);
        ClusterReport report = build_cluster_report(
            capture_inputs(*dir, "cert-expiry-changed", leaf));
        CHECK(report.cluster.cert_expiry == Seconds{3 * 3600});
        REQUIRE(report.cluster.cert_expiry_applied);
        CHECK_FALSE(report.cluster.cert_expiry_applied->applied);
        CHECK(report.cluster.cert_expiry_applied->leaf_lifetime == Seconds{2161 * 3600});
        CHECK(codes(report) == std::vector<std::string>{"cert-expiry-not-applied"});
        CHECK(report.status == Severity::warning);
        const Finding& f = report.findings.at(0);
        CHECK(f.severity == Severity::warning);
        CHECK(f.message.find("lasts 90d1h, not the configured cert-expiry 3h + 1h") !=
              std::string::npos);
        CHECK(f.remedy ==
              "the setting takes effect after `docker swarm ca --rotate --cert-expiry 3h`, a "
              "restart of the leader's dockerd, or a leader change to a manager that was never "
              "leader; each node then gets it at its next renewal");
    }
    // Without a readable leaf nothing is claimed.
    ClusterReport unread = build_cluster_report(capture_inputs(*dir, "cert-expiry-changed", ""));
    CHECK_FALSE(unread.cluster.cert_expiry_applied);
    CHECK(unread.findings.empty());
}

TEST_CASE("a rotation blocked by a down worker: it blocks, with its remedy, and no estimate",
          "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterReport report = build_cluster_report(capture_inputs(*dir, "rotation-blocked"));
    const ClusterRotation& r = report.cluster.rotation;
    CHECK(r.in_progress);
    CHECK(r.converged == 2);
    CHECK(r.total == 3);
    CHECK(r.blocked_by == std::vector<std::string>{kWorker2});
    CHECK_FALSE(r.estimated_engine_seconds);
    // The desired issuer is the new root while the trust root is still the old one.
    CHECK(report.cluster.desired_issuer.public_key_sha256 !=
          report.cluster.trust_root.public_key_sha256);
    CHECK(report.cluster.desired_issuer.subject == "CN=swarm-ca");
    // The 3h setting took effect at the rotation: the re-issued leaf lasts 4h.
    REQUIRE(report.cluster.cert_expiry_applied);
    CHECK(report.cluster.cert_expiry_applied->applied);

    const ClusterNode& blocker = node(report, kWorker2);
    CHECK(blocker.blocking_rotation);
    CHECK_FALSE(blocker.converged);
    CHECK(blocker.tls_status == TlsStatus::needs_rotation);
    CHECK(blocker.reason ==
          "down since 2026-12-01T18:56:46Z: a down node never renews; bring it back, or docker "
          "node rm kjlnisi3uorlqb4epqlj8pvvl (it must then rejoin with the new token)");
    CHECK(blocker.issuer_public_key_sha256 == report.cluster.trust_root.public_key_sha256);
    for (const char* id : {kManager1, kWorker1}) {
        const ClusterNode& n = node(report, id);
        CHECK(n.converged);
        CHECK_FALSE(n.blocking_rotation);
        CHECK(n.reason == "");
        CHECK(n.issuer_public_key_sha256 == report.cluster.desired_issuer.public_key_sha256);
    }

    CHECK(codes(report) == std::vector<std::string>{"rotation-blocked", "node-down"});
    CHECK(report.status == Severity::critical);
    const Finding& blocked = report.findings.at(0);
    CHECK(blocked.severity == Severity::critical);
    CHECK(blocked.message ==
          "the CA rotation waits for node kjlnisi3uorlqb4epqlj8pvvl (vm), down since "
          "2026-12-01T18:56:46Z, and a down node never renews: it never finishes by itself");
    CHECK(blocked.remedy ==
          "bring it back, or docker node rm kjlnisi3uorlqb4epqlj8pvvl (it must then rejoin with "
          "the new token)");
    CHECK(report.findings.at(1).severity == Severity::warning);
    CHECK(report.findings.at(1).message ==
          "node kjlnisi3uorlqb4epqlj8pvvl (vm) is down since 2026-12-01T18:56:46Z");
}

TEST_CASE("after docker node rm the rotation has finished on the new root", "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterReport blocked = build_cluster_report(capture_inputs(*dir, "rotation-blocked"));
    ClusterReport report = build_cluster_report(capture_inputs(*dir, "rotation-finished-after-rm"));
    CHECK(report.status == Severity::ok);
    CHECK(report.findings.empty());
    const ClusterRotation& r = report.cluster.rotation;
    CHECK_FALSE(r.in_progress);
    CHECK(r.converged == 2);
    CHECK(r.total == 2);
    CHECK(r.blocked_by.empty());
    CHECK_FALSE(r.estimated_engine_seconds);
    // The new root is the one the blocked rotation was heading for.
    CHECK(report.cluster.trust_root.public_key_sha256 ==
          blocked.cluster.desired_issuer.public_key_sha256);
    CHECK(report.cluster.trust_root.root_file_sha256 !=
          blocked.cluster.trust_root.root_file_sha256);
    CHECK(report.cluster.worker_token.digest_base36 != blocked.cluster.worker_token.digest_base36);
    for (const ClusterNode& n : report.nodes) CHECK(n.tls_status == TlsStatus::ready);
}

TEST_CASE("the docker CLI's TLS STATUS and the reconciler's convergence are two rules",
          "[cluster]") {
    EngineTlsInfo cluster{"ROOT", {1, 2}, {3, 4}};
    EngineTlsInfo same = cluster;
    EngineTlsInfo old_root = cluster;
    old_root.trust_root_pem = "OLD";
    EngineTlsInfo other_key = cluster;
    other_key.issuer_public_key = {9};
    CHECK(tls_status(cluster, same) == TlsStatus::ready);
    CHECK(tls_status(cluster, old_root) == TlsStatus::needs_rotation);
    CHECK(tls_status(cluster, other_key) == TlsStatus::needs_rotation);
    CHECK(tls_status(cluster, EngineTlsInfo{}) == TlsStatus::unknown);
    CHECK(tls_status(EngineTlsInfo{}, same) == TlsStatus::unknown);
    // The reconciler looks at the issuer only: a node still trusting the old root has converged.
    CHECK(issuer_converged(cluster, old_root));
    CHECK_FALSE(issuer_converged(cluster, other_key));
    CHECK_FALSE(issuer_converged(cluster, EngineTlsInfo{}));
    EngineTlsInfo other_subject = cluster;
    other_subject.issuer_subject = {7};
    CHECK_FALSE(issuer_converged(cluster, other_subject));
    CHECK(std::string(to_string(TlsStatus::needs_rotation)) == "needs-rotation");
    CHECK(std::string(to_string(TlsStatus::ready)) == "ready");
    CHECK(std::string(to_string(TlsStatus::unknown)) == "unknown");
}

TEST_CASE("a rotation waiting only for online nodes has the simulator's estimate", "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "rotation-blocked");
    in.nodes[1].state = "ready";  // worker2 is back, and about to renew
    in.nodes[1].updated_at.reset();
    ClusterReport report = build_cluster_report(in);
    // Up and unconverged is waiting for its turn, not blocking.
    CHECK(report.cluster.rotation.blocked_by.empty());
    CHECK_FALSE(node(report, kWorker2).blocking_rotation);
    CHECK_FALSE(node(report, kWorker2).converged);
    REQUIRE(report.cluster.rotation.estimated_engine_seconds);
    CHECK(*report.cluster.rotation.estimated_engine_seconds == Approx(3.15));
    CHECK(node(report, kWorker2).reason == "still on the old root");
    CHECK(codes(report) == std::vector<std::string>{"rotation-in-progress"});
    CHECK(report.findings.at(0).severity == Severity::info);
    CHECK(report.findings.at(0).message ==
          "CA rotation in progress: 2 of 3 nodes carry the new issuer; the engine needs about "
          "3.15 s more");
    CHECK(report.status == Severity::info);
}

TEST_CASE("a disconnected node or one reporting no TLS information blocks a rotation",
          "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "rotation-blocked");
    in.nodes[1].state = "disconnected";
    in.nodes[2].tls_info = {};  // worker1 as an engine older than 1.13 reports it
    ClusterReport report = build_cluster_report(in);
    CHECK(report.cluster.rotation.blocked_by == std::vector<std::string>{kWorker2, kWorker1});
    CHECK_FALSE(report.cluster.rotation.estimated_engine_seconds);
    CHECK(codes(report) == std::vector<std::string>{"rotation-blocked", "node-disconnected",
                                                    "rotation-blocked", "node-no-tls-info"});
    CHECK(node(report, kWorker1).reason == "engine reports no TLS information (older than 1.13?)");
    CHECK(node(report, kWorker1).tls_status == TlsStatus::unknown);
    CHECK(report.findings.at(2).message ==
          "the CA rotation waits for node y7ptmpaut5ge7aajs8i8q81zp (vm), which reports no TLS "
          "information (older than 1.13?): it never finishes by itself");
    CHECK(node(report, kWorker2).reason ==
          "disconnected since 2026-12-01T18:56:46Z: it renews only once it is back; bring it "
          "back, or docker node rm kjlnisi3uorlqb4epqlj8pvvl (it must then rejoin with the new "
          "token)");
}

TEST_CASE("a join token that does not pin the trust root is critical", "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "healthy");
    // The tokens of the finished rotation, against the old root.
    ClusterInputs later = capture_inputs(*dir, "rotation-finished-after-rm");
    in.swarm.worker_token = later.swarm.worker_token;
    in.swarm.manager_token.well_formed = false;
    in.swarm.manager_token.digest_base36.clear();
    ClusterReport report = build_cluster_report(in);
    CHECK_FALSE(report.cluster.worker_token.pins_trust_root);
    CHECK_FALSE(report.cluster.manager_token.pins_trust_root);
    CHECK(report.cluster.manager_token.digest_base36 == "");
    CHECK(codes(report) ==
          std::vector<std::string>{"join-token-does-not-pin-root", "join-token-does-not-pin-root"});
    CHECK(report.status == Severity::critical);
    CHECK(report.findings.at(0).message ==
          "the worker join token pins digest " + later.swarm.worker_token.digest_base36 +
              ", not the trust root's " + report.cluster.trust_root.join_token_digest +
              ": nodes joining with it refuse the managers");
    CHECK(report.findings.at(0).remedy == "docker swarm join-token --rotate worker");
    CHECK(report.findings.at(1).message ==
          "the manager join token is not a well-formed join token: nodes joining with it refuse "
          "the managers");
}

TEST_CASE("the trust root's expiry is judged by the one expiry policy", "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    ClusterInputs in = capture_inputs(*dir, "healthy", "");
    in.at = *parse_rfc3339("2046-06-01T00:00:00Z");  // 178 days before NotAfter: warning
    ClusterReport expiring = build_cluster_report(in);
    CHECK(codes(expiring) == std::vector<std::string>{"root-expiring"});
    CHECK(expiring.status == Severity::warning);
    in.at = *parse_rfc3339("2046-11-10T00:00:00Z");  // 16 days: critical
    CHECK(build_cluster_report(in).status == Severity::critical);
    in.at = *parse_rfc3339("2047-01-01T00:00:00Z");
    ClusterReport expired = build_cluster_report(in);
    CHECK(codes(expired) == std::vector<std::string>{"root-expired"});
    CHECK(expired.status == Severity::critical);

    in.swarm.tls_info.trust_root_pem =
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    in.at = *parse_rfc3339("2027-01-01T00:00:00Z");
    ClusterReport unreadable = build_cluster_report(in);
    CHECK(unreadable.cluster.trust_root.subject == "");
    CHECK_FALSE(unreadable.cluster.trust_root.not_after);
    CHECK(std::find(codes(unreadable).begin(), codes(unreadable).end(), "trust-root-unreadable") !=
          codes(unreadable).end());
}

TEST_CASE("the engine-time estimate is the simulator's pacing, one model", "[cluster][rotation]") {
    using namespace swarmpki::rotation_detail;
    for (std::size_t n : {1u, 2u, 29u, 30u, 31u, 60u, 61u, 100u, 1000u}) {
        INFO(n);
        std::vector<SimNode> nodes(n);
        std::mt19937_64 rng(n);
        EngineSchedule schedule = plan_engine_schedule(nodes, false, rng);
        CHECK(estimated_engine_seconds(n) == Approx(schedule.completed_at));
    }
    CHECK(estimated_engine_seconds(1) == Approx(3.15));  // DOMAIN.md section 11, measured
    CHECK(estimated_engine_seconds(31) == Approx(6.15));
    CHECK(estimated_engine_seconds(100) == Approx(12.15));
    // Nothing left: the pass that finishes is at most one tick away.
    CHECK(estimated_engine_seconds(0) == Approx(3.15));
}

TEST_CASE("no join-token secret reaches the cluster report", "[cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return note_engine_fixtures_missing();
    std::regex token("SWMTKN-1-[0-9a-z]{50}-([0-9a-z]{25})");
    for (const char* scenario : kEngineScenarios) {
        INFO(scenario);
        std::string body = engine_capture(*dir, scenario, "manager1", "swarm");
        std::vector<std::string> secrets;
        for (std::sregex_iterator it(body.begin(), body.end(), token), end; it != end; ++it)
            secrets.push_back((*it)[1].str());
        REQUIRE(secrets.size() == 2);
        ClusterInputs in = capture_inputs(*dir, scenario);
        in.swarm.manager_token.well_formed = false;  // a finding that talks about the token
        ClusterReport report = build_cluster_report(in);
        std::string everything;
        for (const Finding& f : report.findings) everything += f.message + f.remedy;
        for (const ClusterNode& n : report.nodes) everything += n.reason;
        everything += report.cluster.worker_token.digest_base36 +
                      report.cluster.manager_token.digest_base36;
        for (const std::string& secret : secrets)
            CHECK(everything.find(secret) == std::string::npos);
    }
}
