#include "dispatch.hpp"

#include "swarmpki/error.hpp"

#include <openssl/crypto.h>

#include <iostream>

namespace swarmpki::cli {

int run_command(const Command& command, const Args& args) {
    try {
        return command.run(args);
    } catch (const UsageError& e) {
        std::cerr << "swarmpki " << command.name << ": " << e.what() << " (see swarmpki "
                  << command.name << " --help)\n";
        return 64;
    } catch (const std::exception& e) {  // swarmpki::Error, ossl::Error and the rest: one line
        std::cerr << "swarmpki: " << e.what() << "\n";
        return 3;
    }
}

void skip_openssl_exit_cleanup() { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr); }

}  // namespace swarmpki::cli
