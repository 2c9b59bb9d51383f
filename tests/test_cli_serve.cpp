// The serve and notify commands as an operator runs them: a real process on an ephemeral port,
// scraped, stopped with SIGTERM; usage errors; notify --test against a receiver in the test.
#include "support.hpp"
#include "swarmpki/time.hpp"
#include "swarmpki/webhook.hpp"
#include "test_webhook_receiver.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

using namespace swarmpki;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string captured_at(const std::string& name) { return test::fixture_captured_at(name); }

// `swarmpki serve ...` in the background, stderr to a file; killed if the test did not stop it.
class ServeProcess {
public:
    ServeProcess(const std::vector<std::string>& args, const fs::path& stderr_file)
        : stderr_file_(stderr_file) {
        test::ignore_sigpipe();
        // Opened here, not in the child: after fork() it may only make async-signal-safe calls.
        int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        REQUIRE(err >= 0);
        REQUIRE(null >= 0);
        // If the test binary dies (a crash, a kill), the server must not outlive it.
        pid_ = test::spawn_program(SWARMPKI_BINARY, args, {}, {null, null, err}, true);
        ::close(err);
        ::close(null);
        REQUIRE(pid_ > 0);
    }
    ~ServeProcess() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    // The port from the "msg=listening ... port=N" line; 0 if the process died first.
    int wait_for_port() {
        std::regex listening(R"(msg=listening .*port=(\d+))");
        for (int i = 0; i < 1000; ++i) {
            std::string log = test::read_text(stderr_file_);
            std::smatch match;
            if (std::regex_search(log, match, listening)) return std::stoi(match[1]);
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exited_ = true;
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                return 0;
            }
            std::this_thread::sleep_for(10ms);
        }
        return 0;
    }
    // SIGTERM, then the exit code (-1 if it had to be killed).
    int terminate() {
        if (exited_) return exit_code_;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 1000; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exited_ = true;
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                return exit_code_;
            }
            std::this_thread::sleep_for(10ms);
        }
        return -1;
    }
    std::string log() const { return test::read_text(stderr_file_); }

private:
    fs::path stderr_file_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int exit_code_ = -1;
};

}  // namespace

TEST_CASE("swarmpki serve scrapes, logs in logfmt and stops cleanly on SIGTERM",
          "[cli][serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("rotation-in-progress", "manager1", tmp / "m1");
    ServeProcess serve({"serve", "--listen", "127.0.0.1:0", "--dir", m1.string(), "--at",
                        captured_at("rotation-in-progress"), "--interval", "1s"},
                       tmp / "serve.log");
    int port = serve.wait_for_port();
    INFO(serve.log());
    REQUIRE(port > 0);
    httplib::Client client("127.0.0.1", port);
    auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    CHECK(metrics->body.find("swarmpki_last_scan_timestamp_seconds") != std::string::npos);
    auto inspect = client.Get("/v1/inspect");
    REQUIRE(inspect);
    CHECK(json::parse(inspect->body)["schema"] == "swarmpki.inspect/v1");
    std::this_thread::sleep_for(1200ms);  // at least one background rescan
    CHECK(serve.terminate() == 0);
    std::string log = serve.log();
    CHECK(log.find("level=info msg=request method=GET path=/metrics status=200") !=
          std::string::npos);
    CHECK(log.find("msg=stopping signal=SIGTERM") != std::string::npos);
    CHECK(log.find("msg=stopped") != std::string::npos);
    // Every line is logfmt with a timestamp first.
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) CHECK(line.rfind("time=", 0) == 0);
}

TEST_CASE("swarmpki serve usage errors", "[cli][serve]") {
    auto no_dir = test::run_swarmpki({"serve"});
    CHECK(no_dir.exit_code == 64);
    CHECK(no_dir.err.find("give at least one --dir") != std::string::npos);

    auto public_plain = test::run_swarmpki({"serve", "--listen", "0.0.0.0:0", "--dir", "/x"});
    CHECK(public_plain.exit_code == 64);
    CHECK(public_plain.err.find("refusing to serve plain HTTP on non-loopback address") !=
          std::string::npos);

    auto half_tls = test::run_swarmpki({"serve", "--dir", "/x", "--tls-cert", "c.pem"});
    CHECK(half_tls.exit_code == 64);
    CHECK(half_tls.err.find("--tls-cert and --tls-key go together") != std::string::npos);

    auto unsigned_hook = test::run_swarmpki(
        {"serve", "--dir", "/x", "--webhook", "https://h.example/x"});
    CHECK(unsigned_hook.exit_code == 64);
    CHECK(unsigned_hook.err.find("--webhook-secret-file") != std::string::npos);

    auto bad_listen = test::run_swarmpki({"serve", "--dir", "/x", "--listen", "localhost"});
    CHECK(bad_listen.exit_code == 64);
    CHECK(bad_listen.err.find("--listen 'localhost': no port") != std::string::npos);

    auto bad_interval = test::run_swarmpki({"serve", "--dir", "/x", "--interval", "soon"});
    CHECK(bad_interval.exit_code == 64);

    auto help = test::run_swarmpki({"serve", "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("EXAMPLES") != std::string::npos);
}

TEST_CASE("swarmpki serve: unreadable TLS files are one line and exit 3", "[cli][serve]") {
    test::TempDir tmp;
    auto missing = test::run_swarmpki({"serve", "--listen", "127.0.0.1:0", "--dir", tmp.str(),
                                       "--tls-from-dir", (tmp / "nothing").string()});
    CHECK(missing.exit_code == 3);
    CHECK(missing.err.rfind("swarmpki: " + (tmp / "nothing" / "swarm-node.crt").string() + ": ",
                            0) == 0);
    CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
}

TEST_CASE("A second swarmpki serve on a port in use exits 3 with address in use",
          "[cli][serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto first_dir = test::copy_node_dir("init-manager", "manager1", tmp / "a");
    auto second_dir = test::copy_node_dir("rotation-complete", "manager1", tmp / "b");
    ServeProcess first({"serve", "--listen", "127.0.0.1:0", "--dir", first_dir.string()},
                       tmp / "first.log");
    int port = first.wait_for_port();
    INFO(first.log());
    REQUIRE(port > 0);
    std::string address = "127.0.0.1:" + std::to_string(port);
    // Run as a server, not to completion: one that shared the port (SO_REUSEPORT) would serve.
    ServeProcess second({"serve", "--listen", address, "--dir", second_dir.string()},
                        tmp / "second.log");
    CHECK(second.wait_for_port() == 0);
    CHECK(second.terminate() == 3);
    CHECK(second.log() == "swarmpki: " + address +
                              ": address in use (another process listens on this port (another "
                              "swarmpki serve?): stop it, or choose another port with --listen)\n");
    // Every scrape still reaches the first, and only it.
    httplib::Client client("127.0.0.1", port);
    for (int i = 0; i < 4; ++i) {
        auto metrics = client.Get("/metrics");
        REQUIRE(metrics);
        CHECK(metrics->body.find(first_dir.string() + "/swarm-node.crt") != std::string::npos);
        CHECK(metrics->body.find(second_dir.string()) == std::string::npos);
    }
    CHECK(first.terminate() == 0);
}

TEST_CASE("swarmpki serve with a wrong unlock key says so at start, in the log and the metrics",
          "[cli][serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("autolock", "manager1", tmp / "m1");
    // The cluster's key after `docker swarm unlock-key --rotate`, against a directory written
    // before it: well-formed, and it does not decrypt.
    std::string wrong = test::fixture_scenario("autolock-unlock-key-rotated")["new_unlock_key"];
    REQUIRE(wrong != test::fixture_scenario("autolock")["unlock_key"]);
    test::write_text(tmp / "unlock", wrong + "\n");
    ServeProcess serve({"serve", "--listen", "127.0.0.1:0", "--dir", m1.string(),
                        "--unlock-key-file", (tmp / "unlock").string(), "--at",
                        captured_at("autolock")},
                       tmp / "serve.log");
    int port = serve.wait_for_port();
    INFO(serve.log());
    REQUIRE(port > 0);
    CHECK(serve.log().find("level=error msg=\"scan failed\" generation=1 error=\"" +
                           (m1 / "swarm-node.key").string() +
                           ": the unlock key does not decrypt this key") != std::string::npos);
    httplib::Client client("127.0.0.1", port);
    auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->body.find("\nswarmpki_last_scan_success 0\n") != std::string::npos);
    CHECK(metrics->body.find("\nswarmpki_status 3\n") != std::string::npos);
    auto health = client.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 503);
    CHECK(serve.terminate() == 0);
    CHECK(serve.log().find(wrong.substr(9)) == std::string::npos);
}

TEST_CASE("swarmpki serve --tls-from-dir with an autolocked key and --unlock-key-file",
          "[cli][serve][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto m1 = test::copy_node_dir("autolock", "manager1", tmp / "m1");
    std::string unlock_key = test::fixture_scenario("autolock")["unlock_key"];
    test::write_text(tmp / "unlock", unlock_key + "\n");
    ServeProcess serve({"serve", "--listen", "127.0.0.1:0", "--dir", m1.string(), "--tls-from-dir",
                        m1.string(), "--unlock-key-file", (tmp / "unlock").string(), "--at",
                        captured_at("autolock")},
                       tmp / "serve.log");
    int port = serve.wait_for_port();
    INFO(serve.log());
    REQUIRE(port > 0);
    CHECK(serve.log().find("tls=true client_auth=true") != std::string::npos);
    // No client certificate: refused.
    httplib::SSLClient anonymous("127.0.0.1", port);
    anonymous.enable_server_certificate_verification(false);
    CHECK_FALSE(anonymous.Get("/metrics"));
    CHECK(serve.terminate() == 0);
    CHECK(serve.log().find(unlock_key.substr(9)) == std::string::npos);
}

TEST_CASE("swarmpki notify --test sends one signed sample event", "[cli][serve]") {
    test::TempDir tmp;
    test::write_text(tmp / "secret", "notify-secret\n");
    test::WebhookReceiver receiver;
    auto sent = test::run_swarmpki({"notify", "--test", "--webhook", receiver.url(),
                                    "--webhook-secret-file", (tmp / "secret").string()});
    INFO(sent.err);
    CHECK(sent.exit_code == 0);
    REQUIRE(receiver.received().size() == 1);
    auto hook = receiver.received()[0];
    CHECK(sent.out.find("delivered " + hook.id) != std::string::npos);
    std::string key = "notify-secret";
    SecretBytes secret(Bytes(key.begin(), key.end()));
    CHECK(webhook_signature_valid(secret, hook.id, std::stoll(hook.timestamp), hook.body,
                                  hook.signature));
    auto event = json::parse(hook.body);
    CHECK(event["type"] == "io.swarmpki.cert.expiring");
    CHECK(event["specversion"] == "1.0");

    auto slack = test::run_swarmpki({"notify", "--test", "--webhook", receiver.url(),
                                     "--webhook-secret-file", (tmp / "secret").string(),
                                     "--webhook-format", "slack"});
    CHECK(slack.exit_code == 0);
    REQUIRE(receiver.received().size() == 2);
    CHECK(json::parse(receiver.received()[1].body).contains("attachments"));
}

TEST_CASE("swarmpki notify --test reports a refusing receiver and retries a failing one",
          "[cli][serve]") {
    test::TempDir tmp;
    test::write_text(tmp / "secret", "notify-secret");
    SECTION("401 is not retried; exit 3 with a hint") {
        test::WebhookReceiver receiver([](std::size_t) { return 401; });
        auto sent = test::run_swarmpki({"notify", "--test", "--webhook", receiver.url(),
                                        "--webhook-secret-file", (tmp / "secret").string()});
        CHECK(sent.exit_code == 3);
        CHECK(sent.err.find("not delivered (HTTP 401) (does the receiver use the same secret?)") !=
              std::string::npos);
        CHECK(receiver.received().size() == 1);
    }
    SECTION("a 503 then 200 is delivered on the second attempt with the same id") {
        test::WebhookReceiver receiver([](std::size_t n) { return n == 0 ? 503 : 200; });
        auto sent = test::run_swarmpki({"notify", "--test", "--webhook", receiver.url(),
                                        "--webhook-secret-file", (tmp / "secret").string()});
        CHECK(sent.exit_code == 0);
        auto hooks = receiver.received();
        REQUIRE(hooks.size() == 2);
        CHECK(hooks[0].id == hooks[1].id);
    }
    SECTION("usage") {
        CHECK(test::run_swarmpki({"notify", "--webhook", "http://x/"}).exit_code == 64);
        CHECK(test::run_swarmpki({"notify", "--test", "--webhook", "gopher://x/",
                                  "--webhook-secret-file", (tmp / "secret").string()})
                  .exit_code == 64);
        auto empty = test::run_swarmpki({"notify", "--test", "--webhook", "http://127.0.0.1:1/",
                                         "--webhook-secret-file", (tmp / "nope").string()});
        CHECK(empty.exit_code == 3);
        CHECK(empty.err.find((tmp / "nope").string()) != std::string::npos);
    }
}
