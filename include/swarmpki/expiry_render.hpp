// Text, JSON and JSON Lines renderings of an ExpiryReport (swarmpki.expiry/v1, docs/expiry.md).
// Renderers read the plain report only: no OpenSSL, no files.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/expiry_render.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/expiry.hpp"

#include <string>

namespace swarmpki {

enum class Color { no, yes };

// A table sorted by remaining time (soonest first), then clusters, scan errors and a summary.
std::string render_expiry_text(const ExpiryReport& report, Color color);

// One `swarmpki.expiry/v1` document.
std::string render_expiry_json(const ExpiryReport& report);

// One compact JSON object a line, each starting with "schema" and "record": a "certificate"
// record per certificate (its members flattened), an "error" record per scan error, then one
// "summary" record with evaluated_at, status and summary.
std::string render_expiry_jsonl(const ExpiryReport& report);

}  // namespace swarmpki
