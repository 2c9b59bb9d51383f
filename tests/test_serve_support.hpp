// What the in-process Server tests share: a thread-safe log collector, loopback options on an
// ephemeral port with the clock injected, and a raw loopback client (plain or TLS) that times a
// scrape without cpp-httplib's client, whose select() cannot take the descriptors above 1023
// that tests holding hundreds of connections reach.
#pragma once

#include "ossl.hpp"
#include "support.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/serve.hpp"
#include "test_webhook_receiver.hpp"  // ignore_sigpipe

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace swarmpki::test {

// Collects log lines for assertions (the server logs from several threads).
struct LogLines {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::function<void(std::string_view)> sink() {
        return [this](std::string_view line) {
            std::lock_guard lock(mutex);
            lines.emplace_back(line);
        };
    }
    std::size_t count(std::string_view needle) { return count_with({needle}); }
    // Lines that contain every one of `needles`.
    std::size_t count_with(std::initializer_list<std::string_view> needles) {
        std::lock_guard lock(mutex);
        std::size_t n = 0;
        for (const auto& l : lines)
            n += std::all_of(needles.begin(), needles.end(), [&l](std::string_view needle) {
                return l.find(needle) != std::string::npos;
            });
        return n;
    }
    // The count once it reaches `expected`, else after `patience`. A request's line is written
    // after its response, so a client can hold the answer before the line exists (seen in CI).
    std::size_t count_reaching(std::initializer_list<std::string_view> needles,
                               std::size_t expected,
                               std::chrono::milliseconds patience = std::chrono::seconds(5)) {
        auto deadline = std::chrono::steady_clock::now() + patience;
        std::size_t n = count_with(needles);
        while (n < expected && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            n = count_with(needles);
        }
        return n;
    }
    std::size_t count_reaching(std::string_view needle, std::size_t expected) {
        return count_reaching({needle}, expected);
    }
};

inline ServeOptions loopback_serve_options(std::vector<std::string> dirs, Instant now,
                                           LogLines& log) {
    ignore_sigpipe();
    ServeOptions options;
    options.listen = {"127.0.0.1", 0};
    options.scan.dirs = std::move(dirs);
    options.clock = [now] { return now; };
    options.log = log.sink();
    options.worker_threads = 4;
    return options;
}

// ---- raw loopback clients ----

// Tests hold both ends of hundreds of connections in one process.
inline void raise_open_file_limit(rlim_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

// A blocking TCP connection to 127.0.0.1:port with 5 s send/receive timeouts (and a receive
// buffer of `receive_buffer` bytes when not 0); -1 on failure.
inline int connect_loopback(int port, int receive_buffer = 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (receive_buffer > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    timeval five{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &five, sizeof five);
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// A client certificate chain and key as the core loads them (engine key files carry PEM headers
// OpenSSL's reader refuses).
struct ClientIdentity {
    std::vector<Certificate> chain;
    std::optional<PrivateKey> key;
};

inline ClientIdentity identity_of(const std::filesystem::path& dir) {
    ClientIdentity id;
    id.chain = load_certificate_file((dir / "swarm-node.crt").string());
    std::string text = read_text(dir / "swarm-node.key");
    auto bundle = parse_pem_or_throw(text, "key");
    id.key.emplace(load_private_key(key_block_of(bundle, "key"), nullptr, "key"));
    return id;
}

// A client context that does not check the server (node certificates name node IDs, not
// 127.0.0.1: these tests are about the server's side), optionally presenting `id`.
inline ossl::UniquePtr<SSL_CTX> client_context(const ClientIdentity* id = nullptr) {
    ossl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    if (id) {
        SSL_CTX_use_certificate(ctx.get(), id->chain.front().get0());
        for (std::size_t i = 1; i < id->chain.size(); ++i)
            SSL_CTX_add1_chain_cert(ctx.get(), id->chain[i].get0());
        SSL_CTX_use_PrivateKey(ctx.get(), id->key->get0());
    }
    return ctx;
}

struct Scrape {
    int status = 0;           // 0: no answer (connection, handshake or read failed)
    double seconds = 0;       // from connect to the end of the response
    std::string body;         // the whole response, head included
    std::string peer_serial;  // over TLS: the server certificate's serial (hex)
};

// One request on a fresh connection with `Connection: close`, read to the end.
inline Scrape timed_scrape(int port, SSL_CTX* tls = nullptr, const std::string& path = "/metrics") {
    Scrape result;
    auto started = std::chrono::steady_clock::now();
    int fd = connect_loopback(port);
    if (fd < 0) return result;
    ossl::UniquePtr<SSL> ssl;
    std::string request = "GET " + path +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    bool sent = false;
    if (tls) {
        ssl.reset(SSL_new(tls));
        SSL_set_fd(ssl.get(), fd);
        if (SSL_connect(ssl.get()) == 1) {
            if (X509* peer = SSL_get0_peer_certificate(ssl.get()))
                result.peer_serial = Certificate::from_handle(ossl::up_ref(peer)).serial_hex();
            sent = SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) > 0;
        }
    } else {
        sent = send_all(fd, request);
    }
    char chunk[16384];
    while (sent) {
        int n = tls ? SSL_read(ssl.get(), chunk, sizeof chunk)
                    : static_cast<int>(::recv(fd, chunk, sizeof chunk, 0));
        if (n <= 0) break;
        result.body.append(chunk, static_cast<std::size_t>(n));
    }
    ERR_clear_error();
    ssl.reset();
    ::close(fd);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (result.body.rfind("HTTP/1.1 ", 0) == 0) result.status = std::stoi(result.body.substr(9, 3));
    return result;
}

// The value of the sample `series` ("name" or "name{label=\"v\"}") in a metrics text; -1 if absent.
inline double metric_value(const std::string& text, const std::string& series) {
    std::size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

// The text exposition format 0.0.4, strictly: each family announced once, by a HELP then a TYPE
// line, before its samples, which follow contiguously; metric and label names as the format
// allows them; label values quoted with only the \\, \" and \n escapes; a number; no series
// twice; a newline at the end. The first offending line, or empty when the text is valid.
inline std::string exposition_violation(const std::string& text) {
    static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
    static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|untyped))");
    static const std::regex sample(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*))"
        R"((\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")"
        R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})?)"
        R"( ([+-]?(?:[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|Inf)|NaN))");
    if (text.empty() || text.back() != '\n') return "(no newline at the end)";
    std::set<std::string> families, series;
    std::string family, announced;  // the family whose samples may follow; one HELP seen
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_match(line, m, help)) {
            if (!families.insert(m[1]).second) return line;
            announced = m[1];
            family.clear();
        } else if (std::regex_match(line, m, type)) {
            if (m[1] != announced) return line;
            family = announced;
        } else if (std::regex_match(line, m, sample)) {
            if (family.empty() || m[1] != family) return line;
            if (!series.insert(m[1].str() + m[2].str()).second) return line;
        } else {
            return line;
        }
    }
    return {};
}

}  // namespace swarmpki::test
