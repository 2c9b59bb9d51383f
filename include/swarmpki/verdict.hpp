// The verdict of a run over many parts (directories, files), some of which could not be
// evaluated: decided here once, for inspect, expiry and serve, so that one critical and one
// unreadable directory exit alike from every command.
#pragma once

// Util layer (1): includable from every layer.

#include "swarmpki/severity.hpp"

namespace swarmpki {

// What was found outranks what could not be read: critical > warning > unknown > ok (the order
// of monitoring-plugins' max_state_alt, which Nagios plugins use to combine checks). So one
// unreadable directory neither hides a critical one nor passes for a clean run: with nothing
// found wrong elsewhere the run is unknown, exit 3. `found` is the worst severity of what was
// evaluated (ok when nothing was); `unevaluable` says whether any part could not be evaluated.
enum class Unevaluable { none, some };
Severity run_verdict(Severity found, Unevaluable unevaluable);

}  // namespace swarmpki
