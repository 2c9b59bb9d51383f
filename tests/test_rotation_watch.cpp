// The watch of `rotate status` against the fake engine serving the captures of a blocked and a
// finished rotation, on a fake clock (no test waits in real time): the engine's load (the
// cluster's first read, then exactly /swarm and /nodes a poll), one emission per change, the
// end (settled, or --timeout passed) and its exit code.
#include "swarmpki/rotation_watch.hpp"

#include "fake_engine.hpp"
#include "swarmpki/rotation_status_render.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace swarmpki;
using namespace std::chrono_literals;
using swarmpki::test::FakeEngine;
using swarmpki::test::json_reply;
namespace fs = std::filesystem;

namespace {

constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";

fs::path capture(const std::string& scenario) {
    return *test::engine_fixtures_dir() / scenario / "manager1";
}

// A clock that moves only when the watch sleeps; `on_sleep(n)` runs after the n-th sleep (from
// 1), before the poll that follows it, to change what the engine says.
struct FakeClock {
    std::chrono::milliseconds now{1'000'000};
    std::vector<std::chrono::milliseconds> sleeps;
    std::function<void(std::size_t)> on_sleep = [](std::size_t) {};
    WatchClock clock() {
        return WatchClock{[this] {
                              return *parse_rfc3339("2026-12-01T19:00:00Z") +
                                     std::chrono::duration_cast<Seconds>(now - 1'000'000ms);
                          },
                          [this] { return now; },
                          [this](std::chrono::milliseconds d) {
                              now += d;
                              sleeps.push_back(d);
                              on_sleep(sleeps.size());
                          }};
    }
};

struct Emitted {
    std::vector<std::string> lines;  // jsonl of the changes
    std::size_t calls = 0;
    RotationStatusSink sink() {
        return [this](const RotationStatus& s, bool changed, Seconds) {
            ++calls;
            if (changed) lines.push_back(render_rotation_status_jsonl(s));
        };
    }
};

EngineClient client_of(const FakeEngine& engine) {
    return EngineClient(resolve_engine_endpoint(engine.url(), {}));
}

// After the first read (/_ping and the three cluster GETs), the paths asked.
std::vector<std::string> later_paths(const FakeEngine& engine) {
    std::vector<std::string> paths;
    auto seen = engine.requests();
    REQUIRE(seen.size() >= 4);
    for (std::size_t i = 4; i < seen.size(); ++i) {
        CHECK(seen[i].method == "GET");
        paths.push_back(seen[i].path);
    }
    return paths;
}

// The blocked capture's /nodes with its down worker up again: a rotation on its way.
std::string nodes_with_worker2_ready() {
    auto nodes = nlohmann::json::parse(test::engine_capture(
        *test::engine_fixtures_dir(), "rotation-blocked", "manager1", "nodes"));
    for (auto& node : nodes)
        if (node["ID"] == kWorker2) node["Status"]["State"] = "ready";
    return nodes.dump();
}

}  // namespace

TEST_CASE("rotate status watch: blocked past --timeout costs /swarm and /nodes a poll, prints "
          "once, exits 2",
          "[rotation_watch]") {
    if (!test::engine_fixtures_dir()) return test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(capture("rotation-blocked"));
    EngineClient client = client_of(engine);
    FakeClock clock;
    Emitted out;
    RotationWatchOptions options;
    options.watch = true;
    options.timeout = 20s;
    RotationWatchResult r = watch_rotation(client, options, clock.clock(), out.sink());
    CHECK(r.exit_code == ExitCode::critical);
    CHECK(r.end == RotationWaitEnd::timed_out);
    CHECK(r.elapsed == 20s);
    CHECK(r.last.blocked());
    // One sleep of the 1 s default interval per poll, twenty of them, none past the timeout.
    CHECK(clock.sleeps == std::vector<std::chrono::milliseconds>(20, 1000ms));
    std::vector<std::string> paths = later_paths(engine);
    REQUIRE(paths.size() == 2 * 20);
    for (std::size_t i = 0; i < paths.size(); i += 2) {
        CHECK(paths[i] == "/v1.41/swarm");
        CHECK(paths[i + 1] == "/v1.41/nodes");
    }
    // The polling load, as the engine sees it: two requests a second.
    WARN("rotate status --watch polling load on the fake engine: "
         << paths.size() << " requests in " << r.elapsed.count()
         << " s = " << static_cast<double>(paths.size()) / static_cast<double>(r.elapsed.count())
         << " requests/s (after the first read's " << engine.requests().size() - paths.size()
         << ")");
    CHECK(out.calls == 21);
    REQUIRE(out.lines.size() == 1);  // nothing changed after the first report
    auto doc = nlohmann::json::parse(out.lines[0]);
    CHECK(doc["schema"] == "swarmpki.rotation-status/v1");
    CHECK(doc["blocked_by"] == nlohmann::json::array({kWorker2}));
}

TEST_CASE("rotate status watch: a blocked rotation that finishes after docker node rm emits the "
          "change and exits 0",
          "[rotation_watch]") {
    if (!test::engine_fixtures_dir()) return test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(capture("rotation-blocked"));
    EngineClient client = client_of(engine);
    FakeClock clock;
    clock.on_sleep = [&engine](std::size_t n) {
        if (n == 3) engine.load_capture(capture("rotation-finished-after-rm"));
    };
    Emitted out;
    RotationWatchOptions options;
    options.watch = true;  // no timeout: until it finishes
    options.interval = 2s;
    RotationWatchResult r = watch_rotation(client, options, clock.clock(), out.sink());
    CHECK(r.exit_code == ExitCode::ok);
    CHECK(r.end == RotationWaitEnd::report);
    CHECK(r.elapsed == 6s);
    CHECK(clock.sleeps == std::vector<std::chrono::milliseconds>(3, 2000ms));
    CHECK(later_paths(engine).size() == 2 * 3);
    REQUIRE(out.lines.size() == 2);
    auto first = nlohmann::json::parse(out.lines[0]);
    auto last = nlohmann::json::parse(out.lines[1]);
    CHECK(first["in_progress"] == true);
    CHECK(last["schema"] == "swarmpki.rotation-status/v1");
    CHECK(last["in_progress"] == false);
    CHECK(last["finished"] == true);
    CHECK(last["blocked_by"] == nlohmann::json::array());
    CHECK(last["converged"] == last["total"]);
    CHECK(last["trust_root"]["public_key_sha256"] != first["trust_root"]["public_key_sha256"]);
    CHECK(last["join_tokens"]["worker"]["pins_trust_root"] == true);
    CHECK(last["evaluated_at"] == "2026-12-01T19:00:06Z");
}

TEST_CASE("rotate status watch: converging, then blocked, then finished is three lines",
          "[rotation_watch]") {
    if (!test::engine_fixtures_dir()) return test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(capture("rotation-blocked"));
    engine.set("/nodes", json_reply(200, nodes_with_worker2_ready()));
    EngineClient client = client_of(engine);
    FakeClock clock;
    clock.on_sleep = [&engine](std::size_t n) {
        if (n == 2) engine.load_capture(capture("rotation-blocked"));
        if (n == 5) engine.load_capture(capture("rotation-finished-after-rm"));
    };
    Emitted out;
    RotationWatchOptions options;
    options.watch = true;
    options.timeout = 1h;
    RotationWatchResult r = watch_rotation(client, options, clock.clock(), out.sink());
    CHECK(r.exit_code == ExitCode::ok);
    REQUIRE(out.lines.size() == 3);
    auto converging = nlohmann::json::parse(out.lines[0]);
    CHECK(converging["estimated_engine_seconds"].is_number());
    CHECK(converging["blocked_by"] == nlohmann::json::array());
    CHECK(nlohmann::json::parse(out.lines[1])["estimated_engine_seconds"].is_null());
    CHECK(nlohmann::json::parse(out.lines[2])["finished"] == true);
    CHECK(out.calls == 6);
}

TEST_CASE("rotate status watch: a timeout while converging exits 2, the last sleep cut to it",
          "[rotation_watch]") {
    if (!test::engine_fixtures_dir()) return test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(capture("rotation-blocked"));
    engine.set("/nodes", json_reply(200, nodes_with_worker2_ready()));
    EngineClient client = client_of(engine);
    FakeClock clock;
    Emitted out;
    RotationWatchOptions options;
    options.watch = true;
    options.timeout = 5s;
    options.interval = 2s;
    RotationWatchResult r = watch_rotation(client, options, clock.clock(), out.sink());
    CHECK(r.exit_code == ExitCode::critical);
    CHECK(r.end == RotationWaitEnd::timed_out);
    CHECK_FALSE(r.last.blocked());
    CHECK(clock.sleeps == std::vector<std::chrono::milliseconds>{2000ms, 2000ms, 1000ms});
    CHECK(later_paths(engine).size() == 2 * 3);
    CHECK(out.lines.size() == 1);
    CHECK(rotation_status_end_message(r.last, r.end, r.elapsed)
              .find("still converging after 5s (--timeout)") != std::string::npos);
}

TEST_CASE("rotate status without --watch: the first read only, and its exit code",
          "[rotation_watch]") {
    if (!test::engine_fixtures_dir()) return test::note_engine_fixtures_missing();
    struct Case {
        const char* scenario;
        ExitCode code;
    };
    for (Case c :
         {Case{"rotation-blocked", ExitCode::critical},
          Case{"rotation-finished-after-rm", ExitCode::ok}, Case{"healthy", ExitCode::ok}}) {
        INFO(c.scenario);
        FakeEngine engine;
        engine.load_capture(capture(c.scenario));
        EngineClient client = client_of(engine);
        FakeClock clock;
        Emitted out;
        RotationWatchResult r = watch_rotation(client, {}, clock.clock(), out.sink());
        CHECK(r.exit_code == c.code);
        CHECK(clock.sleeps.empty());
        CHECK(engine.requests().size() == 4);
        CHECK(out.lines.size() == 1);
    }
    // A watch of a swarm with no rotation ends at once too.
    FakeEngine engine;
    engine.load_capture(capture("healthy"));
    EngineClient client = client_of(engine);
    FakeClock clock;
    Emitted out;
    RotationWatchOptions options;
    options.watch = true;
    CHECK(watch_rotation(client, options, clock.clock(), out.sink()).exit_code == ExitCode::ok);
    CHECK(clock.sleeps.empty());
}

TEST_CASE("rotate status watch: an engine that stops answering mid-watch is an EngineError",
          "[rotation_watch]") {
    if (!test::engine_fixtures_dir()) return test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(capture("rotation-blocked"));
    EngineClient client = client_of(engine);
    FakeClock clock;
    clock.on_sleep = [&engine](std::size_t n) {
        if (n == 2) engine.load_capture(capture("locked"));
    };
    Emitted out;
    RotationWatchOptions options;
    options.watch = true;
    CHECK_THROWS_AS(watch_rotation(client, options, clock.clock(), out.sink()), EngineError);
    CHECK(out.lines.size() == 1);
}
