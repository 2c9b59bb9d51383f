#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/private_key.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

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
    return swarmpki::test::fixture_scenario(scenario)[field].get<std::string>();
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

namespace {
struct Pbes2Shape {
    bool pbes2 = false;
    bool prf_present = true;
    long iterations = 0;
    int salt_length = 0;
    bool key_length_present = true;
    int cipher_nid = 0;
};

Pbes2Shape pbes2_shape(const Bytes& der) {
    Pbes2Shape shape;
    const unsigned char* p = der.data();
    ossl::UniquePtr<X509_SIG> sig(d2i_X509_SIG(nullptr, &p, static_cast<long>(der.size())));
    REQUIRE(sig);
    const X509_ALGOR* alg = nullptr;
    X509_SIG_get0(sig.get(), &alg, nullptr);
    const ASN1_OBJECT* oid = nullptr;
    int ptype = 0;
    const void* pval = nullptr;
    X509_ALGOR_get0(&oid, &ptype, &pval, alg);
    shape.pbes2 = OBJ_obj2nid(oid) == NID_pbes2;
    PBE2PARAM* pbe2 = static_cast<PBE2PARAM*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), static_cast<const ASN1_TYPE*>(
            static_cast<const void*>(alg->parameter))));
    REQUIRE(pbe2);
    shape.cipher_nid = OBJ_obj2nid(pbe2->encryption->algorithm);
    PBKDF2PARAM* kdf = static_cast<PBKDF2PARAM*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter));
    REQUIRE(kdf);
    shape.prf_present = kdf->prf != nullptr;
    shape.key_length_present = kdf->keylength != nullptr;
    shape.iterations = ASN1_INTEGER_get(kdf->iter);
    shape.salt_length = kdf->salt->value.octet_string->length;
    PBKDF2PARAM_free(kdf);
    PBE2PARAM_free(pbe2);
    (void)pval;
    (void)ptype;
    return shape;
}
}  // namespace

TEST_CASE("encode_encrypted_pkcs8_pem uses the engine's PBES2 parameters", "[private_key][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto engine = load("autolock", "manager1");
    Pbes2Shape theirs = pbes2_shape(key_block_of(engine.bundle, "key").der);
    PrivateKey generated(ossl::UniquePtr<EVP_PKEY>(EVP_EC_gen("P-256")));
    SecretBytes password(Bytes(32, 7));
    auto ours_block = parse_pem_or_throw(encode_encrypted_pkcs8_pem(generated, password), "o").blocks[0];
    Pbes2Shape ours = pbes2_shape(ours_block.der);
    CHECK(theirs.pbes2);
    CHECK_FALSE(theirs.prf_present);  // PBKDF2-HMAC-SHA1 by default
    CHECK(theirs.iterations == 2048);
    CHECK(theirs.salt_length == 8);
    CHECK(theirs.cipher_nid == NID_aes_256_cbc);
    CHECK(ours.pbes2 == theirs.pbes2);
    CHECK(ours.prf_present == theirs.prf_present);
    CHECK(ours.key_length_present == theirs.key_length_present);
    CHECK(ours.iterations == theirs.iterations);
    CHECK(ours.salt_length == theirs.salt_length);
    CHECK(ours.cipher_nid == theirs.cipher_nid);
}
