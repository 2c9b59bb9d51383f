// The CA engine against the real engine's certificates: every field a verifier or an operator
// looks at must match (fixtures from dockerd 20.10.24 in ../shared/fixtures/swarm).
#include "ca_issuing.hpp"
#include "support.hpp"
#include "test_ca_support.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/chain.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"

#include <catch2/catch.hpp>

#include <openssl/bn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>

using namespace swarmpki;
using namespace swarmpki::test;

namespace {

std::vector<Certificate> fixture_certs(const std::string& scenario, const std::string& node,
                                       const char* file) {
    return load_certificate_file(
        (*fixtures_dir() / scenario / "certificates" / node / file).string());
}

const Instant kFixtureInit = *parse_rfc3339("2026-11-28T22:54:07Z");

// The fields compared for every certificate kind.
void check_same_profile(const Certificate& ours, const Certificate& engine) {
    CHECK(ours.extension_names() == engine.extension_names());
    for (int nid : {NID_key_usage, NID_ext_key_usage, NID_basic_constraints, NID_subject_alt_name,
                    NID_subject_key_identifier, NID_authority_key_identifier}) {
        INFO("extension " << OBJ_nid2sn(nid));
        CHECK(extension_critical(ours, nid) == extension_critical(engine, nid));
        CHECK((extension_of(ours, nid) == nullptr) == (extension_of(engine, nid) == nullptr));
    }
    // Same bytes for everything that does not depend on keys or names.
    for (int nid : {NID_key_usage, NID_ext_key_usage, NID_basic_constraints})
        CHECK(extension_hex(ours, nid) == extension_hex(engine, nid));
    CHECK(ours.signature_algorithm() == engine.signature_algorithm());
    CHECK(ours.key_type() == engine.key_type());
    CHECK(ours.serial_bytes() <= 20);
    CHECK(ours.serial_bytes() >= 18);  // 20 random bytes, rarely shortened by leading zeros
    CHECK(serial_is_cfssl_shaped(ours));
    CHECK(ours.lifetime() == engine.lifetime());
    CHECK(ours.path_length() == engine.path_length());
}

}  // namespace

TEST_CASE("serial shape: a leading zero byte lets the next byte's top bit lead, and that is still "
          "cfssl's shape",
          "[ca]") {
    // Was a flaky check (about 1 certificate in 256): it read the top bit of OpenSSL's magnitude
    // bytes.
    auto serial_from_hex = [](const char* hex) {
        BIGNUM* value = nullptr;
        REQUIRE(BN_hex2bn(&value, hex) > 0);
        ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(value, nullptr);
        BN_free(value);
        REQUIRE(serial != nullptr);
        return std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)>(serial,
                                                                           ASN1_INTEGER_free);
    };
    // First random byte 0x00 after masking, second 0xc5: 19 magnitude bytes, the first with 0x80
    // set.
    auto shortened = serial_from_hex("00c5112233445566778899aabbccddeeff001122");
    REQUIRE(ASN1_STRING_length(shortened.get()) == 19);
    REQUIRE((ASN1_STRING_get0_data(shortened.get())[0] & 0x80) != 0);
    CHECK(serial_is_cfssl_shaped(shortened.get()));
    CHECK(
        serial_is_cfssl_shaped(serial_from_hex("7fffffffffffffffffffffffffffffffffffffff").get()));
    CHECK_FALSE(
        serial_is_cfssl_shaped(serial_from_hex("8000000000000000000000000000000000000000").get()));
    CHECK_FALSE(serial_is_cfssl_shaped(serial_from_hex("-01").get()));
    CHECK_FALSE(serial_is_cfssl_shaped(serial_from_hex("0").get()));
}

TEST_CASE("engine IDs: 17 bytes, top bit set, base 36, characters [1:26]", "[ca]") {
    // Values computed independently (Python int -> base 36) from the definition in DOMAIN.md §2.
    std::array<std::uint8_t, 17> zeros{};
    CHECK(engine_id_from_entropy(zeros) == "hvy0lj3x0b883f8e30fyp2172");
    std::array<std::uint8_t, 17> counting{};
    for (std::size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<std::uint8_t>(i);
    CHECK(engine_id_from_entropy(counting) == "hw05xdvcpbrfi4jekqvbjy4b2");
    std::array<std::uint8_t, 17> ones{};
    ones.fill(0xff);
    CHECK(engine_id_from_entropy(ones) == "zrw1727u0mgg6ugs60vxe42e4");
    for (int i = 0; i < 50; ++i) CHECK(looks_like_engine_id(new_engine_id()));
    // Six digits per division pass agree with the definition, one digit per pass.
    auto one_digit_at_a_time = [](std::array<std::uint8_t, 17> number) {
        number[0] |= 0x80;
        std::string reversed;
        while (std::any_of(number.begin(), number.end(), [](std::uint8_t b) { return b != 0; })) {
            unsigned remainder = 0;
            for (std::uint8_t& byte : number) {
                unsigned value = (remainder << 8) | byte;
                byte = static_cast<std::uint8_t>(value / 36);
                remainder = value % 36;
            }
            reversed.push_back("0123456789abcdefghijklmnopqrstuvwxyz"[remainder]);
        }
        return std::string(reversed.rbegin(), reversed.rend()).substr(1, kEngineIdLength);
    };
    std::mt19937_64 rng(36);
    for (int i = 0; i < 2000; ++i) {
        std::array<std::uint8_t, 17> entropy{};
        for (auto& b : entropy) b = static_cast<std::uint8_t>(rng());
        REQUIRE(engine_id_from_entropy(entropy) == one_digit_at_a_time(entropy));
    }
    CHECK_FALSE(looks_like_engine_id("2i2jiz7b6wivuwtazt3d7zta"));
    CHECK_FALSE(looks_like_engine_id("2I2jiz7b6wivuwtazt3d7zta8"));
}

TEST_CASE("round_to_minute rounds half a minute up, like Go's time.Round", "[ca]") {
    CHECK(format_rfc3339(round_to_minute(*parse_rfc3339("2026-11-28T22:54:07Z"))) ==
          "2026-11-28T22:54:00Z");
    CHECK(format_rfc3339(round_to_minute(*parse_rfc3339("2026-11-28T22:54:30Z"))) ==
          "2026-11-28T22:55:00Z");
    CHECK(format_rfc3339(round_to_minute(*parse_rfc3339("2026-11-28T22:54:29Z"))) ==
          "2026-11-28T22:54:00Z");
}

TEST_CASE("create_root: the engine's root profile", "[ca]") {
    RootCa root = create_root({}, *parse_rfc3339("2026-11-28T22:54:07Z"));
    const Certificate& c = root.certificate;
    CHECK(c.subject() == "CN=swarm-ca");
    CHECK(subject_der_hex(c) == "3013311130"
                                "0f0603550403130873776172"
                                "6d2d6361");  // PrintableString
    CHECK(issuer_der_hex(c) == subject_der_hex(c));
    CHECK(format_rfc3339(c.not_before()) == "2026-11-28T22:49:00Z");
    CHECK(format_rfc3339(c.not_after()) == "2046-11-23T22:49:00Z");
    CHECK(c.lifetime() == kRootLifetime);
    CHECK(c.extension_names() ==
          std::vector<std::string>{"keyUsage", "basicConstraints", "subjectKeyIdentifier"});
    CHECK(c.key_usage().cert_sign);
    CHECK(c.key_usage().crl_sign);
    CHECK_FALSE(c.key_usage().digital_signature);
    CHECK(c.is_ca());
    CHECK(c.path_length() == -1);
    CHECK_FALSE(c.authority_key_id());
    CHECK(c.key_type() == "ecdsa-p256");
    CHECK(c.signature_algorithm() == "ecdsa-with-SHA256");
    CHECK(c.signature_verified_by(c));
    CHECK(root.key.matches(c));
    CHECK(serial_is_cfssl_shaped(c));
}

TEST_CASE("create_root: other key types sign with cfssl's DefaultSigAlgo digest", "[ca]") {
    Instant now = *parse_rfc3339("2030-01-01T00:00:00Z");
    RootOptions p384;
    p384.key_type = CaKeyType::ecdsa_p384;
    CHECK(create_root(p384, now).certificate.signature_algorithm() == "ecdsa-with-SHA384");
    RootOptions rsa;
    rsa.key_type = CaKeyType::rsa_2048;
    rsa.common_name = "Example & Root";  // '&' is not PrintableString for Go: UTF8String
    RootCa r = create_root(rsa, now);
    CHECK(r.certificate.signature_algorithm() == "sha256WithRSAEncryption");
    CHECK(r.certificate.key_type() == "rsa-2048");
    CHECK(subject_der_hex(r.certificate).find("0c0e") !=
          std::string::npos);  // UTF8String, 14 bytes
}

TEST_CASE("the root matches the engine's root field by field", "[ca][conformance]") {
    if (!fixtures_dir()) return note_fixtures_missing();
    Certificate engine = fixture_certs("init-manager", "manager1", "swarm-root-ca.crt").at(0);
    // The engine made its root at about 22:54 on capture day: same instant, same validity.
    RootCa ours = create_root({}, kFixtureInit);
    check_same_profile(ours.certificate, engine);
    CHECK(subject_der_hex(ours.certificate) == subject_der_hex(engine));
    CHECK(issuer_der_hex(ours.certificate) == issuer_der_hex(engine));
    CHECK(ours.certificate.not_before() == engine.not_before());
    CHECK(ours.certificate.not_after() == engine.not_after());
}

TEST_CASE("node certificates match the engine's manager and worker leaves", "[ca][conformance]") {
    if (!fixtures_dir()) return note_fixtures_missing();
    for (auto [scenario, node] :
         {std::pair{"init-manager", "manager1"}, std::pair{"worker", "worker1"}}) {
        INFO(scenario << "/" << node);
        Certificate engine = fixture_certs(scenario, node, "swarm-node.crt").at(0);
        RootCa root = create_root({}, kFixtureInit);
        NodeCertificateIssuer issuer(root.certificate, root.key, kDefaultNodeCertExpiry);
        PrivateKey key = KeyGenerator().generate();
        NodeIdentity identity{engine.common_name(),
                              engine.organizational_unit() == "swarm-manager" ? NodeRole::manager
                                                                              : NodeRole::worker,
                              engine.organization()};
        // Issued at the same instant the engine issued: NotBefore + the 1h backdate.
        Certificate ours = issuer.issue(identity, key.get0(),
                                        engine.not_before() + kNodeCertBackdate);
        check_same_profile(ours, engine);
        CHECK(subject_der_hex(ours) == subject_der_hex(engine));  // O, OU, CN; PrintableString
        CHECK(ours.dns_names() == engine.dns_names());
        CHECK(ours.not_before() == engine.not_before());
        CHECK(ours.not_after() == engine.not_after());
        CHECK(ours.lifetime() == kDefaultNodeCertExpiry + kNodeCertBackdate);
        CHECK(ours.authority_key_id() == root.certificate.subject_key_id());
        CHECK(ours.subject_key_id().has_value());
        CHECK(key.matches(ours));
        CHECK(ours.signature_verified_by(root.certificate));
        std::array<Certificate, 1> roots{root.certificate};
        CHECK(verify_chain(ours, {}, roots, engine.not_before() + Seconds(7200)).verified);
    }
}

TEST_CASE("a reused Builder matches the engine's leaves across roles", "[ca][conformance]") {
    if (!fixtures_dir()) return note_fixtures_missing();
    RootCa root = create_root({}, kFixtureInit);
    NodeCertificateIssuer issuer(root.certificate, root.key, kDefaultNodeCertExpiry);
    NodeCertificateIssuer::Builder builder(issuer);
    CertificateSigner signer = issuer.make_signer();
    // Manager, worker, manager again: the subject, SANs and validity are rewritten each time.
    for (auto [scenario, node] :
         {std::pair{"init-manager", "manager1"}, std::pair{"worker", "worker1"},
          std::pair{"init-manager", "manager1"}}) {
        INFO(scenario << "/" << node);
        Certificate engine = fixture_certs(scenario, node, "swarm-node.crt").at(0);
        PrivateKey key = KeyGenerator().generate();
        NodeIdentity identity{engine.common_name(),
                              engine.organizational_unit() == "swarm-manager" ? NodeRole::manager
                                                                              : NodeRole::worker,
                              engine.organization()};
        X509* built = builder.build(identity, key.get0(), engine.not_before() + kNodeCertBackdate);
        Certificate ours = Certificate::from_der(signer.sign_to_der(built), "the leaf");
        check_same_profile(ours, engine);
        CHECK(subject_der_hex(ours) == subject_der_hex(engine));
        CHECK(ours.dns_names() == engine.dns_names());
        CHECK(ours.not_before() == engine.not_before());
        CHECK(ours.not_after() == engine.not_after());
        CHECK(key.matches(ours));
        CHECK(ours.signature_verified_by(root.certificate));
    }
}

TEST_CASE("a reused Builder gives each leaf exactly the TBS a fresh one gives", "[ca]") {
    RootCa root = create_root({}, kFixtureInit);
    NodeCertificateIssuer issuer(root.certificate, root.key, kDefaultNodeCertExpiry);
    NodeCertificateIssuer::Builder reused(issuer);
    CertificateSigner signer = issuer.make_signer();
    KeyGenerator keys;
    struct Leaf {
        NodeIdentity identity;
        Seconds later;
    };
    const std::vector<Leaf> leaves{{{"n1", NodeRole::worker, "c1"}, Seconds(0)},
                                   {{"n2", NodeRole::worker, "c1"}, Seconds(0)},
                                   {{"node-three", NodeRole::manager, "c1"}, Seconds(90)},
                                   {{"n4", NodeRole::worker, "cluster-two"}, Seconds(7200)},
                                   {{"n5", NodeRole::manager, "cluster-two"}, Seconds(7200)},
                                   {{"n6", NodeRole::manager, "cluster-two"}, Seconds(7201)}};
    auto tbs = [](X509* x) {
        unsigned char* der = nullptr;
        int length = i2d_re_X509_tbs(x, &der);
        REQUIRE(length > 0);
        Bytes bytes(der, der + length);
        OPENSSL_free(der);
        return bytes;
    };
    for (const Leaf& leaf : leaves) {
        INFO(leaf.identity.node_id);
        PrivateKey key = keys.generate();
        Instant at = kFixtureInit + leaf.later;
        X509* again = reused.build(leaf.identity, key.get0(), at);
        NodeCertificateIssuer::Builder fresh_builder(issuer);
        X509* fresh = fresh_builder.build(leaf.identity, key.get0(), at);
        // Serials are random; everything else must be byte for byte the same.
        REQUIRE(X509_set_serialNumber(fresh, X509_get_serialNumber(again)) == 1);
        signer.sign(again);  // sets the TBS signature algorithm, without which it does not encode
        signer.sign(fresh);
        CHECK(tbs(again) == tbs(fresh));
        CHECK(X509_get_ext_count(again) == 6);
    }
}

TEST_CASE("node certificates: cert-expiry arithmetic and the engine's minimum", "[ca]") {
    RootCa root = create_root({}, kFixtureInit);
    NodeCertificateIssuer one_hour(root.certificate, root.key, Seconds(3600));
    PrivateKey key = KeyGenerator().generate();
    Certificate leaf = one_hour.issue({"n1", NodeRole::worker, "c1"}, key.get0(),
                                      *parse_rfc3339("2026-11-28T23:10:31Z"));
    CHECK(format_rfc3339(leaf.not_before()) == "2026-11-28T22:11:00Z");
    CHECK(format_rfc3339(leaf.not_after()) == "2026-11-29T00:11:00Z");
    CHECK(leaf.dns_names() == std::vector<std::string>{"swarm-worker", "n1"});
    try {
        NodeCertificateIssuer too_short(root.certificate, root.key, Seconds(3599));
        FAIL("a 59m59s expiry was accepted");
    } catch (const Error& e) {
        CHECK(e.problem() == "minimum certificate expiry time is: 1h0m0s");
    }
    CHECK_THROWS_AS(one_hour.issue({"bad,id", NodeRole::worker, "c1"}, key.get0(), kFixtureInit),
                    Error);
}

TEST_CASE("cross_sign matches the engine's cross-signed intermediate", "[ca][conformance]") {
    if (!fixtures_dir()) return note_fixtures_missing();
    auto engine_chain = fixture_certs("rotation-in-progress", "manager1", "swarm-node.crt");
    REQUIRE(engine_chain.size() == 2);
    const Certificate& engine_cross = engine_chain[1];
    RootCa old_root = create_root({}, kFixtureInit - Seconds(60));
    RootCa new_root = create_root({}, kFixtureInit);
    Certificate cross = cross_sign(new_root.certificate, old_root.certificate, old_root.key);
    check_same_profile(cross, engine_cross);
    CHECK(cross.extension_names() ==
          std::vector<std::string>{"keyUsage", "basicConstraints", "subjectKeyIdentifier"});
    CHECK_FALSE(cross.authority_key_id());  // names equal: Go adds none
    CHECK(issuer_der_hex(cross) == issuer_der_hex(engine_cross));
    CHECK(cross.serial_hex() == new_root.certificate.serial_hex());
    CHECK(cross.not_before() == new_root.certificate.not_before());
    CHECK(cross.not_after() == new_root.certificate.not_after());
    CHECK(cross.same_public_key(new_root.certificate));
    CHECK(cross.subject_key_id() == new_root.certificate.subject_key_id());
    CHECK(cross.signature_verified_by(old_root.certificate));
    CHECK_FALSE(cross.signature_verified_by(new_root.certificate));

    // A leaf signed by the new key reaches the old root through it, as mid-rotation.
    NodeCertificateIssuer issuer(cross, new_root.key, kDefaultNodeCertExpiry);
    PrivateKey key = KeyGenerator().generate();
    Certificate leaf = issuer.issue({"n1", NodeRole::manager, "c1"}, key.get0(), kFixtureInit);
    std::array<Certificate, 1> intermediates{cross};
    std::array<Certificate, 1> old_trust{old_root.certificate};
    std::array<Certificate, 1> new_trust{new_root.certificate};
    Instant at = kFixtureInit + Seconds(60);
    CHECK(verify_chain(leaf, intermediates, old_trust, at).verified);
    CHECK(verify_chain(leaf, intermediates, new_trust, at).verified);
    CHECK_FALSE(verify_chain(leaf, {}, old_trust, at).verified);
}

TEST_CASE("cross_sign: different names get the old root's key ID as AKI; a non-CA is refused",
          "[ca]") {
    RootCa old_root = create_root({}, kFixtureInit);
    RootOptions operator_options;
    operator_options.common_name = "Operator Root";
    RootCa operator_root = create_root(operator_options, kFixtureInit);
    Certificate cross = cross_sign(operator_root.certificate, old_root.certificate, old_root.key);
    CHECK(cross.issuer() == "CN=swarm-ca");
    CHECK(cross.subject() == "CN=Operator Root");
    CHECK(cross.authority_key_id() == old_root.certificate.subject_key_id());
    CHECK(cross.extension_names() == std::vector<std::string>{"keyUsage", "basicConstraints",
                                                              "subjectKeyIdentifier",
                                                              "authorityKeyIdentifier"});

    NodeCertificateIssuer issuer(old_root.certificate, old_root.key, kDefaultNodeCertExpiry);
    PrivateKey key = KeyGenerator().generate();
    Certificate leaf = issuer.issue({"n1", NodeRole::worker, "c1"}, key.get0(), kFixtureInit);
    try {
        cross_sign(leaf, old_root.certificate, old_root.key);
        FAIL("a leaf was cross-signed");
    } catch (const Error& e) {
        CHECK(e.problem() == "unable to generate a cross-signed certificate for root rotation");
    }
}

TEST_CASE("CA and node directories: modes, key formats, refusal to overwrite", "[ca]") {
    TempDir tmp;
    RootCa root = create_root({}, kFixtureInit);
    write_ca_directory((tmp / "ca").string(), root, Overwrite::no);
    CHECK(file_facts((tmp / "ca" / "swarm-root-ca.crt").string()).mode == 0644);
    CHECK(file_facts((tmp / "ca" / "swarm-root-ca.key").string()).mode == 0600);
    CHECK(
        read_text(tmp / "ca" / "swarm-root-ca.key").rfind("-----BEGIN EC PRIVATE KEY-----\n", 0) ==
        0);
    CHECK_THROWS_AS(write_ca_directory((tmp / "ca").string(), root, Overwrite::no), Error);

    CaDirectory loaded = load_ca_directory((tmp / "ca").string());
    CHECK(loaded.root.same_public_key(root.certificate));
    CHECK(loaded.root_pem == read_text(tmp / "ca" / "swarm-root-ca.crt"));
    CHECK_FALSE(loaded.cross_signed);

    PrivateKey key = KeyGenerator().generate();
    NodeFiles files{loaded.root_pem, "leaf", encode_node_key(key)};
    CHECK(files.key_pem.rfind("-----BEGIN PRIVATE KEY-----\nkek-version: 0\n\n", 0) == 0);
    write_node_directory((tmp / "node").string(), files, Overwrite::no);
    CHECK(file_facts((tmp / "node" / "swarm-node.key").string()).mode == 0600);
    CHECK(file_facts((tmp / "node" / "swarm-node.crt").string()).mode == 0644);
    // A refusal writes nothing: remove one file, the others still block.
    std::filesystem::remove(tmp / "node" / "swarm-node.crt");
    CHECK_THROWS_AS(write_node_directory((tmp / "node").string(), files, Overwrite::no), Error);
    CHECK_FALSE(std::filesystem::exists(tmp / "node" / "swarm-node.crt"));
}

TEST_CASE("load_ca_directory refuses a key from another root", "[ca]") {
    TempDir tmp;
    RootCa a = create_root({}, kFixtureInit);
    RootCa b = create_root({}, kFixtureInit);
    write_ca_directory((tmp / "ca").string(), a, Overwrite::no);
    write_file_atomically((tmp / "ca" / "swarm-root-ca.key").string(), encode_sec1_pem(b.key), 0600,
                          Overwrite::yes);
    try {
        load_ca_directory((tmp / "ca").string());
        FAIL("a mismatched key was accepted");
    } catch (const Error& e) {
        CHECK(e.problem() == "certificate key mismatch");
        CHECK(e.subject() == (tmp / "ca" / "swarm-root-ca.key").string());
    }
}

TEST_CASE("CertificateSigner::sign_to_der gives i2d_X509's bytes, and the signature verifies",
          "[ca]") {
    for (CaKeyType type : {CaKeyType::ecdsa_p256, CaKeyType::ecdsa_p384, CaKeyType::rsa_2048}) {
        INFO(to_string(type));
        RootCa root = create_root(RootOptions{type, kDefaultRootCommonName, kRootLifetime},
                                  kFixtureInit);
        NodeCertificateIssuer issuer(root.certificate, root.key, kDefaultNodeCertExpiry);
        CertificateSigner signer = issuer.make_signer();
        NodeCertificateIssuer::Builder builder(issuer);
        KeyGenerator keys;
        // Several leaves through one signer and one builder: both must be reusable.
        for (int i = 0; i < 40; ++i) {
            PrivateKey key = keys.generate();
            X509* built = builder.build({"node" + std::to_string(i), NodeRole::manager, "c1"},
                                        key.get0(), kFixtureInit);
            Bytes signed_der = signer.sign_to_der(built);
            unsigned char* encoded = nullptr;
            int length = i2d_X509(built, &encoded);
            REQUIRE(length > 0);
            Bytes reference(encoded, encoded + length);
            OPENSSL_free(encoded);
            CHECK(signed_der == reference);
            Certificate parsed = Certificate::from_der(signed_der, "the leaf");
            CHECK(parsed.signature_verified_by(root.certificate));
            CHECK(X509_verify(parsed.get0(), X509_get0_pubkey(root.certificate.get0())) == 1);
            CHECK(
                parsed.signature_algorithm() ==
                create_root(RootOptions{type, kDefaultRootCommonName, kRootLifetime}, kFixtureInit)
                    .certificate.signature_algorithm());
            if (i == 0) {
                // sign() alone leaves the certificate as X509_sign would: it encodes to the same
                // structure and verifies.
                ossl::UniquePtr<X509> again = issuer.issue({"n", NodeRole::worker, "c1"},
                                                           key.get0(), kFixtureInit, signer);
                unsigned char* der = nullptr;
                int n = i2d_X509(again.get(), &der);
                REQUIRE(n > 0);
                Bytes bytes(der, der + n);
                OPENSSL_free(der);
                CHECK(Certificate::from_der(bytes, "re-signed")
                          .signature_verified_by(root.certificate));
            }
        }
    }
}

namespace {

// Fails StagedDirectory's `which`-th file write (1-based) for as long as it lives.
struct FailingWrite {
    explicit FailingWrite(int which) {
        file_detail::before_staged_write = [which, calls = 0](const std::string& relative) mutable {
            if (++calls == which) throw Error(relative, "injected write failure");
        };
    }
    ~FailingWrite() { file_detail::before_staged_write = nullptr; }
};

std::vector<std::string> entries_of(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("ca init --force that fails on the second file leaves the old certificate and key",
          "[ca]") {
    TempDir tmp;
    RootCa old_root = create_root({}, kFixtureInit);
    write_ca_directory((tmp / "ca").string(), old_root, Overwrite::no);
    std::string old_cert = read_text(tmp / "ca" / "swarm-root-ca.crt");
    std::string old_key = read_text(tmp / "ca" / "swarm-root-ca.key");
    RootCa new_root = create_root({}, kFixtureInit);
    {
        FailingWrite second(2);
        CHECK_THROWS_WITH(write_ca_directory((tmp / "ca").string(), new_root, Overwrite::yes),
                          "swarm-root-ca.key: injected write failure");
    }
    CHECK(read_text(tmp / "ca" / "swarm-root-ca.crt") == old_cert);
    CHECK(read_text(tmp / "ca" / "swarm-root-ca.key") == old_key);
    CHECK(load_ca_directory((tmp / "ca").string()).root.same_public_key(old_root.certificate));
    CHECK(entries_of(tmp.path()) == std::vector<std::string>{"ca"});  // no staging directory
    // Without the failure the new pair replaces the old one, both files.
    write_ca_directory((tmp / "ca").string(), new_root, Overwrite::yes);
    CHECK(load_ca_directory((tmp / "ca").string()).root.same_public_key(new_root.certificate));
    CHECK(entries_of(tmp.path()) == std::vector<std::string>{"ca"});
}

TEST_CASE("a node directory that fails on any file keeps the old three", "[ca]") {
    TempDir tmp;
    RootCa root = create_root({}, kFixtureInit);
    NodeFiles old_files{root.certificate.to_pem(), "old leaf", "old key"};
    write_node_directory((tmp / "node").string(), old_files, Overwrite::no);
    for (int which : {1, 2, 3}) {
        INFO("failing write " << which);
        FailingWrite failing(which);
        CHECK_THROWS(write_node_directory((tmp / "node").string(),
                                          {"new root", "new leaf", "new key"}, Overwrite::yes));
        CHECK(read_text(tmp / "node" / "swarm-root-ca.crt") == old_files.root_pem);
        CHECK(read_text(tmp / "node" / "swarm-node.crt") == "old leaf");
        CHECK(read_text(tmp / "node" / "swarm-node.key") == "old key");
        CHECK(entries_of(tmp.path()) == std::vector<std::string>{"node"});
    }
}

TEST_CASE("load_ca_directory refuses a CA directory another user owns or may change", "[ca]") {
    TempDir tmp;
    write_ca_directory((tmp / "ca").string(), create_root({}, kFixtureInit), Overwrite::no);
    std::string ca = (tmp / "ca").string();
    REQUIRE(::chmod(ca.c_str(), 0775) == 0);
    CHECK_THROWS_WITH(load_ca_directory(ca),
                      ca +
                          ": has mode 0775: other users can replace the files in it (`chmod go-w " +
                          ca + "`, or use a directory only you can write)");
    REQUIRE(::chmod(ca.c_str(), 0755) == 0);
    CHECK_NOTHROW(load_ca_directory(ca));
    if (::chown(ca.c_str(), 65534, 65534) != 0) {
        WARN("cannot chown to 65534 (not root): skipped");
        return;
    }
    CHECK_THROWS_WITH(load_ca_directory(ca), Catch::StartsWith(ca + ": is owned by "));
}
