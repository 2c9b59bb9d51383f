// swarmpki cluster: the cluster as the engine sees it (SPEC section 9). Three GETs after the
// version ping (/info, /swarm, /nodes), this manager's own leaf for the applied cert-expiry, one
// report, rendered once and written whole. Exit code: the worst finding; 3 with one line naming
// the engine and the remedy when it cannot be asked (never a partial document).
#include "commands.hpp"

#include "swarmpki/cluster.hpp"
#include "swarmpki/cluster_render.hpp"
#include "swarmpki/engine_client.hpp"
#include "swarmpki/error.hpp"

namespace swarmpki::cli {

namespace {

constexpr const char* kFormats = "text|json|prometheus|nagios";

const HelpText kHelp{
    "swarmpki cluster [--host URL] [--dir DIR] [--format text|json|prometheus|nagios] [--at T]",
    "Reads the swarm from the engine's API on a manager, read-only: every node with its role, "
    "state, TLS status (the docker CLI's rule) and why it lags; the CA rotation's progress "
    "(nodes converged the reconciler's way), what blocks it and the remedy, and the engine's "
    "remaining time; the configured cert-expiry and whether this manager's leaf (--dir, default "
    "<DockerRootDir>/swarm/certificates) was issued with it; whether the join tokens pin the "
    "trust root (digests only: no secret is printed). The engine is --host, else DOCKER_HOST "
    "(unix:// or tcp://, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the docker CLI reads "
    "them), else unix:///var/run/docker.sock. Reference: docs/cluster.md.",
    "  swarmpki cluster\n"
    "  swarmpki cluster --format json\n"
    "  swarmpki cluster --host unix:///run/docker.sock --format prometheus\n"
    "  DOCKER_HOST=tcp://10.0.0.5:2376 DOCKER_TLS_VERIFY=1 swarmpki cluster --format nagios",
    "  0  ok    1  warning    2  critical (a rotation blocked, a token not pinning the root)\n"
    "  3  the engine could not be asked (no socket, permission denied, not a manager, locked,\n"
    "     an API older than 1.41, a malformed or oversized reply)    64  usage error"};

po::options_description options_of_cluster() {
    po::options_description options("options");
    options.add_options()("host", po::value<std::string>(),
                          "the engine: unix:///PATH or tcp://HOST:PORT (default DOCKER_HOST, "
                          "else unix:///var/run/docker.sock)")(
        "dir", po::value<std::string>(),
        "this manager's certificates directory, for the applied cert-expiry (default "
        "<DockerRootDir>/swarm/certificates)");
    add_common_options(options, "output format: text, json, prometheus or nagios");
    return options;
}

}  // namespace

ExitCode run_cluster(const Args& args) {
    po::options_description options = options_of_cluster();
    po::variables_map vm = parse_args(args, options);
    if (wants_help(vm)) {
        print_help(kHelp, options);
        return ExitCode::ok;
    }
    CommonOptions common = read_common(vm, kFormats);
    std::optional<std::string> host, dir;
    if (vm.count("host")) host = vm["host"].as<std::string>();
    if (vm.count("dir")) dir = vm["dir"].as<std::string>();

    EngineClient client(resolve_engine_endpoint(host, EngineEnvironment::from_process()));
    ClusterInputs inputs = read_cluster_inputs(client, common.now);
    inputs.local_leaf = read_local_leaf(dir, inputs.info);
    ClusterReport report = build_cluster_report(inputs);

    ExitCode code = exit_code_for(report.status);
    if (!prints_result(common, code)) return code;
    if (common.format == "json") {
        write_stdout(render_cluster_json(report));
    } else if (common.format == "prometheus") {
        write_stdout(render_cluster_prometheus(report));
    } else if (common.format == "nagios") {
        NagiosOutput nagios = render_cluster_nagios(report);
        write_stdout(nagios.line);
        code = nagios.exit_code;
    } else {
        write_stdout(render_cluster_text(report, common.color ? TextColor::yes : TextColor::no));
    }
    return code;
}

}  // namespace swarmpki::cli
