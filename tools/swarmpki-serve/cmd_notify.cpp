// swarmpki notify --test: send one signed sample event, so an operator can check a receiver's
// URL, TLS and signature verification before relying on `serve` to page them.
#include "commands.hpp"
#include "webhook_options.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/webhook.hpp"

#include <unistd.h>

#include <csignal>
#include <iostream>

namespace swarmpki::cli {

namespace {

constexpr std::chrono::seconds kNotifyMaxRetryDelay{30};

const HelpText kHelp = {
    "swarmpki notify --test (--webhook URL... | --webhook-url-file F) --webhook-secret-file F "
    "[--webhook-format F]",
    "Sends one sample event (type io.swarmpki.cert.expiring, a made-up certificate) to each\n"
    "receiver, signed exactly as `serve` signs its events (Standard Webhooks headers\n"
    "webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256>). Timeouts,\n"
    "5xx and 429 are retried under the same webhook-id, as `serve` does: each attempt signed\n"
    "afresh with its own timestamp, back-off doubling from 1s up to 30s. --timeout bounds each\n"
    "attempt as a whole, however slowly the receiver answers.",
    "  swarmpki notify --test --webhook https://hooks.example/swarm \\\n"
    "      --webhook-secret-file /etc/swarmpki/webhook-secret\n"
    "  swarmpki notify --test --webhook http://127.0.0.1:9093/api/v2/alerts \\\n"
    "      --webhook-secret-file secret --webhook-format alertmanager",
    "  0  every receiver accepted the event (2xx)    3  a receiver refused it or could not be "
    "reached    64  usage error"};

po::options_description notify_options() {
    po::options_description options("options");
    options.add_options()("test", "send one sample event")(
        "timeout", po::value<std::string>()->default_value("10s"), "deadline of each attempt")(
        "attempts", po::value<int>()->default_value(3), "attempts per receiver (retries + 1)");
    add_webhook_options(options);
    add_common_options(options, "text");
    return options;
}

std::string source() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        return "swarmpki://localhost/notify";
    return std::string("swarmpki://") + host + "/notify";
}

// One line on stderr before each retry, naming the receiver by scheme://host:port only.
WebhookDelivery::RetryNotice report_retries(const WebhookUrl& url, bool quiet) {
    if (quiet) return {};
    return [where = url.scheme_host_port](int attempt, const AttemptOutcome& failed,
                                          std::chrono::milliseconds delay) {
        std::cerr << "swarmpki notify: " << where << ": attempt " << attempt << " failed ("
                  << (failed.http_status ? "HTTP " + std::to_string(failed.http_status)
                                         : failed.error)
                  << "), retrying in " << delay.count() << " ms\n";
    };
}

}  // namespace

ExitCode run_notify(const Args& args) {
    auto options = notify_options();
    auto vm = parse_args(args, options);
    if (wants_help(vm)) {
        print_help(kHelp, options);
        return ExitCode::ok;
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
    // Each attempt's timestamp is "now" at that attempt, counted from --at (or the clock at
    // start), so a retry is never signed with a timestamp a receiver already finds stale.
    delivery.clock = [base = common.now, start = std::chrono::steady_clock::now()] {
        return base + std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now() - start);
    };
    // Someone is waiting at a terminal: a minute-long back-off would look like a hang.
    delivery.max_retry_delay = kNotifyMaxRetryDelay;
    std::vector<WebhookUrl> urls;
    for (const auto& url : delivery.urls) urls.push_back(parse_webhook_url(url));
    SecretBytes secret = load_webhook_secret(vm["webhook-secret-file"].as<std::string>());

    std::signal(SIGPIPE, SIG_IGN);  // a receiver closing mid-request is an error, not an exit
    Event event = sample_event(source(), common.now);
    std::string body = render_event_body(event, delivery.format);
    bool all_delivered = true;
    for (const WebhookUrl& url : urls) {
        AttemptOutcome outcome = WebhookDelivery::deliver_now(delivery, secret, url, event.id, body,
                                                              report_retries(url, common.quiet));
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
    return all_delivered ? ExitCode::ok : ExitCode::unevaluable;
}

}  // namespace swarmpki::cli
