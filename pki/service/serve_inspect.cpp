// /v1/inspect: the inspect report of the configured directories, rendered exactly as
// `inspect --format json` renders it. Kept apart from serve_scan.cpp so the inspect and expiry
// headers never share a translation unit.
#include "serve_internal.hpp"
#include "swarmpki/inspect.hpp"
#include "swarmpki/inspect_render.hpp"

namespace swarmpki::serve_detail {

std::string render_inspect_document(const ScanSettings& settings, Instant now) {
    InspectOptions options;
    options.unlock_key = settings.unlock_key.get();
    return render_inspect_json(inspect_nodes(settings.dirs, options, now));
}

}  // namespace swarmpki::serve_detail
