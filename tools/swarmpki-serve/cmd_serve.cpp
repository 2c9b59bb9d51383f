// swarmpki serve: parse flags, build ServeOptions, run the server until SIGTERM or SIGINT.
//
// Signals are blocked before any thread starts (every thread inherits the mask) and taken with
// sigwait on the main thread, so stopping is ordinary code: no handler, no global flag.
#include "commands.hpp"
#include "webhook_options.hpp"

#include "swarmpki/engine_client.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/expiry.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/serve.hpp"
#include "swarmpki/webhook.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>

namespace swarmpki::cli {

namespace {

const HelpText kHelp = {
    "swarmpki serve --dir DIR... [--listen ADDR:PORT] [--interval D] [TLS options] "
    "[--webhook URL | --webhook-url-file F] [--webhook-secret-file F] [--engine [--host URL]]",
    "Serve Prometheus metrics (GET /metrics: expiry, and inspect's verdict per node\n"
    "directory), a health check (GET /healthz: 503 while the last scan could not read or\n"
    "evaluate a directory) and the inspect document (GET /v1/inspect) for node certificate\n"
    "directories or trees of them, all from one scan every --interval that reads each file\n"
    "once; a scrape never waits on the disk. Binds 127.0.0.1:9323 by default and refuses a\n"
    "non-loopback address without TLS. With --client-ca (or --tls-from-dir) only clients\n"
    "whose certificate chains to that CA are served, mid-rotation chains included.\n"
    "With --webhook, posts a signed JSON event (Standard Webhooks: webhook-id,\n"
    "webhook-timestamp, webhook-signature) whenever a certificate changes status, a rotation\n"
    "starts or completes, a trust root changes, a scan fails or recovers. One logfmt line per\n"
    "request on stderr, and a line when a scan fails or recovers. Changed TLS files are\n"
    "reloaded at the next scan. Clients are bounded: at most 512 connections, 3 s for a TLS\n"
    "handshake, 5 s for a request head (idle keep-alive included), 16 KiB of head, GET and\n"
    "HEAD only, no request bodies (docs/serve.md). With --engine (on a manager) every scan\n"
    "also reads the cluster from the engine's API as `swarmpki cluster` does: its families on\n"
    "/metrics with swarmpki_engine_up, its document on GET /v1/cluster (503 while the engine\n"
    "does not answer), and the events rotation.started, rotation.blocked, rotation.finished,\n"
    "node.down and cert_expiry.not_applied. SIGTERM or SIGINT stops it cleanly.",
    "  swarmpki serve --dir /var/lib/docker/swarm/certificates\n"
    "  swarmpki serve --listen 0.0.0.0:9323 --tls-from-dir /var/lib/docker/swarm/certificates \\\n"
    "      --dir /var/lib/docker/swarm/certificates --unlock-key-file /root/unlock-key\n"
    "  swarmpki serve --dir /srv/collected/node1 --webhook-url-file /etc/swarmpki/webhook-urls \\\n"
    "      --webhook-secret-file /etc/swarmpki/webhook-secret --webhook-format slack\n"
    "  swarmpki serve --engine --dir /var/lib/docker/swarm/certificates \\\n"
    "      --webhook-url-file /etc/swarmpki/webhook-urls --webhook-secret-file "
    "/etc/swarmpki/webhook-secret",
    "  0  stopped by SIGTERM/SIGINT    3  could not start (unreadable TLS files, address in "
    "use)    64  usage error"};

po::options_description serve_options() {
    po::options_description options("options");
    options.add_options()("dir", po::value<std::vector<std::string>>()->composing(),
                          "a node certificate directory (or a tree of them) to scan; repeatable")(
        "listen", po::value<std::string>()->default_value("127.0.0.1:9323"), "ADDR:PORT to bind")(
        "interval", po::value<std::string>()->default_value("60s"), "rescan period (30s, 5m)")(
        "tls-cert", po::value<std::string>(), "serve HTTPS with this certificate (chain)")(
        "tls-key", po::value<std::string>(), "its key (engine key files and autolock accepted)")(
        "client-ca", po::value<std::string>(), "require client certificates chained to this CA")(
        "tls-from-dir", po::value<std::string>(),
        "TLS with DIR's swarm-node.crt/.key, clients chained to DIR's swarm-root-ca.crt")(
        "allow-insecure-public", "allow plain HTTP on a non-loopback address")(
        "cert-expiry", po::value<std::string>(), "the cluster's --cert-expiry (e.g. 2160h)")(
        "warn", po::value<std::string>(), "warning threshold (duration or % of lifetime)")(
        "crit", po::value<std::string>(), "critical threshold (duration or % of lifetime)")(
        "engine", "also read the cluster from the engine's API every scan (on a manager)")(
        "host", po::value<std::string>(),
        "the engine for --engine: unix:///PATH or tcp://HOST:PORT (default DOCKER_HOST, else "
        "unix:///var/run/docker.sock)");
    add_webhook_options(options);
    add_unlock_key_options(options);
    add_common_options(options, "text");
    return options;
}

std::chrono::milliseconds parse_interval(const std::string& text) {
    auto interval = parse_duration(text);
    if (!interval || *interval < std::chrono::seconds(1))
        throw UsageError("--interval '" + text + "' must be a duration of at least 1s (60s, 5m)");
    return *interval;
}

Threshold threshold_option(const po::variables_map& vm, const char* name) {
    auto threshold = parse_threshold(vm[name].as<std::string>());
    if (!threshold)
        throw UsageError(std::string("--") + name + " '" + vm[name].as<std::string>() +
                         "' is neither a duration (30d) nor a percentage (10%)");
    return *threshold;
}

std::optional<TlsSettings> tls_settings(const po::variables_map& vm) {
    if (vm.count("tls-from-dir")) {
        if (vm.count("tls-cert") || vm.count("tls-key") || vm.count("client-ca"))
            throw UsageError("--tls-from-dir replaces --tls-cert, --tls-key and --client-ca");
        return tls_from_node_directory(vm["tls-from-dir"].as<std::string>());
    }
    if (!vm.count("tls-cert") && !vm.count("tls-key")) {
        if (vm.count("client-ca")) throw UsageError("--client-ca needs --tls-cert and --tls-key");
        return std::nullopt;
    }
    if (!vm.count("tls-cert") || !vm.count("tls-key"))
        throw UsageError("--tls-cert and --tls-key go together");
    TlsSettings tls{vm["tls-cert"].as<std::string>(), vm["tls-key"].as<std::string>(), {}};
    if (vm.count("client-ca")) tls.client_ca_file = vm["client-ca"].as<std::string>();
    return tls;
}

std::optional<DeliveryOptions> webhook_settings(const po::variables_map& vm) {
    if (!webhooks_requested(vm)) {
        if (vm.count("webhook-secret-file") || vm.count("webhook-ca"))
            throw UsageError("--webhook-secret-file and --webhook-ca need --webhook URL "
                             "(or --webhook-url-file)");
        return std::nullopt;
    }
    return read_webhook_options(vm);
}

// --engine: the engine as `cluster` finds it; this manager's leaf from the first --dir that
// holds one (else the engine's own directory); one read may take at most an interval.
std::optional<ServeEngineSettings> engine_settings(const po::variables_map& vm,
                                                   const std::vector<std::string>& dirs,
                                                   std::chrono::milliseconds interval) {
    if (!vm.count("engine")) {
        if (vm.count("host")) throw UsageError("--host names the engine for --engine");
        return std::nullopt;
    }
    std::optional<std::string> host;
    if (vm.count("host")) host = vm["host"].as<std::string>();
    ServeEngineSettings engine;
    engine.endpoint = resolve_engine_endpoint(host, EngineEnvironment::from_process());
    engine.limits.total_timeout = std::min(engine.limits.total_timeout, interval);
    engine.limits.connect_timeout = std::min(engine.limits.connect_timeout, interval);
    for (const std::string& dir : dirs)
        if (std::filesystem::exists(std::filesystem::path(dir) / "swarm-node.crt")) {
            engine.leaf_dir = dir;
            break;
        }
    return engine;
}

std::string event_source() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        return "swarmpki://localhost/serve";
    return std::string("swarmpki://") + host + "/serve";
}

}  // namespace

ExitCode run_serve(const Args& args) {
    auto options = serve_options();
    auto vm = parse_args(args, options);
    if (wants_help(vm)) {
        print_help(kHelp, options);
        return ExitCode::ok;
    }
    CommonOptions common = read_common(vm, "text");
    if (!vm.count("dir")) throw UsageError("give at least one --dir to scan");

    ServeOptions serve;
    serve.listen = parse_listen_address(vm["listen"].as<std::string>());
    serve.interval = parse_interval(vm["interval"].as<std::string>());
    serve.scan.dirs = vm["dir"].as<std::vector<std::string>>();
    if (vm.count("cert-expiry")) {
        auto expiry = parse_duration(vm["cert-expiry"].as<std::string>());
        if (!expiry)
            throw UsageError("--cert-expiry '" + vm["cert-expiry"].as<std::string>() +
                             "' is not a duration (2160h, 90d)");
        serve.scan.expiry.cert_expiry = *expiry;
    }
    if (vm.count("warn")) serve.scan.expiry.warn = threshold_option(vm, "warn");
    if (vm.count("crit")) serve.scan.expiry.crit = threshold_option(vm, "crit");
    serve.scan.expiry.threads = default_thread_count();
    if (auto key = read_unlock_key_text(vm))
        serve.scan.unlock_key = std::make_shared<const SecretBytes>(parse_unlock_key(*key));
    serve.scan.expiry.unlock_key = serve.scan.unlock_key;  // metrics judge renewals as inspect does
    serve.tls = tls_settings(vm);
    serve.engine = engine_settings(vm, serve.scan.dirs, serve.interval);
    serve.allow_insecure_public = vm.count("allow-insecure-public") > 0;
    serve.webhooks = webhook_settings(vm);
    if (serve.webhooks)
        serve.webhook_secret = std::make_shared<const SecretBytes>(
            load_webhook_secret(vm["webhook-secret-file"].as<std::string>()));
    serve.event_source = event_source();
    // --at pins "now" for every evaluation (tests, replaying a past instant); else the clock.
    if (vm.count("at")) serve.clock = [at = common.now] { return at; };
    else serve.clock = [] { return wall_clock_now(); };
    auto log_mutex = std::make_shared<std::mutex>();
    serve.log = [log_mutex](std::string_view line) {
        std::string stamped = "time=" + format_rfc3339(wall_clock_now()) + " ";
        stamped.append(line);
        std::lock_guard lock(*log_mutex);
        std::fwrite(stamped.data(), 1, stamped.size(), stderr);
        std::fputc('\n', stderr);
        std::fflush(stderr);
    };

    // The library blocks SIGPIPE on its socket threads; the program also ignores it so that the
    // main thread's log lines to a closed stderr pipe cost an EPIPE, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    auto log = serve.log;
    Server server(std::move(serve));
    server.start();
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log(std::string("level=info msg=stopping signal=") +
        (signal_number == SIGTERM ? "SIGTERM" : "SIGINT"));
    server.stop();
    log("level=info msg=stopped");
    return ExitCode::ok;
}

}  // namespace swarmpki::cli
