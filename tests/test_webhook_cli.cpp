// The --webhook* options as serve and notify take them: URLs from a file instead of argv (where
// every local user reads them), the warnings for what works but leaks, and notify's retries.
#include "support.hpp"
#include "swarmpki/time.hpp"
#include "swarmpki/webhook.hpp"
#include "test_webhook_receiver.hpp"

#include <catch2/catch.hpp>

#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace swarmpki;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A file only its owner reads, as the docs tell operators to keep secrets and URL files.
fs::path private_file(const test::TempDir& dir, const std::string& name, const std::string& text) {
    test::write_text(dir / name, text);
    ::chmod((dir / name).c_str(), 0600);
    return dir / name;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

SecretBytes secret_of(const std::string& text) {
    return SecretBytes(Bytes(text.begin(), text.end()));
}

}  // namespace

TEST_CASE("swarmpki notify --webhook-url-file delivers to every URL in it, without warnings",
          "[cli][webhook]") {
    test::TempDir tmp;
    test::WebhookReceiver first, second;
    auto urls = private_file(
        tmp, "urls", "# receivers\n" + first.url() + "\n\n" + second.url() + "?token=SECRET\n");
    auto secret = private_file(tmp, "secret", "notify-secret\n");
    auto sent = test::run_swarmpki({"notify", "--test", "--webhook-url-file", urls.string(),
                                    "--webhook-secret-file", secret.string()});
    INFO(sent.err);
    CHECK(sent.exit_code == 0);
    CHECK(sent.err.empty());
    REQUIRE(first.received().size() == 1);
    REQUIRE(second.received().size() == 1);
    CHECK(first.received()[0].id == second.received()[0].id);
    // Named by scheme://host:port: the path and query stay out of the output.
    CHECK(count_of(sent.out, ": delivered ") == 2);
    CHECK(sent.out.find("/hook") == std::string::npos);
    CHECK(sent.out.find("SECRET") == std::string::npos);
}

TEST_CASE("swarmpki notify warns about a URL path on argv and a secret file others can read",
          "[cli][webhook]") {
    test::TempDir tmp;
    test::WebhookReceiver receiver;
    test::write_text(tmp / "secret", "shared-secret-value\n");
    ::chmod((tmp / "secret").c_str(), 0644);
    std::string secret = (tmp / "secret").string();
    auto sent = test::run_swarmpki({"notify", "--test", "--webhook", receiver.url() + "?k=TOKEN",
                                    "--webhook-secret-file", secret});
    INFO(sent.err);
    CHECK(sent.exit_code == 0);  // warned, not refused
    CHECK(count_of(sent.err, "\n") == 2);
    CHECK(sent.err.find("swarmpki: warning: a --webhook URL with a path or query is readable by "
                        "every local user in /proc/PID/cmdline (ps); put it in a "
                        "--webhook-url-file (chmod 600) instead\n") != std::string::npos);
    CHECK(sent.err.find("swarmpki: warning: " + secret +
                        ": mode 0644 lets other users read "
                        "this secret (chmod 600 " +
                        secret + ")\n") != std::string::npos);
    CHECK(sent.err.find("/hook") == std::string::npos);
    CHECK(sent.err.find("TOKEN") == std::string::npos);
    CHECK(sent.err.find("shared-secret-value") == std::string::npos);

    // A bare URL (no path, no query) on argv carries no secret: no warning (the receiver
    // answers 404 for "/", which is all notify reports).
    ::chmod((tmp / "secret").c_str(), 0600);
    auto bare = test::run_swarmpki({"notify", "--test", "--webhook",
                                    "http://127.0.0.1:" + std::to_string(receiver.port()),
                                    "--webhook-secret-file", secret});
    CHECK(bare.err.find("warning") == std::string::npos);
    CHECK(bare.err.find("not delivered (HTTP 404)") != std::string::npos);
}

TEST_CASE("swarmpki notify warns that plain http:// to a non-loopback host goes out unencrypted",
          "[cli][webhook]") {
    test::TempDir tmp;
    auto urls = private_file(tmp, "urls",
                             "http://192.0.2.7:8080/hook\nhttp://localhost:1/\n"
                             "http://[::1]:1/\nhttps://192.0.2.8/\n");
    // The secret file is missing: notify stops after the checks, before any connection.
    auto refused = test::run_swarmpki({"notify", "--test", "--webhook-url-file", urls.string(),
                                       "--webhook-secret-file", (tmp / "missing").string()});
    INFO(refused.err);
    CHECK(refused.exit_code == 3);
    CHECK(count_of(refused.err, "warning") == 1);
    CHECK(refused.err.find("swarmpki: warning: webhook receiver http://192.0.2.7:8080 is plain "
                           "http:// to a host other than loopback: events, signatures and the URL "
                           "go out unencrypted; use https://\n") == 0);
    CHECK(refused.err.find("/hook") == std::string::npos);
}

TEST_CASE("swarmpki notify and serve refuse a bad --webhook-url-file naming file and line only",
          "[cli][webhook]") {
    test::TempDir tmp;
    auto secret = private_file(tmp, "secret", "s");
    auto urls = private_file(tmp, "urls", "https://ok.example/a\nhtp://hooks.example/T/SECRET\n");
    std::string expected = urls.string() + ":2: the webhook URL is not an http:// or https:// URL "
                                           "(it starts with 'htp://')";
    auto notify = test::run_swarmpki({"notify", "--test", "--webhook-url-file", urls.string(),
                                      "--webhook-secret-file", secret.string()});
    CHECK(notify.exit_code == 3);
    CHECK(notify.err.find(expected) != std::string::npos);
    CHECK(notify.err.find("SECRET") == std::string::npos);
    auto serve = test::run_swarmpki({"serve", "--dir", tmp.str(), "--listen", "127.0.0.1:0",
                                     "--webhook-url-file", urls.string(), "--webhook-secret-file",
                                     secret.string()});
    CHECK(serve.exit_code == 3);
    CHECK(serve.err.find(expected) != std::string::npos);
    CHECK(serve.err.find("SECRET") == std::string::npos);

    SECTION("a URL file still needs the secret, and a secret needs a receiver") {
        auto good = private_file(tmp, "good", "http://127.0.0.1:1/\n");
        auto unsigned_ = test::run_swarmpki(
            {"serve", "--dir", tmp.str(), "--webhook-url-file", good.string()});
        CHECK(unsigned_.exit_code == 64);
        CHECK(unsigned_.err.find("--webhook needs --webhook-secret-file") != std::string::npos);
        auto alone = test::run_swarmpki(
            {"serve", "--dir", tmp.str(), "--webhook-secret-file", secret.string()});
        CHECK(alone.exit_code == 64);
        CHECK(alone.err.find("need --webhook URL (or --webhook-url-file)") != std::string::npos);
    }
    SECTION("more receivers than delivery threads") {
        std::string many;
        for (std::size_t i = 0; i <= kWebhookMaxReceivers; ++i)
            many += "http://127.0.0.1:1/" + std::to_string(i) + "\n";
        auto file = private_file(tmp, "many", many);
        auto refused = test::run_swarmpki({"notify", "--test", "--webhook-url-file", file.string(),
                                           "--webhook-secret-file", secret.string()});
        CHECK(refused.exit_code == 64);
        CHECK(refused.err.find("at most 16 webhook receivers, not 17") != std::string::npos);
    }
}

TEST_CASE("swarmpki notify re-signs a retry with a later timestamp", "[cli][webhook]") {
    test::TempDir tmp;
    auto secret = private_file(tmp, "secret", "retry-secret");
    test::WebhookReceiver receiver([](std::size_t n) { return n == 0 ? 503 : 204; });
    auto urls = private_file(tmp, "urls", receiver.url() + "\n");
    auto sent = test::run_swarmpki({"notify", "--test", "--webhook-url-file", urls.string(),
                                    "--webhook-secret-file", secret.string(), "--attempts", "2"});
    INFO(sent.err);
    CHECK(sent.exit_code == 0);
    CHECK(sent.err.find(": attempt 1 failed (HTTP 503), retrying in 1000 ms\n") !=
          std::string::npos);
    auto hooks = receiver.received();
    REQUIRE(hooks.size() == 2);
    CHECK(hooks[1].id == hooks[0].id);
    // One second of back-off later, by the clock: a stale timestamp would fail receivers' checks.
    CHECK(std::stoll(hooks[1].timestamp) > std::stoll(hooks[0].timestamp));
    SecretBytes key = secret_of("retry-secret");
    for (const auto& hook : hooks)
        CHECK(webhook_signature_valid(key, hook.id, std::stoll(hook.timestamp), hook.body,
                                      hook.signature));
}

TEST_CASE("swarmpki serve posts events to the receivers of its --webhook-url-file",
          "[cli][webhook][conformance]") {
    if (!test::fixtures_dir()) return test::note_fixtures_missing();
    test::TempDir tmp;
    auto w1 = test::copy_node_dir("cert-expiry-1h", "worker1", tmp / "w1");
    auto facts = test::fixture_scenario("cert-expiry-1h")["nodes"]["worker1"];
    // An hour after NotAfter: the first scan reports the expired certificate.
    std::string at = format_rfc3339(*parse_rfc3339(facts["not_after"].get<std::string>()) +
                                    std::chrono::hours(1));
    test::WebhookReceiver receiver;
    auto urls = private_file(tmp, "urls", receiver.url() + "?token=SECRET\n");
    auto secret = private_file(tmp, "secret", "serve-secret");
    auto log = tmp / "serve.log";
    test::ignore_sigpipe();
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    REQUIRE(err >= 0);
    REQUIRE(null >= 0);
    pid_t pid = test::spawn_program(SWARMPKI_BINARY,
                                    {"serve", "--listen", "127.0.0.1:0", "--dir", w1.string(),
                                     "--at", at, "--webhook-url-file", urls.string(),
                                     "--webhook-secret-file", secret.string()},
                                    {}, {null, null, err}, true);  // never outlive the test binary
    ::close(err);
    ::close(null);
    REQUIRE(pid > 0);
    bool got = receiver.wait_for(1, 10s);
    ::kill(pid, SIGTERM);
    // Bounded: a serve that does not stop must fail this test by name, not stall the group.
    int status = 0;
    bool stopped = false;
    for (int i = 0; i < 400 && !stopped; ++i) {
        stopped = ::waitpid(pid, &status, WNOHANG) == pid;
        if (!stopped) std::this_thread::sleep_for(50ms);
    }
    if (!stopped) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    std::string stderr_text = test::read_text(log);
    INFO(stderr_text);
    REQUIRE(stopped);  // within 20 s of SIGTERM
    REQUIRE(got);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    auto hook = receiver.received().at(0);
    CHECK(json::parse(hook.body)["type"] == "io.swarmpki.cert.expired");
    CHECK(webhook_signature_valid(secret_of("serve-secret"), hook.id, std::stoll(hook.timestamp),
                                  hook.body, hook.signature));
    CHECK(stderr_text.find("warning") == std::string::npos);
    CHECK(stderr_text.find("SECRET") == std::string::npos);
    CHECK(stderr_text.find("/hook") == std::string::npos);
}
