// Reads a node's certificate directory: stat first, then each engine file once.
//
// Reading goes through read_file (capped at 1 MiB, refusing directories and devices, naming
// dangling symlinks) so that every failure is one line with the file and the remedy. The first
// failure is kept; the other files are still read so the report can say as much as it can.
#include "swarmpki/node_directory.hpp"

#include <openssl/crypto.h>

#include <dirent.h>

#include <algorithm>
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
    if (!block_.der.empty()) OPENSSL_cleanse(block_.der.data(), block_.der.size());
    block_.der.clear();
    for (PemHeader& header : block_.headers)
        if (!header.value.empty()) OPENSSL_cleanse(header.value.data(), header.value.size());
    block_.headers.clear();
}

namespace {

// Wipes a string holding key text when it goes out of scope.
struct WipeOnExit {
    std::string& text;
    ~WipeOnExit() {
        if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
    }
};

bool is_under(const std::string& path, const std::string& dir) {
    if (dir.empty() || path.size() <= dir.size()) return false;
    if (dir == "/") return true;
    return path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

DirectoryEntry describe_entry(const std::string& dir, const std::string& resolved_dir,
                              const std::string& name) {
    DirectoryEntry entry;
    entry.name = name;
    entry.path = dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
    entry.facts = file_facts(entry.path);
    if (entry.facts.is_symlink && !entry.facts.resolved.empty() && !resolved_dir.empty())
        entry.outside_directory = !is_under(entry.facts.resolved, resolved_dir);
    return entry;
}

CertificateFile read_certificate_file(DirectoryEntry entry) {
    CertificateFile file;
    file.bytes = read_file(entry.path);
    PemBundle bundle = parse_pem_or_throw(file.bytes, entry.path);
    file.crlf = bundle.crlf;
    file.text_outside_blocks = bundle.text_outside_blocks;
    file.certificates = chain_certificates_from_pem(bundle, entry.path);
    file.entry = std::move(entry);
    return file;
}

KeyFile read_key_file(DirectoryEntry entry) {
    KeyFile file;
    std::string text = read_file(entry.path);
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
                    "holds " + std::to_string(bundle.blocks.size()) + " PEM blocks, expected one key",
                    "swarm-node.key must hold only the node's private key", ReadFailure::bad_pem);
    file.key = KeyBlock(std::move(bundle.blocks[index]));
    file.entry = std::move(entry);
    return file;
}

LegacyRootKeyFile read_legacy_root_key(DirectoryEntry entry) {
    LegacyRootKeyFile file;
    try {
        std::string text = read_file(entry.path);
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

// Runs one read step, keeping the first error and carrying on.
template <typename Step>
void attempt(CertificatesDirectory& node, Step&& step) {
    try {
        step();
    } catch (const Error& e) {
        if (!node.error) node.error = e;
    }
}

}  // namespace

CertificatesDirectory read_node_directory(const std::string& dir) {
    CertificatesDirectory node;
    node.dir = dir;
    node.dir_facts = file_facts(dir);
    if (!node.dir_facts.exists || node.dir_facts.dangling) {
        node.error = Error(dir, node.dir_facts.dangling ? "dangling symlink" : "no such directory",
                           std::string("give the node's certificates directory (the engine's is ") +
                               kDefaultCertificatesDir + ")",
                           node.dir_facts.dangling ? ReadFailure::broken_symlink
                                                   : ReadFailure::not_found);
        return node;
    }
    if (!node.dir_facts.is_directory) {
        node.error = Error(dir, "not a directory", "give the directory that holds swarm-node.crt",
                           ReadFailure::not_a_file);
        return node;
    }
    const std::string& resolved = node.dir_facts.resolved;

    DirectoryEntry root = describe_entry(dir, resolved, kRootCertFile);
    DirectoryEntry cert = describe_entry(dir, resolved, kNodeCertFile);
    DirectoryEntry key = describe_entry(dir, resolved, kNodeKeyFile);
    for (const DirectoryEntry* entry : {&root, &cert, &key})
        if (entry->facts.exists) node.entries.push_back(*entry);
    attempt(node, [&] { node.root_file = read_certificate_file(std::move(root)); });
    attempt(node, [&] { node.cert_file = read_certificate_file(std::move(cert)); });
    if (key.facts.exists)  // an absent key is a finding, not a reason to stop
        attempt(node, [&] { node.key_file = read_key_file(std::move(key)); });

    for (const std::string& name : list_names(dir)) {
        if (is_leftover(name)) node.leftovers.push_back(describe_entry(dir, resolved, name));
        if (name == kRootKeyFile)
            node.legacy_root_key = read_legacy_root_key(describe_entry(dir, resolved, name));
    }
    return node;
}

}  // namespace swarmpki
