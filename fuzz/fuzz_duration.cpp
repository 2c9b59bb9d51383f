// Fuzzes the two time parsers every command's --at and --warn/--crit go through:
// parse_duration (Go's syntax plus d/w) and parse_rfc3339. Beyond "no crash, no UB", it checks
// the properties callers rely on: a parsed duration is never negative, and a parsed instant
// survives a format/parse round trip whenever its year is one RFC 3339 can write.
#include "swarmpki/time.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto duration = swarmpki::parse_duration(text)) {
        if (duration->count() < 0) std::abort();
        if (swarmpki::format_duration(*duration).empty()) std::abort();
    }

    if (auto instant = swarmpki::parse_rfc3339(text)) {
        auto year = static_cast<int>(
            std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(*instant)}.year());
        if (year >= 0 && year <= 9999) {
            auto again = swarmpki::parse_rfc3339(swarmpki::format_rfc3339(*instant));
            if (!again || *again != *instant) std::abort();
        }
        (void)swarmpki::format_relative(*instant, swarmpki::from_unix_seconds(0));
    }
    return 0;
}
