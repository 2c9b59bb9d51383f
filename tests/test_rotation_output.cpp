// rotate simulate --out (pki/rotation_output.cpp): the simulated cluster's tree is written as a
// whole, so a failure at any file, or --force over an earlier run, never leaves a mix of runs.
#include "support.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/rotation.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using namespace swarmpki;
using namespace swarmpki::test;
namespace fs = std::filesystem;

namespace {

RotationOptions written_to(const fs::path& out, std::uint64_t seed, Overwrite overwrite) {
    RotationOptions o;
    o.managers = 1;
    o.workers = 3;
    o.seed = seed;
    o.now = *parse_rfc3339("2026-11-28T22:54:07Z");
    o.threads = 2;
    o.out_dir = out.string();
    o.overwrite = overwrite;
    return o;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("rotate simulate --out --force that fails midway leaves the earlier run whole",
          "[rotation]") {
    TempDir tmp;
    simulate_rotation(written_to(tmp / "out", 1, Overwrite::no));
    std::string old_root = read_text(tmp / "out" / "new-root" / "swarm-root-ca.crt");
    std::vector<std::string> old_nodes = names_in(tmp / "out" / "nodes");
    REQUIRE(old_nodes.size() == 4);
    {
        int calls = 0;
        file_detail::before_staged_write = [&calls](const std::string& relative) {
            if (++calls == 7) throw Error(relative, "injected write failure");
        };
        struct Reset {
            ~Reset() { file_detail::before_staged_write = nullptr; }
        } reset;
        CHECK_THROWS_WITH(simulate_rotation(written_to(tmp / "out", 2, Overwrite::yes)),
                          Catch::Contains("injected write failure"));
    }
    CHECK(read_text(tmp / "out" / "new-root" / "swarm-root-ca.crt") == old_root);
    CHECK(names_in(tmp / "out" / "nodes") == old_nodes);
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"out"});

    // Without the failure the second run replaces the first entirely: no node of run 1 remains.
    simulate_rotation(written_to(tmp / "out", 2, Overwrite::yes));
    CHECK(read_text(tmp / "out" / "new-root" / "swarm-root-ca.crt") != old_root);
    std::vector<std::string> new_nodes = names_in(tmp / "out" / "nodes");
    CHECK(new_nodes.size() == 4);
    CHECK(std::none_of(new_nodes.begin(), new_nodes.end(), [&](const std::string& n) {
        return std::find(old_nodes.begin(), old_nodes.end(), n) != old_nodes.end();
    }));
    CHECK(names_in(tmp.path()) == std::vector<std::string>{"out"});
}
