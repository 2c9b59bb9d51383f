// `swarmpki serve` and `swarmpki notify` run in the swarmpki-serve helper, which `swarmpki` execs:
// the hand-over must be invisible when the helper is there and one clear line when it is not.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using swarmpki::test::run_program;
using swarmpki::test::run_swarmpki;
using swarmpki::test::TempDir;

namespace fs = std::filesystem;

namespace {

fs::path helper_beside_binary() {
    return fs::path(SWARMPKI_BINARY).parent_path() / "swarmpki-serve";
}

}  // namespace

TEST_CASE("swarmpki serve and notify run in the helper beside the binary", "[cli]") {
    auto help = run_swarmpki({"serve", "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.rfind("usage: swarmpki serve", 0) == 0);

    auto usage = run_swarmpki({"notify", "--no-such-option"});
    CHECK(usage.exit_code == 64);
    CHECK(usage.err.find("swarmpki notify: ") == 0);
    CHECK(usage.err.find("(see swarmpki notify --help)") != std::string::npos);
}

TEST_CASE("a swarmpki without its swarmpki-serve helper refuses serve in one line, exit 3",
          "[cli]") {
    TempDir dir;
    fs::path lone = dir / "swarmpki";
    fs::copy_file(SWARMPKI_BINARY, lone);

    auto serve = run_program(lone.string(), {"serve", "--help"});
    CHECK(serve.exit_code == 3);
    CHECK(serve.out.empty());
    CHECK(serve.err.find("swarmpki-serve") != std::string::npos);
    CHECK(serve.err.find("not found") != std::string::npos);
    CHECK(serve.err.find("reinstall swarmpki") != std::string::npos);
    CHECK(std::count(serve.err.begin(), serve.err.end(), '\n') == 1);

    // Every other command is whole without the helper.
    auto version = run_program(lone.string(), {"--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.rfind("swarmpki ", 0) == 0);
}

TEST_CASE("swarmpki-serve run by hand names the commands to use instead", "[cli]") {
    REQUIRE(fs::exists(helper_beside_binary()));
    auto bare = run_program(helper_beside_binary().string(), {});
    CHECK(bare.exit_code == 64);
    CHECK(bare.err.find("swarmpki serve") != std::string::npos);

    // It runs only what `swarmpki` hands it: serve, notify, cluster, and inspect and expiry when
    // they ask the engine; anything else is refused.
    auto token = run_program(helper_beside_binary().string(), {"token"});
    CHECK(token.exit_code == 64);
}
