// A swarm node's certificate directory, read once and parsed once.
//
// The engine keeps three files in `<data-root>/swarm/certificates`: the trust root bundle
// (swarm-root-ca.crt), the node certificate with any intermediates (swarm-node.crt) and the node
// key (swarm-node.key). Beside them we look for what tells a story: a legacy swarm-root-ca.key
// (nodes from 2016 kept the root key on disk) and leftovers of an interrupted atomic write
// (.swarm-node.crt, .swarm-node.key, .tmp-*). Nothing here judges; inspect does. Nothing here
// writes: the directory is only ever read.
#pragma once

#include "swarmpki/certificate.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/private_key.hpp"

#include <optional>
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

struct CertificatesDirectory {
    std::string dir;  // as given
    FileFacts dir_facts;
    std::optional<CertificateFile> root_file;
    std::optional<CertificateFile> cert_file;
    std::optional<KeyFile> key_file;  // nullopt when the file is absent (or unreadable: see error)
    std::optional<LegacyRootKeyFile> legacy_root_key;
    std::vector<DirectoryEntry> entries;    // the three engine files that exist, symlinks included
    std::vector<DirectoryEntry> leftovers;  // .swarm-node.crt, .swarm-node.key, .tmp-*
    std::optional<Error> error;             // the first thing that stops an evaluation
};

// Reads `dir`. Never throws for bad input: the first failure lands in `error`, naming the file
// and the remedy, and everything that could still be read is filled in.
CertificatesDirectory read_node_directory(const std::string& dir);

}  // namespace swarmpki
