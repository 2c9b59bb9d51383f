// A swarm node's certificate directory, read once and parsed once.
//
// The engine keeps three files in `<data-root>/swarm/certificates`: the trust root bundle
// (swarm-root-ca.crt), the node certificate with any intermediates (swarm-node.crt) and the node
// key (swarm-node.key). Beside them we look for what tells a story: a legacy swarm-root-ca.key
// (nodes from 2016 kept the root key on disk) and leftovers of an interrupted atomic write
// (.swarm-node.crt, .swarm-node.key, .tmp-*). Nothing here writes: the directory is only ever read.
//
// Two things are decided here, once, so that inspect, expiry, verify and serve cannot disagree:
//  - which certificate is the node's: the key is compared with swarm-node.crt and, when that
//    fails, with .swarm-node.crt, as the engine's reader does (renewal.hpp). A renewal caught
//    between the engine's key write and its rename is a pair the engine uses, not a broken one.
//  - that the files belong together: each is read once through one descriptor, and when any of
//    them changed while the directory was read (another inode, size or mtime at the path
//    afterwards), the whole directory is read again, kMaxDirectoryReads times at most.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error \
    "swarmpki/node_directory.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/certificate.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/renewal.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace swarmpki {

// One name in the directory, as lstat/stat see it, before and without reading it.
struct DirectoryEntry {
    std::string name;  // "swarm-node.key"
    std::string path;  // the directory as given + "/" + name
    FileFacts facts;
    bool outside_directory = false;  // a symlink that resolves outside the directory
};

// A certificate bundle file: its exact bytes (the join-token digest is over these) and its
// certificates in file order.
struct CertificateFile {
    DirectoryEntry entry;
    std::string bytes;
    std::vector<Certificate> certificates;
    bool crlf = false;
    bool text_outside_blocks = false;
};

// A private key block kept only as long as needed: the DER and the header values (raft-dek is a
// secret while autolock is off) are wiped when this is destroyed. Move-only.
class KeyBlock {
public:
    KeyBlock() = default;
    explicit KeyBlock(PemBlock block);
    KeyBlock(KeyBlock&& other) noexcept;
    KeyBlock& operator=(KeyBlock&& other) noexcept;
    KeyBlock(const KeyBlock&) = delete;
    KeyBlock& operator=(const KeyBlock&) = delete;
    ~KeyBlock();

    const PemBlock& block() const { return block_; }

private:
    void wipe();
    PemBlock block_;
};

struct KeyFile {
    DirectoryEntry entry;
    KeyFileFacts facts;  // names of headers, never values
    KeyBlock key;
    bool crlf = false;
    bool text_outside_blocks = false;
};

// The legacy root key is reported, never required: a problem reading it is kept as text.
struct LegacyRootKeyFile {
    DirectoryEntry entry;
    std::optional<KeyFileFacts> facts;
    std::optional<KeyBlock> key;
    std::string problem;  // why it could not be read or parsed; empty when it was
};

// The key compared with the node's certificates, once for every command.
struct KeyMatch {
    PendingCertificate pending = PendingCertificate::absent;
    std::optional<std::string> key_type;  // when the key was loaded
    std::optional<bool> matches;          // key vs cert_file's leaf; nullopt when not compared
    std::optional<Error> key_error;       // loading failed: a wrong unlock key, a damaged key
    std::string pending_problem;          // why .swarm-node.crt could not be parsed, if it was not
};

// A key file that exists but that this user may not read (0600 root, read by an operator):
// everything else is still evaluated, and whether the key matches is left unknown.
struct UnreadableKey {
    DirectoryEntry entry;  // lstat/stat facts: mode and owner need no read permission
    Error error;           // the permission failure, naming the file
};

struct CertificatesDirectory {
    std::string dir;  // as given
    FileFacts dir_facts;
    DirectoryKind kind = DirectoryKind::node;
    std::optional<CertificateFile> root_file;
    // The node certificate the engine uses: swarm-node.crt, or .swarm-node.crt when a renewal is
    // in flight (key_match.pending == in_flight; its entry then names .swarm-node.crt).
    std::optional<CertificateFile> cert_file;
    std::optional<CertificateFile> superseded_cert_file;  // swarm-node.crt, when in flight
    std::optional<CertificateFile> pending_cert_file;     // .swarm-node.crt, when not in flight
    KeyMatch key_match;
    std::optional<KeyFile> key_file;  // nullopt when the file is absent (or unreadable: see error)
    std::optional<UnreadableKey> key_unreadable;  // present but permission denied: not an error
    std::optional<LegacyRootKeyFile> legacy_root_key;
    std::vector<DirectoryEntry> entries;    // the three engine files that exist, symlinks included
    std::vector<DirectoryEntry> leftovers;  // .swarm-node.crt, .swarm-node.key, .tmp-*
    std::optional<Error> error;             // the first thing that stops an evaluation
    std::vector<Error> errors;              // every failure, in read order (error is the first)
                                            // and the key's (a wrong unlock key) last
    unsigned reads = 0;                     // how many times the directory was read (1 = settled)
    bool kept_changing = false;  // still changing after kMaxDirectoryReads: `error` says so
};

// A directory whose files change this many reads in a row is reported as changing (an error of
// its own, with nothing else read from it), not judged from a mix of two states.
inline constexpr unsigned kMaxDirectoryReads = 3;

struct NodeReadOptions {
    const SecretBytes* unlock_key = nullptr;  // borrowed; decrypts an autolocked key in memory
};

// Reads `dir`. Never throws for bad input: the first failure lands in `error`, naming the file
// and the remedy, and everything that could still be read is filled in.
CertificatesDirectory read_node_directory(const std::string& dir,
                                          const NodeReadOptions& options = {});

// What kept the file at `path` (dir + "/" + name) from being read: its own failure, or the
// directory's (missing, changing) when it has none.
Error failure_reading(const CertificatesDirectory& node, const std::string& path);

// The one-line error for a directory whose files kept changing while they were read.
Error directory_kept_changing(const std::string& dir);

// The one wording of a directory that is not there, for every command that takes one (inspect,
// expiry, verify, serve): names --dir, and says what it means when it is the engine's default.
Error no_such_directory(const std::string& path);

// The directories to inspect for PATHs as given: a node (or CA) directory stays itself, a tree
// becomes every such directory under it, found by plan_scan (cert_scan.hpp), the walk expiry and
// serve use, in its order; a path that is neither (missing, a file, a tree with none) stays, for
// the reader to say why. Duplicates are dropped, the first kept.
std::vector<std::string> expand_node_directories(std::span<const std::string> paths);

}  // namespace swarmpki
