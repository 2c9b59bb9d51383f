// The rotation simulator: a linear pipeline of the engine's phases over a simulated cluster.
//
//   initial-cluster   old root, every node with its own key and leaf (as after `swarm init`/joins);
//                     a node's starting key and leaf are built when something observes them
//                     (StartingCluster), as a real cluster already holds them
//   new-root          the engine's CreateRootCA, or the operator's root through the engine's checks
//   cross-sign        the new root signed by the old key (CrossSignCACertificate)
//   renewal-first-batch / renewal-later-batches
//                     marked nodes renew with fresh keys; leaves signed by the new key come with
//                     the cross-signed certificate; each node checks its new chain before saving
//   convergence       the reconciler's verdict on every registered node's issuer public key;
//                     down nodes block it, or are removed (--remove-offline) and stranded
//   trust-root-switch every node checks its credentials against the new root and trusts only it
//   join-tokens       new digest and new secrets; the old tokens no longer pin the cluster's root
//
// After every phase, one manager and one worker of every class of node (old leaf, rotated,
// offline) check each other in mutual TLS with real chain verification and EKU checks.
#include "swarmpki/rotation.hpp"

#include "../crypto/certificate_checks.hpp"
#include "rotation_internal.hpp"
#include "swarmpki/chain.hpp"
#include "swarmpki/decimal.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/join_token.hpp"

#include <chrono>
#include <unordered_set>

namespace swarmpki {

void write_rotation_output(const RotationOptions& options, const RotationReport& report,
                           std::vector<rotation_detail::SimNode>& nodes,
                           rotation_detail::StartingCluster& starting,
                           const std::string& old_root_pem, const std::string& old_root_key_pem,
                           const std::string& new_root_pem, const std::string& new_root_key_pem,
                           const std::string& cross_pem, const std::string& tokens_text,
                           bool switched);

namespace {

using namespace rotation_detail;
using Clock = std::chrono::steady_clock;

// The cluster existed for a day before the operator started the rotation.
constexpr Seconds kClusterAge{24 * 3600};
constexpr std::size_t kMaxFailureDetails = 20;

double since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

Instant engine_instant(Instant start, double engine_seconds) {
    return start + Seconds(floor_to_int64(engine_seconds));
}

// Renews on one worker thread: its own key generator, leaf builder, signing context and the
// node's signature check.
struct RenewalWorker {
    KeyGenerator keys;
    NodeCertificateIssuer::Builder builder;
    CertificateSigner signer;
    LeafSignatureCheck check;
};

std::string id_from(std::mt19937_64& rng) {
    std::array<std::uint8_t, 17> entropy{};
    for (auto& b : entropy) b = static_cast<std::uint8_t>(rng() & 0xff);
    return engine_id_from_entropy(entropy);
}

// The current root as given (a CA directory's files) or made as `swarm init` makes it.
struct Root {
    std::string pem;
    std::string key_pem;
    Certificate certificate;
    PrivateKey key;
};

Root load_root(const PemInput& cert, const PemInput& key) {
    PemBundle bundle = parse_pem_or_throw(cert.text, cert.name);
    std::vector<Certificate> certs = certificates_from_pem(bundle, cert.name);
    if (certs.size() != 1 || !certs.front().is_ca())
        throw Error(cert.name, "is not a single CA certificate", "give the cluster's current root");
    PemBundle key_bundle = parse_pem_or_throw(key.text, key.name);
    PrivateKey private_key = load_private_key(key_block_of(key_bundle, key.name), nullptr,
                                              key.name);
    if (!private_key.matches(certs.front()))
        throw Error(key.name, "certificate key mismatch", "give the key of " + cert.name);
    return Root{cert.text, key.text, certs.front(), std::move(private_key)};
}

// The engine's trust root as it gave it: one certificate, read for the checks on a desired root.
Certificate load_live_root(const PemInput& cert) {
    PemBundle bundle = parse_pem_or_throw(cert.text, cert.name);
    std::vector<Certificate> certs = certificates_from_pem(bundle, cert.name);
    if (certs.empty())
        throw Error(cert.name, "holds no certificate", "ask a manager of an active swarm");
    return certs.front();
}

Root make_root(Instant at, OperationCounters& counters) {
    RootCa made = create_root({}, at);
    counters.keygen += 1;
    counters.sign += 1;
    std::string pem = made.certificate.to_pem();
    std::string key_pem = encode_sec1_pem(made.key);
    return Root{std::move(pem), std::move(key_pem), std::move(made.certificate),
                std::move(made.key)};
}

// The check a node makes on a freshly issued certificate before saving it (ValidateCertChain:
// names, signature over the DER it stores, validity). The link from the cross-signed certificate
// to the trust root is the same bytes for every node and was verified once in the cross-sign
// phase. The engine's KeyReadWriter also checks that the key belongs to the certificate; here that
// holds by construction: the leaf's public key is written from the very key the node keeps
// (builder.build gets key.get0(), --out writes that key), as the --out tests confirm with
// `inspect`. Checking it per leaf is not cheap: the built leaf has no decoded key for
// X509_check_private_key, and reading the key's point again to compare it with the leaf's
// SubjectPublicKeyInfo repeats the affine conversion (one field inversion: ~5 us a leaf, some 4%
// of a node's whole renewal).
std::string node_refuses(X509* leaf, const Bytes& der, const Certificate& issuer, Instant at,
                         LeafSignatureCheck& check, OperationCounters& counters) {
    if (!cert_detail::leaf_issued_by_name(leaf, issuer))
        return "issuer name does not match the signing certificate";
    counters.verify += 1;
    if (std::string refused = check.refusal(der); !refused.empty()) return refused;
    if (!cert_detail::leaf_valid_at(leaf, at)) return "not valid at " + format_rfc3339(at);
    return {};
}

// Why a removed node cannot come back by itself, and how it rejoins in its role.
std::string stranded_reason(NodeRole role, const std::string& why) {
    bool manager = role == NodeRole::manager;
    return std::string("removed while down (") +
           (manager ? "docker node demote, then docker node rm" : "docker node rm") + "): " + why +
           " and it still trusts only the old root; run `docker swarm leave --force` on it and "
           "join again with the new " +
           to_string(role) + " token";
}

class Simulation {
public:
    explicit Simulation(const RotationOptions& options) : options_(options) {
        if (options.seed) rng_.seed(*options.seed);
        else rng_.seed(std::random_device{}());
        threads_ = thread_count(options.threads);
        report_.managers = options.managers;
        report_.workers = options.workers;
        report_.offline = options.offline;
        if (options.live) {
            report_.managers = report_.workers = report_.offline = 0;
            for (const LiveNode& n : options.live->nodes) {
                ++(n.role == NodeRole::manager ? report_.managers : report_.workers);
                if (n.offline) ++report_.offline;
            }
        }
        report_.threads = threads_;
        report_.out_dir = options.out_dir;
    }

    RotationReport run() {
        Clock::time_point start = Clock::now();
        initial_cluster();
        if (!report_.quorum.has_leader()) {
            not_started();
        } else if (desired_root()) {
            cross_sign_phase();
            EngineSchedule schedule = plan_engine_schedule(nodes_, options_.remove_offline, rng_);
            renewal("renewal-first-batch", schedule.first_batch, 0, schedule.first_batch_done);
            renewal("renewal-later-batches", schedule.later_batches, schedule.first_batch_done,
                    schedule.last_renewal);
            convergence(schedule);
            if (report_.converged) {
                trust_root_switch(schedule.completed_at);
                join_tokens();
            }
            finish_report();
            write_output();
        }
        report_.crypto = {counters_.keygen.load(), counters_.sign.load(), counters_.verify.load()};
        report_.seconds = since(start);
        if (report_.engine && report_.converged)
            report_.engine->estimated_engine_seconds = report_.engine_seconds;
        return std::move(report_);
    }

private:
    SimulatedPhase& begin_phase(const char* name) {
        report_.phases.push_back(SimulatedPhase{name, 0, 0, 0, 0});
        phase_start_ = Clock::now();
        return report_.phases.back();
    }
    void end_phase(SimulatedPhase& phase, double engine_seconds) {
        phase.seconds = since(phase_start_);
        phase.engine_seconds = engine_seconds;
        report_.engine_seconds += engine_seconds;
    }
    void fail(SimulatedPhase& phase, std::string detail) {
        ++phase.failures;
        if (report_.failure_details.size() < kMaxFailureDetails)
            report_.failure_details.push_back(phase.name + ": " + std::move(detail));
    }

    void check_classes(SimulatedPhase& phase, Instant at) {
        std::vector<PeerMaterial> reps;
        auto add_class = [&](const char* name, auto member) {
            for (NodeRole role : {NodeRole::manager, NodeRole::worker}) {
                for (SimNode& n : nodes_) {
                    if (n.role != role || !member(n)) continue;
                    const Certificate* inter = n.renewed ? &*cross_ : nullptr;
                    const Certificate& trust = switched_ && !n.removed ? new_root_->certificate
                                                                       : old_root_->certificate;
                    reps.push_back(material_for(starting_->credentials(n), name, inter, trust,
                                                report_.cluster_id));
                    break;
                }
            }
        };
        add_class("old-leaf", [](const SimNode& n) { return !n.offline && !n.renewed; });
        add_class("rotated", [](const SimNode& n) { return !n.offline && n.renewed; });
        add_class("offline", [](const SimNode& n) { return n.offline && !n.removed; });
        MtlsOutcome outcome = check_mutual_tls(reps, at);
        phase.verifications += outcome.verifications;
        counters_.verify += outcome.crypto_verifications;
        for (std::string& detail : outcome.failure_details) fail(phase, std::move(detail));
    }

    // The simulated cluster: managers first, node 0 the leader running the rotation, the down
    // nodes drawn from the others.
    void drawn_nodes() {
        std::size_t total = options_.managers + options_.workers;
        report_.cluster_id = id_from(rng_);
        nodes_.resize(total);
        for (std::size_t i = 0; i < total; ++i) {
            nodes_[i].id = id_from(rng_);
            nodes_[i].role = i < options_.managers ? NodeRole::manager : NodeRole::worker;
        }
        std::vector<std::size_t> candidates;
        for (std::size_t i = 1; i < total; ++i) candidates.push_back(i);
        std::shuffle(candidates.begin(), candidates.end(), rng_);
        for (std::size_t k = 0; k < options_.offline; ++k) nodes_[candidates[k]].offline = true;
    }

    // The real cluster: its IDs, roles and down nodes as the cluster report decided them.
    void live_nodes() {
        const LiveCluster& live = *options_.live;
        report_.cluster_id = live.cluster_id;
        nodes_.resize(live.nodes.size());
        for (std::size_t i = 0; i < live.nodes.size(); ++i) {
            nodes_[i].id = live.nodes[i].id;
            nodes_[i].role = live.nodes[i].role;
            nodes_[i].offline = live.nodes[i].offline;
        }
        report_.engine.emplace();
        report_.engine->host = live.host;
        report_.engine->api_version = live.api_version;
        report_.engine->server_version = live.server_version;
        report_.engine->stand_in = live.stand_in;
        report_.engine->trust_root_subject = live_root_->subject();
        report_.engine->trust_root_key_type = live_root_->key_type();
        report_.engine->trust_root_public_key_sha256 = live_root_->public_key_sha256();
        report_.engine->trust_root_file_sha256 = sha256_hex(live.trust_root.text);
    }

    void initial_cluster() {
        SimulatedPhase& phase = begin_phase("initial-cluster");
        std::size_t total = report_.managers + report_.workers;
        const char* subject = options_.live ? "the engine's /nodes" : "--managers";
        if (report_.managers == 0)
            throw Error(subject, "a swarm needs at least one manager",
                        options_.live ? "ask a manager of the swarm" : "give --managers 1 or more");
        if (report_.offline >= total)
            throw Error(options_.live ? subject : "--offline " + std::to_string(options_.offline),
                        "the leader that runs the rotation must stay online",
                        options_.live
                            ? "ask the engine again once the leader is back"
                            : "give at most " + std::to_string(total - 1) + " offline nodes");
        if (options_.live) live_root_ = load_live_root(options_.live->trust_root);
        Instant birth = options_.now - kClusterAge;
        old_root_ = options_.current_cert ? load_root(*options_.current_cert, *options_.current_key)
                                          : make_root(birth, counters_);
        if (options_.live) live_nodes();
        else drawn_nodes();
        report_.quorum.managers = report_.managers;
        for (const SimNode& n : nodes_)
            if (n.role == NodeRole::manager && !n.offline) ++report_.quorum.reachable;

        old_tokens_ = {generate_join_token(old_root_->pem), generate_join_token(old_root_->pem)};
        starting_.emplace(old_root_->certificate, old_root_->key, birth, report_.cluster_id,
                          options_.out_dir.has_value(), counters_);
        check_classes(phase, options_.now);
        end_phase(phase, 0);
    }

    // Renews each node of the batch on every core: a fresh key, a leaf from `issuer`, checked by
    // the node before it saves it.
    void renew_leaves(const NodeCertificateIssuer& issuer, const std::vector<std::size_t>& batch,
                      SimulatedPhase& phase) {
        bool keep_keys = options_.out_dir.has_value();
        std::mutex failures_lock;
        parallel_for_each(
            batch.size(), threads_,
            [&] {
                return RenewalWorker{KeyGenerator(), NodeCertificateIssuer::Builder(issuer),
                                     issuer.make_signer(),
                                     LeafSignatureCheck(issuer.signing_certificate())};
            },
            [&](RenewalWorker& worker, std::size_t i) {
                SimNode& node = nodes_[batch[i]];
                PrivateKey key = worker.keys.generate();
                counters_.keygen += 1;
                Instant at = engine_instant(options_.now, node.renewed_at);
                X509* leaf = worker.builder.build(
                    NodeIdentity{node.id, node.role, report_.cluster_id}, key.get0(), at);
                Bytes der = worker.signer.sign_to_der(leaf);
                counters_.sign += 1;
                std::string refusal = node_refuses(leaf, der, issuer.signing_certificate(), at,
                                                   worker.check, counters_);
                if (!refusal.empty()) {
                    std::lock_guard<std::mutex> guard(failures_lock);
                    fail(phase, "node " + node.id + " refuses its new certificate: " + refusal);
                }
                node.leaf_der = std::move(der);
                node.issuer = 1;  // the cross-signed certificate: the new root's key
                if (keep_keys) node.key_pem = encode_node_key(key);
            });
        phase.verifications += batch.size();
    }

    bool desired_root() {
        SimulatedPhase& phase = begin_phase("new-root");
        if (options_.desired_cert) {
            ++phase.verifications;
            // On the real cluster the engine checks it against its own trust root, not the
            // stand-in the crypto runs on (the same-key hazard is about the live key).
            const Certificate& current = live_root_ ? *live_root_ : old_root_->certificate;
            if (auto refusal = check_desired_root(*options_.desired_cert, *options_.desired_key,
                                                  current, options_.now)) {
                report_.refusal = std::move(*refusal);
                report_.severity = Severity::unknown;
                report_.old_root_sha256 = sha256_hex(old_root_->pem);
                report_.old_root_public_key_sha256 = old_root_->certificate.public_key_sha256();
                end_phase(phase, 0);
                return false;
            }
            new_root_ = load_root(*options_.desired_cert, *options_.desired_key);
        } else {
            new_root_ = make_root(options_.now, counters_);
        }
        end_phase(phase, 0);
        return true;
    }

    void cross_sign_phase() {
        SimulatedPhase& phase = begin_phase("cross-sign");
        cross_ = cross_sign(new_root_->certificate, old_root_->certificate, old_root_->key,
                            options_.desired_cert ? options_.desired_cert->name : "the new root");
        counters_.sign += 1;
        phase.verifications += 1;
        counters_.verify += 1;
        // The one intermediate under the old root, as nodes will present it.
        if (!issued_by(*cross_, old_root_->certificate, 1))
            fail(phase, "the cross-signed certificate does not chain to the old root");
        if (!cross_->same_public_key(new_root_->certificate))
            fail(phase, "the cross-signed certificate does not carry the new root's key");
        issuer_spkis_ = {old_root_->certificate.spki_der(), cross_->spki_der()};
        end_phase(phase, 0);
    }

    void renewal(const char* name, const std::vector<std::size_t>& batch, double from, double to) {
        SimulatedPhase& phase = begin_phase(name);
        NodeCertificateIssuer issuer(*cross_, new_root_->key, options_.cert_expiry);
        renew_leaves(issuer, batch, phase);
        for (std::size_t i : batch) nodes_[i].renewed = true;
        check_classes(phase, engine_instant(options_.now, to));
        end_phase(phase, std::max(0.0, to - from));
    }

    // No leader: `docker swarm ca --rotate` fails before anything of the rotation exists. The
    // cluster stays as it was: old root, old tokens.
    void not_started() {
        std::vector<std::string> down_managers;
        for (const SimNode& n : nodes_)
            if (n.role == NodeRole::manager && n.offline) down_managers.push_back(n.id);
        note_would_block();
        report_.not_started = no_leader(report_.quorum, std::move(down_managers));
        report_.removal = plan_removals(report_.quorum, {});
        report_.old_token_accepted_after = true;
        report_.old_root_sha256 = sha256_hex(old_root_->pem);
        report_.old_root_public_key_sha256 = old_root_->certificate.public_key_sha256();
        report_.severity = Severity::critical;
        report_.out_dir.reset();  // nothing happened, nothing is written
    }

    void convergence(const EngineSchedule& schedule) {
        SimulatedPhase& phase = begin_phase("convergence");
        // hasIssuer: the issuer's public key of every node in the store against the new root's.
        // Only down nodes stay unconverged; the operator's way to take them out of the store
        // depends on their role and on quorum (plan_removals).
        const Bytes& desired = new_root_->certificate.spki_der();
        std::vector<NodeRef> unconverged;
        std::vector<SimNode*> unconverged_nodes;
        for (SimNode& n : nodes_) {
            ++phase.verifications;
            if (issuer_spkis_[n.issuer] == desired) continue;
            unconverged.push_back(NodeRef{n.id, n.role});
            unconverged_nodes.push_back(&n);
        }
        report_.removal = plan_removals(report_.quorum, unconverged);
        report_.removal.performed = options_.remove_offline;
        std::unordered_set<std::string> removable;
        for (const RemovalStep& step : report_.removal.steps)
            if (step.command.rfind("docker node rm ", 0) == 0) removable.insert(step.node);
        for (std::size_t i = 0; i < unconverged.size(); ++i) {
            if (options_.remove_offline && unconverged_nodes[i]->offline &&
                removable.count(unconverged[i].node) > 0)
                unconverged_nodes[i]->removed = true;
            else report_.blocked_by.push_back(unconverged[i]);
        }
        if (report_.engine)
            for (const SimNode* n : unconverged_nodes)
                report_.engine->would_block.push_back(
                    options_.live->nodes[static_cast<std::size_t>(n - nodes_.data())]);
        report_.converged = report_.blocked_by.empty() && schedule.completed_at >= 0;
        double end = report_.converged ? schedule.completed_at : schedule.blocked_seen_at;
        end_phase(phase, std::max(0.0, end - schedule.last_renewal));
    }

    // Before any rotation: the real nodes it would wait for are the ones that never renew.
    void note_would_block() {
        if (!report_.engine) return;
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].offline) report_.engine->would_block.push_back(options_.live->nodes[i]);
    }

    void trust_root_switch(double completed_at) {
        SimulatedPhase& phase = begin_phase("trust-root-switch");
        // SecurityConfig.UpdateRootCA: the node's current chain must reach the new root. Each
        // renewed leaf was checked at renewal (issuer name and signature) against the
        // cross-signed certificate; that certificate carries the new root's subject and key, so
        // the leaf reaches the new root directly if those two match. Parsing every leaf again
        // would cost more than signing it (OpenSSL 3.0 decodes the public key through its
        // provider decoders on every d2i).
        bool cross_is_new_root = cross_->same_public_key(new_root_->certificate) &&
                                 cert_detail::same_subject_name(*cross_, new_root_->certificate);
        for (const SimNode& n : nodes_) {
            if (n.removed) continue;
            ++phase.verifications;
            if (!cross_is_new_root || !n.renewed ||
                issuer_spkis_[n.issuer] != new_root_->certificate.spki_der())
                fail(phase,
                     "node " + n.id + ": new root CA does not match existing TLS credentials");
        }
        switched_ = true;
        Instant at = engine_instant(options_.now, completed_at);
        check_classes(phase, at);
        for (SimNode& n : nodes_) {
            if (!n.removed) continue;
            ++phase.verifications;
            counters_.verify += 1;
            Certificate leaf = Certificate::from_der(starting_->credentials(n).leaf_der, n.id);
            std::array<Certificate, 1> roots{new_root_->certificate};
            ChainVerification v = verify_chain(leaf, {}, roots, at);
            std::string why = v.verified
                                  ? "its leaf still verifies against the new root"
                                  : "its leaf from the old root is refused by every node now (" +
                                        v.failure_code + ")";
            report_.stranded.push_back(StrandedNode{n.id, n.role, stranded_reason(n.role, why)});
        }
        end_phase(phase, 0);
    }

    void join_tokens() {
        SimulatedPhase& phase = begin_phase("join-tokens");
        new_tokens_ = {generate_join_token(new_root_->pem), generate_join_token(new_root_->pem)};
        for (std::size_t i = 0; i < 2; ++i) {
            phase.verifications += 3;
            if (!token_pins_root(new_tokens_[i], new_root_->pem))
                fail(phase, "a new token does not pin the new root");
            if (new_tokens_[i].secret == old_tokens_[i].secret)
                fail(phase, "a new token kept its old secret");
            if (new_tokens_[i].digest == old_tokens_[i].digest)
                fail(phase, "a new token kept the old digest");
        }
        end_phase(phase, 0);
    }

    void finish_report() {
        const std::string& cluster_root = switched_ ? new_root_->pem : old_root_->pem;
        report_.old_token_accepted_after = token_pins_root(old_tokens_[0], cluster_root) ||
                                           token_pins_root(old_tokens_[1], cluster_root);
        report_.old_root_sha256 = sha256_hex(old_root_->pem);
        report_.new_root_sha256 = sha256_hex(new_root_->pem);
        report_.old_root_public_key_sha256 = old_root_->certificate.public_key_sha256();
        report_.new_root_public_key_sha256 = new_root_->certificate.public_key_sha256();
        std::size_t failures = 0;
        for (const SimulatedPhase& p : report_.phases) failures += p.failures;
        if (failures > 0 || !report_.converged) report_.severity = Severity::critical;
        else if (!report_.stranded.empty()) report_.severity = Severity::warning;
        else report_.severity = Severity::ok;
    }

    void write_output() {
        if (!options_.out_dir) return;
        const std::array<JoinToken, 2>& tokens = switched_ ? new_tokens_ : old_tokens_;
        std::string tokens_text = "worker " + tokens[0].to_string() + "\nmanager " +
                                  tokens[1].to_string() + "\n";
        write_rotation_output(options_, report_, nodes_, *starting_, old_root_->pem,
                              old_root_->key_pem, new_root_->pem, new_root_->key_pem,
                              cross_->to_pem(), tokens_text, switched_);
    }

    const RotationOptions& options_;
    RotationReport report_;
    std::mt19937_64 rng_;
    unsigned threads_ = 1;
    OperationCounters counters_;
    Clock::time_point phase_start_;
    std::vector<SimNode> nodes_;
    std::optional<Root> old_root_, new_root_;
    std::optional<Certificate> live_root_;     // the engine's trust root, without its key
    std::optional<StartingCluster> starting_;  // after old_root_: borrows its certificate and key
    std::optional<Certificate> cross_;
    std::vector<Bytes> issuer_spkis_;
    std::array<JoinToken, 2> old_tokens_{}, new_tokens_{};
    bool switched_ = false;
};

}  // namespace

std::string rotation_status(const RotationReport& report) {
    if (report.refusal) return "refused";
    return std::string(status_word(report.severity));
}

ExitCode rotation_exit_code(const RotationReport& report) {
    if (report.refusal) return ExitCode::unevaluable;
    return exit_code_for(report.severity);
}

RotationReport simulate_rotation(const RotationOptions& options) {
    if (options.desired_cert.has_value() != options.desired_key.has_value())
        throw Error("--ca-cert/--ca-key",
                    "must provide both a signing key and a signing cert, or neither",
                    "give both files");
    if (options.current_cert.has_value() != options.current_key.has_value())
        throw Error("the current root", "needs both its certificate and its key",
                    "give a CA directory");
    check_node_cert_expiry(options.cert_expiry);
    return Simulation(options).run();
}

}  // namespace swarmpki
