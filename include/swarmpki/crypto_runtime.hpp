// What a command asks of libcrypto as a whole, so that no command calls OpenSSL itself.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/crypto_runtime.hpp is crypto layer (2); the util layer may not include it"
#endif

namespace swarmpki {

// OpenSSL frees its tables at exit by default: work the kernel does anyway when a short command
// ends (0.86M instructions, about 5% of an `inspect` run). Call first thing in main().
void skip_crypto_exit_cleanup();

}  // namespace swarmpki
