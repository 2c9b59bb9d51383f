// inspect_node: read the directory once, then describe the node, its chain, its roots and its
// key, and collect findings. The order is a pipeline; each step uses only what the directory
// gave and what earlier steps found. A directory that cannot be evaluated still yields a
// report: `error` says why, the status is unknown, and whatever was readable is filled in.
#include "swarmpki/inspect.hpp"

#include "inspect_checks.hpp"
#include "swarmpki/node_directory.hpp"
#include "swarmpki/node_identity.hpp"
#include "swarmpki/renewal_window.hpp"

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
    if (dir.legacy_root_key) add(dir.legacy_root_key->entry);
    for (const DirectoryEntry& e : dir.leftovers) add(e);
    return files;
}

// Fills report.key from what the directory reader found: it loaded (and, with the unlock key,
// decrypted) the key in memory once, to decide which certificate is the node's. A wrong unlock
// key or a damaged key makes the directory unevaluable.
void evaluate_key(const CertificatesDirectory& dir, NodeReport& report) {
    if (!dir.key_file) return;
    const KeyFile& file = *dir.key_file;
    KeyReport& key = report.key;
    key.present = true;
    key.pem_type = file.facts.pem_type;
    key.encrypted = file.facts.encrypted;
    key.kek_version = file.facts.kek_version;
    key.pem_headers = file.facts.header_names;
    key.mode = format_mode(file.entry.facts.mode);
    key.owner = file.entry.facts.owner;
    key.type = dir.key_match.key_type;
    key.matches_certificate = dir.key_match.matches;
    if (dir.key_match.key_error && !report.error) report.error = dir.key_match.key_error->what();
}

Severity node_severity(const NodeReport& report) {
    return report.error ? Severity::unknown : worst_severity(report.findings);
}

}  // namespace

NodeReport inspect_node(const std::string& path, const InspectOptions& options, Instant now) {
    CertificatesDirectory dir = read_node_directory(path, {options.unlock_key});
    NodeReport report;
    report.dir = path;
    report.reads = dir.reads;
    if (dir.error) report.error = dir.error->what();
    report.files = describe_files(dir);

    const std::vector<Certificate>* roots = nullptr;
    if (dir.root_file) {
        roots = &dir.root_file->certificates;
        report.trust_roots = describe_roots(*roots);
        Sha256 digest = sha256(dir.root_file->bytes);
        report.root_file_sha256 = hex_encode(digest);
        report.join_token_digest = digest_to_base36(digest);
        check_trust_roots(*dir.root_file, now, report.findings);
        if (options.token) {
            report.token = TokenReport{options.token->version, options.token->fips,
                                       options.token->digest_base36,
                                       token_pins_root(*options.token, dir.root_file->bytes)};
        }
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
        check_identity(*leaf, *report.node, report.findings);
    }

    evaluate_key(dir, report);
    check_key(dir, report.key, report.node ? &*report.node : nullptr, options.unlock_key != nullptr,
              report.findings);
    check_files(dir, report.findings);
    if (dir.legacy_root_key) check_legacy_root_key(*dir.legacy_root_key, roots, report.findings);
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

FleetSummary summarize(const std::vector<NodeReport>& nodes) {
    FleetSummary fleet;
    fleet.nodes = nodes.size();
    // cluster id -> the root files its nodes trust
    std::vector<std::pair<std::string, std::vector<std::string>>> roots_by_cluster;
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

InspectReport inspect_nodes(const std::vector<std::string>& dirs, const InspectOptions& options,
                            Instant now) {
    InspectReport report;
    report.evaluated_at = now;
    for (const std::string& dir : dirs) {
        // A failure nobody foresaw still leaves a complete document: that node is unknown.
        try {
            report.nodes.push_back(inspect_node(dir, options, now));
        } catch (const std::exception& e) {
            NodeReport failed;
            failed.dir = dir;
            failed.severity = Severity::unknown;
            failed.error = dir + ": could not be evaluated: " + e.what();
            report.nodes.push_back(std::move(failed));
        }
        report.severity = worst(report.severity, report.nodes.back().severity);
    }
    if (dirs.size() > 1) {
        report.fleet = summarize(report.nodes);
        report.severity = worst(report.severity, worst_severity(report.fleet->findings));
    }
    return report;
}

}  // namespace swarmpki
