#include "swarmpki/verdict.hpp"

namespace swarmpki {

Severity run_verdict(Severity found, Unevaluable unevaluable) {
    if (found == Severity::warning || found == Severity::critical) return found;
    if (unevaluable == Unevaluable::some || found == Severity::unknown) return Severity::unknown;
    return found;
}

}  // namespace swarmpki
