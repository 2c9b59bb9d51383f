// The --webhook* options that serve and notify share: one spelling, one set of checks.
#pragma once

#include "command.hpp"

#include "swarmpki/webhook.hpp"

namespace swarmpki::cli {

void add_webhook_options(po::options_description& options);

// Reads --webhook (at least one, each a valid http(s) URL), --webhook-secret-file (required:
// events are always signed), --webhook-format and --webhook-ca. Throws UsageError.
DeliveryOptions read_webhook_options(const po::variables_map& vm);

}  // namespace swarmpki::cli
