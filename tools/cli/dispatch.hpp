// Running one subcommand under the exit-code contract, the same way in `swarmpki` and in
// `swarmpki-serve`: a usage error is one line pointing at --help and exit 64; anything else that
// escapes is one line on stderr and exit 3.
#pragma once

#include "command.hpp"

namespace swarmpki::cli {

ExitCode run_command(const Command& command, const Args& args);

// skip_crypto_exit_cleanup (swarmpki/crypto_runtime.hpp). Call first thing in main().
void skip_openssl_exit_cleanup();
// start_crypto_for_command (swarmpki/crypto_runtime.hpp): `swarmpki`'s main(), instead.
void start_openssl_for_command();

}  // namespace swarmpki::cli
