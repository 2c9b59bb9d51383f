// swarmpki: the command. It reads like a table of contents: find the subcommand, run it, and turn
// whatever escaped into one line on stderr and the right exit code.
#include "commands.hpp"
#include "dispatch.hpp"
#include "swarmpki/redact.hpp"

#include <array>
#include <iostream>
#include <string>
#include <string_view>

namespace {

using swarmpki::cli::Command;

constexpr std::array kCommands = {
    Command{"inspect", "report on a node's certificate directory", swarmpki::cli::run_inspect},
    Command{"token", "decode, verify or generate join tokens", swarmpki::cli::run_token},
    Command{"ca", "create roots, issue node certificates, cross-sign", swarmpki::cli::run_ca},
    Command{"rotate", "simulate a cross-signed CA rotation", swarmpki::cli::run_rotate},
    Command{"expiry", "report expiry against the cert-expiry window", swarmpki::cli::run_expiry},
    Command{"verify", "would two nodes accept each other in mutual TLS", swarmpki::cli::run_verify},
    Command{"serve", "Prometheus exporter and webhook notifier", swarmpki::cli::exec_serve},
    Command{"notify", "send a test webhook event", swarmpki::cli::exec_notify},
    Command{"cluster", "the cluster as the engine sees it (on a manager)",
            swarmpki::cli::exec_cluster},
};

void print_usage(std::ostream& out) {
    out << "usage: swarmpki <command> [options]\n\n"
           "Inspect, verify and simulate Docker Swarm's public-key infrastructure.\n\n"
           "commands:\n";
    swarmpki::cli::print_summaries(out, kCommands);
    out << "\nRun 'swarmpki <command> --help' for a command's options, examples and exit codes.\n"
           "\nEXIT CODES\n"
        << swarmpki::cli::kStandardExitCodes << "\n";
}

swarmpki::ExitCode dispatch(int argc, char** argv) {
    using swarmpki::ExitCode;
    if (argc < 2) {
        print_usage(std::cerr);
        return ExitCode::usage;
    }
    std::string_view name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(std::cout);
        return ExitCode::ok;
    }
    if (name == "--version" || name == "version") {
        std::cout << "swarmpki " << SWARMPKI_VERSION << "\n";
        return ExitCode::ok;
    }
    for (const Command& c : kCommands)
        if (name == c.name)
            return swarmpki::cli::run_command(c, swarmpki::cli::Args(argv + 2, argv + argc));
    std::cerr << swarmpki::redact_message("swarmpki: unknown command '" + std::string(name) + "'")
              << " (see swarmpki --help)\n";
    return ExitCode::usage;
}

}  // namespace

int main(int argc, char** argv) {
    swarmpki::cli::start_openssl_for_command();
    return static_cast<int>(dispatch(argc, argv));
}
