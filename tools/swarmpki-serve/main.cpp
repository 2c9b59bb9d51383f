// swarmpki-serve: the half of swarmpki that speaks HTTP and TLS (serve, notify). `swarmpki serve`
// and `swarmpki notify` exec it with the subcommand first; it is not meant to be run by hand.
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
    std::cerr << "swarmpki-serve: run it as `swarmpki serve` or `swarmpki notify` (see swarmpki "
                 "--help)\n";
    return static_cast<int>(swarmpki::ExitCode::usage);
}
