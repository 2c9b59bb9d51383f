// The cluster before the rotation, materialised on demand (see StartingCluster in
// rotation_internal.hpp): a node's pre-rotation key and leaf are made only when something
// observes them.
#include "rotation_internal.hpp"

#include <functional>

namespace swarmpki::rotation_detail {

struct StartingCluster::Maker {
    explicit Maker(const NodeCertificateIssuer& issuer)
        : builder(issuer), signer(issuer.make_signer()) {}
    KeyGenerator keys;
    NodeCertificateIssuer::Builder builder;
    CertificateSigner signer;
};

StartingCluster::StartingCluster(const Certificate& old_root, const PrivateKey& old_key,
                                 Instant issued_at, std::string cluster_id, bool keep_keys,
                                 OperationCounters& counters)
    : issuer_(old_root, old_key, kDefaultNodeCertExpiry),
      issued_at_(issued_at),
      cluster_id_(std::move(cluster_id)),
      keep_keys_(keep_keys),
      counters_(counters) {}

StartingCluster::~StartingCluster() = default;

const SimNode& StartingCluster::credentials(SimNode& node) {
    std::lock_guard<std::mutex> guard(lock_for(node));
    // A renewed node holds its new leaf; a node built earlier holds its starting one.
    if (node.renewed || !node.leaf_der.empty()) return node;
    std::unique_ptr<Maker> maker = take_maker();
    PrivateKey key = maker->keys.generate();
    counters_.keygen += 1;
    X509* leaf = maker->builder.build(NodeIdentity{node.id, node.role, cluster_id_}, key.get0(),
                                      issued_at_);
    node.leaf_der = maker->signer.sign_to_der(leaf);
    counters_.sign += 1;
    node.issuer = 0;  // the old root's key
    if (keep_keys_) node.key_pem = encode_node_key(key);
    return_maker(std::move(maker));
    return node;
}

// A maker per thread building at the same time: taken from the idle ones, or made (a key
// generator context, an X509 and a signing context) when all are in use.
std::unique_ptr<StartingCluster::Maker> StartingCluster::take_maker() {
    {
        std::lock_guard<std::mutex> guard(makers_lock_);
        if (!idle_makers_.empty()) {
            std::unique_ptr<Maker> maker = std::move(idle_makers_.back());
            idle_makers_.pop_back();
            return maker;
        }
    }
    return std::make_unique<Maker>(issuer_);
}

void StartingCluster::return_maker(std::unique_ptr<Maker> maker) {
    std::lock_guard<std::mutex> guard(makers_lock_);
    idle_makers_.push_back(std::move(maker));
}

std::mutex& StartingCluster::lock_for(const SimNode& node) {
    return node_locks_[std::hash<const SimNode*>{}(&node) / sizeof(SimNode) % node_locks_.size()];
}

}  // namespace swarmpki::rotation_detail
