#include "ossl.hpp"
#include "support.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/chain.hpp"

#include <catch2/catch.hpp>
#include <openssl/x509_vfy.h>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;

namespace {
struct NodeCerts {
    std::vector<Certificate> node;
    std::vector<Certificate> roots;
};
NodeCerts load(const std::string& scenario, const std::string& node) {
    auto dir = *fixtures_dir() / scenario / "certificates" / node;
    return {load_certificate_file((dir / "swarm-node.crt").string()),
            load_certificate_file((dir / "swarm-root-ca.crt").string())};
}
Instant captured(const std::string& scenario) {
    return *parse_rfc3339(swarmpki::test::fixture_captured_at(scenario));
}

// What `openssl verify -CAfile root -untrusted cross leaf` does.
int openssl_default_verify(const NodeCerts& c, Instant at) {
    ossl::UniquePtr<X509_STORE> store(X509_STORE_new());
    for (auto& r : c.roots) X509_STORE_add_cert(store.get(), r.get0());
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    for (std::size_t i = 1; i < c.node.size(); ++i) sk_X509_push(untrusted, c.node[i].get0());
    ossl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), c.node[0].get0(), untrusted);
    X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(unix_seconds(at)));
    X509_verify_cert(ctx.get());
    int error = X509_STORE_CTX_get_error(ctx.get());
    sk_X509_free(untrusted);
    ossl::drain_errors();
    return error;
}
}  // namespace

TEST_CASE("verify_chain accepts the engine's mid-rotation chain that OpenSSL refuses",
          "[chain][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto certs = load("rotation-in-progress", "manager1");
    Instant at = captured("rotation-in-progress");
    REQUIRE(certs.node.size() == 2);
    // The trap: the cross-signed intermediate looks self-issued.
    CHECK(certs.node[1].subject_equals_issuer());
    CHECK_FALSE(certs.node[1].authority_key_id());
    CHECK(openssl_default_verify(certs, at) == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);

    auto result = verify_chain(certs.node[0], std::span(certs.node).subspan(1), certs.roots, at);
    CHECK(result.verified);
    CHECK(result.intermediates_used == std::vector<std::size_t>{0});
    CHECK(result.root_index == 0u);
}

TEST_CASE("verify_chain: after a completed rotation the leaf verifies straight to the new root",
          "[chain][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto certs = load("rotation-complete", "worker1");
    auto result = verify_chain(certs.node[0], std::span(certs.node).subspan(1), certs.roots,
                               captured("rotation-complete"));
    CHECK(result.verified);
    CHECK(result.intermediates_used.empty());
}

TEST_CASE("verify_chain refuses another swarm's root, an expired leaf and a future leaf",
          "[chain][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto old_node = load("init-manager", "manager1");
    auto new_node = load("external-root", "worker1");
    Instant at = captured("init-manager");
    auto foreign = verify_chain(old_node.node[0], {}, new_node.roots, at);
    CHECK_FALSE(foreign.verified);
    CHECK(foreign.failure_code == "unknown-authority");

    auto late = verify_chain(old_node.node[0], {}, old_node.roots,
                             old_node.node[0].not_after() + Seconds(1));
    CHECK(late.failure_code == "expired");
    auto early = verify_chain(old_node.node[0], {}, old_node.roots,
                              old_node.node[0].not_before() - Seconds(1));
    CHECK(early.failure_code == "not-yet-valid");
}

TEST_CASE("Certificate reads the engine's node profile", "[certificate][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    auto certs = load("rotation-in-progress", "manager1");
    const Certificate& leaf = certs.node[0];
    CHECK(leaf.subject() ==
          "CN=2i2jiz7b6wivuwtazt3d7zta8,OU=swarm-manager,O=45dwjg326020dkgqtum4kdw4o");
    CHECK(leaf.common_name() == "2i2jiz7b6wivuwtazt3d7zta8");
    CHECK(leaf.organizational_unit() == "swarm-manager");
    CHECK(leaf.dns_names() ==
          std::vector<std::string>{"swarm-manager", "2i2jiz7b6wivuwtazt3d7zta8", "swarm-ca"});
    CHECK(leaf.serial_hex() == "1b36064009a8f81c7dfcab0de65474e57dbacb6c");
    CHECK(format_rfc3339(leaf.not_before()) == "2026-11-28T21:55:00Z");
    CHECK(leaf.lifetime().count() == 7779600);
    CHECK(leaf.public_key_sha256() ==
          "fc304ff87c2e8f522f87cf374db64e94ee0cf9cabadb6b366eee325b9d885549");
    CHECK(leaf.key_type() == "ecdsa-p256");
    CHECK(leaf.extended_key_usage().server_auth);
    CHECK(leaf.extended_key_usage().client_auth);
    CHECK_FALSE(leaf.is_ca());
    CHECK(leaf.authority_key_id() == "b86b37024dea4cedcbbcf87ee26cbf51276a3789");
    const Certificate& root = certs.roots[0];
    CHECK(root.is_ca());
    CHECK(root.key_usage().cert_sign);
    CHECK(root.key_usage().critical);
    CHECK(root.basic_constraints_critical());
    CHECK(root.path_length() == -1);
}
