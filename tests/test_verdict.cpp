// run_verdict: one rule for a run over parts some of which could not be evaluated, the same in
// inspect, expiry and serve.
#include "swarmpki/verdict.hpp"

#include <catch2/catch.hpp>

using namespace swarmpki;

TEST_CASE("run_verdict: critical > warning > unknown > ok", "[verdict]") {
    using U = Unevaluable;
    // What was found outranks what could not be read...
    CHECK(run_verdict(Severity::critical, U::some) == Severity::critical);
    CHECK(run_verdict(Severity::warning, U::some) == Severity::warning);
    // ...and an unreadable part outranks a clean rest.
    CHECK(run_verdict(Severity::ok, U::some) == Severity::unknown);
    CHECK(run_verdict(Severity::notice, U::some) == Severity::unknown);
    CHECK(run_verdict(Severity::info, U::some) == Severity::unknown);
    // Nothing unreadable: the worst found.
    CHECK(run_verdict(Severity::critical, U::none) == Severity::critical);
    CHECK(run_verdict(Severity::warning, U::none) == Severity::warning);
    CHECK(run_verdict(Severity::notice, U::none) == Severity::notice);
    CHECK(run_verdict(Severity::ok, U::none) == Severity::ok);
    CHECK(run_verdict(Severity::unknown, U::none) == Severity::unknown);
    CHECK(exit_code_for(run_verdict(Severity::critical, U::some)) == ExitCode::critical);
    CHECK(exit_code_for(run_verdict(Severity::ok, U::some)) == ExitCode::unevaluable);
}
