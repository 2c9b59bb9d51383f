// The webhook delivery workers: per receiver, a bounded queue and one thread that posts, retries
// and gives up.
//
// The scanner only ever calls enqueue(), which takes a mutex for a moment and never touches the
// network, so a slow or dead receiver cannot delay a scan, let alone a scrape; and as each
// receiver has its own worker, it cannot delay another receiver either. An attempt has one total
// deadline and reads a capped amount of the answer, so a hostile receiver costs a thread for at
// most `timeout` and a few hundred KiB. Retries reuse the event id (receivers de-duplicate on
// webhook-id) but are signed afresh with the attempt's own timestamp, as Standard Webhooks
// receivers reject stale timestamps. Log lines name the receiver by scheme://host:port only:
// webhook URL paths often embed a secret (Slack's do).
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // normally set by cpp-httplib's pkg-config flags
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include "../util/thread_signals.hpp"
#include "socket_guard.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/utf8.hpp"
#include "swarmpki/webhook.hpp"
#include "webhook_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
        if (static_cast<unsigned char>(c) >= 0x80) {
            i += append_utf8_sequence(out, text, i);  // a log line stays valid UTF-8
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += static_cast<unsigned char>(c) < ' ' || c == '\x7f' ? ' ' : c;
        ++i;
    }
    return out + "\"";
}

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Job {
    std::string id;
    std::string type;
    std::string body;
    int attempt = 1;
    SteadyClock::time_point due{};
};

// The answer's headers are read by cpp-httplib with no limit on their number, so only the socket
// can bound them: with a small receive buffer the kernel's count of bytes received tracks what
// was parsed, and the guard cuts a flood within one period (a few hundred KiB more at loopback
// speed).
constexpr int kReceiveBuffer = 16 * 1024;

// One attempt's guard (socket_guard.hpp): its deadline, and its limit, the answer outgrowing
// kWebhookMaxAnswerBytes by the kernel's count of the bytes its sockets received.
using AttemptGuard = service_detail::SocketGuard;

AttemptGuard::Limit answer_limit() {
    return [](const std::vector<Fd>& sockets) {
        std::uint64_t total = 0;
        for (const Fd& fd : sockets)
            total += webhook_detail::tcp_bytes_received(fd.get()).value_or(0);
        return total > kWebhookMaxAnswerBytes;
    };
}

void configure(httplib::Client& client, const DeliveryOptions& options, const WebhookUrl& url,
               AttemptGuard& guard) {
    // The per-operation timeouts are the whole budget too; the guard enforces the sum.
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(options.timeout);
    time_t sec = static_cast<time_t>(micros.count() / 1000000);
    time_t usec = static_cast<time_t>(micros.count() % 1000000);
    client.set_connection_timeout(sec, usec);
    client.set_read_timeout(sec, usec);
    client.set_write_timeout(sec, usec);
    client.set_keep_alive(false);
    client.set_follow_location(false);
    client.set_decompress(false);  // the body is discarded: never inflate it
    client.set_socket_options([&guard](socket_t socket) {
        webhook_detail::shrink_receive_buffer(socket, kReceiveBuffer);
        guard.adopt(socket);
    });
    if (url.https) {
        client.enable_server_certificate_verification(true);
        if (options.ca_file) client.set_ca_cert_path(*options.ca_file, "");
    }
}

std::string describe_failure(httplib::Error error, AttemptGuard::Cut cut,
                             const DeliveryOptions& options) {
    switch (cut) {
        case AttemptGuard::Cut::deadline:
            return "deadline of " + std::to_string(options.timeout.count()) + " ms exceeded";
        case AttemptGuard::Cut::limit:
            return "answer over " + std::to_string(kWebhookMaxAnswerBytes) + " bytes";
        case AttemptGuard::Cut::stopping: return "aborted: stopping";
        case AttemptGuard::Cut::no: break;
    }
    return httplib::to_string(error);
}

// One signed POST within the guard's deadline. The receiver's verdict is its status line and
// headers; of the body, at most kWebhookMaxResponseBody bytes are read, and none are kept.
AttemptOutcome post_guarded(const DeliveryOptions& options, const SecretBytes& secret,
                            const WebhookUrl& url, const std::string& id, std::string_view body,
                            AttemptGuard& guard) {
    httplib::Client client(url.scheme_host_port);
    configure(client, options, url, guard);
    std::int64_t timestamp = unix_seconds(options.clock ? options.clock() : wall_clock_now());
    httplib::Request request;
    request.method = "POST";
    request.path = url.path;
    request.headers = {
        {"webhook-id", id},
        {"webhook-timestamp", std::to_string(timestamp)},
        {"webhook-signature", webhook_signature(secret, id, timestamp, body)},
        {"User-Agent", std::string("swarmpki/") + SWARMPKI_VERSION},
        {"Content-Type", "application/json"},
    };
    request.body = std::string(body);
    AttemptOutcome outcome;
    bool answered = false;
    request.response_handler = [&answered](const httplib::Response&) {
        answered = true;
        return true;
    };
    request.content_receiver = [&outcome](const char*, std::size_t size, std::uint64_t,
                                          std::uint64_t) {
        outcome.response_body_bytes += size;
        return outcome.response_body_bytes < kWebhookMaxResponseBody;
    };
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    bool complete = client.send(request, response, error);
    if (complete || answered) outcome.http_status = response.status;
    else outcome.error = describe_failure(error, guard.cut(), options);
    return outcome;
}

struct Receiver {
    WebhookUrl url;
    std::deque<Job> jobs;
    AttemptGuard* in_flight = nullptr;  // borrowed from the worker's stack; stop() aborts it
    std::condition_variable wake;
    std::thread worker;
};

}  // namespace

std::chrono::milliseconds retry_delay(const DeliveryOptions& options, int attempt) {
    auto delay = options.first_retry_delay;
    for (int i = 1; i < attempt && delay < options.max_retry_delay; ++i) delay *= 2;
    return std::min(delay, options.max_retry_delay);
}

AttemptOutcome WebhookDelivery::post_once(const DeliveryOptions& options, const SecretBytes& secret,
                                          const WebhookUrl& url, const std::string& id,
                                          std::string_view body) {
    AttemptGuard guard(SteadyClock::now() + options.timeout, answer_limit());
    return post_guarded(options, secret, url, id, body, guard);
}

AttemptOutcome WebhookDelivery::deliver_now(const DeliveryOptions& options,
                                            const SecretBytes& secret, const WebhookUrl& url,
                                            const std::string& id, std::string_view body,
                                            const RetryNotice& on_retry) {
    for (int attempt = 1;; ++attempt) {
        AttemptOutcome outcome = post_once(options, secret, url, id, body);
        if (outcome.delivered() || !outcome.retryable() || attempt >= options.max_attempts)
            return outcome;
        auto delay = retry_delay(options, attempt);
        if (on_retry) on_retry(attempt, outcome, delay);
        std::this_thread::sleep_for(delay);
    }
}

// One mutex for every receiver's queue and the counters: it is held only for moments, never
// across a request, so receivers wait on each other for nothing but bookkeeping.
struct WebhookDelivery::State {
    DeliveryOptions options;
    std::shared_ptr<const SecretBytes> secret;
    mutable std::mutex mutex;
    std::vector<std::unique_ptr<Receiver>> receivers;
    DeliveryCounters counters;
    bool stopping = false;

    void log(const std::string& line) const {
        if (options.log) options.log(line);
    }
    void run(Receiver& receiver);
    void finish(Receiver& receiver, Job job, const AttemptOutcome& outcome);
};

void WebhookDelivery::State::run(Receiver& receiver) {
    std::unique_lock lock(mutex);
    while (!stopping) {
        auto& jobs = receiver.jobs;
        if (jobs.empty()) {
            receiver.wake.wait(lock);
            continue;
        }
        auto next = std::min_element(jobs.begin(), jobs.end(),
                                     [](const Job& a, const Job& b) { return a.due < b.due; });
        if (next->due > SteadyClock::now()) {
            receiver.wake.wait_until(lock, next->due);
            continue;
        }
        Job job = std::move(*next);
        jobs.erase(next);
        AttemptOutcome outcome;
        {
            AttemptGuard guard(SteadyClock::now() + options.timeout, answer_limit());
            receiver.in_flight = &guard;
            lock.unlock();
            outcome = post_guarded(options, *secret, receiver.url, job.id, job.body, guard);
            lock.lock();
            receiver.in_flight = nullptr;
        }  // joined with the lock held: the guard's thread never takes it
        finish(receiver, std::move(job), outcome);
    }
    for (const Job& job : receiver.jobs)
        log("level=warn msg=\"webhook event not delivered: stopping\" receiver=" +
            logfmt_value(receiver.url.scheme_host_port) + " id=" + job.id + " type=" + job.type);
    receiver.jobs.clear();
}

void WebhookDelivery::State::finish(Receiver& receiver, Job job, const AttemptOutcome& outcome) {
    std::string where = " receiver=" + logfmt_value(receiver.url.scheme_host_port) +
                        " id=" + job.id + " type=" + job.type +
                        " attempt=" + std::to_string(job.attempt);
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
    auto delay = retry_delay(options, job.attempt);
    log("level=warn msg=\"webhook delivery failed, will retry\"" + where + result +
        " retry_in_ms=" + std::to_string(delay.count()));
    ++counters.retried;
    ++job.attempt;
    job.due = SteadyClock::now() + delay;
    receiver.jobs.push_back(std::move(job));
}

WebhookDelivery::WebhookDelivery(DeliveryOptions options, std::shared_ptr<const SecretBytes> secret)
    : state_(std::make_unique<State>()) {
    state_->options = std::move(options);
    if (!secret || secret->empty())
        throw UsageError("webhooks need a signing secret (--webhook-secret-file)");
    if (state_->options.urls.size() > kWebhookMaxReceivers)
        throw UsageError("at most " + std::to_string(kWebhookMaxReceivers) +
                         " webhook receivers (each has its own delivery thread)");
    state_->secret = std::move(secret);
    for (const auto& url : state_->options.urls) {
        state_->receivers.push_back(std::make_unique<Receiver>());
        state_->receivers.back()->url = parse_webhook_url(url);
    }
    try {
        for (auto& receiver : state_->receivers)
            receiver->worker = std::thread([state = state_.get(), one = receiver.get()] {
                block_sigpipe_on_this_thread();  // a receiver closing mid-request costs an EPIPE
                state->run(*one);
            });
    } catch (...) {
        stop();
        throw;
    }
}

WebhookDelivery::~WebhookDelivery() { stop(); }

void WebhookDelivery::enqueue(const Event& event) {
    std::string body = render_event_body(event, state_->options.format);
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) return;
    for (auto& receiver : state_->receivers) {
        auto& jobs = receiver->jobs;
        if (jobs.size() >= state_->options.queue_capacity && !jobs.empty()) {
            const Job& oldest = jobs.front();
            state_->log("level=warn msg=\"webhook queue full, dropping the oldest event\" "
                        "receiver=" +
                        logfmt_value(receiver->url.scheme_host_port) + " id=" + oldest.id +
                        " type=" + oldest.type);
            ++state_->counters.dropped;
            jobs.pop_front();
        }
        jobs.push_back(
            Job{event.id, std::string(to_string(event.type)), body, 1, SteadyClock::now()});
        receiver->wake.notify_one();
    }
}

DeliveryCounters WebhookDelivery::counters() const {
    std::lock_guard lock(state_->mutex);
    return state_->counters;
}

std::size_t WebhookDelivery::queued() const {
    std::lock_guard lock(state_->mutex);
    std::size_t total = 0;
    for (const auto& receiver : state_->receivers) total += receiver->jobs.size();
    return total;
}

void WebhookDelivery::stop() {
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
        for (auto& receiver : state_->receivers)
            if (receiver->in_flight) receiver->in_flight->abort();
    }
    for (auto& receiver : state_->receivers) receiver->wake.notify_all();
    for (auto& receiver : state_->receivers)
        if (receiver->worker.joinable()) receiver->worker.join();
}

}  // namespace swarmpki
