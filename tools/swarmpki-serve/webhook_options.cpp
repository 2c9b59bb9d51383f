#include "webhook_options.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/file.hpp"
#include "swarmpki/serve.hpp"

namespace swarmpki::cli {

namespace {

// A webhook secret, and a URL whose path is one, are credentials: other local users must not
// read the files holding them. Warned, not refused, by the rule every secret input shares.
void warn_if_shared(const std::string& path, std::ostream& warnings) {
    FileFacts facts = file_facts(path);
    if (!facts.exists) return;
    if (auto warning = secret_permission_warning(path, facts.mode))
        warnings << "swarmpki: warning: " << *warning << "\n";
}

void warn_about_leaks(const std::vector<std::string>& argv_urls,
                      const std::vector<WebhookUrl>& receivers, std::ostream& warnings) {
    bool secret_on_argv = false;
    for (const auto& url : argv_urls) secret_on_argv |= parse_webhook_url(url).has_path_or_query();
    if (secret_on_argv)
        warnings << "swarmpki: warning: a --webhook URL with a path or query is readable by every "
                    "local user in /proc/PID/cmdline (ps); put it in a --webhook-url-file "
                    "(chmod 600) instead\n";
    for (const WebhookUrl& receiver : receivers)
        if (!receiver.https && !is_loopback_host(receiver.host))
            warnings << "swarmpki: warning: webhook receiver " << receiver.scheme_host_port
                     << " is plain http:// to a host other than loopback: events, signatures "
                        "and the URL go out unencrypted; use https://\n";
}

}  // namespace

void add_webhook_options(po::options_description& options) {
    options.add_options()(
        "webhook", po::value<std::vector<std::string>>()->composing(),
        "POST events to this http(s) URL; repeatable (visible in ps: prefer --webhook-url-file)")(
        "webhook-url-file", po::value<std::string>(),
        "POST events to the URLs in this file, one per line")("webhook-secret-file",
                                                              po::value<std::string>(),
                                                              "HMAC-SHA256 signing secret (file)")(
        "webhook-ca", po::value<std::string>(), "verify HTTPS receivers against this CA bundle")(
        "webhook-format", po::value<std::string>()->default_value("native"),
        "native|slack|alertmanager");
}

bool webhooks_requested(const po::variables_map& vm) {
    return vm.count("webhook") > 0 || vm.count("webhook-url-file") > 0;
}

DeliveryOptions read_webhook_options(const po::variables_map& vm, std::ostream& warnings) {
    if (!webhooks_requested(vm))
        throw UsageError("give at least one --webhook URL or a --webhook-url-file");
    if (!vm.count("webhook-secret-file"))
        throw UsageError("--webhook needs --webhook-secret-file (events are always signed)");
    DeliveryOptions delivery;
    std::vector<std::string> argv_urls;
    if (vm.count("webhook")) argv_urls = vm["webhook"].as<std::vector<std::string>>();
    std::vector<WebhookUrl> receivers;
    for (const auto& url : argv_urls) receivers.push_back(parse_webhook_url(url));  // refuses now
    delivery.urls = argv_urls;
    if (vm.count("webhook-url-file")) {
        const auto& path = vm["webhook-url-file"].as<std::string>();
        for (auto& url : load_webhook_urls(path)) {
            receivers.push_back(parse_webhook_url(url));
            delivery.urls.push_back(std::move(url));
        }
        warn_if_shared(path, warnings);
    }
    if (delivery.urls.size() > kWebhookMaxReceivers)
        throw UsageError("at most " + std::to_string(kWebhookMaxReceivers) +
                         " webhook receivers, not " + std::to_string(delivery.urls.size()) +
                         " (each has its own delivery thread)");
    const auto& format_name = vm["webhook-format"].as<std::string>();
    auto format = parse_webhook_format(format_name);
    if (!format)
        throw UsageError("--webhook-format must be native, slack or alertmanager, not '" +
                         format_name + "'");
    delivery.format = *format;
    if (vm.count("webhook-ca")) delivery.ca_file = vm["webhook-ca"].as<std::string>();
    warn_if_shared(vm["webhook-secret-file"].as<std::string>(), warnings);
    warn_about_leaks(argv_urls, receivers, warnings);
    return delivery;
}

}  // namespace swarmpki::cli
