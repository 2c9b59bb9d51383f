// inspect_node and its renderings on node directories made by the CA engine, so each rule can be
// tested from a known state: rotation state by keys (including a rotation away from an
// operator's root, whose cross-signed certificate is not named CN=swarm-ca), validity through a
// lifetime, key checks, file checks, tokens, the fleet summary, and what the JSON must contain.
#include "ca_issuing.hpp"
#include "support.hpp"
#include "test_node_writer.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/inspect_render.hpp"
#include "swarmpki/join_token.hpp"

#include <catch2/catch.hpp>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

using namespace swarmpki;
using namespace swarmpki::test;
namespace fs = std::filesystem;

namespace {

const Instant kNow = kNodeIssuedAt;
const char* kUnlockKey = "SWMKEY-1-PJVWSVYlMhxdEmx7RC0/t34bxRY0vgsf5UbNosU5SyQ";
bool has_finding(const NodeReport& r, const std::string& code, Severity severity) {
    return std::any_of(r.findings.begin(), r.findings.end(),
                       [&](const Finding& f) { return f.code == code && f.severity == severity; });
}
bool has_code(const NodeReport& r, const std::string& code) {
    return std::any_of(r.findings.begin(), r.findings.end(),
                       [&](const Finding& f) { return f.code == code; });
}
std::string codes(const NodeReport& r) {
    std::string out;
    for (const Finding& f : r.findings)
        out += std::string(to_string(f.severity)) + ":" + f.code + " ";
    return out;
}

}  // namespace

TEST_CASE("inspect_node: a fresh engine-made worker is ok, with every fact filled", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    Node node = simple_node(tmp / "w", root);
    NodeReport r = inspect_node(node.dir.string(), {}, kNow);
    INFO(codes(r));
    CHECK_FALSE(r.error);
    CHECK(r.severity == Severity::ok);
    REQUIRE(r.node);
    CHECK(r.node->id == node.leaf.common_name());
    CHECK(r.node->role == std::optional<std::string>("worker"));
    CHECK(r.node->cluster_id == "45dwjg326020dkgqtum4kdw4o");
    CHECK(r.node->sans == std::vector<std::string>{"swarm-worker", node.leaf.common_name()});
    CHECK(r.node->lifetime_seconds == 2161 * 3600);
    CHECK(r.node->remaining_seconds == unix_seconds(node.leaf.not_after()) - unix_seconds(kNow));
    CHECK(r.node->issuer == "CN=swarm-ca");
    CHECK(r.node->issuer_public_key_sha256 == root.certificate.public_key_sha256());
    CHECK(r.node->renewal_window.start == node.leaf.not_before() + Seconds(2161 * 3600 / 2));
    CHECK(r.node->renewal_window.end == node.leaf.not_before() + Seconds(2161 * 3600 * 4 / 5));
    std::string root_pem = root.certificate.to_pem();
    CHECK(r.root_file_sha256 == sha256_hex(root_pem));
    CHECK(r.join_token_digest == digest_to_base36(sha256(root_pem)));
    REQUIRE(r.chain.size() == 1);
    CHECK(r.chain[0].kind == ChainKind::leaf);
    REQUIRE(r.trust_roots.size() == 1);
    CHECK(r.trust_roots[0].key_type == "ecdsa-p256");
    CHECK(r.rotation == RotationState::none);
    CHECK(r.chain_verified == true);
    CHECK(r.key.present);
    CHECK(r.key.type == std::optional<std::string>("ecdsa-p256"));
    CHECK(r.key.matches_certificate == true);
    CHECK(r.key.pem_headers == std::vector<std::string>{"kek-version"});
    CHECK(r.key.kek_version == std::optional<std::string>("0"));
    CHECK(r.key.mode == std::optional<std::string>("0600"));
    CHECK(r.findings.empty());
}

TEST_CASE("inspect_node: rotation state by keys, mid-rotation and after", "[inspect]") {
    TempDir tmp;
    RootCa old_root = create_root({}, kNow);
    RootCa new_root = create_root({}, kNow);
    Certificate cross = cross_sign(new_root.certificate, old_root.certificate, old_root.key);

    SECTION("in progress: trust root old, leaf signed by the new key, cross-signed bundled") {
        Node n = write_node(tmp / "mid", old_root.certificate, cross, new_root.key, {cross});
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        INFO(codes(r));
        CHECK(r.rotation == RotationState::in_progress);
        CHECK(r.chain_verified == true);
        REQUIRE(r.chain.size() == 2);
        CHECK(r.chain[1].kind == ChainKind::cross_signed_intermediate);
        CHECK(r.node->issuer_public_key_sha256 == new_root.certificate.public_key_sha256());
        CHECK(r.severity == Severity::ok);
    }
    SECTION("completed: trust root new, the stale cross-signed copy still bundled") {
        Node n = write_node(tmp / "done", new_root.certificate, new_root.certificate, new_root.key,
                            {cross});
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        INFO(codes(r));
        CHECK(r.rotation == RotationState::completed);
        CHECK(r.chain_verified == true);
        CHECK(r.chain[1].kind == ChainKind::cross_signed_intermediate);
        CHECK_FALSE(has_code(r, "unused-intermediate"));
        CHECK(r.severity == Severity::ok);
    }
    SECTION("a node that missed the rotation: old root, old leaf") {
        Node n = simple_node(tmp / "old", old_root);
        CHECK(inspect_node(n.dir.string(), {}, kNow).rotation == RotationState::none);
    }
    SECTION("another swarm's root: no verification, no rotation") {
        RootCa foreign = create_root({}, kNow);
        Node n = write_node(tmp / "x", foreign.certificate, cross, new_root.key, {cross});
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        CHECK(r.chain_verified == false);
        CHECK(r.rotation == RotationState::none);
        CHECK(has_finding(r, "chain-not-verified", Severity::critical));
        CHECK(r.chain[1].kind == ChainKind::intermediate);
        CHECK(r.node->issuer_public_key_sha256 == new_root.certificate.public_key_sha256());
    }
}

TEST_CASE("inspect_node: a rotation away from an operator's root is found by keys, not names",
          "[inspect]") {
    TempDir tmp;
    RootOptions operator_options;
    operator_options.common_name = "Example Corp Swarm Root";
    RootCa operator_root = create_root(operator_options, kNow);
    RootCa new_root = create_root({}, kNow);
    Certificate cross = cross_sign(new_root.certificate, operator_root.certificate,
                                   operator_root.key);
    REQUIRE(cross.issuer() == "CN=Example Corp Swarm Root");
    Node n = write_node(tmp / "mid", operator_root.certificate, cross, new_root.key, {cross});
    NodeReport r = inspect_node(n.dir.string(), {}, kNow);
    CHECK(r.rotation == RotationState::in_progress);
    CHECK(r.chain_verified == true);
    CHECK(r.chain[1].kind == ChainKind::cross_signed_intermediate);
}

TEST_CASE("inspect_node: validity through the lifetime", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow - Seconds(86400));
    Node n = simple_node(tmp / "n", root);
    Instant nb = n.leaf.not_before();
    auto lifetime = n.leaf.lifetime();
    auto at_fraction = [&](double f) {
        return nb + Seconds(static_cast<std::int64_t>(static_cast<double>(lifetime.count()) * f));
    };

    NodeReport fresh = inspect_node(n.dir.string(), {}, at_fraction(0.2));
    CHECK(fresh.findings.empty());
    NodeReport window = inspect_node(n.dir.string(), {}, at_fraction(0.6));
    CHECK(has_finding(window, "renewal-window-open", Severity::info));
    CHECK(window.severity == Severity::info);
    NodeReport overdue = inspect_node(n.dir.string(), {}, at_fraction(0.85));
    CHECK(has_finding(overdue, "renewal-overdue", Severity::warning));
    CHECK(overdue.severity == Severity::warning);

    NodeReport expired = inspect_node(n.dir.string(), {}, n.leaf.not_after() + Seconds(60));
    INFO(codes(expired));
    CHECK(has_finding(expired, "certificate-expired", Severity::critical));
    CHECK(expired.chain_verified == false);
    CHECK_FALSE(has_code(expired, "chain-not-verified"));  // the chain itself is sound
    CHECK(expired.node->remaining_seconds == -60);

    NodeReport early = inspect_node(n.dir.string(), {}, nb - Seconds(60));
    CHECK(has_finding(early, "certificate-not-yet-valid", Severity::critical));
}

TEST_CASE("inspect_node: trust root findings", "[inspect]") {
    TempDir tmp;
    RootOptions short_lived;
    short_lived.lifetime = Seconds(300 * 86400);
    RootCa root = create_root(short_lived, kNow);
    Node n = simple_node(tmp / "n", root);
    CHECK(has_finding(inspect_node(n.dir.string(), {}, kNow), "root-expiring", Severity::warning));

    RootCa second = create_root({}, kNow);
    write_text(n.dir / "swarm-root-ca.crt",
               root.certificate.to_pem() + second.certificate.to_pem());
    NodeReport r = inspect_node(n.dir.string(), {}, kNow);
    CHECK(has_finding(r, "multiple-trust-roots", Severity::warning));
    CHECK(r.trust_roots.size() == 2);
    CHECK(r.chain_verified == true);
}

TEST_CASE("inspect_node: key checks", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    Node n = simple_node(tmp / "n", root);

    SECTION("another node's key is a critical finding, not an error") {
        PrivateKey other = KeyGenerator().generate();
        write_text(n.dir / "swarm-node.key", encode_node_key(other));
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        CHECK_FALSE(r.error);
        CHECK(r.key.matches_certificate == false);
        CHECK(has_finding(r, "key-mismatch", Severity::critical));
        CHECK(r.severity == Severity::critical);
    }
    SECTION("a missing key") {
        fs::remove(n.dir / "swarm-node.key");
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        CHECK_FALSE(r.key.present);
        CHECK(has_finding(r, "key-missing", Severity::critical));
    }
    SECTION("a key others can read, a directory others can write") {
        ::chmod((n.dir / "swarm-node.key").c_str(), 0644);
        ::chmod(n.dir.c_str(), 0777);
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        CHECK(has_finding(r, "key-permissions", Severity::warning));
        CHECK(has_finding(r, "directory-writable-by-others", Severity::warning));
        CHECK(r.key.mode == std::optional<std::string>("0644"));
    }
    SECTION("a legacy SEC1 key") {
        write_text(n.dir / "swarm-node.key", encode_sec1_pem(n.key));
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        CHECK(r.key.matches_certificate == true);
        CHECK(has_finding(r, "legacy-key-format", Severity::info));
    }
}

TEST_CASE("inspect_node: an autolocked key, with and without the unlock key", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    NodeSpec manager;
    manager.role = NodeRole::manager;
    Node n = simple_node(tmp / "m", root, manager);
    SecretBytes password = parse_unlock_key(kUnlockKey);
    write_text(n.dir / "swarm-node.key",
               encode_encrypted_pkcs8_pem(n.key, password,
                                          {{"kek-version", "29"}, {"raft-dek", kRaftDek}}));

    NodeReport locked = inspect_node(n.dir.string(), {}, kNow);
    CHECK_FALSE(locked.error);
    CHECK(locked.key.encrypted);
    CHECK(locked.key.pem_type == std::optional<std::string>("ENCRYPTED PRIVATE KEY"));
    CHECK_FALSE(locked.key.matches_certificate);
    CHECK_FALSE(locked.key.type);
    CHECK(locked.key.kek_version == std::optional<std::string>("29"));
    CHECK(has_finding(locked, "key-locked", Severity::notice));
    CHECK(locked.severity == Severity::notice);

    InspectOptions with_key;
    with_key.unlock_key = &password;
    NodeReport unlocked = inspect_node(n.dir.string(), with_key, kNow);
    CHECK(unlocked.key.matches_certificate == true);
    CHECK_FALSE(has_code(unlocked, "key-locked"));

    SecretBytes wrong = parse_unlock_key("SWMKEY-1-/Sqe/IzpNguWolrdtekgeUass9Qr5uq0gkshmsr/asI");
    InspectOptions wrong_key;
    wrong_key.unlock_key = &wrong;
    NodeReport refused = inspect_node(n.dir.string(), wrong_key, kNow);
    REQUIRE(refused.error);
    CHECK(refused.severity == Severity::unknown);
    CHECK(refused.error->find((n.dir / "swarm-node.key").string() +
                              ": the unlock key does not decrypt this key (") == 0);
}

TEST_CASE("inspect_node: SANs that do not fit the role, and a leaf that is a CA", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    PrivateKey key = KeyGenerator().generate();
    NodeCertificateIssuer issuer(root.certificate, root.key, kDefaultNodeCertExpiry);
    CertificateSigner signer = issuer.make_signer();
    ossl::UniquePtr<X509> x509 = issuer.issue({"nodeid", NodeRole::manager, "cluster"}, key.get0(),
                                              kNow, signer);
    for (int nid : {NID_subject_alt_name, NID_basic_constraints}) {
        int index = X509_get_ext_by_NID(x509.get(), nid, -1);
        REQUIRE(index >= 0);
        ossl::UniquePtr<X509_EXTENSION> removed(X509_delete_ext(x509.get(), index));
    }
    // A manager without swarm-ca, and CA:TRUE.
    char sans[] = "DNS:swarm-manager,DNS:nodeid";
    char ca[] = "critical,CA:TRUE";
    ossl::UniquePtr<X509_EXTENSION> san(
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, sans));
    ossl::UniquePtr<X509_EXTENSION> bc(
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, ca));
    REQUIRE(X509_add_ext(x509.get(), san.get(), -1) == 1);
    REQUIRE(X509_add_ext(x509.get(), bc.get(), -1) == 1);
    signer.sign(x509.get());
    Certificate leaf = Certificate::from_handle(std::move(x509));
    write_node_directory((tmp / "m").string(),
                         {root.certificate.to_pem(), leaf.to_pem(), encode_node_key(key)},
                         Overwrite::no);
    NodeReport r = inspect_node((tmp / "m").string(), {}, kNow);
    INFO(codes(r));
    CHECK(has_finding(r, "san-role-mismatch", Severity::warning));
    CHECK(has_finding(r, "leaf-is-ca", Severity::warning));
    CHECK(r.chain_verified == true);
}

TEST_CASE("inspect_node: files around the three (leftovers, legacy root key, text, CRLF, symlinks)",
          "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    Node n = simple_node(tmp / "n", root);

    SECTION("an interrupted write is a notice") {
        fs::copy_file(n.dir / "swarm-node.crt", n.dir / ".swarm-node.crt");
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        CHECK(has_finding(r, "interrupted-write", Severity::notice));
        CHECK(r.severity == Severity::notice);
    }
    SECTION("a legacy root key that matches the root, and one that does not") {
        write_text(n.dir / "swarm-root-ca.key", encode_sec1_pem(root.key));
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        REQUIRE(has_finding(r, "legacy-root-key", Severity::warning));
        auto it = std::find_if(r.findings.begin(), r.findings.end(),
                               [](const Finding& f) { return f.code == "legacy-root-key"; });
        CHECK(it->message.find("it matches the trust root") != std::string::npos);

        RootCa other = create_root({}, kNow);
        write_text(n.dir / "swarm-root-ca.key", encode_sec1_pem(other.key));
        r = inspect_node(n.dir.string(), {}, kNow);
        it = std::find_if(r.findings.begin(), r.findings.end(),
                          [](const Finding& f) { return f.code == "legacy-root-key"; });
        REQUIRE(it != r.findings.end());
        CHECK(it->message.find("does not match the trust root") != std::string::npos);
    }
    SECTION("CRLF and text outside the PEM block of the root file") {
        std::string pem = root.certificate.to_pem();
        std::string crlf;
        for (char c : pem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
        write_text(n.dir / "swarm-root-ca.crt", "a comment\n" + crlf);
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        CHECK(has_finding(r, "crlf-line-endings", Severity::warning));
        CHECK(has_finding(r, "text-outside-pem", Severity::warning));
        CHECK(r.chain_verified == true);
    }
    SECTION("a symlink out of the directory is a warning and is still read") {
        fs::create_directory(tmp / "elsewhere");
        fs::rename(n.dir / "swarm-node.crt", tmp / "elsewhere" / "node.crt");
        fs::create_symlink(tmp / "elsewhere" / "node.crt", n.dir / "swarm-node.crt");
        NodeReport r = inspect_node(n.dir.string(), {}, kNow);
        CHECK(has_finding(r, "symlink-outside-directory", Severity::warning));
        CHECK(r.chain_verified == true);
        auto file = std::find_if(r.files.begin(), r.files.end(),
                                 [](const FileReport& f) { return f.name == "swarm-node.crt"; });
        REQUIRE(file != r.files.end());
        CHECK(file->outside_directory);
        CHECK(file->symlink_target ==
              std::optional<std::string>((tmp / "elsewhere" / "node.crt").string()));
    }
}

TEST_CASE("inspect_node: does a join token pin this root", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    Node n = simple_node(tmp / "n", root);
    JoinToken good = generate_join_token(root.certificate.to_pem());
    InspectOptions options;
    options.token = &good;
    NodeReport r = inspect_node(n.dir.string(), options, kNow);
    REQUIRE(r.token);
    CHECK(r.token->pins_root);
    CHECK(r.token->digest_base36 == r.join_token_digest);
    CHECK(has_finding(r, "token-pins-root", Severity::info));

    RootCa other = create_root({}, kNow);
    JoinToken bad = generate_join_token(other.certificate.to_pem());
    options.token = &bad;
    r = inspect_node(n.dir.string(), options, kNow);
    CHECK_FALSE(r.token->pins_root);
    CHECK_FALSE(r.token->matching_variant);
    CHECK(has_finding(r, "token-does-not-pin-root", Severity::critical));
}

TEST_CASE("inspect_node --token: a CRLF-damaged root file is token verify's variant, not a "
          "foreign root",
          "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    Node n = simple_node(tmp / "n", root);
    std::string pem = root.certificate.to_pem();
    JoinToken token = generate_join_token(pem);  // the engine's: over the LF bytes
    std::string crlf;
    for (char c : pem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    write_text(n.dir / "swarm-root-ca.crt", crlf);
    InspectOptions options;
    options.token = &token;
    NodeReport r = inspect_node(n.dir.string(), options, kNow);
    REQUIRE(r.token);
    CHECK_FALSE(r.token->pins_root);
    CHECK(r.token->matching_variant == std::optional<std::string>("lf-line-endings"));
    CHECK_FALSE(has_code(r, "token-does-not-pin-root"));
    CHECK(codes(r) == "warning:crlf-line-endings warning:token-pins-root-variant ");
    CHECK(r.findings[1].message ==
          "the join token pins this node's root, but not the exact bytes of its "
          "swarm-root-ca.crt: its digest is the SHA-256 of this file with LF instead of CRLF "
          "line endings (it was converted after it left the node, by a Windows editor or git "
          "autocrlf)");
    CHECK(r.severity == Severity::warning);

    // A digest over the DER is no engine's token: still critical, and says what it hashed.
    write_text(n.dir / "swarm-root-ca.crt", pem);
    JoinToken der = token;
    const Bytes& der_bytes = root.certificate.der();
    der.digest = sha256(der_bytes.data(), der_bytes.size());
    der.digest_base36 = digest_to_base36(der.digest);
    options.token = &der;
    r = inspect_node(n.dir.string(), options, kNow);
    CHECK(r.token->matching_variant == std::optional<std::string>("der"));
    CHECK(codes(r) == "critical:token-does-not-pin-root ");
    CHECK(r.findings[0].message.rfind("the join token's digest is not the SHA-256 of this node's "
                                      "swarm-root-ca.crt: its digest is the SHA-256 of the DER "
                                      "of its first certificate",
                                      0) == 0);
}

TEST_CASE("inspect_nodes: the fleet summary", "[inspect]") {
    TempDir tmp;
    RootCa old_root = create_root({}, kNow);
    RootCa new_root = create_root({}, kNow);
    Node a = simple_node(tmp / "a", old_root);
    Node b = simple_node(tmp / "b", new_root);
    NodeSpec other_cluster;
    other_cluster.cluster_id = "zzzzzzzzzzzzzzzzzzzzzzzzz";
    Node c = simple_node(tmp / "c", new_root, other_cluster);

    InspectReport one = inspect_nodes({a.dir.string()}, {}, kNow);
    CHECK_FALSE(one.fleet);

    InspectReport report = inspect_nodes(
        {a.dir.string(), b.dir.string(), c.dir.string(), (tmp / "missing").string()}, {}, kNow);
    REQUIRE(report.fleet);
    const FleetSummary& fleet = *report.fleet;
    CHECK(fleet.nodes == 4);
    CHECK(fleet.unknown == 1);
    CHECK(fleet.cluster_ids.size() == 2);
    CHECK(fleet.root_file_sha256s.size() == 2);
    CHECK(fleet.rotation_none == 3);
    CHECK(fleet.earliest_not_after);
    bool roots_differ = std::any_of(fleet.findings.begin(), fleet.findings.end(),
                                    [](const Finding& f) {
                                        return f.code == "fleet-trust-roots-differ" &&
                                               f.severity == Severity::warning;
                                    });
    CHECK(roots_differ);
    // run_verdict: a warning found outranks the unreadable directory (critical > warning >
    // unknown > ok), as in `expiry`.
    CHECK(report.severity == Severity::warning);

    std::string card = render_inspect_text(report, TextColor::no);
    CHECK(card.find("\nfleet\n  nodes      4: 3 ok, 0 warning, 0 critical, 1 unknown\n") !=
          std::string::npos);
    CHECK(card.find("\n  clusters   2, root files 2\n") != std::string::npos);
    CHECK(card.find("\n  finding    warning  fleet-trust-roots-differ: ") != std::string::npos);
    CHECK(card.find("\n  finding    warning  fleet-clusters-share-root: 2 clusters "
                    "(45dwjg326020dkgqtum4kdw4o, zzzzzzzzzzzzzzzzzzzzzzzzz) trust one root file") !=
          std::string::npos);
}

TEST_CASE("inspect_nodes: two clusters under one root are a fleet warning", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    NodeSpec other;
    other.cluster_id = "zzzzzzzzzzzzzzzzzzzzzzzzz";
    Node a = simple_node(tmp / "a", root);
    Node b = simple_node(tmp / "b", root, other);
    Node c = simple_node(tmp / "c", root);
    InspectReport report = inspect_nodes({a.dir.string(), b.dir.string(), c.dir.string()}, {},
                                         kNow);
    REQUIRE(report.fleet);
    std::vector<std::string> fleet_codes;
    for (const Finding& f : report.fleet->findings) fleet_codes.push_back(f.code);
    CHECK(fleet_codes ==
          std::vector<std::string>{"fleet-clusters-share-root", "fleet-clusters-differ"});
    const Finding& shared = report.fleet->findings[0];
    CHECK(shared.severity == Severity::warning);
    std::string digest = *report.nodes[0].root_file_sha256;
    CHECK(shared.message == "2 clusters (45dwjg326020dkgqtum4kdw4o, zzzzzzzzzzzzzzzzzzzzzzzzz) "
                            "trust one root file (sha256 " +
                                digest.substr(0, 16) +
                                "…): their nodes' certificates verify against each other's "
                                "root, and only the engine's organization check keeps the swarms "
                                "apart");
    CHECK(report.severity == Severity::warning);

    // One cluster per root: no such warning.
    InspectReport one = inspect_nodes({a.dir.string(), c.dir.string()}, {}, kNow);
    REQUIRE(one.fleet);
    CHECK(one.fleet->findings.empty());
    CHECK(one.severity == Severity::ok);
}

TEST_CASE("inspect_node keeps every error, and both renderings show each", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    Node n = simple_node(tmp / "n", root);
    write_text(n.dir / "swarm-root-ca.crt", "not a certificate\n");
    write_text(n.dir / "swarm-node.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n");
    InspectReport report = inspect_nodes({n.dir.string()}, {}, kNow);
    const NodeReport& r = report.nodes[0];
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].rfind((n.dir / "swarm-root-ca.crt").string() + ": ", 0) == 0);
    CHECK(r.errors[1].rfind((n.dir / "swarm-node.crt").string() + ": ", 0) == 0);
    CHECK(r.error == r.errors[0]);
    CHECK(r.severity == Severity::unknown);
    CHECK(report.severity == Severity::unknown);

    auto doc = nlohmann::json::parse(render_inspect_json(report));
    CHECK(doc["nodes"][0]["errors"] == nlohmann::json(r.errors));
    CHECK(doc["nodes"][0]["error"] == r.errors[0]);
    std::string card = render_inspect_text(report, TextColor::no);
    CHECK(card.find("\n  error      " + r.errors[0] + "\n  error      " + r.errors[1] + "\n") !=
          std::string::npos);
}

TEST_CASE("inspect_node: a CA directory is said to be one, not a node missing its files",
          "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    write_ca_directory((tmp / "ca").string(), root, Overwrite::no);
    NodeReport r = inspect_node((tmp / "ca").string(), {}, kNow);
    CHECK(r.kind == DirectoryKind::ca);
    CHECK(r.errors.empty());
    CHECK(codes(r) == "info:ca-directory ");
    CHECK(r.findings[0].message ==
          (tmp / "ca").string() +
              " is a CA directory (swarm-root-ca.crt and its key swarm-root-ca.key, as `swarmpki "
              "ca init` writes), not a node's: no node certificate or key is expected here");
    CHECK(r.severity == Severity::info);
    CHECK(report_status(r.severity) == "ok");
    CHECK(r.trust_roots.size() == 1);
    CHECK_FALSE(r.node);

    // Its key replaced by another: the CA cannot issue.
    write_text(tmp / "ca/swarm-root-ca.key", encode_node_key(KeyGenerator().generate()));
    ::chmod((tmp / "ca/swarm-root-ca.key").c_str(), 0644);
    r = inspect_node((tmp / "ca").string(), {}, kNow);
    CHECK(codes(r) == "warning:ca-key-mismatch warning:ca-key-permissions info:ca-directory ");
    CHECK(r.findings[0].message == "swarm-root-ca.key does not match swarm-root-ca.crt");

    auto doc = nlohmann::json::parse(
        render_inspect_json(inspect_nodes({(tmp / "ca").string()}, {}, kNow)));
    CHECK(doc["nodes"][0]["kind"] == "ca");
}

TEST_CASE("render_inspect_json: every member SPEC section 8 names, nulls when unknown",
          "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    NodeSpec manager;
    manager.role = NodeRole::manager;
    Node n = simple_node(tmp / "m", root, manager);
    InspectReport report = inspect_nodes({n.dir.string(), (tmp / "missing").string()}, {}, kNow);
    std::string text = render_inspect_json(report);
    auto doc = nlohmann::json::parse(text);
    CHECK(text.rfind("{\n  \"schema\": ", 0) == 0);  // first, as the conventions ask
    CHECK(doc["schema"] == "swarmpki.inspect/v1");
    CHECK(doc["evaluated_at"] == "2026-11-28T22:54:07Z");
    CHECK(doc["status"] == "unknown");
    REQUIRE(doc["nodes"].size() == 2);
    const auto& node = doc["nodes"][0];
    for (const char* member :
         {"dir", "status", "error", "node", "chain", "trust_roots", "root_file_sha256",
          "join_token_digest", "rotation", "chain_verified", "key", "findings"})
        CHECK(node.contains(member));
    for (const char* member : {"id", "role", "cluster_id", "sans", "serial", "not_before",
                               "not_after", "lifetime_seconds", "remaining_seconds", "issuer",
                               "issuer_public_key_sha256", "renewal_window"})
        CHECK(node["node"].contains(member));
    CHECK(node["node"]["renewal_window"].contains("start"));
    CHECK(node["node"]["renewal_window"].contains("end"));
    CHECK(node["node"]["role"] == "manager");
    for (const char* member :
         {"kind", "subject", "issuer", "serial", "not_before", "not_after", "public_key_sha256"})
        CHECK(node["chain"][0].contains(member));
    for (const char* member :
         {"subject", "serial", "not_before", "not_after", "public_key_sha256", "key_type"})
        CHECK(node["trust_roots"][0].contains(member));
    for (const char* member : {"present", "type", "encrypted", "kek_version", "pem_headers",
                               "matches_certificate", "mode"})
        CHECK(node["key"].contains(member));
    CHECK(node["rotation"]["state"] == "none");
    CHECK(node["key"]["pem_headers"] == nlohmann::json({"kek-version", "raft-dek"}));
    CHECK(node["join_token_digest"].get<std::string>().size() == 50);

    const auto& missing = doc["nodes"][1];
    CHECK(missing["status"] == "unknown");
    CHECK(missing["error"].is_string());
    CHECK(missing["node"].is_null());
    CHECK(missing["rotation"].is_null());
    CHECK(missing["chain_verified"].is_null());
    CHECK(missing["key"]["matches_certificate"].is_null());
    CHECK(doc["fleet"]["nodes"] == 2);

    // The raft DEK header value and the key's base64 never appear.
    CHECK(text.find(kRaftDek) == std::string::npos);
    std::string key_pem = read_text(n.dir / "swarm-node.key");
    std::string key_line = key_pem.substr(key_pem.find("\n\n") + 2, 40);
    CHECK(text.find(key_line) == std::string::npos);
    std::string card = render_inspect_text(report, TextColor::no);
    CHECK(card.find(kRaftDek) == std::string::npos);
    CHECK(card.find(key_line) == std::string::npos);
}

TEST_CASE("render_inspect_text: a compact card, colour only when asked", "[inspect]") {
    TempDir tmp;
    RootCa root = create_root({}, kNow);
    Node n = simple_node(tmp / "n", root);
    ::chmod((n.dir / "swarm-node.key").c_str(), 0640);
    InspectReport report = inspect_nodes({n.dir.string()}, {}, kNow);
    std::string plain = render_inspect_text(report, TextColor::no);
    CHECK(plain.find('\x1b') == std::string::npos);
    CHECK(plain.rfind(n.dir.string() + "  WARNING\n", 0) == 0);
    for (const char* label :
         {"\n  node       ", "\n  issuer     ", "\n  valid      ", "\n  renewal    ",
          "\n  trust root ", "\n  root file  ", "\n  rotation   none\n",
          "\n  chain      leaf: verified\n",
          "\n  key        ecdsa-p256, not encrypted, matches certificate, 0640 root",
          "\n  findings   warning  key-permissions: "})
        CHECK(plain.find(label) != std::string::npos);
    CHECK(plain.find("(in 89 days)") != std::string::npos);  // NotAfter = round(now) + 90d
    std::string coloured = render_inspect_text(report, TextColor::yes);
    CHECK(coloured.find("\x1b[33mWARNING\x1b[0m") != std::string::npos);
}
