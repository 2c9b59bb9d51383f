// The engine's file names in a node's certificate directory (/var/lib/docker/swarm/certificates),
// one spelling for every module: inspect, expiry, the CA engine's output, serve's TLS settings.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/node_files.hpp is crypto layer (2); the util layer may not include it"
#endif

#include <string_view>

namespace swarmpki {

inline constexpr const char* kDefaultCertificatesDir = "/var/lib/docker/swarm/certificates";
inline constexpr const char* kRootCertFile = "swarm-root-ca.crt";  // trust root bundle, 0644
inline constexpr const char* kNodeCertFile = "swarm-node.crt";     // leaf (+ intermediate), 0644
inline constexpr const char* kNodeKeyFile = "swarm-node.key";      // node key, 0600
// A root CA key: in a `ca init` directory; on a node only from engines before 1.13, or left over.
inline constexpr const char* kRootKeyFile = "swarm-root-ca.key";

// What a directory is. A CA directory holds a root and its key (`swarmpki ca init --out`, the
// roots `rotate simulate --out` writes): swarm-root-ca.key and no swarm-node.crt. It is not a
// broken node: no node certificate or key is expected in it. Decided here for inspect, expiry
// and serve alike.
enum class DirectoryKind { node, ca };
inline std::string_view to_string(DirectoryKind kind) {
    return kind == DirectoryKind::ca ? "ca" : "node";
}
inline DirectoryKind directory_kind(bool root_key_present, bool node_cert_present) {
    return root_key_present && !node_cert_present ? DirectoryKind::ca : DirectoryKind::node;
}

}  // namespace swarmpki
