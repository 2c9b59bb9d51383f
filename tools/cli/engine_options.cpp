#include "engine_seam.hpp"

#include "swarmpki/time.hpp"

namespace swarmpki::cli {

void add_engine_options(po::options_description& options) {
    options.add_options()("engine",
                          "ask the engine (--host, DOCKER_HOST or /var/run/docker.sock) for the "
                          "configured cert-expiry also when paths are given")(
        "no-engine", "never ask the engine")("host", po::value<std::string>(),
                                             "the engine to ask (implies --engine): unix:///PATH "
                                             "or tcp://HOST:PORT (default DOCKER_HOST)");
}

std::optional<Seconds> read_cert_expiry_flag(const po::variables_map& vm) {
    if (!vm.count("cert-expiry")) return std::nullopt;
    const std::string& text = vm["cert-expiry"].as<std::string>();
    std::optional<Seconds> value = parse_duration(text);
    if (!value || value->count() <= 0)
        throw UsageError("--cert-expiry '" + text +
                         "' is not a duration (the engine's syntax: 2160h, 2160h0m0s, 90m, "
                         "7776000s, or 90d)");
    return value;
}

ConfiguredCertExpiry configured_cert_expiry(const std::optional<Seconds>& flag,
                                            const ConfiguredCertExpiry& from_engine) {
    if (!flag) return from_engine;
    return {flag, CertExpirySource::flag, "--cert-expiry"};
}

EngineRequest read_engine_request(const po::variables_map& vm, bool paths_given, bool flag_given) {
    if (vm.count("engine") && vm.count("no-engine"))
        throw UsageError("give --engine or --no-engine, not both");
    if (vm.count("host") && vm.count("no-engine"))
        throw UsageError("give --host or --no-engine, not both");
    const bool asked = vm.count("engine") || vm.count("host");  // --host names the engine to ask
    if (asked && flag_given)
        throw UsageError("give --cert-expiry or --engine/--host, not both: the flag names the "
                         "value");
    EngineRequest request;
    if (vm.count("host")) request.host = vm["host"].as<std::string>();
    if (vm.count("no-engine") || flag_given) request.ask = EngineAsk::never;
    else if (asked) request.ask = EngineAsk::required;
    else request.ask = paths_given ? EngineAsk::never : EngineAsk::if_answering;
    return request;
}

}  // namespace swarmpki::cli
