// `rotate simulate --engine|--host` as operators run it: the built `swarmpki` (which hands the
// command to swarmpki-serve) against the fake engine serving the real captures of
// fixtures/engine-api (tests/fake_engine.hpp), some with one node's state edited. The live
// counterpart is scripts/swarm-ca-rotate's pre-flight in tests/integration/test_engine.sh.
#include "fake_engine.hpp"
#include "support.hpp"
#include "test_engine_fixtures.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/private_key.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;
using swarmpki::test::engine_fixtures_dir;
using swarmpki::test::FakeEngine;
using swarmpki::test::run_swarmpki;

namespace {

constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";
constexpr const char* kAt = "2026-12-01T20:00:00Z";

nlohmann::json capture_json(const fs::path& capture, const char* name) {
    return nlohmann::json::parse(
        swarmpki::test::read_text(capture / (std::string(name) + ".json")));
}

void serve_json(FakeEngine& engine, const char* route, const nlohmann::json& body) {
    engine.set(route,
               swarmpki::test::json_reply(200, body.dump(), swarmpki::test::Framing::chunked));
}

bool only_gets(const FakeEngine& engine) {
    auto seen = engine.requests();
    return !seen.empty() &&
           std::all_of(seen.begin(), seen.end(), [](const auto& r) { return r.method == "GET"; });
}

}  // namespace

TEST_CASE("rotate simulate --engine on a healthy cluster converges over its real nodes",
          "[cli][rotate][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(*dir / "healthy/manager1");
    auto r = run_swarmpki({"rotate", "simulate", "--host", engine.url(), "--format", "json",
                           "--seed", "7", "--at", kAt});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    auto doc = r.json();
    CHECK(doc["schema"] == "swarmpki.rotation/v1");
    CHECK(doc["cluster_id"] == "qlqh72pgzz9anas0okg37ohut");
    CHECK(doc["nodes"] == nlohmann::json({{"managers", 1}, {"workers", 2}, {"offline", 0}}));
    CHECK(doc["converged"] == true);
    CHECK(doc["status"] == "ok");
    CHECK(doc["engine"]["host"] == engine.url());
    CHECK(doc["engine"]["api_version"] == "1.41");
    CHECK(doc["engine"]["server_version"] == "20.10.24+dfsg1");
    CHECK(doc["engine"]["would_block"].empty());
    CHECK(doc["engine"]["estimated_engine_seconds"].get<double>() == Approx(3.15));
    CHECK(doc["engine"]["trust_root"]["subject"] == "CN=swarm-ca");
    CHECK(doc["engine"]["stand_in_root"].get<std::string>().find("stand-in") != std::string::npos);
    CHECK(only_gets(engine));

    auto text = run_swarmpki({"rotate", "simulate", "--engine", "--seed", "7", "--at", kAt}, "",
                             {"DOCKER_HOST=" + engine.url()});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("engine " + engine.url() + " (API 1.41") != std::string::npos);
    CHECK(text.out.find("converged") != std::string::npos);
    CHECK(text.out.find("engine time estimate: 3.15 s") != std::string::npos);
}

TEST_CASE("rotate simulate --engine names a down worker's real node ID as blocking",
          "[cli][rotate][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    const fs::path capture = *dir / "healthy/manager1";
    FakeEngine engine;
    engine.load_capture(capture);
    auto nodes = capture_json(capture, "nodes");
    for (auto& node : nodes)
        if (node["ID"] == kWorker2) node["Status"]["State"] = "down";
    serve_json(engine, "/nodes", nodes);

    auto r = run_swarmpki(
        {"rotate", "simulate", "--host", engine.url(), "--format", "json", "--at", kAt});
    CHECK(r.exit_code == 2);
    auto doc = r.json();
    CHECK(doc["converged"] == false);
    CHECK(doc["blocked_by"] == nlohmann::json::array({kWorker2}));
    CHECK(doc["nodes"]["offline"] == 1);
    REQUIRE(doc["engine"]["would_block"].size() == 1);
    CHECK(doc["engine"]["would_block"][0]["node"] == kWorker2);
    CHECK(doc["engine"]["would_block"][0]["hostname"] == "vm");
    CHECK(doc["engine"]["would_block"][0]["role"] == "worker");
    CHECK(doc["engine"]["would_block"][0]["reason"].get<std::string>().find(
              "docker node rm " + std::string(kWorker2)) != std::string::npos);
    CHECK(doc["engine"]["estimated_engine_seconds"].is_null());
    CHECK(only_gets(engine));

    auto removed = run_swarmpki({"rotate", "simulate", "--host", engine.url(), "--format", "json",
                                 "--remove-offline", "--at", kAt});
    CHECK(removed.exit_code == 1);  // converged, worker2 stranded
    auto after = removed.json();
    CHECK(after["converged"] == true);
    CHECK(after["stranded"][0]["node"] == kWorker2);
}

TEST_CASE("rotate simulate --engine refuses an operator root with the live root's key and "
          "subject, naming the hazard",
          "[cli][rotate][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    const fs::path capture = *dir / "healthy/manager1";
    swarmpki::test::TempDir tmp;
    swarmpki::Instant at = *swarmpki::parse_rfc3339(kAt);
    swarmpki::RootCa live = swarmpki::create_root({}, at - swarmpki::Seconds(86400));
    auto swarm = capture_json(capture, "swarm");
    swarm["TLSInfo"]["TrustRoot"] = live.certificate.to_pem();
    FakeEngine engine;
    engine.load_capture(capture);
    serve_json(engine, "/swarm", swarm);
    swarmpki::Certificate reissued = swarmpki::create_root_certificate(
        live.key, swarmpki::kDefaultRootCommonName, swarmpki::kRootLifetime, at);
    swarmpki::test::write_text(tmp / "same.crt", reissued.to_pem());
    swarmpki::test::write_text(tmp / "same.key", swarmpki::encode_sec1_pem(live.key));

    auto r = run_swarmpki({"rotate", "simulate", "--host", engine.url(), "--format", "json",
                           "--ca-cert", (tmp / "same.crt").string(), "--ca-key",
                           (tmp / "same.key").string(), "--at", kAt});
    CHECK(r.exit_code == 3);
    auto doc = r.json();
    CHECK(doc["status"] == "refused");
    CHECK(doc["refusal"]["message"] == "Cannot update to a cert with an identical key");
    CHECK(doc["refusal"]["hazard"].get<std::string>().find("20.10") != std::string::npos);
    CHECK(r.err.find("identical key") != std::string::npos);
    CHECK(only_gets(engine));
}

TEST_CASE("rotate simulate --engine on a worker's or a locked engine exits 3 in one line",
          "[cli][rotate][live]") {
    auto dir = engine_fixtures_dir();
    if (!dir) return swarmpki::test::note_engine_fixtures_missing();
    struct Case {
        const char* capture;
        const char* says;
    };
    for (Case c :
         {Case{"healthy/worker1", "manager"}, Case{"locked/manager1", "docker swarm unlock"}}) {
        INFO(c.capture);
        FakeEngine engine;
        engine.load_capture(*dir / c.capture);
        auto r = run_swarmpki({"rotate", "simulate", "--host", engine.url(), "--format", "json"});
        CHECK(r.exit_code == 3);
        CHECK(r.out.empty());
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(c.says) != std::string::npos);
    }
}

TEST_CASE("rotate simulate --engine refuses the drawn cluster's flags, and swarmpki refuses an "
          "abbreviated --engine",
          "[cli][rotate][live]") {
    auto r = run_swarmpki({"rotate", "simulate", "--engine", "--managers", "5"});
    CHECK(r.exit_code == 64);
    CHECK(r.err.find("--managers") != std::string::npos);
    auto abbreviated = run_swarmpki({"rotate", "simulate", "--engin"});
    if (abbreviated.exit_code != 64) {  // when Program_options guesses the abbreviation
        CHECK(abbreviated.exit_code == 3);
        CHECK(abbreviated.err.find("spell --engine or --host in full") != std::string::npos);
    }
}
