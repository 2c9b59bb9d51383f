// serve's bounded front under hostile clients (issue 11 item 3, issue 17 item 3): for each kind of
// client that used to stall or bloat serve, hundreds at once on loopback. A scrape must be
// answered within a second while they are held; the server must close them at its deadlines or
// refuse them unread, and still answer afterwards. Deadlines are shortened to 2 s so that each
// case takes a few seconds ([slow]: the ones that take longer); `-s` shows the measured scrape
// latencies in the expansions.
#include "serve_head.hpp"
#include "support.hpp"
#include "swarmpki/serve.hpp"
#include "test_node_writer.hpp"
#include "test_serve_support.hpp"

#include <catch2/catch.hpp>
#include <poll.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <thread>

using namespace swarmpki;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using serve_detail::HeadScanner;
using serve_detail::HeadVerdict;

namespace {

constexpr std::size_t kHostile = 500;
constexpr auto kDeadline = 2s;  // header, handshake and write timeouts of these servers
constexpr double kScrapeBound = 1.0;
constexpr std::size_t kPushBound = 32 * 1024 * 1024;  // kernel buffers plus the drain, far below

enum class Transport { plain, tls };

// A started server over one node directory made by the CA code, with the short deadlines.
struct Fixture {
    explicit Fixture(Transport transport, std::size_t max_connections = 512,
                     std::chrono::milliseconds header_timeout = kDeadline) {
        test::raise_open_file_limit(8192);
        dir = test::simple_node(tmp / "node", create_root({}, test::kNodeIssuedAt)).dir;
        auto options = test::loopback_serve_options({dir.string()}, test::kNodeIssuedAt + 1h, log);
        options.limits.header_timeout = header_timeout;
        options.limits.tls_handshake_timeout = kDeadline;
        options.limits.write_timeout = kDeadline;
        options.limits.max_connections = max_connections;
        if (transport == Transport::tls) {
            options.tls = TlsSettings{(dir / "swarm-node.crt").string(),
                                      (dir / "swarm-node.key").string(), std::nullopt};
            client = test::client_context();
        }
        server = std::make_unique<Server>(options);
        server->start();
    }
    int port() const { return server->port(); }
    test::Scrape scrape() const { return test::timed_scrape(port(), client.get()); }

    test::TempDir tmp;
    fs::path dir;
    test::LogLines log;
    ossl::UniquePtr<SSL_CTX> client;  // null for plain HTTP
    std::unique_ptr<Server> server;
};

// Connections the test holds open; closed when it goes.
class Held {
public:
    Held() = default;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() {
        tls_.clear();
        for (int fd : fds_) ::close(fd);
    }

    // `n` connections, each sending `first` (nothing: idle).
    void open(int port, std::size_t n, std::string_view first = {}) {
        for (std::size_t i = 0; i < n; ++i) {
            int fd = test::connect_loopback(port);
            REQUIRE(fd >= 0);
            fds_.push_back(fd);
            if (!first.empty()) REQUIRE(test::send_all(fd, first));
        }
    }

    // `n` connections that finish the TLS handshake, then send `first`.
    void open_tls(int port, std::size_t n, SSL_CTX* ctx, std::string_view first) {
        for (std::size_t i = 0; i < n; ++i) {
            int fd = test::connect_loopback(port);
            REQUIRE(fd >= 0);
            fds_.push_back(fd);
            tls_.emplace_back(SSL_new(ctx));
            SSL_set_fd(tls_.back().get(), fd);
            REQUIRE(SSL_connect(tls_.back().get()) == 1);
            REQUIRE(SSL_write(tls_.back().get(), first.data(), static_cast<int>(first.size())) > 0);
        }
    }

    const std::vector<int>& fds() const { return fds_; }

    // How many of them the server has closed (end of stream or reset) within `limit`; whatever
    // arrives before that is read and dropped.
    std::size_t wait_closed(std::chrono::milliseconds limit) const {
        std::vector<bool> closed(fds_.size(), false);
        std::size_t count = 0;
        auto end = std::chrono::steady_clock::now() + limit;
        while (count < fds_.size() && std::chrono::steady_clock::now() < end) {
            std::vector<pollfd> polled;
            std::vector<std::size_t> index;
            for (std::size_t i = 0; i < fds_.size(); ++i)
                if (!closed[i]) {
                    polled.push_back({fds_[i], POLLIN, 0});
                    index.push_back(i);
                }
            ::poll(polled.data(), polled.size(), 100);
            for (std::size_t j = 0; j < polled.size(); ++j) {
                if (polled[j].revents == 0) continue;
                char chunk[4096];
                ssize_t n = ::recv(polled[j].fd, chunk, sizeof chunk, MSG_DONTWAIT);
                bool gone = n == 0 ||
                            (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
                if (gone && !closed[index[j]]) {
                    closed[index[j]] = true;
                    ++count;
                }
            }
        }
        return count;
    }

private:
    std::vector<int> fds_;
    std::vector<ossl::UniquePtr<SSL>> tls_;
};

void check_scrape_while_held(const Fixture& f, std::size_t held) {
    test::Scrape s = f.scrape();
    CHECK(s.status == 200);
    CHECK(s.seconds < kScrapeBound);
    CHECK(test::metric_value(s.body, "swarmpki_serve_connections_open") >= double(held + 1));
}

// After the hostile clients: still up, and the counter of what happened to them.
void check_up_and_counted(const Fixture& f, const std::string& series, std::size_t at_least) {
    test::Scrape after = f.scrape();
    CHECK(after.status == 200);
    CHECK(after.seconds < kScrapeBound);
    CHECK(test::metric_value(after.body, series) >= double(at_least));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Pushed {
    std::size_t bytes = 0;  // sent after the head before the server stopped taking them
    int error = 0;          // why sending stopped (errno), 0 if `limit` was reached
    std::string response;   // what the server answered
};

void collect(int fd, std::string& into, int flags) {
    char chunk[4096];
    ssize_t n;
    while ((n = ::recv(fd, chunk, sizeof chunk, flags)) > 0)
        into.append(chunk, static_cast<std::size_t>(n));
}

// Sends `head`, then `filler` again and again until the server stops taking it (it closed the
// connection) or `limit` bytes are sent, and collects what the server answers meanwhile.
Pushed push_until_refused(int port, std::string_view head, std::string_view filler,
                          std::size_t limit) {
    Pushed pushed;
    int fd = test::connect_loopback(port);
    REQUIRE(fd >= 0);
    REQUIRE(test::send_all(fd, head));
    while (pushed.bytes < limit) {
        collect(fd, pushed.response, MSG_DONTWAIT);
        ssize_t n = ::send(fd, filler.data(), filler.size(), MSG_NOSIGNAL);
        if (n < 0) {
            pushed.error = errno;
            break;
        }
        pushed.bytes += static_cast<std::size_t>(n);
    }
    collect(fd, pushed.response, 0);  // the rest, until the end (5 s receive timeout)
    ::close(fd);
    return pushed;
}

// A hostile push in a thread, with a scrape while it runs; then the refusal and its bounds.
void check_refused_unread(const Fixture& f, std::string_view head, std::string_view filler,
                          std::size_t limit, const std::string& status_line) {
    Pushed pushed;
    std::thread pusher([&] { pushed = push_until_refused(f.port(), head, filler, limit); });
    std::this_thread::sleep_for(50ms);
    test::Scrape during = f.scrape();
    pusher.join();
    CHECK(during.status == 200);
    CHECK(during.seconds < kScrapeBound);
    CHECK(pushed.response.rfind(status_line, 0) == 0);
    CHECK(pushed.response.find("Connection: close\r\n") != std::string::npos);
    CHECK((pushed.error == EPIPE || pushed.error == ECONNRESET));
    CHECK(pushed.bytes < kPushBound);
}

std::string repeated(std::string_view unit, std::size_t times) {
    std::string out;
    out.reserve(unit.size() * times);
    for (std::size_t i = 0; i < times; ++i) out += unit;
    return out;
}

HeadVerdict scan(std::string_view head, std::size_t* length = nullptr) {
    HeadScanner scanner({16 * 1024, 64});
    HeadVerdict verdict = scanner.feed(head);
    if (length) *length = scanner.length();
    return verdict;
}

}  // namespace

TEST_CASE("The front's head scanner finds the end of a GET head and refuses methods, bodies "
          "and oversized heads",
          "[serve]") {
    std::size_t length = 0;
    std::string get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(scan(get, &length) == HeadVerdict::complete);
    CHECK(length == get.size());
    CHECK(scan(get + "GET /healthz HTTP/1.1\r\n", &length) == HeadVerdict::complete);  // pipelined
    CHECK(length == get.size());
    CHECK(scan("HEAD / HTTP/1.1\r\n\r\n") == HeadVerdict::complete);
    CHECK(scan("GE") == HeadVerdict::incomplete);
    CHECK(scan("GET /metrics HTTP/1.1\r\nHost: x\r\n") == HeadVerdict::incomplete);
    CHECK(scan("GET / HTTP/1.1\r\nHost: x\n\n") == HeadVerdict::incomplete);  // cpp-httplib too
    for (const char* method : {"POST / HTTP/1.1\r\n", "PUT ", "get / HTTP/1.1\r\n", "GETS /",
                               "\r\nGET / HTTP/1.1\r\n", "OPTIONS * HTTP/1.1\r\n"})
        CHECK(scan(method) == HeadVerdict::bad_method);
    for (const char* field : {"Transfer-Encoding: chunked", "transfer-encoding: identity",
                              " Transfer-Encoding : chunked", "\tTRANSFER-ENCODING:",
                              "Content-Length: 5", "Content-Length: ", "Content-Length: 0x0",
                              "content-length: -0", "Content-Length: 1, 1"}) {
        INFO(field);
        CHECK(scan(std::string("GET / HTTP/1.1\r\n") + field + "\r\n\r\n") ==
              HeadVerdict::has_body);
    }
    CHECK(scan("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == HeadVerdict::complete);
    CHECK(scan("GET / HTTP/1.1\r\nContent-Length:  00 \r\n\r\n") == HeadVerdict::complete);
    // 64 fields pass, the 65th is refused before the end of the head arrives.
    CHECK(scan("GET / HTTP/1.1\r\n" + repeated("X: y\r\n", 64) + "\r\n") == HeadVerdict::complete);
    CHECK(scan("GET / HTTP/1.1\r\n" + repeated("X: y\r\n", 65)) == HeadVerdict::too_large);
    CHECK(scan("GET /" + std::string(16 * 1024, 'a')) == HeadVerdict::too_large);
    CHECK(scan("GET /" + std::string(16 * 1024 - 6, 'a')) == HeadVerdict::incomplete);

    SECTION("a head trickled a byte at a time gets the same verdicts") {
        std::string head = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\nGET /";
        HeadScanner scanner({16 * 1024, 64});
        std::vector<HeadVerdict> verdicts;
        for (std::size_t n = 1; n <= head.size(); ++n)
            verdicts.push_back(scanner.feed(head.substr(0, n)));
        std::size_t end = head.find("\r\n\r\n") + 4;
        for (std::size_t n = 1; n < end; ++n) CHECK(verdicts[n - 1] == HeadVerdict::incomplete);
        CHECK(verdicts[end - 1] == HeadVerdict::complete);
        CHECK(scanner.length() == end);
        scanner.reset();
        CHECK(scanner.feed("POST") == HeadVerdict::bad_method);
    }
}

TEST_CASE("A scrape is answered within 1 s while 500 idle connections are held, and they are "
          "closed at the idle timeout",
          "[serve]") {
    Fixture f(Transport::plain);
    Held idle;
    auto opened = std::chrono::steady_clock::now();
    idle.open(f.port(), kHostile);
    check_scrape_while_held(f, kHostile);
    CHECK(idle.wait_closed(kDeadline + 3s) == kHostile);
    double closed_after = seconds_since(opened);
    CHECK(closed_after > 1.5);  // by the deadline, not at once
    CHECK(closed_after < 5.0);
    check_up_and_counted(f, "swarmpki_serve_connections_timed_out_total{phase=\"idle\"}", kHostile);
}

TEST_CASE("A scrape is answered within 1 s while 500 half-sent request heads are held, and they "
          "are cut off at the header deadline",
          "[serve]") {
    Fixture f(Transport::plain);
    Held half;
    half.open(f.port(), kHostile, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    check_scrape_while_held(f, kHostile);
    CHECK(half.wait_closed(kDeadline + 3s) == kHostile);
    check_up_and_counted(f, "swarmpki_serve_connections_timed_out_total{phase=\"request_header\"}",
                         kHostile);
    CHECK(f.log.count("msg=\"connection timed out\" phase=request_header remote=127.0.0.1") ==
          kHostile);
}

TEST_CASE("Heads trickled a byte at a time are cut off at the total header deadline", "[serve]") {
    Fixture f(Transport::plain);
    Held slow;
    auto opened = std::chrono::steady_clock::now();
    slow.open(f.port(), kHostile, "GET /metrics HTTP/1.1\r\n");
    std::atomic<bool> done{false};
    std::thread trickler([&] {
        for (int round = 0; round < 60 && !done; ++round) {  // at most 6 s
            for (int fd : slow.fds()) ::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            std::this_thread::sleep_for(100ms);
        }
    });
    std::this_thread::sleep_for(300ms);
    check_scrape_while_held(f, kHostile);
    std::size_t closed = slow.wait_closed(kDeadline + 3s);
    double closed_after = seconds_since(opened);
    done = true;
    trickler.join();
    CHECK(closed == kHostile);
    CHECK(closed_after > 1.5);  // a byte every 100 ms kept arriving: only the total deadline cuts
    CHECK(closed_after < 5.0);
    check_up_and_counted(f, "swarmpki_serve_connections_timed_out_total{phase=\"request_header\"}",
                         kHostile);
}

TEST_CASE("An endless header line, endless header fields, a chunked body and a POST body are "
          "refused unread",
          "[serve]") {
    Fixture f(Transport::plain);
    const std::string filler(64 * 1024, 'a');
    const std::size_t gib = std::size_t(1) << 30;

    SECTION("one 300 MB header line") {
        check_refused_unread(f, "GET /metrics HTTP/1.1\r\nX-Big: ", filler, 300u << 20,
                             "HTTP/1.1 431 ");
        check_up_and_counted(
            f, "swarmpki_serve_connections_refused_total{reason=\"header_too_large\"}", 1);
    }
    SECTION("millions of header fields") {
        check_refused_unread(f, "GET /metrics HTTP/1.1\r\n", repeated("X-H: v\r\n", 8192),
                             300u << 20, "HTTP/1.1 431 ");
    }
    SECTION("a 1 GiB chunked body on a GET") {
        check_refused_unread(
            f, "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            "10000\r\n" + filler + "\r\n", gib, "HTTP/1.1 413 ");
        check_up_and_counted(f, "swarmpki_serve_connections_refused_total{reason=\"body\"}", 1);
    }
    SECTION("a 1 GiB POST body") {
        check_refused_unread(
            f, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n", filler,
            gib, "HTTP/1.1 405 ");
        check_up_and_counted(f, "swarmpki_serve_connections_refused_total{reason=\"method\"}", 1);
    }
    SECTION("a GET with a small body") {
        Pushed pushed = push_until_refused(
            f.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "", 0);
        CHECK(pushed.response.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0) == 0);
    }
    CHECK(f.log.count_reaching("msg=\"request refused\"", 1) == 1);
    CHECK(f.log.count(" remote=127.0.0.1") >= 1);
}

TEST_CASE("A scrape over TLS is answered within 1 s while 500 handshakes are left unfinished, "
          "and they are closed at the handshake deadline",
          "[serve]") {
    Fixture f(Transport::tls);
    Held silent, partial;
    silent.open(f.port(), kHostile / 2);
    // A TLS record header and the start of a ClientHello that announces 512 bytes.
    partial.open(f.port(), kHostile / 2,
                 std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    check_scrape_while_held(f, kHostile);
    CHECK(silent.wait_closed(kDeadline + 3s) == kHostile / 2);
    CHECK(partial.wait_closed(1s) == kHostile / 2);
    check_up_and_counted(f, "swarmpki_serve_connections_timed_out_total{phase=\"tls_handshake\"}",
                         kHostile);
    CHECK(f.log.count("msg=\"connection timed out\" phase=tls_handshake remote=127.0.0.1") ==
          kHostile);
}

TEST_CASE("A scrape over TLS is answered within 1 s while 500 TLS connections hold half-sent "
          "heads",
          "[serve][slow]") {
    // The handshakes take the test a while; the header deadline must outlast them.
    Fixture f(Transport::tls, 512, 8s);
    Held half;
    half.open_tls(f.port(), kHostile, f.client.get(), "GET /metrics HTTP/1.1\r\nHost: x\r\n");
    check_scrape_while_held(f, kHostile);
    CHECK(half.wait_closed(8s + 3s) == kHostile);
    check_up_and_counted(f, "swarmpki_serve_connections_timed_out_total{phase=\"request_header\"}",
                         kHostile);
}

TEST_CASE("At the connection limit the connection nearest its deadline makes room for a scrape",
          "[serve]") {
    Fixture f(Transport::plain, 32);
    Held idle;
    idle.open(f.port(), 100);
    test::Scrape s = f.scrape();
    CHECK(s.status == 200);
    CHECK(s.seconds < kScrapeBound);
    CHECK(test::metric_value(s.body, "swarmpki_serve_connections_open") <= 32);
    CHECK(test::metric_value(s.body,
                             "swarmpki_serve_connections_refused_total{reason=\"evicted\"}") ==
          100 - 32 + 1);
    CHECK(idle.wait_closed(500ms) == 100 - 32 + 1);  // the oldest ones, closed at once
    CHECK(f.log.count("msg=\"connection closed\" reason=evicted remote=127.0.0.1") == 100 - 32 + 1);
}

TEST_CASE("A client that does not read its responses is cut off at the write deadline", "[serve]") {
    Fixture f(Transport::plain);
    int fd = test::connect_loopback(f.port(), 4096);
    REQUIRE(fd >= 0);
    // Pipelined requests whose answers fill the socket buffers while nobody reads them.
    std::string requests = repeated("GET /v1/inspect HTTP/1.1\r\nHost: x\r\n\r\n", 990);
    REQUIRE(test::send_all(fd, requests));
    test::Scrape during = f.scrape();
    CHECK(during.status == 200);
    CHECK(during.seconds < kScrapeBound);
    std::string series = "swarmpki_serve_connections_timed_out_total{phase=\"write\"}";
    double write_timeouts = 0;
    for (int i = 0; i < 60 && write_timeouts < 1; ++i) {
        std::this_thread::sleep_for(100ms);
        write_timeouts = test::metric_value(f.scrape().body, series);
    }
    CHECK(write_timeouts == 1);
    ::close(fd);
}

TEST_CASE("The front keeps keep-alive and pipelining, and logs requests cpp-httplib rejects "
          "with the peer's address",
          "[serve]") {
    Fixture f(Transport::plain);
    int fd = test::connect_loopback(f.port());
    REQUIRE(fd >= 0);
    std::string two =
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(test::send_all(fd, two));
    REQUIRE(test::send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string answers;
    collect(fd, answers, 0);
    ::close(fd);
    std::size_t responses = 0;
    for (std::size_t at = answers.find("HTTP/1.1 200 OK"); at != std::string::npos;
         at = answers.find("HTTP/1.1 200 OK", at + 1))
        ++responses;
    CHECK(responses == 3);
    CHECK(f.log.count_reaching("msg=request method=GET path=/healthz status=200", 2) == 2);

    Pushed malformed = push_until_refused(f.port(), "GET /no-version\r\n\r\n", "", 0);
    CHECK(malformed.response.rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(f.log.count_reaching("status=400", 1) == 1);
    CHECK(f.log.count_reaching({"msg=request", "status=400", " remote=127.0.0.1"}, 1) == 1);
}

TEST_CASE("wrk -c64 against /metrics while 200 idle connections are held: zero errors",
          "[serve][slow]") {
    if (std::system("command -v wrk >/dev/null 2>&1") != 0) {
        WARN("wrk is not installed: skipping the load test (apt-get install wrk)");
        return;
    }
    Fixture f(Transport::plain, 512, 10s);  // the idle ones stay for the whole run
    Held idle;
    idle.open(f.port(), 200);
    std::string command = "wrk -t2 -c64 -d3s http://127.0.0.1:" + std::to_string(f.port()) +
                          "/metrics 2>&1";
    std::string output;
    FILE* wrk = ::popen(command.c_str(), "r");
    REQUIRE(wrk != nullptr);
    char chunk[4096];
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, wrk)) > 0) output.append(chunk, n);
    CHECK(::pclose(wrk) == 0);
    INFO(output);
    CHECK(output.find("requests in") != std::string::npos);
    CHECK(output.find("Socket errors") == std::string::npos);
    CHECK(output.find("Non-2xx") == std::string::npos);
    check_scrape_while_held(f, 200);
}
