// Reads a node's certificate directory: stat first, then each engine file once, then a stat of
// every path read to see that nothing changed meanwhile; then the key is compared with the
// certificates the way the engine's reader compares them.
//
// Reading goes through read_file (capped at 1 MiB, refusing directories and devices, naming
// dangling symlinks) so that every failure is one line with the file and the remedy. Every
// failure is kept, in read order; the other files are still read so the report can say as much as
// it can. A key this user may not read is no failure: it is the normal state of an operator's
// account on a node (0600 root), and everything else can still be judged.
//
// Why the stat afterwards proves a consistent read: every file is opened before any path is
// stat'ed again, so when each path still names the file its descriptor read (same inode, size and
// mtime; or is still absent), there was an instant, the last open, at which all of them were in
// place together. The engine replaces files only by rename, so a file it rewrote shows up as
// another inode.
#include "swarmpki/node_directory.hpp"

#include "../crypto/ossl.hpp"
#include "swarmpki/cert_scan.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>

namespace swarmpki {

KeyBlock::KeyBlock(PemBlock block) : block_(std::move(block)) {
    block_.original = {};  // it pointed into the file text, which is wiped after parsing
}

KeyBlock::KeyBlock(KeyBlock&& other) noexcept : block_(std::move(other.block_)) { other.wipe(); }

KeyBlock& KeyBlock::operator=(KeyBlock&& other) noexcept {
    if (this != &other) {
        wipe();
        block_ = std::move(other.block_);
        other.wipe();
    }
    return *this;
}

KeyBlock::~KeyBlock() { wipe(); }

void KeyBlock::wipe() {
    if (!block_.der.empty()) secure_wipe(block_.der.data(), block_.der.size());
    block_.der.clear();
    for (PemHeader& header : block_.headers)
        if (!header.value.empty()) secure_wipe(header.value.data(), header.value.size());
    block_.headers.clear();
}

namespace {

// Wipes a string holding key text when it goes out of scope.
struct WipeOnExit {
    std::string& text;
    ~WipeOnExit() {
        if (!text.empty()) secure_wipe(text.data(), text.size());
    }
};

bool is_under(const std::string& path, const std::string& dir) {
    if (dir.empty() || path.size() <= dir.size()) return false;
    if (dir == "/") return true;
    return path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// The directory's realpath, resolved the first time a symlink in it needs comparing: most
// directories hold none, and a realpath costs a system call per path component.
class ResolvedDirectory {
public:
    explicit ResolvedDirectory(const std::string& dir) : dir_(dir) {}
    const std::string& path() {
        if (!resolved_) resolved_ = real_path(dir_).value_or(std::string());
        return *resolved_;
    }

private:
    const std::string& dir_;
    std::optional<std::string> resolved_;
};

DirectoryEntry describe_entry(const std::string& dir, ResolvedDirectory& resolved_dir,
                              const std::string& name, AccountNames& names) {
    DirectoryEntry entry;
    entry.name = name;
    entry.path = dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
    entry.facts = file_facts(entry.path, names);
    if (entry.facts.is_symlink && !entry.facts.resolved.empty() && !resolved_dir.path().empty())
        entry.outside_directory = !is_under(entry.facts.resolved, resolved_dir.path());
    return entry;
}

// What one read of the directory saw at each path: the file its descriptor read, or nothing
// (absent). Paths that failed otherwise (permission denied) are not watched: they cannot change
// the verdict from one read to the next.
class ReadLog {
public:
    // Reads `path` and records what was read; an absent file is recorded as absent.
    std::string read(const std::string& path) {
        FileIdentity identity;
        try {
            std::string bytes = read_file(path, identity);
            seen_.push_back({path, identity});
            return bytes;
        } catch (const Error& e) {
            if (e.reason() == ReadFailure::not_found) seen_.push_back({path, std::nullopt});
            throw;
        }
    }
    // Reads `path` if anything is there; absent is recorded and answered, not thrown.
    std::optional<std::string> read_if_present(const std::string& path) {
        FileIdentity identity;
        std::optional<std::string> bytes = read_file_if_present(path, identity);
        seen_.push_back({path, bytes ? std::optional(identity) : std::nullopt});
        return bytes;
    }
    // Every path still names what was read from it.
    bool unchanged() const {
        return std::all_of(seen_.begin(), seen_.end(),
                           [](const Seen& s) { return path_identity(s.path) == s.identity; });
    }

private:
    struct Seen {
        std::string path;
        std::optional<FileIdentity> identity;
    };
    std::vector<Seen> seen_;
};

CertificateFile parse_certificate_file(DirectoryEntry entry, std::string bytes) {
    CertificateFile file;
    file.bytes = std::move(bytes);
    PemBundle bundle = parse_pem_or_throw(file.bytes, entry.path);
    file.crlf = bundle.crlf;
    file.text_outside_blocks = bundle.text_outside_blocks;
    file.certificates = chain_certificates_from_pem(bundle, entry.path);
    if (file.certificates.empty())
        throw Error(entry.path, "holds no certificate", "the file must hold the node's certificate",
                    ReadFailure::bad_pem);
    file.entry = std::move(entry);
    return file;
}

CertificateFile read_certificate_file(DirectoryEntry entry, ReadLog& log) {
    std::string bytes = log.read(entry.path);
    return parse_certificate_file(std::move(entry), std::move(bytes));
}

KeyFile read_key_file(DirectoryEntry entry, ReadLog& log) {
    KeyFile file;
    std::string text = log.read(entry.path);
    WipeOnExit wipe{text};
    PemBundle bundle = parse_pem_or_throw(text, entry.path);
    file.crlf = bundle.crlf;
    file.text_outside_blocks = bundle.text_outside_blocks;
    const PemBlock& block = key_block_of(bundle, entry.path);
    auto index = static_cast<std::size_t>(&block - bundle.blocks.data());
    file.facts = describe_key_block(block);
    if (file.facts.encoding == KeyEncoding::unknown)
        throw Error(entry.path, "a " + block.type + " block is not a private key",
                    "swarm-node.key must hold the node's private key", ReadFailure::bad_pem);
    if (bundle.blocks.size() > 1)
        throw Error(entry.path,
                    "holds " + std::to_string(bundle.blocks.size()) +
                        " PEM blocks, expected one key",
                    "swarm-node.key must hold only the node's private key", ReadFailure::bad_pem);
    file.key = KeyBlock(std::move(bundle.blocks[index]));
    file.entry = std::move(entry);
    return file;
}

LegacyRootKeyFile read_legacy_root_key(DirectoryEntry entry, ReadLog& log) {
    LegacyRootKeyFile file;
    try {
        std::string text = log.read(entry.path);
        WipeOnExit wipe{text};
        PemBundle bundle = parse_pem_or_throw(text, entry.path);
        const PemBlock& block = key_block_of(bundle, entry.path);
        auto index = static_cast<std::size_t>(&block - bundle.blocks.data());
        file.facts = describe_key_block(block);
        file.key = KeyBlock(std::move(bundle.blocks[index]));
    } catch (const Error& e) {
        file.problem = e.problem();
    }
    file.entry = std::move(entry);
    return file;
}

bool is_leftover(const std::string& name) {
    return name == ".swarm-node.crt" || name == ".swarm-node.key" || name.rfind(".tmp-", 0) == 0;
}

std::vector<std::string> list_names(const std::string& dir) {
    std::vector<std::string> names;
    std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), ::closedir);
    if (!handle) return names;
    while (const dirent* found = ::readdir(handle.get())) {
        std::string name = found->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Runs one read step, keeping every error and carrying on.
template <typename Step>
void attempt(CertificatesDirectory& node, Step&& step) {
    try {
        step();
    } catch (const Error& e) {
        node.errors.push_back(e);
    }
}

// Loads the key in memory only to compare it, when it can be loaded: a plain key, or an
// encrypted one with the unlock key.
std::optional<PrivateKey> load_for_matching(const KeyFile& file, const NodeReadOptions& options,
                                            KeyMatch& match) {
    if (file.facts.encrypted && options.unlock_key == nullptr) return std::nullopt;
    // Refused key-derivation parameters are a finding (key-kdf-refused), not an error, and no
    // derivation is tried: an attacker's iteration count must cost nothing.
    if (file.facts.encryption_refused) return std::nullopt;
    try {
        PrivateKey key = load_private_key(file.key.block(),
                                          file.facts.encrypted ? options.unlock_key : nullptr,
                                          file.entry.path);
        match.key_type = key.type();
        return key;
    } catch (const ossl::Error& e) {  // no subject of its own: name the key file
        match.key_error = Error(file.entry.path, e.what());
    } catch (const Error& e) {
        match.key_error = e;
    }
    return std::nullopt;
}

bool same_key(const CertificateFile& a, const CertificateFile& b) {
    return a.certificates.front().same_public_key(b.certificates.front());
}

// The engine's reader, as a decision: which certificate the node uses (renewal.hpp).
// `cert_replaceable`: swarm-node.crt was read and parsed, or is missing, or is not a certificate:
// the engine then tries .swarm-node.crt (a swarm-node.crt it cannot read at all, it does not).
// `key_exists` tells an absent key from an unreadable one.
void decide_pair(CertificatesDirectory& node, bool cert_replaceable, bool key_exists,
                 const NodeReadOptions& options) {
    KeyMatch& match = node.key_match;
    std::optional<PrivateKey> key;
    if (node.key_file) key = load_for_matching(*node.key_file, options, match);
    if (key && node.cert_file) match.matches = key->matches(node.cert_file->certificates.front());
    if (!node.pending_cert_file) return;

    const CertificateFile& pending = *node.pending_cert_file;
    bool pending_matches = key && key->matches(pending.certificates.front());
    if (match.matches == std::optional<bool>(true)) {
        match.pending = PendingCertificate::leftover;
    } else if (pending_matches && cert_replaceable) {
        match.pending = PendingCertificate::in_flight;
        if (node.cert_file) node.superseded_cert_file = std::move(node.cert_file);
        node.cert_file = std::move(node.pending_cert_file);
        node.pending_cert_file.reset();
        match.matches = true;
    } else if (key) {
        match.pending = PendingCertificate::stale;
    } else if (!key_exists || (node.cert_file && same_key(*node.cert_file, pending))) {
        // No key at all, or one key in both certificates: whatever the key is, the engine
        // settles on swarm-node.crt (or on nothing), never on .swarm-node.crt.
        match.pending = PendingCertificate::leftover;
    } else {
        match.pending = PendingCertificate::unchecked;
    }
}

// One read of every file the judgement depends on; `log` records what each path held.
CertificatesDirectory read_once(const std::string& dir, const FileFacts& dir_facts,
                                const NodeReadOptions& options, ReadLog& log, AccountNames& names) {
    CertificatesDirectory node;
    node.dir = dir;
    node.dir_facts = dir_facts;
    ResolvedDirectory resolved(dir);

    DirectoryEntry root = describe_entry(dir, resolved, kRootCertFile, names);
    DirectoryEntry cert = describe_entry(dir, resolved, kNodeCertFile, names);
    DirectoryEntry key = describe_entry(dir, resolved, kNodeKeyFile, names);
    DirectoryEntry pending = describe_entry(dir, resolved, kPendingNodeCertFile, names);
    for (const DirectoryEntry* entry : {&root, &cert, &key})
        if (entry->facts.exists) node.entries.push_back(*entry);
    const bool cert_exists = cert.facts.exists;
    attempt(node, [&] { node.root_file = read_certificate_file(std::move(root), log); });
    std::optional<Error> cert_error;  // kept back: .swarm-node.crt may stand in for it
    try {
        node.cert_file = read_certificate_file(std::move(cert), log);
    } catch (const Error& e) {
        cert_error = e;
    }
    bool key_exists = key.facts.exists;
    if (key_exists) {  // an absent key is a finding, not a reason to stop
        DirectoryEntry key_entry = key;
        try {
            node.key_file = read_key_file(std::move(key), log);
        } catch (const Error& e) {
            if (e.reason() == ReadFailure::permission_denied)
                node.key_unreadable = UnreadableKey{std::move(key_entry), e};
            else node.errors.push_back(e);
        }
    }
    try {
        // Always read, after the key, even when the stat above saw nothing: a renewal that
        // renamed .swarm-node.crt in between the stat and the key read is then judged in
        // flight. Deciding "absent" from the earlier stat left a window in which an old
        // certificate and a new key read as a critical key-mismatch (2 in 10,000 under the
        // rename race of test_renewal_in_flight.cpp), when the read log's check could not tell.
        if (auto bytes = log.read_if_present(pending.path))
            node.pending_cert_file = parse_certificate_file(std::move(pending), std::move(*bytes));
    } catch (const Error& e) {  // absent is no error: read_if_present answered it
        node.key_match.pending_problem = e.problem();
    }

    for (const std::string& name : list_names(dir)) {
        if (is_leftover(name)) node.leftovers.push_back(describe_entry(dir, resolved, name, names));
        if (name == kRootKeyFile)
            node.legacy_root_key = read_legacy_root_key(describe_entry(dir, resolved, name, names),
                                                        log);
    }
    bool cert_replaceable = !cert_error || cert_error->reason() == ReadFailure::not_found ||
                            cert_error->reason() == ReadFailure::bad_pem;
    decide_pair(node, cert_replaceable, key_exists, options);
    node.kind = directory_kind(node.legacy_root_key.has_value(), cert_exists);
    if (node.kind == DirectoryKind::ca) cert_error.reset();  // no node certificate is expected
    if (cert_error && !node.cert_file) {
        // In read order: after the root file's error, if it had one.
        auto at = std::min<std::size_t>(node.root_file ? 0 : 1, node.errors.size());
        node.errors.insert(node.errors.begin() + static_cast<std::ptrdiff_t>(at), *cert_error);
    }
    if (node.key_match.key_error) node.errors.push_back(*node.key_match.key_error);
    if (!node.errors.empty()) node.error = node.errors.front();
    return node;
}

bool holds_engine_file(const std::string& dir) {
    std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    struct stat st {};
    for (const char* name : {kNodeCertFile, kRootCertFile, kNodeKeyFile, kRootKeyFile})
        if (::lstat((base + name).c_str(), &st) == 0) return true;
    return false;
}

}  // namespace

Error no_such_directory(const std::string& path) {
    std::string remedy =
        path == kDefaultCertificatesDir
            ? std::string("this machine is not a swarm node, or its engine keeps its data "
                          "elsewhere: give the certificates directory with --dir DIR")
            : std::string("give a node's certificates directory with --dir DIR; the engine's is ") +
                  kDefaultCertificatesDir;
    return Error(path, "no such file or directory", remedy, ReadFailure::not_found);
}

std::vector<std::string> expand_node_directories(std::span<const std::string> paths) {
    std::vector<std::string> dirs;
    auto add = [&](const std::string& dir) {
        if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
    };
    for (const std::string& path : paths) {
        struct stat st {};
        // A node directory is itself even when a file is missing: the reader says which.
        if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || holds_engine_file(path)) {
            add(path);
            continue;
        }
        std::size_t before = dirs.size();
        // One walker, as in `expiry`: a tree is listed on one thread here (a few directories,
        // and inspect's start-up is its cost).
        ScanPlan plan = plan_scan(std::span<const std::string>(&path, 1), 1);
        for (const ScanUnit& unit : plan.units)
            if (unit.kind == ScanUnit::Kind::node_directory) add(unit.path);
        if (dirs.size() == before) add(path);  // nothing under it: the reader says so
    }
    return dirs;
}

std::string_view to_string(PendingCertificate state) {
    switch (state) {
        case PendingCertificate::absent: return "absent";
        case PendingCertificate::leftover: return "leftover";
        case PendingCertificate::in_flight: return "in-flight";
        case PendingCertificate::stale: return "stale";
        case PendingCertificate::unchecked: return "unchecked";
    }
    return "absent";
}

CertificatesDirectory read_node_directory(const std::string& dir, const NodeReadOptions& options) {
    CertificatesDirectory node;
    node.dir = dir;
    AccountNames names;  // the directory and its files mostly share one owner
    node.dir_facts = file_facts(dir, names);
    if (!node.dir_facts.exists) {
        node.error = no_such_directory(dir);
        node.errors.push_back(*node.error);
        return node;
    }
    if (node.dir_facts.dangling) {
        node.error = Error(dir, "dangling symlink",
                           "restore what it points to, or give the node's certificates directory "
                           "with --dir DIR",
                           ReadFailure::broken_symlink);
        node.errors.push_back(*node.error);
        return node;
    }
    if (!node.dir_facts.is_directory) {
        node.error = Error(dir, "not a directory",
                           "give the directory that holds swarm-node.crt with --dir DIR",
                           ReadFailure::not_a_file);
        node.errors.push_back(*node.error);
        return node;
    }
    for (unsigned read = 1; read <= kMaxDirectoryReads; ++read) {
        ReadLog log;
        CertificatesDirectory once = read_once(dir, node.dir_facts, options, log, names);
        once.reads = read;
        if (log.unchanged()) return once;
    }
    // Nothing from a mix of states is reported: only that it kept changing.
    node.reads = kMaxDirectoryReads;
    node.kept_changing = true;
    node.error = directory_kept_changing(dir);
    node.errors.push_back(*node.error);
    return node;
}

Error directory_kept_changing(const std::string& dir) {
    return Error(dir,
                 "its files changed while they were read, " + std::to_string(kMaxDirectoryReads) +
                     " times in a row",
                 "something is rewriting the node's certificates (the engine's renewal takes "
                 "milliseconds): read it again in a moment",
                 ReadFailure::read_failed);
}

Error failure_reading(const CertificatesDirectory& node, const std::string& path) {
    // A certificate's own failure names its block: "<path>: block 1 (line 1)".
    auto about = [](const std::string& subject, const std::string& file) {
        return subject.rfind(file, 0) == 0 &&
               (subject.size() == file.size() || subject[file.size()] == ':');
    };
    for (const Error& e : node.errors)
        if (about(e.subject(), path)) return e;
    for (const Error& e : node.errors)
        if (e.subject() == node.dir) return e;
    return Error(path, "could not be read", "check the path", ReadFailure::read_failed);
}

}  // namespace swarmpki
