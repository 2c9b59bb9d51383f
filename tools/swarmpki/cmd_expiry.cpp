// swarmpki expiry PATH...: what expires when, and what is already wrong, for one node directory
// or a fleet's collected ones, in the formats people, scripts and monitoring read.
#include "commands.hpp"
#include "engine_seam.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/expiry.hpp"
#include "swarmpki/expiry_render.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/nagios.hpp"
#include "swarmpki/prometheus.hpp"
#include "swarmpki/threads.hpp"

#include <iostream>

namespace swarmpki::cli {

namespace {

constexpr const char* kFormats = "text|json|jsonl|prometheus|nagios";

const HelpText kHelp{
    "swarmpki expiry [[--dir] PATH...] [--at T] [--cert-expiry D | --engine [--host URL] | "
    "--no-engine]\n"
    "                        [--warn D|P%] [--crit D|P%] [--format "
    "text|json|jsonl|prometheus|nagios] [--metrics-file F]",
    "Reports every certificate's lifetime, remaining time, renewal window and status (ok,\n"
    "renewal-window, renewal-overdue, expiring, expired, not-yet-valid). A PATH is a node\n"
    "directory, a certificate file, or a tree searched for swarm-node.crt, swarm-root-ca.crt\n"
    "and other *.crt/*.pem files (one with swarm-root-ca.key and no swarm-node.crt is a CA\n"
    "directory: its root only). Files that cannot be read are counted by reason and the scan\n"
    "goes on. Defaults: node certificates critical with 10% of their lifetime left; roots and\n"
    "intermediates warning at 365 days, critical at 30. --warn/--crit replace the defaults for\n"
    "every certificate. Node certificates issued with a lifetime other than the cluster's\n"
    "cert-expiry are flagged (lifetime_mismatch). The cert-expiry is --cert-expiry when given;\n"
    "with no PATH (the engine's own directory, <DockerRootDir>/swarm/certificates) it is asked\n"
    "of the local engine when its socket answers and it is a manager; with PATHs only with\n"
    "--engine or --host; never with --no-engine. Reference: docs/expiry.md.",
    "  swarmpki expiry /var/lib/docker/swarm/certificates\n"
    "  swarmpki expiry /srv/collected --format json --cert-expiry 2160h\n"
    "  swarmpki expiry /srv/collected --warn 20% --crit 7d --format nagios\n"
    "  swarmpki expiry /var/lib/docker/swarm/certificates -q \\\n"
    "      --metrics-file /var/lib/node_exporter/textfile/swarmpki.prom",
    "  0  ok    1  warning    2  critical    3  a file could not be evaluated and nothing worse\n"
    "  was found (critical > warning > unknown > ok)    64  usage error"};

std::optional<Threshold> threshold_option(const po::variables_map& vm, const char* name) {
    if (!vm.count(name)) return std::nullopt;
    const std::string& text = vm[name].as<std::string>();
    auto threshold = parse_threshold(text);
    if (!threshold)
        throw UsageError(std::string("--") + name + " '" + text +
                         "' is neither a duration (30d, 720h) nor a percentage of lifetime "
                         "(10%)");
    return threshold;
}

}  // namespace

ExitCode run_expiry(const Args& args) {
    po::options_description options("options");
    options.add_options()("path", po::value<std::vector<std::string>>()->composing(),
                          "node directory, certificate file or tree")(
        "dir", po::value<std::vector<std::string>>()->composing(),
        "a PATH given as inspect takes it (repeatable; the same as a PATH argument)")(
        "cert-expiry", po::value<std::string>(),
        "the cluster's --cert-expiry (2160h, 90d, 7776000s): flag certificates issued otherwise")(
        "warn", po::value<std::string>(), "warning threshold: a duration or a % of lifetime")(
        "crit", po::value<std::string>(), "critical threshold: a duration or a % of lifetime")(
        "metrics-file", po::value<std::string>(),
        "also write the Prometheus text here, atomically (node-exporter textfile collector)")(
        "threads", po::value<unsigned>()->default_value(0), "worker threads (0: every core)");
    add_engine_options(options);
    add_common_options(options, kFormats);
    po::positional_options_description positional;
    positional.add("path", -1);
    po::variables_map vm = parse_args(args, options, positional);
    if (wants_help(vm)) {
        print_help(kHelp, options);
        return ExitCode::ok;
    }
    CommonOptions common = read_common(vm, kFormats);
    std::vector<std::string> paths;
    for (const char* name : {"path", "dir"})
        if (vm.count(name)) {
            const auto& given = vm[name].as<std::vector<std::string>>();
            paths.insert(paths.end(), given.begin(), given.end());
        }
    const std::optional<Seconds> flag = read_cert_expiry_flag(vm);
    // Before anything reads standard input: in `swarmpki` this may re-run the command.
    EngineAnswer engine = consult_engine("expiry", args,
                                         read_engine_request(vm, !paths.empty(), flag.has_value()));
    if (paths.empty()) paths.push_back(engine.certificates_dir.value_or(kDefaultCertificatesDir));

    ExpiryOptions expiry;
    expiry.at = common.now;
    expiry.warn = threshold_option(vm, "warn");
    expiry.crit = threshold_option(vm, "crit");
    expiry.threads = thread_count(vm["threads"].as<unsigned>());
    const ConfiguredCertExpiry setting = configured_cert_expiry(flag, engine.setting);
    expiry.cert_expiry = setting.seconds;

    ExpiryReport report = evaluate_expiry(plan_scan(paths, expiry.threads), expiry);
    report.cert_expiry_setting = setting;

    if (vm.count("metrics-file"))
        write_file_atomically(vm["metrics-file"].as<std::string>(), render_prometheus(report), 0644,
                              Overwrite::yes);

    ExitCode code = exit_code_for(report.status);
    if (!prints_result(common, code)) return code;
    if (common.format == "json") {
        write_stdout(render_expiry_json(report));
    } else if (common.format == "jsonl") {
        write_stdout(render_expiry_jsonl(report));
    } else if (common.format == "prometheus") {
        write_stdout(render_prometheus(report));
    } else if (common.format == "nagios") {
        NagiosOutput nagios = render_nagios(report);
        write_stdout(nagios.line);
        code = nagios.exit_code;
    } else {
        write_stdout(render_expiry_text(report, common.color ? Color::yes : Color::no));
    }
    return code;
}

}  // namespace swarmpki::cli
