// pki/render/token_render.cpp: the exact bytes of every token document, so a refactoring of the
// writer cannot move a space. The values come from a fixed token; the checks are built by hand.
#include "swarmpki/token_render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace swarmpki;

namespace {

const std::string kDigest = "3hdplcks4ydxkw7gyh0fc035x72j3e81ejaexukt1i5w8son25";
const std::string kDigestHex = "8bbcbfcbd3888526676eb5605902e9ac7ab43d8691cb5d025b1a43964f7386bd";

JoinToken token(const std::string& text = "SWMTKN-1-" + kDigest + "-5kca0qkgdf6ly2i74o577eabg") {
    JoinTokenParse parsed = parse_join_token(text);
    REQUIRE(parsed.token);
    return *parsed.token;
}

}  // namespace

TEST_CASE("render_token_json and _jsonl: the members in order, secret only when shown",
          "[render][token]") {
    CHECK(render_token_json(token(), ShowSecret::no) ==
          "{\n  \"schema\": \"swarmpki.token/v1\",\n  \"version\": 1,\n  \"fips\": false,\n"
          "  \"digest_sha256\": \"" +
              kDigestHex + "\",\n  \"digest_base36\": \"" + kDigest +
              "\",\n  \"secret\": null,\n  \"secret_redacted\": true\n}\n");
    CHECK(render_token_jsonl(token(), ShowSecret::yes) ==
          "{\"line\":1,\"error\":null,\"version\":1,\"fips\":false,\"digest_sha256\":\"" +
              kDigestHex + "\",\"digest_base36\":\"" + kDigest +
              "\",\"secret\":\"5kca0qkgdf6ly2i74o577eabg\",\"secret_redacted\":false,"
              "\"secret_hex\":\"5e00024fa6c783cddc9a31264e295ebc\"}\n");
    CHECK(render_token_text(token(), ShowSecret::no) ==
          "version        1\nfips           no\ndigest sha256  " + kDigestHex +
              "\ndigest base36  " + kDigest +
              "\nsecret         (redacted; --show-secret prints it)\n");
}

TEST_CASE("TokenBatchRenderer streams one document whichever way the output is cut",
          "[render][token]") {
    JoinToken fips = token("SWMTKN-2-1-" + kDigest + "-5kca0qkgdf6ly2i74o577eabg");
    std::string out;
    TokenBatchRenderer json(TokenBatchFormat::json, ShowSecret::no);
    json.begin(out);
    json.entry(out, 1, &fips, {});
    std::string first_part = out;
    out.clear();  // as the command does when it writes a block out
    json.entry(out, 3, nullptr, "secret: 24 characters, expected exactly 25");
    json.finish(out, {2, 1, 1});
    std::string entry1 =
        "{\"line\":1,\"error\":null,\"version\":2,\"fips\":true,\"digest_sha256\":\"" + kDigestHex +
        "\",\"digest_base36\":\"" + kDigest + "\",\"secret\":null,\"secret_redacted\":true}";
    std::string entry3 =
        "{\"line\":3,\"error\":\"secret: 24 characters, expected exactly 25\",\"version\":null,"
        "\"fips\":null,\"digest_sha256\":null,\"digest_base36\":null,\"secret\":null,"
        "\"secret_redacted\":true}";
    CHECK(first_part + out == "{\n  \"schema\": \"swarmpki.tokens/v1\",\n  \"tokens\": [\n    " +
                                  entry1 + ",\n    " + entry3 +
                                  "\n  ],\n  \"summary\": {\"tokens\": 2, \"valid\": 1, "
                                  "\"invalid\": 1}\n}\n");
    CHECK(nlohmann::json::parse(first_part + out)["tokens"].size() == 2);

    std::string empty;
    TokenBatchRenderer none(TokenBatchFormat::json, ShowSecret::no);
    none.begin(empty);
    none.finish(empty, {});
    CHECK(empty == "{\n  \"schema\": \"swarmpki.tokens/v1\",\n  \"tokens\": [],\n  \"summary\": "
                   "{\"tokens\": 0, \"valid\": 0, \"invalid\": 0}\n}\n");

    std::string lines;
    TokenBatchRenderer jsonl(TokenBatchFormat::jsonl, ShowSecret::no);
    jsonl.begin(lines);
    jsonl.entry(lines, 1, &fips, {});
    jsonl.entry(lines, 3, nullptr, "secret: 24 characters, expected exactly 25");
    jsonl.finish(lines, {2, 1, 1});
    CHECK(lines == entry1 + "\n" + entry3 + "\n");

    std::string text;
    TokenBatchRenderer plain(TokenBatchFormat::text, ShowSecret::yes);
    plain.entry(text, 1, &fips, {});
    plain.entry(text, 2, nullptr, "digest: 49 characters, expected exactly 50");
    CHECK(text == "line 1: v2 fips  digest " + kDigestHex +
                      "  secret 5kca0qkgdf6ly2i74o577eabg\n"
                      "line 2: invalid: digest: 49 characters, expected exactly 50\n");
}

TEST_CASE("render_generated_token_json: the token, its secret and the root file",
          "[render][token]") {
    nlohmann::json doc = nlohmann::json::parse(render_generated_token_json(token(), "root.crt"));
    CHECK(doc["schema"] == "swarmpki.token/v1");
    CHECK(doc["secret"] == "5kca0qkgdf6ly2i74o577eabg");
    CHECK(doc["token"] == "SWMTKN-1-" + kDigest + "-5kca0qkgdf6ly2i74o577eabg");
    CHECK(doc["root_file"] == "root.crt");
    CHECK(render_generated_token_text(token()) ==
          "SWMTKN-1-" + kDigest + "-5kca0qkgdf6ly2i74o577eabg\n");
}

TEST_CASE("render_token_verify: a match says only the digest was checked", "[render][token]") {
    RootFileCheck match;
    match.match = true;
    match.file_sha256 = token().digest;
    CHECK(render_token_verify_text(match, token(), "node/swarm-root-ca.crt") ==
          "match: the token pins node/swarm-root-ca.crt (sha256 " + kDigestHex +
              ")\n  only the digest can be checked offline: whether the cluster still accepts "
              "this token's secret (a rotated-out token pins the same root) only a manager "
              "knows; compare with `docker swarm join-token -q worker` (or manager)\n");
    CHECK(render_token_verify_json(match, token(), "r.crt") ==
          "{\n  \"schema\": \"swarmpki.token-verify/v1\",\n  \"match\": true,\n"
          "  \"token_digest_sha256\": \"" +
              kDigestHex + "\",\n  \"root_file_sha256\": \"" + kDigestHex +
              "\",\n  \"hint\": null,\n  \"secret_checked\": false,\n  \"digest_typo\": null,\n"
              "  \"root_file\": \"r.crt\",\n  \"root_file_kind\": null,\n"
              "  \"matching_variants\": [],\n  \"variants\": []\n}\n");
}

TEST_CASE("render_token_verify: a mismatch gives both digests, the hint and the typo",
          "[render][token]") {
    RootFileCheck check;
    check.file_sha256.fill(0xab);
    check.kind = "root";
    check.hint = "the token was mistyped";
    check.digest_typo = DigestTypo{20, 'h', 'b'};
    check.variants.push_back({"lf-line-endings", "LF", {}, false});
    std::string file_hex_ab;
    for (int i = 0; i < 32; ++i) file_hex_ab += "ab";
    CHECK(render_token_verify_text(check, token(), "r.crt") ==
          "MISMATCH: a node joining with this token would refuse r.crt\n  token digest  " +
              kDigestHex + "\n  file sha256   " + file_hex_ab +
              "\n  hint: the token was mistyped\n");
    nlohmann::json doc = nlohmann::json::parse(render_token_verify_json(check, token(), "r.crt"));
    CHECK(doc["match"] == false);
    CHECK(doc["hint"] == "the token was mistyped");
    CHECK(doc["digest_typo"] ==
          nlohmann::json({{"position", 20}, {"token", "h"}, {"root_file", "b"}}));
    CHECK(doc["secret_checked"] == false);
    CHECK(doc["root_file_kind"] == "root");
    CHECK(doc["matching_variants"].empty());
    CHECK(doc["variants"][0]["name"] == "lf-line-endings");
    CHECK(doc["variants"][0]["sha256"] == std::string(64, '0'));
}

TEST_CASE("a batch entry appended by hand is byte for byte JsonWriter's", "[render][token]") {
    const JoinToken v1 = token(),
                    fips = token("SWMTKN-2-1-" + kDigest + "-5kca0qkgdf6ly2i74o577eabg");
    for (ShowSecret show : {ShowSecret::no, ShowSecret::yes}) {
        for (const JoinToken* t : {&v1, &fips, static_cast<const JoinToken*>(nullptr)}) {
            for (std::size_t line : {std::size_t{1}, std::size_t{1234567890123}}) {
                std::string error = t ? "" : "bad \"quote\" \x01 and caf\xc3\xa9 \xff";
                std::string by_hand;
                append_token_entry_json(by_hand, line, t, error, show);
                CHECK(by_hand == render_token_entry_with_writer(line, t, error, show));
            }
        }
    }
}
