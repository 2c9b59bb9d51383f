// for_each_chunk_in_order: every chunk produced once and committed exactly in chunk order, however
// the workers finish; and the scan and the JSON built on it give the same result on any number of
// threads, across many chunks.
#include "expiry_ordered.hpp"
#include "support.hpp"
#include "swarmpki/expiry.hpp"
#include "swarmpki/expiry_render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;

TEST_CASE("chunks are committed in order however workers finish", "[expiry]") {
    for (unsigned threads : {1u, 2u, 5u}) {
        std::vector<std::size_t> committed;
        std::vector<int> produced(300, 0);
        expiry_detail::for_each_chunk_in_order<std::size_t>(
            produced.size(), threads,
            [&](std::size_t chunk, unsigned) {
                ++produced[chunk];  // each index goes to one worker only
                // Early chunks take longest, so later ones finish first and must be parked.
                if (chunk % 7 == 0)
                    std::this_thread::sleep_for(std::chrono::microseconds(300 - chunk));
                return chunk;
            },
            [&](std::size_t&& chunk) { committed.push_back(chunk); });
        INFO(threads);
        REQUIRE(committed.size() == produced.size());
        for (std::size_t i = 0; i < committed.size(); ++i) CHECK(committed[i] == i);
        CHECK(std::all_of(produced.begin(), produced.end(), [](int n) { return n == 1; }));
    }
    std::size_t calls = 0;
    expiry_detail::for_each_chunk_in_order<int>(
        0, 4, [&](std::size_t, unsigned) { return ++calls, 0; }, [&](int&&) { ++calls; });
    CHECK(calls == 0);
}

TEST_CASE("plan_scan walks to the same plan on one thread and on many", "[expiry][cert_scan]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::vector<std::string> paths = {fixtures_dir()->string(), "/nonexistent/swarmpki",
                                      (*fixtures_dir() / "worker").string()};
    ScanPlan one = plan_scan(paths, 1);
    ScanPlan many = plan_scan(paths, 6);
    REQUIRE(one.units.size() == many.units.size());
    REQUIRE(one.units.size() > 20);
    for (std::size_t i = 0; i < one.units.size(); ++i) {
        CHECK(one.units[i].path == many.units[i].path);
        CHECK(one.units[i].kind == many.units[i].kind);
        CHECK(one.units[i].key_listed == many.units[i].key_listed);
        CHECK(one.units[i].node_cert_regular == many.units[i].node_cert_regular);
        if (i > 0) CHECK(one.units[i - 1].path < one.units[i].path);  // sorted, no duplicates
    }
    REQUIRE(one.errors.size() == 1);
    REQUIRE(many.errors.size() == 1);
    CHECK(one.errors[0].path == "/nonexistent/swarmpki");
    CHECK(many.errors[0].reason == ScanReason::not_found);
}

TEST_CASE("a report of many chunks renders in order, in JsonWriter's layout",
          "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    ExpiryOptions options;
    options.at = *parse_rfc3339("2026-11-29T00:00:00Z");
    options.threads = 3;
    ExpiryReport fixture = evaluate_expiry(
        plan_scan(std::vector<std::string>{fixtures_dir()->string()}), options);
    REQUIRE(!fixture.certificates.empty());
    REQUIRE(!fixture.directories.empty());
    // Enough records for several chunks of both arrays, each numbered by its position.
    ExpiryReport big = fixture;
    big.certificates.clear();
    big.directories.clear();
    for (std::size_t i = 0; i < 9000; ++i) {
        CertExpiry c = fixture.certificates[i % fixture.certificates.size()];
        c.index = i;
        if (i == 4321) c.path = "odd/\"quoted\"\\\n\x01";
        big.certificates.push_back(std::move(c));
        NodeDirectory d = fixture.directories[i % fixture.directories.size()];
        d.path = "dir-" + std::to_string(i);
        if (i == 777) d.node_id.reset();
        big.directories.push_back(std::move(d));
    }
    std::string out = render_expiry_json(big);
    CHECK(nlohmann::ordered_json::parse(out).dump(2) + "\n" == out);
    // The scan's thread count travels with the report to the renderer; the text is the same on
    // any number of threads.
    CHECK(big.threads == 3);
    for (unsigned threads : {1u, 4u}) {
        INFO(threads);
        big.threads = threads;
        CHECK(render_expiry_json(big) == out);
    }
    auto doc = nlohmann::json::parse(out);
    REQUIRE(doc["certificates"].size() == 9000);
    REQUIRE(doc["directories"].size() == 9000);
    for (std::size_t i = 0; i < 9000; ++i) {
        CHECK(doc["certificates"][i]["index"] == i);
        CHECK(doc["directories"][i]["path"] == "dir-" + std::to_string(i));
    }
    CHECK(doc["certificates"][4321]["path"] == "odd/\"quoted\"\\\n\x01");
    CHECK(doc["directories"][777]["node_id"].is_null());
}
