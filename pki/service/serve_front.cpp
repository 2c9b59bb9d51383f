// serve's bounded front: why it exists, and how it hands requests to cpp-httplib.
//
// Why: cpp-httplib 0.11.4 gives every accepted connection a pool thread for its whole life,
// keep-alive included; it reads a request head with a per-read timeout but no total deadline,
// and it buffers a body (a chunked one without limit) before any handler can refuse it. With the
// previous serve (a pool of 32 threads) a scrape took 0.5 ms with 31 idle connections held,
// 5.4 s with 80, and timed out (> 30 s) with 250 or 500 idle or half-sent ones; over TLS, 500
// idle connections made the scraper's handshake time out. No setting of the pool fixes that:
// each idle connection holds a thread, and more threads only move the number.
//
// How: one poll thread owns the listening socket and every connection until its request head is
// complete. It accepts (at max_connections it evicts the waiting connection nearest its
// deadline), runs the TLS handshake non-blocking under a deadline, reads the head into a buffer
// capped at max_header_bytes under one deadline for the whole head, and refuses, before any of
// a body is read, every method but GET and HEAD and any head announcing a body (serve_head.hpp:
// the front finds where the head ends, the method token and Transfer-Encoding/Content-Length,
// nothing else). Only a complete, acceptable head goes to a worker, which runs cpp-httplib's own
// request processing on it (request line and header parsing, routing, handlers, gzip,
// keep-alive headers, the logger), then gives the connection back to the poll thread to wait
// for its next request. A slow sender never holds a worker; a slow reader holds one for at most
// the write timeout.
//
// Why process_request, not a relay: httplib::Server::process_request(Stream&, ...) is a
// protected member that the shared library exports, so a subclass runs it on a Stream of ours
// (serve_connection.hpp) that replays the buffered head and writes under one deadline. Relaying
// complete requests to an internal httplib server over a socketpair would keep the parsing in
// cpp-httplib too, but it needs a second socket and a pool thread per connection being served,
// copies every response, and brings back the thread-per-connection pool the front bounds.
#include "serve_front.hpp"

#include "../util/thread_signals.hpp"
#include "serve_connection.hpp"
#include "serve_http.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/webhook.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace swarmpki::serve_detail {

namespace {

using std::chrono::milliseconds;
using Slot = std::unique_ptr<Connection>;

constexpr std::size_t kAcceptsPerRound = 64;  // then serve the connections already open
constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kDrainLimit = 1024 * 1024;  // dropped after a refusal before closing
constexpr milliseconds kDrainTime{1000};
constexpr milliseconds kAcceptPause{100};         // after EMFILE and the like: no busy loop
constexpr std::size_t kReservedDescriptors = 64;  // scans, webhooks, logs

// cpp-httplib's server with its request processing reachable from the workers. It never listens:
// write_content_with_provider stops when svr_sock_ is INVALID_SOCKET ("shutting down"), so it is
// given the front's listening socket while the front serves.
class RequestProcessor final : public httplib::Server {
public:
    using httplib::Server::process_request;
    void set_serving_socket(int fd) { svr_sock_ = fd; }
};

struct Refusal {
    RefusalReason reason;
    int status;
    std::string response;
};

std::string canned(int status, std::string_view text, std::string_view extra,
                   std::string_view body) {
    return fmt::format("HTTP/1.1 {} {}\r\n{}Content-Type: text/plain\r\nContent-Length: {}\r\n"
                       "Connection: close\r\n\r\n{}",
                       status, text, extra, body.size(), body);
}

// The front's only answers of its own: constants, each followed by closing the connection.
const Refusal& refusal_for(HeadVerdict verdict) {
    static const Refusal method{RefusalReason::method, 405,
                                canned(405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
                                       "method not allowed (serve answers GET and HEAD)\n")};
    static const Refusal body{RefusalReason::body, 413,
                              canned(413, "Payload Too Large", "",
                                     "request bodies are not accepted\n")};
    static const Refusal large{RefusalReason::header_too_large, 431,
                               canned(431, "Request Header Fields Too Large", "",
                                      "request header too large\n")};
    if (verdict == HeadVerdict::bad_method) return method;
    if (verdict == HeadVerdict::has_body) return body;
    return large;
}

std::string errno_text(int error) {
    return std::error_code(error, std::system_category()).message();
}

struct AddrInfoDeleter {
    void operator()(addrinfo* list) const { ::freeaddrinfo(list); }
};

// SO_REUSEADDR only, never SO_REUSEPORT (cpp-httplib's own listener sets it): with it a second
// serve on the same port would start and take half the scrapes, each answering for its own
// directories. A port in use stops at the first address that has it, for the same reason: for a
// name like localhost, binding the next address (::1 after 127.0.0.1) would split the clients.
Fd bind_listener(const ListenAddress& at, int& port) {
    std::string where = at.host + ":" + std::to_string(at.port);
    auto failure = [&] {
        return Error(where, "cannot listen on this address",
                     "is the address on this host? (--listen ADDR:PORT)");
    };
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (::getaddrinfo(at.host.c_str(), std::to_string(at.port).c_str(), &hints, &found) != 0)
        throw failure();
    std::unique_ptr<addrinfo, AddrInfoDeleter> list(found);
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        Fd fd(
            ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
        if (fd.get() < 0) continue;
        int yes = 1, no = 0;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (a->ai_family == AF_INET6)  // as cpp-httplib did: "::" takes IPv4 too
            ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
        if (::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 ||
            ::listen(fd.get(), SOMAXCONN) != 0) {
            if (errno == EADDRINUSE)
                throw Error(where, "address in use",
                            "another process listens on this port (another swarmpki serve?): "
                            "stop it, or choose another port with --listen");
            continue;
        }
        sockaddr_storage bound{};
        socklen_t length = sizeof bound;
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length);
        port = peer_address(bound).port;
        return fd;
    }
    throw failure();
}

// Every connection is a descriptor, and poll() refuses more descriptors than RLIMIT_NOFILE.
std::size_t fit_to_descriptor_limit(std::size_t wanted,
                                    const std::function<void(std::string_view)>& log) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
    auto available = static_cast<std::size_t>(limit.rlim_cur);
    if (available >= wanted + kReservedDescriptors) return wanted;
    std::size_t fitted = available > 2 * kReservedDescriptors
                             ? available - kReservedDescriptors
                             : std::max<std::size_t>(available / 2, 1);
    if (log)
        log(fmt::format("level=warn msg=\"connection limit lowered to fit the open-file limit\" "
                        "max_connections={} nofile={}",
                        fitted, available));
    return fitted;
}

// Appends without letting the buffer's capacity grow past `cap` (std::string would double).
void append_capped(std::string& buffer, const char* bytes, std::size_t n, std::size_t cap) {
    if (buffer.capacity() < buffer.size() + n)
        buffer.reserve(std::min(cap, std::max(2 * buffer.capacity(), buffer.size() + n)));
    buffer.append(bytes, n);
}

// Reads what is there, at most `room` bytes: > 0 read, 0 nothing yet (`events` then says what to
// wait for), < 0 closed or failed.
long read_available(Connection& c, char* into, std::size_t room) {
    if (!c.ssl) {
        ssize_t n = ::recv(c.socket.get(), into, room, 0);
        if (n > 0) return n;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            c.events = POLLIN;
            return 0;
        }
        return -1;
    }
    ERR_clear_error();
    int n = SSL_read(c.ssl.get(), into, static_cast<int>(room));
    if (n > 0) return n;
    int error = SSL_get_error(c.ssl.get(), n);
    ERR_clear_error();
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        c.events = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return 0;
    }
    return -1;
}

// The refusal is small and goes out with one non-blocking write; if the client's window is full
// it is lost, which costs a client that sends what it was told not to nothing it is owed.
void send_best_effort(Connection& c, std::string_view bytes) {
    if (c.ssl) {
        ERR_clear_error();
        SSL_write(c.ssl.get(), bytes.data(), static_cast<int>(bytes.size()));
        SSL_shutdown(c.ssl.get());
        ERR_clear_error();
    } else {
        ::send(c.socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
}

// A handshake that failed only because the peer went away (a TCP probe, a client giving up) is
// not worth a log line or a count.
bool peer_just_left(int ssl_error) {
    if (ssl_error == SSL_ERROR_ZERO_RETURN) return true;
    unsigned long first = ERR_peek_error();
    if (ssl_error == SSL_ERROR_SYSCALL && first == 0) return true;
    return ERR_GET_LIB(first) == ERR_LIB_SSL &&
           ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

}  // namespace

const char* to_string(RefusalReason reason) {
    switch (reason) {
        case RefusalReason::max_connections: return "max_connections";
        case RefusalReason::evicted: return "evicted";
        case RefusalReason::method: return "method";
        case RefusalReason::body: return "body";
        case RefusalReason::header_too_large: return "header_too_large";
        case RefusalReason::tls_handshake: return "tls_handshake";
    }
    return "unknown";
}

const char* to_string(TimeoutPhase phase) {
    switch (phase) {
        case TimeoutPhase::tls_handshake: return "tls_handshake";
        case TimeoutPhase::idle: return "idle";
        case TimeoutPhase::request_header: return "request_header";
        case TimeoutPhase::write: return "write";
    }
    return "unknown";
}

struct Front::State {
    ServeLimits limits;
    std::size_t worker_count = 1;
    std::function<void(std::string_view)> log_sink;
    RequestProcessor http;
    Fd listener, wake;
    int port = -1;
    std::size_t max_connections = 0;

    mutable std::mutex tls_mutex;
    std::shared_ptr<const TlsContext> tls;

    std::vector<Slot> waiting;  // the poll thread's alone
    SteadyClock::time_point accept_paused_until{};

    std::mutex queue_mutex;
    std::condition_variable queue_ready;
    std::deque<Slot> ready;      // complete heads, for the workers
    std::vector<Slot> returned;  // served and kept alive, back to the poll thread
    bool stopping = false;       // under queue_mutex
    std::atomic<bool> stop_requested{false};

    std::atomic<std::size_t> open{0};
    std::atomic<std::uint64_t> accepted{0};
    std::array<std::atomic<std::uint64_t>, kRefusalReasons> refused{};
    std::array<std::atomic<std::uint64_t>, kTimeoutPhases> timed_out{};

    std::thread poller;
    std::vector<std::thread> workers;
    bool started = false;
    std::atomic<bool> stopped{false};

    void log(const std::string& line) const {
        if (log_sink) log_sink(line);
    }
    void count(RefusalReason r) { ++refused[static_cast<std::size_t>(r)]; }
    void count(TimeoutPhase p) { ++timed_out[static_cast<std::size_t>(p)]; }
    HeadLimits head_limits() const { return {limits.max_header_bytes, limits.max_header_fields}; }
    std::shared_ptr<const TlsContext> current_tls() const {
        std::lock_guard lock(tls_mutex);
        return tls;
    }

    void run();
    int poll_timeout(SteadyClock::time_point now) const;
    void accept_new(SteadyClock::time_point now);
    void admit(Fd socket, const sockaddr_storage& peer, SteadyClock::time_point now);
    bool start_tls(Connection& c);
    bool evict_one();
    void step(Slot& slot, SteadyClock::time_point now);
    void step_handshake(Slot& slot, SteadyClock::time_point now);
    void step_read(Slot& slot, SteadyClock::time_point now);
    void step_drain(Slot& slot);
    void refuse(Slot& slot, HeadVerdict verdict, SteadyClock::time_point now);
    void expire(Slot& slot);
    void dispatch(Slot& slot);
    void take_returned(SteadyClock::time_point now);
    void wake_poller();
    void drain_wake();

    void work();
    bool serve(Connection& c);
};

// ---- the poll thread ----

void Front::State::run() {
    std::vector<pollfd> fds;
    while (!stop_requested) {
        auto now = SteadyClock::now();
        fds.clear();
        fds.push_back({wake.get(), POLLIN, 0});
        fds.push_back({now >= accept_paused_until ? listener.get() : -1, POLLIN, 0});
        std::size_t polled = waiting.size();
        for (const Slot& c : waiting) fds.push_back({c->socket.get(), c->events, 0});
        if (::poll(fds.data(), fds.size(), poll_timeout(now)) < 0 && errno != EINTR) {
            log("level=error msg=\"serve's poll loop failed\" error=" +
                logfmt_value(errno_text(errno)));
            std::this_thread::sleep_for(kAcceptPause);
        }
        if (stop_requested) break;
        now = SteadyClock::now();
        for (std::size_t i = 0; i < polled; ++i)
            if (fds[i + 2].revents != 0 && waiting[i]) step(waiting[i], now);
        if (fds[1].revents != 0) accept_new(now);
        if (fds[0].revents != 0) {
            drain_wake();
            take_returned(now);
        }
        for (Slot& slot : waiting)
            if (slot && now >= slot->deadline) expire(slot);
        std::erase_if(waiting, [](const Slot& slot) { return !slot; });
    }
    waiting.clear();
}

int Front::State::poll_timeout(SteadyClock::time_point now) const {
    std::optional<SteadyClock::time_point> next;
    if (now < accept_paused_until) next = accept_paused_until;
    for (const Slot& c : waiting)
        if (!next || c->deadline < *next) next = c->deadline;
    if (!next) return -1;
    auto wait = std::chrono::ceil<milliseconds>(*next - now).count();
    return static_cast<int>(std::clamp<long long>(wait, 0, INT_MAX));
}

void Front::State::accept_new(SteadyClock::time_point now) {
    for (std::size_t i = 0; i < kAcceptsPerRound; ++i) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        int fd = ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            ++accepted;
            admit(Fd(fd), peer, now);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        // Out of descriptors or memory: the connection stays queued in the kernel; retry shortly
        // instead of spinning on a listener that stays readable.
        log("level=error msg=\"cannot accept connections\" error=" +
            logfmt_value(errno_text(errno)) +
            " retry_in_ms=" + std::to_string(kAcceptPause.count()));
        accept_paused_until = now + kAcceptPause;
        return;
    }
}

void Front::State::admit(Fd socket, const sockaddr_storage& peer, SteadyClock::time_point now) {
    PeerAddress remote = peer_address(peer);
    if (open >= max_connections && !evict_one()) {
        count(RefusalReason::max_connections);
        log("level=warn msg=\"connection refused\" reason=max_connections remote=" +
            logfmt_value(remote.ip));
        return;
    }
    int yes = 1;  // small answers: no Nagle wait against the client's delayed ACK
    ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&local), &length);
    auto c = std::make_unique<Connection>(std::move(socket), std::move(remote), peer_address(local),
                                          head_limits(), open);
    c->events = POLLIN;
    c->tls = current_tls();  // the context of the accept, even if a reload follows
    c->phase = c->tls ? ConnectionPhase::handshake : ConnectionPhase::reading;
    c->deadline = now + (c->tls ? limits.tls_handshake_timeout : limits.header_timeout);
    waiting.push_back(std::move(c));
    if (!waiting.back()->tls) step(waiting.back(), now);  // the client may have sent already
}

// The SSL is made when the first handshake bytes arrive: OpenSSL's handshake state and record
// buffers are tens of kilobytes, and a connection that never sends should not hold them.
bool Front::State::start_tls(Connection& c) {
    c.ssl.reset(SSL_new(c.tls->ctx.get()));
    if (!c.ssl || SSL_set_fd(c.ssl.get(), c.socket.get()) != 1) {
        log("level=error msg=\"cannot set up TLS for a connection\" error=" +
            logfmt_value(ossl::drain_errors()) + " remote=" + logfmt_value(c.remote.ip));
        return false;
    }
    SSL_set_accept_state(c.ssl.get());
    SSL_set_app_data(c.ssl.get(), &c.remote.ip);  // for the client-certificate log lines
    return true;
}

// At the limit, the connection that is waiting and nearest its deadline makes room: whoever
// holds the most connections loses the oldest of them, and a new scrape still gets in.
bool Front::State::evict_one() {
    Slot* victim = nullptr;
    for (Slot& slot : waiting)
        if (slot && (victim == nullptr || slot->deadline < (*victim)->deadline)) victim = &slot;
    if (victim == nullptr) return false;
    count(RefusalReason::evicted);
    log("level=warn msg=\"connection closed\" reason=evicted remote=" +
        logfmt_value((*victim)->remote.ip));
    victim->reset();
    return true;
}

void Front::State::step(Slot& slot, SteadyClock::time_point now) {
    switch (slot->phase) {
        case ConnectionPhase::handshake: return step_handshake(slot, now);
        case ConnectionPhase::reading: return step_read(slot, now);
        case ConnectionPhase::draining: return step_drain(slot);
    }
}

void Front::State::step_handshake(Slot& slot, SteadyClock::time_point now) {
    Connection& c = *slot;
    if (!c.ssl && !start_tls(c)) return slot.reset();
    ERR_clear_error();
    int result = SSL_do_handshake(c.ssl.get());
    if (result == 1) {
        c.phase = ConnectionPhase::reading;
        c.deadline = now + limits.header_timeout;
        return step_read(slot, now);
    }
    int error = SSL_get_error(c.ssl.get(), result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        c.events = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return;
    }
    if (!peer_just_left(error)) {
        count(RefusalReason::tls_handshake);
        log("level=warn msg=\"tls handshake failed\" remote=" + logfmt_value(c.remote.ip) +
            " error=" + logfmt_value(ossl::drain_errors()));
    }
    ERR_clear_error();
    slot.reset();
}

void Front::State::step_read(Slot& slot, SteadyClock::time_point now) {
    Connection& c = *slot;
    char chunk[kReadChunk];
    while (true) {
        HeadVerdict verdict = c.scanner.feed(c.buffer);
        if (verdict == HeadVerdict::complete) return dispatch(slot);
        if (verdict != HeadVerdict::incomplete) return refuse(slot, verdict, now);
        std::size_t room = std::min(kReadChunk, limits.max_header_bytes - c.buffer.size());
        long n = read_available(c, chunk, room);
        if (n == 0) return;
        if (n < 0) return slot.reset();  // the client went away
        append_capped(c.buffer, chunk, static_cast<std::size_t>(n), limits.max_header_bytes);
    }
}

// After a refusal: what the client still sends is read and dropped (so that closing does not
// reset the connection before the refusal is read), up to kDrainLimit bytes or kDrainTime.
void Front::State::step_drain(Slot& slot) {
    Connection& c = *slot;
    char chunk[kReadChunk];
    while (c.drained < kDrainLimit) {
        ssize_t n = ::recv(c.socket.get(), chunk, sizeof chunk, 0);
        if (n > 0) {
            c.drained += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        break;
    }
    slot.reset();
}

void Front::State::refuse(Slot& slot, HeadVerdict verdict, SteadyClock::time_point now) {
    Connection& c = *slot;
    const Refusal& refusal = refusal_for(verdict);
    count(refusal.reason);
    log("level=warn msg=\"request refused\" status=" + std::to_string(refusal.status) +
        " reason=" + to_string(refusal.reason) + " remote=" + logfmt_value(c.remote.ip));
    send_best_effort(c, refusal.response);
    ::shutdown(c.socket.get(), SHUT_WR);
    c.phase = ConnectionPhase::draining;
    c.events = POLLIN;
    c.deadline = now + std::min(kDrainTime, limits.header_timeout);
    std::string().swap(c.buffer);
}

void Front::State::expire(Slot& slot) {
    Connection& c = *slot;
    if (c.phase != ConnectionPhase::draining) {
        TimeoutPhase phase = c.phase == ConnectionPhase::handshake ? TimeoutPhase::tls_handshake
                             : c.buffer.empty()                    ? TimeoutPhase::idle
                                                                   : TimeoutPhase::request_header;
        count(phase);
        if (phase != TimeoutPhase::idle)  // idle keep-alive ending is routine
            log(std::string("level=warn msg=\"connection timed out\" phase=") + to_string(phase) +
                " remote=" + logfmt_value(c.remote.ip));
    }
    slot.reset();
}

void Front::State::dispatch(Slot& slot) {
    {
        std::lock_guard lock(queue_mutex);
        ready.push_back(std::move(slot));
    }
    queue_ready.notify_one();
}

void Front::State::take_returned(SteadyClock::time_point now) {
    std::vector<Slot> back;
    {
        std::lock_guard lock(queue_mutex);
        back.swap(returned);
    }
    for (Slot& c : back) {
        c->phase = ConnectionPhase::reading;
        c->events = POLLIN;
        c->deadline = now + limits.header_timeout;
        waiting.push_back(std::move(c));
        step(waiting.back(), now);  // a pipelined head may be buffered already (or in the SSL)
    }
}

void Front::State::wake_poller() {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake.get(), &one, sizeof one);
}

void Front::State::drain_wake() {
    std::uint64_t count_value = 0;
    [[maybe_unused]] ssize_t n = ::read(wake.get(), &count_value, sizeof count_value);
}

// ---- the workers ----

void Front::State::work() {
    block_sigpipe_on_this_thread();
    while (true) {
        Slot c;
        {
            std::unique_lock lock(queue_mutex);
            queue_ready.wait(lock, [this] { return stopping || !ready.empty(); });
            if (ready.empty()) return;  // stopping, and every complete request answered
            c = std::move(ready.front());
            ready.pop_front();
        }
        if (!serve(*c)) continue;  // closes it
        {
            std::lock_guard lock(queue_mutex);
            if (stopping) continue;
            returned.push_back(std::move(c));
        }
        wake_poller();
    }
}

// One request through cpp-httplib; true when the connection stays open for the next one.
bool Front::State::serve(Connection& c) {
    std::size_t head = c.scanner.length();
    bool last = c.requests + 1 >= limits.keep_alive_max_requests || stop_requested;
    bool client_closes = false;
    ConnectionStream stream(c, head, SteadyClock::now() + limits.write_timeout);
    begin_request(c.remote.ip);
    bool written = http.process_request(stream, last, client_closes,
                                        [&c](httplib::Request& req) { req.ssl = c.ssl.get(); });
    ++c.requests;
    c.buffer.erase(0, head);
    c.scanner.reset();
    if (stream.timed_out()) {
        count(TimeoutPhase::write);
        log("level=warn msg=\"connection timed out\" phase=write remote=" +
            logfmt_value(c.remote.ip));
        return false;
    }
    return written && !last && !client_closes;
}

// ---- Front ----

Front::Front(const ServeLimits& limits, std::size_t workers,
             std::function<void(std::string_view)> log)
    : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.limits = limits;
    s.worker_count = std::max<std::size_t>(workers, 1);
    s.log_sink = std::move(log);
    // Only the Keep-Alive header cpp-httplib writes comes from these: the front enforces them.
    s.http.set_keep_alive_max_count(limits.keep_alive_max_requests);
    s.http.set_keep_alive_timeout(
        std::chrono::ceil<std::chrono::seconds>(limits.header_timeout).count());
}

Front::~Front() { stop(); }

httplib::Server& Front::http() { return state_->http; }

void Front::set_tls(std::shared_ptr<const TlsContext> context) {
    std::lock_guard lock(state_->tls_mutex);
    state_->tls = std::move(context);
}

void Front::start(const ListenAddress& at) {
    State& s = *state_;
    s.listener = bind_listener(at, s.port);
    s.wake = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (s.wake.get() < 0)
        throw Error("serve", "cannot create an eventfd: " + errno_text(errno),
                    "raise the open-file limit (ulimit -n)");
    s.max_connections = fit_to_descriptor_limit(s.limits.max_connections, s.log_sink);
    s.http.set_serving_socket(s.listener.get());
    s.started = true;
    s.poller = std::thread([&s] {
        block_sigpipe_on_this_thread();
        s.run();
    });
    for (std::size_t i = 0; i < s.worker_count; ++i) s.workers.emplace_back([&s] { s.work(); });
}

int Front::port() const { return state_->port; }

std::size_t Front::max_connections() const { return state_->max_connections; }

void Front::stop() {
    State& s = *state_;
    if (!s.started || s.stopped.exchange(true)) return;
    s.stop_requested = true;
    {
        std::lock_guard lock(s.queue_mutex);
        s.stopping = true;
    }
    s.queue_ready.notify_all();
    s.wake_poller();
    s.poller.join();
    for (std::thread& worker : s.workers) worker.join();
    s.ready.clear();
    s.returned.clear();
    s.http.set_serving_socket(INVALID_SOCKET);
    s.listener = Fd();
}

FrontCounters Front::counters() const {
    const State& s = *state_;
    FrontCounters out;
    out.accepted = s.accepted;
    out.open = s.open;
    for (std::size_t i = 0; i < kRefusalReasons; ++i) out.refused[i] = s.refused[i];
    for (std::size_t i = 0; i < kTimeoutPhases; ++i) out.timed_out[i] = s.timed_out[i];
    return out;
}

}  // namespace swarmpki::serve_detail
