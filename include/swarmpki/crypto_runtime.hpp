// What a command asks of libcrypto as a whole, so that no command calls OpenSSL itself.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 2
#error "swarmpki/crypto_runtime.hpp is crypto layer (2); the util layer may not include it"
#endif

namespace swarmpki {

// OpenSSL frees its tables at exit by default: work the kernel does anyway when a short command
// ends (0.86M instructions, about 5% of an `inspect` run). Call first thing in main().
void skip_crypto_exit_cleanup();

// For a short command: skip_crypto_exit_cleanup, and libcrypto's legacy cipher-name table is
// never built. Filling it and copying its ~200 names into the provider name map costs every
// OpenSSL 3 process 2.5M instructions (a fifth of an `inspect` run); swarmpki fetches ciphers
// from the provider instead (the one legacy lookup, a PEM key's DEK-Info, is read in
// private_key.cpp). The digest table stays: EVP_get_digestbynid needs it. Call first thing in
// main(), before anything else touches libcrypto; swarmpki-serve (libssl) does not call it.
void start_crypto_for_command();

}  // namespace swarmpki
