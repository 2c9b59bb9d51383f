// Pieces of `serve` shared between its own .cpp files (not part of the public API).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 5
#error \
    "pki/service/serve_internal.hpp is service layer (5); a lower layer (util ... render) may not include it"
#endif

#include "swarmpki/serve.hpp"

#include <string>

namespace swarmpki::serve_detail {

// The swarmpki.inspect/v1 document of the configured directories as of `now` (pretty JSON, as
// `inspect --format json` prints it). Lives in its own file so that the inspect and expiry
// headers never meet in one translation unit.
std::string render_inspect_document(const ScanSettings& settings, Instant now);

}  // namespace swarmpki::serve_detail
