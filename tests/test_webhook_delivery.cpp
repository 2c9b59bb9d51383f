// WebhookDelivery against a real receiver on loopback: signed headers, retries under the same id
// after 5xx/429, no retry after other 4xx, the bounded queue, and a receiver that never answers;
// then hostile receivers: one dripping its answer, one sending a gigabyte, a dead one beside a
// healthy one, and the signatures of retries.
#include "support.hpp"
#include "swarmpki/certificate.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/private_key.hpp"
#include "swarmpki/webhook.hpp"
#include "test_webhook_receiver.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <mutex>

using namespace swarmpki;
using namespace std::chrono_literals;
using test::WebhookReceiver;

namespace {

std::shared_ptr<const SecretBytes> secret() {
    std::string text = "test-secret";
    return std::make_shared<const SecretBytes>(Bytes(text.begin(), text.end()));
}

DeliveryOptions fast_options(const std::string& url, std::vector<std::string>* log = nullptr,
                             std::mutex* log_mutex = nullptr) {
    DeliveryOptions options;
    options.urls = {url};
    options.timeout = 2000ms;
    options.first_retry_delay = 20ms;
    options.max_attempts = 4;
    options.clock = [] { return *parse_rfc3339("2026-11-28T23:00:00Z"); };
    if (log)
        options.log = [log, log_mutex](std::string_view line) {
            std::lock_guard lock(*log_mutex);
            log->emplace_back(line);
        };
    return options;
}

// The receiver records a request before answering it: wait for the worker to see the answer.
void wait_until(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(10ms);
}

Event event() {
    return sample_event("swarmpki://test/serve", *parse_rfc3339("2026-11-28T23:00:00Z"));
}

}  // namespace

TEST_CASE("WebhookDelivery posts a signed native event", "[webhook]") {
    WebhookReceiver receiver;
    REQUIRE(receiver.port() > 0);
    auto key = secret();
    Event e = event();
    {
        WebhookDelivery delivery(fast_options(receiver.url()), key);
        delivery.enqueue(e);
        REQUIRE(receiver.wait_for(1, 5s));
    }
    auto hooks = receiver.received();
    REQUIRE(hooks.size() == 1);
    CHECK(hooks[0].id == e.id);
    CHECK(hooks[0].timestamp == "1795906800");
    CHECK(hooks[0].content_type == "application/json");
    CHECK(hooks[0].user_agent.rfind("swarmpki/", 0) == 0);
    CHECK(hooks[0].body == render_event_body(e, WebhookFormat::native));
    CHECK(
        webhook_signature_valid(*key, hooks[0].id, 1795906800, hooks[0].body, hooks[0].signature));
}

TEST_CASE("WebhookDelivery retries 500 and 429 with the same id, then succeeds", "[webhook]") {
    WebhookReceiver receiver([](std::size_t n) { return n == 0 ? 500 : n == 1 ? 429 : 200; });
    std::vector<std::string> log;
    std::mutex log_mutex;
    WebhookDelivery delivery(fast_options(receiver.url(), &log, &log_mutex), secret());
    delivery.enqueue(event());
    REQUIRE(receiver.wait_for(3, 5s));
    wait_until([&] { return delivery.counters().delivered == 1; });
    delivery.stop();
    auto hooks = receiver.received();
    REQUIRE(hooks.size() == 3);
    CHECK(hooks[1].id == hooks[0].id);
    CHECK(hooks[2].id == hooks[0].id);
    CHECK(hooks[2].body == hooks[0].body);
    auto counters = delivery.counters();
    CHECK(counters.delivered == 1);
    CHECK(counters.retried == 2);
    CHECK(counters.failed == 0);
    std::lock_guard lock(log_mutex);
    REQUIRE(log.size() == 3);
    CHECK(log[0].find("will retry") != std::string::npos);
    CHECK(log[0].find("status=500") != std::string::npos);
    // The receiver is named by scheme://host:port only: webhook paths often hold a secret.
    CHECK(log[0].find("/hook") == std::string::npos);
}

TEST_CASE("WebhookDelivery does not retry a 4xx other than 429", "[webhook]") {
    WebhookReceiver receiver([](std::size_t) { return 400; });
    WebhookDelivery delivery(fast_options(receiver.url()), secret());
    delivery.enqueue(event());
    REQUIRE(receiver.wait_for(1, 5s));
    wait_until([&] { return delivery.counters().failed == 1; });
    std::this_thread::sleep_for(200ms);  // ten retry delays: a retry would have arrived
    delivery.stop();
    CHECK(receiver.received().size() == 1);
    CHECK(delivery.counters().failed == 1);
    CHECK(delivery.counters().retried == 0);
}

TEST_CASE("WebhookDelivery gives up after max_attempts", "[webhook]") {
    WebhookReceiver receiver([](std::size_t) { return 503; });
    auto options = fast_options(receiver.url());
    options.max_attempts = 3;
    WebhookDelivery delivery(options, secret());
    delivery.enqueue(event());
    REQUIRE(receiver.wait_for(3, 5s));
    wait_until([&] { return delivery.counters().failed == 1; });
    delivery.stop();
    CHECK(receiver.received().size() == 3);
    CHECK(delivery.counters().failed == 1);
}

TEST_CASE("WebhookDelivery retries a connection failure", "[webhook]") {
    int port;
    {
        WebhookReceiver gone;
        port = gone.port();
    }
    auto options = fast_options("http://127.0.0.1:" + std::to_string(port) + "/hook");
    options.max_attempts = 2;
    WebhookDelivery delivery(options, secret());
    delivery.enqueue(event());
    wait_until([&] { return delivery.counters().failed == 1; });
    CHECK(delivery.counters().retried == 1);
    CHECK(delivery.counters().failed == 1);
}

TEST_CASE("WebhookDelivery drops the oldest event when the queue is full, without blocking",
          "[webhook]") {
    WebhookReceiver receiver([](std::size_t) { return 204; }, WebhookReceiver::Mode::hang);
    auto options = fast_options(receiver.url());
    options.queue_capacity = 3;
    options.timeout = 10s;  // an enqueue that waited on the network would take this long
    options.max_attempts = 1;
    std::vector<std::string> log;
    std::mutex log_mutex;
    options.log = [&](std::string_view line) {
        std::lock_guard lock(log_mutex);
        log.emplace_back(line);
    };
    WebhookDelivery delivery(options, secret());
    delivery.enqueue(event());
    REQUIRE(receiver.wait_for(1, 5s));  // the worker is now stuck on the hanging receiver
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i) delivery.enqueue(event());
    CHECK(std::chrono::steady_clock::now() - started < 2s);
    CHECK(delivery.queued() == 3);
    CHECK(delivery.counters().dropped == 7);
    delivery.stop();
    std::lock_guard lock(log_mutex);
    std::size_t drops = 0;
    for (const auto& line : log) drops += line.find("queue full") != std::string::npos;
    CHECK(drops == 7);
}

TEST_CASE("WebhookDelivery times out on a receiver that never answers", "[webhook]") {
    WebhookReceiver receiver([](std::size_t) { return 204; }, WebhookReceiver::Mode::hang);
    auto options = fast_options(receiver.url());
    options.timeout = 300ms;
    options.max_attempts = 2;
    WebhookDelivery delivery(options, secret());
    delivery.enqueue(event());
    REQUIRE(receiver.wait_for(2, 5s));  // the first attempt timed out and was retried
    auto hooks = receiver.received();
    CHECK(hooks[1].id == hooks[0].id);
    delivery.stop();  // aborts the second, still hanging, attempt
    CHECK(delivery.counters().retried == 1);
}

TEST_CASE("WebhookDelivery::post_once refuses an HTTPS receiver it cannot verify",
          "[webhook][conformance]") {
    auto fixtures = test::fixtures_dir();
    if (!fixtures) return test::note_fixtures_missing();
    // An HTTPS receiver presenting a swarm node certificate: not chained to any system root.
    auto dir = *fixtures / "init-manager" / "certificates" / "manager1";
    auto chain = load_certificate_file((dir / "swarm-node.crt").string());
    std::string key_text = test::read_text(dir / "swarm-node.key");
    auto bundle = parse_pem_or_throw(key_text, "key");
    PrivateKey key = load_private_key(key_block_of(bundle, "key"), nullptr, "key");
    httplib::SSLServer tls_receiver(chain[0].get0(), key.get0());
    std::atomic<int> posts{0};
    tls_receiver.Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
        ++posts;
        res.status = 204;
    });
    int port = tls_receiver.bind_to_any_port("127.0.0.1");
    std::thread listener([&] { tls_receiver.listen_after_bind(); });
    while (!tls_receiver.is_running()) std::this_thread::sleep_for(1ms);

    auto options = fast_options("https://127.0.0.1:" + std::to_string(port) + "/hook");
    auto outcome = WebhookDelivery::post_once(options, *secret(),
                                              parse_webhook_url(options.urls[0]), "id", "{}");
    CHECK(outcome.http_status == 0);
    CHECK(outcome.error == "SSLServerVerification");
    CHECK(posts == 0);
    tls_receiver.stop();
    listener.join();
}

TEST_CASE("WebhookDelivery::post_once delivers to an HTTPS receiver verified with --webhook-ca",
          "[webhook]") {
    // A receiver certificate for 127.0.0.1 (IP SAN), self-signed, made by the openssl command.
    test::TempDir dir;
    std::string cert = (dir / "receiver.crt").string(), key = (dir / "receiver.key").string();
    std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                          "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 "
                          "-keyout '" +
                          key + "' -out '" + cert + "' >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);

    httplib::SSLServer tls_receiver(cert.c_str(), key.c_str());
    REQUIRE(tls_receiver.is_valid());
    std::mutex mutex;
    std::string received_id, received_signature, received_body;
    tls_receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex);
        received_id = req.get_header_value("webhook-id");
        received_signature = req.get_header_value("webhook-signature");
        received_body = req.body;
        res.status = 204;
    });
    int port = tls_receiver.bind_to_any_port("127.0.0.1");
    std::thread listener([&] { tls_receiver.listen_after_bind(); });
    while (!tls_receiver.is_running()) std::this_thread::sleep_for(1ms);

    auto options = fast_options("https://127.0.0.1:" + std::to_string(port) + "/hook");
    options.ca_file = cert;
    auto key_bytes = secret();
    auto outcome = WebhookDelivery::post_once(options, *key_bytes,
                                              parse_webhook_url(options.urls[0]), "msg_tls",
                                              "{\"ok\":true}");
    tls_receiver.stop();
    listener.join();
    CHECK(outcome.error.empty());
    CHECK(outcome.http_status == 204);
    CHECK(outcome.delivered());
    std::lock_guard lock(mutex);
    CHECK(received_id == "msg_tls");
    CHECK(received_body == "{\"ok\":true}");
    CHECK(webhook_signature_valid(*key_bytes, "msg_tls", 1795906800, received_body,
                                  received_signature));
}

// ---- Hostile receivers: each attempt costs at most its deadline and a capped read ----

namespace {

using SteadyClock = std::chrono::steady_clock;

// Answers a status line and then one header byte every `interval`, for as long as anyone
// listens: every single read completes well inside a per-read timeout, the answer never does.
test::RawReceiver::Answer drip(std::chrono::milliseconds interval) {
    return [interval](int socket, const test::RawReceiver& self) {
        if (!self.send_all(socket, "HTTP/1.1 200 OK\r\nX-Drip: ")) return;
        while (!self.stopping() && self.send_all(socket, "a"))
            std::this_thread::sleep_for(interval);
    };
}

}  // namespace

TEST_CASE("WebhookDelivery::post_once cuts a receiver dripping its answer at the deadline",
          "[webhook]") {
    test::RawReceiver receiver(drip(50ms));
    REQUIRE(receiver.port() > 0);
    auto options = fast_options(receiver.url());
    options.timeout = 500ms;  // each drip arrives 10 times faster than any per-read timeout
    auto started = SteadyClock::now();
    auto outcome = WebhookDelivery::post_once(options, *secret(),
                                              parse_webhook_url(options.urls[0]), "id", "{}");
    auto took = SteadyClock::now() - started;
    CHECK(outcome.http_status == 0);
    CHECK(outcome.error == "deadline of 500 ms exceeded");
    CHECK(took >= 450ms);
    CHECK(took < 1500ms);
    CHECK(receiver.requests() == 1);
}

TEST_CASE("WebhookDelivery::post_once reads a capped part of a 1 GiB answer and discards it",
          "[webhook]") {
    constexpr std::size_t gib = std::size_t(1) << 30;
    std::atomic<std::size_t> sent{0};
    test::RawReceiver receiver([&sent](int socket, const test::RawReceiver& self) {
        if (!self.send_all(socket, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: " +
                                       std::to_string(gib) + "\r\n\r\n"))
            return;
        std::string block(64 * 1024, 'x');
        while (sent < gib && self.send_all(socket, block)) sent += block.size();
    });
    auto options = fast_options(receiver.url());
    options.timeout = 5s;
    auto started = SteadyClock::now();
    auto outcome = WebhookDelivery::post_once(options, *secret(),
                                              parse_webhook_url(options.urls[0]), "id", "{}");
    // The receiver's verdict is its status line; the body is read up to the cap, then dropped.
    CHECK(outcome.http_status == 200);
    CHECK(outcome.delivered());
    CHECK(outcome.response_body_bytes >= kWebhookMaxResponseBody);
    CHECK(outcome.response_body_bytes < 2 * kWebhookMaxResponseBody);
    CHECK(SteadyClock::now() - started < 3s);
    // What the receiver managed to write includes the kernel's socket buffers, nothing more.
    CHECK(sent < 64 * 1024 * 1024);
}

TEST_CASE("WebhookDelivery: a dead receiver delays no other receiver's events", "[webhook]") {
    WebhookReceiver dead([](std::size_t) { return 204; }, WebhookReceiver::Mode::hang);
    test::RawReceiver slow(drip(100ms));
    WebhookReceiver alive;
    DeliveryOptions options = fast_options(dead.url());
    options.urls = {dead.url(), slow.url(), alive.url()};  // the healthy one last
    options.timeout = 30s;
    WebhookDelivery delivery(options, secret());
    std::vector<Event> events = {event(), event(), event()};
    auto started = SteadyClock::now();
    for (const Event& e : events) delivery.enqueue(e);
    REQUIRE(alive.wait_for(3, 2s));
    CHECK(SteadyClock::now() - started < 2s);
    auto hooks = alive.received();
    REQUIRE(hooks.size() == 3);
    for (std::size_t i = 0; i < hooks.size(); ++i) CHECK(hooks[i].id == events[i].id);
    // The receiver records a request before answering it: wait for the worker to see the answers.
    wait_until([&] { return delivery.counters().delivered == 3; });
    CHECK(delivery.counters().delivered == 3);
    CHECK(dead.received().size() == 1);  // still stuck on its first event
    CHECK(slow.requests() == 1);
    started = SteadyClock::now();
    delivery.stop();  // aborts both stuck attempts at once
    CHECK(SteadyClock::now() - started < 2s);
    CHECK(delivery.counters().failed == 2);
}

TEST_CASE("WebhookDelivery::deliver_now signs every retry afresh with its own timestamp",
          "[webhook]") {
    WebhookReceiver receiver([](std::size_t n) { return n == 0 ? 500 : n == 1 ? 503 : 204; });
    auto options = fast_options(receiver.url());
    std::atomic<std::int64_t> seconds{1795906800};
    options.clock = [&seconds] { return from_unix_seconds(seconds++); };  // a second per call
    std::vector<std::pair<int, std::chrono::milliseconds>> retries;
    auto key = secret();
    auto outcome = WebhookDelivery::deliver_now(
        options, *key, parse_webhook_url(options.urls[0]), "msg_retry", "{\"n\":1}",
        [&](int attempt, const AttemptOutcome& failed, std::chrono::milliseconds delay) {
            CHECK(failed.http_status == (attempt == 1 ? 500 : 503));
            retries.emplace_back(attempt, delay);
        });
    CHECK(outcome.http_status == 204);
    CHECK(retries == std::vector<std::pair<int, std::chrono::milliseconds>>{{1, 20ms}, {2, 40ms}});
    auto hooks = receiver.received();
    REQUIRE(hooks.size() == 3);
    for (std::size_t i = 0; i < hooks.size(); ++i) {
        CHECK(hooks[i].id == "msg_retry");
        CHECK(hooks[i].timestamp == std::to_string(1795906800 + static_cast<int>(i)));
        CHECK(webhook_signature_valid(*key, "msg_retry", std::stoll(hooks[i].timestamp),
                                      hooks[i].body, hooks[i].signature));
    }
    CHECK(hooks[0].signature != hooks[1].signature);
    CHECK(hooks[1].signature != hooks[2].signature);
}

TEST_CASE("retry_delay doubles from the first delay and stops at the cap", "[webhook]") {
    DeliveryOptions options;
    options.first_retry_delay = 1s;
    options.max_retry_delay = 30s;
    CHECK(retry_delay(options, 1) == 1s);
    CHECK(retry_delay(options, 2) == 2s);
    CHECK(retry_delay(options, 5) == 16s);
    CHECK(retry_delay(options, 6) == 30s);
    CHECK(retry_delay(options, 20) == 30s);
    CHECK(retry_delay(options, 1000) == 30s);
}

TEST_CASE("WebhookDelivery refuses more receivers than it will run threads for", "[webhook]") {
    DeliveryOptions options;
    for (std::size_t i = 0; i <= kWebhookMaxReceivers; ++i)
        options.urls.push_back("http://127.0.0.1:1/" + std::to_string(i));
    CHECK_THROWS_AS(WebhookDelivery(options, secret()), UsageError);
    options.urls.pop_back();
    CHECK_NOTHROW(WebhookDelivery(options, secret()));
}

TEST_CASE("WebhookDelivery::post_once cuts an answer that floods headers", "[webhook]") {
    // cpp-httplib reads any number of header lines; each stays within its 8 KiB line limit.
    std::atomic<std::size_t> sent{0};
    test::RawReceiver receiver([&sent](int socket, const test::RawReceiver& self) {
        if (!self.send_all(socket, "HTTP/1.1 200 OK\r\n")) return;
        std::string line = "X-Flood: " + std::string(4000, 'a') + "\r\n";
        while (sent < (std::size_t(1) << 30) && self.send_all(socket, line)) sent += line.size();
    });
    auto options = fast_options(receiver.url());
    options.timeout = 10s;
    auto started = SteadyClock::now();
    auto outcome = WebhookDelivery::post_once(options, *secret(),
                                              parse_webhook_url(options.urls[0]), "id", "{}");
    CHECK(outcome.http_status == 0);
    CHECK(outcome.error == "answer over " + std::to_string(kWebhookMaxAnswerBytes) + " bytes");
    CHECK(SteadyClock::now() - started < 3s);
    // The budget, one guard period at loopback speed, and the kernel's buffers on both sides.
    CHECK(sent < 16 * 1024 * 1024);
}
