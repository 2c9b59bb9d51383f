// The unlock key options (tools/cli/command.cpp) through the built binary: standard input is read
// up to a cap and no further, a key file others can read gets a one-line warning that never
// holds the key, and the process can no longer dump core once it is about to read a key.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

using namespace swarmpki::test;

namespace {

struct Autolocked {
    std::filesystem::path dir;
    std::string key;
    std::string at;
};

Autolocked autolocked_node(const TempDir& tmp) {
    return {copy_node_dir("autolock", "manager1", tmp.path()),
            fixture_scenario("autolock")["unlock_key"].get<std::string>(),
            fixture_captured_at("autolock")};
}

}  // namespace

TEST_CASE("--unlock-key-stdin reads at most 4 KiB of a stream that never ends",
          "[cli][unlock_key]") {
    TempDir tmp;
    // An endless line: before the cap, the whole stream was read into memory. (tr's complaint
    // about the pipe swarmpki closed is not ours: SIGPIPE may be ignored by the test process.)
    auto r = run_program("/bin/sh", {"-c",
                                     "tr '\\000' A < /dev/zero 2>/dev/null | \"$0\" inspect --dir "
                                     "\"$1\" --unlock-key-stdin; echo rc=$?",
                                     SWARMPKI_BINARY, tmp.str()});
    CHECK(r.out == "rc=3\n");
    CHECK(r.err ==
          "swarmpki: standard input: more than 4096 bytes before the first line break (give only "
          "the secret, on one line)\n");
}

TEST_CASE("--unlock-key-file warns in one line when others can read it, and never shows the key",
          "[cli][unlock_key][conformance]") {
    if (!fixtures_dir()) return note_fixtures_missing();
    TempDir tmp;
    Autolocked node = autolocked_node(tmp);
    std::string key_file = (tmp / "unlock-key").string();
    write_text(key_file, node.key + "\n");
    REQUIRE(::chmod(key_file.c_str(), 0600) == 0);
    auto quiet = run_swarmpki({"inspect", "--dir", node.dir.string(), "--unlock-key-file", key_file,
                               "--at", node.at, "--format", "json"});
    CHECK(quiet.err.empty());
    REQUIRE(quiet.json()["nodes"][0]["key"]["matches_certificate"] == true);

    REQUIRE(::chmod(key_file.c_str(), 0644) == 0);
    auto loud = run_swarmpki({"inspect", "--dir", node.dir.string(), "--unlock-key-file", key_file,
                              "--at", node.at, "--format", "json"});
    CHECK(loud.err == "swarmpki: warning: " + key_file +
                          ": mode 0644 lets other users read this secret (chmod 600 " + key_file +
                          ")\n");
    CHECK(loud.exit_code == quiet.exit_code);
    CHECK(loud.json()["nodes"][0]["key"]["matches_certificate"] == true);
    std::string secret_part = node.key.substr(9);  // after SWMKEY-1-
    CHECK(loud.err.find(secret_part) == std::string::npos);
    CHECK(loud.out.find(secret_part) == std::string::npos);
}

TEST_CASE("the core limit is zero before the unlock key is read",
          "[cli][unlock_key][conformance]") {
    if (!fixtures_dir()) return note_fixtures_missing();
    TempDir tmp;
    Autolocked node = autolocked_node(tmp);
    // The key arrives on standard input only after two seconds; meanwhile the running binary's
    // limits are read from /proc. The shell raises its own soft limit first, so that zero can
    // only come from swarmpki. (Non-dumpability shows nowhere in /proc for root to read; the
    // library test checks it.)
    std::string script = "ulimit -c unlimited || exit 10\n"
                         "(sleep 2; echo \"$2\") | \"$0\" inspect --dir \"$1\" --unlock-key-stdin "
                         "--at \"$3\" -q & pid=$!\n"
                         "i=0; seen=no\n"
                         "while [ $i -lt 150 ]; do\n"
                         "  if grep -Eq '^Max core file size +0 +0 ' /proc/$pid/limits "
                         "2>/dev/null; then seen=yes; break; fi\n"
                         "  sleep 0.01; i=$((i+1))\n"
                         "done\n"
                         "wait $pid; echo \"core-limit-zero=$seen rc=$?\"\n";
    auto r = run_program("/bin/sh",
                         {"-c", script, SWARMPKI_BINARY, node.dir.string(), node.key, node.at});
    CHECK(r.out.rfind("core-limit-zero=yes", 0) == 0);
    CHECK(r.err.find(node.key.substr(9)) == std::string::npos);
}
