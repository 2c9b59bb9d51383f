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

#include "expiry_facts.hpp"
#include "expiry_ordered.hpp"
#include "rotation_state.hpp"
#include "swarmpki/chain.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/node_directory.hpp"
#include "swarmpki/node_identity.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/threads.hpp"
#include "swarmpki/verdict.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <tuple>

namespace swarmpki {

namespace {

namespace fs = std::filesystem;
using expiry_detail::CertFacts;
using CertPtr = std::shared_ptr<const Certificate>;

// Parsed CA certificates, shared by the workers and keyed by their DER, so the root every node
// of a fleet holds is parsed once and each CA is one object (rotation_state compares CAs by
// pointer); and signature checks between certificates, memoised for the same reason. Leaves are
// never kept: each is its own.
class CaCache {
public:
    // The one certificate for this DER when it is a CA; a leaf is parsed and handed back alone.
    CertPtr get(const Bytes& der, const std::string& subject_for_errors) {
        std::string_view key(reinterpret_cast<const char*>(der.data()), der.size());
        {
            std::lock_guard lock(mutex_);
            if (auto found = certs_.find(key); found != certs_.end()) return found->second;
        }
        auto parsed = std::make_shared<const Certificate>(
            Certificate::from_der(der, subject_for_errors));
        if (!parsed->is_ca()) return parsed;
        std::lock_guard lock(mutex_);
        return certs_.try_emplace(std::string(key), std::move(parsed)).first->second;
    }
    // `child` names `parent` as its issuer and `parent`'s key verifies its signature.
    bool verified_by(const Certificate& child, const Certificate& parent) {
        return child.issued_by_name(parent) && signed_by(child, parent);
    }
    // chain.hpp's issued_by, with the signature memoised: `parent` issued `child`, which has
    // `intermediates_below` certificates under it.
    bool issued(const Certificate& child, const Certificate& parent,
                std::size_t intermediates_below) {
        return child.issued_by_name(parent) && !issuer_refusal(parent, intermediates_below) &&
               signed_by(child, parent);
    }
    // `parent`'s key verifies `child`'s signature, whatever the names say. Memoised by what the
    // answer depends on, the child's DER and the parent's key, never by address: a certificate
    // this cache does not own dies with its unit and the next one may take its address.
    bool signed_by(const Certificate& child, const Certificate& parent) {
        SignatureKey key{as_text(child.der()), parent.public_key_sha256()};
        {
            std::lock_guard lock(mutex_);
            if (auto found = signed_.find(key); found != signed_.end()) return found->second;
        }
        bool ok = child.signature_verified_by(parent);
        std::lock_guard lock(mutex_);
        signed_.try_emplace(StoredKey{std::string(key.child_der), std::string(key.parent_key)}, ok);
        return ok;
    }

private:
    static std::string_view as_text(const Bytes& der) {
        return {reinterpret_cast<const char*>(der.data()), der.size()};
    }
    struct SignatureKey {
        std::string_view child_der, parent_key;  // DER; SHA-256 of the SubjectPublicKeyInfo
    };
    struct StoredKey {
        std::string child_der, parent_key;
    };
    // Orders stored and looked-up keys alike, so a lookup copies nothing.
    struct KeyLess {
        using is_transparent = void;
        static SignatureKey view(const StoredKey& k) { return {k.child_der, k.parent_key}; }
        static SignatureKey view(const SignatureKey& k) { return k; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            SignatureKey x = view(a), y = view(b);
            return std::tie(x.child_der, x.parent_key) < std::tie(y.child_der, y.parent_key);
        }
    };

    std::mutex mutex_;
    std::map<std::string, CertPtr, std::less<>> certs_;  // by DER: a handful of CAs
    std::map<StoredKey, bool, KeyLess> signed_;
};

struct ParsedCert {
    CertFacts facts;
    CertPtr full;  // CA certificates only (and a leaf the facts reader could not read)
    Bytes der;     // kept for leaves, in case a signature check needs the full parse
};

struct ParsedFile {
    std::string path, sha256;
    std::vector<ParsedCert> certs;
    bool skipped = false;
};

// What one worker keeps between units, without locks: the read buffer, the issuer names its
// leaves share with a digest context, and the root files it has already parsed (by their exact
// bytes: every node directory of a cluster holds the same swarm-root-ca.crt; leaves are never
// cached).
struct WorkerState {
    std::string buffer;
    expiry_detail::FactsScratch facts;
    std::map<std::string, ParsedFile, std::less<>> root_files;
    static constexpr std::size_t kMaxRootFiles = 1024;
};

// The file's certificate blocks, each with its position among all blocks and its line: the fast
// path for files as the engine writes them, else parse_pem (which also names what is wrong).
// Strict: any other block is an error; lenient: other blocks are skipped.
struct NumberedBlock {
    Bytes der;
    std::size_t number = 0, line = 0;  // 1-based
};
std::vector<NumberedBlock> certificate_blocks(const std::string& path, std::string_view bytes,
                                              Strictness strictness) {
    std::vector<NumberedBlock> out;
    std::vector<expiry_detail::CertificateBlock> plain;
    if (expiry_detail::decode_plain_certificates(bytes, plain)) {
        out.reserve(plain.size());
        for (std::size_t i = 0; i < plain.size(); ++i)
            out.push_back({std::move(plain[i].der), i + 1, plain[i].line});
        return out;
    }
    PemBundle bundle = parse_pem_or_throw(bytes, path);
    for (std::size_t i = 0; i < bundle.blocks.size(); ++i) {
        PemBlock& block = bundle.blocks[i];
        if (block.type == "CERTIFICATE") {
            out.push_back({std::move(block.der), i + 1, block.line});
            continue;
        }
        if (strictness == Strictness::lenient) continue;
        throw Error(path,
                    "block " + std::to_string(i + 1) + " (line " + std::to_string(block.line) +
                        ") is a " + block.type + ", expected CERTIFICATE",
                    block.type.find("PRIVATE KEY") != std::string::npos
                        ? "a private key does not belong in a certificate file: remove it"
                        : "the file must hold certificates only",
                    ReadFailure::bad_pem);
    }
    return out;
}

ParsedFile parse_bytes(const std::string& path, std::string_view bytes, Strictness strictness,
                       CaCache& cache, WorkerState& worker) {
    std::vector<NumberedBlock> blocks = certificate_blocks(path, bytes, strictness);
    ParsedFile file;
    file.path = path;
    file.certs.reserve(blocks.size());
    for (NumberedBlock& block : blocks) {
        auto where = [&] {
            return path + ": block " + std::to_string(block.number) + " (line " +
                   std::to_string(block.line) + ")";
        };
        ParsedCert cert;
        auto facts = expiry_detail::read_cert_facts(block.der, &worker.facts);
        if (!facts || facts->is_ca) {
            // A CA, or DER the facts reader does not follow: the full parse decides (and names
            // the problem precisely when there is one). Either way a CA comes from the cache,
            // so each CA is one object however its DER is encoded.
            cert.full = cache.get(block.der, where());
            cert.facts = facts ? std::move(*facts) : expiry_detail::facts_of(*cert.full);
        } else {
            cert.facts = std::move(*facts);
            cert.der = std::move(block.der);
        }
        file.certs.push_back(std::move(cert));
    }
    file.skipped = file.certs.empty();
    return file;
}

// A node directory's swarm-root-ca.crt: parsed once per distinct content per worker, with the
// SHA-256 of its bytes (the join-token digest), which only root files need.
ParsedFile parse_root_file(const std::string& path, std::string_view bytes, CaCache& cache,
                           WorkerState& worker) {
    if (auto found = worker.root_files.find(bytes); found != worker.root_files.end()) {
        ParsedFile copy = found->second;
        copy.path = path;
        return copy;
    }
    ParsedFile file = parse_bytes(path, bytes, Strictness::strict, cache, worker);
    file.sha256 = worker.facts.hasher.hex(bytes);
    std::string key(bytes);
    bool only_cas = std::all_of(file.certs.begin(), file.certs.end(),
                                [](const ParsedCert& c) { return c.full != nullptr; });
    if (only_cas) {
        if (worker.root_files.size() >= WorkerState::kMaxRootFiles) worker.root_files.clear();
        worker.root_files.emplace(std::move(key), file);
    }
    return file;
}

enum class FileRole { root_file, other };

// The file `path` as `read_and_parse` gives it, or what it threw as the scan reports it: an
// Error with its own subject and reason, anything else (an ossl::Error, the only kind without a
// subject, is OpenSSL trouble in a parse) as a bad PEM of `path`.
template <typename ReadAndParse>
std::variant<ParsedFile, ScanError> parsed_or_error(const std::string& path,
                                                    ReadAndParse&& read_and_parse) {
    try {
        return read_and_parse();
    } catch (const Error& e) {
        if (e.subject().empty())
            return ScanError{path, ScanReason::bad_pem, path + ": " + e.what()};
        return ScanError{e.subject(), scan_reason(e.reason()), e.what()};
    } catch (const std::exception& e) {
        return ScanError{path, ScanReason::bad_pem, path + ": " + e.what()};
    }
}

// Reads and parses one file; `read`, when given, gets what its descriptor read (one fstat).
std::variant<ParsedFile, ScanError> load(const std::string& path, Strictness strictness,
                                         bool listed_regular, FileRole role, CaCache& cache,
                                         WorkerState& worker, FileIdentity* read = nullptr) {
    return parsed_or_error(path, [&] {
        // Into the worker's buffer; a file the walk listed as regular is not stat'ed again.
        KnownRegular known = listed_regular ? KnownRegular::yes : KnownRegular::no;
        std::string_view bytes = read ? read_file(path, worker.buffer, known, *read)
                                      : read_file(path, worker.buffer, known);
        if (role == FileRole::root_file) return parse_root_file(path, bytes, cache, worker);
        return parse_bytes(path, bytes, strictness, cache, worker);
    });
}

// In swarm-node.crt the leaf comes first and any CA after it is an intermediate (the
// cross-signed root during and after a rotation, or an external CA's chain).
CertKind kind_in_node_file(const ParsedCert& cert, CaCache&) {
    return cert.facts.is_ca ? CertKind::intermediate : CertKind::node;
}
CertKind kind_in_root_file(const ParsedCert& cert, CaCache&) {
    return cert.facts.is_ca ? CertKind::root : CertKind::node;
}
CertKind kind_in_other_file(const ParsedCert& cert, CaCache& cache) {
    if (!cert.facts.is_ca || !cert.full) return CertKind::node;
    bool self_signed = cert.full->subject_equals_issuer() &&
                       cache.verified_by(*cert.full, *cert.full);
    return self_signed ? CertKind::root : CertKind::intermediate;
}
using KindOf = CertKind (*)(const ParsedCert&, CaCache&);

struct Identity {
    std::optional<std::string> node_id, role, cluster_id;
    std::optional<bool> fips;
};

// node_identity.hpp's rule; a swarm leaf with an empty O names no cluster.
Identity identity_of(const CertFacts& leaf) {
    Identity id;
    auto parsed = parse_node_identity(leaf.cn, leaf.ou, leaf.o);
    if (!parsed) return id;
    id.node_id = std::move(parsed->node_id);
    id.role = std::move(parsed->role);
    if (!parsed->cluster.id.empty()) {
        id.cluster_id = std::move(parsed->cluster.id);
        id.fips = parsed->cluster.fips;
    }
    return id;
}

// Clusters are grouped by the O as written: the engine tells FIPS.<id> and <id> apart.
std::string cluster_key(const std::string& cluster_id, std::optional<bool> fips) {
    return fips.value_or(false) ? "FIPS." + cluster_id : cluster_id;
}

// Distinct roots and cross-signed candidates per cluster, for the cluster rule.
class CaRegistry {
public:
    void add_roots(const std::string& cluster, const std::string& digest,
                   const std::vector<CertPtr>& roots) {
        std::lock_guard lock(mutex_);
        clusters_[cluster].roots.try_emplace(digest, roots);
    }
    void add_intermediate(const std::string& cluster, CertPtr cert) {
        std::lock_guard lock(mutex_);
        clusters_[cluster].intermediates.insert(std::move(cert));
    }
    // True when every root digest of the cluster is linked to the others by a cross-signed
    // intermediate (an undirected union of "B's key, signed by A's key" edges).
    bool roots_linked(const std::string& cluster, CaCache& cache) const {
        auto found = clusters_.find(cluster);
        if (found == clusters_.end()) return false;
        const Entry& entry = found->second;
        std::vector<const std::vector<CertPtr>*> roots;
        for (const auto& [digest, certs] : entry.roots) roots.push_back(&certs);
        std::vector<std::size_t> parent(roots.size());
        std::iota(parent.begin(), parent.end(), 0);
        auto find = [&](std::size_t i) {
            while (parent[i] != i) i = parent[i] = parent[parent[i]];
            return i;
        };
        for (std::size_t a = 0; a < roots.size(); ++a)
            for (std::size_t b = 0; b < roots.size(); ++b)
                if (a != b && find(a) != find(b) &&
                    cross_signed(*roots[a], *roots[b], entry, cache))
                    parent[find(b)] = find(a);
        for (std::size_t i = 0; i < roots.size(); ++i)
            if (find(i) != find(0)) return false;
        return true;
    }

private:
    struct Entry {
        std::map<std::string, std::vector<CertPtr>> roots;  // by root file digest
        std::set<CertPtr> intermediates;                    // cached: one pointer per DER
    };
    static bool cross_signed(const std::vector<CertPtr>& from, const std::vector<CertPtr>& to,
                             const Entry& entry, CaCache& cache) {
        for (const CertPtr& cross : entry.intermediates)
            for (const CertPtr& new_root : to)
                if (cross->same_public_key(*new_root))
                    for (const CertPtr& old_root : from)
                        if (!old_root->same_public_key(*new_root) &&
                            cache.issued(*cross, *old_root, 1))
                            return true;
        return false;
    }

    mutable std::mutex mutex_;
    std::map<std::string, Entry> clusters_;
};

// What scanning some units gave, in plan order.
struct UnitResult {
    std::vector<CertExpiry> certificates;
    std::vector<ScanError> errors;
    std::vector<NodeDirectory> directories;
    std::size_t files_scanned = 0, files_skipped = 0;
};

// The file's records; its facts are moved into them (the file is done with once they exist).
void add_records(UnitResult& out, ParsedFile&& file, KindOf kind_of, const Identity& dir_id,
                 const ExpiryOptions& options, CaCache& cache) {
    out.certificates.reserve(out.certificates.size() + file.certs.size());
    for (std::size_t i = 0; i < file.certs.size(); ++i) {
        CertKind kind = kind_of(file.certs[i], cache);
        Identity own = kind == CertKind::node ? identity_of(file.certs[i].facts) : Identity{};
        CertExpiry e = expiry_detail::evaluate_facts(std::move(file.certs[i].facts), kind, options);
        e.path = file.path;
        e.index = i;
        if (e.kind == CertKind::node) {
            e.node_id = std::move(own.node_id);
            e.role = std::move(own.role);
            const Identity& cluster = own.cluster_id ? own : dir_id;
            e.cluster_id = cluster.cluster_id;
            e.fips = cluster.fips;
        } else {
            e.cluster_id = dir_id.cluster_id;
            e.fips = dir_id.fips;
        }
        out.certificates.push_back(std::move(e));
    }
}

// rotation_state.hpp decides; this feeds it the fast reader's records. Only CA certificates are
// parsed in full, and only a CA can be a rotation's intermediate, so the others are left out.
RotationState rotation_state(const ParsedFile& chain, const ParsedFile& roots, CaCache& cache) {
    if (chain.certs.empty()) return RotationState::none;
    const ParsedCert& leaf = chain.certs[0];
    std::vector<const Certificate*> bundled, trusted;
    for (std::size_t i = 1; i < chain.certs.size(); ++i)
        if (chain.certs[i].full) bundled.push_back(chain.certs[i].full.get());
    for (const ParsedCert& root : roots.certs)
        if (root.full) trusted.push_back(root.full.get());
    rotation_detail::LeafClaim claim;
    claim.is_ca = leaf.facts.is_ca;
    claim.issuer = &leaf.facts.issuer;
    claim.authority_key_id = &leaf.facts.authority_key_id;
    claim.issued_by_name_and_signature = [&](const Certificate& parent) {
        if (leaf.full)
            return leaf.full->issued_by_name(parent) && leaf.full->signature_verified_by(parent);
        Certificate full = Certificate::from_der(leaf.der, "leaf");
        return full.issued_by_name(parent) && full.signature_verified_by(parent);
    };
    return rotation_detail::decide_rotation(
        claim, bundled, trusted, [&](const Certificate& child, const Certificate& parent) {
            return cache.signed_by(child, parent);
        });
}

bool exists_no_follow(const fs::path& path) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(path, ec));
}

// A node directory's two certificate files, read together (node_directory.hpp: the files must
// belong to one instant), and what a .swarm-node.crt beside them means.
struct NodeFiles {
    std::variant<ParsedFile, ScanError> chain, roots;
    PendingCertificate renewal = PendingCertificate::absent;
};

std::variant<ParsedFile, ScanError> parse_read(const std::optional<CertificateFile>& file,
                                               const CertificatesDirectory& node,
                                               const std::string& path, FileRole role,
                                               CaCache& cache, WorkerState& worker) {
    if (!file) {
        Error e = failure_reading(node, path);
        return ScanError{e.subject(), scan_reason(e.reason()), e.what()};
    }
    return parsed_or_error(path, [&] {
        if (role == FileRole::root_file)
            return parse_root_file(file->entry.path, file->bytes, cache, worker);
        return parse_bytes(file->entry.path, file->bytes, Strictness::strict, cache, worker);
    });
}

// The rare path, where a .swarm-node.crt is present (or the caller inspects every directory: see
// ExpiryOptions::on_node_directory): the shared directory reader decides which certificate the
// node uses, exactly as inspect and verify do, and its bytes are parsed here.
struct NodePaths {
    std::string node, root, pending;  // swarm-node.crt, swarm-root-ca.crt, .swarm-node.crt
};

std::optional<NodeFiles> read_with_renewal(const ScanUnit& unit, const NodePaths& paths,
                                           const ExpiryOptions& options, CaCache& cache,
                                           WorkerState& worker) {
    CertificatesDirectory node = read_node_directory(unit.path, {options.unlock_key.get()});
    if (options.on_node_directory) options.on_node_directory(node);
    if (node.kept_changing) return std::nullopt;
    return NodeFiles{parse_read(node.cert_file, node, paths.node, FileRole::other, cache, worker),
                     parse_read(node.root_file, node, paths.root, FileRole::root_file, cache,
                                worker),
                     node.key_match.pending};
}

// What a descriptor read is still what the path names: by the listing's inode when the walk saw
// a regular file (no system call), else by a stat of the path after both files were read.
bool still_in_place(const std::variant<ParsedFile, ScanError>& loaded, const std::string& path,
                    const FileIdentity& read, std::uint64_t listed_inode) {
    if (std::holds_alternative<ScanError>(loaded)) return true;  // nothing of it is reported
    if (listed_inode != 0 && read.inode == listed_inode) return true;
    return path_identity(path) == read;
}

// The common path: swarm-node.crt and swarm-root-ca.crt, one fstat each beyond the read, read
// again (without trusting the listing) only when one of them changed meanwhile. nullopt when
// they kept changing kMaxDirectoryReads times.
std::optional<NodeFiles> read_node_files(const ScanUnit& unit, const NodePaths& paths,
                                         const ExpiryOptions& options, CaCache& cache,
                                         WorkerState& worker) {
    if (options.on_node_directory) return read_with_renewal(unit, paths, options, cache, worker);
    for (unsigned read = 1; read <= kMaxDirectoryReads; ++read) {
        bool listing = read == 1 && unit.listed;  // a re-read trusts nothing the walk saw
        bool pending = listing ? unit.pending_cert_listed : exists_no_follow(paths.pending);
        if (pending) return read_with_renewal(unit, paths, options, cache, worker);
        FileIdentity node_read, root_read;
        NodeFiles files{load(paths.node, Strictness::strict, listing && unit.node_cert_regular,
                             FileRole::other, cache, worker, &node_read),
                        load(paths.root, Strictness::strict, listing && unit.root_file_regular,
                             FileRole::root_file, cache, worker, &root_read)};
        if (still_in_place(files.chain, paths.node, node_read,
                           listing ? unit.node_cert_inode : 0) &&
            still_in_place(files.roots, paths.root, root_read, listing ? unit.root_file_inode : 0))
            return files;
    }
    return std::nullopt;
}

UnitResult scan_node_directory(const ScanUnit& unit, const ExpiryOptions& options, CaCache& cache,
                               CaRegistry& registry, WorkerState& worker) {
    UnitResult out;
    NodeDirectory dir;
    dir.path = unit.path;
    dir.kind = unit.directory;
    // Joined as strings: std::filesystem::path splits the whole path into components first.
    std::string base = unit.path.empty() || unit.path.back() == '/' ? unit.path : unit.path + '/';
    NodePaths paths{base + kNodeCertFile, base + kRootCertFile, base + kPendingNodeCertFile};
    const std::string& node_path = paths.node;
    const std::string& root_path = paths.root;
    dir.key_present = unit.listed ? unit.key_listed : exists_no_follow(base + kNodeKeyFile);

    std::optional<NodeFiles> files = read_node_files(unit, paths, options, cache, worker);
    if (!files) {
        Error e = directory_kept_changing(unit.path);
        out.errors.push_back({unit.path, scan_reason(e.reason()), e.what()});
        return out;
    }
    dir.renewal = files->renewal;

    auto mark_present = [&](const std::string& path) {
        (path == node_path ? dir.node_cert_present : dir.root_file_present) = true;
    };
    auto take = [&](std::variant<ParsedFile, ScanError>&& loaded,
                    const std::string& path) -> std::optional<ParsedFile> {
        if (auto* error = std::get_if<ScanError>(&loaded)) {
            // A CA directory holds no node certificate, and none is missing (node_files.hpp).
            if (dir.kind == DirectoryKind::ca && path == node_path &&
                error->reason == ScanReason::not_found)
                return std::nullopt;
            // Present unless it is not there at all (a dangling symlink is there, and broken).
            if (error->reason == ScanReason::not_found)
                error->message = path + ": no such file (a node directory holds both " +
                                 kNodeCertFile + " and " + kRootCertFile + "; collect both)";
            else mark_present(path);
            out.errors.push_back(std::move(*error));
            return std::nullopt;
        }
        mark_present(path);
        ++out.files_scanned;
        return std::get<ParsedFile>(std::move(loaded));
    };
    std::optional<ParsedFile> chain = take(std::move(files->chain), node_path);
    std::optional<ParsedFile> roots = take(std::move(files->roots), root_path);

    Identity id;
    if (chain && !chain->certs.empty()) id = identity_of(chain->certs[0].facts);
    dir.node_id = id.node_id;
    dir.role = id.role;
    dir.cluster_id = id.cluster_id;
    dir.fips = id.fips;
    if (roots) dir.root_file_sha256 = roots->sha256;
    if (chain && roots) dir.rotation = rotation_state(*chain, *roots, cache);
    if (id.cluster_id) {
        std::string key = cluster_key(*id.cluster_id, id.fips);
        if (roots) {
            std::vector<CertPtr> root_certs;
            for (const ParsedCert& c : roots->certs)
                if (c.full) root_certs.push_back(c.full);
            registry.add_roots(key, roots->sha256, root_certs);
        }
        if (chain)
            for (std::size_t i = 1; i < chain->certs.size(); ++i)
                if (chain->certs[i].full) registry.add_intermediate(key, chain->certs[i].full);
    }
    if (chain) add_records(out, std::move(*chain), kind_in_node_file, id, options, cache);
    if (roots) add_records(out, std::move(*roots), kind_in_root_file, id, options, cache);
    out.directories.push_back(std::move(dir));
    return out;
}

UnitResult scan_certificate_file(const ScanUnit& unit, const ExpiryOptions& options, CaCache& cache,
                                 WorkerState& worker) {
    UnitResult out;
    auto loaded = load(unit.path, unit.explicit_path ? Strictness::strict : Strictness::lenient,
                       unit.regular_file, FileRole::other, cache, worker);
    if (auto* error = std::get_if<ScanError>(&loaded)) {
        out.errors.push_back(std::move(*error));
        return out;
    }
    ParsedFile& file = std::get<ParsedFile>(loaded);
    if (file.skipped) {
        ++out.files_skipped;
        return out;
    }
    ++out.files_scanned;
    // A file named like a swarm file keeps that file's meaning even when given on its own.
    std::string name = fs::path(unit.path).filename().string();
    KindOf kind_of = name == kNodeCertFile   ? kind_in_node_file
                     : name == kRootCertFile ? kind_in_root_file
                                             : kind_in_other_file;
    add_records(out, std::move(file), kind_of, {}, options, cache);
    return out;
}

UnitResult scan_unit(const ScanUnit& unit, const ExpiryOptions& options, CaCache& cache,
                     CaRegistry& registry, WorkerState& worker) {
    try {
        if (unit.kind == ScanUnit::Kind::node_directory)
            return scan_node_directory(unit, options, cache, registry, worker);
        return scan_certificate_file(unit, options, cache, worker);
    } catch (const std::exception& e) {
        // Whatever escapes (an allocation failure, an OpenSSL oddity) is this unit's problem.
        UnitResult out;
        out.errors.push_back({unit.path, ScanReason::read_failed, unit.path + ": " + e.what()});
        return out;
    }
}

std::vector<ClusterSummary> summarize_clusters(const std::vector<NodeDirectory>& dirs,
                                               const CaRegistry& registry, CaCache& cache) {
    std::map<std::string, ClusterSummary> clusters;
    std::map<std::string, std::set<std::string>> digests;
    for (const NodeDirectory& dir : dirs) {
        if (!dir.cluster_id) continue;
        std::string key = cluster_key(*dir.cluster_id, dir.fips);
        ClusterSummary& c = clusters[key];
        c.cluster_id = *dir.cluster_id;
        c.fips = dir.fips.value_or(false);
        ++c.directories;
        if (dir.root_file_sha256) digests[key].insert(*dir.root_file_sha256);
        if (dir.rotation == RotationState::in_progress) c.rotation_in_progress = true;
    }
    std::vector<ClusterSummary> out;
    for (auto& [id, c] : clusters) {
        const auto& set = digests[id];
        c.root_digests.assign(set.begin(), set.end());
        if (c.root_digests.size() > 1) {
            if (registry.roots_linked(id, cache)) {
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

// Units per chunk of work: enough that handing chunks out costs nothing, few enough that a
// chunk parked out of order holds little.
constexpr std::size_t kUnitsPerChunk = 64;

ExpiryReport evaluate_expiry(const ScanPlan& plan, const ExpiryOptions& options) {
    CaCache cache;
    CaRegistry registry;
    ExpiryReport report;
    report.evaluated_at = options.at;
    report.threads = thread_count(options.threads);
    report.cert_expiry = options.cert_expiry;
    report.errors = plan.errors;
    // Room for a few certificates a unit: only what is written is touched, and the records are
    // moved in once, without regrowing a 100,000-record array.
    report.certificates.reserve(plan.units.size() * 3);
    report.directories.reserve(static_cast<std::size_t>(
        std::count_if(plan.units.begin(), plan.units.end(),
                      [](const ScanUnit& u) { return u.kind == ScanUnit::Kind::node_directory; })));

    std::size_t chunks = (plan.units.size() + kUnitsPerChunk - 1) / kUnitsPerChunk;
    std::vector<WorkerState> workers(workers_for(chunks, report.threads));
    expiry_detail::for_each_chunk_in_order<UnitResult>(
        chunks, report.threads,
        [&](std::size_t chunk, unsigned worker) {
            UnitResult batch;
            std::size_t end = std::min(plan.units.size(), (chunk + 1) * kUnitsPerChunk);
            for (std::size_t i = chunk * kUnitsPerChunk; i < end; ++i) {
                UnitResult r = scan_unit(plan.units[i], options, cache, registry, workers[worker]);
                std::move(r.certificates.begin(), r.certificates.end(),
                          std::back_inserter(batch.certificates));
                std::move(r.errors.begin(), r.errors.end(), std::back_inserter(batch.errors));
                std::move(r.directories.begin(), r.directories.end(),
                          std::back_inserter(batch.directories));
                batch.files_scanned += r.files_scanned;
                batch.files_skipped += r.files_skipped;
            }
            return batch;
        },
        [&](UnitResult&& batch) {
            std::move(batch.certificates.begin(), batch.certificates.end(),
                      std::back_inserter(report.certificates));
            std::move(batch.errors.begin(), batch.errors.end(), std::back_inserter(report.errors));
            std::move(batch.directories.begin(), batch.directories.end(),
                      std::back_inserter(report.directories));
            report.summary.files_scanned += batch.files_scanned;
            report.summary.files_skipped += batch.files_skipped;
        });

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
    summary.clusters = summarize_clusters(report.directories, registry, cache);
    for (const ClusterSummary& c : summary.clusters) status = worst(status, c.severity);
    // One rule with inspect (severity.hpp); nothing evaluated at all is unevaluable too.
    bool unevaluable = !report.errors.empty() || report.certificates.empty();
    report.status = run_verdict(status, unevaluable ? Unevaluable::some : Unevaluable::none);
    return report;
}

}  // namespace swarmpki
