// swarmpki verify end to end: exit codes, the swarmpki.verify/v1 document, refusals in words.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using swarmpki::test::fixtures_dir;
using swarmpki::test::run_swarmpki;

namespace {
std::string dir(const std::string& scenario, const std::string& node) {
    return (*fixtures_dir() / scenario / "certificates" / node).string();
}
}  // namespace

TEST_CASE("verify: same swarm accepts both ways, exit 0", "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto r = run_swarmpki({"verify", "--dir", dir("second-manager", "manager1"), "--peer-dir",
                           dir("second-manager", "worker1"), "--peer-dir",
                           dir("second-manager", "manager2"), "--at", "2026-11-28T22:56:42Z",
                           "--format", "json"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    auto doc = r.json();
    CHECK(r.out.rfind("{\n  \"schema\": ", 0) == 0);  // the schema member first
    CHECK(doc["schema"] == "swarmpki.verify/v1");
    CHECK(doc["accepted"] == true);
    CHECK(doc["node"]["role"] == "manager");
    REQUIRE(doc["peers"].size() == 2);
    for (auto& peer : doc["peers"]) {
        CHECK(peer["accepted"] == true);
        REQUIRE(peer["checks"].size() == 4);
        for (auto& check : peer["checks"]) {
            CHECK(check["accepted"] == true);
            CHECK(check["code"].is_null());
        }
    }
}

TEST_CASE("verify: different swarms are refused with a reason, exit 2", "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto r = run_swarmpki({"verify", "--dir", dir("worker", "manager1"), "--peer-dir",
                           dir("external-root", "manager1"), "--at", "2026-11-28T22:56:42Z",
                           "--format", "json"});
    CHECK(r.exit_code == 2);
    auto doc = r.json();
    CHECK(doc["status"] == "critical");
    auto check = doc["peers"][0]["checks"][0];
    CHECK(check["accepted"] == false);
    CHECK(check["code"] == "different-swarm");
    CHECK(check["presenter_role"] == "client");
    auto text = run_swarmpki({"verify", "--dir", dir("worker", "manager1"), "--peer-dir",
                              dir("external-root", "manager1"), "--at", "2026-11-28T22:56:42Z"});
    CHECK(text.exit_code == 2);
    CHECK(text.out.find("REFUSED") != std::string::npos);
    CHECK(text.out.find("root keys differ") != std::string::npos);
}

TEST_CASE("verify: the worker left on the old root, exit 2", "[cli][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto r = run_swarmpki({"verify", "--dir", dir("rotation-complete", "manager1"), "--peer-dir",
                           dir("rotation-in-progress", "worker1"), "--at", "2026-11-28T22:55:28Z",
                           "--format", "json"});
    CHECK(r.exit_code == 2);
    auto checks = r.json()["peers"][0]["checks"];
    CHECK(checks[0]["code"] == "old-root");
    CHECK(checks[2]["accepted"] == true);
}

TEST_CASE("verify: bad input is exit 3 with one line, usage errors 64", "[cli]") {
    swarmpki::test::TempDir tmp;
    auto r = run_swarmpki({"verify", "--dir", tmp.str(), "--peer-dir", tmp.str()});
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(r.err.find(tmp.str() + "/swarm-node.crt") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(run_swarmpki({"verify", "--dir", tmp.str()}).exit_code == 64);
    CHECK(run_swarmpki({"verify", "--peer-dir", tmp.str()}).exit_code == 64);
}
