// TEMPORARY, tests only (branch `render`): to_string(TlsStatus) so test_cluster_render.cpp links
// before the `model` branch lands pki/swarm/cluster_report.cpp, which owns it. The lead deletes
// this file at the merge; nothing else is defined here.
#include "swarmpki/cluster.hpp"

namespace swarmpki {

const char* to_string(TlsStatus status) {
    switch (status) {
        case TlsStatus::ready: return "ready";
        case TlsStatus::needs_rotation: return "needs-rotation";
        case TlsStatus::unknown: return "unknown";
    }
    return "unknown";
}

}  // namespace swarmpki
