// Certificate parsing errors and the signature checks certificate.cpp shares with the rotation
// simulator's leaf check (certificate_internal.hpp).
#include "support.hpp"

#include "certificate_internal.hpp"
#include "rotation_internal.hpp"
#include "swarmpki/ca.hpp"
#include "swarmpki/error.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>

using namespace swarmpki;

namespace {

const Instant kNow = *parse_rfc3339("2026-11-28T22:54:07Z");

Bytes der_of(X509* certificate) {
    Bytes bytes = ossl::to_der(i2d_X509, certificate, "encoding a test certificate");
    return bytes;
}

// A leaf whose TBS names `inner_nid` as its signature algorithm and whose outer field names
// ECDSA with SHA-256, signed with ECDSA and SHA-256 by `signer`: the signature itself is good,
// only the two algorithm fields may disagree.
Bytes leaf_signed_with_inner(X509* leaf, int inner_nid, EVP_PKEY* signer) {
    const ASN1_BIT_STRING* signature = nullptr;
    const X509_ALGOR* outer = nullptr;
    X509_get0_signature(&signature, &outer, leaf);
    REQUIRE(X509_ALGOR_set0(const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(leaf)),
                            OBJ_nid2obj(inner_nid), V_ASN1_UNDEF, nullptr) == 1);
    REQUIRE(X509_ALGOR_set0(const_cast<X509_ALGOR*>(outer), OBJ_nid2obj(NID_ecdsa_with_SHA256),
                            V_ASN1_UNDEF, nullptr) == 1);
    unsigned char* tbs = nullptr;
    int tbs_length = i2d_re_X509_tbs(leaf, &tbs);
    REQUIRE(tbs_length > 0);
    ossl::UniquePtr<EVP_MD_CTX> context(EVP_MD_CTX_new());
    REQUIRE(EVP_DigestSignInit_ex(context.get(), nullptr, "SHA256", nullptr, nullptr, signer,
                                  nullptr) == 1);
    std::size_t length = 0;
    REQUIRE(EVP_DigestSign(context.get(), nullptr, &length, tbs,
                           static_cast<std::size_t>(tbs_length)) == 1);
    Bytes bytes(length);
    REQUIRE(EVP_DigestSign(context.get(), bytes.data(), &length, tbs,
                           static_cast<std::size_t>(tbs_length)) == 1);
    OPENSSL_free(tbs);
    auto* bits = const_cast<ASN1_BIT_STRING*>(signature);
    REQUIRE(ASN1_BIT_STRING_set(bits, bytes.data(), static_cast<int>(length)) == 1);
    bits->flags = (bits->flags & ~0x07L) | ASN1_STRING_FLAG_BITS_LEFT;
    return der_of(leaf);
}

}  // namespace

TEST_CASE("Certificate::from_der: a time OpenSSL cannot read is an error naming the subject",
          "[certificate]") {
    RootCa root = create_root({}, kNow);
    Bytes der = root.certificate.der();
    // NotBefore, the first UTCTime (tag 0x17, 13 characters YYMMDDHHMMSSZ): month 13.
    Bytes utc_time_header{0x17, 0x0d};
    auto at = std::search(der.begin(), der.end(), utc_time_header.begin(), utc_time_header.end());
    REQUIRE(at != der.end());
    at[4] = '1';
    at[5] = '3';
    try {
        Certificate::from_der(der, "the root file");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.subject() == "the root file");
        CHECK_THAT(e.problem(), Catch::Matchers::Contains("reading a certificate time"));
        CHECK(e.reason() == ReadFailure::bad_pem);
        std::string line = e.what();
        CHECK(line.rfind("the root file: ", 0) == 0);
        CHECK(line.find('\n') == std::string::npos);
    }
}

TEST_CASE("signature checks refuse a certificate whose two algorithm fields disagree",
          "[certificate][rotation]") {
    RootCa root = create_root({}, kNow);
    NodeCertificateIssuer issuer(root.certificate, root.key, kDefaultNodeCertExpiry);
    NodeCertificateIssuer::Builder builder(issuer);
    PrivateKey key = KeyGenerator().generate();
    X509* leaf = builder.build({"n1", NodeRole::worker, "c1"}, key.get0(), kNow);
    rotation_detail::LeafSignatureCheck check(root.certificate);

    Bytes agreeing = leaf_signed_with_inner(leaf, NID_ecdsa_with_SHA256, root.key.get0());
    CHECK(check.refusal(agreeing).empty());
    CHECK(Certificate::from_der(agreeing, "leaf").signature_verified_by(root.certificate));

    // The signature verifies under the outer algorithm, but the signed part names another one;
    // X509_verify refuses that, and so must both our checks.
    Bytes disagreeing = leaf_signed_with_inner(leaf, NID_ecdsa_with_SHA384, root.key.get0());
    Certificate parsed = Certificate::from_der(disagreeing, "leaf");
    CHECK(X509_verify(parsed.get0(), root.certificate.public_key()) != 1);
    ossl::drain_errors();
    CHECK_FALSE(parsed.signature_verified_by(root.certificate));
    CHECK(check.refusal(disagreeing) ==
          "the signature algorithm differs from the one named inside the signed part");
    CHECK(check.refusal(agreeing).empty());
}

TEST_CASE("read_signed_parts: the TBS bytes as signed and both algorithm fields", "[certificate]") {
    RootCa root = create_root(
        RootOptions{CaKeyType::rsa_2048, kDefaultRootCommonName, kRootLifetime}, kNow);
    Bytes der = root.certificate.der();
    std::optional<cert_detail::SignedParts> parts = cert_detail::read_signed_parts(der);
    REQUIRE(parts);
    X509* x509 = root.certificate.get0();
    CHECK(Bytes(parts->view.tbs, parts->view.tbs + parts->view.tbs_length) ==
          ossl::to_der(i2d_re_X509_tbs, x509, "encoding a test TBS"));
    CHECK(X509_ALGOR_cmp(parts->view.inner_algorithm, X509_get0_tbs_sigalg(x509)) == 0);
    CHECK(X509_ALGOR_cmp(parts->view.algorithm, X509_get0_tbs_sigalg(x509)) == 0);
    CHECK(OBJ_obj2nid(parts->view.algorithm->algorithm) == NID_sha256WithRSAEncryption);

    Bytes truncated(der.begin(), der.end() - 1);
    CHECK_FALSE(cert_detail::read_signed_parts(truncated));
    Bytes trailing = der;
    trailing.push_back(0);
    CHECK_FALSE(cert_detail::read_signed_parts(trailing));
    CHECK_FALSE(cert_detail::read_signed_parts(Bytes{}));
    CHECK(ossl::drain_errors().empty());
}

TEST_CASE("a certificate's EC public key keeps a compressed point's form", "[certificate]") {
    RootCa root = create_root({}, kNow);
    NodeCertificateIssuer issuer(root.certificate, root.key, kDefaultNodeCertExpiry);
    ossl::UniquePtr<EVP_PKEY> node_key(EVP_EC_gen("P-256"));
    REQUIRE(EVP_PKEY_set_utf8_string_param(node_key.get(), "point-format", "compressed") == 1);
    // X509_set_pubkey writes the point in the key's form (set_certificate_public_key, like Go,
    // always writes it uncompressed).
    NodeCertificateIssuer::Builder builder(issuer);
    X509* built = builder.build({"n1", NodeRole::worker, "c1"}, node_key.get(), kNow);
    REQUIRE(X509_set_pubkey(built, node_key.get()) == 1);
    CertificateSigner signer = issuer.make_signer();
    Certificate leaf = Certificate::from_der(signer.sign_to_der(built), "leaf");
    REQUIRE(leaf.spki_der().size() == 59);
    CHECK(leaf.key_type() == "ecdsa-p256");
    CHECK(ossl::to_der(i2d_PUBKEY, leaf.public_key(), "encoding a test key") == leaf.spki_der());
    CHECK(leaf.signature_verified_by(root.certificate));
}

TEST_CASE("name_from_der renders an issuer subject as certificates render names", "[certificate]") {
    // The engine's default root's subject, as TLSInfo.CertIssuerSubject carries it.
    auto der = base64_decode("MBMxETAPBgNVBAMTCHN3YXJtLWNh");
    REQUIRE(der);
    CHECK(name_from_der(*der) == std::optional<std::string>("CN=swarm-ca"));
    Bytes trailing = *der;
    trailing.push_back(0);
    CHECK_FALSE(name_from_der(trailing));
    CHECK_FALSE(name_from_der(Bytes{}));
    CHECK_FALSE(name_from_der(Bytes{0x30, 0x05, 0x01}));
    Bytes truncated(der->begin(), der->end() - 1);
    CHECK_FALSE(name_from_der(truncated));
}
