// --out: the simulated cluster's final state on disk, so `inspect` and `verify` can read it.
//
//   DIR/nodes/<node-id>/      every registered node's directory, as on a real node
//   DIR/stranded/<node-id>/   nodes removed while down: still the old root and the old leaf
//   DIR/old-root/, DIR/new-root/   CA directories (swarm-root-ca.crt, swarm-root-ca.key)
//   DIR/cross-signed-ca.crt   the cross-signed intermediate
//   DIR/join-tokens           the cluster's tokens at the end (mode 0600: they hold secrets)
#include "swarmpki/rotation.hpp"

#include "rotation_internal.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"

#include <filesystem>

namespace swarmpki {

namespace fs = std::filesystem;

void write_rotation_output(const RotationOptions& options, const RotationReport& /*report*/,
                           std::vector<rotation_detail::SimNode>& nodes,
                           rotation_detail::StartingCluster& starting,
                           const std::string& old_root_pem, const std::string& old_root_key_pem,
                           const std::string& new_root_pem, const std::string& new_root_key_pem,
                           const std::string& cross_pem, const std::string& tokens_text,
                           bool switched) {
    fs::path dir(*options.out_dir);
    std::error_code ec;
    if (options.overwrite == Overwrite::no && fs::exists(dir, ec) && !fs::is_empty(dir, ec))
        throw Error(dir.string(), "already exists and is not empty", "choose a new --out or pass --force");
    ensure_directory(dir.string(), 0755);
    auto write = [&](const fs::path& path, const std::string& bytes, std::uint32_t mode) {
        write_file_atomically(path.string(), bytes, mode, options.overwrite);
    };
    for (auto [name, pem, key] : {std::tuple{"old-root", &old_root_pem, &old_root_key_pem},
                                  std::tuple{"new-root", &new_root_pem, &new_root_key_pem}}) {
        ensure_directory((dir / name).string(), 0755);
        write(dir / name / kRootCertFile, *pem, 0644);
        write(dir / name / kRootKeyFile, *key, 0600);
    }
    write(dir / "cross-signed-ca.crt", cross_pem, 0644);
    write(dir / "join-tokens", tokens_text, 0600);

    rotation_detail::parallel_for_each(
        nodes.size(), options.threads ? options.threads : std::thread::hardware_concurrency(),
        [] { return 0; },
        [&](int&, std::size_t i) {
            // A node that never renewed is written with its starting credentials, built here if
            // nothing has looked at them yet.
            const rotation_detail::SimNode& node = starting.credentials(nodes[i]);
            NodeFiles files;
            files.root_pem = switched && !node.removed ? new_root_pem : old_root_pem;
            files.chain_pem = encode_pem("CERTIFICATE", node.leaf_der) + (node.renewed ? cross_pem : "");
            files.key_pem = node.key_pem;
            fs::path where = dir / (node.removed ? "stranded" : "nodes") / node.id;
            write_node_directory(where.string(), files, options.overwrite);
        });
}

}  // namespace swarmpki
