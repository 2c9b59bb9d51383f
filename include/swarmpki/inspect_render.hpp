// Renderings of an InspectReport: JSON for programs (schema swarmpki.inspect/v1, documented in
// docs/inspect.md) and a compact text card for people. Both read the same plain struct.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/inspect_render.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/inspect.hpp"

#include <string>

namespace swarmpki {

inline constexpr const char* kInspectSchema = "swarmpki.inspect/v1";

std::string render_inspect_json(const InspectReport& report);

enum class TextColor { no, yes };
std::string render_inspect_text(const InspectReport& report, TextColor color);

}  // namespace swarmpki
