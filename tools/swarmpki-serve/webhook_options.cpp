#include "webhook_options.hpp"

#include "swarmpki/error.hpp"

namespace swarmpki::cli {

void add_webhook_options(po::options_description& options) {
    options.add_options()
        ("webhook", po::value<std::vector<std::string>>()->composing(),
         "POST events to this http(s) URL; repeatable")
        ("webhook-secret-file", po::value<std::string>(), "HMAC-SHA256 signing secret (file)")
        ("webhook-ca", po::value<std::string>(), "verify HTTPS receivers against this CA bundle")
        ("webhook-format", po::value<std::string>()->default_value("native"),
         "native|slack|alertmanager");
}

DeliveryOptions read_webhook_options(const po::variables_map& vm) {
    if (!vm.count("webhook")) throw UsageError("give at least one --webhook URL");
    if (!vm.count("webhook-secret-file"))
        throw UsageError("--webhook needs --webhook-secret-file (events are always signed)");
    DeliveryOptions delivery;
    delivery.urls = vm["webhook"].as<std::vector<std::string>>();
    for (const auto& url : delivery.urls) parse_webhook_url(url);  // refuses a bad one now
    const auto& format_name = vm["webhook-format"].as<std::string>();
    auto format = parse_webhook_format(format_name);
    if (!format)
        throw UsageError("--webhook-format must be native, slack or alertmanager, not '" +
                         format_name + "'");
    delivery.format = *format;
    if (vm.count("webhook-ca")) delivery.ca_file = vm["webhook-ca"].as<std::string>();
    return delivery;
}

}  // namespace swarmpki::cli
