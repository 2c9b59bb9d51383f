// Pieces of the rotation simulator shared by its files. Not public: see swarmpki/rotation.hpp.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "pki/swarm/rotation_internal.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "../crypto/ca_issuing.hpp"
#include "swarmpki/ca.hpp"
#include "swarmpki/encoding.hpp"
#include "swarmpki/rotation.hpp"
#include "swarmpki/threads.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace swarmpki::rotation_detail {

// One simulated node, kept small: at ten thousand nodes only DER and a few flags stay in memory.
struct SimNode {
    std::string id;
    NodeRole role = NodeRole::worker;
    bool offline = false;
    bool removed = false;     // `docker node rm` while down: stranded
    bool renewed = false;     // holds a leaf from the new key plus the cross-signed cert
    std::uint8_t issuer = 0;  // index into the simulator's table of issuer public keys
    std::uint32_t batch = 0;  // reconciler tick that marked it
    double renewed_at = -1;   // engine seconds since the rotation started; -1: never
    // The node's current leaf and key. Before it renews, both stay empty until something observes
    // its pre-rotation credentials (StartingCluster::credentials builds them): read them only
    // through that accessor.
    Bytes leaf_der;
    std::string key_pem;  // only when the final state is written out
};

// Keys, signatures and verifications actually computed, from every thread. A verification is one
// signature check (a node's check of its new leaf, the cross-signature, a rotation link) or one
// chain verification (verify_chain, which checks the signature of every link it tries: one to
// three in the simulator's chains); the mTLS class checks count theirs in MtlsOutcome.
struct OperationCounters {
    std::atomic<std::uint64_t> keygen{0}, sign{0}, verify{0};
};

// The cluster as it stood before the rotation, materialised on demand. A real cluster already
// holds its nodes' pre-rotation certificates; the simulation has to create only the ones it
// observes. A node's starting credentials (its own fresh key and a leaf really signed by the old
// root, issued when the cluster was set up) are built the first time something looks at them:
// an mTLS class check that picks the node to present its old leaf, a stranded node's rejection by
// the new root, or --out writing a node that never renewed. A node that renews before anything
// looks at its old leaf never gets one; its renewal, and every count, is as before.
// Nothing in a starting leaf comes from the seeded generator (IDs are drawn up front; keys and
// serials are random anyway), so when and in which order they are built changes no value.
class StartingCluster {
public:
    // Borrows the old root, its key and the counters; they must outlive this.
    StartingCluster(const Certificate& old_root, const PrivateKey& old_key, Instant issued_at,
                    std::string cluster_id, bool keep_keys, OperationCounters& counters);
    ~StartingCluster();
    StartingCluster(const StartingCluster&) = delete;
    StartingCluster& operator=(const StartingCluster&) = delete;

    // The node's credentials as they are now: its renewed leaf once it has one, otherwise its
    // pre-rotation leaf and key, built on the first call. Thread-safe: calls for different nodes
    // build in parallel (each thread with its own key generator, builder and signer), a node's
    // leaf is built once. Must not run while the node itself is renewing.
    const SimNode& credentials(SimNode& node);

private:
    struct Maker;  // one thread's key generator, leaf builder and signer
    std::unique_ptr<Maker> take_maker();
    void return_maker(std::unique_ptr<Maker> maker);
    std::mutex& lock_for(const SimNode& node);

    NodeCertificateIssuer issuer_;
    Instant issued_at_;
    std::string cluster_id_;
    bool keep_keys_;
    OperationCounters& counters_;
    std::mutex makers_lock_;
    std::vector<std::unique_ptr<Maker>> idle_makers_;
    std::array<std::mutex, 64> node_locks_;  // striped by node address
};

// A node's check of the signature on a certificate it has just been given, against the public
// key of the certificate that signed it. The signed part, the algorithm and the signature are read
// with OpenSSL's DER reader from the bytes the node stores; the digest and the verification context
// are prepared once per thread and per signature algorithm (X509_verify would fetch and set up a
// DigestVerify context and re-encode the TBS for every certificate). Not thread-safe.
class LeafSignatureCheck {
public:
    explicit LeafSignatureCheck(const Certificate& issuer);  // borrowed; must outlive this
    // Empty when the signature verifies under the issuer's key; otherwise the reason.
    std::string refusal(const Bytes& der);

private:
    void prepare(int signature_nid);

    const Certificate& issuer_;
    int signature_nid_ = 0;  // NID_undef until the first certificate
    ossl::UniquePtr<EVP_PKEY_CTX> verify_context_;
    ossl::UniquePtr<EVP_MD_CTX> digest_context_;
};

// The engine's reconciler, as a schedule (ca/reconciler.go; timings from DOMAIN.md section 11).
inline constexpr double kTickSeconds = 3.0;
inline constexpr std::size_t kBatchSize = 30;
inline constexpr double kRenewMin = 0.65, kRenewMax = 0.80;
inline constexpr double kFinishSeconds = 0.15;

struct EngineSchedule {
    std::vector<std::size_t> first_batch;    // online nodes renewing after the first marking
    std::vector<std::size_t> later_batches;  // the other online nodes
    double first_batch_done = 0;
    double last_renewal = 0;
    double blocked_seen_at = -1;  // the tick that found only down nodes left; -1 if never
    double completed_at = -1;     // rotation finished; -1 when blocked forever
    std::size_t ticks = 0;
};

// Marks nodes 30 per 3 s tick in the reconciler's (random, seeded) order; sets renewed_at and
// batch on each online node; down nodes take a batch slot and never renew.
EngineSchedule plan_engine_schedule(std::vector<SimNode>& nodes, bool remove_offline,
                                    std::mt19937_64& rng);

// swarmkit raft.go lostQuorumMessage: every control-API call on a swarm without a leader.
inline constexpr const char* kNoLeaderMessage =
    "The swarm does not have a leader. It's possible that too few managers are online. Make sure "
    "more than half of the managers are online.";

// The report's reason when `docker swarm ca --rotate` cannot start: no leader.
RotationNotStarted no_leader(const RaftQuorum& quorum, std::vector<std::string> down_managers);

// Runs body(state, i) for i in [0, count) on thread_count(threads) workers (0: every core), each
// with its own state made by make_state() on that worker (key generators and signing contexts
// are not thread-safe). The pool is the expiry scan's (parallel_for_workers), handing out chunks
// of kChunk indices; the first exception stops the others and is rethrown here.
template <typename MakeState, typename Body>
void parallel_for_each(std::size_t count, unsigned threads, MakeState make_state, Body body) {
    constexpr std::size_t kChunk = 8;
    std::size_t chunks = (count + kChunk - 1) / kChunk;
    std::vector<std::optional<decltype(make_state())>> states(workers_for(chunks, threads));
    std::atomic<bool> stop{false};
    std::exception_ptr failure;
    std::mutex failure_lock;
    parallel_for_workers(chunks, threads, [&](std::size_t chunk, unsigned worker) {
        if (stop.load(std::memory_order_relaxed)) return;
        try {
            auto& state = states[worker];
            if (!state) state.emplace(make_state());
            std::size_t begin = chunk * kChunk;
            for (std::size_t i = begin; i < std::min(count, begin + kChunk); ++i) body(*state, i);
        } catch (...) {
            std::lock_guard<std::mutex> guard(failure_lock);
            if (!failure) failure = std::current_exception();
            stop = true;
        }
    });
    if (failure) std::rethrow_exception(failure);
}

}  // namespace swarmpki::rotation_detail

#include "swarmpki/peer_verify.hpp"

namespace swarmpki::rotation_detail {

// What one node presents and trusts, for the mutual-TLS checks between classes of nodes.
PeerMaterial material_for(const SimNode& node, const std::string& class_name,
                          const Certificate* intermediate, const Certificate& trust_root,
                          const std::string& cluster_id);

struct MtlsOutcome {
    std::size_t verifications = 0;  // checks judged (four per pair of nodes)
    std::size_t failures = 0;
    // Verifications computed, for crypto.verify: one per distinct (presenter, trust store) chain
    // verified, plus, per refused direction, the chain verifications and signature checks of its
    // diagnosis (DirectionCheck::diagnosis_verifications). A chain verification counts once
    // however many signatures it tries.
    std::uint64_t crypto_verifications = 0;
    std::vector<std::string> failure_details;
};

// Every pair of representatives (each with itself too) in both directions and both TLS roles,
// each presenter's chain verified once per distinct trust store, each refusal diagnosed once per
// direction.
MtlsOutcome check_mutual_tls(const std::vector<PeerMaterial>& representatives, Instant at);

}  // namespace swarmpki::rotation_detail
