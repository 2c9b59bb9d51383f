// The Prometheus text format 0.0.4 as every swarmpki family is written: HELP and TYPE once per
// family, label values escaped (escape_label_value), a repeated series dropped, integers without
// a decimal point. Shared by the expiry families (prometheus.cpp) and the cluster families
// (cluster_prometheus.cpp), so `serve --engine`'s one scrape has one exposition rule.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "pki/render/exposition.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/prometheus.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace swarmpki {

class Exposition {
public:
    void family(std::string_view name, std::string_view help) {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
        current_ = name;
        seen_.clear();
    }
    // One sample; a repeated label set within a family is dropped (Prometheus rejects
    // duplicate series: a bundle holding the same certificate twice would produce one).
    void sample(const std::vector<PrometheusLabel>& labels, double value) {
        std::string series(current_);
        if (!labels.empty()) {
            series += '{';
            for (std::size_t i = 0; i < labels.size(); ++i) {
                if (i) series += ',';
                series += labels[i].name + "=\"" + escape_label_value(labels[i].value) + '"';
            }
            series += '}';
        }
        if (!seen_.insert(series).second) return;
        out_ += series;
        out_ += ' ';
        out_ += format_value(value);
        out_ += '\n';
    }
    std::string take() { return std::move(out_); }

private:
    static std::string format_value(double value) {
        if (std::isnan(value)) return "NaN";
        if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
        // Whole numbers print without a fraction (a cast, not std::floor: swarmpki links no libm).
        if (std::fabs(value) < 1e15 && value == static_cast<double>(static_cast<long long>(value)))
            return std::to_string(static_cast<long long>(value));
        return fmt::format("{}", value);
    }

    std::string out_;
    std::string current_;
    std::set<std::string> seen_;
};

}  // namespace swarmpki
