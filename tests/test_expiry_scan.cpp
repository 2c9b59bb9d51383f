// evaluate_expiry over node directories: kinds, identities, rotation states and the cluster rule
// (two roots in one cluster: a warning when a cross-signature links them, critical otherwise).
#include "support.hpp"
#include "swarmpki/expiry.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;

namespace {

Instant captured(const std::string& scenario) {
    auto index = swarmpki::test::load_json(*fixtures_dir() / "index.json");
    for (auto& s : index["scenarios"])
        if (s["scenario"] == scenario) return *parse_rfc3339(s["captured_at"].get<std::string>());
    FAIL("no scenario " << scenario);
    return {};
}

std::string node_dir(const std::string& scenario, const std::string& node) {
    return (*fixtures_dir() / scenario / "certificates" / node).string();
}

ExpiryReport scan(std::vector<std::string> paths, Instant at, unsigned threads = 2) {
    ExpiryOptions options;
    options.at = at;
    options.threads = threads;
    return evaluate_expiry(plan_scan(paths), options);
}

const NodeDirectory& directory(const ExpiryReport& r, const std::string& path) {
    auto it = std::find_if(r.directories.begin(), r.directories.end(),
                           [&](const NodeDirectory& d) { return d.path == path; });
    REQUIRE(it != r.directories.end());
    return *it;
}

}  // namespace

TEST_CASE("evaluate_expiry reads a node directory's chain and roots", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::string dir = node_dir("rotation-in-progress", "manager1");
    ExpiryReport r = scan({dir}, captured("rotation-in-progress"));
    REQUIRE(r.certificates.size() == 3);
    CHECK(r.certificates[0].kind == CertKind::node);
    CHECK(r.certificates[0].node_id == "2i2jiz7b6wivuwtazt3d7zta8");
    CHECK(r.certificates[0].role == "manager");
    CHECK(r.certificates[0].cluster_id == "45dwjg326020dkgqtum4kdw4o");
    CHECK(r.certificates[1].kind == CertKind::intermediate);  // the cross-signed new root
    CHECK(r.certificates[2].kind == CertKind::root);
    CHECK(r.certificates[2].cluster_id == "45dwjg326020dkgqtum4kdw4o");
    CHECK_FALSE(r.certificates[2].node_id);
    CHECK(r.status == Severity::ok);
    CHECK(directory(r, dir).rotation == RotationState::in_progress);
    REQUIRE(r.summary.clusters.size() == 1);
    CHECK(r.summary.clusters[0].rotation_in_progress);
    CHECK(r.summary.clusters[0].root_digests ==
          std::vector<std::string>{
              "f8425b7b5df6df6e3d15d12bea219238c4f7dc9267ea074bcffa534da0b19726"});
    CHECK(r.summary.by_status.at(ExpiryStatus::ok) == 3);
    CHECK(r.summary.files_scanned == 2);
    CHECK(directory(r, dir).key_present);
}

TEST_CASE("rotation states by keys and signatures", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::string done = node_dir("rotation-complete", "worker1");
    std::string offline = node_dir("rotation-in-progress", "worker1");
    std::string plain = node_dir("worker", "manager1");
    ExpiryReport r = scan({done, offline, plain}, captured("rotation-complete"));
    CHECK(directory(r, done).rotation == RotationState::completed);
    CHECK(directory(r, offline).rotation == RotationState::none);
    CHECK(directory(r, plain).rotation == RotationState::none);
}

TEST_CASE("two roots in one cluster: linked by a cross-signature is a warning",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    // The offline worker still holds the old root; the manager holds the new one and the
    // cross-signed intermediate (new key, signed by the old root).
    ExpiryReport r = scan({node_dir("rotation-in-progress", "worker1"),
                           node_dir("rotation-complete", "manager1")},
                          captured("rotation-complete"));
    REQUIRE(r.summary.clusters.size() == 1);
    const ClusterSummary& c = r.summary.clusters[0];
    CHECK(c.root_digests.size() == 2);
    CHECK(c.rotation_in_progress);
    CHECK(c.severity == Severity::warning);
    CHECK(r.status == Severity::warning);
}

TEST_CASE("two roots in one cluster that nothing links are critical", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    // Before any rotation, and after autolock re-issued the leaf without the intermediate:
    // no directory here carries the cross-signed certificate that would explain two roots.
    ExpiryReport r = scan({node_dir("init-manager", "manager1"), node_dir("autolock", "manager1")},
                          captured("autolock"));
    REQUIRE(r.summary.clusters.size() == 1);
    CHECK(r.summary.clusters[0].root_digests.size() == 2);
    CHECK(r.summary.clusters[0].severity == Severity::critical);
    CHECK_FALSE(r.summary.clusters[0].finding.empty());
    CHECK(r.status == Severity::critical);
}

TEST_CASE("a whole fixture tree scans the same on one thread and on many",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    Instant at = captured("cert-expiry-1h");
    ExpiryReport one = scan({fixtures_dir()->string()}, at, 1);
    ExpiryReport many = scan({fixtures_dir()->string()}, at, 8);
    REQUIRE(one.certificates.size() == many.certificates.size());
    for (std::size_t i = 0; i < one.certificates.size(); ++i) {
        CHECK(one.certificates[i].path == many.certificates[i].path);
        CHECK(one.certificates[i].status == many.certificates[i].status);
    }
    CHECK(one.errors.empty());
    CHECK(one.summary.earliest_not_after == *parse_rfc3339("2026-11-28T23:57:00Z"));
    // Every scenario is a snapshot of one swarm that rotated three times; each pair of its roots
    // is linked by a cross-signed intermediate somewhere in the corpus.
    REQUIRE(one.summary.clusters.size() == 1);
    CHECK(one.summary.clusters[0].root_digests.size() == 4);
    CHECK(one.summary.clusters[0].severity == Severity::warning);
}
