// TLS material and client authentication for `serve`.
//
// The SSL_CTX is built here rather than by cpp-httplib's file-path constructor because OpenSSL's
// PEM reader refuses the engine's key files (kek-version/raft-dek headers, autolocked PKCS#8).
// Client chains are checked with the core's verify_chain instead of X509_verify_cert: mid-rotation
// a node presents leaf + cross-signed intermediate (subject == issuer == CN=swarm-ca, no AKI),
// which OpenSSL rejects as "self-signed certificate in certificate chain" but the engine accepts.
#include "serve_tls.hpp"

#include "swarmpki/chain.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/node_files.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/webhook.hpp"

#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

namespace swarmpki::serve_detail {

namespace {

// A client could present a long list of certificates to make the pairwise search expensive; no
// swarm chain has more than two. verify_chain bounds its own work too (chain.hpp).
constexpr int kMaxPresentedCertificates = 8;

int verify_error_for(const std::string& failure_code) {
    if (failure_code == "expired") return X509_V_ERR_CERT_HAS_EXPIRED;
    if (failure_code == "not-yet-valid") return X509_V_ERR_CERT_NOT_YET_VALID;
    if (failure_code == "issuer-not-ca") return X509_V_ERR_INVALID_CA;
    if (failure_code == "issuer-key-usage") return X509_V_ERR_KEYUSAGE_NO_CERTSIGN;
    if (failure_code == "path-length-exceeded") return X509_V_ERR_PATH_LENGTH_EXCEEDED;
    if (failure_code == "too-many-certificates" || failure_code == "chain-too-complex")
        return X509_V_ERR_CERT_CHAIN_TOO_LONG;
    if (failure_code == "unsupported-key") return X509_V_ERR_UNSPECIFIED;
    return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
}

// TLS 1.2 suites: ECDHE with an AEAD cipher only (no CBC, no static RSA key exchange), for both
// key types a server certificate may have. TLS 1.3's suites are all AEAD and stay OpenSSL's.
constexpr const char* kTls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

void log_refusal(const ClientVerifier& verifier, const std::string& subject,
                 const std::string& reason, const std::string& remote) {
    if (verifier.log)
        verifier.log(
            "level=warn msg=\"client certificate refused\" subject=" + logfmt_value(subject) +
            " reason=" + logfmt_value(reason) + " remote=" + logfmt_value(remote));
}

const SSL* ssl_of(X509_STORE_CTX* store_ctx) {
    return static_cast<const SSL*>(
        X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
}

int verify_client_chain(X509_STORE_CTX* store_ctx, void* arg) {
    const auto& verifier = *static_cast<const ClientVerifier*>(arg);
    const std::string remote = remote_of(ssl_of(store_ctx));
    X509* leaf_borrowed = X509_STORE_CTX_get0_cert(store_ctx);
    STACK_OF(X509)* presented = X509_STORE_CTX_get0_untrusted(store_ctx);
    if (leaf_borrowed == nullptr) {
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
    try {
        Certificate leaf = Certificate::from_handle(ossl::up_ref(leaf_borrowed));
        int count = presented ? sk_X509_num(presented) : 0;
        if (count > kMaxPresentedCertificates) {
            log_refusal(verifier, leaf.subject(), "too many certificates presented", remote);
            X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_CERT_CHAIN_TOO_LONG);
            return 0;
        }
        std::vector<Certificate> intermediates;
        for (int i = 0; i < count; ++i) {
            X509* borrowed = sk_X509_value(presented, i);
            if (X509_cmp(borrowed, leaf_borrowed) == 0) continue;
            intermediates.push_back(Certificate::from_handle(ossl::up_ref(borrowed)));
        }
        Instant now = verifier.clock ? verifier.clock() : wall_clock_now();
        ChainVerification result = verify_chain(leaf, intermediates, verifier.roots, now);
        if (!result.verified) {
            log_refusal(verifier, leaf.subject(), result.failure, remote);
            X509_STORE_CTX_set_error(store_ctx, verify_error_for(result.failure_code));
            return 0;
        }
        const ExtendedKeyUsage& eku = leaf.extended_key_usage();
        if (eku.present && !eku.client_auth) {
            log_refusal(verifier, leaf.subject(), "certificate is not for client authentication",
                        remote);
            X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_INVALID_PURPOSE);
            return 0;
        }
        X509_STORE_CTX_set_error(store_ctx, X509_V_OK);
        return 1;
    } catch (const std::exception& e) {
        log_refusal(verifier, "(unparsable certificate)", e.what(), remote);
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
}

PrivateKey load_key_file(const std::string& path, const SecretBytes* unlock_key,
                         std::optional<std::string>& warning) {
    SecretFile file = read_secret_file(path, kSecretPemReadLimit);
    warning = std::move(file.warning);
    std::string_view text(reinterpret_cast<const char*>(file.bytes.data()), file.bytes.size());
    PemBundle bundle = parse_pem_or_throw(text, path);
    return load_private_key(key_block_of(bundle, path), unlock_key, path);
}

}  // namespace

TlsMaterial load_tls_material(const TlsSettings& settings, const SecretBytes* unlock_key) {
    std::vector<Certificate> chain = load_certificate_file(settings.cert_file);
    if (chain.empty())
        throw Error(settings.cert_file, "no certificate in the file",
                    "give the server certificate (leaf first, then intermediates)");
    std::optional<std::string> key_warning;
    PrivateKey key = load_key_file(settings.key_file, unlock_key, key_warning);
    if (!key.matches(chain.front()))
        throw Error(settings.key_file,
                    "the key does not match the certificate in " + settings.cert_file,
                    "give the key that belongs to that certificate");
    TlsMaterial material{std::move(chain), std::move(key), false, {}, std::move(key_warning)};
    if (settings.client_ca_file) {
        material.verifier.roots = load_certificate_file(*settings.client_ca_file);
        if (material.verifier.roots.empty())
            throw Error(*settings.client_ca_file, "no certificate in the client CA file",
                        "give the swarm's swarm-root-ca.crt");
        material.require_client_certificate = true;
    }
    return material;
}

bool configure_server_context(SSL_CTX& ctx, const TlsMaterial& material) {
    if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) return false;
    if (SSL_CTX_set_cipher_list(&ctx, kTls12Ciphers) != 1) return false;
    // No resumption: a resumed session skips the client-certificate check, so every connection
    // is verified against the current roots at the current clock (and, after a reload, against
    // the new ones). Scrapers keep their connection alive instead.
    SSL_CTX_set_options(&ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set_num_tickets(&ctx, 0) != 1) return false;
    if (SSL_CTX_use_certificate(&ctx, material.chain.front().get0()) != 1) return false;
    for (std::size_t i = 1; i < material.chain.size(); ++i)
        if (SSL_CTX_add1_chain_cert(&ctx, material.chain[i].get0()) != 1) return false;
    if (SSL_CTX_use_PrivateKey(&ctx, material.key.get0()) != 1) return false;
    if (SSL_CTX_check_private_key(&ctx) != 1) return false;
    if (material.require_client_certificate) {
        for (const Certificate& root : material.verifier.roots)
            if (SSL_CTX_add_client_CA(&ctx, root.get0()) != 1) return false;
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        SSL_CTX_set_cert_verify_callback(&ctx, verify_client_chain,
                                         const_cast<ClientVerifier*>(&material.verifier));
    } else {
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_NONE, nullptr);
    }
    return true;
}

std::shared_ptr<const TlsContext> build_tls_context(const TlsSettings& settings,
                                                    const SecretBytes* unlock_key,
                                                    std::function<Instant()> clock,
                                                    std::function<void(std::string_view)> log) {
    auto context = std::make_shared<TlsContext>(
        TlsContext{load_tls_material(settings, unlock_key), nullptr});
    if (context->material.key_warning && log)
        log("level=warn msg=\"tls key readable by other users\" detail=" +
            logfmt_value(*context->material.key_warning));
    context->material.verifier.clock = std::move(clock);
    context->material.verifier.log = std::move(log);
    context->ctx.reset(SSL_CTX_new(TLS_server_method()));
    if (!context->ctx || !configure_server_context(*context->ctx, context->material))
        throw Error(settings.cert_file,
                    "cannot set up TLS with this certificate and key: " + ossl::drain_errors(),
                    "check that the files are a certificate chain and its key");
    // The front writes from a worker on a non-blocking socket: a write may be retried after
    // WANT_WRITE with the same bytes, and a short write is fine. Idle connections give their
    // read and write buffers back (tens of kilobytes each, times hundreds of connections).
    SSL_CTX_set_mode(context->ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE |
                                             SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                             SSL_MODE_RELEASE_BUFFERS);
    return context;
}

TlsFileStamps stat_tls_files(const TlsSettings& settings) {
    auto stamp = [](const std::string& path) {
        FileStamp s;
        struct stat info {};
        if (::stat(path.c_str(), &info) != 0) {
            s.error = errno;
            return s;
        }
        s.device = info.st_dev;
        s.inode = info.st_ino;
        s.size = info.st_size;
        s.mtime_ns = info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec;
        s.ctime_ns = info.st_ctim.tv_sec * 1000000000LL + info.st_ctim.tv_nsec;
        return s;
    };
    TlsFileStamps stamps;
    stamps[0] = stamp(settings.cert_file);
    stamps[1] = stamp(settings.key_file);
    if (settings.client_ca_file) stamps[2] = stamp(*settings.client_ca_file);
    return stamps;
}

std::string remote_of(const SSL* ssl) {
    if (ssl == nullptr) return {};
    const auto* remote = static_cast<const std::string*>(SSL_get_app_data(ssl));
    return remote ? *remote : std::string();
}

std::string peer_common_name(const SSL* ssl) {
    if (ssl == nullptr) return {};
    X509* peer = SSL_get0_peer_certificate(ssl);  // borrowed
    if (peer == nullptr) return {};
    char name[256];
    int length = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name,
                                           sizeof name);
    return length > 0 ? std::string(name, static_cast<std::size_t>(length)) : std::string();
}

}  // namespace swarmpki::serve_detail

namespace swarmpki {

TlsSettings tls_from_node_directory(const std::string& dir) {
    std::filesystem::path base(dir);
    return TlsSettings{(base / kNodeCertFile).string(), (base / kNodeKeyFile).string(),
                       (base / kRootCertFile).string()};
}

}  // namespace swarmpki
