// Peer verification: the four mutual-TLS checks between two node directories (one chain
// verification each way, judged in both TLS roles), and the diagnosis of a refusal in operator
// words.
#include "swarmpki/peer_verify.hpp"

#include "swarmpki/chain.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/node_directory.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/node_identity.hpp"
#include "swarmpki/pem.hpp"

#include <algorithm>

namespace swarmpki {

namespace {

std::string describe(const PeerMaterial& m) {
    if (!m.node_id) return m.dir;
    return m.dir + " (" + m.role.value_or("node") + " " + *m.node_id + ")";
}

bool same_cluster(const PeerMaterial& a, const PeerMaterial& b) {
    return a.cluster_id == b.cluster_id && a.fips == b.fips;
}

std::string cluster_words(const PeerMaterial& m) {
    return m.cluster_id.value_or("") + (m.fips.value_or(false) ? " (FIPS)" : "");
}

std::string key_list(const std::vector<Certificate>& certs) {
    std::string out;
    for (const Certificate& c : certs) {
        if (!out.empty()) out += ", ";
        out += c.public_key_sha256().substr(0, 16);
    }
    return out;
}

std::span<const Certificate> intermediates_of(const PeerMaterial& m) {
    return std::span(m.chain).subspan(1);
}

// A cross-signed certificate in either chain that carries `new_root`'s key and is signed by
// `old_root`: the trace a rotation from old_root to new_root leaves on the nodes. Counts the
// signatures it checks in `verifications`.
bool rotation_links(const Certificate& old_root, const Certificate& new_root, const PeerMaterial& a,
                    const PeerMaterial& b, std::size_t& verifications) {
    if (old_root.same_public_key(new_root)) return false;
    for (const PeerMaterial* m : {&a, &b})
        for (const Certificate& x : intermediates_of(*m)) {
            if (!x.same_public_key(new_root) || !x.issued_by_name(old_root)) continue;
            ++verifications;
            // Under the old root, the cross-signed certificate is the one intermediate.
            if (issued_by(x, old_root, 1)) return true;
        }
    return false;
}

bool any_rotation_link(const std::vector<Certificate>& olds, const std::vector<Certificate>& news,
                       const PeerMaterial& a, const PeerMaterial& b, std::size_t& verifications) {
    for (const Certificate& o : olds)
        for (const Certificate& n : news)
            if (rotation_links(o, n, a, b, verifications)) return true;
    return false;
}

void refuse(PeerCheck& check, std::string code, std::string reason) {
    check.accepted = false;
    check.code = std::move(code);
    check.reason = std::move(reason);
}

// A refusal that no diagnosis explains better: a certificate on the path may not issue, or the
// chain exceeds what is ever checked (chain.hpp).
bool refused_by_rule(const std::string& code) {
    return code == "issuer-not-ca" || code == "issuer-key-usage" ||
           code == "path-length-exceeded" || code == "unsupported-key" ||
           code == "too-many-certificates" || code == "chain-too-complex";
}

std::string rule_remedy(const std::string& code) {
    if (code == "too-many-certificates" || code == "chain-too-complex")
        return " (no chain the swarm CA writes is like this: restore the node's swarm-node.crt or "
               "let it renew)";
    if (code == "unsupported-key")
        return " (the swarm CA's keys are P-256; an operator's root must be RSA of at most 8192 "
               "bits with a usual exponent such as 65537)";
    return " (the swarm CA never issues through such a certificate: a node's own key signing "
           "certificates is a forgery; treat the presenting node's files as untrusted and re-join "
           "it)";
}

// Why `presenter`'s chain does not reach `verifier`'s roots by names and signatures. Counts the
// chain verifications and signature checks it runs in `verifications`.
void diagnose_unknown_authority(PeerCheck& check, const PeerMaterial& verifier,
                                const PeerMaterial& presenter, Instant at,
                                std::size_t& verifications) {
    const Certificate& leaf = presenter.chain[0];
    std::string who = describe(presenter), judge = describe(verifier);

    std::vector<Certificate> pooled(presenter.chain.begin() + 1, presenter.chain.end());
    pooled.insert(pooled.end(), verifier.chain.begin() + 1, verifier.chain.end());
    auto with_pool = verify_chain(leaf, pooled, verifier.roots, at);
    ++verifications;
    if (with_pool.verified) {
        const Certificate& missing = pooled[with_pool.intermediates_used.front()];
        return refuse(check, "missing-intermediate",
                      who + "'s chain needs an intermediate it does not carry: " +
                          missing.subject() + " (key " + missing.public_key_sha256().substr(0, 16) +
                          ", which " + judge +
                          " presents); renew the node's certificate so the engine appends it");
    }
    bool presenter_self_consistent =
        verify_chain(leaf, intermediates_of(presenter), presenter.roots, at).verified;
    ++verifications;
    if (presenter_self_consistent &&
        any_rotation_link(presenter.roots, verifier.roots, verifier, presenter, verifications))
        return refuse(check, "old-root",
                      who + " is still on the old root: the swarm rotated from its root (key " +
                          key_list(presenter.roots) + ") to " + judge + "'s root (key " +
                          key_list(verifier.roots) +
                          "), as the cross-signed intermediate shows, and its certificate is "
                          "still issued by the old root. Bring the node online so it renews; if "
                          "it was removed, `docker swarm leave --force` there and join with the "
                          "current token");
    if (presenter_self_consistent &&
        any_rotation_link(verifier.roots, presenter.roots, verifier, presenter, verifications))
        return refuse(check, "old-root",
                      judge + " is still on the old root (key " + key_list(verifier.roots) +
                          "): the swarm rotated to " + who + "'s root (key " +
                          key_list(presenter.roots) +
                          "), whose certificate no longer carries the cross-signed intermediate. "
                          "Bring the node online so it receives the new root; if it was removed, "
                          "`docker swarm leave --force` there and join with the current token");
    std::string reason = "different swarm: " + who + "'s certificate does not chain to " + judge +
                         "'s root (root keys differ: trusts " + key_list(verifier.roots) +
                         ", presented chain is under " + key_list(presenter.roots) + ")";
    if (verifier.cluster_id && same_cluster(verifier, presenter))
        reason += "; both name cluster " + cluster_words(verifier) +
                  ", so one holds files from before a CA rotation that nothing here links";
    refuse(check, "different-swarm", std::move(reason));
}

void check_usage(PeerCheck& check, const PeerMaterial& presenter, TlsRole role) {
    const Certificate& leaf = presenter.chain[0];
    const ExtendedKeyUsage& eku = leaf.extended_key_usage();
    // Go's verifier treats a leaf without the extension as good for any usage.
    bool usage_ok = !eku.present || (role == TlsRole::client ? eku.client_auth : eku.server_auth);
    if (!usage_ok)
        return refuse(check, "wrong-usage",
                      describe(presenter) + "'s certificate lacks the " +
                          (role == TlsRole::client ? "clientAuth" : "serverAuth") +
                          " extended key usage, so it cannot " +
                          (role == TlsRole::client ? "dial" : "listen") +
                          " in mutual TLS; re-issue it with the engine's profile");
    const auto& names = leaf.dns_names();
    if (role == TlsRole::server && leaf.organizational_unit() == "swarm-manager" &&
        std::find(names.begin(), names.end(), "swarm-manager") == names.end())
        refuse(check, "wrong-name",
               describe(presenter) +
                   "'s certificate lacks the DNS name swarm-manager that dialling nodes expect "
                   "from a manager; re-issue it with the engine's profile");
}

// swarmkit's authorizeOrg: a peer whose certificate names another organization (cluster ID) is
// refused on every call ("remote certificate not part of organization"), even under the same
// root: two clusters made from one CA cannot talk.
void check_organization(PeerCheck& check, const PeerMaterial& verifier,
                        const PeerMaterial& presenter) {
    // The engine compares the O as written, so FIPS.<id> and <id> are two organizations.
    if (!verifier.cluster_id || !presenter.cluster_id || same_cluster(verifier, presenter)) return;
    check.path.clear();
    refuse(check, "different-cluster",
           describe(verifier) + " refuses " + describe(presenter) +
               ": its certificate names "
               "cluster " +
               cluster_words(presenter) + ", not " + cluster_words(verifier) +
               " (the engine refuses a peer of another organization; join it to this cluster)");
}

// The chain's judgement in one TLS role: a chain that verified must also suit the role.
PeerCheck in_role(PeerCheck check, const PeerMaterial& presenter, TlsRole role) {
    check.presenter_role = role;
    if (!check.accepted) return check;
    check_usage(check, presenter, role);
    if (!check.accepted) check.path.clear();
    return check;
}

}  // namespace

std::string_view to_string(TlsRole role) { return role == TlsRole::client ? "client" : "server"; }

PeerMaterial load_peer_material(const std::string& dir) {
    // The directory reader decides which certificate the node presents (a renewal in flight
    // presents .swarm-node.crt, as the engine will) and that its files were read together.
    CertificatesDirectory node = read_node_directory(dir);
    std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    if (!node.dir_facts.is_directory && node.error)
        throw Error(*node.error);  // inspect's words, a copy
    if (!node.cert_file) throw failure_reading(node, base + kNodeCertFile);
    if (!node.root_file) throw failure_reading(node, base + kRootCertFile);
    PeerMaterial m;
    m.dir = dir;
    m.chain = std::move(node.cert_file->certificates);
    m.roots = std::move(node.root_file->certificates);
    m.root_file_sha256 = sha256_hex(node.root_file->bytes);
    m.certificate_file = node.cert_file->entry.name;
    m.renewal = node.key_match.pending;
    const Certificate& leaf = m.chain[0];
    if (auto id = parse_node_identity(leaf.common_name(), leaf.organizational_unit(),
                                      leaf.organization())) {
        m.node_id = std::move(id->node_id);
        m.role = std::move(id->role);
        m.cluster_id = std::move(id->cluster.id);
        m.fips = id->cluster.fips;
    }
    return m;
}

DirectionCheck check_presented_chain(const PeerMaterial& verifier, const PeerMaterial& presenter,
                                     Instant at) {
    return judge_presented_chain(verifier, presenter, at,
                                 verify_chain(presenter.chain[0], intermediates_of(presenter),
                                              verifier.roots, at));
}

DirectionCheck judge_presented_chain(const PeerMaterial& verifier, const PeerMaterial& presenter,
                                     Instant at, const ChainVerification& result) {
    DirectionCheck out;
    PeerCheck chain;  // the judgement of the chain alone, for either role
    chain.verifier = verifier.dir;
    chain.presenter = presenter.dir;
    if (result.verified) {
        chain.accepted = true;
        chain.path.push_back(presenter.chain[0].subject());
        for (std::size_t i : result.intermediates_used)
            chain.path.push_back(presenter.chain[1 + i].subject());
        chain.path.push_back(verifier.roots[*result.root_index].subject());
        check_organization(chain, verifier, presenter);
    } else if (refused_by_rule(result.failure_code)) {
        refuse(chain, result.failure_code,
               describe(verifier) + " refuses " + describe(presenter) + ": " + result.failure +
                   rule_remedy(result.failure_code));
    } else if (result.failure_code == "expired" || result.failure_code == "not-yet-valid") {
        refuse(chain, result.failure_code,
               describe(verifier) + " refuses " + describe(presenter) + ": " + result.failure +
                   (result.failure_code == "expired"
                        ? " (a node that cannot renew must `docker swarm leave --force` "
                          "and join again)"
                        : " (check the clocks of both nodes)"));
    } else {
        diagnose_unknown_authority(chain, verifier, presenter, at, out.diagnosis_verifications);
    }
    out.as_client = in_role(chain, presenter, TlsRole::client);
    out.as_server = in_role(std::move(chain), presenter, TlsRole::server);
    return out;
}

PeerVerdict peer_verdict(const PeerMaterial& a, const PeerMaterial& b, DirectionCheck a_judges_b,
                         DirectionCheck b_judges_a) {
    PeerVerdict verdict;
    verdict.dir = a.dir;
    verdict.peer_dir = b.dir;
    verdict.checks = {std::move(a_judges_b.as_client), std::move(a_judges_b.as_server),
                      std::move(b_judges_a.as_client), std::move(b_judges_a.as_server)};
    verdict.accepted = std::all_of(verdict.checks.begin(), verdict.checks.end(),
                                   [](const PeerCheck& c) { return c.accepted; });
    verdict.severity = verdict.accepted ? Severity::ok : Severity::critical;
    return verdict;
}

PeerVerdict verify_peers(const PeerMaterial& a, const PeerMaterial& b, Instant at) {
    return peer_verdict(a, b, check_presented_chain(a, b, at), check_presented_chain(b, a, at));
}

}  // namespace swarmpki
