#include "swarmpki/crypto_runtime.hpp"

#include <openssl/crypto.h>

namespace swarmpki {

void skip_crypto_exit_cleanup() { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr); }

void start_crypto_for_command() {
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_ADD_ALL_CIPHERS, nullptr);
}

}  // namespace swarmpki
