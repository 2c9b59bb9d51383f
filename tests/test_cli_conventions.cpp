// Conventions every command keeps: -q prints nothing on success and the whole result whenever
// the exit code is not 0; colour only on a terminal, never with a non-empty NO_COLOR or a dumb
// TERM (an empty NO_COLOR is no request, per no-color.org); unlock keys read as the engine
// prints them.
#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/private_key.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>

using namespace swarmpki;
using swarmpki::test::run_swarmpki;

namespace {

// A fresh node directory from the project's own CA, issued at `at`.
std::string node_dir(const test::TempDir& tmp, const std::string& at) {
    std::string ca = (tmp / "ca").string(), node = (tmp / "node").string();
    REQUIRE(run_swarmpki({"ca", "init", "--out", ca, "-q", "--at", at}).exit_code == 0);
    REQUIRE(run_swarmpki({"ca", "issue", "--ca", ca, "--role", "worker", "--cert-expiry", "100h",
                          "--out", node, "-q", "--at", at})
                .exit_code == 0);
    return node;
}

}  // namespace

TEST_CASE("quiet (-q) prints nothing on success and the result whenever the exit code is not 0",
          "[cli]") {
    test::TempDir tmp;
    std::string node = node_dir(tmp, "2026-06-01T00:00:00Z");
    const std::string fine = "2026-06-01T10:00:00Z", late = "2026-06-05T02:00:00Z";
    for (auto command :
         std::vector<std::vector<std::string>>{{"inspect", "--dir", node},
                                               {"expiry", node},
                                               {"expiry", node, "--format", "nagios"}}) {
        std::vector<std::string> quiet = command;
        quiet.insert(quiet.end(), {"-q", "--at", fine});
        auto ok = run_swarmpki(quiet);
        INFO(quiet[0] << " " << quiet.back());
        CHECK(ok.exit_code == 0);
        CHECK(ok.out.empty());
        quiet.back() = late;  // 98 of 100 hours gone: critical everywhere
        auto bad = run_swarmpki(quiet);
        CHECK(bad.exit_code == 2);
        CHECK(!bad.out.empty());
        if (command.back() == "nagios") CHECK(bad.out.rfind("SWARMPKI CRITICAL - ", 0) == 0);
    }
    // token verify with a token of another root: mismatch, exit 2, printed despite -q.
    std::string token =
        "SWMTKN-1-5zu5uq3vtbq7ob0khirtyn4uysnh8a0vo5ntb6hbautbkecrws-55bc4v5yjsh7xbqzdvesbq1zm";
    auto mismatch = run_swarmpki({"token", "verify", token, "--dir", node, "-q"});
    CHECK(mismatch.exit_code == 2);
    CHECK(mismatch.out.find("match") != std::string::npos);
}

TEST_CASE("colour only on a terminal, and not with a non-empty NO_COLOR or TERM=dumb", "[cli]") {
    if (::access("/usr/bin/script", X_OK) != 0) {
        WARN("script(1) not installed: the terminal cases are not run");
        return;
    }
    test::TempDir tmp;
    std::string node = node_dir(tmp, "2026-06-01T00:00:00Z");
    auto on_terminal = [&](const std::vector<std::string>& env) {
        std::string command = std::string("'") + SWARMPKI_BINARY + "' inspect --dir '" + node +
                              "' --at 2026-06-01T10:00:00Z";
        auto run = test::run_program("/usr/bin/script", {"-qec", command, "/dev/null"}, "", env);
        return run.out.find("\x1b[") != std::string::npos;
    };
    CHECK(on_terminal({"TERM=xterm"}));
    CHECK(on_terminal({"TERM=xterm", "NO_COLOR="}));  // empty: no request
    CHECK_FALSE(on_terminal({"TERM=xterm", "NO_COLOR=1"}));
    CHECK_FALSE(on_terminal({"TERM=dumb"}));
    CHECK(run_swarmpki({"inspect", "--dir", node, "--at", "2026-06-01T10:00:00Z"})
              .out.find("\x1b[") == std::string::npos);  // not a terminal
}

TEST_CASE("an unlock key is read as the engine prints it, and a cut one is named as such",
          "[private_key]") {
    const std::string key = "SWMKEY-1-/Sqe/IzpNguWolrdtekgeUass9Qr5uq0gkshmsr/asI";
    SecretBytes plain = parse_unlock_key(key);
    CHECK(plain.size() == 32);
    CHECK(parse_unlock_key("  \t" + key + " \r\n").size() == 32);  // both ends trimmed alike
    // `docker swarm unlock-key` without -q: the advice around the one key word.
    std::string advice = "To unlock a swarm manager after it restarts, run the `docker swarm "
                         "unlock`\ncommand and provide the following key:\n\n    " +
                         key +
                         "\n\nRemember to store this key in a password manager, since without "
                         "it you\nwill not be able to restart the manager.\n";
    SecretBytes from_advice = parse_unlock_key(advice);
    REQUIRE(from_advice.size() == 32);
    CHECK(std::equal(plain.data(), plain.data() + 32, from_advice.data()));
    try {
        parse_unlock_key(key.substr(0, key.size() - 8));
        FAIL("a truncated key was accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) ==
              "the unlock key: is malformed: decodes to 26 bytes, 32 expected (it was cut short "
              "or mistyped: copy it again from `docker swarm unlock-key -q`)");
    }
    CHECK_THROWS_WITH(parse_unlock_key(key + " " + key), Catch::Contains("more than one"));
}

TEST_CASE("a join token is read from a FIFO and from the pasted docker swarm join line",
          "[cli][token]") {
    const std::string token =
        "SWMTKN-1-5zu5uq3vtbq7ob0khirtyn4uysnh8a0vo5ntb6hbautbkecrws-55bc4v5yjsh7xbqzdvesbq1zm";
    // Process substitution, as operators keep tokens out of ps.
    auto fifo = test::run_program(
        "/bin/bash",
        {"-c", "exec \"$0\" token decode --format json --token-file <(printf '%s\\n' \"$1\")",
         SWARMPKI_BINARY, token});
    INFO(fifo.err);
    CHECK(fifo.exit_code == 0);
    CHECK(fifo.json()["digest_base36"] == "5zu5uq3vtbq7ob0khirtyn4uysnh8a0vo5ntb6hbautbkecrws");
    auto line = run_swarmpki({"token", "decode", "--format", "json",
                              "docker swarm join --token " + token + " 10.0.0.5:2377"});
    CHECK(line.exit_code == 0);
    CHECK(line.out.find("55bc4v5yjsh7xbqzdvesbq1zm") == std::string::npos);  // still redacted
    test::TempDir tmp;
    test::write_text(tmp / "join.txt", "docker swarm join --token " + token + " 10.0.0.5:2377\n");
    auto file = run_swarmpki({"token", "decode", "--token-file", (tmp / "join.txt").string()});
    CHECK(file.exit_code == 0);
    test::write_text(tmp / "huge.txt", std::string(8192, 'a'));
    auto huge = run_swarmpki({"token", "decode", "--token-file", (tmp / "huge.txt").string()});
    CHECK(huge.exit_code == 3);
    CHECK(huge.err.find("more than 4096 bytes") != std::string::npos);
}
