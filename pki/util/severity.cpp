#include "swarmpki/severity.hpp"

namespace swarmpki {

ExitCode exit_code_for(Severity severity) {
    switch (severity) {
        case Severity::ok:
        case Severity::info:
        case Severity::notice: return ExitCode::ok;
        case Severity::warning: return ExitCode::warning;
        case Severity::critical: return ExitCode::critical;
        case Severity::unknown: return ExitCode::unevaluable;
    }
    return ExitCode::unevaluable;
}

std::string_view to_string(Severity severity) {
    switch (severity) {
        case Severity::ok: return "ok";
        case Severity::info: return "info";
        case Severity::notice: return "notice";
        case Severity::warning: return "warning";
        case Severity::critical: return "critical";
        case Severity::unknown: return "unknown";
    }
    return "unknown";
}

std::optional<Severity> parse_severity(std::string_view text) {
    for (Severity s : {Severity::ok, Severity::info, Severity::notice, Severity::warning,
                       Severity::critical, Severity::unknown}) {
        if (to_string(s) == text) return s;
    }
    return std::nullopt;
}

std::string_view status_word(Severity severity) {
    switch (severity) {
        case Severity::ok:
        case Severity::info:
        case Severity::notice: return "ok";
        default: return to_string(severity);
    }
}

}  // namespace swarmpki
