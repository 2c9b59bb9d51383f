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

}  // namespace

ExitCode run_command(const Command& command, const Args& args) {
    // Every message below goes through redact_message: what an exception carries can quote a
    // path, a value or a word that was really a secret.
    try {
        if (std::string misplaced = misplaced_secret(command.name, args); !misplaced.empty())
            throw UsageError(misplaced);
        return command.run(args);
    } catch (const UsageError& e) {
        std::cerr << "swarmpki " << command.name << ": " << redact_message(e.what())
                  << " (see swarmpki " << command.name << " --help)\n";
        return ExitCode::usage;
    } catch (const std::exception& e) {  // swarmpki::Error, ossl::Error and the rest: one line
        std::cerr << "swarmpki: " << redact_message(e.what()) << "\n";
        return ExitCode::unevaluable;
    }
}

void skip_openssl_exit_cleanup() { skip_crypto_exit_cleanup(); }

}  // namespace swarmpki::cli
