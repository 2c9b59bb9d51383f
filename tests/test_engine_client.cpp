// The engine client (pki/service/engine_*.cpp) against a fake engine on a unix socket: the
// fixture captures served byte for byte, then every refusal of SPEC section 9 and issue 13 item
// 4, each asserted by its exact kind and a one-line message naming the socket. Limits are short
// (a 600 ms total deadline) so the whole group stays within a few seconds.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "engine_internal.hpp"
#include "fake_engine.hpp"
#include "swarmpki/engine_client.hpp"
#include "test_engine_fixtures.hpp"

#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

using namespace swarmpki;
using namespace std::chrono_literals;
using test::capture_reply;
using test::FakeEngine;
using test::FakeFault;
using test::FakeReply;
using test::Framing;
namespace fs = std::filesystem;

namespace {

EngineLimits fast_limits() {
    EngineLimits limits;
    limits.connect_timeout = 500ms;
    limits.total_timeout = 600ms;
    return limits;
}

EngineEndpoint unix_at(const std::string& path) {
    return resolve_engine_endpoint("unix://" + path, {});
}

EngineError failure_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const EngineError& error) {
        return error;
    }
    FAIL("no EngineError was thrown");
    throw std::logic_error("unreachable");
}

// What every refusal promises: its kind, one line, and the endpoint named.
void require_refusal(const EngineError& error, EngineFailure kind, const std::string& socket) {
    INFO(error.what());
    CHECK(to_string(error.failure()) == std::string(to_string(kind)));
    CHECK(std::string(error.what()).find('\n') == std::string::npos);
    CHECK(std::string(error.what()).find("unix://" + socket) == 0);
    CHECK_FALSE(error.remedy().empty());
}

// The captures' directory, or false (noted once) so that the test returns: the group skips.
bool have_captures() {
    if (test::engine_fixtures_dir()) return true;
    test::note_engine_fixtures_missing();
    return false;
}

fs::path capture(const std::string& scenario, const std::string& node) {
    return *test::engine_fixtures_dir() / scenario / node;
}

// An engine serving the healthy manager's captures.
struct HealthyManager {
    FakeEngine engine;
    HealthyManager() { engine.load_capture(capture("healthy", "manager1")); }
};

}  // namespace

// ---- where the engine is ----

TEST_CASE("resolve_engine_endpoint: --host beats DOCKER_HOST beats the default socket",
          "[engine_client]") {
    EngineEnvironment env;
    CHECK(resolve_engine_endpoint(std::nullopt, env).socket_path == "/var/run/docker.sock");
    CHECK(resolve_engine_endpoint(std::nullopt, env).display == "unix:///var/run/docker.sock");
    env.docker_host = "";  // the docker CLI reads an empty variable as unset
    CHECK(resolve_engine_endpoint(std::nullopt, env).socket_path == "/var/run/docker.sock");
    env.docker_host = "unix:///run/user/1000/docker.sock";
    CHECK(resolve_engine_endpoint(std::nullopt, env).socket_path == "/run/user/1000/docker.sock");
    auto flag = resolve_engine_endpoint("unix:///tmp/flag.sock", env);
    CHECK(flag.transport == EngineTransport::unix_socket);
    CHECK(flag.socket_path == "/tmp/flag.sock");
    CHECK(flag.display == "unix:///tmp/flag.sock");
}

TEST_CASE("resolve_engine_endpoint: tcp:// is plain without DOCKER_TLS_VERIFY", "[engine_client]") {
    EngineEnvironment env;
    auto plain = resolve_engine_endpoint("tcp://10.0.0.5:2375", env);
    CHECK(plain.transport == EngineTransport::tcp);
    CHECK(plain.host == "10.0.0.5");
    CHECK(plain.port == 2375);
    CHECK(plain.display == "tcp://10.0.0.5:2375");
    CHECK(plain.ca_file.empty());
    CHECK(resolve_engine_endpoint("tcp://engine.example/", env).port == 2375);
    auto v6 = resolve_engine_endpoint("tcp://[::1]:2380", env);
    CHECK(v6.host == "::1");
    CHECK(v6.port == 2380);
    CHECK(v6.display == "tcp://[::1]:2380");
    env.docker_tls_verify = "";  // empty: off
    CHECK(resolve_engine_endpoint("tcp://h:1", env).transport == EngineTransport::tcp);
}

TEST_CASE("resolve_engine_endpoint: DOCKER_TLS_VERIFY makes tcp:// TLS with the CLI's cert files",
          "[engine_client]") {
    EngineEnvironment env;
    env.docker_tls_verify = "1";
    env.home = "/home/op";
    auto home = resolve_engine_endpoint("tcp://10.0.0.5:2376", env);
    CHECK(home.transport == EngineTransport::tls);
    CHECK(home.ca_file == "/home/op/.docker/ca.pem");
    CHECK(home.cert_file == "/home/op/.docker/cert.pem");
    CHECK(home.key_file == "/home/op/.docker/key.pem");
    CHECK(resolve_engine_endpoint("tcp://10.0.0.5", env).port == 2376);
    env.docker_cert_path = "/etc/docker-certs/";
    auto certs = resolve_engine_endpoint("tcp://10.0.0.5:2376", env);
    CHECK(certs.ca_file == "/etc/docker-certs/ca.pem");
    CHECK(certs.key_file == "/etc/docker-certs/key.pem");
    // A unix socket ignores the TLS variables, as the docker CLI does.
    CHECK(resolve_engine_endpoint("unix:///s", env).transport == EngineTransport::unix_socket);
    EngineEnvironment homeless;
    homeless.docker_tls_verify = "1";
    CHECK_THROWS_AS(resolve_engine_endpoint("tcp://h:2376", homeless), UsageError);
}

TEST_CASE("resolve_engine_endpoint: a URL that is neither unix://PATH nor tcp://HOST:PORT is a "
          "usage error naming it",
          "[engine_client]") {
    for (std::string bad :
         std::vector<std::string>{"", "/var/run/docker.sock", "unix://", "http://h:2375",
                                  "ssh://op@h", "fd://", "npipe:////./pipe/docker_engine",
                                  "tcp://h:0", "tcp://h:65536", "tcp://h:port",
                                  "tcp://h:2375/v1.41", "tcp://::1:2375", "tcp://[::1",
                                  "tcp://op@h:2375", "unix:///" + std::string(200, 'x')}) {
        INFO(bad);
        try {
            resolve_engine_endpoint(bad, {});
            FAIL("accepted");
        } catch (const UsageError& error) {
            CHECK(std::string(error.what()).find("'" + bad + "'") != std::string::npos);
        }
    }
}

// ---- the fake engine itself: why the client sends Host: localhost ----

TEST_CASE("cpp-httplib's own Host over AF_UNIX is the socket path, which dockerd refuses",
          "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, "OK"));
    httplib::Client raw(engine.socket_path());
    raw.set_address_family(AF_UNIX);
    auto answer = raw.Get("/_ping");
    REQUIRE(answer);
    CHECK(answer->status == 400);
    CHECK(answer->body == "400 Bad Request: malformed Host header");
    REQUIRE(engine.requests().size() == 1);
    CHECK(engine.requests()[0].host.find(engine.socket_path()) == 0);
}

// ---- negotiation ----

TEST_CASE("EngineClient: /_ping's Api-Version picks the paths, with Host: localhost",
          "[engine_client]") {
    if (!have_captures()) return;
    FakeEngine engine;
    engine.set("/_ping", capture_reply(capture("healthy", "manager1"), "ping"));
    EngineClient client(unix_at(engine.socket_path()), fast_limits());
    client.negotiate();
    EngineIdentity identity = client.identity();
    CHECK(identity.host == engine.url());
    CHECK(identity.api_version == "1.41");
    CHECK(identity.server_version == "20.10.24+dfsg1");
    REQUIRE(engine.requests().size() == 1);
    CHECK(engine.requests()[0].method == "GET");
    CHECK(engine.requests()[0].path == "/_ping");
    CHECK(engine.requests()[0].host == "localhost");
}

TEST_CASE("EngineClient: an engine newer than 1.41 is asked in its own version",
          "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, "OK", Framing::length, "1.52"));
    EngineClient client(unix_at(engine.socket_path()), fast_limits());
    client.negotiate();
    CHECK(client.identity().api_version == "1.52");
    CHECK(client.identity().server_version == "99.0.0");
}

TEST_CASE("EngineClient: an engine older than API 1.41 is refused as api-too-old",
          "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, "OK", Framing::length, "1.40"));
    EngineClient client(unix_at(engine.socket_path()), fast_limits());
    auto error = failure_of([&] { client.negotiate(); });
    require_refusal(error, EngineFailure::api_too_old, engine.socket_path());
    CHECK(error.problem() == "the engine speaks API 1.40, older than the 1.41 swarmpki needs");
}

TEST_CASE("EngineClient: a /_ping without a usable Api-Version is malformed", "[engine_client]") {
    for (std::string version : {"", "1", "one.41", "1.41.2", "1.-3"}) {
        INFO(version);
        FakeEngine engine;
        engine.set("/_ping", test::json_reply(200, "OK", Framing::length, version));
        EngineClient client(unix_at(engine.socket_path()), fast_limits());
        require_refusal(failure_of([&] { client.negotiate(); }), EngineFailure::malformed,
                        engine.socket_path());
    }
}

// ---- faults of the transport ----

TEST_CASE("EngineClient: a socket path where nothing exists is no-socket", "[engine_client]") {
    FakeEngine engine;  // for its directory only
    std::string path = (engine.dir() / "absent.sock").string();
    EngineClient client(unix_at(path), fast_limits());
    auto error = failure_of([&] { client.negotiate(); });
    require_refusal(error, EngineFailure::no_socket, path);
    CHECK(std::string(error.what()) ==
          "unix://" + path +
              ": no such socket (is dockerd running? name the engine with --host or DOCKER_HOST)");
}

TEST_CASE("EngineClient: a socket nobody listens on is connect-failed", "[engine_client]") {
    FakeEngine engine;
    std::string path = (engine.dir() / "stale.sock").string();
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    ::close(fd);  // the file stays, its listener is gone: dockerd killed without cleanup
    EngineClient client(unix_at(path), fast_limits());
    require_refusal(failure_of([&] { client.negotiate(); }), EngineFailure::connect_failed, path);
}

TEST_CASE("EngineClient: a socket this user may not open is permission-denied", "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, "OK"));
    if (::geteuid() != 0) {
        fs::permissions(engine.dir(), fs::perms::none);
        EngineClient client(unix_at(engine.socket_path()), fast_limits());
        auto error = failure_of([&] { client.negotiate(); });
        fs::permissions(engine.dir(), fs::perms::owner_all);
        require_refusal(error, EngineFailure::permission_denied, engine.socket_path());
        return;
    }
    // Root opens any socket: ask from a child that has become nobody (65534), the way a user
    // outside the docker group meets a root-owned 0700 directory.
    fs::permissions(engine.dir(), fs::perms::owner_all);
    int result[2];
    REQUIRE(::pipe(result) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        char kind = '?';
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) kind = 's';
        else try {
                EngineClient client(unix_at(engine.socket_path()), fast_limits());
                client.negotiate();
                kind = 'n';
            } catch (const EngineError& error) {
                kind = error.failure() == EngineFailure::permission_denied ? 'p' : 'o';
            }
        [[maybe_unused]] auto written = ::write(result[1], &kind, 1);
        ::_exit(0);
    }
    ::close(result[1]);
    char kind = 0;
    CHECK(::read(result[0], &kind, 1) == 1);
    ::close(result[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (kind == 's') {
        WARN("cannot become uid 65534: permission-denied not provoked");
        return;
    }
    CHECK(kind == 'p');
    // And the message a user reads, from the errno the child met.
    auto error = engine_detail::connect_refusal(unix_at(engine.socket_path()), EACCES);
    require_refusal(error, EngineFailure::permission_denied, engine.socket_path());
    CHECK(error.remedy() == "run as root or as a member of the docker group");
}

TEST_CASE("EngineClient: a tcp:// port nobody listens on is connect-failed", "[engine_client]") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t size = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    int port = ntohs(address.sin_port);
    ::close(fd);  // bound, never listening: connect is refused
    std::string url = "tcp://127.0.0.1:" + std::to_string(port);
    EngineClient client(resolve_engine_endpoint(url, {}), fast_limits());
    auto error = failure_of([&] { client.negotiate(); });
    CHECK(error.failure() == EngineFailure::connect_failed);
    CHECK(std::string(error.what()).find(url + ": ") == 0);
}

TEST_CASE("EngineClient: TLS without readable cert files is connect-failed naming the file",
          "[engine_client]") {
    FakeEngine engine;  // for its directory only
    EngineEnvironment env;
    env.docker_tls_verify = "1";
    env.docker_cert_path = engine.dir().string();
    EngineClient client(resolve_engine_endpoint("tcp://127.0.0.1:2376", env), fast_limits());
    auto error = failure_of([&] { client.negotiate(); });
    CHECK(error.failure() == EngineFailure::connect_failed);
    CHECK(error.problem().find("cannot read " + (engine.dir() / "ca.pem").string()) == 0);
}

namespace {

// DOCKER_CERT_PATH made of a fixture manager's files: its root as ca.pem, its leaf as cert.pem
// and its key as key.pem, the engine's PEM headers (kek-version, raft-dek) removed unless kept.
enum class KeepEngineHeaders { no, yes };
EngineEnvironment cert_path_from_fixture(const fs::path& into, KeepEngineHeaders keep) {
    fs::path node = capture("healthy", "certificates") / "manager1";
    fs::copy_file(node / "swarm-root-ca.crt", into / "ca.pem");
    fs::copy_file(node / "swarm-node.crt", into / "cert.pem");
    std::string key = test::read_text(node / "swarm-node.key");
    if (keep == KeepEngineHeaders::no) {
        auto body = key.find("\n\n");
        REQUIRE(body != std::string::npos);
        key = "-----BEGIN PRIVATE KEY-----\n" + key.substr(body + 2);
    }
    test::write_text(into / "key.pem", key);
    EngineEnvironment env;
    env.docker_tls_verify = "1";
    env.docker_cert_path = into.string();
    return env;
}

}  // namespace

TEST_CASE("EngineClient: TLS with a cert.pem and key.pem that do not load is connect-failed",
          "[engine_client]") {
    if (!have_captures()) return;
    FakeEngine engine;  // for its directory only
    auto env = cert_path_from_fixture(engine.dir(), KeepEngineHeaders::yes);
    EngineClient client(resolve_engine_endpoint("tcp://127.0.0.1:2376", env), fast_limits());
    auto error = failure_of([&] { client.negotiate(); });
    CHECK(error.failure() == EngineFailure::connect_failed);
    CHECK(error.problem() == "cannot load the client certificate " +
                                 (engine.dir() / "cert.pem").string() + " with " +
                                 (engine.dir() / "key.pem").string());
}

TEST_CASE("EngineClient: TLS verifies the engine's certificate: a name it does not carry is "
          "refused",
          "[engine_client]") {
    if (!have_captures()) return;
    FakeEngine engine;  // for its directory only
    auto env = cert_path_from_fixture(engine.dir(), KeepEngineHeaders::no);
    // The manager's own leaf, chained to ca.pem, names swarm-manager and its node ID: not
    // 127.0.0.1. A client that skipped verification would get the 200.
    httplib::SSLServer server((engine.dir() / "cert.pem").c_str(),
                              (engine.dir() / "key.pem").c_str());
    REQUIRE(server.is_valid());
    server.Get("/_ping", [](const httplib::Request&, httplib::Response& response) {
        response.set_header("Api-Version", "1.41");
        response.set_content("OK", "text/plain");
    });
    int port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    std::thread serving([&] { server.listen_after_bind(); });
    std::string url = "tcp://127.0.0.1:" + std::to_string(port);
    EngineClient client(resolve_engine_endpoint(url, env), fast_limits());
    auto error = failure_of([&] { client.negotiate(); });
    server.stop();
    serving.join();
    CHECK(error.failure() == EngineFailure::connect_failed);
    CHECK(error.problem() == "the engine's certificate does not verify against " +
                                 (engine.dir() / "ca.pem").string() + " for the name 127.0.0.1");
    CHECK(std::string(error.what()).find(url + ": ") == 0);
}

TEST_CASE("EngineClient: garbage instead of HTTP is malformed", "[engine_client]") {
    FakeEngine engine;
    FakeReply garbage;
    garbage.fault = FakeFault::garbage;
    engine.set("/_ping", garbage);
    EngineClient client(unix_at(engine.socket_path()), fast_limits());
    auto error = failure_of([&] { client.negotiate(); });
    require_refusal(error, EngineFailure::malformed, engine.socket_path());
    CHECK(error.subject() == engine.url() + " (GET /_ping)");
}

TEST_CASE("EngineClient: an engine dripping a byte per 200 ms is cut at the total deadline",
          "[engine_client]") {
    if (!have_captures()) return;
    FakeEngine engine;
    FakeReply drip = capture_reply(capture("healthy", "manager1"), "ping");
    drip.fault = FakeFault::drip;
    engine.set("/_ping", drip);
    EngineClient client(unix_at(engine.socket_path()), fast_limits());
    auto started = std::chrono::steady_clock::now();
    auto error = failure_of([&] { client.negotiate(); });
    auto took = std::chrono::steady_clock::now() - started;
    require_refusal(error, EngineFailure::timeout, engine.socket_path());
    CHECK(error.problem() == "no complete reply within 600 ms");
    CHECK(took >= 590ms);
    CHECK(took < 1500ms);  // the whole drip would take over a minute
}

TEST_CASE("EngineClient: an engine that accepts and never answers is cut at the total deadline",
          "[engine_client]") {
    FakeEngine engine;
    FakeReply silent;
    silent.fault = FakeFault::stall;
    engine.set("/_ping", silent);
    auto limits = fast_limits();
    limits.total_timeout = 300ms;
    EngineClient client(unix_at(engine.socket_path()), limits);
    auto started = std::chrono::steady_clock::now();
    auto error = failure_of([&] { client.negotiate(); });
    auto took = std::chrono::steady_clock::now() - started;
    require_refusal(error, EngineFailure::timeout, engine.socket_path());
    CHECK(error.problem() == "no complete reply within 300 ms");
    CHECK(took < 1200ms);
}

TEST_CASE("EngineClient: a body framed by closing the connection is read to its end",
          "[engine_client]") {
    if (!have_captures()) return;
    HealthyManager manager;
    std::string nodes = test::capture_reply(capture("healthy", "manager1"), "nodes").body;
    manager.engine.set("/nodes", test::json_reply(200, nodes, Framing::until_close));
    EngineClient client(unix_at(manager.engine.socket_path()), fast_limits());
    CHECK(client.nodes().size() == 3);
}

TEST_CASE("EngineClient: a reply whose Content-Length is above the cap is refused before its body",
          "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, std::string(5000, 'x')));
    auto limits = fast_limits();
    limits.max_reply_bytes = 4096;
    EngineClient client(unix_at(engine.socket_path()), limits);
    auto error = failure_of([&] { client.negotiate(); });
    require_refusal(error, EngineFailure::too_large, engine.socket_path());
    CHECK(error.problem() == "the reply is larger than 4096 bytes");
}

TEST_CASE("EngineClient: a chunked reply growing past the cap is cut", "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, std::string(20000, 'x'), Framing::chunked));
    auto limits = fast_limits();
    limits.max_reply_bytes = 4096;
    EngineClient client(unix_at(engine.socket_path()), limits);
    require_refusal(failure_of([&] { client.negotiate(); }), EngineFailure::too_large,
                    engine.socket_path());
}

TEST_CASE("EngineClient: a reply exactly at the cap is read", "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, std::string(4096, 'x'), Framing::chunked));
    auto limits = fast_limits();
    limits.max_reply_bytes = 4096;
    EngineClient client(unix_at(engine.socket_path()), limits);
    client.negotiate();
    CHECK(client.identity().api_version == "1.41");
}

TEST_CASE("EngineClient: a body cut short is malformed, with a length or chunked",
          "[engine_client]") {
    for (Framing framing : {Framing::length, Framing::chunked}) {
        FakeEngine engine;
        engine.set("/_ping", test::json_reply(200, "OK"));
        FakeReply cut = test::json_reply(200, std::string(3000, ' ') + "{}", framing);
        cut.fault = FakeFault::truncate_body;
        engine.set("/info", cut);
        EngineClient client(unix_at(engine.socket_path()), fast_limits());
        auto error = failure_of([&] { client.info(); });
        require_refusal(error, EngineFailure::malformed, engine.socket_path());
        CHECK(error.problem() == "the reply ended before its body was complete");
        CHECK(error.subject() == engine.url() + " (GET /v1.41/info)");
    }
}

TEST_CASE("EngineClient: an unexpected status is http-error with the engine's message",
          "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, "OK"));
    engine.set("/info", test::json_reply(500, R"({"message":"runtime exploded"})"
                                              "\n"));
    EngineClient client(unix_at(engine.socket_path()), fast_limits());
    auto error = failure_of([&] { client.info(); });
    require_refusal(error, EngineFailure::http_error, engine.socket_path());
    CHECK(error.problem() == "the engine answered HTTP 500: runtime exploded");
}

TEST_CASE("EngineClient: a refusal never carries body text beyond the engine's message",
          "[engine_client]") {
    FakeEngine engine;
    engine.set("/_ping", test::json_reply(200, "OK"));
    const std::string secret =
        "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx";
    engine.set("/swarm", test::json_reply(409, R"({"message":"conflict","JoinTokens":{"Worker":")" +
                                                   secret + R"("}})"));
    engine.set("/nodes", test::json_reply(502, "<html>" + secret + "</html>"));
    EngineClient client(unix_at(engine.socket_path()), fast_limits());
    auto swarm = failure_of([&] { client.swarm(); });
    CHECK(swarm.problem() == "the engine answered HTTP 409: conflict");
    auto nodes = failure_of([&] { client.nodes(); });
    CHECK(nodes.problem() == "the engine answered HTTP 502");
    for (const auto& error : {swarm, nodes})
        CHECK(std::string(error.what()).find("SWMTKN") == std::string::npos);
}

// ---- the captures, byte for byte ----

TEST_CASE("EngineClient: a healthy manager's captures read over the socket, chunked and not",
          "[engine_client]") {
    if (!have_captures()) return;
    HealthyManager manager;
    EngineClient client(unix_at(manager.engine.socket_path()), fast_limits());
    EngineInfo info = client.info();  // chunked in the capture
    CHECK(info.local_node_state == EngineNodeState::active);
    CHECK(info.control_available);
    CHECK(info.node_id == "30p93im1v3drfo09h69zoahb7");
    EngineSwarm swarm = client.swarm();  // Content-Length in the capture
    CHECK_FALSE(swarm.id.empty());
    CHECK(swarm.worker_token.well_formed);
    auto nodes = client.nodes();  // chunked
    CHECK(nodes.size() == 3);
    std::vector<std::string> paths;
    for (const auto& seen : manager.engine.requests()) {
        paths.push_back(seen.path);
        CHECK(seen.host == "localhost");
    }
    CHECK(paths ==
          std::vector<std::string>{"/_ping", "/v1.41/info", "/v1.41/swarm", "/v1.41/nodes"});
}

TEST_CASE("read_cluster_inputs: a healthy manager gives the engine, /info, /swarm and /nodes",
          "[engine_client]") {
    if (!have_captures()) return;
    HealthyManager manager;
    EngineClient client(unix_at(manager.engine.socket_path()), fast_limits());
    Instant at = Instant(std::chrono::seconds(1796151376));
    ClusterInputs inputs = read_cluster_inputs(client, at);
    CHECK(inputs.engine.host == manager.engine.url());
    CHECK(inputs.engine.api_version == "1.41");
    CHECK(inputs.engine.server_version == "20.10.24+dfsg1");
    CHECK(inputs.info.control_available);
    CHECK(inputs.nodes.size() == 3);
    CHECK(inputs.at == at);
    CHECK_FALSE(inputs.local_leaf);
}

TEST_CASE("read_cluster_inputs: a worker's, a stranger's and a locked manager's sockets are "
          "refused from /info with their remedies",
          "[engine_client]") {
    if (!have_captures()) return;
    struct Case {
        std::string scenario, node;
        EngineFailure kind;
        std::string remedy;
    };
    for (const Case& c :
         {Case{"healthy", "worker1", EngineFailure::worker,
               "run on a manager, or use swarmpki inspect on this node's directory"},
          Case{"healthy", "stranger", EngineFailure::not_in_swarm,
               "run on a swarm manager, or make this one: docker swarm init, or docker swarm join"},
          Case{"locked", "manager1", EngineFailure::locked,
               "unlock it with docker swarm unlock"}}) {
        INFO(c.scenario << "/" << c.node);
        FakeEngine engine;
        engine.load_capture(capture(c.scenario, c.node));
        EngineClient client(unix_at(engine.socket_path()), fast_limits());
        auto error = failure_of([&] { read_cluster_inputs(client, Instant{}); });
        require_refusal(error, c.kind, engine.socket_path());
        CHECK(error.remedy() == c.remedy);
        CHECK(error.subject() == engine.url() + " (GET /v1.41/info)");
        // /swarm and /nodes are asked alongside /info, but /info's verdict is the one given.
        CHECK(engine.requests().size() == 4);
        // The same engines' 503s on /swarm and /nodes say the same.
        CHECK(failure_of([&] { client.swarm(); }).failure() == c.kind);
        CHECK(failure_of([&] { client.nodes(); }).failure() == c.kind);
    }
}

TEST_CASE("EngineClient: a reply with a member of the wrong type is malformed, naming it",
          "[engine_client]") {
    if (!have_captures()) return;
    HealthyManager manager;
    std::string info = test::capture_reply(capture("healthy", "manager1"), "info").body;
    auto at = info.find("\"ControlAvailable\":true");
    REQUIRE(at != std::string::npos);
    info.replace(at, std::strlen("\"ControlAvailable\":true"), "\"ControlAvailable\":\"yes\"");
    manager.engine.set("/info", test::json_reply(200, info, Framing::chunked));
    EngineClient client(unix_at(manager.engine.socket_path()), fast_limits());
    auto error = failure_of([&] { client.info(); });
    require_refusal(error, EngineFailure::malformed, manager.engine.socket_path());
    CHECK(error.problem().find("ControlAvailable") != std::string::npos);
}

TEST_CASE("EngineClient: a /swarm reply that is no JSON is malformed and shows none of its bytes",
          "[engine_client]") {
    if (!have_captures()) return;
    HealthyManager manager;
    std::string swarm = test::capture_reply(capture("healthy", "manager1"), "swarm").body;
    swarm.resize(swarm.size() - 10);  // cut inside JSON, served whole (Content-Length agrees)
    manager.engine.set("/swarm", test::json_reply(200, swarm));
    EngineClient client(unix_at(manager.engine.socket_path()), fast_limits());
    auto error = failure_of([&] { client.swarm(); });
    require_refusal(error, EngineFailure::malformed, manager.engine.socket_path());
    CHECK(std::string(error.what()).find("SWMTKN") == std::string::npos);
}

TEST_CASE("cert_expiry_of: a manager's NodeCertExpiry, nothing from a worker or a stranger",
          "[engine_client]") {
    if (!have_captures()) return;
    {
        HealthyManager manager;
        EngineClient client(unix_at(manager.engine.socket_path()), fast_limits());
        CHECK(cert_expiry_of(client, client.info()) == Seconds(2160 * 3600));
    }
    {
        FakeEngine engine;
        engine.load_capture(capture("cert-expiry-changed", "manager1"));
        EngineClient client(unix_at(engine.socket_path()), fast_limits());
        CHECK(cert_expiry_of(client, client.info()) == Seconds(3 * 3600));
    }
    for (std::string node : {"worker1", "stranger"}) {
        FakeEngine engine;
        engine.load_capture(capture("healthy", node));
        EngineClient client(unix_at(engine.socket_path()), fast_limits());
        CHECK_FALSE(cert_expiry_of(client, client.info()));
    }
    FakeEngine absent;
    EngineClient nowhere(unix_at((absent.dir() / "none.sock").string()), fast_limits());
    CHECK(failure_of([&] { cert_expiry_of(nowhere, nowhere.info()); }).failure() ==
          EngineFailure::no_socket);
}

TEST_CASE("to_string(EngineFailure) names every kind", "[engine_client]") {
    CHECK(std::string(to_string(EngineFailure::no_socket)) == "no-socket");
    CHECK(std::string(to_string(EngineFailure::permission_denied)) == "permission-denied");
    CHECK(std::string(to_string(EngineFailure::connect_failed)) == "connect-failed");
    CHECK(std::string(to_string(EngineFailure::timeout)) == "timeout");
    CHECK(std::string(to_string(EngineFailure::too_large)) == "too-large");
    CHECK(std::string(to_string(EngineFailure::malformed)) == "malformed");
    CHECK(std::string(to_string(EngineFailure::http_error)) == "http-error");
    CHECK(std::string(to_string(EngineFailure::api_too_old)) == "api-too-old");
    CHECK(std::string(to_string(EngineFailure::not_in_swarm)) == "not-in-swarm");
    CHECK(std::string(to_string(EngineFailure::worker)) == "worker");
    CHECK(std::string(to_string(EngineFailure::locked)) == "locked");
}
