// Findings as every JSON document writes them: {"severity", "code", "message", "remedy"}, the
// remedy always a string (empty when nothing needs doing). inspect's and cluster's documents.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error "pki/render/finding_json.hpp is render layer (4)"
#endif

#include "swarmpki/finding.hpp"
#include "swarmpki/json_writer.hpp"

#include <vector>

namespace swarmpki::render_detail {

inline void write_findings(JsonWriter& json, const std::vector<Finding>& findings) {
    json.key("findings").begin_array();
    for (const Finding& f : findings) {
        json.begin_object();
        json.member("severity", to_string(f.severity));
        json.member("code", f.code);
        json.member("message", f.message);
        json.member("remedy", f.remedy);
        json.end_object();
    }
    json.end_array();
}

}  // namespace swarmpki::render_detail
