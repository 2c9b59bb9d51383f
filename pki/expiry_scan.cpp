// The fleet side of expiry: every unit of the scan plan is read and parsed once on a worker,
// turned into plain CertExpiry records (OpenSSL handles are dropped as soon as a unit is done,
// so memory stays flat over 100,000 files), and the results are merged in plan order.
//
// Clusters. Each node directory contributes its cluster id (the leaf's O) and the SHA-256 of its
// swarm-root-ca.crt bytes. One digest per cluster is normal. Two or more are explained by a CA
// rotation only when some node of the cluster carries a cross-signed intermediate that links
// them: its public key is one root's and its signature verifies under another root's key. Such
// a cluster is mid-switch (the rotation finished, but some directories still hold the old root,
// so the new-root nodes refuse them): a warning. Roots no cross-signature links are two
// different CAs in one cluster: critical.
#include "swarmpki/expiry.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <set>

namespace swarmpki {

namespace {

namespace fs = std::filesystem;

bool self_signed(const Certificate& cert) {
    return cert.subject_equals_issuer() && cert.signature_verified_by(cert);
}

// In swarm-node.crt the leaf comes first and any CA after it is an intermediate (the
// cross-signed root during and after a rotation, or an external CA's chain).
CertKind kind_in_node_file(const Certificate& cert, std::size_t /*index*/) {
    return cert.is_ca() ? CertKind::intermediate : CertKind::node;
}
CertKind kind_in_root_file(const Certificate& cert) {
    return cert.is_ca() ? CertKind::root : CertKind::node;
}
CertKind kind_in_other_file(const Certificate& cert) {
    if (!cert.is_ca()) return CertKind::node;
    return self_signed(cert) ? CertKind::root : CertKind::intermediate;
}

struct Identity {
    std::optional<std::string> node_id, role, cluster_id;
};

// Role and cluster from a swarm leaf: OU swarm-manager|swarm-worker, O = cluster id (a "FIPS."
// prefix marks a FIPS-mandatory cluster and is not part of the id), CN = node id.
Identity identity_of(const Certificate& leaf) {
    Identity id;
    const std::string& ou = leaf.organizational_unit();
    if (ou != "swarm-manager" && ou != "swarm-worker") return id;
    id.node_id = leaf.common_name();
    id.role = ou.substr(6);
    std::string cluster = leaf.organization();
    if (cluster.rfind("FIPS.", 0) == 0) cluster.erase(0, 5);
    if (!cluster.empty()) id.cluster_id = cluster;
    return id;
}

// Distinct roots and cross-signed candidates per cluster, shared by the workers. Only the first
// copy of each is kept, so a fleet where every node holds the same root keeps one certificate.
class CaRegistry {
public:
    void add_roots(const std::string& cluster, const std::string& digest,
                   const std::vector<Certificate>& roots) {
        std::lock_guard lock(mutex_);
        clusters_[cluster].roots.try_emplace(digest, roots);
    }
    void add_intermediate(const std::string& cluster, const Certificate& cert) {
        std::string key = sha256_hex(std::string_view(
            reinterpret_cast<const char*>(cert.der().data()), cert.der().size()));
        std::lock_guard lock(mutex_);
        clusters_[cluster].intermediates.try_emplace(std::move(key), cert);
    }
    // True when every root digest of the cluster is linked to the others by a cross-signed
    // intermediate (an undirected union of "B's key, signed by A's key" edges).
    bool roots_linked(const std::string& cluster) const {
        auto found = clusters_.find(cluster);
        if (found == clusters_.end()) return false;
        const Entry& entry = found->second;
        std::vector<const std::vector<Certificate>*> roots;
        for (const auto& [digest, certs] : entry.roots) roots.push_back(&certs);
        std::vector<std::size_t> parent(roots.size());
        std::iota(parent.begin(), parent.end(), 0);
        auto find = [&](std::size_t i) {
            while (parent[i] != i) i = parent[i] = parent[parent[i]];
            return i;
        };
        for (std::size_t a = 0; a < roots.size(); ++a)
            for (std::size_t b = 0; b < roots.size(); ++b)
                if (a != b && find(a) != find(b) && cross_signed(*roots[a], *roots[b], entry))
                    parent[find(b)] = find(a);
        for (std::size_t i = 0; i < roots.size(); ++i)
            if (find(i) != find(0)) return false;
        return true;
    }

private:
    struct Entry {
        std::map<std::string, std::vector<Certificate>> roots;  // by root file digest
        std::map<std::string, Certificate> intermediates;       // by DER digest
    };
    static bool cross_signed(const std::vector<Certificate>& from,
                             const std::vector<Certificate>& to, const Entry& entry) {
        for (const auto& [digest, cross] : entry.intermediates)
            for (const Certificate& new_root : to)
                if (cross.same_public_key(new_root))
                    for (const Certificate& old_root : from)
                        if (!old_root.same_public_key(new_root) &&
                            cross.issued_by_name(old_root) && cross.signature_verified_by(old_root))
                            return true;
        return false;
    }

    mutable std::mutex mutex_;
    std::map<std::string, Entry> clusters_;
};

struct UnitResult {
    std::vector<CertExpiry> certificates;
    std::vector<ScanError> errors;
    std::optional<NodeDirectory> directory;
    std::size_t files_scanned = 0, files_skipped = 0;
};

void add_records(UnitResult& out, const std::string& path, const std::vector<Certificate>& certs,
                 CertKind (*kind_of)(const Certificate&, std::size_t), const Identity& dir_id,
                 const ExpiryOptions& options) {
    for (std::size_t i = 0; i < certs.size(); ++i) {
        CertExpiry e = evaluate_certificate(certs[i], kind_of(certs[i], i), options);
        e.path = path;
        e.index = i;
        if (e.kind == CertKind::node) {
            Identity own = identity_of(certs[i]);
            e.node_id = own.node_id;
            e.role = own.role;
            e.cluster_id = own.cluster_id ? own.cluster_id : dir_id.cluster_id;
        } else {
            e.cluster_id = dir_id.cluster_id;
        }
        out.certificates.push_back(std::move(e));
    }
}

RotationState rotation_state(const std::vector<Certificate>& chain,
                             const std::vector<Certificate>& roots) {
    if (chain.empty() || roots.empty() || chain[0].is_ca()) return RotationState::none;
    const Certificate& leaf = chain[0];
    for (const Certificate& root : roots) {
        if (!leaf.issued_by_name(root) || !leaf.signature_verified_by(root)) continue;
        // Leaf under the trust root directly; a bundled different certificate with the root's
        // key is the cross-signed leftover of a finished rotation.
        for (std::size_t i = 1; i < chain.size(); ++i)
            if (chain[i].same_public_key(root) && chain[i].der() != root.der())
                return RotationState::completed;
        return RotationState::none;
    }
    for (std::size_t i = 1; i < chain.size(); ++i) {
        const Certificate& middle = chain[i];
        if (!middle.is_ca() || !leaf.issued_by_name(middle) || !leaf.signature_verified_by(middle))
            continue;
        for (const Certificate& root : roots)
            if (!middle.same_public_key(root) && middle.issued_by_name(root) &&
                middle.signature_verified_by(root))
                return RotationState::in_progress;
    }
    return RotationState::none;
}

bool exists_no_follow(const fs::path& path) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(path, ec));
}

UnitResult scan_node_directory(const ScanUnit& unit, const ExpiryOptions& options,
                               CaRegistry& registry) {
    UnitResult out;
    NodeDirectory dir;
    dir.path = unit.path;
    fs::path base(unit.path);
    std::string node_path = (base / kNodeCertFile).string();
    std::string root_path = (base / kRootCertFile).string();
    dir.node_cert_present = exists_no_follow(node_path);
    dir.root_file_present = exists_no_follow(root_path);
    dir.key_present = exists_no_follow(base / kNodeKeyFile);

    auto load = [&](const std::string& path) -> std::optional<LoadedFile> {
        auto loaded = load_certificate_bundle(path, Strictness::strict);
        if (auto* error = std::get_if<ScanError>(&loaded)) {
            if (error->reason == ScanReason::not_found)
                error->message = path + ": no such file (a node directory holds both " +
                                 kNodeCertFile + " and " + kRootCertFile + "; collect both)";
            out.errors.push_back(std::move(*error));
            return std::nullopt;
        }
        ++out.files_scanned;
        return std::get<LoadedFile>(std::move(loaded));
    };
    std::optional<LoadedFile> chain = load(node_path);
    std::optional<LoadedFile> roots = load(root_path);

    Identity id;
    if (chain && !chain->certificates.empty()) id = identity_of(chain->certificates[0]);
    dir.node_id = id.node_id;
    dir.role = id.role;
    dir.cluster_id = id.cluster_id;
    if (roots) dir.root_file_sha256 = roots->sha256;
    if (chain && roots) dir.rotation = rotation_state(chain->certificates, roots->certificates);
    if (id.cluster_id) {
        if (roots) registry.add_roots(*id.cluster_id, roots->sha256, roots->certificates);
        if (chain)
            for (std::size_t i = 1; i < chain->certificates.size(); ++i)
                if (chain->certificates[i].is_ca())
                    registry.add_intermediate(*id.cluster_id, chain->certificates[i]);
    }
    if (chain) add_records(out, node_path, chain->certificates, kind_in_node_file, id, options);
    if (roots)
        add_records(out, root_path, roots->certificates,
                    [](const Certificate& c, std::size_t) { return kind_in_root_file(c); }, id,
                    options);
    out.directory = std::move(dir);
    return out;
}

UnitResult scan_certificate_file(const ScanUnit& unit, const ExpiryOptions& options) {
    UnitResult out;
    auto loaded = load_certificate_bundle(
        unit.path, unit.explicit_path ? Strictness::strict : Strictness::lenient);
    if (auto* error = std::get_if<ScanError>(&loaded)) {
        out.errors.push_back(std::move(*error));
        return out;
    }
    LoadedFile& file = std::get<LoadedFile>(loaded);
    if (file.skipped) {
        ++out.files_skipped;
        return out;
    }
    ++out.files_scanned;
    // A file named like a swarm file keeps that file's meaning even when given on its own.
    std::string name = fs::path(unit.path).filename().string();
    auto kind_of = name == kNodeCertFile ? kind_in_node_file
                   : name == kRootCertFile
                       ? +[](const Certificate& c, std::size_t) { return kind_in_root_file(c); }
                       : +[](const Certificate& c, std::size_t) { return kind_in_other_file(c); };
    add_records(out, unit.path, file.certificates, kind_of, {}, options);
    return out;
}

UnitResult scan_unit(const ScanUnit& unit, const ExpiryOptions& options, CaRegistry& registry) {
    try {
        if (unit.kind == ScanUnit::Kind::node_directory)
            return scan_node_directory(unit, options, registry);
        return scan_certificate_file(unit, options);
    } catch (const std::exception& e) {
        // Whatever escapes (an allocation failure, an OpenSSL oddity) is this unit's problem.
        UnitResult out;
        out.errors.push_back({unit.path, ScanReason::read_failed, unit.path + ": " + e.what()});
        return out;
    }
}

std::vector<ClusterSummary> summarize_clusters(const std::vector<NodeDirectory>& dirs,
                                               const CaRegistry& registry) {
    std::map<std::string, ClusterSummary> clusters;
    std::map<std::string, std::set<std::string>> digests;
    for (const NodeDirectory& dir : dirs) {
        if (!dir.cluster_id) continue;
        ClusterSummary& c = clusters[*dir.cluster_id];
        c.cluster_id = *dir.cluster_id;
        ++c.directories;
        if (dir.root_file_sha256) digests[c.cluster_id].insert(*dir.root_file_sha256);
        if (dir.rotation == RotationState::in_progress) c.rotation_in_progress = true;
    }
    std::vector<ClusterSummary> out;
    for (auto& [id, c] : clusters) {
        const auto& set = digests[id];
        c.root_digests.assign(set.begin(), set.end());
        if (c.root_digests.size() > 1) {
            if (registry.roots_linked(id)) {
                c.rotation_in_progress = true;
                c.severity = Severity::warning;
                c.finding = std::to_string(c.root_digests.size()) +
                            " root files in one cluster, linked by a cross-signed intermediate: "
                            "a CA rotation has not reached every directory (nodes still on the "
                            "old root are refused by nodes on the new one)";
            } else {
                c.severity = Severity::critical;
                c.finding = std::to_string(c.root_digests.size()) +
                            " different roots in one cluster and no cross-signed intermediate "
                            "links them: nodes on different roots refuse each other";
            }
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace

ExpiryReport evaluate_expiry(const ScanPlan& plan, const ExpiryOptions& options) {
    CaRegistry registry;
    std::vector<UnitResult> results(plan.units.size());
    parallel_for(plan.units.size(), options.threads, [&](std::size_t i) {
        results[i] = scan_unit(plan.units[i], options, registry);
    });

    ExpiryReport report;
    report.evaluated_at = options.at;
    report.cert_expiry = options.cert_expiry;
    report.errors = plan.errors;
    for (UnitResult& r : results) {
        std::move(r.certificates.begin(), r.certificates.end(),
                  std::back_inserter(report.certificates));
        std::move(r.errors.begin(), r.errors.end(), std::back_inserter(report.errors));
        if (r.directory) report.directories.push_back(std::move(*r.directory));
        report.summary.files_scanned += r.files_scanned;
        report.summary.files_skipped += r.files_skipped;
        r = UnitResult{};  // release as we go: the merged copy is all that is needed
    }

    ExpirySummary& summary = report.summary;
    for (ExpiryStatus s : kAllExpiryStatuses) summary.by_status[s] = 0;
    for (ScanReason reason : kAllScanReasons) summary.errors_by_reason[reason] = 0;
    Severity status = Severity::ok;
    for (const CertExpiry& e : report.certificates) {
        ++summary.by_status[e.status];
        if (e.lifetime_mismatch.value_or(false)) ++summary.lifetime_mismatches;
        if (!summary.earliest_not_after || e.not_after < *summary.earliest_not_after) {
            summary.earliest_not_after = e.not_after;
            summary.earliest_path = e.path;
        }
        status = worst(status, e.severity);
    }
    for (const ScanError& error : report.errors) ++summary.errors_by_reason[error.reason];
    summary.clusters = summarize_clusters(report.directories, registry);
    for (const ClusterSummary& c : summary.clusters) status = worst(status, c.severity);
    if (!report.errors.empty()) status = worst(status, Severity::warning);
    report.status = report.certificates.empty() ? Severity::unknown : status;
    return report;
}

}  // namespace swarmpki
