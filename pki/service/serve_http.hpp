// Routes and request logging for `serve` (internal).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/serve_http.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "serve_front.hpp"
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
    std::function<FrontCounters()> front_counters;
    std::function<void(std::string_view)> log;
};

void install_routes(httplib::Server& http, const RouteContext& context);

// Called by the worker before cpp-httplib processes a request on this thread: the request log
// line's start time and peer address come from here, so that requests cpp-httplib rejects
// before it fills in Request::remote_addr (400, 414) are still logged with remote=.
void begin_request(std::string_view remote);

// serve's own families, appended to the expiry families on every scrape.
std::string serve_metric_families(const Snapshot& snapshot,
                                  const std::optional<DeliveryCounters>& webhooks,
                                  const FrontCounters& front);

}  // namespace swarmpki::serve_detail
