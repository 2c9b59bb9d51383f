// Two readers decide where a node stands in a CA rotation: inspect, over parsed certificates and
// verified paths, and the expiry scan, over the light records of its fast path (key identifiers,
// names, a cached signature check). Operators see both (inspect's `rotation.state`, expiry's
// `swarmpki_rotation_in_progress`), so they must not disagree. These tests hold the two side by
// side on every engine fixture and on shapes the engine writes and does not write, and pin the
// one answer (rotation_state.hpp decides for both), a leaf with a broken signature included.
#include "support.hpp"
#include "test_node_writer.hpp"

#include "swarmpki/expiry.hpp"
#include "swarmpki/inspect.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace swarmpki;
using namespace swarmpki::test;
namespace fs = std::filesystem;

namespace {

std::string by_inspect(const fs::path& dir, Instant at) {
    NodeReport report = inspect_node(dir.string(), {}, at);
    return report.rotation ? std::string(to_string(*report.rotation)) : "unknown";
}

std::string by_expiry(const fs::path& dir, Instant at) {
    ExpiryOptions options;
    options.at = at;
    options.threads = 1;
    std::vector<std::string> paths{dir.string()};
    ExpiryReport report = evaluate_expiry(plan_scan(paths), options);
    REQUIRE(report.directories.size() == 1);
    return std::string(to_string(report.directories[0].rotation));
}

// Both readers' verdicts, checked equal; returns the shared one.
std::string agreed_state(const fs::path& dir, Instant at) {
    std::string inspected = by_inspect(dir, at);
    INFO(dir.string());
    CHECK(by_expiry(dir, at) == inspected);
    return inspected;
}

// A root re-issued from the same key (new serial and validity), which is not a rotation.
Certificate reissued_root(const RootCa& root, Instant at) {
    return create_root_certificate(root.key, "swarm-ca", kRootLifetime, at);
}

}  // namespace

TEST_CASE("inspect and expiry agree on the rotation state of every engine fixture node",
          "[rotation][expiry][inspect][conformance]") {
    auto fixtures = fixtures_dir();
    if (!fixtures) {
        note_fixtures_missing();
        return;
    }
    std::size_t nodes = 0, in_progress = 0, completed = 0;
    for (const auto& scenario : fs::directory_iterator(*fixtures)) {
        fs::path certificates = scenario.path() / "certificates";
        if (!fs::is_directory(certificates)) continue;
        Instant at = *parse_rfc3339(fixture_captured_at(scenario.path().filename().string()));
        for (const auto& node : fs::directory_iterator(certificates)) {
            if (!fs::exists(node.path() / "swarm-node.crt")) continue;
            std::string state = agreed_state(node.path(), at);
            ++nodes;
            in_progress += state == "in-progress" ? 1 : 0;
            completed += state == "completed" ? 1 : 0;
        }
    }
    // The fixtures hold both rotation phases; a walk that found neither would prove nothing.
    CHECK(nodes >= 10);
    CHECK(in_progress >= 1);
    CHECK(completed >= 1);
}

TEST_CASE("inspect and expiry agree on rotation shapes the engine writes and does not write",
          "[rotation][expiry][inspect]") {
    TempDir tmp;
    const Instant at = kNodeIssuedAt;
    RootCa old_root = create_root({}, at);
    RootCa new_root = create_root({}, at);
    Certificate cross = cross_sign(new_root.certificate, old_root.certificate, old_root.key);

    SECTION("the engine's shapes") {
        Node before = simple_node(tmp / "before", old_root);
        CHECK(agreed_state(before.dir, at) == "none");
        Node mid = write_node(tmp / "mid", old_root.certificate, cross, new_root.key, {cross});
        CHECK(agreed_state(mid.dir, at) == "in-progress");
        Node done = write_node(tmp / "done", new_root.certificate, new_root.certificate,
                               new_root.key, {cross});
        CHECK(agreed_state(done.dir, at) == "completed");
        Node renewed = simple_node(tmp / "renewed", new_root);
        CHECK(agreed_state(renewed.dir, at) == "none");
    }
    SECTION("a rotation away from an operator's root (the cross-signed issuer is not swarm-ca)") {
        RootOptions named;
        named.common_name = "Example Corp Swarm Root";
        RootCa operator_root = create_root(named, at);
        Certificate away = cross_sign(new_root.certificate, operator_root.certificate,
                                      operator_root.key);
        Node mid = write_node(tmp / "mid", operator_root.certificate, away, new_root.key, {away});
        CHECK(agreed_state(mid.dir, at) == "in-progress");
        Node done = write_node(tmp / "done", new_root.certificate, new_root.certificate,
                               new_root.key, {away});
        CHECK(agreed_state(done.dir, at) == "completed");
    }
    SECTION("a root file bundling the old and the new root, mid-rotation leaf") {
        Node n = write_node(tmp / "both", old_root.certificate, cross, new_root.key, {cross});
        write_text(n.dir / "swarm-root-ca.crt",
                   old_root.certificate.to_pem() + new_root.certificate.to_pem());
        agreed_state(n.dir, at);
    }
    SECTION("the new key's leaf without the cross-signed certificate it needs") {
        Node n = write_node(tmp / "bare", old_root.certificate, cross, new_root.key);
        CHECK(agreed_state(n.dir, at) == "none");
    }
    SECTION("a leaf under the old root with a stray cross-signed certificate bundled") {
        Node n = write_node(tmp / "stray", old_root.certificate, old_root.certificate, old_root.key,
                            {cross});
        CHECK(agreed_state(n.dir, at) == "none");
    }
    SECTION("another swarm's trust root") {
        RootCa foreign = create_root({}, at);
        Node n = write_node(tmp / "foreign", foreign.certificate, cross, new_root.key, {cross});
        CHECK(agreed_state(n.dir, at) == "none");
    }
    SECTION("a bundled copy of the trust root, byte for byte, is no rotation") {
        Node n = write_node(tmp / "copy", new_root.certificate, new_root.certificate, new_root.key,
                            {new_root.certificate});
        CHECK(agreed_state(n.dir, at) == "none");
    }
    SECTION("a bundled root re-issued from the trust root's key is self-signed: no rotation") {
        Certificate again = reissued_root(new_root, at + Seconds(120));
        REQUIRE(again.same_public_key(new_root.certificate));
        REQUIRE(again.to_pem() != new_root.certificate.to_pem());
        Node n = write_node(tmp / "reissued", new_root.certificate, new_root.certificate,
                            new_root.key, {again});
        CHECK(agreed_state(n.dir, at) == "none");
    }
    SECTION("a leaf whose signature is broken: one answer, by what it declares; the chain fails") {
        // rotation_state.hpp places a leaf by its AKI and issuer name (the expiry scan cannot pay
        // a verification per node); inspect's chain verification refuses it, critical.
        Node n = write_node(tmp / "tampered", old_root.certificate, cross, new_root.key, {cross});
        Bytes der = n.leaf.der();
        der[der.size() - 3] ^= 0x01;  // inside the signature value
        Certificate tampered = Certificate::from_der(der, "tampered");
        REQUIRE_FALSE(tampered.signature_verified_by(cross));
        write_text(n.dir / "swarm-node.crt", tampered.to_pem() + cross.to_pem());
        NodeReport inspected = inspect_node(n.dir.string(), {}, at);
        CHECK(inspected.chain_verified == false);
        CHECK(inspected.severity == Severity::critical);
        CHECK(by_inspect(n.dir, at) == "in-progress");
        CHECK(by_expiry(n.dir, at) == "in-progress");
    }
}
