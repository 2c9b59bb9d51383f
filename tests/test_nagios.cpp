// render_nagios: the word always agrees with the exit code; perfdata in the guidelines' syntax.
#include "swarmpki/nagios.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

using namespace swarmpki;

namespace {

ExpiryReport report_with(Severity status, std::size_t certificates) {
    ExpiryReport r;
    r.evaluated_at = *parse_rfc3339("2026-12-01T00:00:00Z");
    r.status = status;
    for (ExpiryStatus s : kAllExpiryStatuses) r.summary.by_status[s] = 0;
    for (std::size_t i = 0; i < certificates; ++i) {
        CertExpiry e;
        e.path = "/x|y/swarm-node.crt";  // a '|' in a path must not break the line
        e.not_after = *parse_rfc3339("2026-12-11T00:00:00Z");
        e.status = ExpiryStatus::expiring;
        r.certificates.push_back(e);
        ++r.summary.by_status[e.status];
    }
    if (certificates) r.summary.earliest_not_after = r.certificates[0].not_after;
    return r;
}

}  // namespace

TEST_CASE("the Nagios word and the exit code come from one severity", "[nagios]") {
    const std::pair<Severity, const char*> cases[] = {{Severity::ok, "OK"},
                                                      {Severity::notice, "OK"},
                                                      {Severity::warning, "WARNING"},
                                                      {Severity::critical, "CRITICAL"},
                                                      {Severity::unknown, "UNKNOWN"}};
    for (auto [severity, word] : cases) {
        NagiosOutput out = render_nagios(
            report_with(severity, severity == Severity::unknown ? 0 : 2));
        INFO(out.line);
        CHECK(out.line.rfind(std::string("SWARMPKI ") + word + " - ", 0) == 0);
        CHECK(out.exit_code == exit_code_for(severity));
        CHECK(nagios_word(severity) == word);
        // One line, one '|' separating the text from the perfdata.
        CHECK(out.line.find('\n') == out.line.size() - 1);
        CHECK(std::count(out.line.begin(), out.line.end(), '|') == 1);
    }
}

TEST_CASE("Nagios perfdata follows 'label'=value[UOM];warn;crit;min;max", "[nagios]") {
    NagiosOutput out = render_nagios(report_with(Severity::warning, 2));
    std::string perf = out.line.substr(out.line.find('|') + 2);
    perf.pop_back();
    std::regex item(R"('[a-z_]+'=-?[0-9]+(s)?;[0-9]*;[0-9]*;[0-9]*;?[0-9]*)");
    std::size_t start = 0, items = 0;
    while (start < perf.size()) {
        std::size_t space = perf.find(' ', start);
        std::string one = perf.substr(start, space == std::string::npos ? std::string::npos
                                                                        : space - start);
        INFO(one);
        CHECK(std::regex_match(one, item));
        ++items;
        if (space == std::string::npos) break;
        start = space + 1;
    }
    CHECK(items == 9);  // certificates, six statuses, scan_errors, earliest_remaining
    CHECK(perf.find("'expiring'=2;;;0") != std::string::npos);
    CHECK(perf.find("'earliest_remaining'=864000s;;;") != std::string::npos);
    CHECK(out.line.find("2 expiring") != std::string::npos);
}
