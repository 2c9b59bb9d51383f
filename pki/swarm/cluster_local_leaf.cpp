// This manager's own leaf for the applied cert-expiry (`cluster`, `serve --engine`): named by the
// caller's --dir it must be readable; found in the engine's default directory it may not be
// (another mount namespace, not root), and the report then says nothing of it.
#include "swarmpki/certificate.hpp"
#include "swarmpki/cluster.hpp"
#include "swarmpki/error.hpp"

namespace swarmpki {

std::optional<LocalLeaf> read_local_leaf(const std::optional<std::string>& dir,
                                         const EngineInfo& info) {
    if (!dir && info.docker_root_dir.empty()) return std::nullopt;
    const std::string path = (dir ? *dir : info.docker_root_dir + "/swarm/certificates") +
                             "/swarm-node.crt";
    try {
        std::vector<Certificate> chain = load_certificate_file(path);
        if (chain.empty()) throw Error(path, "holds no certificate", "give the node's --dir");
        return LocalLeaf{path, chain.front().not_before(), chain.front().not_after()};
    } catch (const Error&) {
        if (dir) throw;
        return std::nullopt;
    }
}

}  // namespace swarmpki
