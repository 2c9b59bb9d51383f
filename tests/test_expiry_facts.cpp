// The expiry scan's fast certificate reader (read_cert_facts and its plain-name path) against the
// Certificate class, on every certificate in the real-engine fixtures, on `ca`-issued ones and on
// hostile names built with OpenSSL: the facts must be the same, byte for byte.
#include "expiry_cert_facts.hpp"
#include "ossl.hpp"
#include "support.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/pem.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>

using namespace swarmpki;
using swarmpki::expiry_detail::CertFacts;
using swarmpki::expiry_detail::read_cert_facts;
using swarmpki::expiry_detail::read_plain_name;
using swarmpki::test::fixtures_dir;
namespace fs = std::filesystem;

namespace {

void check_same_facts(const Bytes& der, const std::string& what) {
    INFO(what);
    Certificate cert = Certificate::from_der(der, what);
    CertFacts expected = expiry_detail::facts_of(cert);
    expiry_detail::FactsScratch scratch;
    for (int pass = 0; pass < 3; ++pass) {  // later passes read the issuer from the cache
        auto facts = pass == 0 ? read_cert_facts(der) : read_cert_facts(der, &scratch);
        REQUIRE(facts);
        CHECK(facts->subject == expected.subject);
        CHECK(facts->issuer == expected.issuer);
        CHECK(facts->cn == expected.cn);
        CHECK(facts->ou == expected.ou);
        CHECK(facts->o == expected.o);
        CHECK(facts->issuer_cn == expected.issuer_cn);
        CHECK(facts->serial_hex == expected.serial_hex);
        CHECK(facts->spki_sha256 == expected.spki_sha256);
        CHECK(facts->not_before == expected.not_before);
        CHECK(facts->not_after == expected.not_after);
        CHECK(facts->is_ca == expected.is_ca);
        CHECK(facts->subject_key_id == expected.subject_key_id);
        CHECK(facts->authority_key_id == expected.authority_key_id);
    }
}

// The subject Name's DER of a certificate.
Bytes subject_der(const Certificate& cert) {
    Bytes out = ossl::to_der(i2d_X509_NAME, X509_get_subject_name(cert.get0()),
                             "encoding a test name");
    return out;
}

struct Attribute {
    const char* field;  // short name or dotted OID
    int type;           // MBSTRING_ASC, MBSTRING_UTF8, V_ASN1_xxx
    std::string value;
    int set = 0;  // 0: a new RDN; -1: joins the previous one (multi-valued)
};

// A self-signed, non-CA certificate with exactly this subject (as given, in this order).
Bytes certificate_with_subject(const std::vector<Attribute>& subject, EVP_PKEY* key) {
    ossl::UniquePtr<X509> cert(X509_new());
    REQUIRE(cert);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 0x1234);
    ossl::UniquePtr<X509_NAME> name(X509_NAME_new());
    for (const Attribute& a : subject) {
        ossl::UniquePtr<ASN1_OBJECT> object(OBJ_txt2obj(a.field, 0));
        REQUIRE(object);
        REQUIRE(X509_NAME_add_entry_by_OBJ(name.get(), object.get(), a.type,
                                           reinterpret_cast<const unsigned char*>(a.value.data()),
                                           static_cast<int>(a.value.size()), -1, a.set) == 1);
    }
    REQUIRE(X509_set_subject_name(cert.get(), name.get()) == 1);
    REQUIRE(X509_set_issuer_name(cert.get(), name.get()) == 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    REQUIRE(X509_set_pubkey(cert.get(), key) == 1);
    REQUIRE(X509_sign(cert.get(), key, EVP_sha256()) > 0);
    Bytes out = ossl::to_der(i2d_X509, cert.get(), "encoding a test certificate");
    return out;
}

}  // namespace

TEST_CASE("fast facts equal Certificate's for every fixture certificate", "[expiry][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    std::size_t certificates = 0, plain_subjects = 0;
    for (const auto& entry : fs::recursive_directory_iterator(*fixtures_dir())) {
        std::string ext = entry.path().extension().string();
        if (!entry.is_regular_file() || (ext != ".crt" && ext != ".pem")) continue;
        PemBundle bundle = parse_pem_or_throw(test::read_text(entry.path()), entry.path().string());
        for (const PemBlock& block : bundle.blocks) {
            if (block.type != "CERTIFICATE") continue;
            check_same_facts(block.der, entry.path().string());
            ++certificates;
            Certificate cert = Certificate::from_der(block.der, entry.path().string());
            Bytes name = subject_der(cert);
            if (auto plain = read_plain_name(name.data(), name.size())) {
                ++plain_subjects;
                CHECK(plain->rfc2253 == cert.subject());
            }
        }
    }
    CHECK(certificates >= 40);
    // Every engine-written subject takes the fast path (they are plain ASCII O, OU, CN).
    CHECK(plain_subjects == certificates);
}

TEST_CASE("fast facts equal Certificate's for ca-issued certificates", "[expiry][cli]") {
    test::TempDir tmp;
    for (const char* key_type : {"ecdsa-p256", "rsa-2048"}) {
        std::string ca = (tmp / (std::string("ca-") + key_type)).string();
        auto init = test::run_swarmpki({"ca", "init", "--out", ca, "--key-type", key_type});
        REQUIRE(init.exit_code == 0);
        for (const char* role : {"manager", "worker"}) {
            std::string out = ca + "-" + role;
            auto issue = test::run_swarmpki(
                {"ca", "issue", "--ca", ca, "--node-id", "abcdefghijklmnopqrstuvwxy", "--role",
                 role, "--cluster-id", "benchclusterid0000000000a", "--out", out});
            REQUIRE(issue.exit_code == 0);
            for (const char* file : {"swarm-node.crt", "swarm-root-ca.crt"}) {
                std::string path = out + "/" + file;
                for (const Certificate& cert : load_certificate_file(path)) {
                    check_same_facts(cert.der(), path);
                    Bytes name = subject_der(cert);
                    auto plain = read_plain_name(name.data(), name.size());
                    REQUIRE(plain);
                    CHECK(plain->rfc2253 == cert.subject());
                }
            }
            auto leaf = load_certificate_file(out + "/swarm-node.crt").at(0);
            CHECK(leaf.common_name() == "abcdefghijklmnopqrstuvwxy");
            CHECK(leaf.organization() == "benchclusterid0000000000a");
        }
    }
}

TEST_CASE("hostile subject names: the fast path steps aside and the facts still agree",
          "[expiry]") {
    ossl::UniquePtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
    REQUIRE(key);
    struct Case {
        const char* what;
        std::vector<Attribute> subject;
        bool plain;  // whether the fast path may take it
    };
    const std::vector<Case> cases = {
        {"plain swarm leaf",
         {{"O", MBSTRING_ASC, "cluster"},
          {"OU", MBSTRING_ASC, "swarm-worker"},
          {"CN", MBSTRING_ASC, "node"}},
         true},
        {"every plain type, '=' and '#' inside a value",
         {{"C", MBSTRING_ASC, "DE"},
          {"ST", MBSTRING_ASC, "Berlin"},
          {"L", MBSTRING_ASC, "x=y"},
          {"DC", V_ASN1_IA5STRING, "example"},
          {"emailAddress", V_ASN1_IA5STRING, "a@b.c"},
          {"serialNumber", V_ASN1_PRINTABLESTRING, "42"},
          {"CN", MBSTRING_UTF8, "a#b"}},
         true},
        {"empty value", {{"CN", V_ASN1_UTF8STRING, ""}, {"O", MBSTRING_ASC, "o"}}, true},
        {"multi-valued RDN",
         {{"O", MBSTRING_ASC, "c1"},
          {"OU", MBSTRING_ASC, "swarm-worker"},
          {"CN", MBSTRING_ASC, "multi", -1},
          {"CN", MBSTRING_ASC, "second"}},
         true},
        {"comma", {{"O", MBSTRING_ASC, "a,b"}, {"CN", MBSTRING_ASC, "n"}}, false},
        {"plus", {{"CN", MBSTRING_ASC, "a+b"}}, false},
        {"quotes and angle brackets", {{"CN", MBSTRING_ASC, "\"x\" <y>"}}, false},
        {"semicolon and backslash", {{"CN", MBSTRING_ASC, "a;b\\c"}}, false},
        {"leading '#'", {{"CN", MBSTRING_ASC, "#node"}}, false},
        {"leading space", {{"CN", MBSTRING_ASC, " lead"}}, false},
        {"trailing space", {{"CN", MBSTRING_ASC, "trail "}}, false},
        {"control character", {{"CN", MBSTRING_ASC, "a\tb"}}, false},
        {"non-ASCII UTF8String",
         {{"O", MBSTRING_UTF8, "cl\xc3\xbcster"},
          {"CN", MBSTRING_UTF8,
           "n\xc3\xb6"
           "de"}},
         false},
        {"BMPString", {{"CN", V_ASN1_BMPSTRING, std::string("\0n\0o", 4)}}, false},
        {"T61String", {{"CN", V_ASN1_T61STRING, "t61"}}, false},
        {"unknown attribute type",
         {{"1.2.3.4.5", MBSTRING_ASC, "value"}, {"CN", MBSTRING_ASC, "n"}},
         false},
        {"a type printed by its long name", {{"title", MBSTRING_ASC, "boss"}}, false},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        Bytes der = certificate_with_subject(c.subject, key.get());
        check_same_facts(der, c.what);
        Certificate cert = Certificate::from_der(der, c.what);
        Bytes name = subject_der(cert);
        auto plain = read_plain_name(name.data(), name.size());
        CHECK(plain.has_value() == c.plain);
        if (plain) {
            CHECK(plain->rfc2253 == cert.subject());
            CHECK(plain->cn == cert.common_name());
            CHECK(plain->ou == cert.organizational_unit());
            CHECK(plain->o == cert.organization());
        }
    }
}

TEST_CASE("the plain-name reader refuses malformed DER instead of guessing", "[expiry]") {
    // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "ab" } } }
    Bytes good = {0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03,
                  0x55, 0x04, 0x03, 0x0c, 0x02, 0x61, 0x62};
    auto plain = read_plain_name(good.data(), good.size());
    REQUIRE(plain);
    CHECK(plain->rfc2253 == "CN=ab");
    CHECK(plain->cn == "ab");

    Bytes truncated(good.begin(), good.end() - 1);
    CHECK_FALSE(read_plain_name(truncated.data(), truncated.size()));
    Bytes trailing = good;
    trailing.push_back(0);
    CHECK_FALSE(read_plain_name(trailing.data(), trailing.size()));
    Bytes empty_set = {0x30, 0x02, 0x31, 0x00};
    CHECK_FALSE(read_plain_name(empty_set.data(), empty_set.size()));
    Bytes extra_field = {0x30, 0x10, 0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55,
                         0x04, 0x03, 0x0c, 0x02, 0x61, 0x62, 0x05, 0x01, 0x00};
    CHECK_FALSE(read_plain_name(extra_field.data(), extra_field.size()));
    Bytes constructed_value = good;
    constructed_value[11] = 0x2c;  // UTF8String with the constructed bit
    CHECK_FALSE(read_plain_name(constructed_value.data(), constructed_value.size()));
    Bytes set_not_sequence = good;
    set_not_sequence[0] = 0x31;
    CHECK_FALSE(read_plain_name(set_not_sequence.data(), set_not_sequence.size()));
    Bytes no_name = {0x30, 0x00};
    auto empty = read_plain_name(no_name.data(), no_name.size());
    REQUIRE(empty);
    CHECK(empty->rfc2253.empty());
}

TEST_CASE("next_tlv refuses an indefinite length, which is BER, not DER", "[expiry]") {
    // SEQUENCE { INTEGER 5 }, definite and indefinite (30 80 ... 00 00).
    Bytes definite = {0x30, 0x03, 0x02, 0x01, 0x05};
    const unsigned char* p = definite.data();
    auto tlv = expiry_detail::next_tlv(p, definite.data() + definite.size());
    REQUIRE(tlv);
    CHECK(tlv->length == 3);
    CHECK(p == definite.data() + definite.size());

    // ASN1_get_object reports an indefinite length as length 0: taken as DER, the SEQUENCE
    // would look empty and its content would be read as the next element.
    Bytes indefinite = {0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00};
    p = indefinite.data();
    CHECK_FALSE(expiry_detail::next_tlv(p, indefinite.data() + indefinite.size()));
    CHECK(p == indefinite.data());  // the cursor stays put
}
