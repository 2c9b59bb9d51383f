// verify_peers on the engine's own node directories: same swarm, different swarms, a rotation in
// progress with an offline worker, the worker left behind after the rotation, and a chain that
// lost its intermediate.
#include "support.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/peer_verify.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace swarmpki;
using swarmpki::test::fixtures_dir;
namespace fs = std::filesystem;

namespace {

Instant captured(const std::string& scenario) {
    return *parse_rfc3339(swarmpki::test::fixture_captured_at(scenario));
}

PeerMaterial node(const std::string& scenario, const std::string& name) {
    return load_peer_material((*fixtures_dir() / scenario / "certificates" / name).string());
}

std::string codes(const PeerVerdict& v) {
    std::string out;
    for (const PeerCheck& c : v.checks) out += (c.accepted ? "ok" : c.code) + " ";
    return out;
}

}  // namespace

TEST_CASE("nodes of the same swarm accept each other both ways", "[peer_verify][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    for (const char* scenario :
         {"worker", "external-root", "second-manager", "rotation-complete"}) {
        INFO(scenario);
        PeerVerdict v = verify_peers(node(scenario, "manager1"), node(scenario, "worker1"),
                                     captured(scenario));
        CHECK(codes(v) == "ok ok ok ok ");
        CHECK(v.accepted);
        CHECK(v.severity == Severity::ok);
        REQUIRE(v.checks.size() == 4);
        CHECK(v.checks[0].presenter_role == TlsRole::client);
        CHECK(v.checks[1].presenter_role == TlsRole::server);
        CHECK(v.checks[0].path.size() >= 2);
    }
}

TEST_CASE("nodes of different swarms refuse each other", "[peer_verify][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    PeerVerdict v = verify_peers(node("init-manager", "manager1"), node("external-root", "worker1"),
                                 captured("external-root"));
    CHECK_FALSE(v.accepted);
    CHECK(v.severity == Severity::critical);
    CHECK(codes(v) == "different-swarm different-swarm different-swarm different-swarm ");
    CHECK(v.checks[0].reason.find("root keys differ") != std::string::npos);
}

TEST_CASE("mid-rotation: the manager's new-key leaf and the offline worker still agree",
          "[peer_verify][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    // The manager presents [leaf signed by the new key][new root cross-signed by the old];
    // both still trust the old root. The worker reaches the old root through the cross-signed
    // certificate (the engine's pairwise check; plain OpenSSL refuses it); the manager accepts
    // the worker's old-root leaf directly. So the engine lets them talk.
    PeerVerdict v = verify_peers(node("rotation-in-progress", "manager1"),
                                 node("rotation-in-progress", "worker1"),
                                 captured("rotation-in-progress"));
    CHECK(codes(v) == "ok ok ok ok ");
    CHECK(v.checks[2].path.size() == 3);  // the worker verifying the manager: leaf, cross, root
}

TEST_CASE("after the rotation, a worker left on the old root is refused and told why",
          "[peer_verify][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    PeerMaterial manager = node("rotation-complete", "manager1");
    PeerMaterial stale = node("rotation-in-progress", "worker1");
    PeerVerdict v = verify_peers(manager, stale, captured("rotation-complete"));
    // The manager (new root) refuses the stale worker's old-root leaf; the worker still accepts
    // the manager, whose bundled cross-signed certificate reaches the old root.
    CHECK(codes(v) == "old-root old-root ok ok ");
    CHECK(v.checks[0].reason.find(stale.dir + " (worker peelc06i0vy3d0uixcoe9whc8) is still on "
                                              "the old root") == 0);

    // Once the manager's leaf is re-issued without the intermediate (autolock re-issued it), the
    // stale worker refuses the manager too, and is told that it is the one left behind... when
    // something still links the roots. Here nothing does, so it is a different root.
    PeerVerdict later = verify_peers(node("autolock", "manager1"), stale, captured("autolock"));
    CHECK(codes(later) == "different-swarm different-swarm different-swarm different-swarm ");
    CHECK(later.checks[2].reason.find("both name cluster 45dwjg326020dkgqtum4kdw4o") !=
          std::string::npos);
}

TEST_CASE("one chain verdict and one diagnosis per direction, judged in both roles",
          "[peer_verify][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    PeerMaterial manager = node("rotation-complete", "manager1");
    PeerMaterial stale = node("rotation-in-progress", "worker1");
    DirectionCheck d = check_presented_chain(manager, stale, captured("rotation-complete"));
    CHECK(d.as_client.presenter_role == TlsRole::client);
    CHECK(d.as_server.presenter_role == TlsRole::server);
    CHECK(d.as_client.code == "old-root");
    CHECK(d.as_server.code == "old-root");
    CHECK(d.as_client.reason == d.as_server.reason);
    // Diagnosed once: the worker's leaf with the manager's cross-signed certificate pooled in,
    // then against the worker's own (old) root, then the rotation link: the cross-signed
    // certificate carries the manager's root key and its signature is the old root's.
    CHECK(d.diagnosis_verifications == 3);

    DirectionCheck back = check_presented_chain(stale, manager, captured("rotation-complete"));
    CHECK(back.as_client.accepted);
    CHECK(back.as_server.accepted);
    CHECK(back.as_client.path.size() == 3);  // leaf, cross-signed certificate, old root
    CHECK(back.diagnosis_verifications == 0);
}

TEST_CASE("a chain that lost its intermediate", "[peer_verify][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    swarmpki::test::TempDir tmp;
    fs::path copy = swarmpki::test::copy_node_dir("rotation-in-progress", "manager1", tmp.path());
    PeerMaterial full = node("rotation-in-progress", "manager1");
    swarmpki::test::write_text(copy / "swarm-node.crt", full.chain[0].to_pem());
    PeerMaterial stripped = load_peer_material(copy.string());
    PeerVerdict v = verify_peers(full, stripped, captured("rotation-in-progress"));
    CHECK(codes(v) == "missing-intermediate missing-intermediate ok ok ");
    CHECK(v.checks[0].reason.find("needs an intermediate it does not carry") != std::string::npos);
}

TEST_CASE("expired and not-yet-valid refusals", "[peer_verify][conformance]") {
    if (!fixtures_dir()) return swarmpki::test::note_fixtures_missing();
    PeerMaterial m = node("cert-expiry-1h", "manager1");
    PeerMaterial w = node("cert-expiry-1h", "worker1");
    PeerVerdict late = verify_peers(m, w, *parse_rfc3339("2026-11-29T01:00:00Z"));
    CHECK(codes(late) == "expired expired expired expired ");
    PeerVerdict early = verify_peers(m, w, *parse_rfc3339("2026-11-28T20:00:00Z"));
    CHECK(codes(early) == "not-yet-valid not-yet-valid not-yet-valid not-yet-valid ");
}

TEST_CASE("load_peer_material names the file that is missing", "[peer_verify]") {
    swarmpki::test::TempDir tmp;
    try {
        load_peer_material(tmp.str());
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find(tmp.str() + "/swarm-node.crt") == 0);
    }
    CHECK_THROWS_AS(load_peer_material((tmp / "nope").string()), Error);
}
