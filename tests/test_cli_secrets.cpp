// No secret comes back: every join token and unlock key in the real-engine fixtures, fed to
// every command in every position and as the value of every option the command's --help lists,
// never appears on stdout or stderr (neither whole nor its secret part). Misplaced secrets are
// refused before parsing with a hint; the places a secret belongs (--token, --unlock-key, the
// operand of `token decode|verify`) still work and still print no secret.
#include "support.hpp"
#include "swarmpki/redact.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

using namespace swarmpki;
using swarmpki::test::run_swarmpki;
namespace fs = std::filesystem;

namespace {

// Every distinct whole join token and unlock key in the fixture files (the READMEs also
// mention the bare prefixes).
std::vector<std::string> fixture_secrets(const fs::path& fixtures) {
    static const std::regex word(
        R"(SWMTKN-(1|2-[01])-[0-9a-z]{50}-[0-9a-z]{25}|SWMKEY-1-[A-Za-z0-9+/]{43}=?)");
    std::set<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(fixtures)) {
        if (!entry.is_regular_file() || entry.file_size() > (1 << 20)) continue;
        std::string text = test::read_text(entry.path());
        for (std::sregex_iterator it(text.begin(), text.end(), word), end; it != end; ++it)
            found.insert(it->str());
    }
    return {found.begin(), found.end()};
}

// The part of a secret that must never be printed: a token's secret (after the last '-'),
// an unlock key's key material (after "SWMKEY-1-").
std::string secret_part(const std::string& secret) {
    if (secret.rfind("SWMKEY-", 0) == 0) return secret.substr(9);
    return secret.substr(secret.rfind('-') + 1);
}

const std::vector<std::vector<std::string>>& commands() {
    static const std::vector<std::vector<std::string>> all = {{"inspect"},
                                                              {"token", "decode"},
                                                              {"token", "verify"},
                                                              {"token", "generate"},
                                                              {"ca", "init"},
                                                              {"ca", "issue"},
                                                              {"ca", "cross-sign"},
                                                              {"rotate", "simulate"},
                                                              {"expiry"},
                                                              {"verify"},
                                                              {"serve"},
                                                              {"notify"}};
    return all;
}

// The long options a command's --help lists.
std::vector<std::string> options_of(const std::vector<std::string>& command) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    std::string help = run_swarmpki(args).out;
    static const std::regex option(R"(^\s+(?:-\w \[ )?(?:-\w, )?--([a-z][a-z0-9-]*))");
    std::set<std::string> names;
    std::istringstream lines(help);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_search(line, m, option)) names.insert("--" + m[1].str());
    }
    names.erase("--help");
    return {names.begin(), names.end()};
}

void check_no_leak(const std::vector<std::string>& args, const std::string& secret) {
    auto run = run_swarmpki(args);
    std::string shown;
    for (const std::string& a : args) shown += (a == secret ? "<secret>" : a) + " ";
    INFO("swarmpki " << shown << "-> exit " << run.exit_code);
    CHECK(run.out.find(secret) == std::string::npos);
    CHECK(run.err.find(secret) == std::string::npos);
    CHECK(run.out.find(secret_part(secret)) == std::string::npos);
    CHECK(run.err.find(secret_part(secret)) == std::string::npos);
}

}  // namespace

TEST_CASE("redact_secrets replaces every secret-shaped word", "[cli][secrets]") {
    CHECK(redact_secrets("dir 'SWMTKN-1-abc-defghijk' missing") == "dir '<join token>' missing");
    CHECK(redact_secrets("swmkey-1-/Sqe+x=abcd and SWMKEY-1-a/bcdefghi") ==
          "<unlock key> and <unlock key>");
    CHECK(find_secret_shape("/tmp/x") == SecretShape::none);
    CHECK(redact_secrets("does not start with SWMKEY-1- (give the key)") ==
          "does not start with SWMKEY-1- (give the key)");
    CHECK(redact_message("no such file: SWMKEY-1-abcdefghij") ==
          "no such file: <unlock key> (an unlock key is a secret: put it in a file for "
          "--unlock-key-file, or pipe it to --unlock-key-stdin)");
}

TEST_CASE("a misplaced secret is refused with a hint and not echoed", "[cli][secrets]") {
    const std::string token = "SWMTKN-1-5zu5uq3vtbq7ob0khirtyn4uysnh8a0vo5ntb6hbautbkecrws-"
                              "55bc4v5yjsh7xbqzdvesbq1zm";
    auto unknown = run_swarmpki({token});
    CHECK(unknown.exit_code == 64);
    CHECK(unknown.err ==
          "swarmpki: unknown command '<join token>' (a join token is a secret: pass it with "
          "--token, or in a file for --token-file) (see swarmpki --help)\n");
    auto dir = run_swarmpki({"inspect", "--dir", token});
    CHECK(dir.exit_code == 64);
    CHECK(dir.out.empty());
    CHECK(dir.err ==
          "swarmpki inspect: the value of --dir looks like a join token, which is not echoed (a "
          "join token is a secret: pass it with --token, or in a file for --token-file) (see "
          "swarmpki inspect --help)\n");
    auto key = run_swarmpki({"verify", "--dir", "SWMKEY-1-/Sqe/IzpNguWolrdtekgeUass9Qr5uq0gk"});
    CHECK(key.exit_code == 64);
    CHECK(key.err.find("looks like an unlock key") != std::string::npos);
    CHECK(key.err.find("--unlock-key-file") != std::string::npos);
    // Where a token belongs it is still accepted.
    auto decode = run_swarmpki({"token", "decode", token, "--format", "json"});
    CHECK(decode.exit_code == 0);
    CHECK(decode.json()["secret_redacted"] == true);
}

TEST_CASE("no fixture secret reaches stdout or stderr from any command or option",
          "[cli][secrets]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) {
        test::note_fixtures_missing();
        return;
    }
    std::vector<std::string> secrets = fixture_secrets(*fixtures);
    REQUIRE(secrets.size() >= 10);
    std::size_t runs = 0;
    // Every secret as the command, as each command's operand, and as a directory.
    for (const std::string& secret : secrets) {
        check_no_leak({secret}, secret);
        for (const auto& command : commands()) {
            for (auto args :
                 {std::vector<std::string>{secret}, std::vector<std::string>{"--dir", secret}}) {
                std::vector<std::string> full = command;
                full.insert(full.end(), args.begin(), args.end());
                check_no_leak(full, secret);
                ++runs;
            }
        }
    }
    // One token and one unlock key as the value of every option of every command.
    std::string token, key;
    for (const std::string& s : secrets) (s.rfind("SWMKEY-", 0) == 0 ? key : token) = s;
    REQUIRE(!token.empty());
    REQUIRE(!key.empty());
    for (const auto& command : commands()) {
        std::vector<std::string> options = options_of(command);
        CHECK(options.size() >= 2);
        for (const std::string& option : options) {
            if (option == "--show-secret") continue;  // printing the secret is what it asks for
            for (const std::string& secret : {token, key}) {
                std::vector<std::string> full = command;
                full.push_back(option);
                full.push_back(secret);
                check_no_leak(full, secret);
                full.back() = option + "=" + secret;
                full.erase(full.end() - 2);
                check_no_leak(full, secret);
                runs += 2;
            }
        }
    }
    WARN("secret sweep: " << secrets.size() << " fixture secrets, " << runs << " runs");
}
