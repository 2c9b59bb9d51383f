// rotate simulate --engine|--host in swarmpki-serve (rotate_seam.hpp): the rehearsal on the real
// cluster. Three GETs after the version ping (/info, /swarm, /nodes), the cluster report's
// decisions mapped to the simulator's inputs in the swarm layer (rotation_live.hpp), then the
// same simulation as without the engine. Nothing is changed on the engine.
#include "rotate_seam.hpp"

#include "swarmpki/cluster.hpp"
#include "swarmpki/engine_client.hpp"
#include "swarmpki/rotation_live.hpp"

namespace swarmpki::cli {

RotationReport simulate_on_engine(const po::variables_map& vm, RotationOptions options) {
    std::optional<std::string> host;
    if (vm.count("host")) host = vm["host"].as<std::string>();
    EngineClient client(resolve_engine_endpoint(host, EngineEnvironment::from_process()));
    ClusterInputs inputs = read_cluster_inputs(client, options.now);
    ClusterReport report = build_cluster_report(inputs);
    LiveCluster live = live_cluster_from(report, inputs.swarm.tls_info.trust_root_pem);
    bool cert_expiry_given = vm.count("cert-expiry") && !vm["cert-expiry"].defaulted();
    return simulate_rotation(
        live_rotation_options(std::move(options), std::move(live), report, cert_expiry_given));
}

}  // namespace swarmpki::cli
