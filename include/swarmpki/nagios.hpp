// The Nagios/Icinga plugin rendering of an expiry report: one line
//   SWARMPKI <OK|WARNING|CRITICAL|UNKNOWN> - <summary> | <perfdata>
// whose word comes from the same Severity as the exit code, so the two always agree.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/nagios.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/expiry.hpp"

#include <string>
#include <string_view>

namespace swarmpki {

// "OK", "WARNING", "CRITICAL", "UNKNOWN" (info and notice are OK, as their exit code is 0).
std::string_view nagios_word(Severity severity);

struct NagiosOutput {
    std::string line;  // ends with '\n'
    ExitCode exit_code = ExitCode::unevaluable;
};

// Perfdata in the plugin guidelines' syntax, 'label'=value[UOM];[warn];[crit];[min];[max]:
// certificate counts by status, scan errors, and the earliest remaining time in seconds.
NagiosOutput render_nagios(const ExpiryReport& report);

}  // namespace swarmpki
