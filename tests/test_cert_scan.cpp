// plan_scan and the expiry scan's loader against hostile trees: every bad file is counted under
// its stable reason and the scan goes on.
#include "support.hpp"
#include "swarmpki/cert_scan.hpp"
#include "swarmpki/expiry.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;
using swarmpki::test::TempDir;
using swarmpki::test::write_text;
namespace fs = std::filesystem;

namespace {

std::size_t count_reason(const std::vector<ScanError>& errors, ScanReason reason) {
    return static_cast<std::size_t>(std::count_if(
        errors.begin(), errors.end(), [&](const ScanError& e) { return e.reason == reason; }));
}

const ScanError* error_for(const std::vector<ScanError>& errors, const fs::path& path) {
    for (const ScanError& e : errors)
        if (e.path == path.string()) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("scan reasons are the six stable names", "[cert_scan]") {
    CHECK(to_string(ScanReason::permission_denied) == "permission_denied");
    CHECK(to_string(ScanReason::broken_symlink) == "broken_symlink");
    CHECK(scan_reason(ReadFailure::not_a_file) == ScanReason::read_failed);
    CHECK(scan_reason(ReadFailure::too_large) == ScanReason::too_large);
    CHECK(scan_reason(ReadFailure::bad_pem) == ScanReason::bad_pem);
}

TEST_CASE("plan_scan finds node directories and other certificate files", "[cert_scan]") {
    TempDir tmp;
    fs::create_directories(tmp / "fleet/host1");
    fs::create_directories(tmp / "fleet/host2/nested");
    write_text(tmp / "fleet/host1/swarm-node.crt", "x");
    write_text(tmp / "fleet/host1/swarm-root-ca.crt", "x");
    write_text(tmp / "fleet/host1/swarm-node.key", "x");
    write_text(tmp / "fleet/host2/nested/extra.pem", "x");
    write_text(tmp / "fleet/host2/readme.txt", "x");
    write_text(tmp / "fleet/host2/.swarm-node.crt", "x");  // an interrupted engine write
    ScanPlan plan = plan_scan(std::vector<std::string>{(tmp / "fleet").string()});
    REQUIRE(plan.units.size() == 2);
    CHECK(plan.units[0].kind == ScanUnit::Kind::node_directory);
    CHECK(plan.units[0].path == (tmp / "fleet/host1").string());
    CHECK(plan.units[1].kind == ScanUnit::Kind::certificate_file);
    CHECK(plan.units[1].path == (tmp / "fleet/host2/nested/extra.pem").string());
    CHECK(plan.errors.empty());
}

TEST_CASE("plan_scan reports paths that are missing, dangling or empty", "[cert_scan]") {
    TempDir tmp;
    fs::create_directories(tmp / "empty");
    fs::create_symlink(tmp / "gone", tmp / "link");
    ScanPlan plan = plan_scan(std::vector<std::string>{
        (tmp / "nope").string(), (tmp / "link").string(), (tmp / "empty").string()});
    CHECK(plan.units.empty());
    REQUIRE(plan.errors.size() == 3);
    CHECK(plan.errors[0].reason == ScanReason::not_found);
    CHECK(plan.errors[1].reason == ScanReason::broken_symlink);
    CHECK(plan.errors[2].reason == ScanReason::not_found);
    CHECK(plan.errors[2].message.find("no certificate files") != std::string::npos);
}

TEST_CASE("a hostile tree: each bad file under its reason, the good ones still evaluated",
          "[cert_scan][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    TempDir tmp;
    fs::path tree = tmp / "tree";
    fs::create_directories(tree);
    fs::path good = swarmpki::test::copy_node_dir("worker", "worker1", tree);
    fs::path half = tree / "half";  // a node directory missing its root file
    fs::create_directories(half);
    fs::copy_file(good / "swarm-node.crt", half / "swarm-node.crt");
    fs::create_symlink(tree / "nowhere.crt", tree / "dangling.crt");
    write_text(tree / "big.crt", std::string(2 * 1024 * 1024, 'A'));
    write_text(tree / "garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n"
                                     "-----END CERTIFICATE-----\n");
    write_text(tree / "binary.crt", std::string("\x30\x82\x01\x00\x00\x01", 6));
    write_text(tree / "key-only.pem",
               "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    REQUIRE(::mkfifo((tree / "fifo.crt").c_str(), 0644) == 0);
    bool root = ::geteuid() == 0;
    if (!root) {
        write_text(tree / "locked.crt", "x");
        ::chmod((tree / "locked.crt").c_str(), 0);
    }

    ExpiryOptions options;
    options.at = *parse_rfc3339("2026-12-01T00:00:00Z");
    options.threads = 3;
    ExpiryReport r = evaluate_expiry(plan_scan(std::vector<std::string>{tree.string()}), options);

    CHECK(error_for(r.errors, tree / "dangling.crt")->reason == ScanReason::broken_symlink);
    CHECK(error_for(r.errors, tree / "big.crt")->reason == ScanReason::too_large);
    CHECK(error_for(r.errors, tree / "garbage.pem")->reason == ScanReason::bad_pem);
    CHECK(error_for(r.errors, tree / "binary.crt")->reason == ScanReason::bad_pem);
    CHECK(error_for(r.errors, tree / "fifo.crt")->reason == ScanReason::read_failed);
    const ScanError* missing = error_for(r.errors, half / "swarm-root-ca.crt");
    REQUIRE(missing);
    CHECK(missing->reason == ScanReason::not_found);
    CHECK(error_for(r.errors, tree / "key-only.pem") == nullptr);  // no certificate: skipped
    CHECK(r.summary.files_skipped == 1);
    if (root) {
        WARN("running as root: a mode-000 file is readable, so permission_denied is not provoked");
    } else {
        CHECK(error_for(r.errors, tree / "locked.crt")->reason == ScanReason::permission_denied);
        CHECK(r.summary.errors_by_reason.at(ScanReason::permission_denied) == 1);
    }
    for (const ScanError& e : r.errors) {
        INFO(e.message);
        CHECK(e.message.rfind(e.path, 0) == 0);  // one line, path first
        CHECK(e.message.find('\n') == std::string::npos);
    }
    CHECK(r.summary.errors_by_reason.at(ScanReason::too_large) == 1);
    CHECK(count_reason(r.errors, ScanReason::bad_pem) == 2);
    // The good directory and the half one's node certificate were still evaluated.
    CHECK(r.certificates.size() == 3);
    // run_verdict: scan errors beside certificates that are all ok make the run unknown (a
    // warning or critical certificate would outrank them).
    CHECK(r.status == Severity::unknown);
}

TEST_CASE("nothing evaluable is unknown", "[cert_scan]") {
    TempDir tmp;
    write_text(tmp / "junk.pem", "hello");
    ExpiryOptions options;
    options.at = *parse_rfc3339("2026-12-01T00:00:00Z");
    ExpiryReport r = evaluate_expiry(plan_scan(std::vector<std::string>{tmp.str()}), options);
    CHECK(r.certificates.empty());
    CHECK(r.errors.size() == 1);
    CHECK(r.status == Severity::unknown);
}

TEST_CASE("parallel_for_workers hands out every index once", "[cert_scan]") {
    std::vector<int> hits(1000, 0);
    std::vector<unsigned> ran_on(hits.size(), 0);
    parallel_for_workers(hits.size(), 4, [&](std::size_t i, unsigned worker) {
        ++hits[i];
        ran_on[i] = worker;
    });
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
    CHECK(std::all_of(ran_on.begin(), ran_on.end(),
                      [](unsigned w) { return w < workers_for(1000, 4); }));
    parallel_for_workers(0, 4, [&](std::size_t, unsigned) { FAIL("no work expected"); });
    CHECK(workers_for(3, 64) == 3);  // never more workers than work
    CHECK(workers_for(0, 64) == 1);
}

TEST_CASE("a tree walks to the same plan on one thread and on many", "[cert_scan]") {
    // Directories at several depths and widths, so that workers join as the walk widens.
    TempDir tmp;
    for (int a = 0; a < 5; ++a)
        for (int b = 0; b < a * 7; ++b) {
            fs::path dir = tmp / ("a" + std::to_string(a)) / ("b" + std::to_string(b));
            fs::create_directories(dir / "deeper" / "still");
            write_text(dir / "x.pem", "x");
            write_text(dir / "deeper" / "still" / "y.crt", "y");
        }
    std::vector<std::string> paths{tmp.str(), (tmp / "a3").string(), "/nonexistent/swarmpki",
                                   (tmp / "a1" / "b0" / "deeper").string()};
    ScanPlan one = plan_scan(paths, 1);
    for (unsigned threads : {2u, 8u, 64u}) {
        INFO(threads);
        ScanPlan many = plan_scan(paths, threads);
        REQUIRE(many.units.size() == one.units.size());
        for (std::size_t i = 0; i < one.units.size(); ++i)
            CHECK(many.units[i].path == one.units[i].path);
        REQUIRE(many.errors.size() == one.errors.size());
        for (std::size_t i = 0; i < one.errors.size(); ++i)
            CHECK(many.errors[i].path == one.errors[i].path);
    }
    CHECK(one.units.size() == 2 * (7 + 14 + 21 + 28));
}
