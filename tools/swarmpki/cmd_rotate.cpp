// swarmpki rotate simulate: a cross-signed root rotation over a simulated cluster.
#include "commands.hpp"
#include "rotate_seam.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/redact.hpp"
#include "swarmpki/rotation.hpp"
#include "swarmpki/threads.hpp"

#include <filesystem>
#include <iostream>

namespace swarmpki::cli {

namespace {

constexpr const char* kFormats = "text|json";

PemInput read_input(const std::string& path) { return PemInput{read_file(path), path}; }

std::size_t count_option(const po::variables_map& vm, const char* name) {
    long long value = vm[name].as<long long>();
    if (value < 0 || value > 1'000'000)
        throw UsageError(std::string("--") + name + " must be between 0 and 1000000");
    return static_cast<std::size_t>(value);
}

po::options_description simulate_options() {
    po::options_description options("rotate simulate options");
    options.add_options()("managers", po::value<long long>()->default_value(3),
                          "managers in the cluster (the first is the leader)")(
        "workers", po::value<long long>()->default_value(0),
        "workers in the cluster")("offline", po::value<long long>()->default_value(0),
                                  "nodes down during the whole rotation")(
        "remove-offline", "model `docker node rm` of the down nodes once they block the rotation")(
        "ca-cert", po::value<std::string>(),
        "the operator's desired root (docker swarm ca --rotate --ca-cert)")(
        "ca-key", po::value<std::string>(),
        "its key (--ca-key)")("current-ca", po::value<std::string>(),
                              "CA directory of the cluster's current root (default: a new one)")(
        "cert-expiry", po::value<std::string>()->default_value("2160h"),
        "node certificate expiry set with the rotation")(
        "seed", po::value<unsigned long long>(),
        "make IDs, down nodes and engine timings reproducible")(
        "out", po::value<std::string>(),
        "write the final state: every node's directory, roots, tokens")(
        "force", "write into a non-empty --out directory, replacing files")(
        "threads", po::value<unsigned>()->default_value(0), "worker threads (0: every core)")(
        "engine", "rehearse on the real cluster: its nodes, down nodes, cert-expiry and trust root "
                  "from the engine's API (read-only; DOCKER_HOST, else /var/run/docker.sock)")(
        "host", po::value<std::string>(),
        "the engine to read (implies --engine): unix:///PATH or "
        "tcp://HOST:PORT");
    add_common_options(options, kFormats,
                       "run the rotation as of this RFC 3339 instant instead of now (certificates "
                       "are issued then)");
    return options;
}

// With --engine the cluster is the engine's: its nodes, and a stand-in for its current root.
void refuse_drawn_cluster_flags(const po::variables_map& vm) {
    for (const char* name : {"managers", "workers", "offline", "current-ca"})
        if (vm.count(name) && !vm[name].defaulted())
            throw UsageError(std::string("--") + name +
                             " describes a drawn cluster; --engine reads the real one (drop it)");
}

ExitCode run_simulate(const po::variables_map& vm) {
    CommonOptions common = read_common(vm, kFormats);
    const bool on_engine = vm.count("engine") || vm.count("host");
    if (on_engine) refuse_drawn_cluster_flags(vm);
    RotationOptions o;
    o.managers = count_option(vm, "managers");
    o.workers = count_option(vm, "workers");
    o.offline = count_option(vm, "offline");
    o.remove_offline = vm.count("remove-offline") > 0;
    if (vm.count("ca-cert") && !vm.count("ca-key"))
        throw UsageError("--ca-cert needs --ca-key: the simulated engine signs with the new "
                         "root's key");
    if (vm.count("ca-key") && !vm.count("ca-cert"))
        throw UsageError("--ca-key needs --ca-cert, the root certificate of that key");
    if (vm.count("ca-cert")) {
        o.desired_cert = read_input(vm["ca-cert"].as<std::string>());
        o.desired_key = read_input(vm["ca-key"].as<std::string>());
    }
    if (vm.count("current-ca")) {
        std::filesystem::path dir(vm["current-ca"].as<std::string>());
        o.current_cert = read_input((dir / kRootCertFile).string());
        o.current_key = read_input((dir / kRootKeyFile).string());
    }
    std::string expiry_text = vm["cert-expiry"].as<std::string>();
    auto expiry = parse_duration(expiry_text);
    if (!expiry)
        throw UsageError("--cert-expiry '" + expiry_text +
                         "' is not a duration (like 2160h or 90d)");
    check_node_cert_expiry(*expiry, "--cert-expiry " + expiry_text);
    o.cert_expiry = *expiry;
    if (vm.count("seed")) o.seed = vm["seed"].as<unsigned long long>();
    if (vm.count("out")) o.out_dir = vm["out"].as<std::string>();
    o.overwrite = vm.count("force") ? Overwrite::yes : Overwrite::no;
    o.now = common.now;
    o.threads = thread_count(vm["threads"].as<unsigned>());

    RotationReport report = on_engine ? simulate_on_engine(vm, std::move(o)) : simulate_rotation(o);
    if (prints_result(common, rotation_exit_code(report)))
        write_stdout(common.format == "json" ? render_rotation_json(report)
                                             : render_rotation_text(report));
    if (report.refusal)
        std::cerr << "swarmpki: "
                  << redact_message(report.refusal->subject + ": the engine refuses this root: " +
                                    report.refusal->message + " (" + report.refusal->remedy + ")")
                  << "\n";
    return rotation_exit_code(report);
}

po::options_description status_options() {
    po::options_description options("rotate status options");
    options.add_options()("host", po::value<std::string>(),
                          "the engine: unix:///PATH or tcp://HOST:PORT (default DOCKER_HOST, "
                          "else unix:///var/run/docker.sock)")(
        "watch", "follow the rotation until it finishes (or --timeout passes)")(
        "timeout", po::value<std::string>(),
        "with --watch: give up after this long (like 20s, 10m); default: wait until it finishes")(
        "interval", po::value<std::string>(),
        "with --watch: ask the engine this often, two requests each time (default 1s)");
    add_common_options(options, "output format: text, json or jsonl (one JSON object a line)");
    return options;
}

// Every example runs as written, in an empty directory (tests/test_cli_help.cpp).
constexpr Subcommand kSubcommands[] = {
    {"simulate",
     "run a cross-signed root rotation over a simulated cluster",
     {"swarmpki rotate simulate [--managers M --workers W [--offline K] [--current-ca DIR] | "
      "--engine [--host URL]] [--remove-offline] [--ca-cert F --ca-key F] [--cert-expiry D] "
      "[--seed S] [--out DIR]",
      "Runs `docker swarm ca --rotate` the way the engine does over a simulated cluster, with "
      "real keys, certificates and signature checks: the new root (or yours, with the engine's "
      "refusals), the cross-signed intermediate, renewals 30 nodes per 3 s tick, convergence on "
      "every node's issuer key, the trust-root switch and new join tokens. Every phase checks "
      "mutual TLS between every class of node. --at is the instant the rotation starts (its "
      "certificates are issued then). With --engine (or --host) it rehearses on the real "
      "cluster, read-only: its node IDs and roles, the nodes down or disconnected now (they "
      "block as in the engine), its configured cert-expiry, and your --ca-cert checked against "
      "its live trust root; the keys run on a stand-in root with the live root's subject and "
      "key type (the API never gives out the root's key).",
      "  swarmpki rotate simulate --managers 3 --workers 50 --offline 2\n"
      "  swarmpki rotate simulate --managers 3 --workers 50 --offline 2 --remove-offline "
      "--format json\n"
      "  swarmpki ca init --out ./current-root\n"
      "  swarmpki ca init --out ./new-root --key-type ecdsa-p384\n"
      "  swarmpki rotate simulate --current-ca ./current-root \\\n"
      "      --ca-cert ./new-root/swarm-root-ca.crt --ca-key ./new-root/swarm-root-ca.key\n"
      "  swarmpki rotate simulate --managers 3 --workers 10 --seed 7 --out ./after-rotation",
      "  0  converged    1  converged, nodes stranded    2  blocked or a verification failed\n"
      "  3  the engine would refuse the root, or bad input    64  usage error"},
     simulate_options,
     nullptr,
     run_simulate},
    {"status",
     "a CA rotation's progress on the live swarm, once or until it finishes",
     {"swarmpki rotate status [--host URL] [--watch] [--timeout D] [--interval D] "
      "[--format text|json|jsonl] [--no-color]",
      "Reads the swarm from the engine's API on a manager, read-only, and reports the CA "
      "rotation as `swarmpki cluster` decides it: nodes converged of the total, the nodes that "
      "block it with the reason and remedy, the engine's remaining time, the trust root and "
      "whether the join tokens pin it. With --watch it follows the rotation until it finishes: "
      "on a terminal a progress bar redrawn in place, otherwise one line (or with --format jsonl "
      "one swarmpki.rotation-status/v1 object) each time something changes. A watch asks the "
      "engine for /swarm and /nodes once an interval, two requests, never more. Reference: "
      "docs/rotation-status.md.",
      "  swarmpki rotate status\n"
      "  swarmpki rotate status --watch --timeout 10m\n"
      "  swarmpki rotate status --watch --format jsonl --timeout 120s\n"
      "  docker swarm ca --rotate --detach && swarmpki rotate status --watch",
      "  0  no rotation in progress, or it finished, and the join tokens pin the trust root\n"
      "  1  without --watch: a rotation on its way (not blocked)\n"
      "  2  blocked (with --watch: still blocked, or still converging, when --timeout passed), or\n"
      "     a join token does not pin the trust root\n"
      "  3  the engine could not be asked    64  usage error"},
     status_options,
     nullptr,
     run_rotate_status},
};

constexpr CommandGroup kRotate{
    "rotate",
    "Rehearse a root CA rotation before running `docker swarm ca --rotate` (on a simulated "
    "cluster, or with --engine on the live one): what blocks it, who is stranded, which tokens "
    "still join (docs/rotation-simulator.md); then follow the live rotation until it finishes "
    "(rotate status --watch, docs/rotation-status.md).",
    kSubcommands,
    "  swarmpki rotate simulate --managers 3 --workers 20 --offline 2 --seed 7\n"
    "  swarmpki rotate simulate --managers 5 --workers 100 --format json",
    "  simulate: 0  converged    1  converged, nodes stranded    2  blocked or a verification\n"
    "            failed    3  the engine would refuse the root, or bad input    64  usage error\n"
    "  status:   see swarmpki rotate status --help"};

}  // namespace

ExitCode run_rotate(const Args& args) {
    if (rotate_asks_engine(args)) hand_rotate_to_helper(args);
    return run_group(kRotate, args);
}

}  // namespace swarmpki::cli
