#include "swarmpki/crypto_runtime.hpp"

#include <openssl/crypto.h>

namespace swarmpki {

void skip_crypto_exit_cleanup() { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr); }

}  // namespace swarmpki
