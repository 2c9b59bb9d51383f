// The webhook delivery worker: a bounded queue and one thread that posts, retries and gives up.
//
// The scanner only ever calls enqueue(), which takes a mutex for a moment and never touches the
// network, so a slow or dead receiver cannot delay a scan, let alone a scrape. Retries reuse the
// event id (receivers de-duplicate on webhook-id) but are signed afresh with the attempt's own
// timestamp, as Standard Webhooks receivers reject stale timestamps. Log lines name the
// receiver by scheme://host:port only: webhook URL paths often embed a secret (Slack's do).
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "swarmpki/error.hpp"
#include "swarmpki/webhook.hpp"
#include "swarmpki/utf8.hpp"
#include "thread_signals.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace swarmpki {

std::string logfmt_value(std::string_view text) {
    bool bare = !text.empty();
    for (char c : text)
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) >= 0x7f)
            bare = false;
    if (bare) return std::string(text);
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        std::size_t n = utf8_sequence_length(text, i);
        if (n == 0) {
            out += kUtf8Replacement;  // a log line must stay valid UTF-8 for the collector
            ++i;
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < ' ' || c == '\x7f') out += ' ';
        else out.append(text, i, n);
        i += n;
    }
    return out + "\"";
}

namespace {

// What a refused URL's scheme was, for the error, and nothing more: the rest of a webhook URL
// (host, path, query) often carries a token.
std::string scheme_of(std::string_view url) {
    std::size_t end = url.find("://");
    std::string_view scheme = url.substr(0, end);
    bool plain = end != std::string_view::npos && !scheme.empty() && scheme.size() <= 16 &&
                 std::all_of(scheme.begin(), scheme.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                 });
    return plain ? "it starts with '" + std::string(scheme) + "://'" : "it has no scheme://";
}

}  // namespace

WebhookUrl parse_webhook_url(std::string_view url) {
    WebhookUrl parsed;
    std::string_view rest;
    if (url.substr(0, 8) == "https://") {
        parsed.https = true;
        rest = url.substr(8);
    } else if (url.substr(0, 7) == "http://") {
        rest = url.substr(7);
    } else {
        throw UsageError("--webhook must be an http:// or https:// URL (" + scheme_of(url) + ")");
    }
    std::size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    if (authority.empty() || authority.find('@') != std::string_view::npos)
        throw UsageError("--webhook URL needs a host (and no user:password@ part): use "
                         "--webhook-secret-file for authentication");
    parsed.scheme_host_port = std::string(parsed.https ? "https://" : "http://") +
                              std::string(authority);
    // A query with no path ("host?x=1") still needs the root path in front of it. Built by
    // appending: GCC 12's -Wrestrict misfires on string::insert at -O2 and above.
    std::string_view tail = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    parsed.path.clear();
    if (tail.empty() || tail.front() == '?') parsed.path.push_back('/');
    parsed.path.append(tail);
    return parsed;
}

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Job {
    WebhookUrl url;
    std::string id;
    std::string type;
    std::string body;
    int attempt = 1;
    SteadyClock::time_point due{};
};

void configure(httplib::Client& client, const DeliveryOptions& options, const WebhookUrl& url) {
    auto seconds = std::chrono::duration_cast<std::chrono::microseconds>(options.timeout);
    time_t sec = static_cast<time_t>(seconds.count() / 1000000);
    time_t usec = static_cast<time_t>(seconds.count() % 1000000);
    client.set_connection_timeout(sec, usec);
    client.set_read_timeout(sec, usec);
    client.set_write_timeout(sec, usec);
    client.set_keep_alive(false);
    client.set_follow_location(false);
    if (url.https) {
        client.enable_server_certificate_verification(true);
        if (options.ca_file) client.set_ca_cert_path(*options.ca_file, "");
    }
}

AttemptOutcome post_with(httplib::Client& client, const DeliveryOptions& options,
                         const SecretBytes& secret, const WebhookUrl& url, const std::string& id,
                         std::string_view body) {
    std::int64_t timestamp = unix_seconds(options.clock ? options.clock() : wall_clock_now());
    httplib::Headers headers = {
        {"webhook-id", id},
        {"webhook-timestamp", std::to_string(timestamp)},
        {"webhook-signature", webhook_signature(secret, id, timestamp, body)},
        {"User-Agent", std::string("swarmpki/") + SWARMPKI_VERSION},
    };
    auto result = client.Post(url.path.c_str(), headers, body.data(), body.size(),
                              "application/json");
    AttemptOutcome outcome;
    if (result) outcome.http_status = result->status;
    else outcome.error = httplib::to_string(result.error());
    return outcome;
}

}  // namespace

AttemptOutcome WebhookDelivery::post_once(const DeliveryOptions& options,
                                          const SecretBytes& secret, const WebhookUrl& url,
                                          const std::string& id, std::string_view body) {
    httplib::Client client(url.scheme_host_port);
    configure(client, options, url);
    return post_with(client, options, secret, url, id, body);
}

struct WebhookDelivery::State {
    DeliveryOptions options;
    std::shared_ptr<const SecretBytes> secret;
    std::vector<WebhookUrl> urls;
    mutable std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> jobs;
    DeliveryCounters counters;
    bool stopping = false;
    httplib::Client* in_flight = nullptr;  // borrowed, guarded by mutex: stop() aborts it
    std::thread worker;

    void log(const std::string& line) const {
        if (options.log) options.log(line);
    }
    void run();
    void finish(Job job, const AttemptOutcome& outcome, std::unique_lock<std::mutex>& lock);
    std::chrono::milliseconds retry_delay(int attempt) const {
        auto delay = options.first_retry_delay;
        for (int i = 1; i < attempt && delay < options.max_retry_delay; ++i) delay *= 2;
        return std::min(delay, options.max_retry_delay);
    }
};

void WebhookDelivery::State::run() {
    std::unique_lock lock(mutex);
    while (!stopping) {
        if (jobs.empty()) {
            wake.wait(lock);
            continue;
        }
        auto next = std::min_element(jobs.begin(), jobs.end(),
                                     [](const Job& a, const Job& b) { return a.due < b.due; });
        if (next->due > SteadyClock::now()) {
            wake.wait_until(lock, next->due);
            continue;
        }
        Job job = std::move(*next);
        jobs.erase(next);
        httplib::Client client(job.url.scheme_host_port);
        configure(client, options, job.url);
        in_flight = &client;
        lock.unlock();
        AttemptOutcome outcome = post_with(client, options, *secret, job.url, job.id, job.body);
        lock.lock();
        in_flight = nullptr;
        finish(std::move(job), outcome, lock);
    }
    for (const Job& job : jobs)
        log("level=warn msg=\"webhook event not delivered: stopping\" receiver=" +
            logfmt_value(job.url.scheme_host_port) + " id=" + job.id + " type=" + job.type);
    jobs.clear();
}

void WebhookDelivery::State::finish(Job job, const AttemptOutcome& outcome,
                                    std::unique_lock<std::mutex>& /*held*/) {
    std::string where = " receiver=" + logfmt_value(job.url.scheme_host_port) + " id=" + job.id +
                        " type=" + job.type + " attempt=" + std::to_string(job.attempt);
    std::string result = outcome.http_status ? " status=" + std::to_string(outcome.http_status)
                                             : " error=" + logfmt_value(outcome.error);
    if (outcome.delivered()) {
        ++counters.delivered;
        log("level=info msg=\"webhook delivered\"" + where + result);
        return;
    }
    if (stopping || !outcome.retryable() || job.attempt >= options.max_attempts) {
        ++counters.failed;
        log("level=error msg=\"webhook delivery failed, giving up\"" + where + result);
        return;
    }
    auto delay = retry_delay(job.attempt);
    log("level=warn msg=\"webhook delivery failed, will retry\"" + where + result +
        " retry_in_ms=" + std::to_string(delay.count()));
    ++counters.retried;
    ++job.attempt;
    job.due = SteadyClock::now() + delay;
    jobs.push_back(std::move(job));
}

WebhookDelivery::WebhookDelivery(DeliveryOptions options,
                                 std::shared_ptr<const SecretBytes> secret)
    : state_(std::make_unique<State>()) {
    state_->options = std::move(options);
    if (!secret || secret->empty())
        throw UsageError("webhooks need a signing secret (--webhook-secret-file)");
    state_->secret = std::move(secret);
    for (const auto& url : state_->options.urls) state_->urls.push_back(parse_webhook_url(url));
    state_->worker = std::thread([state = state_.get()] {
        block_sigpipe_on_this_thread();  // a receiver closing mid-request costs an EPIPE
        state->run();
    });
}

WebhookDelivery::~WebhookDelivery() { stop(); }

void WebhookDelivery::enqueue(const Event& event) {
    std::string body = render_event_body(event, state_->options.format);
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) return;
    for (const auto& url : state_->urls) {
        if (state_->jobs.size() >= state_->options.queue_capacity && !state_->jobs.empty()) {
            const Job& oldest = state_->jobs.front();
            state_->log("level=warn msg=\"webhook queue full, dropping the oldest event\" "
                        "receiver=" + logfmt_value(oldest.url.scheme_host_port) + " id=" +
                        oldest.id + " type=" + oldest.type);
            ++state_->counters.dropped;
            state_->jobs.pop_front();
        }
        state_->jobs.push_back(Job{url, event.id, std::string(to_string(event.type)), body, 1,
                                   SteadyClock::now()});
    }
    state_->wake.notify_one();
}

DeliveryCounters WebhookDelivery::counters() const {
    std::lock_guard lock(state_->mutex);
    return state_->counters;
}

std::size_t WebhookDelivery::queued() const {
    std::lock_guard lock(state_->mutex);
    return state_->jobs.size();
}

void WebhookDelivery::stop() {
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
        if (state_->in_flight) state_->in_flight->stop();
    }
    state_->wake.notify_all();
    if (state_->worker.joinable()) state_->worker.join();
}

}  // namespace swarmpki
