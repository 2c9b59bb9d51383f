// The rotation simulator as a library: the engine's schedule, convergence, blocking, stranding,
// tokens and the engine's refusals of an operator's root.
#include "support.hpp"

#include "rotation_internal.hpp"
#include "swarmpki/ca.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/rotation.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;
using namespace swarmpki::test;

namespace {

const Instant kNow = *parse_rfc3339("2026-11-28T22:54:07Z");

RotationOptions small_cluster(std::size_t managers, std::size_t workers, std::size_t offline = 0) {
    RotationOptions o;
    o.managers = managers;
    o.workers = workers;
    o.offline = offline;
    o.seed = 42;
    o.now = kNow;
    o.threads = 2;
    return o;
}

std::size_t total_failures(const RotationReport& r) {
    std::size_t n = 0;
    for (const auto& p : r.phases) n += p.failures;
    return n;
}

const SimulatedPhase* phase(const RotationReport& r, const std::string& name) {
    for (const auto& p : r.phases)
        if (p.name == name) return &p;
    return nullptr;
}

PemInput pem(const Certificate& c, const char* name) { return PemInput{c.to_pem(), name}; }
PemInput pem(const PrivateKey& k, const char* name) { return PemInput{encode_sec1_pem(k), name}; }

// A simulated node with a fresh key and a leaf from `signer` (a root, or the cross-signed
// certificate with the new root's key).
rotation_detail::SimNode sim_node(const Certificate& signer, const PrivateKey& signer_key,
                                  const char* id, NodeRole role) {
    NodeCertificateIssuer issuer(signer, signer_key, kDefaultNodeCertExpiry);
    PrivateKey key = KeyGenerator().generate();
    rotation_detail::SimNode n;
    n.id = id;
    n.role = role;
    n.leaf_der = issuer.issue({id, role, "cluster"}, key.get0(), kNow).der();
    return n;
}

}  // namespace

TEST_CASE("engine schedule: 30 nodes per 3 s tick, completion 0.15 s after the converged tick",
          "[rotation]") {
    using namespace rotation_detail;
    std::mt19937_64 rng(1);
    std::vector<SimNode> nine(9);
    EngineSchedule small = plan_engine_schedule(nine, false, rng);
    CHECK(small.first_batch.size() == 9);
    CHECK(small.completed_at == Approx(3.15));  // measured on 20.10.24: about 3.15 s for 1-9 nodes
    CHECK(small.first_batch_done >= kRenewMin);
    CHECK(small.first_batch_done <= kRenewMax);

    std::vector<SimNode> hundred(100);
    EngineSchedule big = plan_engine_schedule(hundred, false, rng);
    CHECK(big.first_batch.size() == 30);
    CHECK(big.later_batches.size() == 70);
    CHECK(big.completed_at == Approx(12.15));  // marked at 0, 3, 6, 9; converged at the 12 s tick
    for (const SimNode& n : hundred) CHECK(n.renewed_at < 3.0 * n.batch + kRenewMax + 1e-9);

    std::vector<SimNode> with_down(40);
    with_down[5].offline = true;
    EngineSchedule blocked = plan_engine_schedule(with_down, false, rng);
    CHECK(blocked.completed_at < 0);
    CHECK(blocked.blocked_seen_at == Approx(6.0));
    CHECK(with_down[5].renewed_at < 0);
    std::vector<SimNode> removed(40);
    removed[5].offline = true;
    EngineSchedule after_rm = plan_engine_schedule(removed, true, rng);
    CHECK(after_rm.completed_at == Approx(9.15));  // removed after the 6 s tick, done at the next
}

TEST_CASE("rotation converges with every node online", "[rotation]") {
    RotationReport r = simulate_rotation(small_cluster(3, 10));
    CHECK_FALSE(r.refusal);
    CHECK(r.converged);
    CHECK(r.blocked_by.empty());
    CHECK(r.stranded.empty());
    CHECK_FALSE(r.old_token_accepted_after);
    CHECK(total_failures(r) == 0);
    CHECK(r.failure_details.empty());
    CHECK(rotation_status(r) == "ok");
    CHECK(rotation_exit_code(r) == ExitCode::ok);
    CHECK(r.engine_seconds == Approx(3.15).margin(0.01));
    // Two roots; per node the key and leaf of its renewal; the starting (pre-rotation) leaves of
    // the two nodes the class checks pick to present one (a manager and a worker: every node
    // renews in the first batch, so only the initial-cluster check sees old leaves); the
    // cross-signed certificate.
    CHECK(r.crypto.keygen == 2 + 13 + 2);
    CHECK(r.crypto.sign == 2 + 13 + 2 + 1);
    CHECK(r.crypto.verify >= 13);
    REQUIRE(phase(r, "trust-root-switch"));
    CHECK(phase(r, "trust-root-switch")->verifications >= 13);
    CHECK(phase(r, "renewal-first-batch")->verifications >
          13);  // per-node checks plus mTLS classes
    CHECK(r.old_root_public_key_sha256 != r.new_root_public_key_sha256);
}

TEST_CASE("starting leaves are built only for the nodes whose old leaf is observed", "[rotation]") {
    // 2 managers and 78 workers, all online: 30 renew in the first batch, 50 later. Old leaves are
    // observed only by the class checks of initial-cluster and renewal-first-batch (one manager
    // and one worker of the old-leaf class each; the same node may serve both times). Without
    // --out nothing else looks at them.
    RotationReport r = simulate_rotation(small_cluster(2, 78));
    REQUIRE(r.converged);
    CHECK(total_failures(r) == 0);
    std::uint64_t starting = r.crypto.keygen - 2 - 80;  // minus the roots and the renewals
    CHECK(starting >= 2);
    CHECK(starting <= 4);
    CHECK(r.crypto.sign == 2 + 80 + starting + 1);  // + the cross-signed certificate
    // Each renewing node still checks its new leaf: 80 verifications at least.
    CHECK(r.crypto.verify >= 80);
    CHECK(phase(r, "renewal-first-batch")->verifications > 30);
    CHECK(phase(r, "renewal-later-batches")->verifications > 50);

    // Down nodes never renew: each one the class checks or the stranding looks at gets its leaf.
    RotationOptions o = small_cluster(1, 5, 3);  // the down nodes are workers (the leader stays up)
    o.remove_offline = true;
    RotationReport stranded = simulate_rotation(o);
    REQUIRE(stranded.stranded.size() == 3);
    // Roots, 3 renewals, the old-leaf manager and worker, and the 3 removed nodes (each refused
    // by the new root with its real old-root leaf).
    CHECK(stranded.crypto.keygen == 2 + 3 + 2 + 3);
    for (const StrandedNode& s : stranded.stranded)
        CHECK(s.reason.find("unknown-authority") != std::string::npos);
}

TEST_CASE("down nodes block the rotation forever", "[rotation]") {
    RotationReport r = simulate_rotation(small_cluster(3, 20, 2));
    CHECK_FALSE(r.converged);
    CHECK(r.blocked_by.size() == 2);
    CHECK(r.stranded.empty());
    CHECK(r.old_token_accepted_after);  // the cluster never switched
    CHECK(total_failures(r) == 0);      // every class still accepts every other class
    CHECK_FALSE(phase(r, "trust-root-switch"));
    CHECK(rotation_status(r) == "critical");
    CHECK(rotation_exit_code(r) == ExitCode::critical);
}

TEST_CASE("--remove-offline strands the down nodes and the rotation completes", "[rotation]") {
    RotationOptions o = small_cluster(3, 20, 2);
    o.remove_offline = true;
    RotationReport r = simulate_rotation(o);
    CHECK(r.converged);
    CHECK(r.blocked_by.empty());
    REQUIRE(r.stranded.size() == 2);
    CHECK(r.stranded[0].reason.find("docker swarm leave --force") != std::string::npos);
    CHECK(r.stranded[0].reason.find("unknown-authority") != std::string::npos);
    CHECK_FALSE(r.old_token_accepted_after);
    CHECK(total_failures(r) == 0);
    CHECK(rotation_exit_code(r) == ExitCode::warning);
    CHECK(r.engine_seconds ==
          Approx(6.15).margin(0.01));  // blocked at the 3 s tick, removed, done at 6
}

TEST_CASE("--seed makes IDs, down nodes and engine time reproducible; keys stay random",
          "[rotation]") {
    RotationReport a = simulate_rotation(small_cluster(2, 40, 3));
    RotationReport b = simulate_rotation(small_cluster(2, 40, 3));
    CHECK(a.cluster_id == b.cluster_id);
    CHECK(a.blocked_by == b.blocked_by);
    CHECK(a.engine_seconds == b.engine_seconds);
    CHECK(a.new_root_public_key_sha256 != b.new_root_public_key_sha256);
    RotationOptions other = small_cluster(2, 40, 3);
    other.seed = 43;
    CHECK(simulate_rotation(other).cluster_id != a.cluster_id);
}

TEST_CASE("bad cluster shapes are errors, not reports", "[rotation]") {
    CHECK_THROWS_AS(simulate_rotation(small_cluster(0, 5)), Error);
    CHECK_THROWS_AS(simulate_rotation(small_cluster(1, 2, 3)), Error);  // the leader stays up
    RotationOptions short_expiry = small_cluster(1, 1);
    short_expiry.cert_expiry = Seconds(1800);
    CHECK_THROWS_AS(simulate_rotation(short_expiry), Error);
}

TEST_CASE("the engine's refusals of an operator root, in its words", "[rotation]") {
    RootCa current = create_root({}, kNow - Seconds(86400));
    RootCa other = create_root({}, kNow);
    auto refused = [&](const PemInput& cert, const PemInput& key) {
        auto r = check_desired_root(cert, key, current.certificate, kNow);
        REQUIRE(r.has_value());
        return *r;
    };

    Certificate short_lived = create_root_certificate(other.key, "swarm-ca", Seconds(300 * 86400),
                                                      kNow);
    CHECK(refused(pem(short_lived, "short.crt"), pem(other.key, "k")).message ==
          "CA certificate expires too soon");

    CHECK(refused(pem(other.certificate, "a.crt"), pem(current.key, "b.key")).message ==
          "certificate key mismatch");

    RotationRefusal two = refused(
        PemInput{other.certificate.to_pem() + current.certificate.to_pem(), "two.crt"},
        pem(other.key, "k"));
    CHECK(two.message == "the desired CA certificate cannot contain multiple certificates");
    CHECK(two.engine_error == "Error response from daemon: rpc error: code = InvalidArgument desc "
                              "= the desired CA certificate "
                              "cannot contain multiple certificates");

    // Same key, same subject: newer engines refuse; 20.10 wedges (DOMAIN.md section 11).
    Certificate same_key = create_root_certificate(current.key, "swarm-ca", kRootLifetime, kNow);
    RotationRefusal wedge = refused(pem(same_key, "same.crt"), pem(current.key, "k"));
    CHECK(wedge.message == "Cannot update to a cert with an identical key");
    CHECK(wedge.hazard.find("never finishes") != std::string::npos);
    Certificate same_key_new_name = create_root_certificate(current.key, "Other Root",
                                                            kRootLifetime, kNow);
    RotationRefusal renamed = refused(pem(same_key_new_name, "renamed.crt"), pem(current.key, "k"));
    CHECK(renamed.message == "Cannot update to a cert with an identical key");
    CHECK(renamed.hazard.empty());

    CHECK(refused(PemInput{"not pem", "x.crt"}, pem(other.key, "k")).message ==
          "file contents must be in PEM format");
    CHECK(refused(pem(other.certificate, "a.crt"),
                  PemInput{other.certificate.to_pem(), "cert-as-key.pem"})
              .message.rfind("malformed private key", 0) == 0);

    CHECK_FALSE(check_desired_root(pem(other.certificate, "ok.crt"), pem(other.key, "ok.key"),
                                   current.certificate, kNow));
}

TEST_CASE("a refused root stops the simulation before any rotation work", "[rotation]") {
    RootCa desired = create_root({}, kNow);
    Certificate short_lived = create_root_certificate(desired.key, "swarm-ca", Seconds(30 * 86400),
                                                      kNow);
    RotationOptions o = small_cluster(1, 2);
    o.desired_cert = pem(short_lived, "short.crt");
    o.desired_key = pem(desired.key, "short.key");
    RotationReport r = simulate_rotation(o);
    REQUIRE(r.refusal);
    CHECK(r.refusal->message == "CA certificate expires too soon");
    CHECK(r.refusal->subject == "short.crt");
    CHECK(rotation_status(r) == "refused");
    CHECK(rotation_exit_code(r) == ExitCode::unevaluable);
    CHECK_FALSE(phase(r, "cross-sign"));
}

TEST_CASE("mTLS class checks count a node from another swarm as failures", "[rotation]") {
    using namespace rotation_detail;
    RootCa ours = create_root({}, kNow);
    RootCa theirs = create_root({}, kNow);
    SimNode a = sim_node(ours.certificate, ours.key, "a", NodeRole::manager);
    SimNode b = sim_node(ours.certificate, ours.key, "b", NodeRole::worker);
    SimNode c = sim_node(theirs.certificate, theirs.key, "c", NodeRole::manager);
    std::vector<PeerMaterial> same{material_for(a, "x", nullptr, ours.certificate, "cluster"),
                                   material_for(b, "x", nullptr, ours.certificate, "cluster")};
    MtlsOutcome fine = check_mutual_tls(same, kNow);
    CHECK(fine.verifications == 12);  // (a,a), (a,b), (b,b): four checks each
    CHECK(fine.failures == 0);
    CHECK(fine.crypto_verifications == 2);  // each leaf's chain against the one trust store, once
    same.push_back(material_for(c, "foreign", nullptr, theirs.certificate, "cluster"));
    MtlsOutcome mixed = check_mutual_tls(same, kNow);
    CHECK(mixed.failures == 8);  // c refuses and is refused by a and b, both roles
    CHECK_FALSE(mixed.failure_details.empty());
    // Three chains against two stores: a, b and c each verified once per store (6). Four
    // directions are refused (a and b judging c, c judging a and b), each diagnosed once for both
    // roles: its chain with the verifier's intermediates pooled in, then against the presenter's
    // own roots (2 each); nobody carries an intermediate, so no rotation link is checked.
    CHECK(mixed.crypto_verifications == 6 + 4 * 2);

    // The shared chain verdicts judge exactly as verify_peers does, check for check.
    std::vector<std::string> expected;
    std::size_t expected_checks = 0;
    for (std::size_t i = 0; i < same.size(); ++i)
        for (std::size_t j = i; j < same.size(); ++j)
            for (const PeerCheck& check : verify_peers(same[i], same[j], kNow).checks) {
                ++expected_checks;
                if (!check.accepted)
                    expected.push_back(check.verifier + " refuses " + check.presenter + " as " +
                                       std::string(to_string(check.presenter_role)) + ": " +
                                       check.reason);
            }
    CHECK(mixed.verifications == expected_checks);
    CHECK(mixed.failure_details == expected);
}

TEST_CASE("mTLS class checks count each refused direction's diagnosis once", "[rotation]") {
    using namespace rotation_detail;
    // After the trust-root switch: a rotated manager (new-key leaf plus the cross-signed
    // certificate, trusting the new root) and a worker left on the old root.
    RootCa old_root = create_root({}, kNow);
    RootCa new_root = create_root({}, kNow);
    Certificate cross = cross_sign(new_root.certificate, old_root.certificate, old_root.key);
    SimNode rotated = sim_node(cross, new_root.key, "r", NodeRole::manager);
    SimNode stale = sim_node(old_root.certificate, old_root.key, "s", NodeRole::worker);
    std::vector<PeerMaterial> reps{
        material_for(rotated, "rotated", &cross, new_root.certificate, "cluster"),
        material_for(stale, "old-leaf", nullptr, old_root.certificate, "cluster")};
    MtlsOutcome outcome = check_mutual_tls(reps, kNow);
    CHECK(outcome.verifications == 12);  // (r,r), (r,s), (s,s): four checks each
    // The rotated manager refuses the stale worker in both roles; the worker reaches the old
    // root through the manager's cross-signed certificate.
    CHECK(outcome.failures == 2);
    REQUIRE(outcome.failure_details.size() == 2);
    CHECK(outcome.failure_details[0].find("is still on the old root") != std::string::npos);
    // Chains: r's against the new root (r judging itself) and the old root (s judging r), s's
    // against the new root (r judging s) and the old root (s judging itself): 4. The one refused
    // direction, r judging s, is diagnosed once for both roles: s's chain with r's intermediate
    // pooled in (1), s's chain against its own old root (1), and the rotation link, the
    // cross-signed certificate's signature by the old root (1): 3.
    CHECK(outcome.crypto_verifications == 4 + 3);
}

TEST_CASE("crypto.verify counts every verification of a run with stranded nodes", "[rotation]") {
    // 1 manager and 5 workers, 3 of them down and removed: 3 renew in the first batch.
    RotationOptions o = small_cluster(1, 5, 3);
    o.remove_offline = true;
    RotationReport r = simulate_rotation(o);
    REQUIRE(r.converged);
    REQUIRE(r.stranded.size() == 3);
    CHECK(total_failures(r) == 0);
    // Each renewing node checks its new leaf (3); the cross-signature is checked once (1); each
    // stranded node's leaf is verified against the new root and refused (3). The mTLS class
    // checks verify each representative's chain once against the one root all of them trust,
    // and refuse nothing: initial-cluster old-leaf manager and worker and an offline worker (3),
    // both renewal phases a rotated manager and worker and the offline worker (3 + 3), the
    // trust-root switch the rotated pair, the removed nodes being out of every class (2).
    CHECK(r.crypto.verify == 3 + 1 + 3 + (3 + 3 + 3 + 2));
}

TEST_CASE(
    "a node's signature check accepts its leaf and refuses a tampered one or another issuer's",
    "[rotation]") {
    using rotation_detail::LeafSignatureCheck;
    RootCa root = create_root({}, kNow);
    RootCa other = create_root({}, kNow);
    RootCa rsa = create_root(
        RootOptions{CaKeyType::rsa_2048, kDefaultRootCommonName, kRootLifetime}, kNow);
    PrivateKey key = KeyGenerator().generate();
    auto leaf_der = [&](const RootCa& ca) {
        NodeCertificateIssuer issuer(ca.certificate, ca.key, kDefaultNodeCertExpiry);
        CertificateSigner signer = issuer.make_signer();
        NodeCertificateIssuer::Builder builder(issuer);
        return signer.sign_to_der(builder.build({"n1", NodeRole::worker, "c1"}, key.get0(), kNow));
    };
    Bytes good = leaf_der(root);
    LeafSignatureCheck check(root.certificate);
    CHECK(check.refusal(good).empty());
    CHECK(check.refusal(good).empty());  // the prepared context is reusable

    Bytes tampered = good;
    tampered[tampered.size() / 2] ^= 0x01;  // inside the signed part
    CHECK(check.refusal(tampered) ==
          "signature does not verify under the signing certificate's key");
    Bytes truncated(good.begin(), good.end() - 1);
    CHECK(check.refusal(truncated) == "the certificate's DER does not parse");
    CHECK(check.refusal(leaf_der(other)) ==
          "signature does not verify under the signing certificate's key");
    // An RSA-signed leaf switches the prepared algorithm; the ECDSA key cannot verify it.
    CHECK(!check.refusal(leaf_der(rsa)).empty());
    LeafSignatureCheck rsa_check(rsa.certificate);
    CHECK(rsa_check.refusal(leaf_der(rsa)).empty());
    CHECK(check.refusal(good).empty());
}
