// swarmpki notify --test: send one signed sample event, so an operator can check a receiver's
// URL, TLS and signature verification before relying on `serve` to page them.
#include "commands.hpp"
#include "webhook_options.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/webhook.hpp"

#include <unistd.h>

#include <csignal>
#include <iostream>
#include <thread>

namespace swarmpki::cli {

namespace {

const HelpText kHelp = {
    "swarmpki notify --test --webhook URL... --webhook-secret-file F [--webhook-format F]",
    "Sends one sample event (type io.swarmpki.cert.expiring, a made-up certificate) to each\n"
    "--webhook, signed exactly as `serve` signs its events (Standard Webhooks headers\n"
    "webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256>). Timeouts,\n"
    "5xx and 429 are retried with back-off under the same webhook-id, as `serve` does.",
    "  swarmpki notify --test --webhook https://hooks.example/swarm \\\n"
    "      --webhook-secret-file /etc/swarmpki/webhook-secret\n"
    "  swarmpki notify --test --webhook http://127.0.0.1:9093/api/v2/alerts \\\n"
    "      --webhook-secret-file secret --webhook-format alertmanager",
    "  0  every receiver accepted the event (2xx)    3  a receiver refused it or could not be "
    "reached    64  usage error"};

po::options_description notify_options() {
    po::options_description options("options");
    options.add_options()
        ("test", "send one sample event")
        ("timeout", po::value<std::string>()->default_value("10s"), "per-attempt timeout")
        ("attempts", po::value<int>()->default_value(3), "attempts per receiver (retries + 1)");
    add_webhook_options(options);
    add_common_options(options, "text");
    return options;
}

std::string source() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "swarmpki://localhost/notify";
    return std::string("swarmpki://") + host + "/notify";
}

// Same policy as the serve worker, on this thread: retry what is retryable, same id.
AttemptOutcome deliver(const DeliveryOptions& options, const SecretBytes& secret,
                       const WebhookUrl& url, const std::string& id, const std::string& body,
                       bool quiet) {
    AttemptOutcome outcome;
    auto delay = options.first_retry_delay;
    for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
        outcome = WebhookDelivery::post_once(options, secret, url, id, body);
        if (outcome.delivered() || !outcome.retryable() || attempt == options.max_attempts) break;
        if (!quiet)
            std::cerr << "swarmpki notify: " << url.scheme_host_port << ": attempt " << attempt
                      << " failed ("
                      << (outcome.http_status ? "HTTP " + std::to_string(outcome.http_status)
                                              : outcome.error)
                      << "), retrying in " << delay.count() << " ms\n";
        std::this_thread::sleep_for(delay);
        delay *= 2;
    }
    return outcome;
}

}  // namespace

int run_notify(const Args& args) {
    auto options = notify_options();
    auto vm = parse_args(args, options);
    if (wants_help(vm)) {
        print_help(kHelp, options);
        return 0;
    }
    CommonOptions common = read_common(vm, "text");
    if (!vm.count("test"))
        throw UsageError("only --test is supported: notify sends a sample event");
    DeliveryOptions delivery = read_webhook_options(vm);
    auto timeout = parse_duration(vm["timeout"].as<std::string>());
    if (!timeout || *timeout < std::chrono::seconds(1))
        throw UsageError("--timeout must be a duration of at least 1s");
    delivery.timeout = *timeout;
    delivery.max_attempts = vm["attempts"].as<int>();
    if (delivery.max_attempts < 1 || delivery.max_attempts > 20)
        throw UsageError("--attempts must be between 1 and 20");
    delivery.clock = [at = common.now] { return at; };
    std::vector<WebhookUrl> urls;
    for (const auto& url : delivery.urls) urls.push_back(parse_webhook_url(url));
    SecretBytes secret = load_webhook_secret(vm["webhook-secret-file"].as<std::string>());

    std::signal(SIGPIPE, SIG_IGN);  // a receiver closing mid-request is an error, not an exit
    Event event = sample_event(source(), common.now);
    std::string body = render_event_body(event, delivery.format);
    bool all_delivered = true;
    for (const WebhookUrl& url : urls) {
        AttemptOutcome outcome = deliver(delivery, secret, url, event.id, body, common.quiet);
        all_delivered = all_delivered && outcome.delivered();
        std::string result = outcome.http_status ? "HTTP " + std::to_string(outcome.http_status)
                                                 : outcome.error;
        if (outcome.delivered()) {
            if (!common.quiet)
                std::cout << url.scheme_host_port << ": delivered " << event.id << " (" << result
                          << ")\n";
        } else {
            std::cerr << "swarmpki notify: " << url.scheme_host_port << ": not delivered ("
                      << result << ")"
                      << (outcome.http_status == 401 || outcome.http_status == 403
                              ? " (does the receiver use the same secret?)"
                              : "")
                      << "\n";
        }
    }
    return all_delivered ? 0 : 3;
}

}  // namespace swarmpki::cli
