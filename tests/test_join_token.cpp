// Join tokens: the public vectors, base 36 limits, the strict parser's refusals, generation, and
// the real engine's tokens against the real engine's root files.
#include "support.hpp"

#include "swarmpki/base36.hpp"
#include "swarmpki/join_token.hpp"
#include "swarmpki/pem.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace swarmpki;
namespace fs = std::filesystem;

namespace {

Sha256 digest_from_hex(const std::string& hex) {
    auto bytes = hex_decode(hex);
    REQUIRE(bytes);
    REQUIRE(bytes->size() == 32);
    Sha256 d{};
    std::copy(bytes->begin(), bytes->end(), d.begin());
    return d;
}

JoinToken parse_ok(const std::string& text) {
    auto parsed = parse_join_token(text);
    INFO(parsed.error);
    REQUIRE(parsed.token);
    return *parsed.token;
}

std::string refusal(const std::string& text) {
    auto parsed = parse_join_token(text);
    REQUIRE_FALSE(parsed.token);
    REQUIRE_FALSE(parsed.error.empty());
    return parsed.error;
}

const std::string kDigest50 = "0592juwtisdb8486z4x67lxcqrd7cn1609gs5664ghqmzxnebi";
const std::string kSecret25 = "000avh9he7dy896m08s18udxr";
const std::string kValid = "SWMTKN-1-" + kDigest50 + "-" + kSecret25;

}  // namespace

TEST_CASE("parse_join_token: public vectors from DOMAIN.md section 9", "[token]") {
    JoinToken real = parse_ok(
        "SWMTKN-1-3hdplcks4ydxkw7gyh0fc035x72j3e81ejaexukt1i5w8son25-5kca0qkgdf6ly2i74o577eabg");
    CHECK(real.digest_hex() == "8bbcbfcbd3888526676eb5605902e9ac7ab43d8691cb5d025b1a43964f7386bd");
    CHECK(real.version == 1);
    CHECK_FALSE(real.fips);
    CHECK(real.secret_base36 == "5kca0qkgdf6ly2i74o577eabg");

    JoinToken padded = parse_ok(
        "SWMTKN-1-02wj856nejpyievagxqb58iyqejclong3lkjr6vtg59a22pphx-8flo6xx36nta2ajyyuhubzyyc");
    CHECK(padded.digest_hex() ==
          "033c7821dc85e2a22bdb1ec1b003dca476edf0e9d286b3e14312770a4fd6b755");
    CHECK(digest_to_base36(padded.digest) == padded.digest_base36);

    Sha256 docs_root = digest_from_hex(
        "05da740cf2577a25224c53019e2cce99bcc5ba09664ad6bb2a9425d9ebd1b53e");
    CHECK(digest_to_base36(docs_root) == kDigest50);
    std::array<std::uint8_t, 16> counting{};
    for (std::uint8_t i = 0; i < 16; ++i) counting[i] = i;
    CHECK(secret_to_base36(counting) == kSecret25);

    JoinToken both = parse_ok(kValid);
    CHECK(both.digest == docs_root);
    CHECK(both.secret == counting);
    CHECK(both.secret_hex() == "000102030405060708090a0b0c0d0e0f");
    CHECK(both.to_string() == kValid);
}

TEST_CASE("base36: the edges of 256 and 128 bits", "[token]") {
    Sha256 zero{};
    CHECK(digest_to_base36(zero) == std::string(50, '0'));
    Sha256 max{};
    max.fill(0xff);
    // 2^256 - 1 and 2^256 in base 36 (computed with Python's int).
    CHECK(digest_to_base36(max) == "6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtof");
    std::array<std::uint8_t, 32> back{};
    CHECK(base36_decode("6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtof", back.data(), 32) ==
          Base36Decode::ok);
    CHECK(back == max);
    CHECK(base36_decode("6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtog", back.data(), 32) ==
          Base36Decode::overflow);
    std::array<std::uint8_t, 16> max128{};
    max128.fill(0xff);
    CHECK(secret_to_base36(max128) == "f5lxx1zz5pnorynqglhzmsp33");
    CHECK(base36_decode("f5lxx1zz5pnorynqglhzmsp34", back.data(), 16) == Base36Decode::overflow);
    std::size_t bad = 99;
    CHECK(base36_decode("12Z", back.data(), 16, &bad) == Base36Decode::bad_digit);
    CHECK(bad == 2);
    char narrow[3];
    CHECK_FALSE(base36_encode(max128.data(), 16, narrow, 3));  // does not fit in 3 digits
}

TEST_CASE("base36: decode takes 2^(8n) - 1 and refuses 2^(8n) at every width n", "[token]") {
    for (std::size_t size = 0; size <= 31; ++size) {
        // 2^(8 size) as size + 1 big-endian bytes, and 2^(8 size) - 1 as size bytes of 0xff.
        std::array<std::uint8_t, 32> one_past{};
        one_past[0] = 1;
        std::array<std::uint8_t, 32> all_ones{};
        all_ones.fill(0xff);
        char past[50];
        char max[50];
        REQUIRE(base36_encode(one_past.data(), size + 1, past, 50));
        REQUIRE(base36_encode(all_ones.data(), size, max, 50));
        std::array<std::uint8_t, 32> back{};
        INFO("size " << size);
        CHECK(base36_decode(std::string_view(past, 50), back.data(), size) ==
              Base36Decode::overflow);
        REQUIRE(base36_decode(std::string_view(max, 50), back.data(), size) == Base36Decode::ok);
        CHECK(std::equal(back.begin(), back.begin() + static_cast<std::ptrdiff_t>(size),
                         all_ones.begin()));
    }
}

TEST_CASE("base36: decode names the first bad digit, even past an overflow", "[token]") {
    std::array<std::uint8_t, 32> back{};
    std::size_t bad = 0;
    // 50 'z' overflow 16 bytes long before the '-' at index 37 (in the fourth twelve-digit chunk).
    std::string digits(50, 'z');
    digits[37] = '-';
    digits[44] = 'A';
    CHECK(base36_decode(digits, back.data(), 16, &bad) == Base36Decode::bad_digit);
    CHECK(bad == 37);
    CHECK(base36_decode(std::string(49, '0') + "\xff", back.data(), 32, &bad) ==
          Base36Decode::bad_digit);
    CHECK(bad == 49);
    CHECK(base36_digit_value('z') == 35);
    CHECK(base36_digit_value('Z') == -1);
    CHECK(base36_digit_value('\x80') == -1);
}

TEST_CASE("base36: encode and decode agree on every width and random values", "[token]") {
    for (int round = 0; round < 2000; ++round) {
        Sha256 value{};
        random_bytes(value.data(), value.size());
        std::size_t size = 1 + static_cast<std::size_t>(value[0]) % 32;  // 1..32 bytes
        char text[60];
        REQUIRE(base36_encode(value.data(), size, text, 50));
        std::array<std::uint8_t, 32> back{};
        REQUIRE(base36_decode(std::string_view(text, 50), back.data(), size) == Base36Decode::ok);
        CHECK(std::equal(back.begin(), back.begin() + static_cast<std::ptrdiff_t>(size),
                         value.begin()));
    }
}

TEST_CASE("generate_join_token: the engine's shape, and round trips", "[token]") {
    const std::string root =
        "-----BEGIN CERTIFICATE-----\nnot parsed here\n-----END CERTIFICATE-----\n";
    std::set<std::string> secrets;
    for (int i = 0; i < 500; ++i) {
        bool fips = i % 2 == 1;
        JoinToken made = generate_join_token(root, fips);
        std::string text = made.to_string();
        CHECK(text.size() == (fips ? 87u : 85u));
        CHECK(text.rfind(fips ? "SWMTKN-2-1-" : "SWMTKN-1-", 0) == 0);
        JoinToken parsed = parse_ok(text);
        CHECK(parsed.version == (fips ? 2 : 1));
        CHECK(parsed.fips == fips);
        CHECK(parsed.digest == sha256(root));
        CHECK(parsed.secret == made.secret);
        CHECK(parsed.secret_base36 == made.secret_base36);
        CHECK(token_pins_root(parsed, root));
        CHECK_FALSE(token_pins_root(parsed, root.substr(0, root.size() - 1)));
        secrets.insert(made.secret_base36);
    }
    CHECK(secrets.size() == 500);  // 16 random bytes each: a repeat means the CSPRNG is not used
}

TEST_CASE("parse_join_token accepts the FIPS forms", "[token]") {
    JoinToken fips = parse_ok("SWMTKN-2-1-" + kDigest50 + "-" + kSecret25);
    CHECK(fips.version == 2);
    CHECK(fips.fips);
    CHECK(fips.to_string() == "SWMTKN-2-1-" + kDigest50 + "-" + kSecret25);
    JoinToken plain = parse_ok("SWMTKN-2-0-" + kDigest50 + "-" + kSecret25);
    CHECK(plain.version == 2);
    CHECK_FALSE(plain.fips);
    CHECK(plain.to_string() == "SWMTKN-2-0-" + kDigest50 + "-" + kSecret25);
}

TEST_CASE("parse_join_token refuses each malformed shape with the part and the rule", "[token]") {
    const std::string d = kDigest50, s = kSecret25;
    struct Case {
        std::string token;
        std::string reason;  // a substring of the expected one-line reason
    };
    const std::vector<Case> cases = {
        {"", "token: empty"},
        {"SWMTKM-1-" + d + "-" + s, "prefix: the token must start with 'SWMTKN-'"},
        {"swmtkn-1-" + d + "-" + s, "prefix: must be upper-case 'SWMTKN'"},
        {"XSWMTKN-1-" + d + "-" + s, "prefix:"},
        {"SWMTKN", "token: no version after 'SWMTKN'"},
        {"SWMTKN-1-" + d, "version 1 has 4 parts"},
        {"SWMTKN-1-" + d + "-" + s + "-x", "this has 5"},
        {"SWMTKN-2-" + d + "-" + s, "version 2 has 5 parts"},
        {"SWMTKN-2-2-" + d + "-" + s, "fips flag: must be '0' or '1'"},
        {"SWMTKN-2-01-" + d + "-" + s, "fips flag:"},
        {"SWMTKN-3-" + d + "-" + s, "version: '3' is not a join token version"},
        {"SWMTKN-0-" + d + "-" + s, "version: '0'"},
        {"SWMTKN-v1-" + d + "-" + s, "version: this is not a join token version"},
        {"SWMTKN-1-" + d.substr(1) + "-" + s, "digest: 49 characters, expected exactly 50"},
        {"SWMTKN-1-" + d + "0-" + s, "digest: 51 characters"},
        {"SWMTKN-1--" + s, "digest: 0 characters"},
        {"SWMTKN-1-" + std::string(50, 'z') + "-" + s, "digest: value is 2^256 or more"},
        {"SWMTKN-1-" + d.substr(0, 49) + "I-" + s, "digest: character 50 ('I') is upper case"},
        {"SWMTKN-1-" + d.substr(0, 10) + "!" + d.substr(11) + "-" + s,
         "digest: character 11 ('!') is not a base-36 digit"},
        {"SWMTKN-1-" + d + "-" + s.substr(1), "secret: 24 characters, expected exactly 25"},
        {"SWMTKN-1-" + d + "-" + s + "a", "secret: 26 characters"},
        {"SWMTKN-1-" + d + "-" + std::string(25, 'z'), "secret: value is 2^128 or more"},
        {"SWMTKN-1-" + d + "-" + s.substr(0, 24) + "R", "secret: character 25 is upper case"},
        {"SWMTKN-1-" + d + "-" + s.substr(0, 5) + "_" + s.substr(6),
         "secret: character 6 is not a base-36 digit"},
        {"SWMTKN-1-" + d + " -" + s, "token: character 60 is whitespace"},
        {"SWMTKN-1-" + d + "-" + s + "\n", "token: character 86 is whitespace"},
        {"SWMTKN-1-" + d + "\t-" + s, "is whitespace"},
        {std::string("SWMTKN-1-") + d + std::string(1, '\0') + "-" + s,
         "token: character 60 is a control character (NUL)"},
        {"SWMTKN-1-" + d + "\x7f-" + s, "control character (0x7f)"},
        {"SWMTKN\xE2\x80\x93"
         "1-" +
             d + "-" + s,
         "character 7 is U+2013 EN DASH"},
        {"SWMTKN-1\xE2\x80\x94" + d + "-" + s, "character 9 is U+2014 EM DASH"},
        {"SWMTKN-1-" + d + "\xE2\x88\x92" + s, "character 60 is U+2212 MINUS SIGN"},
        {"SWMTKN-1-" + d + "\xEF\xBC\x8D" + s, "U+FF0D FULLWIDTH HYPHEN-MINUS"},
        {"SWMTKN-1-" + d + "\xC2\xAD-" + s, "U+00AD SOFT HYPHEN"},
        {"SWMTKN-1-\xC3\xA9" + d.substr(1) + "-" + s, "character 10 is not ASCII (byte 0xc3)"},
        {std::string(201, 'a'), "token: 201 bytes, over the 200-byte limit"},
        {"SWMTKN-1-" + std::string(100 * 1024, 'a') + "-" + s, "bytes, over the 200-byte limit"},
    };
    for (const Case& c : cases) {
        INFO("token: " << c.token.substr(0, 120));
        std::string reason = refusal(c.token);
        CHECK_THAT(reason, Catch::Matchers::Contains(c.reason));
        CHECK(reason.find('\n') == std::string::npos);
        // The secret never appears in a refusal, even where the secret part is the culprit.
        CHECK(reason.find(s.substr(3)) == std::string::npos);
    }
}

TEST_CASE("parse_join_token_into reuses one token for a batch", "[token]") {
    JoinToken token;
    std::string error;
    REQUIRE(parse_join_token_into(kValid, token, error));
    CHECK(token.digest_base36 == kDigest50);
    CHECK_FALSE(parse_join_token_into("SWMTKN-1-x-y", token, error));
    CHECK_THAT(error, Catch::Matchers::Contains("digest: 1 characters"));
    REQUIRE(parse_join_token_into("SWMTKN-2-1-" + kDigest50 + "-" + kSecret25, token, error));
    CHECK(token.fips);
    REQUIRE(parse_join_token_into(kValid, token, error));
    CHECK_FALSE(token.fips);  // nothing left over from the previous token
    CHECK(token.version == 1);
}

// ---- conformance: the real engine's tokens and root files ----------------------------------

namespace {

// Every string in a JSON value that looks like a join token.
void collect_tokens(const nlohmann::json& value, std::set<std::string>& out) {
    if (value.is_string()) {
        const std::string& s = value.get_ref<const std::string&>();
        if (s.rfind("SWMTKN-", 0) == 0) out.insert(s);
    } else if (value.is_structured()) {
        for (const auto& item : value) collect_tokens(item, out);
    }
}

struct RootFile {
    fs::path path;
    std::string sha256_hex;  // from index.json (the engine-side file metadata)
};

}  // namespace

TEST_CASE("every engine token decodes to index.json's digest and secret", "[token][conformance]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) return test::note_fixtures_missing();
    auto index = test::load_json(*fixtures / "index.json");
    int checked = 0;
    for (const auto& scenario : index["scenarios"]) {
        if (scenario["join_tokens"].is_null()) continue;
        for (const std::string role : {"worker", "manager"}) {
            INFO(scenario["scenario"] << " " << role);
            JoinToken token = parse_ok(scenario["join_tokens"][role].get<std::string>());
            CHECK(token.digest_hex() == scenario["expected_token_digest_hex"]);
            CHECK(token.digest_base36 == scenario["expected_token_digest_base36"]);
            CHECK(digest_to_base36(token.digest) == scenario["expected_token_digest_base36"]);
            CHECK(token.secret_base36 == scenario["expected_token_secret_base36"][role]);
            CHECK(secret_to_base36(token.secret) == token.secret_base36);
            CHECK(token.to_string() == scenario["join_tokens"][role]);
            ++checked;
        }
    }
    CHECK(checked >= 20);
}

TEST_CASE("every engine token pins exactly the root files whose SHA-256 is its digest",
          "[token][conformance]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) return test::note_fixtures_missing();
    auto index = test::load_json(*fixtures / "index.json");
    std::vector<RootFile> roots;
    std::set<std::string> tokens;
    for (const auto& scenario : index["scenarios"]) {
        std::string name = scenario["scenario"];
        for (const auto& [node, facts] : scenario["nodes"].items()) {
            fs::path file = *fixtures / name / "certificates" / node / "swarm-root-ca.crt";
            if (facts.contains("root_ca_sha256") && facts["root_ca_sha256"].is_string() &&
                fs::exists(file))
                roots.push_back({file, facts["root_ca_sha256"]});
        }
        collect_tokens(scenario["join_tokens"], tokens);
        auto truth = test::load_json(*fixtures / name / "truth.json");
        collect_tokens(truth["join_tokens"], tokens);
        collect_tokens(truth["scenario_facts"], tokens);
    }
    REQUIRE(roots.size() >= 20);
    REQUIRE(tokens.size() >= 8);
    for (const std::string& text : tokens) {
        JoinToken token = parse_ok(text);
        std::size_t pinned = 0;
        for (const RootFile& root : roots) {
            INFO(root.path.string());
            std::string bytes = test::read_text(root.path);
            bool expected = root.sha256_hex == token.digest_hex();
            CHECK(token_pins_root(token, bytes) == expected);
            RootFileCheck check = check_root_file(token, bytes, root.path.string());
            CHECK(check.match == expected);
            CHECK(check.hint.empty() == expected);
            pinned += expected ? 1 : 0;
        }
        CHECK(pinned >= 1);  // each token pins the root of at least one captured node
    }
}

TEST_CASE("check_root_file calls a digest one character off the file's a typo",
          "[token][conformance]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) return test::note_fixtures_missing();
    const std::string root = test::read_text(*fixtures / "init-manager" / "certificates" /
                                             "manager1" / "swarm-root-ca.crt");
    // The engine's token for this root with its 20th digest character 'b' typed as 'h'.
    const std::string digest = "66r4cjavviwup6jecjqbxm2iqbiij0qgdf0b96j4oomipfvmli";
    REQUIRE(digest[19] == 'b');
    std::string typo = digest;
    typo[19] = 'h';
    RootFileCheck check = check_root_file(
        parse_ok("SWMTKN-1-" + typo + "-d1vc1czot2czo3aj02oukvtr7"), root, "root.crt");
    CHECK_FALSE(check.match);
    REQUIRE(check.digest_typo);
    CHECK(check.digest_typo->position == 20);
    CHECK(check.digest_typo->token == 'h');
    CHECK(check.digest_typo->file == 'b');
    CHECK(check.hint ==
          "the token's digest differs from this file's in one character (character 20 of the "
          "digest is 'h', the file's 'b'): the token was mistyped; copy it again from `docker "
          "swarm join-token -q worker` (or manager)");

    // Two characters off is another root as far as anyone can tell: no typo hint.
    typo[30] = typo[30] == 'a' ? 'b' : 'a';
    RootFileCheck two = check_root_file(parse_ok("SWMTKN-1-" + typo + "-d1vc1czot2czo3aj02oukvtr7"),
                                        root, "root.crt");
    CHECK_FALSE(two.digest_typo);
    CHECK_THAT(two.hint, Catch::Matchers::Contains("the token pins a different root"));
    // A match has none either.
    CHECK_FALSE(check_root_file(parse_ok("SWMTKN-1-" + digest + "-d1vc1czot2czo3aj02oukvtr7"), root,
                                "root.crt")
                    .digest_typo);
}

TEST_CASE("check_root_file says what would match and what the file is", "[token][conformance]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) return test::note_fixtures_missing();
    const fs::path node = *fixtures / "init-manager" / "certificates" / "manager1";
    const std::string root = test::read_text(node / "swarm-root-ca.crt");
    JoinToken token = parse_ok(
        "SWMTKN-1-66r4cjavviwup6jecjqbxm2iqbiij0qgdf0b96j4oomipfvmli-d1vc1czot2czo3aj02oukvtr7");
    REQUIRE(token_pins_root(token, root));

    auto matching = [](const RootFileCheck& check) {
        std::vector<std::string> names;
        for (const auto& v : check.variants)
            if (v.matches) names.push_back(v.name);
        return names;
    };

    SECTION("CRLF copy") {
        std::string crlf;
        for (char c : root) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
        RootFileCheck check = check_root_file(token, crlf, "root.crt");
        CHECK_FALSE(check.match);
        CHECK(check.kind == "root");
        // The engine writes canonical PEM, so the re-encoding matches as well.
        CHECK(matching(check) == std::vector<std::string>{"lf-line-endings", "pem-reencoded"});
        CHECK_THAT(check.hint, Catch::Matchers::Contains("LF instead of CRLF"));
    }
    SECTION("trailing newline lost") {
        RootFileCheck check = check_root_file(token, root.substr(0, root.size() - 1), "root.crt");
        CHECK(matching(check) ==
              std::vector<std::string>{"trailing-newline-added", "pem-reencoded"});
    }
    SECTION("an extra newline at the end") {
        RootFileCheck check = check_root_file(token, root + "\n", "root.crt");
        // The engine writes canonical PEM, so its re-encoding matches too.
        CHECK(matching(check) ==
              std::vector<std::string>{"trailing-newline-removed", "pem-reencoded"});
    }
    SECTION("a bundle whose first certificate is the pinned root") {
        std::string other = test::read_text(*fixtures / "rotation-complete" / "certificates" /
                                            "manager1" / "swarm-root-ca.crt");
        RootFileCheck check = check_root_file(token, root + other, "bundle.crt");
        CHECK(check.kind == "root-bundle");
        auto names = matching(check);
        CHECK(std::find(names.begin(), names.end(), "certificate-1") != names.end());
        CHECK_THAT(check.hint, Catch::Matchers::Contains("only certificate 1"));
    }
    SECTION("the DER of the root") {
        auto parsed = parse_pem(root);
        REQUIRE(parsed.bundle);
        const Bytes& der = parsed.bundle->blocks[0].der;
        JoinToken der_token = token;
        der_token.digest = sha256(der.data(), der.size());
        RootFileCheck check = check_root_file(der_token, root, "root.crt");
        CHECK(matching(check) == std::vector<std::string>{"der"});
        CHECK_THAT(check.hint, Catch::Matchers::Contains("not the DER"));
    }
    SECTION("a DER root file") {
        auto parsed = parse_pem(root);
        REQUIRE(parsed.bundle);
        const Bytes& der = parsed.bundle->blocks[0].der;
        RootFileCheck check = check_root_file(token, std::string(der.begin(), der.end()),
                                              "root.der");
        CHECK(check.kind == "der-certificate");
        CHECK_THAT(check.hint, Catch::Matchers::Contains("this file is DER"));
    }
    SECTION("a node certificate instead of the root") {
        std::string leaf = test::read_text(node / "swarm-node.crt");
        RootFileCheck check = check_root_file(token, leaf, "swarm-node.crt");
        CHECK(check.kind == "node-certificate");
        CHECK_THAT(check.hint, Catch::Matchers::Contains("a swarm node certificate"));
        CHECK_THAT(check.hint, Catch::Matchers::Contains("not a root"));
    }
    SECTION("a different root: nothing matches") {
        std::string other = test::read_text(*fixtures / "external-root" / "certificates" /
                                            "manager1" / "swarm-root-ca.crt");
        RootFileCheck check = check_root_file(token, other, "other.crt");
        CHECK(matching(check).empty());
        CHECK_THAT(check.hint, Catch::Matchers::Contains("the token pins a different root"));
    }
    SECTION("not a certificate at all") {
        CHECK_THROWS_WITH(check_root_file(token, "hello\n", "junk.txt"),
                          Catch::Matchers::Contains("junk.txt: not a PEM certificate bundle"));
    }
}
