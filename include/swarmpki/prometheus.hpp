// The Prometheus text exposition of an expiry report, for node-exporter's textfile collector
// (`expiry --metrics-file`) and for `serve`'s /metrics.
//
// A pure function of the report plus any extra gauges the caller adds (serve adds its own), so
// the scrape and the file can never disagree. Timestamps are absolute Unix seconds; label values
// are identifiers only (path, kind, role, node id, cluster id, serial, issuer CN), never secrets
// or free text, escaped per the exposition format.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/prometheus.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/expiry.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

struct PrometheusLabel {
    std::string name;
    std::string value;
};

// A caller's own gauge; samples sharing a name form one family (HELP/TYPE written once, from the
// first sample of the name).
struct ExtraGauge {
    std::string name;
    std::string help;
    std::vector<PrometheusLabel> labels;
    double value = 0;
};

// Backslash, double quote and newline escaped; invalid UTF-8 replaced with U+FFFD.
std::string escape_label_value(std::string_view value);

std::string render_prometheus(const ExpiryReport& report, std::span<const ExtraGauge> extra = {});

}  // namespace swarmpki
