// `swarmpki cluster`, and inspect/expiry asking the engine for the configured cert-expiry, run
// as operators run them: the built binary against a fake engine that serves the real captures
// of fixtures/engine-api byte for byte (tests/fake_engine.hpp). The live-engine counterpart is
// tests/integration/test_cluster.sh.
#include "fake_engine.hpp"
#include "support.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using swarmpki::test::engine_fixtures_dir;
using swarmpki::test::FakeEngine;
using swarmpki::test::run_swarmpki;

namespace {

// The captured certificates of one node, with the engine's modes (git keeps none).
fs::path copy_certificates(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const char* name : {"swarm-root-ca.crt", "swarm-node.crt", "swarm-node.key"}) {
        fs::copy_file(from / name, to / name, fs::copy_options::overwrite_existing);
        ::chmod((to / name).c_str(), std::string(name) == "swarm-node.key" ? 0600 : 0644);
    }
    return to;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// docker_node_ls.txt: ID -> TLS STATUS, in the JSON's words.
std::map<std::string, std::string> cli_tls_status(const fs::path& scenario) {
    std::map<std::string, std::string> out;
    std::istringstream lines(read_text(scenario / "docker_node_ls.txt"));
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        std::string id = line.substr(0, line.find(' '));
        std::string status = line.size() > 14 && line.substr(line.size() - 14) == "Needs Rotation"
                                 ? "needs-rotation"
                             : line.substr(line.size() - 5) == "Ready" ? "ready"
                                                                       : "unknown";
        out[id] = status;
    }
    return out;
}

struct Scenario {
    const char* name;
    int exit_code;
};

}  // namespace

TEST_CASE("cluster agrees with docker node ls on every captured manager and exits by its findings",
          "[cli][cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    swarmpki::test::TempDir tmp;
    for (Scenario s :
         {Scenario{"healthy", 0}, Scenario{"cert-expiry-changed", 1},
          Scenario{"rotation-blocked", 2}, Scenario{"rotation-finished-after-rm", 0}}) {
        INFO(s.name);
        FakeEngine engine;
        engine.load_capture(*dir / s.name / "manager1");
        fs::path certs = copy_certificates(*dir / s.name / "certificates/manager1",
                                           tmp / s.name / "manager1");
        auto r = run_swarmpki({"cluster", "--host", engine.url(), "--dir", certs.string(),
                               "--format", "json", "--at", "2026-12-01T20:00:00Z"});
        INFO(r.err);
        CHECK(r.exit_code == s.exit_code);
        auto doc = r.json();
        CHECK(doc["schema"] == "swarmpki.cluster/v1");
        CHECK(doc["engine"]["api_version"] == "1.41");
        auto expected = cli_tls_status(*dir / s.name);
        REQUIRE(doc["nodes"].size() == expected.size());
        for (const auto& node : doc["nodes"])
            CHECK(node["tls_status"] == expected.at(node["id"].get<std::string>()));
        CHECK(doc["cluster"]["join_tokens"]["worker"]["pins_trust_root"] == true);
        CHECK(doc["cluster"]["join_tokens"]["manager"]["pins_trust_root"] == true);
        // Only the GETs SPEC 9 names, and no write.
        for (const auto& seen : engine.requests()) CHECK(seen.method == "GET");
    }
}

TEST_CASE("cluster names the down worker that blocks a rotation, with the remedy",
          "[cli][cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(*dir / "rotation-blocked/manager1");
    auto json = run_swarmpki({"cluster", "--host", engine.url(), "--format", "json"});
    auto doc = json.json();
    const std::string worker2 = "kjlnisi3uorlqb4epqlj8pvvl";
    CHECK(doc["cluster"]["rotation"]["in_progress"] == true);
    CHECK(doc["cluster"]["rotation"]["blocked_by"] == nlohmann::json::array({worker2}));
    CHECK(doc["cluster"]["rotation"]["estimated_engine_seconds"].is_null());
    CHECK(doc["cluster"]["rotation"]["converged"] == 2);
    auto text = run_swarmpki({"cluster", "--host", engine.url(), "--no-color"});
    CHECK(text.exit_code == 2);
    CHECK(text.out.find(worker2) != std::string::npos);
    CHECK(text.out.find("docker node rm " + worker2) != std::string::npos);
    auto nagios = run_swarmpki({"cluster", "--host", engine.url(), "--format", "nagios"});
    CHECK(nagios.exit_code == 2);
    CHECK(nagios.out.rfind("SWARMPKI CLUSTER CRITICAL - ", 0) == 0);
    auto prom = run_swarmpki({"cluster", "--host", engine.url(), "--format", "prometheus"});
    CHECK(prom.exit_code == 2);
    CHECK(prom.out.find("swarmpki_cluster_rotation_blocking_nodes{cluster_id=") !=
          std::string::npos);
}

TEST_CASE("cluster refuses a worker's, a stranger's and a locked engine in one line, exit 3",
          "[cli][cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    struct Case {
        const char* capture;
        const char* says;
    };
    for (Case c : {Case{"healthy/worker1", "manager"}, Case{"healthy/stranger", "swarm"},
                   Case{"locked/manager1", "docker swarm unlock"}}) {
        INFO(c.capture);
        FakeEngine engine;
        engine.load_capture(*dir / c.capture);
        auto r = run_swarmpki({"cluster", "--host", engine.url(), "--format", "json"});
        CHECK(r.exit_code == 3);
        CHECK(r.out.empty());
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(engine.url()) != std::string::npos);
        CHECK(r.err.find(c.says) != std::string::npos);
    }
    swarmpki::test::TempDir tmp;
    auto none = run_swarmpki({"cluster", "--host", "unix://" + (tmp / "absent.sock").string()});
    CHECK(none.exit_code == 3);
    CHECK(none.out.empty());
    CHECK(none.err.find("absent.sock") != std::string::npos);
    auto bad = run_swarmpki({"cluster", "--host", "ssh://somewhere"});
    CHECK(bad.exit_code == 64);
}

TEST_CASE("cluster prints no join-token secret in any format", "[cli][cluster][secrets]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    for (const char* scenario : {"healthy", "rotation-blocked", "rotation-finished-after-rm"}) {
        FakeEngine engine;
        engine.load_capture(*dir / scenario / "manager1");
        auto swarm = nlohmann::json::parse(read_text(*dir / scenario / "manager1/swarm.json"));
        for (const char* format : {"text", "json", "prometheus", "nagios"}) {
            auto r = run_swarmpki({"cluster", "--host", engine.url(), "--format", format});
            for (const char* role : {"Worker", "Manager"}) {
                std::string token = swarm["JoinTokens"][role];
                std::string secret = token.substr(token.rfind('-') + 1);
                INFO(scenario << " " << format << " " << role);
                CHECK(r.out.find(secret) == std::string::npos);
                CHECK(r.err.find(secret) == std::string::npos);
            }
        }
    }
}

namespace {

// The captured /info with DockerRootDir moved to `root`, so that "the engine's own directory"
// is a copy of the captured manager's certificates.
void serve_info_with_root(FakeEngine& engine, const fs::path& capture, const fs::path& root) {
    auto info = nlohmann::json::parse(read_text(capture / "info.json"));
    info["DockerRootDir"] = root.string();
    engine.set("/info",
               swarmpki::test::json_reply(200, info.dump(), swarmpki::test::Framing::chunked));
}

}  // namespace

TEST_CASE("inspect and expiry of the engine's own directory ask a manager for its cert-expiry",
          "[cli][cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    swarmpki::test::TempDir tmp;
    const fs::path scenario = *dir / "cert-expiry-changed";
    copy_certificates(scenario / "certificates/manager1", tmp / "swarm/certificates");
    FakeEngine engine;
    engine.load_capture(scenario / "manager1");
    serve_info_with_root(engine, scenario / "manager1", tmp.path());
    const std::vector<std::string> env{"DOCKER_HOST=" + engine.url()};

    auto inspect = run_swarmpki({"inspect", "--format", "json"}, "", env);
    INFO(inspect.err);
    auto doc = inspect.json();
    CHECK(doc["cert_expiry"] == nlohmann::json({{"seconds", 10800}, {"source", "engine"}}));
    CHECK(doc["nodes"][0]["dir"] == (tmp / "swarm/certificates").string());
    bool mismatch = false;
    for (const auto& f : doc["nodes"][0]["findings"])
        mismatch = mismatch || (f["code"] == "lifetime-mismatch" && f["severity"] == "notice");
    CHECK(mismatch);
    auto text = run_swarmpki({"inspect", "--no-color"}, "", env);
    CHECK(text.out.find("cert-expiry: 3h, from the engine at " + engine.url()) !=
          std::string::npos);

    auto expiry = run_swarmpki({"expiry", "--format", "json"}, "", env);
    auto e = expiry.json();
    CHECK(e["cert_expiry"] == nlohmann::json({{"seconds", 10800}, {"source", "engine"}}));
    CHECK(e["cert_expiry_seconds"] == 10800);
    CHECK(e["summary"]["lifetime_mismatches"] == 1);

    // The flag names the value: the engine is not asked.
    std::size_t asked = engine.requests().size();
    auto flagged = run_swarmpki({"expiry", "--format", "json", "--cert-expiry", "2160h"}, "", env);
    CHECK(flagged.json()["cert_expiry"] ==
          nlohmann::json({{"seconds", 7776000}, {"source", "flag"}}));
    CHECK(engine.requests().size() == asked);
}

TEST_CASE("with paths the engine is asked only with --engine, never with --no-engine",
          "[cli][cluster]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    swarmpki::test::TempDir tmp;
    const fs::path scenario = *dir / "cert-expiry-changed";
    fs::path certs = copy_certificates(scenario / "certificates/manager1", tmp / "m1");
    FakeEngine engine;
    engine.load_capture(scenario / "manager1");
    const std::vector<std::string> env{"DOCKER_HOST=" + engine.url()};

    auto plain = run_swarmpki({"inspect", certs.string(), "--format", "json"}, "", env);
    CHECK(plain.json()["cert_expiry"] ==
          nlohmann::json({{"seconds", nullptr}, {"source", nullptr}}));
    CHECK(plain.exit_code == 0);
    auto never = run_swarmpki({"inspect", "--no-engine", "--format", "json"}, "", env);
    CHECK(engine.requests().empty());
    (void)never;

    auto asked = run_swarmpki({"expiry", certs.string(), "--engine", "--format", "json"}, "", env);
    CHECK(asked.json()["cert_expiry"]["source"] == "engine");
    CHECK_FALSE(engine.requests().empty());

    // Asked for, an engine that cannot answer is exit 3 with one line naming it.
    auto absent = run_swarmpki(
        {"inspect", certs.string(), "--host", "unix://" + (tmp / "absent.sock").string()});
    CHECK(absent.exit_code == 3);
    CHECK(absent.err.find("absent.sock") != std::string::npos);
    CHECK(std::count(absent.err.begin(), absent.err.end(), '\n') == 1);
    // Of the engine's own directory, one that is not there is only said.
    auto quiet = run_swarmpki({"expiry", "--format", "json"}, "",
                              {"DOCKER_HOST=unix://" + (tmp / "absent.sock").string()});
    CHECK(quiet.json()["cert_expiry"]["source"].is_null());

    // A worker's engine does not know it: unknown, and the run goes on.
    FakeEngine worker;
    worker.load_capture(*dir / "healthy/worker1");
    auto w = run_swarmpki({"expiry", certs.string(), "--host", worker.url(), "--format", "json"});
    CHECK(w.json()["cert_expiry"]["source"].is_null());
    CHECK(w.exit_code == 0);

    CHECK(run_swarmpki({"inspect", certs.string(), "--engine", "--no-engine"}).exit_code == 64);
    CHECK(run_swarmpki({"expiry", certs.string(), "--engine", "--cert-expiry", "3h"}).exit_code ==
          64);
}
