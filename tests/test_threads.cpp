// One answer to "how many cores": thread_count, used by every pool and every --threads option.
// `--threads 0` means every core for `rotate simulate` and `expiry` alike (expiry once refused it
// as a usage error), and both say so in their help.
#include "support.hpp"
#include "swarmpki/threads.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <thread>

using namespace swarmpki;
using swarmpki::test::run_swarmpki;
using swarmpki::test::TempDir;

TEST_CASE("thread_count: 0 is every core, at least one; anything else as asked", "[threads]") {
    CHECK(thread_count(0) == std::max(1u, std::thread::hardware_concurrency()));
    CHECK(default_thread_count() == thread_count(0));
    CHECK(thread_count(1) == 1);
    CHECK(thread_count(3) == 3);
    CHECK(thread_count(512) == 512);
}

TEST_CASE("expiry and rotate take --threads 0 as every core and say so in their help",
          "[threads][cli]") {
    for (const char* command : {"expiry", "rotate simulate"}) {
        INFO(command);
        std::vector<std::string> args = {command};
        if (std::string(command) == "rotate simulate") args = {"rotate", "simulate"};
        args.push_back("--help");
        auto help = run_swarmpki(args);
        CHECK(help.exit_code == 0);
        CHECK(help.out.find("--threads arg (=0)") != std::string::npos);
        CHECK(help.out.find("worker threads (0: every core)") != std::string::npos);
    }
    TempDir tmp;
    REQUIRE(run_swarmpki({"ca", "init", "--out", (tmp / "root").string(), "-q"}).exit_code == 0);
    auto zero = run_swarmpki({"expiry", (tmp / "root" / "swarm-root-ca.crt").string(), "--threads",
                              "0", "--format", "json", "--at", "2027-01-01T00:00:00Z"});
    CHECK(zero.exit_code == 0);
    CHECK(zero.err.empty());
    auto one = run_swarmpki({"expiry", (tmp / "root" / "swarm-root-ca.crt").string(), "--threads",
                             "1", "--format", "json", "--at", "2027-01-01T00:00:00Z"});
    CHECK(one.exit_code == 0);
    CHECK(zero.json()["certificates"] == one.json()["certificates"]);
}
