// Node directories written by the CA engine for tests that need a known state: a trust root, a
// leaf signed by a root or by a cross-signed certificate, and whatever else the chain bundles.
#pragma once

#include "swarmpki/ca.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/time.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace swarmpki::test {

inline const Instant kNodeIssuedAt = *parse_rfc3339("2026-11-28T22:54:07Z");
inline const char* const kRaftDek = "CiDn4Zc1o9hB1cV3uYtZ0xQwErTyUiOpAsDfGhJkLzXcVb==";  // made up

struct NodeSpec {
    NodeRole role = NodeRole::worker;
    Instant issued = kNodeIssuedAt;
    std::string cluster_id = "45dwjg326020dkgqtum4kdw4o";
};

struct Node {
    std::filesystem::path dir;
    PrivateKey key;
    Certificate leaf;
};

// Writes a node directory: `trust` as swarm-root-ca.crt, a leaf signed by `signer` (a root, or
// a cross-signed certificate with `signer_key`), then `extra` certificates in swarm-node.crt.
// Managers get the engine's manager key headers (kek-version and a raft DEK).
inline Node write_node(const std::filesystem::path& dir, const Certificate& trust,
                       const Certificate& signer, const PrivateKey& signer_key,
                       const std::vector<Certificate>& extra = {}, const NodeSpec& spec = {}) {
    PrivateKey key = KeyGenerator().generate();
    NodeCertificateIssuer issuer(signer, signer_key, kDefaultNodeCertExpiry);
    Certificate leaf = issuer.issue({new_engine_id(), spec.role, spec.cluster_id}, key.get0(),
                                    spec.issued);
    std::string chain = leaf.to_pem();
    for (const Certificate& c : extra) chain += c.to_pem();
    std::string key_pem = encode_node_key(key);
    if (spec.role == NodeRole::manager) {
        std::vector<PemHeader> headers;
        headers.push_back({"kek-version", "18"});
        headers.push_back({"raft-dek", kRaftDek});
        key_pem = encode_pkcs8_pem(key, headers);
    }
    write_node_directory(dir.string(), {trust.to_pem(), chain, key_pem}, Overwrite::no);
    return {dir, std::move(key), leaf};
}

inline Node simple_node(const std::filesystem::path& dir, const RootCa& root,
                        const NodeSpec& spec = {}) {
    return write_node(dir, root.certificate, root.certificate, root.key, {}, spec);
}

}  // namespace swarmpki::test
