// swarmpki-serve: the half of swarmpki that speaks HTTP and TLS (serve, notify, cluster, and
// inspect, expiry and rotate when they ask the engine). `swarmpki` execs it with the subcommand
// first; it is not meant to be run by hand.
#include "commands.hpp"
#include "dispatch.hpp"

#include <array>
#include <iostream>
#include <string_view>

namespace {

using swarmpki::cli::Command;

constexpr std::array kCommands = {
    Command{"serve", "Prometheus exporter and webhook notifier", swarmpki::cli::run_serve},
    Command{"notify", "send a test webhook event", swarmpki::cli::run_notify},
    Command{"cluster", "the cluster as the engine sees it", swarmpki::cli::run_cluster},
    // Re-run here by `swarmpki` when they ask the engine (engine_seam.hpp).
    Command{"inspect", "report on a node's certificate directory", swarmpki::cli::run_inspect},
    Command{"expiry", "report expiry against the cert-expiry window", swarmpki::cli::run_expiry},
    Command{"rotate", "rotate status, and rotate simulate over the live cluster",
            swarmpki::cli::run_rotate},
};

}  // namespace

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    swarmpki::cli::skip_openssl_exit_cleanup();
    if (argc >= 2) {
        for (const Command& c : kCommands)
            if (std::string_view(argv[1]) == c.name)
                return static_cast<int>(
                    swarmpki::cli::run_command(c, swarmpki::cli::Args(argv + 2, argv + argc)));
    }
    std::cerr << "swarmpki-serve: run it as `swarmpki serve`, `notify` or `cluster` (see swarmpki "
                 "--help)\n";
    return static_cast<int>(swarmpki::ExitCode::usage);
}
