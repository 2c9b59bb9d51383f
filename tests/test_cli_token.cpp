// swarmpki token decode | verify | generate, run as a user would: exit codes, one-line errors,
// JSON members, and the secret nowhere in any output unless --show-secret.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using swarmpki::test::run_swarmpki;
using swarmpki::test::RunResult;
using swarmpki::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kDigest = "3hdplcks4ydxkw7gyh0fc035x72j3e81ejaexukt1i5w8son25";
const std::string kSecret = "5kca0qkgdf6ly2i74o577eabg";
const std::string kToken = "SWMTKN-1-" + kDigest + "-" + kSecret;
const std::string kDigestHex = "8bbcbfcbd3888526676eb5605902e9ac7ab43d8691cb5d025b1a43964f7386bd";
const std::string kSecretHex = "5e00024fa6c783cddc9a31264e295ebc";

void require_no_secret(const RunResult& r, const std::string& secret = kSecret) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.err.find(secret) == std::string::npos);
    // Not a recognisable fragment of it either (a reason must not quote the secret part).
    CHECK(r.out.find(secret.substr(5, 12)) == std::string::npos);
    CHECK(r.err.find(secret.substr(5, 12)) == std::string::npos);
}

bool one_line(const std::string& text) {
    return !text.empty() && text.back() == '\n' && text.find('\n') == text.size() - 1;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto doc = nlohmann::json::parse(line, nullptr, false);
        REQUIRE_FALSE(doc.is_discarded());
        lines.push_back(doc);
    }
    return lines;
}

}  // namespace

TEST_CASE("token decode: text, json and jsonl keep the secret redacted", "[cli][token]") {
    RunResult text = run_swarmpki({"token", "decode", kToken});
    CHECK(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Matchers::Contains("digest sha256  " + kDigestHex));
    CHECK_THAT(text.out, Catch::Matchers::Contains("digest base36  " + kDigest));
    CHECK_THAT(text.out, Catch::Matchers::Contains("redacted"));
    require_no_secret(text);

    RunResult json = run_swarmpki({"token", "decode", kToken, "--format", "json"});
    CHECK(json.exit_code == 0);
    auto doc = json.json();
    CHECK(doc["schema"] == "swarmpki.token/v1");
    CHECK(json.out.rfind("{\n  \"schema\": \"swarmpki.token/v1\"", 0) == 0);  // schema first
    CHECK(doc["version"] == 1);
    CHECK(doc["fips"] == false);
    CHECK(doc["digest_sha256"] == kDigestHex);
    CHECK(doc["digest_base36"] == kDigest);
    CHECK(doc["secret"].is_null());
    CHECK(doc["secret_redacted"] == true);
    CHECK_FALSE(doc.contains("secret_hex"));
    require_no_secret(json);

    RunResult jsonl = run_swarmpki({"token", "decode", kToken, "--format", "jsonl"});
    CHECK(jsonl.exit_code == 0);
    CHECK(one_line(jsonl.out));
    require_no_secret(jsonl);
}

TEST_CASE("token decode --show-secret prints secret and secret_hex", "[cli][token]") {
    RunResult json = run_swarmpki({"token", "decode", kToken, "--show-secret", "--format", "json"});
    CHECK(json.exit_code == 0);
    auto doc = json.json();
    CHECK(doc["secret"] == kSecret);
    CHECK(doc["secret_hex"] == kSecretHex);
    CHECK(doc["secret_redacted"] == false);
    RunResult text = run_swarmpki({"token", "decode", kToken, "--show-secret"});
    CHECK_THAT(text.out, Catch::Matchers::Contains(kSecret));
    CHECK_THAT(text.out, Catch::Matchers::Contains(kSecretHex));
}

TEST_CASE("token decode reads --token-file and a single '-' line", "[cli][token]") {
    TempDir dir;
    swarmpki::test::write_text(dir / "t", "  " + kToken + "\r\n");
    RunResult file = run_swarmpki(
        {"token", "decode", "--token-file", (dir / "t").string(), "--format", "json"});
    CHECK(file.exit_code == 0);
    CHECK(file.json()["digest_sha256"] == kDigestHex);
    require_no_secret(file);

    swarmpki::test::write_text(dir / "two", kToken + "\n" + kToken + "\n");
    RunResult two = run_swarmpki({"token", "decode", "--token-file", (dir / "two").string()});
    CHECK(two.exit_code == 3);
    CHECK(one_line(two.err));
    CHECK_THAT(two.err, Catch::Matchers::Contains("holds more than one line"));
    require_no_secret(two);

    RunResult missing = run_swarmpki({"token", "decode", "--token-file", (dir / "nope").string()});
    CHECK(missing.exit_code == 3);
    CHECK(one_line(missing.err));
}

TEST_CASE("token decode refuses malformed tokens: one line naming part and rule, exit 3",
          "[cli][token]") {
    struct Case {
        std::string token;
        std::string reason;
    };
    const std::vector<Case> cases = {
        {"SWMTKN-1-" + kDigest + "-" + kSecret.substr(1),
         "join token: secret: 24 characters, expected exactly 25"},
        {"SWMTKN-1-" + kDigest.substr(2) + "-" + kSecret, "join token: digest: 48 characters"},
        {"SWMTKN-2-" + kDigest + "-" + kSecret, "join token: version 2 has 5 parts"},
        {"SWMTKN-3-" + kDigest + "-" + kSecret, "join token: version: '3'"},
        {"SWMTKN-1-" + std::string(50, 'z') + "-" + kSecret,
         "join token: digest: value is 2^256 or more"},
        {"SWMTKN-1-" + kDigest + "-" + kSecret.substr(0, 24) + "G",
         "secret: character 25 is upper case"},
        {"SWMTKN\xE2\x80\x93"
         "1-" +
             kDigest + "-" + kSecret,
         "join token: character 7 is U+2013 EN DASH"},
        {"SWMTKN-1-" + kDigest + "-" + kSecret + std::string(100 * 1024, 'x'),
         "over the 200-byte limit"},
    };
    for (const Case& c : cases) {
        INFO(c.reason);
        for (const char* format : {"text", "json"}) {
            RunResult r = run_swarmpki({"token", "decode", c.token, "--format", format});
            CHECK(r.exit_code == 3);
            CHECK(r.out.empty());  // no partial document
            CHECK(one_line(r.err));
            CHECK_THAT(r.err, Catch::Matchers::Contains(c.reason));
            require_no_secret(r);
        }
    }
}

TEST_CASE("token usage errors exit 64 without echoing a token", "[cli][token]") {
    RunResult none = run_swarmpki({"token", "decode"});
    CHECK(none.exit_code == 64);
    RunResult pasted = run_swarmpki({"token", kToken});
    CHECK(pasted.exit_code == 64);
    require_no_secret(pasted);
    RunResult both = run_swarmpki({"token", "decode", kToken, "--token-file", "x"});
    CHECK(both.exit_code == 64);
    require_no_secret(both);
    RunResult format = run_swarmpki({"token", "verify", kToken, "--ca", "x", "--format", "jsonl"});
    CHECK(format.exit_code == 64);
    RunResult no_root = run_swarmpki({"token", "verify", kToken});
    CHECK(no_root.exit_code == 64);
    CHECK(run_swarmpki({"token", "--help"}).exit_code == 0);
    RunResult help = run_swarmpki({"token", "decode", "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Matchers::Contains("EXIT CODES"));
}

TEST_CASE("token decode - streams a batch and reports each bad line", "[cli][token]") {
    const std::string bad_secret = "SWMTKN-1-" + kDigest + "-" + kSecret.substr(0, 20);
    const std::string input = kToken + "\n" + bad_secret + "\n\n" + "SWMTKN-2-1-" + kDigest + "-" +
                              kSecret + "\r\n" + std::string(300 * 1024, 'q') + "\n" +
                              kToken;  // no final newline

    SECTION("json document") {
        RunResult r = run_swarmpki({"token", "decode", "-", "--format", "json"}, input);
        CHECK(r.exit_code == 3);
        auto doc = r.json();
        CHECK(r.out.rfind("{\n  \"schema\": \"swarmpki.tokens/v1\"", 0) == 0);
        REQUIRE(doc["tokens"].size() == 5);
        const auto& t = doc["tokens"];
        CHECK(t[0]["line"] == 1);
        CHECK(t[0]["error"].is_null());
        CHECK(t[0]["digest_sha256"] == kDigestHex);
        CHECK(t[0]["digest_base36"] == kDigest);
        CHECK(t[0]["version"] == 1);
        CHECK(t[0]["secret"].is_null());
        CHECK(t[0]["secret_redacted"] == true);
        CHECK(t[1]["line"] == 2);
        CHECK_THAT(t[1]["error"].get<std::string>(),
                   Catch::Matchers::Contains("secret: 20 characters, expected exactly 25"));
        CHECK(t[1]["digest_sha256"].is_null());
        CHECK(t[2]["line"] == 4);  // the blank line 3 is skipped, not counted as a token
        CHECK(t[2]["version"] == 2);
        CHECK(t[2]["fips"] == true);
        CHECK(t[3]["line"] == 5);
        CHECK_THAT(t[3]["error"].get<std::string>(),
                   Catch::Matchers::Contains("307200 bytes, over the 200-byte limit"));
        CHECK(t[4]["line"] == 6);
        CHECK(t[4]["error"].is_null());
        CHECK(doc["summary"]["invalid"] == 2);
        CHECK(doc["summary"]["valid"] == 3);
        CHECK(one_line(r.err));
        CHECK_THAT(r.err, Catch::Matchers::Contains("2 of 5 lines are not valid join tokens"));
        CHECK_THAT(r.err, Catch::Matchers::Contains("first: line 2: secret: 20 characters"));
        require_no_secret(r);
    }
    SECTION("jsonl") {
        RunResult r = run_swarmpki({"token", "decode", "-", "--format", "jsonl"}, input);
        CHECK(r.exit_code == 3);
        auto lines = json_lines(r.out);
        REQUIRE(lines.size() == 5);
        CHECK(lines[0]["digest_sha256"] == kDigestHex);
        CHECK(lines[1]["line"] == 2);
        CHECK(lines[1]["error"].is_string());
        require_no_secret(r);
    }
    SECTION("text") {
        RunResult r = run_swarmpki({"token", "decode", "-"}, input);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.out, Catch::Matchers::Contains("line 1: v1  digest " + kDigestHex));
        CHECK_THAT(r.out, Catch::Matchers::Contains("line 2: invalid: secret: 20 characters"));
        CHECK_THAT(r.out, Catch::Matchers::Contains("line 4: v2 fips"));
        require_no_secret(r);
    }
    SECTION("show-secret in a batch") {
        RunResult r = run_swarmpki({"token", "decode", "-", "--format", "jsonl", "--show-secret"},
                                   input);
        auto lines = json_lines(r.out);
        REQUIRE(lines.size() == 5);
        CHECK(lines[0]["secret"] == kSecret);
        CHECK(lines[0]["secret_hex"] == kSecretHex);
        CHECK(lines[1]["secret"].is_null());
    }
    SECTION("all good exits 0; nothing at all exits 3") {
        RunResult good = run_swarmpki({"token", "decode", "-", "--format", "json"},
                                      kToken + "\n" + kToken + "\n");
        CHECK(good.exit_code == 0);
        CHECK(good.json()["tokens"].size() == 2);
        CHECK(good.err.empty());
        RunResult empty = run_swarmpki({"token", "decode", "-", "--format", "json"}, "\n\n");
        CHECK(empty.exit_code == 3);
        CHECK(empty.json()["tokens"].empty());  // still a complete document
    }
}

TEST_CASE("token decode - handles a large batch in one process", "[cli][token]") {
    std::string input;
    for (int i = 0; i < 20000; ++i) input += kToken + "\n";
    RunResult r = run_swarmpki({"token", "decode", "-", "--format", "jsonl"}, input);
    CHECK(r.exit_code == 0);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 20000);
    require_no_secret(r);
}

TEST_CASE("token decode - reports lines longer than its read buffer without holding them",
          "[cli][token]") {
    const std::string input = std::string(3'000'000, 'q') + "\n" + kToken + "\n" +
                              std::string(2'500'000, 'r');  // overlong and unterminated at EOF
    RunResult r = run_swarmpki({"token", "decode", "-", "--format", "jsonl"}, input);
    CHECK(r.exit_code == 3);
    auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0]["error"] == "token: 3000000 bytes, over the 200-byte limit");
    CHECK(lines[1]["line"] == 2);
    CHECK(lines[1]["digest_sha256"] == kDigestHex);
    CHECK(lines[2]["line"] == 3);
    CHECK(lines[2]["error"] == "token: 2500000 bytes, over the 200-byte limit");
}

TEST_CASE("token generate makes tokens that decode and verify", "[cli][token]") {
    TempDir dir;
    // A root made by the engine's profile is not needed: any self-signed CA is a root bundle.
    auto fixtures = swarmpki::test::fixtures_dir();
    if (!fixtures) return swarmpki::test::note_fixtures_missing();
    fs::path root = *fixtures / "init-manager" / "certificates" / "manager1" / "swarm-root-ca.crt";
    for (bool fips : {false, true}) {
        std::vector<std::string> args = {"token", "generate", "--ca", root.string()};
        if (fips) args.push_back("--fips");
        RunResult made = run_swarmpki(args);
        REQUIRE(made.exit_code == 0);
        REQUIRE(one_line(made.out));
        std::string token = made.out.substr(0, made.out.size() - 1);
        CHECK(token.rfind(fips ? "SWMTKN-2-1-" : "SWMTKN-1-", 0) == 0);
        // The engine's digest for this root, from index.json.
        CHECK_THAT(token,
                   Catch::Matchers::Contains("66r4cjavviwup6jecjqbxm2iqbiij0qgdf0b96j4oomipfvmli"));
        RunResult decoded = run_swarmpki({"token", "decode", token, "--format", "json"});
        CHECK(decoded.exit_code == 0);
        CHECK(decoded.json()["fips"] == fips);
        RunResult verified = run_swarmpki({"token", "verify", token, "--ca", root.string()});
        CHECK(verified.exit_code == 0);
        require_no_secret(verified, token.substr(token.size() - 25));
    }
    RunResult json = run_swarmpki(
        {"token", "generate", "--dir", root.parent_path().string(), "--format", "json"});
    CHECK(json.exit_code == 0);
    auto doc = json.json();
    CHECK(doc["schema"] == "swarmpki.token/v1");
    CHECK(doc["secret"].get<std::string>().size() == 25);
    CHECK(doc["token"].get<std::string>().find(doc["secret"].get<std::string>()) !=
          std::string::npos);

    RunResult leaf = run_swarmpki(
        {"token", "generate", "--ca", (root.parent_path() / "swarm-node.crt").string()});
    CHECK(leaf.exit_code == 3);
    CHECK(one_line(leaf.err));
    CHECK_THAT(leaf.err, Catch::Matchers::Contains("is not a CA: it is a node certificate"));
    CHECK(leaf.out.empty());
}

TEST_CASE("token verify: engine tokens against node directories", "[cli][token][conformance]") {
    auto fixtures = swarmpki::test::fixtures_dir();
    if (!fixtures) return swarmpki::test::note_fixtures_missing();
    auto truth = swarmpki::test::load_json(*fixtures / "worker" / "truth.json");
    const std::string token = truth["join_tokens"]["worker"];
    const std::string secret = token.substr(token.size() - 25);
    fs::path same = *fixtures / "worker" / "certificates" / "worker1";
    fs::path other = *fixtures / "external-root" / "certificates" / "worker1";

    RunResult ok = run_swarmpki(
        {"token", "verify", token, "--dir", same.string(), "--format", "json"});
    CHECK(ok.exit_code == 0);
    auto doc = ok.json();
    CHECK(ok.out.rfind("{\n  \"schema\": \"swarmpki.token-verify/v1\"", 0) == 0);
    CHECK(doc["match"] == true);
    CHECK(doc["token_digest_sha256"] == doc["root_file_sha256"]);
    CHECK(doc["hint"].is_null());
    require_no_secret(ok, secret);

    RunResult bad = run_swarmpki(
        {"token", "verify", token, "--dir", other.string(), "--format", "json"});
    CHECK(bad.exit_code == 2);
    auto mismatch = bad.json();
    CHECK(mismatch["match"] == false);
    CHECK(mismatch["token_digest_sha256"] != mismatch["root_file_sha256"]);
    CHECK_THAT(mismatch["hint"].get<std::string>(), Catch::Matchers::Contains("different root"));
    require_no_secret(bad, secret);

    RunResult text = run_swarmpki(
        {"token", "verify", token, "--ca", (same / "swarm-node.crt").string()});
    CHECK(text.exit_code == 2);
    CHECK_THAT(text.out, Catch::Matchers::Contains("MISMATCH"));
    CHECK_THAT(text.out, Catch::Matchers::Contains("a swarm node certificate"));
    require_no_secret(text, secret);

    TempDir dir;
    std::string root = swarmpki::test::read_text(same / "swarm-root-ca.crt");
    std::string crlf;
    for (char c : root) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    swarmpki::test::write_text(dir / "crlf.crt", crlf);
    RunResult converted = run_swarmpki(
        {"token", "verify", token, "--ca", (dir / "crlf.crt").string(), "--format", "json"});
    CHECK(converted.exit_code == 2);
    CHECK(converted.json()["matching_variants"] ==
          nlohmann::json::array({"lf-line-endings", "pem-reencoded"}));

    RunResult missing = run_swarmpki({"token", "verify", token, "--dir", (dir / "none").string()});
    CHECK(missing.exit_code == 3);
    CHECK(one_line(missing.err));
    require_no_secret(missing, secret);

    RunResult malformed = run_swarmpki(
        {"token", "verify", token.substr(0, token.size() - 1), "--dir", same.string()});
    CHECK(malformed.exit_code == 3);
    CHECK_THAT(malformed.err, Catch::Matchers::Contains("secret: 24 characters"));
    require_no_secret(malformed, secret.substr(0, 24));

    RunResult from_stdin = run_swarmpki({"token", "verify", "-", "--dir", same.string()},
                                        token + "\n");
    CHECK(from_stdin.exit_code == 0);
}

TEST_CASE("token verify: a rotated-out token matches, and says only the digest was checked",
          "[cli][token][conformance]") {
    auto fixtures = swarmpki::test::fixtures_dir();
    if (!fixtures) return swarmpki::test::note_fixtures_missing();
    // The worker token from before `docker swarm join-token --rotate worker`: the engine refused
    // it (truth.json), yet it pins the same root, as a token verify offline can see.
    auto truth = swarmpki::test::load_json(*fixtures / "join-token-rotated" / "truth.json");
    const std::string old_token = truth["scenario_facts"]["old_worker_token"];
    REQUIRE(old_token != truth["join_tokens"]["worker"]);
    fs::path dir = *fixtures / "join-token-rotated" / "certificates" / "manager1";

    RunResult text = run_swarmpki({"token", "verify", old_token, "--dir", dir.string()});
    CHECK(text.exit_code == 0);
    CHECK(text.out == "match: the token pins " + (dir / "swarm-root-ca.crt").string() +
                          " (sha256 f8425b7b5df6df6e3d15d12bea219238c4f7dc9267ea074bcffa534da0b19"
                          "726)\n  only the digest can be checked offline: whether the cluster "
                          "still accepts this token's secret (a rotated-out token pins the same "
                          "root) only a manager knows; compare with `docker swarm join-token -q "
                          "worker` (or manager)\n");
    RunResult json = run_swarmpki(
        {"token", "verify", old_token, "--dir", dir.string(), "--format", "json"});
    CHECK(json.exit_code == 0);
    CHECK(json.json()["match"] == true);
    CHECK(json.json()["secret_checked"] == false);
    CHECK(json.json()["digest_typo"].is_null());
    require_no_secret(json, old_token.substr(old_token.size() - 25));
}

TEST_CASE("token verify: a digest mistyped in one character gets a typo hint",
          "[cli][token][conformance]") {
    auto fixtures = swarmpki::test::fixtures_dir();
    if (!fixtures) return swarmpki::test::note_fixtures_missing();
    fs::path dir = *fixtures / "worker" / "certificates" / "manager1";
    std::string token = swarmpki::test::load_json(*fixtures / "worker" /
                                                  "truth.json")["join_tokens"]["worker"];
    REQUIRE(token.substr(9 + 44, 1) == "p");  // digest character 45
    token[9 + 44] = 'q';
    RunResult json = run_swarmpki(
        {"token", "verify", token, "--dir", dir.string(), "--format", "json"});
    CHECK(json.exit_code == 2);
    auto doc = json.json();
    CHECK(doc["digest_typo"] ==
          nlohmann::json({{"position", 45}, {"token", "q"}, {"root_file", "p"}}));
    CHECK(doc["hint"] ==
          "the token's digest differs from this file's in one character (character 45 of the "
          "digest is 'q', the file's 'p'): the token was mistyped; copy it again from `docker "
          "swarm join-token -q worker` (or manager)");
    RunResult text = run_swarmpki({"token", "verify", token, "--dir", dir.string()});
    CHECK(text.exit_code == 2);
    CHECK_THAT(text.out, Catch::Matchers::Contains("  hint: the token's digest differs from this "
                                                   "file's in one character (character 45"));
    require_no_secret(text, token.substr(token.size() - 25));
}
