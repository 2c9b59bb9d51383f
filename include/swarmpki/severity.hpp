// One severity scale decides both the printed status and the exit code.
#pragma once

// Util layer (1): includable from every layer.

#include <optional>
#include <string_view>

namespace swarmpki {

// Ordered from best to worst; `unknown` (could not evaluate) is worst of all for exit codes.
enum class Severity { ok, info, notice, warning, critical, unknown };

enum class ExitCode : int { ok = 0, warning = 1, critical = 2, unevaluable = 3, usage = 64 };

inline Severity worst(Severity a, Severity b) { return a < b ? b : a; }

ExitCode exit_code_for(Severity severity);

// "ok", "info", "notice", "warning", "critical", "unknown".
std::string_view to_string(Severity severity);
std::optional<Severity> parse_severity(std::string_view text);

// The status word of a report: info and notice count as ok.
std::string_view status_word(Severity severity);

}  // namespace swarmpki
