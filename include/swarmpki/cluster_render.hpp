// `swarmpki cluster`'s four formats (SPEC section 9, docs/cluster.md): a table a person reads in
// five seconds, the `swarmpki.cluster/v1` document, Prometheus families, a Nagios line. Rendering
// only: every fact comes decided in the ClusterReport (cluster.hpp).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/cluster_render.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/cluster.hpp"
#include "swarmpki/inspect_render.hpp"
#include "swarmpki/nagios.hpp"

#include <optional>
#include <string>

namespace swarmpki {

inline constexpr const char* kClusterSchema = "swarmpki.cluster/v1";

std::string render_cluster_text(const ClusterReport& report, TextColor color);
std::string render_cluster_json(const ClusterReport& report);
// The swarmpki_cluster_* families (promtool-clean); `serve --engine` appends the same text.
std::string render_cluster_prometheus(const ClusterReport& report);
NagiosOutput render_cluster_nagios(const ClusterReport& report);

// What the last engine read did, as `serve --engine` puts it before the swarmpki_cluster_*
// families: swarmpki_engine_up, swarmpki_engine_last_success_timestamp_seconds (0 before any
// read answered) and swarmpki_engine_read_duration_seconds.
struct EngineReadStatus {
    bool up = false;
    std::optional<Instant> last_success_at;
    double read_seconds = 0;
};
std::string render_engine_read_prometheus(const EngineReadStatus& status);

}  // namespace swarmpki
