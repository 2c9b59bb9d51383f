// Instants and durations at one-second precision, the precision of X.509 validity.
//
// The library never reads the clock: every evaluation takes an `Instant now` argument, so the
// command's `--at` and the tests decide what "now" is.
#pragma once

// Util layer (1): includable from every layer.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace swarmpki {

using Instant = std::chrono::sys_seconds;
using Seconds = std::chrono::seconds;

// The wall clock, for the command layer only.
Instant wall_clock_now();

// RFC 3339 with 'Z' or a numeric offset, optional fractional seconds (truncated).
std::optional<Instant> parse_rfc3339(std::string_view text);
// UTC, seconds precision: 2027-02-26T22:58:00Z
std::string format_rfc3339(Instant instant);
// Unix seconds from a broken-down UTC time; no time zone is consulted.
std::int64_t unix_seconds(Instant instant);
Instant from_unix_seconds(std::int64_t seconds);

// Go's time.ParseDuration syntax ("2160h", "2160h0m0s", "1.5h", "90m", "7776000s") plus the
// units "d" (24h) and "w" (7d). Negative durations and an empty string are refused.
std::optional<Seconds> parse_duration(std::string_view text);

// "in 41 days", "3 hours ago", "now": the largest unit that is at least 2 of itself.
std::string format_relative(Instant when, Instant now);
// "90d", "2h", "1h30m", "45s": compact, for tables.
std::string format_duration(Seconds duration);

}  // namespace swarmpki
