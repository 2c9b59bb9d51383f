// `swarmpki inspect` as a process: argv in, exit code, stderr line and JSON members out. Node
// directories come from the CA engine, so these run without the real-engine fixtures.
#include "support.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/join_token.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

using namespace swarmpki;
using namespace swarmpki::test;
namespace fs = std::filesystem;

namespace {

const Instant kNow = *parse_rfc3339("2026-11-28T22:54:07Z");
const std::string kAt = "2026-11-28T22:54:07Z";
const std::string kUnlockKey = "SWMKEY-1-PJVWSVYlMhxdEmx7RC0/t34bxRY0vgsf5UbNosU5SyQ";

struct Swarm {
    RootCa root = create_root({}, kNow);
    std::string root_pem = root.certificate.to_pem();
};

fs::path write_node(const Swarm& swarm, const fs::path& dir, NodeRole role = NodeRole::worker,
                    const std::string& unlock_key = {}) {
    PrivateKey key = KeyGenerator().generate();
    NodeCertificateIssuer issuer(swarm.root.certificate, swarm.root.key, kDefaultNodeCertExpiry);
    Certificate leaf = issuer.issue({new_engine_id(), role, "45dwjg326020dkgqtum4kdw4o"},
                                    key.get0(), kNow);
    std::string key_pem = encode_node_key(key);
    if (!unlock_key.empty()) {
        std::vector<PemHeader> headers{{"kek-version", "29"}};
        key_pem = encode_encrypted_pkcs8_pem(key, parse_unlock_key(unlock_key), headers);
    }
    write_node_directory(dir.string(), {swarm.root_pem, leaf.to_pem(), key_pem}, Overwrite::no);
    return dir;
}

std::vector<std::string> inspect_args(const fs::path& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"inspect", "--dir", dir.string(), "--at", kAt};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Every file under a directory with its size and modification time.
std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> snapshot(const fs::path& dir) {
    std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        files[entry.path().string()] = {entry.is_regular_file() ? entry.file_size() : 0,
                                        fs::last_write_time(entry.path())};
    return files;
}

}  // namespace

TEST_CASE("inspect --help shows examples and exit codes", "[cli][inspect]") {
    RunResult run = run_swarmpki({"inspect", "--help"});
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("EXAMPLES") != std::string::npos);
    CHECK(run.out.find("EXIT CODES") != std::string::npos);
    CHECK(run.out.find("--unlock-key-file") != std::string::npos);
    CHECK(run.out.find("--token") != std::string::npos);
}

TEST_CASE("inspect usage errors exit 64 with one line", "[cli][inspect]") {
    TempDir tmp;
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"inspect", "--bogus"},
          {"inspect", "--format", "xml", "--dir", tmp.str()},
          {"inspect", "--at", "yesterday", "--dir", tmp.str()},
          {"inspect", "--dir", tmp.str(), "extra"},
          {"inspect", "--dir", tmp.str(), "--token", "x", "--token-file", "y"}}) {
        INFO(args.back());
        RunResult run = run_swarmpki(args);
        CHECK(run.exit_code == 64);
        CHECK(lines(run.err) == 1);
        CHECK(run.err.rfind("swarmpki inspect: ", 0) == 0);
        CHECK(run.out.empty());
    }
    RunResult format = run_swarmpki({"inspect", "--format", "xml", "--dir", tmp.str()});
    CHECK(format.err == "swarmpki inspect: --format must be one of text|json, not 'xml' (see "
                        "swarmpki inspect --help)\n");
}

TEST_CASE("inspect a sound node: exit 0, the JSON document, text without colour off a terminal",
          "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path dir = write_node(swarm, tmp / "node");
    RunResult run = run_swarmpki(inspect_args(dir, {"--format", "json"}));
    CHECK(run.exit_code == 0);
    CHECK(run.err.empty());
    auto doc = run.json();
    CHECK(doc["schema"] == "swarmpki.inspect/v1");
    CHECK(doc["evaluated_at"] == kAt);
    CHECK(doc["status"] == "ok");
    CHECK(doc["fleet"].is_null());
    REQUIRE(doc["nodes"].size() == 1);
    CHECK(doc["nodes"][0]["dir"] == dir.string());
    CHECK(doc["nodes"][0]["node"]["role"] == "worker");
    CHECK(doc["nodes"][0]["root_file_sha256"] == sha256_hex(swarm.root_pem));
    CHECK(doc["nodes"][0]["key"]["matches_certificate"] == true);
    CHECK(doc["nodes"][0]["findings"].empty());

    RunResult text = run_swarmpki(inspect_args(dir));
    CHECK(text.exit_code == 0);
    CHECK(text.out.find('\x1b') == std::string::npos);
    CHECK(text.out.rfind(dir.string() + "  OK\n", 0) == 0);

    RunResult quiet = run_swarmpki(inspect_args(dir, {"-q"}));
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out.empty());
}

TEST_CASE("inspect exits with the worst severity", "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path warn = write_node(swarm, tmp / "warn");
    ::chmod((warn / "swarm-node.key").c_str(), 0644);
    RunResult warning = run_swarmpki(inspect_args(warn, {"--format", "json"}));
    CHECK(warning.exit_code == 1);
    CHECK(warning.json()["status"] == "warning");

    fs::path crit = write_node(swarm, tmp / "crit");
    write_text(crit / "swarm-node.key", encode_node_key(KeyGenerator().generate()));
    RunResult critical = run_swarmpki(inspect_args(crit, {"--format", "json"}));
    CHECK(critical.exit_code == 2);
    CHECK(critical.err.empty());
    CHECK(critical.json()["nodes"][0]["findings"][0]["code"] == "key-mismatch");

    RunResult quiet = run_swarmpki(inspect_args(crit, {"-q"}));
    CHECK(quiet.exit_code == 2);
    CHECK_FALSE(quiet.out.empty());  // quiet only on success

    RunResult both = run_swarmpki({"inspect", "--format", "json", "--at", kAt, "--dir",
                                   warn.string(), "--dir", crit.string()});
    CHECK(both.exit_code == 2);
    auto doc = both.json();
    CHECK(doc["nodes"].size() == 2);
    CHECK(doc["fleet"]["by_status"]["warning"] == 1);
    CHECK(doc["fleet"]["by_status"]["critical"] == 1);
}

TEST_CASE("inspect: an unevaluable directory exits 3 with one stderr line and a complete document",
          "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path good = write_node(swarm, tmp / "good");
    fs::path missing = tmp / "missing";
    RunResult run = run_swarmpki({"inspect", "--format", "json", "--at", kAt, "--dir",
                                  good.string(), "--dir", missing.string()});
    CHECK(run.exit_code == 3);
    std::string line = missing.string() +
                       ": no such directory (give the node's certificates directory (the engine's "
                       "is /var/lib/docker/swarm/certificates))";
    CHECK(run.err == "swarmpki: " + line + "\n");
    auto doc = run.json();
    CHECK(doc["status"] == "unknown");
    CHECK(doc["nodes"][0]["status"] == "ok");
    CHECK(doc["nodes"][1]["status"] == "unknown");
    CHECK(doc["nodes"][1]["error"] == line);

    RunResult text = run_swarmpki({"inspect", "--at", kAt, "--dir", missing.string()});
    CHECK(text.exit_code == 3);
    CHECK(lines(text.err) == 1);
    CHECK(text.out.find("UNKNOWN") != std::string::npos);
}

TEST_CASE("inspect takes the unlock key from a file, stdin, the environment or (warned) argv",
          "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path dir = write_node(swarm, tmp / "m", NodeRole::manager, kUnlockKey);
    write_text(tmp / "unlock", kUnlockKey + "\n");
    // Private, as a key file should be: one others could read gets a warning on stderr.
    fs::permissions(tmp / "unlock", fs::perms::owner_read | fs::perms::owner_write);

    RunResult locked = run_swarmpki(inspect_args(dir, {"--format", "json"}));
    CHECK(locked.exit_code == 0);
    CHECK(locked.json()["nodes"][0]["key"]["matches_certificate"].is_null());
    CHECK(locked.json()["nodes"][0]["findings"][0]["code"] == "key-locked");

    auto matches = [](const RunResult& run) {
        return run.json()["nodes"][0]["key"]["matches_certificate"] == true;
    };
    RunResult file = run_swarmpki(
        inspect_args(dir, {"--format", "json", "--unlock-key-file", (tmp / "unlock").string()}));
    CHECK(file.exit_code == 0);
    CHECK(matches(file));
    CHECK(file.err.empty());
    RunResult stdin_key = run_swarmpki(
        inspect_args(dir, {"--format", "json", "--unlock-key-stdin"}), kUnlockKey + "\n");
    CHECK(matches(stdin_key));
    RunResult env = run_swarmpki(inspect_args(dir, {"--format", "json"}), {},
                                 {"SWARMPKI_UNLOCK_KEY=" + kUnlockKey});
    CHECK(matches(env));
    RunResult argv = run_swarmpki(
        inspect_args(dir, {"--format", "json", "--unlock-key", kUnlockKey}));
    CHECK(matches(argv));
    CHECK(argv.err.find("warning: an unlock key on the command line is visible") !=
          std::string::npos);
    for (const RunResult* run : {&file, &stdin_key, &env, &argv}) {
        CHECK(run->out.find(kUnlockKey.substr(9)) == std::string::npos);
        CHECK(run->err.find(kUnlockKey.substr(9)) == std::string::npos);
    }
}

TEST_CASE("inspect: a wrong or malformed unlock key exits 3 with a clear line", "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path dir = write_node(swarm, tmp / "m", NodeRole::manager, kUnlockKey);
    std::string wrong = "SWMKEY-1-/Sqe/IzpNguWolrdtekgeUass9Qr5uq0gkshmsr/asI";
    RunResult run = run_swarmpki(inspect_args(dir, {"--format", "json"}), {},
                                 {"SWARMPKI_UNLOCK_KEY=" + wrong});
    CHECK(run.exit_code == 3);
    CHECK(run.err == "swarmpki: " + (dir / "swarm-node.key").string() +
                         ": the unlock key does not decrypt this key (use the current key from "
                         "`docker swarm unlock-key -q`; a manager that was down during a key "
                         "rotation needs the previous one)\n");
    CHECK(run.json()["nodes"][0]["error"].is_string());
    CHECK(run.err.find(wrong.substr(9)) == std::string::npos);
    CHECK(run.out.find(wrong.substr(9)) == std::string::npos);

    RunResult malformed = run_swarmpki(inspect_args(dir), {}, {"SWARMPKI_UNLOCK_KEY=not-a-key"});
    CHECK(malformed.exit_code == 3);
    CHECK(malformed.err ==
          "swarmpki: the unlock key: does not start with SWMKEY-1- (give the key `docker swarm "
          "unlock-key -q` prints)\n");
    CHECK(malformed.out.empty());
}

TEST_CASE("inspect --token and --token-file: does the token pin this node's root",
          "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path dir = write_node(swarm, tmp / "n");
    JoinToken token = generate_join_token(swarm.root_pem);
    std::string text = token.to_string();
    RunResult run = run_swarmpki(inspect_args(dir, {"--format", "json", "--token", text}));
    CHECK(run.exit_code == 0);
    auto doc = run.json();
    CHECK(doc["nodes"][0]["token"]["pins_root"] == true);
    CHECK(doc["nodes"][0]["token"]["digest_base36"] == doc["nodes"][0]["join_token_digest"]);
    CHECK(run.out.find(token.secret_base36) == std::string::npos);

    Swarm other;
    write_text(tmp / "token", generate_join_token(other.root_pem).to_string() + "\n");
    RunResult mismatch = run_swarmpki(
        inspect_args(dir, {"--format", "json", "--token-file", (tmp / "token").string()}));
    CHECK(mismatch.exit_code == 2);
    CHECK(mismatch.json()["nodes"][0]["token"]["pins_root"] == false);
    RunResult card = run_swarmpki(inspect_args(dir, {"--token-file", (tmp / "token").string()}));
    CHECK(card.out.find("token      does NOT pin this trust root") != std::string::npos);

    RunResult bad = run_swarmpki(inspect_args(dir, {"--token", "SWMTKN-1-abc-def"}));
    CHECK(bad.exit_code == 3);
    CHECK(lines(bad.err) == 1);
    CHECK(bad.err.rfind("swarmpki: the join token: not a valid join token: ", 0) == 0);
    CHECK(bad.out.empty());
}

TEST_CASE("inspect never writes under the inspected directory", "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path dir = write_node(swarm, tmp / "m", NodeRole::manager, kUnlockKey);
    fs::copy_file(dir / "swarm-node.crt", dir / ".swarm-node.crt");
    auto before = snapshot(tmp.path());
    for (const auto& args : {inspect_args(dir), inspect_args(dir, {"--format", "json"}),
                             inspect_args(dir, {"--unlock-key", kUnlockKey})})
        run_swarmpki(args);
    CHECK(snapshot(tmp.path()) == before);
}

TEST_CASE("inspect without --dir reads the engine's directory", "[cli][inspect]") {
    if (fs::exists("/var/lib/docker/swarm/certificates")) return;  // a real node: not ours to test
    RunResult run = run_swarmpki({"inspect", "--format", "json"});
    CHECK(run.exit_code == 3);
    CHECK(run.err.rfind("swarmpki: /var/lib/docker/swarm/certificates: no such directory", 0) == 0);
    CHECK(run.json()["nodes"][0]["dir"] == "/var/lib/docker/swarm/certificates");
}
