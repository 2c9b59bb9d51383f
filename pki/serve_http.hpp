// Routes and request logging for `serve` (internal).
#pragma once

#include "swarmpki/serve.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace httplib {
class Server;
}

namespace swarmpki::serve_detail {

// What the handlers may touch: all of it cheap and non-blocking. Must outlive the server.
struct RouteContext {
    std::function<std::shared_ptr<const Snapshot>()> snapshot;  // never null once serving
    std::function<std::optional<DeliveryCounters>()> webhook_counters;
    std::function<void(std::string_view)> log;
    std::size_t max_header_count = 64;
};

void install_routes(httplib::Server& http, const RouteContext& context);

// serve's own families, appended to the expiry families on every scrape.
std::string serve_metric_families(const Snapshot& snapshot,
                                  const std::optional<DeliveryCounters>& webhooks);

}  // namespace swarmpki::serve_detail
