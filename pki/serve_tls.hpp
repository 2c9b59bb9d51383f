// TLS for `serve`: the server's certificate and key as the core loads them, and client
// certificates verified the engine's way (pairwise, so mid-rotation chains pass).
#pragma once

#include "swarmpki/certificate.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/serve.hpp"

#include <openssl/ssl.h>

#include <functional>
#include <string_view>
#include <vector>

namespace swarmpki::serve_detail {

struct ClientVerifier {
    std::vector<Certificate> roots;
    std::function<Instant()> clock;
    std::function<void(std::string_view)> log;
};

struct TlsMaterial {
    std::vector<Certificate> chain;  // leaf first
    PrivateKey key;
    bool require_client_certificate = false;
    ClientVerifier verifier;
};

// Throws swarmpki::Error naming the file: unreadable, no certificate, an encrypted key without
// (or with the wrong) unlock key, a key that does not match the certificate.
TlsMaterial load_tls_material(const TlsSettings& settings, const SecretBytes* unlock_key);

// Fills the server's SSL_CTX; `material` must outlive it (the verify callback points into it).
bool configure_server_context(SSL_CTX& ctx, const TlsMaterial& material);

// The CN of the verified client certificate on this connection, or "".
std::string peer_common_name(const SSL* ssl);

}  // namespace swarmpki::serve_detail
