// inspect_node: read the directory once, then describe the node, its chain, its roots and its
// key, and collect findings. The order is a pipeline; each step uses only what the directory
// gave and what earlier steps found. A directory that cannot be evaluated still yields a
// report: `error` says why, the status is unknown, and whatever was readable is filled in.
#include "swarmpki/inspect.hpp"

#include "inspect_checks.hpp"
#include "swarmpki/node_directory.hpp"
#include "swarmpki/node_identity.hpp"
#include "swarmpki/renewal_window.hpp"
#include "swarmpki/verdict.hpp"

#include <algorithm>
#include <exception>

namespace swarmpki {

using namespace inspect_detail;

const char* to_string(ChainKind kind) {
    switch (kind) {
        case ChainKind::leaf: return "leaf";
        case ChainKind::cross_signed_intermediate: return "cross-signed-intermediate";
        case ChainKind::intermediate: return "intermediate";
    }
    return "intermediate";
}

std::string_view report_status(Severity severity) { return status_word(severity); }

namespace {

LeafIdentity describe_leaf(const Certificate& leaf, const Certificate* signer, Instant now) {
    LeafIdentity node;
    node.id = leaf.common_name();
    node.organizational_unit = leaf.organizational_unit();
    node.role = role_of_organizational_unit(node.organizational_unit);
    ClusterName cluster = parse_cluster_name(leaf.organization());
    node.cluster_id = std::move(cluster.id);
    node.fips = cluster.fips;
    node.sans = leaf.dns_names();
    node.serial = leaf.serial_hex();
    node.not_before = leaf.not_before();
    node.not_after = leaf.not_after();
    node.lifetime_seconds = leaf.lifetime().count();
    node.remaining_seconds = unix_seconds(leaf.not_after()) - unix_seconds(now);
    node.issuer = leaf.issuer();
    if (signer) node.issuer_public_key_sha256 = signer->public_key_sha256();
    RenewalWindow window = renewal_window(leaf.not_before(), leaf.not_after());
    node.renewal_window.start = window.start;
    node.renewal_window.end = window.end;
    return node;
}

std::vector<ChainEntry> describe_chain(const std::vector<Certificate>& chain,
                                       const std::vector<ChainKind>& kinds) {
    std::vector<ChainEntry> entries;
    for (std::size_t i = 0; i < chain.size(); ++i) {
        const Certificate& c = chain[i];
        entries.push_back({kinds[i], c.subject(), c.issuer(), c.serial_hex(), c.not_before(),
                           c.not_after(), c.public_key_sha256()});
    }
    return entries;
}

std::vector<TrustRootEntry> describe_roots(const std::vector<Certificate>& roots) {
    std::vector<TrustRootEntry> entries;
    entries.reserve(roots.size());
    for (const Certificate& c : roots)
        entries.push_back({c.subject(), c.serial_hex(), c.not_before(), c.not_after(),
                           c.public_key_sha256(), c.key_type()});
    return entries;
}

std::vector<FileReport> describe_files(const CertificatesDirectory& dir) {
    std::vector<FileReport> files;
    auto add = [&](const DirectoryEntry& e) {
        FileReport f{
            e.name,       e.path,       format_mode(e.facts.mode), e.facts.owner,   e.facts.group,
            e.facts.size, std::nullopt, e.outside_directory,       e.facts.dangling};
        if (e.facts.is_symlink) f.symlink_target = e.facts.symlink_target;
        files.push_back(std::move(f));
    };
    for (const DirectoryEntry& e : dir.entries) add(e);
    if (dir.legacy_root_key) add(dir.legacy_root_key->entry);  // a CA directory's key too
    for (const DirectoryEntry& e : dir.leftovers) add(e);
    return files;
}

// Fills report.key from what the directory reader found: it loaded (and, with the unlock key,
// decrypted) the key in memory once, to decide which certificate is the node's. A wrong unlock
// key or a damaged key makes the directory unevaluable (the reader's errors say so); a key this
// user may not read is present, with what stat tells, and unknown beyond that.
void evaluate_key(const CertificatesDirectory& dir, NodeReport& report) {
    if (dir.key_unreadable) {
        const FileFacts& facts = dir.key_unreadable->entry.facts;
        report.key.present = true;
        report.key.mode = format_mode(facts.mode);
        report.key.owner = facts.owner;
        return;
    }
    if (!dir.key_file) return;
    const KeyFile& file = *dir.key_file;
    KeyReport& key = report.key;
    key.present = true;
    key.readable = true;
    key.pem_type = file.facts.pem_type;
    key.encrypted = file.facts.encrypted;
    key.kek_version = file.facts.kek_version;
    key.pem_headers = file.facts.header_names;
    key.mode = format_mode(file.entry.facts.mode);
    key.owner = file.entry.facts.owner;
    key.type = dir.key_match.key_type;
    key.matches_certificate = dir.key_match.matches;
}

Severity node_severity(const NodeReport& report) {
    return run_verdict(worst_severity(report.findings),
                       report.errors.empty() ? Unevaluable::none : Unevaluable::some);
}

// Does the token pin the root file? When not its exact bytes, `token verify`'s analysis says
// which variant of the file it does pin (a CRLF conversion, one certificate of a bundle, the DER).
TokenReport describe_token(const JoinToken& token, const CertificateFile& root_file) {
    TokenReport report;
    report.version = token.version;
    report.fips = token.fips;
    report.digest_base36 = token.digest_base36;
    report.pins_root = token_pins_root(token, root_file.bytes);
    if (report.pins_root) return report;
    try {
        RootFileCheck check = check_root_file(token, root_file.bytes, root_file.entry.path);
        for (const RootFileVariant& v : check.variants) {
            if (!v.matches) continue;
            report.matching_variant = v.name;
            report.matching_description = v.description;
            break;
        }
    } catch (const Error&) {
        // The file was parsed as a bundle already; nothing more to explain if it now fails.
    }
    return report;
}

}  // namespace

NodeReport inspect_node(const std::string& path, const InspectOptions& options, Instant now) {
    return inspect_directory(read_node_directory(path, {options.unlock_key}), options, now);
}

NodeReport inspect_directory(const CertificatesDirectory& dir, const InspectOptions& options,
                             Instant now) {
    NodeReport report;
    report.dir = dir.dir;
    report.reads = dir.reads;
    report.kind = dir.kind;
    for (const Error& e : dir.errors) report.errors.emplace_back(e.what());
    if (!report.errors.empty()) report.error = report.errors.front();
    report.files = describe_files(dir);

    const std::vector<Certificate>* roots = nullptr;
    if (dir.root_file) {
        roots = &dir.root_file->certificates;
        report.trust_roots = describe_roots(*roots);
        Sha256 digest = sha256(dir.root_file->bytes);
        report.root_file_sha256 = hex_encode(digest);
        report.join_token_digest = digest_to_base36(digest);
        check_trust_roots(*dir.root_file, now, report.findings);
        if (options.token) report.token = describe_token(*options.token, *dir.root_file);
    }

    const Certificate* leaf = nullptr;
    if (dir.cert_file) {
        const auto& chain = dir.cert_file->certificates;
        leaf = &chain.front();
        const Certificate* signer = nullptr;
        if (roots) {
            ChainAnalysis analysis = analyze_chain(chain, *roots, now);
            signer = analysis.leaf_signer;
            report.chain = describe_chain(chain, analysis.kinds);
            report.rotation = analysis.rotation;
            report.chain_verified = analysis.verification.verified;
            report.chain_failure = analysis.verification.failure;
            report.chain_failure_code = analysis.verification.failure_code;
            check_chain(analysis, report.findings);
        }
        report.node = describe_leaf(*leaf, signer, now);
        check_leaf_validity(*report.node, now, report.findings);
        if (options.cert_expiry)
            check_lifetime(*report.node, *options.cert_expiry, report.findings);
        check_identity(*leaf, *report.node, report.findings);
    }

    evaluate_key(dir, report);
    if (dir.kind == DirectoryKind::ca) {
        check_ca_directory(dir, roots, report.findings);
    } else {
        check_key(dir, report.key, report.node ? &*report.node : nullptr,
                  options.unlock_key != nullptr, report.findings);
        if (dir.legacy_root_key)
            check_legacy_root_key(*dir.legacy_root_key, roots, report.findings);
    }
    check_files(dir, report.findings);
    if (report.token) check_token(*report.token, report.findings);

    std::stable_sort(report.findings.begin(), report.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
    report.severity = node_severity(report);
    return report;
}

namespace {

void add_distinct(std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

using RootsByCluster = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Two swarms under one root accept each other's certificates at the TLS layer; only the
// engine's organization check (swarmkit's authorizeOrg, `verify`'s different-cluster) keeps
// their nodes apart. One root file per cluster is the rule; a shared one is worth a warning.
void check_shared_roots(const RootsByCluster& roots_by_cluster, std::vector<Finding>& out) {
    std::vector<std::pair<std::string, std::vector<std::string>>> clusters_by_root;
    for (const auto& [cluster, digests] : roots_by_cluster)
        for (const std::string& digest : digests) {
            auto it = std::find_if(clusters_by_root.begin(), clusters_by_root.end(),
                                   [&](const auto& entry) { return entry.first == digest; });
            if (it == clusters_by_root.end()) clusters_by_root.push_back({digest, {cluster}});
            else add_distinct(it->second, cluster);
        }
    for (const auto& [digest, clusters] : clusters_by_root) {
        if (clusters.size() < 2) continue;
        std::string names;
        for (const std::string& c : clusters) names += (names.empty() ? "" : ", ") + c;
        out.push_back({Severity::warning, "fleet-clusters-share-root",
                       std::to_string(clusters.size()) + " clusters (" + names +
                           ") trust one root file (sha256 " + digest.substr(0, 16) +
                           "…): their nodes' certificates verify against each other's root, "
                           "and only the engine's organization check keeps the swarms apart",
                       "give each swarm its own root: `docker swarm ca --rotate` (without "
                       "--ca-cert it makes a new root) on a manager of all but one"});
    }
}

FleetSummary summarize(const std::vector<NodeReport>& nodes) {
    FleetSummary fleet;
    fleet.nodes = nodes.size();
    RootsByCluster roots_by_cluster;  // cluster id -> the root files its nodes trust
    for (const NodeReport& n : nodes) {
        std::string_view status = report_status(n.severity);
        if (status == "ok") ++fleet.ok;
        else if (status == "warning") ++fleet.warning;
        else if (status == "critical") ++fleet.critical;
        else ++fleet.unknown;
        if (n.rotation == RotationState::none) ++fleet.rotation_none;
        if (n.rotation == RotationState::in_progress) ++fleet.rotation_in_progress;
        if (n.rotation == RotationState::completed) ++fleet.rotation_completed;
        if (n.root_file_sha256) add_distinct(fleet.root_file_sha256s, *n.root_file_sha256);
        if (!n.node) continue;
        add_distinct(fleet.cluster_ids, n.node->cluster_id);
        if (!fleet.earliest_not_after || n.node->not_after < *fleet.earliest_not_after) {
            fleet.earliest_not_after = n.node->not_after;
            fleet.earliest_dir = n.dir;
        }
        if (!n.root_file_sha256) continue;
        auto it = std::find_if(roots_by_cluster.begin(), roots_by_cluster.end(),
                               [&](const auto& entry) {
                                   return entry.first == n.node->cluster_id;
                               });
        if (it == roots_by_cluster.end())
            roots_by_cluster.push_back({n.node->cluster_id, {*n.root_file_sha256}});
        else add_distinct(it->second, *n.root_file_sha256);
    }
    check_shared_roots(roots_by_cluster, fleet.findings);
    for (const auto& [cluster, digests] : roots_by_cluster)
        if (digests.size() > 1)
            fleet.findings.push_back(
                {Severity::warning, "fleet-trust-roots-differ",
                 "nodes of cluster " + cluster + " trust " + std::to_string(digests.size()) +
                     " different root files",
                 "a node that missed a CA rotation keeps the old root: bring it back online or "
                 "`docker node rm` it, then rejoin"});
    if (fleet.cluster_ids.size() > 1)
        fleet.findings.push_back(
            {Severity::notice, "fleet-clusters-differ",
             "the directories belong to " + std::to_string(fleet.cluster_ids.size()) + " clusters",
             "expected when inspecting several swarms at once"});
    return fleet;
}

}  // namespace

InspectReport inspect_nodes(const std::vector<std::string>& paths, const InspectOptions& options,
                            Instant now) {
    std::vector<NodeReport> nodes;
    for (const std::string& dir : expand_node_directories(paths)) {
        // A failure nobody foresaw still leaves a complete document: that node is unknown.
        try {
            nodes.push_back(inspect_node(dir, options, now));
        } catch (const std::exception& e) {
            NodeReport failed;
            failed.dir = dir;
            failed.severity = Severity::unknown;
            failed.error = dir + ": could not be evaluated: " + e.what();
            failed.errors.push_back(*failed.error);
            nodes.push_back(std::move(failed));
        }
    }
    return inspect_report(std::move(nodes), now);
}

InspectReport inspect_report(std::vector<NodeReport> nodes, Instant now) {
    InspectReport report;
    report.evaluated_at = now;
    report.nodes = std::move(nodes);
    Severity found = Severity::ok;
    Unevaluable unevaluable = Unevaluable::none;
    for (const NodeReport& node : report.nodes) {
        found = worst(found, worst_severity(node.findings));
        if (!node.errors.empty()) unevaluable = Unevaluable::some;
    }
    if (report.nodes.size() > 1) {
        report.fleet = summarize(report.nodes);
        found = worst(found, worst_severity(report.fleet->findings));
    }
    report.severity = run_verdict(found, unevaluable);
    return report;
}

}  // namespace swarmpki
