// --out: the simulated cluster's final state on disk, so `inspect` and `verify` can read it.
//
//   DIR/nodes/<node-id>/      every registered node's directory, as on a real node
//   DIR/stranded/<node-id>/   nodes removed while down: still the old root and the old leaf
//   DIR/old-root/, DIR/new-root/   CA directories (swarm-root-ca.crt, swarm-root-ca.key)
//   DIR/cross-signed-ca.crt   the cross-signed intermediate
//   DIR/join-tokens           the cluster's tokens at the end (mode 0600: they hold secrets)
//
// The tree is written into a fresh sibling directory and swapped in whole (StagedDirectory): a
// failure at any file, or --force over an earlier run, never leaves a mix of two runs.
#include "swarmpki/rotation.hpp"

#include "rotation_internal.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"

#include <string>

namespace swarmpki {

void write_rotation_output(const RotationOptions& options, const RotationReport& /*report*/,
                           std::vector<rotation_detail::SimNode>& nodes,
                           rotation_detail::StartingCluster& starting,
                           const std::string& old_root_pem, const std::string& old_root_key_pem,
                           const std::string& new_root_pem, const std::string& new_root_key_pem,
                           const std::string& cross_pem, const std::string& tokens_text,
                           bool switched) {
    StagedDirectory staged(*options.out_dir, options.overwrite,
                           {"old-root", "new-root", "cross-signed-ca.crt", "join-tokens", "nodes",
                            "stranded"});
    for (auto [name, pem, key] : {std::tuple{"old-root", &old_root_pem, &old_root_key_pem},
                                  std::tuple{"new-root", &new_root_pem, &new_root_key_pem}}) {
        staged.write(std::string(name) + "/" + kRootCertFile, *pem, 0644);
        staged.write(std::string(name) + "/" + kRootKeyFile, *key, 0600);
    }
    staged.write("cross-signed-ca.crt", cross_pem, 0644);
    staged.write("join-tokens", tokens_text, 0600);

    rotation_detail::parallel_for_each(
        nodes.size(), thread_count(options.threads), [] { return 0; },
        [&](int&, std::size_t i) {
            // A node that never renewed is written with its starting credentials, built here if
            // nothing has looked at them yet.
            const rotation_detail::SimNode& node = starting.credentials(nodes[i]);
            std::string where = std::string(node.removed ? "stranded/" : "nodes/") + node.id + "/";
            staged.write(where + kRootCertFile,
                         switched && !node.removed ? new_root_pem : old_root_pem, 0644);
            staged.write(where + kNodeCertFile,
                         encode_pem("CERTIFICATE", node.leaf_der) + (node.renewed ? cross_pem : ""),
                         0644);
            staged.write(where + kNodeKeyFile, node.key_pem, 0600);
        });
    staged.commit();
}

}  // namespace swarmpki
