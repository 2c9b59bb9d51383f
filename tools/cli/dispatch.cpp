#include "dispatch.hpp"

#include "swarmpki/crypto_runtime.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/redact.hpp"

#include <array>
#include <iostream>

namespace swarmpki::cli {

namespace {

// Options whose value is a secret by design (--unlock-key warns that ps shows it).
constexpr std::array<std::string_view, 2> kSecretOptions = {"--token", "--unlock-key"};

// Flags of `token decode|verify` that take no value, so a token right after one is the operand.
constexpr std::array<std::string_view, 5> kValuelessFlags = {"--show-secret", "--no-color", "-q",
                                                             "--quiet", "--"};

template <std::size_t N>
bool one_of(std::string_view word, const std::array<std::string_view, N>& words) {
    for (std::string_view w : words)
        if (word == w) return true;
    return false;
}

// Where a secret may stand on a command line: the value of --token or --unlock-key, and the
// token operand of `token decode` and `token verify`. Anywhere else it is a slip, and the
// argument would come back verbatim in some message.
bool secret_allowed(std::string_view command, const Args& args, std::size_t i, SecretShape shape) {
    std::string_view arg = args[i];
    for (std::string_view option : kSecretOptions)
        if (arg.size() > option.size() && arg.substr(0, option.size()) == option &&
            arg[option.size()] == '=')
            return true;
    if (i == 0) return false;
    std::string_view previous = args[i - 1];
    if (one_of(previous, kSecretOptions)) return true;
    bool token_operand = command == "token" && shape == SecretShape::join_token &&
                         (args[0] == "decode" || args[0] == "verify") && arg[0] != '-';
    return token_operand && (previous[0] != '-' || one_of(previous, kValuelessFlags));
}

// The first argument holding a secret where none belongs, as a usage message; "" when none.
std::string misplaced_secret(std::string_view command, const Args& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        SecretShape shape = find_secret_shape(args[i]);
        if (shape == SecretShape::none || secret_allowed(command, args, i, shape)) continue;
        std::string where = i > 0 && args[i - 1].rfind("--", 0) == 0 && args[i - 1].size() > 2
                                ? "the value of " + args[i - 1]
                                : "argument " + std::to_string(i + 1);
        return where + " looks like " +
               (shape == SecretShape::join_token ? "a join token" : "an unlock key") +
               ", which is not echoed (" + std::string(secret_hint(shape)) + ")";
    }
    return {};
}

ExitCode usage_error(std::string_view command, const char* message) {
    std::cerr << "swarmpki " << command << ": " << redact_message(message) << " (see swarmpki "
              << command << " --help)\n";
    return ExitCode::usage;
}

void print_group_help(const CommandGroup& group, std::ostream& out) {
    std::string names;
    for (const Subcommand& sub : group.subcommands)
        names += (names.empty() ? "" : "|") + std::string(sub.name);
    out << usage_line("swarmpki " + std::string(group.name) + " " + names + " [options]") << "\n\n"
        << wrap_text(group.description, kHelpWidth) << "\n\nsubcommands:\n";
    print_summaries(out, group.subcommands);
    out << "\nRun 'swarmpki " << group.name
        << " <subcommand> --help' for its options, examples and exit codes.\n\nEXAMPLES\n"
        << group.examples << "\n\nEXIT CODES\n"
        << group.exit_codes << "\n";
}

po::variables_map parse_subcommand(const Subcommand& sub, const Args& args,
                                   const po::options_description& options) {
    po::positional_options_description positional;
    if (sub.operand) positional.add(sub.operand, 1);
    return parse_args(args, options, positional);
}

}  // namespace

ExitCode run_group(const CommandGroup& group, const Args& args) {
    if (args.empty()) {
        print_group_help(group, std::cerr);
        return ExitCode::usage;
    }
    const std::string& word = args.front();
    if (word == "--help" || word == "-h" || word == "help") {
        print_group_help(group, std::cout);
        return ExitCode::ok;
    }
    for (const Subcommand& sub : group.subcommands) {
        if (word != sub.name) continue;
        try {
            po::options_description options = sub.options();
            po::variables_map vm = parse_subcommand(sub, Args(args.begin() + 1, args.end()),
                                                    options);
            if (wants_help(vm)) {
                print_help(sub.help, options);
                return ExitCode::ok;
            }
            return sub.run(vm);
        } catch (const ScopedUsageError&) {
            throw;
        } catch (const UsageError& e) {
            throw ScopedUsageError(std::string(group.name) + " " + sub.name, e.what());
        }
    }
    // Never echo the word: it may be a token or key pasted where the subcommand belongs.
    std::string names;
    for (std::size_t i = 0; i < group.subcommands.size(); ++i)
        names += std::string(i == 0                              ? ""
                             : i + 1 == group.subcommands.size() ? " or "
                                                                 : ", ") +
                 group.subcommands[i].name;
    throw UsageError("unknown subcommand (expected " + names + ")");
}

ExitCode run_command(const Command& command, const Args& args) {
    // Every message below goes through redact_message: what an exception carries can quote a
    // path, a value or a word that was really a secret.
    try {
        if (std::string misplaced = misplaced_secret(command.name, args); !misplaced.empty())
            throw UsageError(misplaced);
        return command.run(args);
    } catch (const ScopedUsageError& e) {
        return usage_error(e.command(), e.what());
    } catch (const UsageError& e) {
        return usage_error(command.name, e.what());
    } catch (const std::exception& e) {  // swarmpki::Error, ossl::Error and the rest: one line
        std::cerr << "swarmpki: " << redact_message(e.what()) << "\n";
        return ExitCode::unevaluable;
    }
}

void skip_openssl_exit_cleanup() { skip_crypto_exit_cleanup(); }

void start_openssl_for_command() { start_crypto_for_command(); }

}  // namespace swarmpki::cli
