// The X.509 facts both certificate readers share (pki/crypto/x509_facts.hpp): the full reader
// (Certificate) and the expiry scan's fast reader (read_cert_facts) must give one answer, here
// pinned on certificates built with OpenSSL that the engine never writes (repeated extensions,
// negative serials) and on encodings of each extension that only OpenSSL's decoder reads.
#include "expiry_cert_facts.hpp"
#include "ossl.hpp"
#include "x509_facts.hpp"

#include "swarmpki/certificate.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>
#include <vector>

using namespace swarmpki;
using swarmpki::expiry_detail::read_cert_facts;

namespace {

struct Extension {
    int nid;
    const char* value;  // in openssl.cnf syntax: "critical,CA:TRUE", "01:02:03"
};

// A self-signed certificate carrying these extensions as given, repeats included (X509_add_ext
// appends without looking), with this serial.
Bytes certificate_with(const std::vector<Extension>& extensions, long serial = 0x1234) {
    ossl::UniquePtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
    REQUIRE(key);
    ossl::UniquePtr<X509> cert(X509_new());
    REQUIRE(cert);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    ossl::UniquePtr<X509_NAME> name(X509_NAME_new());
    REQUIRE(X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("repeat"), -1, -1,
                                       0) == 1);
    REQUIRE(X509_set_subject_name(cert.get(), name.get()) == 1);
    REQUIRE(X509_set_issuer_name(cert.get(), name.get()) == 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    REQUIRE(X509_set_pubkey(cert.get(), key.get()) == 1);
    for (const Extension& e : extensions) {
        ossl::UniquePtr<X509_EXTENSION> ext(
            X509V3_EXT_conf_nid(nullptr, nullptr, e.nid, const_cast<char*>(e.value)));
        REQUIRE(ext);
        REQUIRE(X509_add_ext(cert.get(), ext.get(), -1) == 1);
    }
    REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
    return ossl::to_der(i2d_X509, cert.get(), "encoding a test certificate");
}

}  // namespace

TEST_CASE("a repeated BasicConstraints is absent in both readers: not a CA",
          "[certificate][expiry]") {
    struct Case {
        const char* what;
        std::vector<Extension> extensions;
        bool is_ca;
    };
    const std::vector<Case> cases = {
        {"CA:TRUE once", {{NID_basic_constraints, "critical,CA:TRUE"}}, true},
        {"CA:FALSE once", {{NID_basic_constraints, "critical,CA:FALSE"}}, false},
        {"CA:TRUE twice",
         {{NID_basic_constraints, "critical,CA:TRUE"}, {NID_basic_constraints, "critical,CA:TRUE"}},
         false},
        {"CA:TRUE, then CA:FALSE",
         {{NID_basic_constraints, "critical,CA:TRUE"}, {NID_basic_constraints, "CA:FALSE"}},
         false},
        {"CA:FALSE, then CA:TRUE",
         {{NID_basic_constraints, "CA:FALSE"}, {NID_basic_constraints, "critical,CA:TRUE"}},
         false},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        Bytes der = certificate_with(c.extensions);
        Certificate full = Certificate::from_der(der, c.what);
        CHECK(full.is_ca() == c.is_ca);
        CHECK(full.has_basic_constraints() == (c.extensions.size() == 1));
        auto fast = read_cert_facts(der);
        REQUIRE(fast);
        CHECK(fast->is_ca == c.is_ca);
        // X509_check_ca, OpenSSL's own answer, agrees (0: not a CA).
        const unsigned char* p = der.data();
        ossl::UniquePtr<X509> x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
        REQUIRE(x509);
        CHECK((X509_check_ca(x509.get()) != 0) == c.is_ca);
    }
}

TEST_CASE("a repeated key identifier is absent in both readers", "[certificate][expiry]") {
    Bytes once = certificate_with({{NID_subject_key_identifier, "01:02:03"}});
    CHECK(Certificate::from_der(once, "once").subject_key_id() ==
          std::optional<std::string>("010203"));
    CHECK(read_cert_facts(once)->subject_key_id == std::optional<std::string>("010203"));

    Bytes twice = certificate_with(
        {{NID_subject_key_identifier, "01:02:03"}, {NID_subject_key_identifier, "04:05:06"}});
    CHECK_FALSE(Certificate::from_der(twice, "twice").subject_key_id());
    auto fast = read_cert_facts(twice);
    REQUIRE(fast);
    CHECK_FALSE(fast->subject_key_id);
}

TEST_CASE("a negative serial reads the same in both readers, as OpenSSL prints it",
          "[certificate][expiry]") {
    for (auto [serial, expected] : std::vector<std::pair<long, std::string>>{
             {0, "0"}, {10, "a"}, {0x80, "80"}, {0x1234, "1234"}, {-10, "-0a"}, {-0x80, "-80"}}) {
        INFO(serial);
        Bytes der = certificate_with({}, serial);
        CHECK(Certificate::from_der(der, "serial").serial_hex() == expected);
        auto fast = read_cert_facts(der);
        REQUIRE(fast);
        CHECK(fast->serial_hex == expected);
    }
}

TEST_CASE("BasicConstraints: the engine's two forms in place, every other through OpenSSL",
          "[certificate]") {
    using x509_facts::read_basic_constraints;
    auto read = [](std::vector<unsigned char> der) {
        return read_basic_constraints(der.data(), der.size());
    };
    auto leaf = read({0x30, 0x00});
    REQUIRE(leaf);
    CHECK_FALSE(leaf->ca);
    CHECK(leaf->path_length == -1);
    auto ca = read({0x30, 0x03, 0x01, 0x01, 0xff});
    REQUIRE(ca);
    CHECK(ca->ca);
    CHECK(ca->path_length == -1);
    auto with_path = read({0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x02});
    REQUIRE(with_path);
    CHECK(with_path->ca);
    CHECK(with_path->path_length == 2);
    auto ber_true = read({0x30, 0x03, 0x01, 0x01, 0x01});  // TRUE not as 0xff: OpenSSL reads it
    REQUIRE(ber_true);
    CHECK(ber_true->ca);
    auto explicit_false = read({0x30, 0x03, 0x01, 0x01, 0x00});
    REQUIRE(explicit_false);
    CHECK_FALSE(explicit_false->ca);
    CHECK_FALSE(read({0x04, 0x00}));        // not a SEQUENCE
    CHECK_FALSE(read({0x30, 0x03, 0x01}));  // truncated
    CHECK_FALSE(read({}));
}

TEST_CASE("key identifiers: the engine's forms in place, every other through OpenSSL",
          "[certificate]") {
    using x509_facts::read_authority_key_id;
    using x509_facts::read_subject_key_id;
    std::vector<unsigned char> ski = {0x04, 0x02, 0xab, 0xcd};
    CHECK(read_subject_key_id(ski.data(), ski.size()) == std::optional<std::string>("abcd"));
    std::vector<unsigned char> ski_long_form = {0x04, 0x81, 0x02, 0xab, 0xcd};
    CHECK(read_subject_key_id(ski_long_form.data(), ski_long_form.size()) ==
          std::optional<std::string>("abcd"));
    std::vector<unsigned char> not_octets = {0x02, 0x01, 0x05};
    CHECK_FALSE(read_subject_key_id(not_octets.data(), not_octets.size()));

    std::vector<unsigned char> aki = {0x30, 0x04, 0x80, 0x02, 0x01, 0x02};
    CHECK(read_authority_key_id(aki.data(), aki.size()) == std::optional<std::string>("0102"));
    // keyIdentifier with authorityCertSerialNumber [2] after it: OpenSSL's decoder reads it.
    std::vector<unsigned char> aki_serial = {0x30, 0x07, 0x80, 0x02, 0x01, 0x02, 0x82, 0x01, 0x07};
    CHECK(read_authority_key_id(aki_serial.data(), aki_serial.size()) ==
          std::optional<std::string>("0102"));
    std::vector<unsigned char> aki_no_keyid = {0x30, 0x03, 0x82, 0x01, 0x07};
    CHECK_FALSE(read_authority_key_id(aki_no_keyid.data(), aki_no_keyid.size()));
    std::vector<unsigned char> aki_garbage = {0x30, 0x03, 0x85, 0x01, 0x07};
    CHECK_FALSE(read_authority_key_id(aki_garbage.data(), aki_garbage.size()));
}

TEST_CASE("serial_hex refuses the INTEGERs OpenSSL's decoder refuses", "[certificate]") {
    auto serial = [](std::vector<unsigned char> der) {
        const unsigned char* p = der.data();
        auto tlv = x509_facts::next_tlv(p, der.data() + der.size());
        REQUIRE(tlv);
        auto ours = x509_facts::serial_hex(*tlv);
        p = der.data();
        ossl::UniquePtr<ASN1_INTEGER> openssl(
            d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(der.size())));
        ossl::drain_errors();
        CHECK(ours.has_value() == (openssl != nullptr));
        if (ours && openssl) CHECK(*ours == x509_facts::serial_hex(openssl.get()));
        return ours;
    };
    CHECK(serial({0x02, 0x02, 0x00, 0x80}) == std::optional<std::string>("80"));
    CHECK(serial({0x02, 0x01, 0x00}) == std::optional<std::string>("0"));
    CHECK(serial({0x02, 0x02, 0xff, 0x7f}) == std::optional<std::string>("-81"));
    CHECK_FALSE(serial({0x02, 0x00}));              // no contents
    CHECK_FALSE(serial({0x02, 0x02, 0x00, 0x05}));  // a zero byte too many
    CHECK_FALSE(serial({0x02, 0x02, 0xff, 0x85}));  // a 0xff byte too many
}
