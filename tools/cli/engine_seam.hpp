// Whether inspect and expiry ask the engine for the configured cert-expiry, and the asking
// (SPEC section 9): of the engine's own directory (no path given) when its socket answers; with
// paths only with --engine; never with --no-engine or when --cert-expiry is given.
//
// The asking needs cpp-httplib and libssl, which only swarmpki-serve links, so the seam has two
// sides, one per binary: in `swarmpki`, consult_engine re-runs the whole command in swarmpki-serve
// (exec: same PID, streams and exit code) when there is an engine to ask, so `inspect --dir` and
// every run without an engine keep their start-up; in swarmpki-serve it asks.
#pragma once

#include "command.hpp"

#include "swarmpki/cert_expiry.hpp"

#include <optional>
#include <string>

namespace swarmpki::cli {

enum class EngineAsk { never, if_answering, required };

struct EngineRequest {
    EngineAsk ask = EngineAsk::never;
    std::optional<std::string> host;  // --host URL
};

// --engine, --no-engine, --host.
void add_engine_options(po::options_description& options);
// --cert-expiry D (the engine's duration syntax); throws UsageError on a bad or non-positive one.
std::optional<Seconds> read_cert_expiry_flag(const po::variables_map& vm);
// The flag's value when given, else what the engine said.
ConfiguredCertExpiry configured_cert_expiry(const std::optional<Seconds>& flag,
                                            const ConfiguredCertExpiry& from_engine);
// `paths_given`: the command was given a PATH/--dir; `flag_given`: --cert-expiry was.
EngineRequest read_engine_request(const po::variables_map& vm, bool paths_given, bool flag_given);

struct EngineAnswer {
    ConfiguredCertExpiry setting;  // seconds/source when the engine told; origin either way
    // <DockerRootDir>/swarm/certificates when the engine answered: the directory to read when
    // no path was given.
    std::optional<std::string> certificates_dir;
};

// `command` and `args` are the subcommand as invoked (the `swarmpki` side re-runs them). Throws
// an Error naming the engine when the ask is `required` and the engine cannot be asked.
EngineAnswer consult_engine(const char* command, const Args& args, const EngineRequest& request);

}  // namespace swarmpki::cli
