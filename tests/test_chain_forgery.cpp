// Chains the engine's Go verifier refuses, forged in the test from the fixtures' own keys, and
// refused everywhere swarmpki decides trust: verify_chain, inspect, verify, the rotation
// simulator's mutual-TLS checks and serve's client verification (a real TLS handshake on
// loopback). And the work bounds: chain building checks each (certificate, issuer key) signature
// at most once, refuses keys too large to verify before verifying anything, and caps the
// certificates a chain file may hold. Counts, never timings.
#include "rotation_internal.hpp"
#include "support.hpp"
#include "swarmpki/ca.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/chain.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/peer_verify.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/serve.hpp"
#include "test_serve_support.hpp"

#include <catch2/catch.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

using namespace swarmpki;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

Instant captured_at(const std::string& scenario) {
    return *parse_rfc3339(test::fixture_captured_at(scenario));
}

// ---- building certificates ---------------------------------------------------------------------

PrivateKey p256() { return KeyGenerator(CaKeyType::ecdsa_p256).generate(); }

struct Spec {
    std::string subject_cn;
    std::string subject_ou;             // empty: none
    const X509_NAME* issuer = nullptr;  // nullptr: self-issued
    EVP_PKEY* public_key = nullptr;
    EVP_PKEY* signing_key = nullptr;
    // The extensions as OpenSSL's config syntax writes them; empty: the extension is absent.
    std::string basic_constraints = "critical,CA:TRUE";
    std::string key_usage = "critical,keyCertSign,cRLSign";
    std::string extended_key_usage;
    Instant not_before, not_after;
    // Key identifiers as raw bytes; empty: the extension is absent.
    std::string subject_key_id = {};
    std::string authority_key_id = {};
};

void add_key_ids(X509* cert, const Spec& spec) {
    auto octets = [](const std::string& bytes) {
        ossl::UniquePtr<ASN1_OCTET_STRING> os(ASN1_OCTET_STRING_new());
        REQUIRE(ASN1_OCTET_STRING_set(os.get(),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size())) == 1);
        return os;
    };
    if (!spec.subject_key_id.empty())
        REQUIRE(X509_add1_ext_i2d(cert, NID_subject_key_identifier,
                                  octets(spec.subject_key_id).get(), 0, X509V3_ADD_DEFAULT) == 1);
    if (!spec.authority_key_id.empty()) {
        ossl::UniquePtr<AUTHORITY_KEYID> akid(AUTHORITY_KEYID_new());
        akid->keyid = octets(spec.authority_key_id).release();
        REQUIRE(X509_add1_ext_i2d(cert, NID_authority_key_identifier, akid.get(), 0,
                                  X509V3_ADD_DEFAULT) == 1);
    }
}

void add_extension(X509* cert, int nid, const std::string& value) {
    if (value.empty()) return;
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    ossl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    REQUIRE(ext);
    REQUIRE(X509_add_ext(cert, ext.get(), -1) == 1);
}

Certificate make_certificate(const Spec& spec) {
    static long serial = 1;
    ossl::UniquePtr<X509> cert(X509_new());
    REQUIRE(X509_set_version(cert.get(), 2) == 1);
    REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial) == 1);
    ossl::UniquePtr<X509_NAME> name(X509_NAME_new());
    auto add_entry = [&](const char* field, const std::string& value) {
        REQUIRE(X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                           reinterpret_cast<const unsigned char*>(value.c_str()),
                                           -1, -1, 0) == 1);
    };
    if (!spec.subject_ou.empty()) add_entry("OU", spec.subject_ou);
    add_entry("CN", spec.subject_cn);
    REQUIRE(X509_set_subject_name(cert.get(), name.get()) == 1);
    REQUIRE(X509_set_issuer_name(cert.get(), spec.issuer ? spec.issuer : name.get()) == 1);
    REQUIRE(ASN1_TIME_set(X509_getm_notBefore(cert.get()), unix_seconds(spec.not_before)));
    REQUIRE(ASN1_TIME_set(X509_getm_notAfter(cert.get()), unix_seconds(spec.not_after)));
    REQUIRE(X509_set_pubkey(cert.get(), spec.public_key) == 1);
    add_extension(cert.get(), NID_basic_constraints, spec.basic_constraints);
    add_extension(cert.get(), NID_key_usage, spec.key_usage);
    add_extension(cert.get(), NID_ext_key_usage, spec.extended_key_usage);
    add_key_ids(cert.get(), spec);
    REQUIRE(X509_sign(cert.get(), spec.signing_key, EVP_sha256()) > 0);
    Bytes bytes = ossl::to_der(i2d_X509, cert.get(), "encoding a test certificate");
    return Certificate::from_der(bytes, "a test certificate");
}

const X509_NAME* subject_of(const Certificate& cert) { return X509_get_subject_name(cert.get0()); }

// An RSA public key with a random odd modulus of `bits` bits and exponent `exponent`: not a real
// key pair (no one can sign with it), which is all a refusal before verifying needs, and made in
// microseconds where generating a 16384-bit key takes minutes.
ossl::UniquePtr<EVP_PKEY> rsa_public_key(int bits, BN_ULONG exponent, int exponent_shift = 0) {
    ossl::UniquePtr<BIGNUM> n(BN_new()), e(BN_new());
    REQUIRE(BN_rand(n.get(), bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD) == 1);
    REQUIRE(BN_set_word(e.get(), exponent) == 1);
    if (exponent_shift > 0) {
        REQUIRE(BN_lshift(e.get(), e.get(), exponent_shift) == 1);
        REQUIRE(BN_add_word(e.get(), 1) == 1);
    }
    std::unique_ptr<OSSL_PARAM_BLD, void (*)(OSSL_PARAM_BLD*)> build(OSSL_PARAM_BLD_new(),
                                                                     OSSL_PARAM_BLD_free);
    REQUIRE(OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) == 1);
    REQUIRE(OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) == 1);
    std::unique_ptr<OSSL_PARAM, void (*)(OSSL_PARAM*)> params(OSSL_PARAM_BLD_to_param(build.get()),
                                                              OSSL_PARAM_free);
    ossl::UniquePtr<EVP_PKEY_CTX> context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    REQUIRE(EVP_PKEY_fromdata_init(context.get()) == 1);
    EVP_PKEY* key = nullptr;
    REQUIRE(EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) == 1);
    return ossl::UniquePtr<EVP_PKEY>(key);
}

std::string pem_of(const std::vector<Certificate>& certs) {
    std::string out;
    for (const Certificate& c : certs) out += c.to_pem();
    return out;
}

// ---- the fixtures' own material ----------------------------------------------------------------

struct Node {
    fs::path dir;
    std::vector<Certificate> chain, roots;
    std::optional<PrivateKey> key;
};

Node load_node(const fs::path& dir) {
    Node node;
    node.dir = dir;
    node.chain = load_certificate_file((dir / "swarm-node.crt").string());
    node.roots = load_certificate_file((dir / "swarm-root-ca.crt").string());
    std::string text = test::read_text(dir / "swarm-node.key");
    PemBundle bundle = parse_pem_or_throw(text, "key");
    node.key.emplace(load_private_key(key_block_of(bundle, "key"), nullptr, "key"));
    return node;
}

// The attack: worker1 signs, with its own swarm-node.key, a leaf that says OU=swarm-manager and
// carries manager1's ID, and presents it with its own (CA:FALSE) certificate as the
// "intermediate". Names and signatures all match: only the issuer rule refuses it.
struct Forgery {
    Node manager, worker;
    std::vector<Certificate> chain;  // forged leaf, worker1's certificate
    std::optional<PrivateKey> key;   // the forged leaf's key
    std::string manager_id;
    fs::path dir;  // a node directory holding the forgery (worker1's root)
};

Forgery forge_manager(const test::TempDir& tmp) {
    Forgery f;
    f.manager = load_node(test::copy_node_dir("worker", "manager1", tmp / "manager1"));
    f.worker = load_node(test::copy_node_dir("worker", "worker1", tmp / "worker1"));
    const Certificate& worker_leaf = f.worker.chain.front();
    f.manager_id = f.manager.chain.front().common_name();
    f.key.emplace(p256());
    NodeCertificateIssuer issuer(worker_leaf, *f.worker.key, kDefaultNodeCertExpiry);
    Certificate forged = issuer.issue(NodeIdentity{f.manager_id, NodeRole::manager,
                                                   worker_leaf.organization()},
                                      f.key->get0(), captured_at("worker") - 1h);
    f.chain = {forged, worker_leaf};
    f.dir = test::copy_node_dir("worker", "worker1", tmp / "forged");
    test::write_text(f.dir / "swarm-node.crt", pem_of(f.chain));
    test::write_text(f.dir / "swarm-node.key", encode_node_key(*f.key));
    return f;
}

bool has_finding(const NodeReport& node, const std::string& code, Severity severity) {
    return std::any_of(node.findings.begin(), node.findings.end(),
                       [&](const Finding& f) { return f.code == code && f.severity == severity; });
}

// ---- serve over TLS on loopback ----------------------------------------------------------------

// GET /metrics presenting `chain` with `key`; nullopt when the handshake (or request) fails.
std::optional<int> scrape(int port, const std::vector<Certificate>& chain, const PrivateKey& key) {
    httplib::SSLClient client("127.0.0.1", port, chain[0].get0(), key.get0());
    for (std::size_t i = 1; i < chain.size(); ++i)
        REQUIRE(SSL_CTX_add1_chain_cert(client.ssl_context(), chain[i].get0()) == 1);
    client.enable_server_certificate_verification(false);  // this is about the client's chain
    client.set_read_timeout(5s);
    auto result = client.Get("/metrics");
    if (!result) return std::nullopt;
    return result->status;
}

}  // namespace

// ---- item 1: issuers must be CAs ---------------------------------------------------------------

TEST_CASE("verify_chain refuses a leaf a worker signed with its node key as a manager",
          "[chain][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    Forgery f = forge_manager(tmp);
    const Certificate& forged = f.chain[0];
    const Certificate& worker_leaf = f.chain[1];
    // The forgery matches by names and signatures all the way to the root: it is refused for
    // what the worker's certificate is, not for anything else.
    REQUIRE(forged.organizational_unit() == "swarm-manager");
    REQUIRE(forged.issued_by_name(worker_leaf));
    REQUIRE(forged.signature_verified_by(worker_leaf));
    REQUIRE(verify_chain(worker_leaf, {}, f.worker.roots, captured_at("worker")).verified);

    auto result = verify_chain(forged, std::span(f.chain).subspan(1), f.worker.roots,
                               captured_at("worker"));
    CHECK_FALSE(result.verified);
    CHECK(result.failure_code == "issuer-not-ca");
    CHECK(result.failure == "intermediate " + worker_leaf.subject() + " signed " +
                                forged.subject() + " but is not a CA (BasicConstraints CA:FALSE)");
    CHECK_FALSE(issued_by(forged, worker_leaf, 0));
}

TEST_CASE("inspect does not report a forged manager chain as verified", "[chain][inspect]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    Forgery f = forge_manager(tmp);
    InspectReport report = inspect_nodes({f.dir.string()}, {}, captured_at("worker"));
    const NodeReport& node = report.nodes.at(0);
    REQUIRE_FALSE(node.error);
    CHECK(node.chain_verified == std::optional<bool>(false));
    CHECK(node.chain_failure_code == "issuer-not-ca");
    CHECK(node.severity == Severity::critical);
    CHECK(has_finding(node, "chain-not-verified", Severity::critical));
    CHECK(node.rotation == std::optional<RotationState>(RotationState::none));

    auto cli = test::run_swarmpki({"inspect", "--dir", f.dir.string(), "--at",
                                   test::fixture_captured_at("worker"), "--format", "json"});
    CHECK(cli.exit_code == 2);
    auto json = cli.json();
    CHECK(json["nodes"][0]["chain_verified"] == false);
    CHECK(json["nodes"][0]["chain_failure_code"] == "issuer-not-ca");
    auto text = test::run_swarmpki(
        {"inspect", "--dir", f.dir.string(), "--at", test::fixture_captured_at("worker")});
    CHECK(text.out.find("chain verified") == std::string::npos);
    CHECK(text.out.find("is not a CA") != std::string::npos);
}

TEST_CASE("verify refuses a forged manager chain with issuer-not-ca, not a different swarm",
          "[chain][peer_verify]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    Forgery f = forge_manager(tmp);
    PeerMaterial manager = load_peer_material(f.manager.dir.string());
    PeerMaterial forged = load_peer_material(f.dir.string());
    REQUIRE(forged.node_id == f.manager_id);
    REQUIRE(forged.role == std::optional<std::string>("manager"));
    PeerVerdict verdict = verify_peers(manager, forged, captured_at("worker"));
    CHECK_FALSE(verdict.accepted);
    CHECK(verdict.severity == Severity::critical);
    // manager1 judging the forgery, as a client and as a server.
    for (std::size_t i : {0u, 1u}) {
        CHECK_FALSE(verdict.checks[i].accepted);
        CHECK(verdict.checks[i].code == "issuer-not-ca");
        CHECK(verdict.checks[i].reason.find("is not a CA") != std::string::npos);
    }

    auto cli = test::run_swarmpki({"verify", "--dir", f.manager.dir.string(), "--peer-dir",
                                   f.dir.string(), "--at", test::fixture_captured_at("worker")});
    CHECK(cli.exit_code == 2);
    CHECK(cli.out.find("accepted both ways") == std::string::npos);
}

TEST_CASE("the rotation simulator's mutual-TLS checks refuse a forged manager chain",
          "[chain][rotation]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    Forgery f = forge_manager(tmp);
    PeerMaterial manager;
    manager.dir = "manager";
    manager.chain = f.manager.chain;
    manager.roots = f.manager.roots;
    PeerMaterial forged;
    forged.dir = "forged";
    forged.chain = f.chain;
    forged.roots = f.worker.roots;
    auto honest = rotation_detail::check_mutual_tls({manager}, captured_at("worker"));
    REQUIRE(honest.failures == 0);
    auto outcome = rotation_detail::check_mutual_tls({manager, forged}, captured_at("worker"));
    // The manager refuses the forgery in both roles (2), and so does the forged node itself, in
    // both roles each way (4); the forgery's own verification of the manager succeeds.
    CHECK(outcome.failures == 6);
    for (const std::string& detail : outcome.failure_details)
        CHECK(detail.find("refuses forged") != std::string::npos);
    CHECK(std::all_of(outcome.failure_details.begin(), outcome.failure_details.end(),
                      [](const std::string& d) {
                          return d.find("is not a CA") != std::string::npos;
                      }));
}

TEST_CASE("serve refuses a forged manager chain in the TLS handshake and logs no manager ID",
          "[chain][serve]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    Forgery f = forge_manager(tmp);
    test::LogLines logs;
    ServeOptions options = test::loopback_serve_options({f.manager.dir.string()},
                                                        captured_at("worker"), logs);
    options.tls = tls_from_node_directory(f.manager.dir.string());
    Server server(std::move(options));
    server.start();
    // The genuine worker is admitted: the refusal below is of the forgery only.
    CHECK(scrape(server.port(), f.worker.chain, *f.worker.key) == 200);
    CHECK_FALSE(scrape(server.port(), f.chain, *f.key));
    server.stop();
    CHECK(logs.count("client_cn=" + f.manager_id) == 0);
    CHECK(logs.count("msg=\"client certificate refused\" subject=\"" + f.chain[0].subject()) == 1);
    CHECK(logs.count("is not a CA") == 1);
}

TEST_CASE("serve refuses client certificates minted by an end-entity key under the client CA",
          "[chain][serve]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    fs::path server_dir = test::copy_node_dir("worker", "manager1", tmp / "server");
    Instant now = captured_at("worker");
    RootCa root = create_root(RootOptions{}, now - 24h);
    fs::path client_ca = tmp / "client-ca.crt";
    test::write_text(client_ca, root.certificate.to_pem());
    PrivateKey entity_key = p256(), client_key = p256();
    auto minted_by = [&](const Spec& entity_spec) {
        Certificate entity = make_certificate(entity_spec);
        Certificate client = make_certificate(
            {"client", "swarm-manager", subject_of(entity), client_key.get0(), entity_key.get0(),
             "critical,CA:FALSE", "critical,digitalSignature", "clientAuth", now - 1h, now + 24h});
        return std::vector<Certificate>{client, entity};
    };
    Spec end_entity{"end-entity",
                    "",
                    subject_of(root.certificate),
                    entity_key.get0(),
                    root.key.get0(),
                    "critical,CA:FALSE",
                    "critical,digitalSignature",
                    "clientAuth",
                    now - 1h,
                    now + 24h};
    Spec no_constraints = end_entity;
    no_constraints.basic_constraints.clear();
    Spec ca_without_cert_sign = end_entity;
    ca_without_cert_sign.basic_constraints = "critical,CA:TRUE";
    Spec proper_ca = end_entity;
    proper_ca.basic_constraints = "critical,CA:TRUE";
    proper_ca.key_usage = "critical,keyCertSign";

    std::vector<Certificate> roots{root.certificate};
    auto code = [&](const std::vector<Certificate>& chain) {
        return verify_chain(chain[0], std::span(chain).subspan(1), roots, now).failure_code;
    };
    auto by_end_entity = minted_by(end_entity);
    auto by_unconstrained = minted_by(no_constraints);
    auto by_no_cert_sign = minted_by(ca_without_cert_sign);
    auto by_ca = minted_by(proper_ca);
    CHECK(code(by_end_entity) == "issuer-not-ca");
    CHECK(code(by_unconstrained) == "issuer-not-ca");
    CHECK(code(by_no_cert_sign) == "issuer-key-usage");
    CHECK(code(by_ca).empty());  // a real intermediate CA may issue

    test::LogLines logs;
    ServeOptions options = test::loopback_serve_options({server_dir.string()}, now, logs);
    options.tls = TlsSettings{(server_dir / "swarm-node.crt").string(),
                              (server_dir / "swarm-node.key").string(), client_ca.string()};
    Server server(std::move(options));
    server.start();
    CHECK(scrape(server.port(), by_ca, client_key) == 200);
    CHECK_FALSE(scrape(server.port(), by_end_entity, client_key));
    CHECK_FALSE(scrape(server.port(), by_unconstrained, client_key));
    CHECK_FALSE(scrape(server.port(), by_no_cert_sign, client_key));
    server.stop();
    CHECK(logs.count("client certificate refused") == 3);
    CHECK(logs.count("may not sign certificates") == 1);
}

TEST_CASE("verify_chain keeps a CA's pathLenConstraint", "[chain]") {
    Instant now = from_unix_seconds(1795906447);
    PrivateKey root_key = p256(), middle_key = p256(), leaf_key = p256();
    auto chain_under = [&](const std::string& root_constraints) {
        Certificate root = make_certificate({"root", "", nullptr, root_key.get0(), root_key.get0(),
                                             root_constraints, "critical,keyCertSign", "", now - 1h,
                                             now + 24h});
        Certificate middle = make_certificate({"middle", "", subject_of(root), middle_key.get0(),
                                               root_key.get0(), "critical,CA:TRUE",
                                               "critical,keyCertSign", "", now - 1h, now + 24h});
        Certificate leaf = make_certificate({"leaf", "", subject_of(middle), leaf_key.get0(),
                                             middle_key.get0(), "critical,CA:FALSE",
                                             "critical,digitalSignature", "", now - 1h, now + 24h});
        std::vector<Certificate> roots{root}, intermediates{middle};
        return verify_chain(leaf, intermediates, roots, now);
    };
    auto zero = chain_under("critical,CA:TRUE,pathlen:0");
    CHECK_FALSE(zero.verified);
    CHECK(zero.failure_code == "path-length-exceeded");
    CHECK(zero.failure == "trust root CN=root signed CN=middle but allows 0 intermediate(s) below "
                          "it (pathLenConstraint) and the chain has 1");
    CHECK(chain_under("critical,CA:TRUE,pathlen:1").verified);
    CHECK(chain_under("critical,CA:TRUE").verified);
}

TEST_CASE(
    "the engine's mid-rotation and completed-rotation chains still verify and inspect as such",
    "[chain][inspect][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    fs::path base = *test::fixtures_dir();
    auto mid = base / "rotation-in-progress" / "certificates" / "manager1";
    auto chain = load_certificate_file((mid / "swarm-node.crt").string());
    auto roots = load_certificate_file((mid / "swarm-root-ca.crt").string());
    REQUIRE(chain.size() == 2);
    REQUIRE(chain[1].is_ca());
    auto result = verify_chain(chain[0], std::span(chain).subspan(1), roots,
                               captured_at("rotation-in-progress"));
    CHECK(result.verified);
    CHECK(result.intermediates_used == std::vector<std::size_t>{0});
    InspectReport report = inspect_nodes({mid.string()}, {}, captured_at("rotation-in-progress"));
    CHECK(report.nodes.at(0).chain_verified == std::optional<bool>(true));
    CHECK(report.nodes.at(0).rotation == std::optional<RotationState>(RotationState::in_progress));

    auto done = base / "rotation-complete" / "certificates" / "worker1";
    InspectReport completed = inspect_nodes({done.string()}, {}, captured_at("rotation-complete"));
    CHECK(completed.nodes.at(0).chain_verified == std::optional<bool>(true));
    CHECK(completed.nodes.at(0).rotation == std::optional<RotationState>(RotationState::completed));
}

// ---- item 2: bounded work ----------------------------------------------------------------------

namespace {

// `count` CA certificates CN=loop, issued by CN=loop, all with `key` (each verifies every other),
// and a leaf under them: the shape that made the old search try every ordering.
struct Loop {
    PrivateKey key = p256();
    std::vector<Certificate> certs;
    Certificate leaf;
};

Loop self_issued_loop(std::size_t count, Instant now) {
    PrivateKey key = p256();
    std::vector<Certificate> certs;
    for (std::size_t i = 0; i < count; ++i)
        certs.push_back(
            make_certificate({"loop", "", nullptr, key.get0(), key.get0(), "critical,CA:TRUE",
                              "critical,keyCertSign", "", now - 1h, now + 24h}));
    PrivateKey leaf_key = p256();
    Certificate leaf = make_certificate({"leaf", "", subject_of(certs[0]), leaf_key.get0(),
                                         key.get0(), "critical,CA:FALSE",
                                         "critical,digitalSignature", "", now - 1h, now + 24h});
    return Loop{std::move(key), std::move(certs), std::move(leaf)};
}

}  // namespace

TEST_CASE("verify_chain checks each signature once per issuer key: 8 self-issued CAs sharing a key",
          "[chain]") {
    Instant now = from_unix_seconds(1795906447);
    Loop loop = self_issued_loop(8, now);
    // A trust root of the same name and another key: every certificate is a candidate child of
    // every other and of the root, and none reaches it.
    PrivateKey other = p256();
    std::vector<Certificate> roots{
        make_certificate({"loop", "", nullptr, other.get0(), other.get0(), "critical,CA:TRUE",
                          "critical,keyCertSign", "", now - 1h, now + 24h})};
    std::uint64_t before = signature_checks_performed();
    auto result = verify_chain(loop.leaf, loop.certs, roots, now);
    CHECK_FALSE(result.verified);
    CHECK(result.failure_code == "unknown-authority");
    // Each of the 9 certificates against the 2 distinct keys, at most: the old search tried every
    // ordering of the 8 (8! paths), checking signatures on each.
    CHECK(result.signature_checks <= 9 * 2);
    CHECK(signature_checks_performed() - before == result.signature_checks);

    // The same loop under a root whose key is theirs reaches it at once.
    std::vector<Certificate> own{
        make_certificate({"loop", "", nullptr, loop.key.get0(), loop.key.get0(), "critical,CA:TRUE",
                          "critical,keyCertSign", "", now - 1h, now + 24h})};
    auto reached = verify_chain(loop.leaf, loop.certs, own, now);
    CHECK(reached.verified);
    CHECK(reached.intermediates_used.empty());
    CHECK(reached.signature_checks == 1);
}

TEST_CASE("verify_chain drops duplicate intermediates", "[chain][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    auto mid = *test::fixtures_dir() / "rotation-in-progress" / "certificates" / "manager1";
    auto chain = load_certificate_file((mid / "swarm-node.crt").string());
    auto roots = load_certificate_file((mid / "swarm-root-ca.crt").string());
    std::vector<Certificate> repeated{chain[1], chain[0], chain[1], chain[1], chain[1]};
    auto result = verify_chain(chain[0], repeated, roots, captured_at("rotation-in-progress"));
    CHECK(result.verified);
    CHECK(result.intermediates_used == std::vector<std::size_t>{0});
    // The leaf under the cross's key, the cross under the root. The root has the leaf's issuer
    // name (every swarm root is CN=swarm-ca) but not its AuthorityKeyIdentifier, so the leaf is
    // not tried under the root's key: that check could only fail.
    CHECK(result.signature_checks == 2);
}

TEST_CASE("verify_chain tries issuers by key identifier first, and a wrong one hides no issuer",
          "[chain]") {
    Instant now = from_unix_seconds(1795906447);
    PrivateKey root_key = p256(), leaf_key = p256(), stranger_key = p256();
    Certificate root = make_certificate({"ca", "", nullptr, root_key.get0(), root_key.get0(),
                                         "critical,CA:TRUE", "critical,keyCertSign", "", now - 1h,
                                         now + 24h, "root-key-id"});
    // The same name under another key and another key identifier: a stranger's root.
    Certificate stranger = make_certificate(
        {"ca", "", nullptr, stranger_key.get0(), stranger_key.get0(), "critical,CA:TRUE",
         "critical,keyCertSign", "", now - 1h, now + 24h, "stranger-key-id"});
    auto leaf_naming = [&](const std::string& authority_key_id, EVP_PKEY* signer) {
        return make_certificate({"leaf", "", subject_of(root), leaf_key.get0(), signer,
                                 "critical,CA:FALSE", "critical,digitalSignature", "", now - 1h,
                                 now + 24h, "", authority_key_id});
    };
    std::vector<Certificate> none, both{stranger, root};

    // The stranger comes first and shares the name, but only the root's key id is the leaf's.
    auto honest = verify_chain(leaf_naming("root-key-id", root_key.get0()), none, both, now);
    CHECK(honest.verified);
    CHECK(honest.root_index == 1);
    CHECK(honest.signature_checks == 1);

    // An AuthorityKeyIdentifier that names no one (or the wrong one) is only an ordering hint: the
    // second pass tries every issuer of the name, as before.
    auto wrong = verify_chain(leaf_naming("someone-else", root_key.get0()), none, both, now);
    CHECK(wrong.verified);
    CHECK(wrong.root_index == 1);
    auto misleading = verify_chain(leaf_naming("stranger-key-id", root_key.get0()), none, both,
                                   now);
    CHECK(misleading.verified);
    CHECK(misleading.root_index == 1);
    CHECK(misleading.signature_checks == 2);

    // Signed by neither: the same refusal as without the hint, each key checked once.
    auto forged = verify_chain(leaf_naming("root-key-id", leaf_key.get0()), none, both, now);
    CHECK_FALSE(forged.verified);
    CHECK(forged.failure_code == "unknown-authority");
    CHECK(forged.signature_checks == 2);
}

TEST_CASE("verify_chain stops at its signature budget: many keys under one name", "[chain]") {
    Instant now = from_unix_seconds(1795906447);
    // 16 CAs named CN=many, each signed by the previous one's key (the first by the last's):
    // every level of the search reaches one more and tries every key on it, and none reaches the
    // root (another key under the same name).
    std::vector<PrivateKey> keys;
    for (int i = 0; i < 16; ++i) keys.push_back(p256());
    std::vector<Certificate> certs;
    for (std::size_t i = 0; i < keys.size(); ++i)
        certs.push_back(make_certificate(
            {"many", "", nullptr, keys[i].get0(), keys[(i + keys.size() - 1) % keys.size()].get0(),
             "critical,CA:TRUE", "critical,keyCertSign", "", now - 1h, now + 24h}));
    PrivateKey root_key = p256(), leaf_key = p256();
    std::vector<Certificate> roots{
        make_certificate({"many", "", nullptr, root_key.get0(), root_key.get0(), "critical,CA:TRUE",
                          "critical,keyCertSign", "", now - 1h, now + 24h})};
    Certificate leaf = make_certificate({"leaf", "", subject_of(roots[0]), leaf_key.get0(),
                                         keys.back().get0(), "critical,CA:FALSE", "", "", now - 1h,
                                         now + 24h});
    std::uint64_t before = signature_checks_performed();
    auto result = verify_chain(leaf, certs, roots, now);
    CHECK_FALSE(result.verified);
    CHECK(result.failure_code == "chain-too-complex");
    CHECK(result.signature_checks == kMaxChainSignatureChecks);
    CHECK(signature_checks_performed() - before == kMaxChainSignatureChecks);
}

TEST_CASE("inspect of a swarm-node.crt of 10 self-issued EC CAs checks a bounded number of "
          "signatures",
          "[chain][inspect]") {
    test::TempDir tmp;
    Instant now = from_unix_seconds(1795906447);
    Loop loop = self_issued_loop(10, now);
    PrivateKey other = p256();
    Certificate root = make_certificate({"loop", "", nullptr, other.get0(), other.get0(),
                                         "critical,CA:TRUE", "critical,keyCertSign", "", now - 1h,
                                         now + 24h});
    fs::create_directories(tmp / "node");
    test::write_text(tmp / "node" / "swarm-node.crt", pem_of(loop.certs));
    test::write_text(tmp / "node" / "swarm-root-ca.crt", root.to_pem());
    std::uint64_t before = signature_checks_performed();
    InspectReport report = inspect_nodes({(tmp / "node").string()}, {}, now);
    std::uint64_t checks = signature_checks_performed() - before;
    const NodeReport& node = report.nodes.at(0);
    CHECK(node.chain_verified == std::optional<bool>(false));
    CHECK(node.chain_failure_code == "unknown-authority");
    // The chain search: 10 certificates against 2 keys; the analysis: the leaf's signer among
    // the root and 9 bundled certificates, and the root's self-signature: at most 34 in all.
    CHECK(checks <= 10 * 2 + 10 + 4);
}

TEST_CASE("keys too large to verify are refused before any signature is checked", "[chain]") {
    Instant now = from_unix_seconds(1795906447);
    PrivateKey signer = p256();
    auto big = rsa_public_key(16384, 65537);
    Certificate ca = make_certificate({"big", "", nullptr, big.get(), signer.get0(),
                                       "critical,CA:TRUE", "critical,keyCertSign", "", now - 1h,
                                       now + 24h});
    REQUIRE(ca.key_bits() == 16384);
    CHECK(ca.verification_key_problem() ==
          std::optional<std::string>("RSA key of 16384 bits is over the 8192-bit limit"));
    Certificate leaf = make_certificate({"leaf", "", subject_of(ca), signer.get0(), signer.get0(),
                                         "critical,CA:FALSE", "", "", now - 1h, now + 24h});
    std::uint64_t before = signature_checks_performed();
    std::vector<Certificate> intermediates{ca}, roots{ca};
    std::vector<Certificate> other_roots{
        make_certificate({"other", "", nullptr, signer.get0(), signer.get0(), "critical,CA:TRUE",
                          "", "", now - 1h, now + 24h})};
    auto as_intermediate = verify_chain(leaf, intermediates, other_roots, now);
    CHECK(as_intermediate.failure_code == "unsupported-key");
    CHECK(as_intermediate.failure ==
          "intermediate CN=big: RSA key of 16384 bits is over the 8192-bit limit; its signatures "
          "are not checked");
    auto as_root = verify_chain(leaf, {}, roots, now);
    CHECK(as_root.failure_code == "unsupported-key");
    CHECK(as_root.failure.find("RSA key of 16384 bits") != std::string::npos);
    CHECK_FALSE(leaf.signature_verified_by(ca));
    CHECK(as_root.signature_checks == 0);
    CHECK(signature_checks_performed() == before);

    auto exponent_of = [&](BN_ULONG e, int shift = 0) {
        auto key = rsa_public_key(2048, e, shift);
        return make_certificate({"e", "", nullptr, key.get(), signer.get0(), "critical,CA:TRUE", "",
                                 "", now - 1h, now + 24h})
            .verification_key_problem();
    };
    CHECK_FALSE(exponent_of(65537));
    CHECK_FALSE(exponent_of(3));
    CHECK(exponent_of(1, 40) ==
          std::optional<std::string>(
              "the RSA key's public exponent has 41 bits, over the 32-bit limit"));
    CHECK(exponent_of(4) ==
          std::optional<std::string>(
              "the RSA key's public exponent 4 is not an odd number of at least 3"));
    CHECK(exponent_of(1).has_value());
    auto at_limit = rsa_public_key(8192, 65537);
    CHECK_FALSE(make_certificate({"8192", "", nullptr, at_limit.get(), signer.get0(),
                                  "critical,CA:TRUE", "", "", now - 1h, now + 24h})
                    .verification_key_problem());
}

TEST_CASE("inspect reports a trust root whose key is too large as a critical finding",
          "[chain][inspect]") {
    test::TempDir tmp;
    Instant now = from_unix_seconds(1795906447);
    PrivateKey signer = p256();
    auto big = rsa_public_key(16384, 65537);
    Certificate root = make_certificate({"big", "", nullptr, big.get(), signer.get0(),
                                         "critical,CA:TRUE", "critical,keyCertSign", "", now - 1h,
                                         now + 24h});
    Certificate leaf = make_certificate({"leaf", "", subject_of(root), signer.get0(), signer.get0(),
                                         "critical,CA:FALSE", "", "", now - 1h, now + 24h});
    fs::create_directories(tmp / "node");
    test::write_text(tmp / "node" / "swarm-node.crt", leaf.to_pem());
    test::write_text(tmp / "node" / "swarm-root-ca.crt", root.to_pem());
    std::uint64_t before = signature_checks_performed();
    InspectReport report = inspect_nodes({(tmp / "node").string()}, {}, now);
    const NodeReport& node = report.nodes.at(0);
    REQUIRE_FALSE(node.error);
    CHECK(node.chain_failure_code == "unsupported-key");
    CHECK(has_finding(node, "unsupported-key", Severity::critical));
    CHECK(has_finding(node, "chain-not-verified", Severity::critical));
    CHECK_FALSE(has_finding(node, "root-not-self-signed", Severity::warning));
    CHECK(signature_checks_performed() == before);
}

TEST_CASE("a chain file holding more than 16 certificates is refused before it is parsed",
          "[chain][inspect]") {
    test::TempDir tmp;
    Instant now = from_unix_seconds(1795906447);
    Loop loop = self_issued_loop(kMaxChainFileCertificates + 1, now);
    fs::create_directories(tmp / "node");
    test::write_text(tmp / "node" / "swarm-node.crt", pem_of(loop.certs));
    test::write_text(tmp / "node" / "swarm-root-ca.crt", loop.certs[0].to_pem());
    std::string path = (tmp / "node" / "swarm-node.crt").string();
    try {
        load_certificate_file(path);
        FAIL("17 certificates were read");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) ==
              path + ": holds 17 PEM blocks; a chain or trust-root file may hold at most 16 "
                     "(the engine writes the node certificate and at most a few intermediates, "
                     "and one root: restore the file from the node or `docker swarm ca`)");
    }
    InspectReport report = inspect_nodes({(tmp / "node").string()}, {}, now);
    REQUIRE(report.nodes.at(0).error);
    CHECK(report.nodes.at(0).error->find("at most 16") != std::string::npos);
    std::vector<Certificate> sixteen(loop.certs.begin(), loop.certs.begin() + 16);
    test::write_text(tmp / "node" / "swarm-node.crt", pem_of(sixteen));
    CHECK(load_certificate_file(path).size() == 16);
}
