// The --webhook* options that serve and notify share: one spelling, one set of checks.
#pragma once

#include "command.hpp"

#include "swarmpki/webhook.hpp"

#include <iostream>

namespace swarmpki::cli {

void add_webhook_options(po::options_description& options);

// Whether any receiver was given (--webhook or --webhook-url-file).
bool webhooks_requested(const po::variables_map& vm);

// Reads the receivers (--webhook URLs and the lines of --webhook-url-file together: at least one,
// at most kWebhookMaxReceivers, each a valid http(s) URL), --webhook-secret-file (required:
// events are always signed), --webhook-format and --webhook-ca. Throws UsageError, or Error for
// a bad URL file. Writes one warning line each to `warnings` for what works but leaks: a URL
// with a path or query on argv, plain http:// to a host other than loopback, a secret or URL
// file that group or others can read. No warning names more of a URL than scheme://host:port.
DeliveryOptions read_webhook_options(const po::variables_map& vm,
                                     std::ostream& warnings = std::cerr);

}  // namespace swarmpki::cli
