// The one severity scale: its order, the worst of two, its names in every format, and the exit
// code each severity gives (SPEC: 0 ok, 1 warning, 2 critical, 3 could not evaluate, 64 usage).
#include "swarmpki/severity.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace swarmpki;

namespace {
const std::vector<Severity> kScale = {Severity::ok,      Severity::info,     Severity::notice,
                                      Severity::warning, Severity::critical, Severity::unknown};
}  // namespace

TEST_CASE("severities are ordered ok < info < notice < warning < critical < unknown",
          "[severity]") {
    for (std::size_t i = 0; i + 1 < kScale.size(); ++i) {
        INFO(to_string(kScale[i]));
        CHECK(kScale[i] < kScale[i + 1]);
    }
}

TEST_CASE("worst picks the later of two on the scale, whatever their order", "[severity]") {
    CHECK(worst(Severity::ok, Severity::warning) == Severity::warning);
    CHECK(worst(Severity::critical, Severity::warning) == Severity::critical);
    CHECK(worst(Severity::critical, Severity::unknown) == Severity::unknown);
    CHECK(worst(Severity::notice, Severity::info) == Severity::notice);
    for (std::size_t i = 0; i < kScale.size(); ++i) {
        CHECK(worst(kScale[i], kScale[i]) == kScale[i]);
        for (std::size_t j = 0; j < kScale.size(); ++j) {
            INFO(to_string(kScale[i]) << " and " << to_string(kScale[j]));
            CHECK(worst(kScale[i], kScale[j]) == kScale[std::max(i, j)]);
        }
    }
}

TEST_CASE("severity names are lower case and parse back, and nothing else parses", "[severity]") {
    const std::vector<std::string> names = {"ok",      "info",     "notice",
                                            "warning", "critical", "unknown"};
    for (std::size_t i = 0; i < kScale.size(); ++i) {
        CHECK(to_string(kScale[i]) == names[i]);
        CHECK(parse_severity(names[i]) == kScale[i]);
    }
    for (const char* bad : {"", "OK", "Warning", "warn", "crit", "error", "ok "}) {
        INFO(bad);
        CHECK_FALSE(parse_severity(bad));
    }
}

TEST_CASE("the status word counts info and notice as ok", "[severity]") {
    CHECK(status_word(Severity::ok) == "ok");
    CHECK(status_word(Severity::info) == "ok");
    CHECK(status_word(Severity::notice) == "ok");
    CHECK(status_word(Severity::warning) == "warning");
    CHECK(status_word(Severity::critical) == "critical");
    CHECK(status_word(Severity::unknown) == "unknown");
}

TEST_CASE("each severity gives its exit code, and the codes are SPEC's numbers", "[severity]") {
    CHECK(exit_code_for(Severity::ok) == ExitCode::ok);
    CHECK(exit_code_for(Severity::info) == ExitCode::ok);
    CHECK(exit_code_for(Severity::notice) == ExitCode::ok);
    CHECK(exit_code_for(Severity::warning) == ExitCode::warning);
    CHECK(exit_code_for(Severity::critical) == ExitCode::critical);
    CHECK(exit_code_for(Severity::unknown) == ExitCode::unevaluable);
    CHECK(static_cast<int>(ExitCode::ok) == 0);
    CHECK(static_cast<int>(ExitCode::warning) == 1);
    CHECK(static_cast<int>(ExitCode::critical) == 2);
    CHECK(static_cast<int>(ExitCode::unevaluable) == 3);
    CHECK(static_cast<int>(ExitCode::usage) == 64);
}
