// `swarmpki inspect` as a process: argv in, exit code, stderr line and JSON members out. Node
// directories come from the CA engine, so these run without the real-engine fixtures.
#include "support.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/join_token.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

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
          {"inspect", tmp.str(), "--dir"},
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
                       ": no such file or directory (give a node's certificates directory with "
                       "--dir DIR; the engine's is /var/lib/docker/swarm/certificates)";
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
    CHECK(run.err ==
          "swarmpki: /var/lib/docker/swarm/certificates: no such file or directory (this machine "
          "is not a swarm node, or its engine keeps its data elsewhere: give the certificates "
          "directory with --dir DIR)\n");
    CHECK(run.json()["nodes"][0]["dir"] == "/var/lib/docker/swarm/certificates");
}

TEST_CASE("inspect DIR is inspect --dir DIR, and a tree is expanded as expiry walks it",
          "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::create_directories(tmp / "tree/h1");
    fs::create_directories(tmp / "tree/h2");
    fs::path a = write_node(swarm, tmp / "tree/h1/certificates");
    fs::path b = write_node(swarm, tmp / "tree/h2/certificates");

    RunResult flag = run_swarmpki(inspect_args(a, {"--format", "json"}));
    RunResult positional = run_swarmpki({"inspect", a.string(), "--at", kAt, "--format", "json"});
    CHECK(positional.exit_code == 0);
    CHECK(positional.err.empty());
    CHECK(positional.out == flag.out);

    RunResult tree = run_swarmpki(
        {"inspect", "--dir", (tmp / "tree").string(), "--at", kAt, "--format", "json"});
    CHECK(tree.exit_code == 0);
    CHECK(tree.err.empty());
    auto doc = tree.json();
    REQUIRE(doc["nodes"].size() == 2);
    CHECK(doc["nodes"][0]["dir"] == a.string());
    CHECK(doc["nodes"][1]["dir"] == b.string());
    CHECK(doc["fleet"]["nodes"] == 2);
    RunResult mixed = run_swarmpki(
        {"inspect", (tmp / "tree").string(), "--dir", a.string(), "--at", kAt, "--format", "json"});
    CHECK(mixed.json()["nodes"].size() == 2);  // a is in the tree already: once
}

TEST_CASE("a missing directory is worded alike by inspect, expiry and verify", "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path good = write_node(swarm, tmp / "good");
    std::string missing = (tmp / "gone").string();
    std::string line = "swarmpki: " + missing +
                       ": no such file or directory (give a node's certificates directory with "
                       "--dir DIR; the engine's is /var/lib/docker/swarm/certificates)\n";
    RunResult inspect = run_swarmpki({"inspect", missing, "--at", kAt});
    CHECK(inspect.exit_code == 3);
    CHECK(inspect.err == line);
    RunResult verify = run_swarmpki(
        {"verify", "--dir", missing, "--peer-dir", good.string(), "--at", kAt});
    CHECK(verify.exit_code == 3);
    CHECK(verify.err == line);
    RunResult verify_positional = run_swarmpki({"verify", missing, good.string(), "--at", kAt});
    CHECK(verify_positional.exit_code == 3);
    CHECK(verify_positional.err == line);
    fs::path peer = write_node(swarm, tmp / "peer");
    RunResult flags = run_swarmpki(
        {"verify", "--dir", good.string(), "--peer-dir", peer.string(), "--at", kAt});
    RunResult bare = run_swarmpki({"verify", good.string(), peer.string(), "--at", kAt});
    CHECK(bare.exit_code == 0);
    CHECK(bare.out == flags.out);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"expiry", missing, "--at", kAt},
          {"expiry", "--dir", missing, "--at", kAt}}) {
        RunResult expiry = run_swarmpki(args);
        CHECK(expiry.exit_code == 3);
        // expiry lists what it could not read on stdout, by reason, and goes on.
        CHECK(expiry.out.find("  not_found          " + line.substr(10)) != std::string::npos);
        CHECK(line.find("((") == std::string::npos);
    }
}

TEST_CASE("one critical and one unreadable directory: exit 2 from inspect and expiry alike",
          "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path crit = write_node(swarm, tmp / "crit");
    write_text(crit / "swarm-node.key", encode_node_key(KeyGenerator().generate()));
    fs::path ok = write_node(swarm, tmp / "ok");
    fs::path broken = write_node(swarm, tmp / "broken");
    write_text(broken / "swarm-node.crt", "not a certificate\n");

    RunResult inspect = run_swarmpki(
        {"inspect", crit.string(), broken.string(), "--at", kAt, "--format", "json"});
    CHECK(inspect.exit_code == 2);
    CHECK(inspect.json()["status"] == "critical");
    CHECK(lines(inspect.err) == 1);  // the unreadable one is still named

    // The same rule in expiry: 88 days on, the node certificates have 2% of their lifetime left
    // (critical in both commands), beside the unreadable directory.
    std::string late = format_rfc3339(kNow + std::chrono::hours(24 * 88));
    for (const std::string command : {"inspect", "expiry"}) {
        RunResult run = run_swarmpki(
            {command, ok.string(), broken.string(), "--at", late, "--format", "json"});
        CHECK(run.exit_code == 2);
        CHECK(run.json()["status"] == "critical");
        // With nothing wrong found elsewhere, the unreadable directory makes it unknown.
        RunResult clean = run_swarmpki(
            {command, ok.string(), broken.string(), "--at", kAt, "--format", "json"});
        CHECK(clean.exit_code == 3);
        CHECK(clean.json()["status"] == "unknown");
    }
}

TEST_CASE("inspect: two unreadable files are both reported, on stderr and in the document",
          "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path dir = write_node(swarm, tmp / "n");
    write_text(dir / "swarm-root-ca.crt", "garbage\n");
    write_text(dir / "swarm-node.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
    RunResult json = run_swarmpki(inspect_args(dir, {"--format", "json"}));
    CHECK(json.exit_code == 3);
    auto errors = json.json()["nodes"][0]["errors"];
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].get<std::string>().rfind((dir / "swarm-root-ca.crt").string() + ": ", 0) == 0);
    CHECK(errors[1].get<std::string>().rfind((dir / "swarm-node.key").string(), 0) == 0);
    CHECK(json.err == "swarmpki: " + errors[0].get<std::string>() +
                          "\nswarmpki: " + errors[1].get<std::string>() + "\n");
    RunResult text = run_swarmpki(inspect_args(dir));
    CHECK(text.exit_code == 3);
    CHECK(text.err == json.err);
    CHECK(text.out.find("  error      " + errors[0].get<std::string>() + "\n  error      " +
                        errors[1].get<std::string>() + "\n") != std::string::npos);
}

TEST_CASE("inspect as a user who may not read the key: everything else, and key-unreadable",
          "[cli][inspect]") {
    TempDir tmp;
    Swarm swarm;
    fs::path dir = write_node(swarm, tmp / "n");
    std::vector<std::string> args{"inspect", dir.string(), "--at", kAt, "--format", "json"};
    RunResult run;
    if (::geteuid() == 0) {
        // As root every file is readable: read as nobody instead, the key staying 0600 root.
        if (!fs::exists("/usr/bin/setpriv")) {
            WARN("setpriv missing: key-unreadable not tested as root");
            return;
        }
        for (const fs::path& p : {tmp.path(), dir})  // the engine's 0755 directories
            ::chmod(p.c_str(), 0755);
        std::vector<std::string> as_nobody{"--reuid=65534", "--regid=65534", "--clear-groups",
                                           SWARMPKI_BINARY};
        as_nobody.insert(as_nobody.end(), args.begin(), args.end());
        run = run_program("/usr/bin/setpriv", as_nobody);
    } else {
        ::chmod((dir / "swarm-node.key").c_str(), 0000);
        run = run_swarmpki(args);
    }
    CHECK(run.exit_code == 0);
    CHECK(run.err.empty());
    auto node = run.json()["nodes"][0];
    CHECK(node["status"] == "ok");
    CHECK(node["error"].is_null());
    CHECK(node["errors"].empty());
    CHECK(node["node"]["role"] == "worker");
    CHECK(node["chain_verified"] == true);
    CHECK(node["key"]["present"] == true);
    CHECK(node["key"]["readable"] == false);
    CHECK(node["key"]["matches_certificate"].is_null());
    REQUIRE(node["findings"].size() == 1);
    CHECK(node["findings"][0]["code"] == "key-unreadable");
    CHECK(node["findings"][0]["severity"] == "notice");
}

TEST_CASE("inspect and expiry call a `ca init` directory a CA directory", "[cli][inspect]") {
    TempDir tmp;
    std::string ca = (tmp / "ca").string();
    RunResult init = run_swarmpki({"ca", "init", "--out", ca, "--at", kAt});
    REQUIRE(init.exit_code == 0);
    RunResult inspect = run_swarmpki({"inspect", ca, "--at", kAt, "--format", "json"});
    CHECK(inspect.exit_code == 0);
    CHECK(inspect.err.empty());
    auto node = inspect.json()["nodes"][0];
    CHECK(node["kind"] == "ca");
    CHECK(node["errors"].empty());
    REQUIRE(node["findings"].size() == 1);
    CHECK(node["findings"][0]["code"] == "ca-directory");
    RunResult card = run_swarmpki({"inspect", ca, "--at", kAt});
    CHECK(card.out.find("\n  kind       CA directory (a root and its key)\n") != std::string::npos);
    CHECK(card.out.find("missing") == std::string::npos);

    RunResult expiry = run_swarmpki({"expiry", ca, "--at", kAt, "--format", "json"});
    CHECK(expiry.exit_code == 0);
    auto doc = expiry.json();
    CHECK(doc["errors"].empty());
    CHECK(doc["directories"][0]["kind"] == "ca");
    CHECK(doc["certificates"].size() == 1);
    CHECK(doc["certificates"][0]["kind"] == "root");
    RunResult text = run_swarmpki({"expiry", ca, "--at", kAt});
    CHECK(text.out.find(ca + ": a CA directory (swarm-root-ca.crt and its key, as `swarmpki ca "
                             "init` writes): its root is reported, no node certificate is "
                             "expected\n") != std::string::npos);
    CHECK(text.out.find("could not be evaluated") == std::string::npos);
}
