// consult_engine in swarmpki-serve: ask the engine for Spec.CAConfig.NodeCertExpiry and its
// DockerRootDir. Of the engine's own directory an engine that does not answer, or a worker's,
// leaves the value unknown and says why; asked for (--engine, --host) it is an error.
#include "engine_seam.hpp"

#include "swarmpki/engine_client.hpp"

namespace swarmpki::cli {

namespace {

// Asked in passing (no path given), the engine gets less time than `cluster` gives it: inspect
// must not hang on a wedged daemon.
EngineLimits limits_for(EngineAsk ask) {
    EngineLimits limits;
    if (ask == EngineAsk::if_answering) {
        limits.connect_timeout = std::chrono::milliseconds(1000);
        limits.total_timeout = std::chrono::milliseconds(3000);
    }
    return limits;
}

}  // namespace

EngineAnswer consult_engine(const char* /*command*/, const Args& /*args*/,
                            const EngineRequest& request) {
    EngineAnswer answer;
    if (request.ask == EngineAsk::never) return answer;
    EngineEndpoint endpoint = resolve_engine_endpoint(request.host,
                                                      EngineEnvironment::from_process());
    try {
        EngineClient client(endpoint, limits_for(request.ask));
        EngineInfo info = client.info();
        if (!info.docker_root_dir.empty())
            answer.certificates_dir = info.docker_root_dir + "/swarm/certificates";
        std::optional<Seconds> seconds = cert_expiry_of(client, info);
        if (seconds) {
            answer.setting.seconds = seconds;
            answer.setting.source = CertExpirySource::engine;
            answer.setting.origin = "the engine at " + endpoint.display;
        } else {
            answer.setting.origin = "the engine at " + endpoint.display +
                                    " is not an active manager: only managers know it; give "
                                    "--cert-expiry";
        }
    } catch (const EngineError& e) {
        if (request.ask == EngineAsk::required) throw;
        answer.setting.origin = "the engine at " + endpoint.display +
                                " did not answer: " + e.problem();
    }
    return answer;
}

}  // namespace swarmpki::cli
