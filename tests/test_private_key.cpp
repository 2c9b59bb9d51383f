#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/private_key.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;

namespace {
struct KeyAndLeaf {
    std::string text;
    PemBundle bundle;
    Certificate leaf;
};
KeyAndLeaf load(const std::string& scenario, const std::string& node) {
    auto dir = *fixtures_dir() / scenario / "certificates" / node;
    std::string text = read_file((dir / "swarm-node.key").string());
    auto bundle = parse_pem_or_throw(text, "key");
    auto leaf = load_certificate_file((dir / "swarm-node.crt").string()).front();
    return {text, std::move(bundle), std::move(leaf)};
}
std::string unlock_key(const std::string& scenario, const std::string& field) {
    auto index = swarmpki::test::load_json(*fixtures_dir() / "index.json");
    for (auto& s : index["scenarios"])
        if (s["scenario"] == scenario) return s[field].get<std::string>();
    return {};
}
}  // namespace

TEST_CASE("load_private_key reads the engine's plain PKCS#8 key with headers",
          "[private_key][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto k = load("worker", "manager1");
    const PemBlock& block = key_block_of(k.bundle, "key");
    auto facts = describe_key_block(block);
    CHECK(facts.encoding == KeyEncoding::pkcs8);
    CHECK_FALSE(facts.encrypted);
    CHECK(facts.header_names == std::vector<std::string>{"kek-version", "raft-dek"});
    PrivateKey key = load_private_key(block, nullptr, "key");
    CHECK(key.type() == "ecdsa-p256");
    CHECK(key.matches(k.leaf));
}

TEST_CASE("load_private_key decrypts an autolocked key with the unlock key and only with it",
          "[private_key][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto k = load("autolock-unlock-key-rotated", "manager1");
    const PemBlock& block = key_block_of(k.bundle, "key");
    CHECK(describe_key_block(block).encoding == KeyEncoding::pkcs8_encrypted);
    REQUIRE_THROWS_WITH(load_private_key(block, nullptr, "key"),
                        Catch::Contains("encrypted (autolock)"));
    SecretBytes old_key = parse_unlock_key(unlock_key("autolock-unlock-key-rotated", "old_unlock_key"));
    REQUIRE_THROWS_WITH(load_private_key(block, &old_key, "key"),
                        Catch::Contains("does not decrypt"));
    SecretBytes new_key = parse_unlock_key(unlock_key("autolock-unlock-key-rotated", "new_unlock_key"));
    CHECK(new_key.size() == 32);
    PrivateKey key = load_private_key(block, &new_key, "key");
    CHECK(key.matches(k.leaf));
}

TEST_CASE("parse_unlock_key never echoes the key in its errors", "[private_key]") {
    try {
        parse_unlock_key("SWMKEY-2-secretsecret");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("secretsecret") == std::string::npos);
    }
    // A key with NUL bytes in it decodes to all 32 bytes.
    SecretBytes zeros = parse_unlock_key("SWMKEY-1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    CHECK(zeros.size() == 32);
}

TEST_CASE("keys round-trip through SEC1, PKCS#8 and engine-style encryption", "[private_key]") {
    PrivateKey generated(ossl::UniquePtr<EVP_PKEY>(EVP_EC_gen("P-256")));
    std::string sec1 = encode_sec1_pem(generated);
    REQUIRE(sec1.rfind("-----BEGIN EC PRIVATE KEY-----", 0) == 0);
    auto k = load_private_key(parse_pem_or_throw(sec1, "k").blocks[0], nullptr, "k");
    CHECK(k.type() == "ecdsa-p256");
    std::string pkcs8 = encode_pkcs8_pem(k, {{"kek-version", "0"}});
    auto again = load_private_key(parse_pem_or_throw(pkcs8, "p").blocks[0], nullptr, "p");
    CHECK(again.public_key_der() == k.public_key_der());
    SecretBytes password(Bytes{0, 1, 0, 2, 0, 3});
    std::string sealed = encode_encrypted_pkcs8_pem(k, password, {{"kek-version", "7"}});
    auto block = parse_pem_or_throw(sealed, "s").blocks[0];
    CHECK(block.header("kek-version")->value == "7");
    auto opened = load_private_key(block, &password, "s");
    CHECK(opened.public_key_der() == k.public_key_der());
    SecretBytes truncated(Bytes{0});  // a C-string API would see the same "password"
    CHECK_THROWS(load_private_key(block, &truncated, "s"));
}
