// TLS for `serve`: the server's certificate and key as the core loads them, and client
// certificates verified the engine's way (pairwise, so mid-rotation chains pass).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/serve_tls.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "../crypto/ossl.hpp"

#include "swarmpki/certificate.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/serve.hpp"

#include <openssl/ssl.h>

#include <sys/stat.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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
    std::optional<std::string> key_warning;  // the key file's mode lets others read it
};

// Throws swarmpki::Error naming the file: unreadable, no certificate, an encrypted key without
// (or with the wrong) unlock key, a key that does not match the certificate.
TlsMaterial load_tls_material(const TlsSettings& settings, const SecretBytes* unlock_key);

// Fills the server's SSL_CTX; `material` must outlive it (the verify callback points into it).
bool configure_server_context(SSL_CTX& ctx, const TlsMaterial& material);

// The material and the SSL_CTX made from it, together: the context's verify callback points into
// the material, so neither moves once built. Connections hold a shared_ptr to it, so a reload
// leaves the old context alive exactly as long as connections made with it.
struct TlsContext {
    TlsMaterial material;
    ossl::UniquePtr<SSL_CTX> ctx;
};

// Loads the files and builds the context for non-blocking connections (the front's). Throws
// swarmpki::Error naming the file, as load_tls_material does.
std::shared_ptr<const TlsContext> build_tls_context(const TlsSettings& settings,
                                                    const SecretBytes* unlock_key,
                                                    std::function<Instant()> clock,
                                                    std::function<void(std::string_view)> log);

// What a cheap stat() says about the certificate, key and client CA files: a rotation replaces
// them (rename: a new inode) or rewrites them (size, mtime). A missing file is a stamp too.
struct FileStamp {
    int error = 0;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    long long mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
};
using TlsFileStamps = std::array<FileStamp, 3>;
TlsFileStamps stat_tls_files(const TlsSettings& settings);

// The peer's address of a connection whose SSL carries it (SSL_set_app_data with a
// std::string*), for log lines written during the handshake; "" when unknown.
std::string remote_of(const SSL* ssl);

// The CN of the verified client certificate on this connection, or "".
std::string peer_common_name(const SSL* ssl);

}  // namespace swarmpki::serve_detail
