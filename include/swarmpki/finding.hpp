// A finding: one thing an evaluation noticed, with how much it matters and what to do about it.
//
// Codes are stable kebab-case names that scripts and alert rules match on (docs/inspect.md lists
// every one); messages are for people and may change. Findings never carry secret material.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 3
#error "swarmpki/finding.hpp is swarm layer (3); a lower layer (util, crypto) may not include it"
#endif

#include "swarmpki/severity.hpp"

#include <string>
#include <vector>

namespace swarmpki {

struct Finding {
    Severity severity = Severity::info;  // info, notice, warning or critical
    std::string code;                    // stable, kebab-case: "renewal-overdue"
    std::string message;                 // one line, for people
    std::string remedy;                  // what to do; empty when nothing needs doing
};

// The worst severity among the findings (Severity::ok when there are none).
inline Severity worst_severity(const std::vector<Finding>& findings) {
    Severity result = Severity::ok;
    for (const Finding& f : findings) result = worst(result, f.severity);
    return result;
}

}  // namespace swarmpki
