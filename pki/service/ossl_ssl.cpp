// libssl's deleters, apart from ossl.cpp's: an archive member is linked only when something uses
// it, so `swarmpki` itself (no TLS) starts without mapping libssl; `swarmpki-serve` pulls these in.
#include "../crypto/ossl.hpp"

#include <openssl/ssl.h>

namespace swarmpki::ossl {

void Deleter<SSL_CTX>::operator()(SSL_CTX* handle) const noexcept { SSL_CTX_free(handle); }
void Deleter<SSL>::operator()(SSL* handle) const noexcept { SSL_free(handle); }

}  // namespace swarmpki::ossl
