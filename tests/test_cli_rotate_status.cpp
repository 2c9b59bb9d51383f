// `swarmpki rotate status` run as operators run it: the built binary (which hands it to
// swarmpki-serve) against the fake engine serving the captures of a blocked and a finished
// rotation, its outputs, exit codes and usage errors, and its progress bar under a real
// pseudo-terminal (util-linux `script`). The live counterpart is
// tests/integration/test_rotation.sh.
#include "fake_engine.hpp"
#include "support.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using swarmpki::test::FakeEngine;
using swarmpki::test::run_program;
using swarmpki::test::run_swarmpki;

namespace {

constexpr const char* kWorker2 = "kjlnisi3uorlqb4epqlj8pvvl";

fs::path capture(const std::string& scenario) {
    return *swarmpki::test::engine_fixtures_dir() / scenario / "manager1";
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

std::size_t nodes_requests(const FakeEngine& engine) {
    std::size_t n = 0;
    for (const auto& seen : engine.requests()) n += seen.path == "/v1.41/nodes";
    return n;
}

}  // namespace

TEST_CASE("rotate status: one report of a blocked rotation names the worker and exits 2; a "
          "finished one exits 0",
          "[cli][rotate_status]") {
    if (!swarmpki::test::engine_fixtures_dir())
        return swarmpki::test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(capture("rotation-blocked"));
    auto text = run_swarmpki(
        {"rotate", "status", "--host", engine.url(), "--at", "2026-12-01T19:00:00Z"});
    INFO(text.err);
    CHECK(text.exit_code == 2);
    CHECK(text.err.empty());
    CHECK(text.out.find("blocked by 1 node") != std::string::npos);
    CHECK(text.out.find(std::string(kWorker2) + " (vm, worker): down since") != std::string::npos);
    CHECK(text.out.find("evaluated at 2026-12-01T19:00:00Z") != std::string::npos);

    auto json = run_swarmpki({"rotate", "status", "--host", engine.url(), "--format", "json"});
    CHECK(json.exit_code == 2);
    auto doc = json.json();
    CHECK(doc["schema"] == "swarmpki.rotation-status/v1");
    CHECK(doc["blocked_by"] == nlohmann::json::array({kWorker2}));

    auto jsonl = run_swarmpki({"rotate", "status", "--host", engine.url(), "--format", "jsonl"});
    CHECK(jsonl.exit_code == 2);
    CHECK(count_of(jsonl.out, "\n") == 1);
    CHECK(nlohmann::json::parse(jsonl.out)["in_progress"] == true);
    CHECK(engine.requests().size() == 3 * 4);  // three reports, the cluster's first read each

    FakeEngine done;
    done.load_capture(capture("rotation-finished-after-rm"));
    auto finished = run_swarmpki({"rotate", "status", "--host", done.url(), "-q"});
    CHECK(finished.exit_code == 0);
    CHECK(finished.out.empty());
    auto idle = run_swarmpki({"rotate", "status", "--host", done.url(), "--no-color"});
    CHECK(idle.exit_code == 0);
    CHECK(idle.out.rfind("rotation    none in progress\n", 0) == 0);
    for (const auto& seen : done.requests()) CHECK(seen.method == "GET");
}

TEST_CASE("rotate status --watch not on a terminal: one JSON line per change, the timeout's "
          "one line on stderr, exit 2",
          "[cli][rotate_status]") {
    if (!swarmpki::test::engine_fixtures_dir())
        return swarmpki::test::note_engine_fixtures_missing();
    FakeEngine engine;
    engine.load_capture(capture("rotation-blocked"));
    auto r = run_swarmpki({"rotate", "status", "--host", engine.url(), "--watch", "--format",
                           "jsonl", "--timeout", "2s"});
    CHECK(r.exit_code == 2);
    CHECK(count_of(r.out, "\n") == 1);  // blocked from the first poll on: no change
    auto line = nlohmann::json::parse(r.out);
    CHECK(line["schema"] == "swarmpki.rotation-status/v1");
    CHECK(line["blocked_by"] == nlohmann::json::array({kWorker2}));
    CHECK(r.err == "swarmpki: rotate status: the CA rotation is still blocked after 2s "
                   "(--timeout): 2/3 nodes converged, waiting for " +
                       std::string(kWorker2) +
                       ": bring each back, or docker node rm it (it must then rejoin with the "
                       "new token)\n");
    CHECK(engine.requests().size() == 4 + 2 * 2);  // the first read, then two a second

    // Text, not a terminal: the same, as one line.
    auto text = run_swarmpki(
        {"rotate", "status", "--host", engine.url(), "--watch", "--timeout", "0s"});
    CHECK(text.exit_code == 2);
    CHECK(count_of(text.out, "\n") == 1);
    CHECK(text.out.find(" rotation in progress, 2/3 nodes converged, blocked by 1 node") !=
          std::string::npos);
    CHECK(text.out.find("\x1b[") == std::string::npos);
}

TEST_CASE("rotate status: usage errors exit 64, an engine that cannot be asked exits 3",
          "[cli][rotate_status]") {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"rotate", "status", "--timeout", "20s"},
          {"rotate", "status", "--interval", "2s"},
          {"rotate", "status", "--watch", "--interval", "0s"},
          {"rotate", "status", "--watch", "--timeout", "soon"},
          {"rotate", "status", "--watch", "--at", "2026-12-01T19:00:00Z"},
          {"rotate", "status", "--format", "prometheus"}}) {
        auto r = run_swarmpki(args);
        INFO(r.err);
        CHECK(r.exit_code == 64);
        CHECK(r.out.empty());
    }
    swarmpki::test::TempDir tmp;
    auto r = run_swarmpki({"rotate", "status", "--host", "unix://" + (tmp / "none.sock").string()});
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(count_of(r.err, "\n") == 1);
    CHECK(r.err.find("none.sock") != std::string::npos);
}

TEST_CASE("rotate status --watch on a terminal redraws the bar in place and ends on the finished "
          "frame",
          "[cli][rotate_status]") {
    if (!swarmpki::test::engine_fixtures_dir())
        return swarmpki::test::note_engine_fixtures_missing();
    if (::access("/usr/bin/script", X_OK) != 0) {
        WARN("util-linux script not installed: the pseudo-terminal test skips");
        return;
    }
    FakeEngine engine;
    engine.load_capture(capture("rotation-blocked"));
    // Blocked for the first read and one poll, then `docker node rm`: finished.
    std::atomic<bool> stop{false};
    std::thread remover([&] {
        while (!stop && nodes_requests(engine) < 2)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        engine.load_capture(capture("rotation-finished-after-rm"));
    });
    std::string command = std::string(SWARMPKI_BINARY) +
                          " rotate status --watch --timeout 60s "
                          "--host " +
                          engine.url();
    auto r = run_program("/usr/bin/script", {"-qec", command, "/dev/null"}, {},
                         {"TERM=xterm", "NO_COLOR=1"});
    stop = true;
    remover.join();
    INFO(r.out);
    CHECK(r.exit_code == 0);
    // The first frame (bar and the blocker under it, its reason wrapped to the terminal's 80
    // columns), then each later one drawn over it: back to the line's start, clear it, then up
    // one line and clear that, for every line of the frame before.
    REQUIRE(r.out.rfind("rotation [", 0) == 0);
    std::size_t first_end = r.out.find("\r\x1b[2K");
    REQUIRE(first_end != std::string::npos);
    const std::string first = r.out.substr(0, first_end);
    CHECK(first.find("blocked by 1 node") != std::string::npos);
    CHECK(first.find("\xe2\x86\xb3 " + std::string(kWorker2)) != std::string::npos);
    std::string erase = "\r\x1b[2K";
    for (std::size_t i = 0; i < count_of(first, "\r\n"); ++i) erase += "\x1b[1A\x1b[2K";
    CHECK(count_of(r.out, erase + "rotation [") >= 1);
    std::string last = r.out.substr(r.out.rfind(erase) + erase.size());
    CHECK(last.rfind("rotation [", 0) == 0);
    CHECK(last.find("2/2 converged") != std::string::npos);
    CHECK(last.find("finished") != std::string::npos);
    CHECK(last.find("trust root CN=swarm-ca") != std::string::npos);
    CHECK(last.substr(last.size() - 2) == "\r\n");  // the terminal's newline after the last frame
    CHECK(r.out.find("\x1b[32m") == std::string::npos);  // NO_COLOR: no colour, still redrawn
}
