// verify refuses a peer of another cluster under the same root, as swarmkit's authorizeOrg
// does; the same cluster under that root is still accepted.
#include "support.hpp"

#include <catch2/catch.hpp>

using swarmpki::test::run_swarmpki;

TEST_CASE("verify refuses two nodes of different clusters under one root as different-cluster",
          "[cli][peer_verify]") {
    swarmpki::test::TempDir tmp;
    const std::string at = "2026-06-01T00:00:00Z", later = "2026-06-01T01:00:00Z";
    std::string ca = (tmp / "ca").string();
    REQUIRE(run_swarmpki({"ca", "init", "--out", ca, "-q", "--at", at}).exit_code == 0);
    auto issue = [&](const std::string& name, const std::string& cluster) {
        std::string out = (tmp / name).string();
        REQUIRE(run_swarmpki({"ca", "issue", "--ca", ca, "--role", "manager", "--cluster-id",
                              cluster, "--out", out, "-q", "--at", at})
                    .exit_code == 0);
        return out;
    };
    std::string a = issue("a", "aaaaaaaaaaaaaaaaaaaaaaaaa");
    std::string b = issue("b", "bbbbbbbbbbbbbbbbbbbbbbbbb");
    std::string a2 = issue("a2", "aaaaaaaaaaaaaaaaaaaaaaaaa");
    auto other = run_swarmpki({"verify", "--dir", a, "--peer-dir", b, "--at", later});
    INFO(other.out << other.err);
    CHECK(other.exit_code == 2);
    CHECK(other.out.find("different-cluster") != std::string::npos);
    CHECK(
        other.out.find("names cluster bbbbbbbbbbbbbbbbbbbbbbbbb, not aaaaaaaaaaaaaaaaaaaaaaaaa") !=
        std::string::npos);
    auto same = run_swarmpki({"verify", "--dir", a, "--peer-dir", a2, "--at", later});
    CHECK(same.exit_code == 0);
}
